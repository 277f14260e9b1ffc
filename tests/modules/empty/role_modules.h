// Modules that declare roles wrongly, for the loader's refusals: one claims
// a kernel role, and two (built under different names) claim one role.
#pragma once

#include "karton/kernel/module.h"

namespace karton::testing {

class KernelRoleClaimingModule final : public kernel::Module {
 public:
  static constexpr KartonModuleRole kRoles[] = {{"sales", "Sells, says this module"}};
  void Register(kernel::ModuleContext&, kernel::Registrar&) override {}
};

class KeeperRoleModule final : public kernel::Module {
 public:
  static constexpr KartonModuleRole kRoles[] = {{"keeper", "Keeps things"}};
  void Register(kernel::ModuleContext&, kernel::Registrar&) override {}
};

}  // namespace karton::testing
