#include "module_loader.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <set>
#include <system_error>

#include "access_control.h"

namespace karton::kernel {

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

namespace {

ModuleInfo ReadDescriptor(const KartonModuleDescriptor& descriptor,
                          const std::filesystem::path& path) {
  // Only the first field is read before the API version is known to match.
  if (descriptor.kernel_api_version != KARTON_KERNEL_API_VERSION) {
    throw ModuleError(fmt::format(
        "module file {} was built for kernel API version {}, this kernel provides version {}",
        path.string(), descriptor.kernel_api_version, KARTON_KERNEL_API_VERSION));
  }
  ModuleInfo info;
  info.path = path.string();
  info.kernel_api_version = descriptor.kernel_api_version;
  info.name = descriptor.name == nullptr ? "" : descriptor.name;
  info.version = descriptor.version == nullptr ? "" : descriptor.version;
  if (!IsValidModuleName(info.name)) {
    throw ModuleError(
        fmt::format("module file {} declares the invalid name '{}' (expected [a-z][a-z0-9_]*, not "
                    "kernel, public, information_schema or pg_*)",
                    path.string(), info.name));
  }
  if (!SemanticVersion::Parse(info.version)) {
    throw ModuleError(fmt::format("module '{}' ({}) declares the invalid version '{}'", info.name,
                                  path.string(), info.version));
  }
  if (descriptor.create == nullptr || descriptor.destroy == nullptr) {
    throw ModuleError(
        fmt::format("module '{}' ({}) has no create/destroy functions", info.name, path.string()));
  }
  for (std::size_t i = 0; i < descriptor.options_count; ++i) {
    const KartonModuleOption& declared = descriptor.options[i];
    auto text = [](const char* value) { return std::string(value == nullptr ? "" : value); };
    ModuleOptionInfo option{text(declared.key), text(declared.type), text(declared.description),
                            text(declared.default_text), text(declared.flag)};
    static const RE2 kKey("[a-z][a-z0-9_]{0,62}"), kFlag("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    static const std::set<std::string> kTypes{"text",    "integer", "number",
                                              "boolean", "file",    "url"};
    const auto bad = [&](const std::string& why) {
      return ModuleError(fmt::format("module '{}' ({}) declares the option '{}': {}", info.name,
                                     path.string(), option.key, why));
    };
    if (!RE2::FullMatch(option.key, kKey)) throw bad("a key is [a-z][a-z0-9_]*");
    if (kTypes.count(option.type) == 0) {
      throw bad(fmt::format("its type '{}' is not text, integer, number, boolean, file or url",
                            option.type));
    }
    if (option.description.empty()) throw bad("it has no description");
    if (!option.flag.empty() && !RE2::FullMatch(option.flag, kFlag)) {
      throw bad(fmt::format("its flag '{}' is not lower-case words joined by '-'", option.flag));
    }
    for (const auto& earlier : info.options) {
      if (earlier.key == option.key) throw bad("it is declared twice");
    }
    info.options.push_back(std::move(option));
  }
  for (std::size_t i = 0; i < descriptor.roles_count; ++i) {
    const KartonModuleRole& declared = descriptor.roles[i];
    ModuleRoleInfo role{declared.name == nullptr ? "" : declared.name,
                        declared.description == nullptr ? "" : declared.description};
    static const RE2 kRoleName("[a-z][a-z0-9_]{0,62}");
    const auto bad = [&](const std::string& why) {
      return ModuleError(fmt::format("module '{}' ({}) declares the role '{}': {}", info.name,
                                     path.string(), role.name, why));
    };
    if (!RE2::FullMatch(role.name, kRoleName)) throw bad("a role is [a-z][a-z0-9_]*");
    if (IsKnownRole(role.name) || role.name == kAnyRole)
      throw bad("it is one of the kernel's roles");
    if (role.description.empty()) throw bad("it has no description");
    for (const auto& earlier : info.roles) {
      if (earlier.name == role.name) throw bad("it is declared twice");
    }
    info.roles.push_back(std::move(role));
  }
  for (std::size_t i = 0; i < descriptor.depends_count; ++i) {
    const KartonDependency& dependency = descriptor.depends[i];
    info.depends.push_back(
        ModuleDependencyInfo{dependency.name == nullptr ? "" : dependency.name,
                             dependency.min_version == nullptr ? "" : dependency.min_version});
  }
  return info;
}

}  // namespace

std::vector<FoundModule> ScanModulesDirectory(const std::filesystem::path& directory) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    throw ModuleError(fmt::format("modules directory {} does not exist or is not a directory",
                                  directory.string()));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() == ".so" && !entry.is_directory()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  std::vector<FoundModule> found;
  for (const auto& path : files) {
    // RTLD_NOW: an unresolved symbol is an error now, not a crash later.
    // RTLD_LOCAL: modules cannot see each other's symbols.
    // RTLD_NODELETE: a module and its proto library stay mapped even when
    // the module is not selected. Loading a proto library registers its
    // files in protobuf's process-wide descriptor pool, which keeps pointers
    // into the library and has no way to forget them: unmapping it would
    // leave the pool pointing at nothing.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) {
      throw ModuleError(fmt::format("cannot load module file {}: {}", path.string(), dlerror()));
    }
    auto library = std::make_shared<SharedLibrary>(handle);
    auto entry_point =
        reinterpret_cast<KartonModuleEntryPoint>(dlsym(handle, KARTON_MODULE_ENTRY_POINT_NAME));
    if (entry_point == nullptr) {
      throw ModuleError(fmt::format("{} is not a Karton module: it has no {} symbol", path.string(),
                                    KARTON_MODULE_ENTRY_POINT_NAME));
    }
    const KartonModuleDescriptor* descriptor = entry_point();
    if (descriptor == nullptr) {
      throw ModuleError(fmt::format("module file {} returned no descriptor", path.string()));
    }
    found.push_back(FoundModule{ReadDescriptor(*descriptor, path), descriptor, std::move(library)});
  }
  return found;
}

std::filesystem::path DefaultModulesDirectory(const std::filesystem::path& executable) {
  std::error_code error;
  auto resolved = std::filesystem::canonical("/proc/self/exe", error);
  if (error) resolved = std::filesystem::absolute(executable);
  return resolved.parent_path().parent_path() / "lib" / "karton" / "modules";
}

}  // namespace karton::kernel
