// kartond's whole life: start everything in order, serve until SIGINT or
// SIGTERM, then stop everything in reverse.
#pragma once

#include <filesystem>
#include <ostream>

#include "config.h"

namespace karton::kernel {

// Returns the process exit code: 0 after a clean shutdown, 1 when start-up
// failed (the one-line reason has been logged to stderr by then). Prints the
// "ready" block to `out` once every module is started. `executable` is used
// to find the default modules directory.
int RunServer(const ServerOptions& options, const std::filesystem::path& executable,
              std::ostream& out);

}  // namespace karton::kernel
