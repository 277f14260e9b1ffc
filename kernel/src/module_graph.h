// Pure dependency resolution for modules: which to start, and in what order.
// No dlopen here, so every failure case is unit-tested with plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace karton::kernel {

// A start-up failure caused by the set of module files. Its message is the
// one line kartond prints before exiting.
class ModuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SemanticVersion {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::string pre_release;  // after '-', sorts before the plain release

  // Accepts "MAJOR.MINOR.PATCH" with an optional "-pre.release" and "+build".
  static std::optional<SemanticVersion> Parse(const std::string& text);
  friend bool operator<(const SemanticVersion& a, const SemanticVersion& b);
};

struct ModuleDependencyInfo {
  std::string name;
  std::string min_version;  // empty: any version
};

// A setting a module declares (KartonModuleOption in module_api.h).
struct ModuleOptionInfo {
  std::string key;
  std::string type;  // text, integer, number, boolean, file, url
  std::string description;
  std::string default_text;
  std::string flag;  // empty: only --module-option <module>.<key>=...
};

// A role a module declares (KartonModuleRole).
struct ModuleRoleInfo {
  std::string name;
  std::string description;
};

struct ModuleInfo {
  std::string name;
  std::string version;
  std::uint32_t kernel_api_version = 0;
  std::vector<ModuleDependencyInfo> depends;
  std::string path;  // the file it came from, for messages
  std::vector<ModuleOptionInfo> options;
  std::vector<ModuleRoleInfo> roles;
};

// True when `name` is usable as a module name: [a-z][a-z0-9_]{0,62}, since it
// also names a PostgreSQL schema and a proto package; "kernel", "public",
// "information_schema" and "pg_*" are taken.
bool IsValidModuleName(const std::string& name);

// Returns the modules to start, dependencies first. With `wanted` empty every
// module is started; otherwise the wanted ones plus everything they need.
// Among modules free to start at the same time the order is by name, so the
// order is the same on every machine. Throws ModuleError for a duplicate
// name, a missing dependency, a too-old dependency, a cycle, or a wanted
// module that does not exist.
std::vector<ModuleInfo> ResolveStartOrder(const std::vector<ModuleInfo>& found,
                                          const std::vector<std::string>& wanted);

}  // namespace karton::kernel
