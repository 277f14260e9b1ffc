// The start of a module's database test (*_pgtest.cpp): a fresh database of
// the shared throwaway cluster, given the kernel's migrations and the shipped
// schemas of the modules named, a kernel::Database on it, and a
// FakeModuleContext that uses it. Derive and name both:
//
//   class LeadScopeTest : public karton::testing::ModuleDatabaseTest {
//    protected:
//     LeadScopeTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}
//   };
//
// A derived SetUp() calls ModuleDatabaseTest::SetUp() first.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "karton/kernel/database.h"
#include "karton/kernel/testing/fake_module_context.h"

namespace karton::testing {

class ModuleDatabaseTest : public ::testing::Test {
 protected:
  // `module`: the FakeModuleContext's module name; `schemas`: the modules
  // whose shipped migrations the database gets, in dependency order.
  ModuleDatabaseTest(std::string module, std::vector<std::string> schemas);

  void SetUp() override;

  // Runs `sql`, which returns one id (INSERT ... RETURNING id), and gives it.
  std::int64_t InsertReturningId(const std::string& sql) const;
  // A user `name` (<name>@ceg.example) holding `role`, in kernel.user_account.
  std::int64_t NewUser(const std::string& name, const std::string& role) const;
  // A team `name` in kernel.team.
  std::int64_t NewTeam(const std::string& name) const;

  std::string conninfo_;
  std::unique_ptr<kernel::Database> database_;
  kernel::testing::FakeModuleContext context_;

 private:
  std::vector<std::string> schemas_;
};

}  // namespace karton::testing
