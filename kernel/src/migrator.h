// Applies forward-only schema migrations, module by module.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace karton::kernel {

class Database;

struct MigrationFile {
  std::string file_name;  // "0001_create_note.sql"
  std::string sql;
};

struct ModuleMigrations {
  std::string module;  // also the PostgreSQL schema the files run in
  std::vector<MigrationFile> files;
};

// SHA-256 of `text` as lower-case hex.
std::string Sha256Hex(const std::string& text);

// Applies every pending migration of `modules` (given in dependency order).
//
// - The whole run holds a PostgreSQL advisory lock, so two kartond starting
//   at once on one database apply each file once; the second waits, then
//   finds nothing to do.
// - Each file runs in its own transaction together with its bookkeeping row
//   in kernel.schema_migration, with search_path set to the module's schema
//   (created if missing). A failing file is rolled back whole.
// - Start is refused (MigrationError) when an applied file's checksum no
//   longer matches the shipped file, when the database has a file applied
//   that this build does not ship, or when a new file sorts before an
//   applied one.
class Migrator {
 public:
  explicit Migrator(Database& database) : database_(database) {}
  // Returns the number of files applied.
  int Apply(const std::vector<ModuleMigrations>& modules);

 private:
  Database& database_;
};

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace karton::kernel
