#include "migrator.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <re2/re2.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include "karton/kernel/database.h"

namespace karton::kernel {
namespace {

// Any constant works as long as every kartond uses the same one.
constexpr const char* kMigrationLockKey = "7236012245";  // "karton" spelled in digits

// The bookkeeping table is created by the migrator itself: it must exist
// before the kernel's own migrations can be recorded in it.
constexpr const char* kCreateBookkeeping = R"sql(
CREATE SCHEMA IF NOT EXISTS kernel;
CREATE TABLE IF NOT EXISTS kernel.schema_migration (
  module      text        NOT NULL,
  version     integer     NOT NULL,
  file_name   text        NOT NULL,
  checksum    text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (module, version)
);
)sql";

constexpr const char* kSelectApplied =
    "SELECT version, file_name, checksum FROM kernel.schema_migration WHERE module = $1";
constexpr const char* kInsertApplied =
    "INSERT INTO kernel.schema_migration (module, version, file_name, checksum) "
    "VALUES ($1, $2, $3, $4)";

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string TrimmedError(PGconn* connection, const PGresult* result) {
  std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message.empty()) message = PQerrorMessage(connection);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // PostgreSQL's messages carry a "LINE n:" excerpt on later lines; the
  // first line is what an operator needs in a one-line error.
  if (auto newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
  return message;
}

Result Exec(PGconn* connection, const char* sql) {
  Result result(PQexec(connection, sql), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw MigrationError(TrimmedError(connection, result.get()));
  }
  return result;
}

Result ExecParams(PGconn* connection, const char* sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& param : params) values.push_back(param.c_str());
  Result result(PQexecParams(connection, sql, static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0),
                &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw MigrationError(TrimmedError(connection, result.get()));
  }
  return result;
}

struct AppliedFile {
  std::string file_name;
  std::string checksum;
};

int VersionOf(const std::string& module, const std::string& file_name) {
  static const RE2 kFileName(R"(^(\d{4})_[a-z0-9_]+\.sql$)");
  int version = 0;
  if (!RE2::FullMatch(file_name, kFileName, &version)) {
    throw MigrationError(
        fmt::format("migration schema/{}/{} is misnamed: expected NNNN_<what>.sql (lower case)",
                    module, file_name));
  }
  return version;
}

}  // namespace

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

int Migrator::Apply(const std::vector<ModuleMigrations>& modules) {
  if (sodium_init() < 0) throw MigrationError("libsodium failed to initialise");
  auto lease = database_.Acquire();
  PGconn* connection = lease.RawConnection();

  // Session-level lock: held across the per-file transactions and released
  // explicitly below (or by PostgreSQL if this process dies). The wait is
  // bounded, since start-up cannot be interrupted by a signal.
  Exec(connection, "SET lock_timeout = '120s'");
  try {
    ExecParams(connection, "SELECT pg_advisory_lock($1::bigint)", {kMigrationLockKey});
  } catch (const MigrationError& error) {
    PQclear(PQexec(connection, "RESET lock_timeout"));
    throw MigrationError(
        fmt::format("another kartond has been applying migrations to this database for 120 s ({})",
                    error.what()));
  }
  struct Unlock {
    PGconn* connection;
    ~Unlock() {
      // Only after a failed file (a ROLLBACK outside a transaction makes
      // PostgreSQL print a warning on every start).
      if (PQtransactionStatus(connection) != PQTRANS_IDLE) PQclear(PQexec(connection, "ROLLBACK"));
      const char* key[] = {kMigrationLockKey};
      PQclear(PQexecParams(connection, "SELECT pg_advisory_unlock($1::bigint)", 1, nullptr, key,
                           nullptr, nullptr, 0));
      PQclear(PQexec(connection, "RESET lock_timeout"));
      PQclear(PQexec(connection, "RESET client_min_messages"));
    }
  } unlock{connection};

  Exec(connection, "SET client_min_messages = warning");
  Exec(connection, kCreateBookkeeping);

  int applied_count = 0;
  for (const auto& module : modules) {
    std::map<int, AppliedFile> applied;
    auto rows = ExecParams(connection, kSelectApplied, {module.module});
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
      applied[std::stoi(PQgetvalue(rows.get(), row, 0))] =
          AppliedFile{PQgetvalue(rows.get(), row, 1), PQgetvalue(rows.get(), row, 2)};
    }

    std::map<int, const MigrationFile*> shipped;
    for (const auto& file : module.files) {
      const int version = VersionOf(module.module, file.file_name);
      if (!shipped.emplace(version, &file).second) {
        throw MigrationError(fmt::format("two migrations of module '{}' share the number {:04}",
                                         module.module, version));
      }
    }

    for (const auto& [version, record] : applied) {
      auto it = shipped.find(version);
      if (it == shipped.end()) {
        throw MigrationError(fmt::format(
            "the database has migration schema/{}/{} applied, but this build does not ship it "
            "(is this kartond older than the database?)",
            module.module, record.file_name));
      }
      const std::string checksum = Sha256Hex(it->second->sql);
      if (checksum != record.checksum || it->second->file_name != record.file_name) {
        throw MigrationError(fmt::format(
            "migration schema/{}/{} was changed after it was applied (recorded checksum {}, "
            "shipped {}); migrations are forward-only: add a new file instead",
            module.module, record.file_name, record.checksum.substr(0, 12),
            checksum.substr(0, 12)));
      }
    }

    const int last_applied = applied.empty() ? 0 : applied.rbegin()->first;
    for (const auto& [version, file] : shipped) {
      if (applied.count(version) != 0) continue;
      if (version < last_applied) {
        throw MigrationError(fmt::format(
            "migration schema/{}/{} sorts before the already applied {:04}; number new files "
            "after the last applied one",
            module.module, file->file_name, last_applied));
      }
      try {
        Exec(connection, "BEGIN");
        Exec(connection, fmt::format("CREATE SCHEMA IF NOT EXISTS \"{}\"", module.module).c_str());
        Exec(connection,
             fmt::format("SET LOCAL search_path TO \"{}\", public", module.module).c_str());
        Exec(connection, file->sql.c_str());
        ExecParams(connection, kInsertApplied,
                   {module.module, std::to_string(version), file->file_name, Sha256Hex(file->sql)});
        Exec(connection, "COMMIT");
      } catch (const MigrationError& error) {
        PQclear(PQexec(connection, "ROLLBACK"));
        throw MigrationError(fmt::format("migration schema/{}/{} failed and was rolled back: {}",
                                         module.module, file->file_name, error.what()));
      }
      spdlog::info("migration applied module={} file={}", module.module, file->file_name);
      ++applied_count;
    }
  }
  return applied_count;
}

}  // namespace karton::kernel
