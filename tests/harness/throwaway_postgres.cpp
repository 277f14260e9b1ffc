#include "throwaway_postgres.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "kernel_migrations.h"
#include "migrator.h"
#include "postgres_cluster.h"

namespace karton::testing {

ThrowawayPostgres::ThrowawayPostgres() {
  kernel::PostgresClusterOptions options;
  options.data_directory = directory_.Path();
  options.durable = false;
  options.database = "";  // each test makes its own (CreateDatabase)
  try {
    cluster_ = std::make_unique<kernel::PostgresCluster>(options);
    cluster_->Start();
    port_ = cluster_->Port();
  } catch (...) {
    // Stop a half-started server before directory_ (a member) removes its files.
    cluster_.reset();
    throw;
  }
}

// The cluster stops before directory_ removes its files (member order).
ThrowawayPostgres::~ThrowawayPostgres() = default;

std::string ThrowawayPostgres::AdminConnectionString() const {
  return cluster_->AdminConnectionString("postgres");
}

int ThrowawayPostgres::Port() const { return port_; }

void ThrowawayPostgres::Stop() { cluster_->Stop(); }

void ThrowawayPostgres::Start() {
  // A new cluster object on the same files and port: it finds the cluster
  // made, so it only starts the server.
  kernel::PostgresClusterOptions options;
  options.data_directory = directory_.Path();
  options.durable = false;
  options.database = "";
  options.port = port_;
  cluster_.reset();
  cluster_ = std::make_unique<kernel::PostgresCluster>(options);
  cluster_->Start();
}

std::string ThrowawayPostgres::CreateDatabase(const std::string& name) {
  QueryScalar(AdminConnectionString(),
              fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", name));
  // Owned by the application role, as kartond's embedded database is: tests
  // run with the rights kartond has in production, not a superuser's.
  QueryScalar(AdminConnectionString(), fmt::format("CREATE DATABASE \"{}\" OWNER {}", name,
                                                   kernel::PostgresCluster::ApplicationRole()));
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

SubscriptionHold::SubscriptionHold(const std::string& conninfo, const std::string& subscription)
    : connection_(PQconnectdb(conninfo.c_str()),
                  [](void* c) { PQfinish(static_cast<PGconn*>(c)); }) {
  auto* connection = static_cast<PGconn*>(connection_.get());
  if (PQstatus(connection) != CONNECTION_OK) {
    throw std::runtime_error(fmt::format("connect: {}", PQerrorMessage(connection)));
  }
  PQclear(PQexec(connection, "BEGIN"));
  const char* values[] = {subscription.c_str()};
  std::unique_ptr<PGresult, decltype(&PQclear)> locked(
      PQexecParams(connection, "SELECT 1 FROM kernel.event_subscription WHERE name = $1 FOR UPDATE",
                   1, nullptr, values, nullptr, nullptr, 0),
      &PQclear);
  if (PQntuples(locked.get()) != 1) {
    throw std::runtime_error(
        fmt::format("no subscription {} to hold: {}", subscription, PQerrorMessage(connection)));
  }
}

SubscriptionHold::~SubscriptionHold() { Release(); }

void SubscriptionHold::Release() {
  if (!connection_) return;
  auto* connection = static_cast<PGconn*>(connection_.get());
  // The events published while held are moved from the outbox to the log
  // a moment after their commits: once the outbox is empty, all of them
  // are there for the first delivery (a statement of its own sees what
  // committed since; the lock stays held).
  for (int i = 0; i < 100; ++i) {
    std::unique_ptr<PGresult, decltype(&PQclear)> waiting(
        PQexec(connection, "SELECT count(*) FROM kernel.event_outbox"), &PQclear);
    if (PQresultStatus(waiting.get()) != PGRES_TUPLES_OK ||
        std::string(PQgetvalue(waiting.get(), 0, 0)) == "0") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  PQclear(PQexec(connection, "COMMIT"));
  connection_.reset();
}

std::string QueryScalar(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error(fmt::format("connect: {}", PQerrorMessage(connection.get())));
  }
  // NOTICEs ("database ... does not exist, skipping") are not test output.
  PQsetNoticeProcessor(
      connection.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()),
                                                       &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(fmt::format("{}: {}", sql, PQresultErrorMessage(result.get())));
  }
  if (PQntuples(result.get()) == 0) return "";
  return PQgetvalue(result.get(), 0, 0);
}

bool WaitUntilNothingIsDue(const std::string& conninfo, std::chrono::system_clock::time_point now,
                           std::chrono::milliseconds timeout) {
  const long long now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  // A subscription's topics are comma-separated patterns: "a.b.c", "a.*", "*".
  const std::string pending = fmt::format(
      "SELECT (SELECT count(*) FROM kernel.job WHERE state = 'running' OR (state = 'scheduled' "
      "AND run_at <= to_timestamp({} / 1e6))) + (SELECT count(*) FROM kernel.event_outbox) + "
      "(SELECT count(*) FROM kernel.event_subscription s WHERE s.kind = 'module' AND s.active "
      "AND EXISTS (SELECT 1 FROM kernel.event e, unnest(string_to_array(s.topics, ',')) AS "
      "p(pattern) WHERE e.id > s.cursor AND (p.pattern = '*' OR e.topic = p.pattern OR "
      "(p.pattern LIKE '%.*' AND e.topic LIKE left(p.pattern, -1) || '%'))))",
      now_us);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (QueryScalar(conninfo, pending) != "0") {
    if (std::chrono::steady_clock::now() > deadline) {
      // Say what is still pending, for the failure's reader.
      std::cerr << "still due: jobs "
                << QueryScalar(conninfo,
                               fmt::format("SELECT coalesce(string_agg(module || '.' || kind || "
                                           "':' || state, ', '), '') FROM kernel.job WHERE state "
                                           "= 'running' OR (state = 'scheduled' AND run_at <= "
                                           "to_timestamp({} / 1e6))",
                                           now_us))
                << "; outbox " << QueryScalar(conninfo, "SELECT count(*) FROM kernel.event_outbox")
                << "; subscriptions "
                << QueryScalar(conninfo,
                               "SELECT coalesce(string_agg(name || ' at ' || cursor, ', '), '') "
                               "FROM kernel.event_subscription WHERE kind = 'module' AND active")
                << std::endl;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

void ApplyShippedSchemas(kernel::Database& database, const std::vector<std::string>& modules) {
  std::vector<kernel::ModuleMigrations> migrations{kernel::KernelMigrations()};
  // KARTON_SCHEMA_ROOT: a module built out of tree keeps its own schema/.
  const char* from_environment = std::getenv("KARTON_SCHEMA_ROOT");
  const auto schema_root =
      from_environment != nullptr && *from_environment != '\0'
          ? std::filesystem::path(from_environment)
          : std::filesystem::path(KARTON_TEST_SOURCE_DIR).parent_path() / "schema";
  for (const auto& module : modules) {
    kernel::ModuleMigrations shipped{module, {}};
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(schema_root / module)) {
      if (entry.path().extension() == ".sql") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      shipped.files.push_back({file.filename().string(), text.str()});
    }
    migrations.push_back(std::move(shipped));
  }
  kernel::Migrator(database).Apply(migrations);
}

}  // namespace karton::testing
