// kartond's whole life: start everything in order, serve until SIGINT or
// SIGTERM, then stop everything in reverse.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

#include "config.h"
#include "module_loader.h"

namespace karton::kernel {

// Returns the process exit code: 0 after a clean shutdown, 1 when start-up
// failed (the one-line reason has been logged to stderr by then). Prints the
// "ready" block to `out` once every module is started. `executable` is used
// to find the default modules directory. `scanned` are the modules the
// option parse already loaded from that directory (a module library is
// loaded once: loading one again would register its protos twice); when
// empty, RunServer scans the directory itself.
int RunServer(const ServerOptions& options, const std::filesystem::path& executable,
              std::ostream& out, std::vector<FoundModule> scanned = {});

}  // namespace karton::kernel
