#include "module_database_test.h"

#include <utility>

#include "throwaway_postgres.h"

namespace karton::testing {

ModuleDatabaseTest::ModuleDatabaseTest(std::string module, std::vector<std::string> schemas)
    : context_(std::move(module)), schemas_(std::move(schemas)) {}

void ModuleDatabaseTest::SetUp() {
  conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  database_ = std::make_unique<kernel::Database>(conninfo_, 2);
  ApplyShippedSchemas(*database_, schemas_);
  context_.UseDatabase(*database_);
}

std::int64_t ModuleDatabaseTest::InsertReturningId(const std::string& sql) const {
  return std::stoll(QueryScalar(conninfo_, sql));
}

std::int64_t ModuleDatabaseTest::NewUser(const std::string& name, const std::string& role) const {
  // Names and roles come from the test's own code, never from outside.
  return InsertReturningId("INSERT INTO kernel.user_account (name, email, roles) VALUES ('" + name +
                           "', '" + name + "@ceg.example', '{" + role + "}') RETURNING id");
}

std::int64_t ModuleDatabaseTest::NewTeam(const std::string& name) const {
  return InsertReturningId("INSERT INTO kernel.team (name) VALUES ('" + name + "') RETURNING id");
}

}  // namespace karton::testing
