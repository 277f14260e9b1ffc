#include "kartond_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace karton::testing {

// The build tree's binaries unless the environment names others: tests of
// a module built against an installed Karton (the SDK, docs/module-guide.md)
// get the installed ones from karton_add_module_tests.
std::filesystem::path EnvironmentPathOr(const char* variable, std::filesystem::path fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0' ? std::filesystem::path(value) : fallback;
}

std::filesystem::path KartondBinary() {
  return EnvironmentPathOr("KARTON_KARTOND", KARTON_TEST_BINARY_DIR "/bin/kartond");
}

std::filesystem::path TestModulesDirectory(const std::string& scenario) {
  return std::filesystem::path(KARTON_TEST_BINARY_DIR "/tests/modules") / scenario;
}

std::filesystem::path ProductModulesDirectory() {
  return EnvironmentPathOr("KARTON_PRODUCT_MODULES_DIR",
                           KARTON_TEST_BINARY_DIR "/lib/karton/modules");
}

KartondProcess::KartondProcess(std::vector<std::string> arguments) {
  auto has = [&](const std::string& option) {
    for (const auto& argument : arguments) {
      if (argument == option || argument.rfind(option + "=", 0) == 0) return true;
    }
    return false;
  };
  for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
    if (arguments[i] == "--data-dir") data_dir_ = arguments[i + 1];
  }
  if (!has("--grpc-listen")) arguments.insert(arguments.end(), {"--grpc-listen", "127.0.0.1:0"});
  if (!has("--http-listen")) arguments.insert(arguments.end(), {"--http-listen", "127.0.0.1:0"});
  arguments.insert(arguments.begin(), KartondBinary().string());

  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const std::string stderr_path = (log_directory_.Path() / "stderr.log").string();

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    const int stderr_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (stderr_fd >= 0) ::dup2(stderr_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];
}

KartondProcess::~KartondProcess() {
  if (exit_code_ < 0 && pid_ > 0) StopWith(SIGTERM, std::chrono::seconds(30));
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

bool KartondProcess::ReadStdoutUntil(const std::string& marker,
                                     std::chrono::steady_clock::time_point deadline) {
  while (stdout_.find(marker) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd poll_fd{stdout_fd_, POLLIN, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;  // kartond closed stdout: it exited
    stdout_.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

bool KartondProcess::WaitUntilReady(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!ReadStdoutUntil("Stop with", deadline)) return false;
  std::smatch match;
  if (std::regex_search(stdout_, match, std::regex(R"(gRPC:\s+(\S+))"))) grpc_address_ = match[1];
  if (std::regex_search(stdout_, match, std::regex(R"(HTTP:\s+https?://(\S+))")))
    http_address_ = match[1];
  return !grpc_address_.empty() && !http_address_.empty();
}

int KartondProcess::WaitForExit(std::chrono::seconds timeout) {
  if (exit_code_ >= 0) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

int KartondProcess::StopWith(int signal, std::chrono::seconds timeout) {
  if (exit_code_ >= 0) return exit_code_;
  ::kill(pid_, signal);
  return WaitForExit(timeout);
}

std::string KartondProcess::AdminToken() const {
  std::ifstream in(data_dir_ / "admin.token");
  std::string token;
  std::getline(in, token);
  return token;
}

std::string KartondProcess::Stderr() const {
  std::ifstream in(log_directory_.Path() / "stderr.log");
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string KartondProcess::PostMortem(std::size_t tail_lines) {
  std::string report;
  if (exit_code_ < 0 && pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  if (exit_code_ < 0) {
    report = "still running\n";
  } else if (exit_code_ > 128) {
    report =
        fmt::format("killed by signal {} ({})\n", exit_code_ - 128, ::strsignal(exit_code_ - 128));
  } else {
    report = fmt::format("exited with code {}\n", exit_code_);
  }
  std::vector<std::string> lines;
  std::istringstream log(Stderr());
  for (std::string line; std::getline(log, line);) lines.push_back(std::move(line));
  report += "serious lines:\n";
  for (const auto& line : lines) {
    if (line.find("[error]") != std::string::npos || line.find("[critical]") != std::string::npos ||
        line.find("hazard") != std::string::npos || line.find("terminate") != std::string::npos ||
        line.find("Assertion") != std::string::npos ||
        line.find("Sanitizer") != std::string::npos) {
      report += "  " + line + "\n";
    }
  }
  report += fmt::format("last {} lines:\n", tail_lines);
  for (std::size_t i = lines.size() > tail_lines ? lines.size() - tail_lines : 0; i < lines.size();
       ++i) {
    report += "  " + lines[i] + "\n";
  }
  return report;
}

bool KartondProcess::LogShows(std::string_view text, std::chrono::milliseconds timeout) const {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Stderr().find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int HttpGet(const std::string& host_port, const std::string& target, std::string& body) {
  return HttpCall(host_port, "GET", target, {}, "", body);
}

HttpAnswer HttpExchange(const std::string& host_port, const std::string& method,
                        const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& request_body) {
  const auto colon = host_port.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  ::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  // A stuck server fails the test instead of hanging it.
  const timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error(fmt::format("cannot connect to {}", host_port));
  }
  std::string request =
      fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", method, target, host_port);
  for (const auto& [name, value] : headers) request += fmt::format("{}: {}\r\n", name, value);
  if (method != "GET") request += fmt::format("Content-Length: {}\r\n", request_body.size());
  request += "\r\n" + request_body;
  // A server may answer (413, 404) and close before it has read a large
  // body, as HTTP allows: then the rest cannot be sent, and the answer is
  // what counts. MSG_NOSIGNAL: that closed socket must not raise SIGPIPE.
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto header_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 ", 0) != 0 || header_end == std::string::npos) {
    throw std::runtime_error(fmt::format("malformed HTTP response after sending {} of {} bytes: {}",
                                         sent, request.size(), response.substr(0, 80)));
  }
  HttpAnswer answer;
  answer.status = std::stoi(response.substr(9, 3));
  answer.body = response.substr(header_end + 4);
  const std::string head = response.substr(0, header_end);
  for (std::size_t line_start = head.find("\r\n"); line_start != std::string::npos;) {
    line_start += 2;
    const auto line_end = head.find("\r\n", line_start);
    const std::string line = head.substr(line_start, line_end - line_start);
    line_start = line_end;
    const auto separator = line.find(':');
    if (separator == std::string::npos) continue;
    std::string name = line.substr(0, separator);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(separator + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    auto [position, inserted] = answer.headers.try_emplace(name, value);
    if (!inserted) position->second += "\n" + value;
  }
  return answer;
}

int HttpCall(const std::string& host_port, const std::string& method, const std::string& target,
             const std::vector<std::pair<std::string, std::string>>& headers,
             const std::string& request_body, std::string& body) {
  HttpAnswer answer = HttpExchange(host_port, method, target, headers, request_body);
  body = std::move(answer.body);
  return answer.status;
}

std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string KartonCommand(const KartondProcess& kartond, const std::filesystem::path& data_dir) {
  const auto client = EnvironmentPathOr("KARTON_CLIENT", KARTON_TEST_BINARY_DIR "/bin/karton");
  return client.string() + " --server " + kartond.GrpcAddress() + " --data-dir " +
         data_dir.string();
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool AcceptsOnLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool connected =
      fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  if (fd >= 0) ::close(fd);
  return connected;
}

}  // namespace karton::testing
