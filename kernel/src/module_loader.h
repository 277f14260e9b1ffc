// Finds module shared libraries in a directory and reads their descriptors.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "karton/kernel/module_api.h"
#include "module_graph.h"

namespace karton::kernel {

// A dlopen()ed library, closed when the last owner lets go. The kernel keeps
// it until the gRPC server is gone and the module instance destroyed, since
// both may still run code from the library.
class SharedLibrary {
 public:
  explicit SharedLibrary(void* handle) : handle_(handle) {}
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

 private:
  void* handle_;
};

struct FoundModule {
  ModuleInfo info;
  const KartonModuleDescriptor* descriptor = nullptr;  // lives in `library`
  std::shared_ptr<SharedLibrary> library;
};

// Loads every "*.so" file in `directory` (in name order) and validates its
// descriptor. Throws ModuleError with one line naming the file and the cause:
// not a shared library (dlerror's text), no entry point, kernel API mismatch,
// bad name or version.
std::vector<FoundModule> ScanModulesDirectory(const std::filesystem::path& directory);

// <kartond's directory>/../lib/karton/modules, the modules directory of an
// installation (and of the build tree).
std::filesystem::path DefaultModulesDirectory(const std::filesystem::path& executable);

}  // namespace karton::kernel
