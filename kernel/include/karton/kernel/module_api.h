// The binary boundary between the kernel and a module shared library.
//
// A module exports exactly one symbol, `karton_module_descriptor`, with C
// linkage. The kernel dlopen()s the file, looks that symbol up and calls it.
// Module authors never write this by hand: `karton_add_module()` in CMake
// generates the entry point from the same call that links the module, so the
// declared name, version, dependencies and migrations cannot drift from the
// build (see docs/module-guide.md).
//
// Rules at this boundary:
// - `kernel_api_version` is the first field and its position never changes, so
//   the kernel can read it from a module built against any API version and
//   refuse a mismatch before touching anything else.
// - Every pointer in the descriptor points to static storage inside the module
//   and stays valid while the library is loaded. The kernel copies what it keeps.
// - `create` transfers ownership of a new module instance to the kernel; the
//   kernel hands it back to `destroy` of the same descriptor. No exception ever
//   crosses the boundary: `create` returns nullptr on failure.
#pragma once

#include <cstddef>
#include <cstdint>

// Bumped whenever a public kernel header changes: the descriptor layout, the
// karton::kernel::Module interface, anything a module compiles against.
// Modules built for another version are refused. tools/check-kernel-api
// (run by CI) fails when the headers changed and this did not.
#define KARTON_KERNEL_API_VERSION 22u

#define KARTON_MODULE_ENTRY_POINT_NAME "karton_module_descriptor"

extern "C" {

// A required module and the lowest version of it that this module accepts.
struct KartonDependency {
  const char* name;
  const char* min_version;  // inclusive, semantic version; "" accepts any
};

// One forward-only migration, embedded in the module at build time from
// schema/<module>/NNNN_<what>.sql.
struct KartonMigration {
  const char* file_name;  // "0001_create_partner.sql"
  const char* sql;        // the file's exact bytes (its checksum is recorded)
};

// One setting the module takes: `kartond --module-option <module>.<key>=<value>`
// (docs/module-guide.md, "Options"). kartond --help lists them by module, and
// refuses an option a module does not declare, or a value not of its type,
// before anything starts.
struct KartonModuleOption {
  const char* key;           // [a-z][a-z0-9_]*
  const char* type;          // "text", "integer", "number", "boolean", "file" or "url"
  const char* description;   // one line, for --help
  const char* default_text;  // what applies when it is not given, for --help; "" none
  // "" or a kartond flag of its own ("smtp-url": --smtp-url, KARTON_SMTP_URL,
  // smtp-url in the config file), for the settings every installation sets.
  const char* flag;
};

// A role the module adds to the kernel's six (docs/module-guide.md,
// "Roles"): declared in the module class as `static constexpr
// KartonModuleRole kRoles[]`, given to users with IdentityService
// (User.module_roles), named by the module's methods like any other role.
// A user holding it is staff (not an external partner).
struct KartonModuleRole {
  const char* name;         // [a-z][a-z0-9_]*; not a kernel role, not another module's
  const char* description;  // one line: who holds it
};

struct KartonModuleDescriptor {
  std::uint32_t kernel_api_version;  // must stay the first field
  const char* name;                  // [a-z][a-z0-9_]*: also the PostgreSQL schema
  const char* version;               // semantic version "MAJOR.MINOR.PATCH"
  const KartonDependency* depends;
  std::size_t depends_count;
  const KartonMigration* migrations;  // in application order
  std::size_t migrations_count;
  // Returns a new karton::kernel::Module (as void*) or nullptr on failure.
  void* (*create)() noexcept;
  // Destroys an instance returned by `create`.
  void (*destroy)(void* module) noexcept;
  const KartonModuleOption* options;  // the module class's kOptions
  std::size_t options_count;
  const KartonModuleRole* roles;  // the module class's kRoles
  std::size_t roles_count;
};

// The one symbol every module exports.
using KartonModuleEntryPoint = const KartonModuleDescriptor* (*)() noexcept;

}  // extern "C"
