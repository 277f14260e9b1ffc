// Runs the real kartond binary as a child process for black-box tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "temporary_directory.h"

namespace karton::testing {

// Paths of the build tree, compiled in by tests/CMakeLists.txt, unless the
// environment names others: KARTON_KARTOND, KARTON_PRODUCT_MODULES_DIR,
// KARTON_CLIENT (the karton command). Out of tree, karton_add_module_tests
// points them at the installed Karton.
std::filesystem::path EnvironmentPathOr(const char* variable, std::filesystem::path fallback);
std::filesystem::path KartondBinary();
std::filesystem::path TestModulesDirectory(const std::string& scenario);
std::filesystem::path ProductModulesDirectory();

class KartondProcess {
 public:
  // Starts kartond with `arguments` (plus --grpc-listen/--http-listen on
  // port 0 unless given). stdout is read for the ready block; stderr goes
  // to a file readable with Stderr(). The child gets SIGKILL if the test
  // process dies, so a crashing test leaves no server behind.
  explicit KartondProcess(std::vector<std::string> arguments);
  // Stops the server (SIGTERM, then SIGKILL after 30 s) if still running.
  ~KartondProcess();
  KartondProcess(const KartondProcess&) = delete;
  KartondProcess& operator=(const KartondProcess&) = delete;

  // Waits until kartond prints its ready block (true) or exits (false).
  bool WaitUntilReady(std::chrono::seconds timeout = std::chrono::seconds(120));
  // Sends `signal` and waits for the exit code (128+n for a signal death).
  int StopWith(int signal, std::chrono::seconds timeout = std::chrono::seconds(60));
  // Waits for kartond to exit on its own and returns the exit code.
  int WaitForExit(std::chrono::seconds timeout = std::chrono::seconds(120));

  const std::string& GrpcAddress() const { return grpc_address_; }
  const std::string& HttpAddress() const { return http_address_; }  // host:port
  const std::string& Stdout() const { return stdout_; }
  std::string Stderr() const;
  // For a failed test's report, short enough to survive a truncated CI
  // view: whether the process still runs or how it ended (exit code or
  // signal), then its log lines at error level and above, then the last
  // `tail_lines` lines of the log.
  std::string PostMortem(std::size_t tail_lines = 25);
  // Whether `text` appears in the log within `timeout`: kartond writes its
  // log from a thread of its own, so a line can trail the call it is about.
  bool LogShows(std::string_view text,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // The admin token kartond wrote into its --data-dir at first start.
  std::string AdminToken() const;
  pid_t Pid() const { return pid_; }

 private:
  bool ReadStdoutUntil(const std::string& marker, std::chrono::steady_clock::time_point deadline);

  std::filesystem::path data_dir_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int exit_code_ = -1;
  TemporaryDirectory log_directory_;
  std::string stdout_;
  std::string grpc_address_;
  std::string http_address_;
};

// Runs a shell command and returns its exit code and stdout.
std::pair<int, std::string> RunCommand(const std::string& command);

// A TCP port on 127.0.0.1 free a moment ago, for a kartond whose address
// another must know before it starts (--remote-module).
int FreeLoopbackPort();
// Whether something listens on 127.0.0.1:`port` now (a server the test
// started, before it is used).
bool AcceptsOnLoopback(int port);
// The karton command-line client of this build, talking to `kartond` with
// the admin token of `data_dir`.
std::string KartonCommand(const KartondProcess& kartond, const std::filesystem::path& data_dir);

// A minimal HTTP/1.1 client over loopback for tests: returns the status and
// fills `body`. Throws std::runtime_error when the server cannot be reached.
int HttpGet(const std::string& host_port, const std::string& target, std::string& body);
// The same for any method, with extra headers and a request body.
int HttpCall(const std::string& host_port, const std::string& method, const std::string& target,
             const std::vector<std::pair<std::string, std::string>>& headers,
             const std::string& request_body, std::string& body);
// The same, keeping the answer's headers (names lower-case; a repeated
// header's values joined with "\n").
struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};
HttpAnswer HttpExchange(const std::string& host_port, const std::string& method,
                        const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& request_body);

}  // namespace karton::testing
