// kartond: the Karton server. Everything it does lives in the kernel library;
// this file only turns options into a run and errors into an exit code.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "config.h"
#include "server.h"

int main(int argc, char** argv) {
  // Logs go to stderr; stdout carries only the "ready" block people read.
  spdlog::set_default_logger(spdlog::stderr_color_mt("kartond"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %n %v");
  try {
    auto options = karton::kernel::ParseServerOptions(argc, argv);
    if (!options) return 0;  // --help
    spdlog::set_level(spdlog::level::from_str(options->log_level));
    return karton::kernel::RunServer(*options, argv[0], std::cout);
  } catch (const karton::kernel::ConfigError& error) {
    std::cerr << "kartond: error: " << error.what() << "\n"
              << "Run 'kartond --help' for the options." << std::endl;
    return 2;
  }
}
