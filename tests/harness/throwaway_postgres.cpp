#include "throwaway_postgres.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "postgres_cluster.h"

namespace karton::testing {

ThrowawayPostgres::ThrowawayPostgres() {
  std::string pattern = (std::filesystem::temp_directory_path() / "karton-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  // The temp dir is root's; PostgreSQL (as the postgres user) only needs to
  // pass through it to its own subdirectory.
  std::filesystem::permissions(directory_, std::filesystem::perms::owner_all |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_exec);
  kernel::PostgresClusterOptions options;
  options.data_directory = directory_;
  options.durable = false;
  options.database = "postgres";
  try {
    cluster_ = std::make_unique<kernel::PostgresCluster>(options);
    cluster_->Start();
  } catch (...) {
    // The destructor does not run for a half-made object.
    cluster_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    throw;
  }
}

ThrowawayPostgres::~ThrowawayPostgres() {
  cluster_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string ThrowawayPostgres::AdminConnectionString() const {
  return cluster_->ConnectionString("postgres");
}

int ThrowawayPostgres::Port() const { return cluster_->Port(); }

std::string ThrowawayPostgres::CreateDatabase(const std::string& name) {
  QueryScalar(AdminConnectionString(),
              fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", name));
  QueryScalar(AdminConnectionString(), fmt::format("CREATE DATABASE \"{}\"", name));
  return cluster_->ConnectionString(name);
}

ThrowawayPostgres& SharedPostgres() {
  static ThrowawayPostgres postgres;
  return postgres;
}

std::string DatabaseNameForCurrentTest() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "t_";
  for (char c : std::string(info->test_suite_name()) + "_" + info->name()) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  }
  return name.substr(0, 63);
}

std::string QueryScalar(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error(fmt::format("connect: {}", PQerrorMessage(connection.get())));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()),
                                                       &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(fmt::format("{}: {}", sql, PQresultErrorMessage(result.get())));
  }
  if (PQntuples(result.get()) == 0) return "";
  return PQgetvalue(result.get(), 0, 0);
}

}  // namespace karton::testing
