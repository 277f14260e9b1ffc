#include "http_recorder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace karton::testing {

HttpRecorder::HttpRecorder() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("HttpRecorder: cannot listen on loopback");
  }
  port_ = ntohs(address.sin_port);
  server_ = std::thread([this] { Serve(); });
}

HttpRecorder::~HttpRecorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  server_.join();
  ::close(listen_fd_);
}

std::string HttpRecorder::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpRecorder::AnswerNext(std::vector<int> statuses) {
  std::lock_guard lock(mutex_);
  scripted_.insert(scripted_.end(), statuses.begin(), statuses.end());
}

void HttpRecorder::SetDefaultStatus(int status) {
  std::lock_guard lock(mutex_);
  default_status_ = status;
}

void HttpRecorder::SetAnswerDelay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  answer_delay_ = delay;
}

void HttpRecorder::SetResponseBody(
    std::function<std::string(const RecordedRequest&, std::size_t)> body_for) {
  std::lock_guard lock(mutex_);
  body_for_ = std::move(body_for);
}

std::vector<RecordedRequest> HttpRecorder::Requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool HttpRecorder::WaitForRequests(std::size_t count, std::chrono::seconds timeout) const {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

void HttpRecorder::Serve() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    const int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    HandleConnection(connection);
    ::close(connection);
  }
}

void HttpRecorder::HandleConnection(int connection) {
  std::string data;
  char buffer[8192];
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  RecordedRequest request;
  while (true) {
    pollfd readable{connection, POLLIN, 0};
    if (::poll(&readable, 1, 5000) <= 0) return;
    const ssize_t n = ::read(connection, buffer, sizeof buffer);
    if (n <= 0) return;
    data.append(buffer, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::size_t line_start = 0;
      bool first = true;
      while (line_start < header_end) {
        const std::size_t line_end = data.find("\r\n", line_start);
        const std::string line = data.substr(line_start, line_end - line_start);
        line_start = line_end + 2;
        if (first) {
          first = false;
          const auto space = line.find(' ');
          request.method = line.substr(0, space);
          request.target = line.substr(space + 1, line.find(' ', space + 1) - space - 1);
          continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request.headers[name] = value;
      }
      if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
        content_length = std::stoul(it->second);
      }
    }
    if (data.size() >= header_end + 4 + content_length) break;
  }
  request.body = data.substr(header_end + 4, content_length);
  int status = 0;
  std::string body;
  {
    std::lock_guard lock(mutex_);
    status = default_status_;
    if (!scripted_.empty()) {
      status = scripted_.front();
      scripted_.pop_front();
    }
    request.answered_status = status;
    requests_.push_back(request);
    if (body_for_) body = body_for_(request, requests_.size());
  }
  arrived_.notify_all();
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lock(mutex_);
    delay = answer_delay_;
  }
  std::this_thread::sleep_for(delay);
  const std::string response = "HTTP/1.1 " + std::to_string(status) +
                               " Scripted\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  [[maybe_unused]] auto written = ::write(connection, response.data(), response.size());
}

}  // namespace karton::testing
