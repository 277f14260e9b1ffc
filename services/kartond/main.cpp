// kartond: the Karton server. Everything it does lives in the kernel library;
// this file only turns options into a run and errors into an exit code.
#include <absl/synchronization/mutex.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <vector>

#include "config.h"
#include "module_loader.h"
#include "server.h"

int main(int argc, char** argv) {
#ifdef NDEBUG
  // gRPC's mutexes are absl's, whose deadlock detection keeps a lock graph
  // up to date on every lock; it showed in GetPartner's profile. Debug
  // builds (and the sanitizer build) keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  // SIGINT and SIGTERM are taken by RunServer's sigwait(); every thread must
  // have them blocked, the log writer started just below too (a thread
  // with them open would die of them instead).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // Logs go to stderr, written by a thread of their own so that a handler
  // never waits for the terminal; stdout carries only the "ready" block
  // people read. A full queue makes the writer wait rather than drop lines.
  spdlog::init_thread_pool(8192, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  spdlog::set_default_logger(std::make_shared<spdlog::async_logger>(
      "kartond", std::move(sink), spdlog::thread_pool(), spdlog::async_overflow_policy::block));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %n %v");
  int exit_code = 0;
  try {
    // The modules' declared options take part in the parse (their flags,
    // --help, the check of --module-option). The libraries loaded for it
    // are the ones the server runs: a module is loaded once.
    std::vector<karton::kernel::FoundModule> scanned;
    const auto module_declarations = [&scanned,
                                      executable = argv[0]](const std::filesystem::path& dir) {
      scanned = karton::kernel::ScanModulesDirectory(
          dir.empty() ? karton::kernel::DefaultModulesDirectory(executable) : dir);
      std::vector<karton::kernel::ModuleInfo> modules;
      for (const auto& found : scanned) modules.push_back(found.info);
      return modules;
    };
    auto options = karton::kernel::ParseServerOptions(argc, argv, module_declarations);
    if (options) {
      spdlog::set_level(spdlog::level::from_str(options->log_level));
      exit_code = karton::kernel::RunServer(*options, argv[0], std::cout, std::move(scanned));
    }
  } catch (const karton::kernel::ConfigError& error) {
    std::cerr << "kartond: error: " << error.what() << "\n"
              << "Run 'kartond --help' for the options." << std::endl;
    exit_code = 2;
  }
  spdlog::shutdown();  // writes what is still queued
  return exit_code;
}
