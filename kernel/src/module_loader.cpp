#include "module_loader.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <system_error>

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
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
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

}  // namespace karton::kernel
