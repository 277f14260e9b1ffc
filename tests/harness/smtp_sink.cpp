#include "smtp_sink.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace karton::testing {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

std::string ReceivedMail::Header(const std::string& name) const {
  const std::string headers = data.substr(0, data.find("\r\n\r\n"));
  std::string lower_name = name + ":";
  std::transform(lower_name.begin(), lower_name.end(), lower_name.begin(), ::tolower);
  std::istringstream lines(headers);
  std::string line, value;
  bool in_header = false;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_header && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      value += line;
      continue;
    }
    if (in_header) break;
    std::string start = line.substr(0, lower_name.size());
    std::transform(start.begin(), start.end(), start.begin(), ::tolower);
    if (start == lower_name) {
      in_header = true;
      value = line.substr(lower_name.size());
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    }
  }
  return value;
}

SmtpSink::SmtpSink(int temporary_failures) {
  int pipe_fds[2];
  // Close-on-exec: processes started later (kartond, PostgreSQL) must not
  // hold the write end, or the sink never sees its stdin close.
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  const std::string script = std::string(KARTON_TEST_SOURCE_DIR) + "/harness/smtp_sink.py";
  const std::string directory = directory_.Path().string();
  const std::string failures = std::to_string(temporary_failures);
  // Debian's python3, where python3-aiosmtpd is installed (not whichever
  // python3 comes first on PATH).
  std::vector<char*> argv = {
      const_cast<char*>("/usr/bin/python3"), const_cast<char*>(script.c_str()),
      const_cast<char*>(directory.c_str()),  const_cast<char*>("--temporary-failures"),
      const_cast<char*>(failures.c_str()),   nullptr};
  const int spawned =
      posix_spawn(&pid_, "/usr/bin/python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[0]);
  stdin_fd_ = pipe_fds[1];
  if (spawned != 0) throw std::runtime_error("cannot start python3 for the SMTP sink");
  const auto port_file = directory_.Path() / "port";
  for (int i = 0; i < 200 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!std::filesystem::exists(port_file)) {
    throw std::runtime_error("the SMTP sink did not start (is python3-aiosmtpd installed?)");
  }
  port_ = std::stoi(ReadFile(port_file));
}

SmtpSink::~SmtpSink() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);  // the sink exits when its stdin closes
  if (pid_ > 0) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string SmtpSink::Url() const { return fmt::format("smtp://127.0.0.1:{}", port_); }

std::vector<ReceivedMail> SmtpSink::Messages() const {
  std::vector<ReceivedMail> messages;
  for (int n = 1;; ++n) {
    const auto eml = directory_.Path() / fmt::format("{}.eml", n);
    if (!std::filesystem::exists(eml)) break;
    ReceivedMail mail;
    mail.data = ReadFile(eml);
    mail.peer = ReadFile(directory_.Path() / fmt::format("{}.peer", n));
    std::istringstream recipients(ReadFile(directory_.Path() / fmt::format("{}.rcpt", n)));
    for (std::string line; std::getline(recipients, line);) {
      if (!line.empty()) mail.recipients.push_back(line);
    }
    messages.push_back(std::move(mail));
  }
  return messages;
}

bool SmtpSink::WaitForMessages(std::size_t count, std::chrono::seconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (Messages().size() >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Messages().size() >= count;
}

}  // namespace karton::testing
