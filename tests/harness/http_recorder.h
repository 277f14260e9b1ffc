// A tiny HTTP/1.1 server on loopback for webhook tests: records every
// request and answers with statuses the test scripts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace karton::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int answered_status = 0;
};

class HttpRecorder {
 public:
  // Binds 127.0.0.1 on a free port and serves until destroyed.
  HttpRecorder();
  ~HttpRecorder();
  HttpRecorder(const HttpRecorder&) = delete;
  HttpRecorder& operator=(const HttpRecorder&) = delete;

  std::string Url(const std::string& path = "/hook") const;
  // The next requests get these statuses, in order; then the default.
  void AnswerNext(std::vector<int> statuses);
  void SetDefaultStatus(int status);
  // Each request is recorded at once and answered `delay` later: a slow
  // receiver, so a test can act while a delivery is in flight.
  void SetAnswerDelay(std::chrono::milliseconds delay);
  // Answers carry this body (application/json): what `body_for` returns for
  // the request, numbered from 1 in arrival order. Default: an empty body.
  void SetResponseBody(std::function<std::string(const RecordedRequest&, std::size_t)> body_for);
  std::vector<RecordedRequest> Requests() const;
  // True once at least `count` requests arrived.
  bool WaitForRequests(std::size_t count, std::chrono::seconds timeout) const;

 private:
  void Serve();
  void HandleConnection(int connection);

  int listen_fd_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<RecordedRequest> requests_;
  std::deque<int> scripted_;
  int default_status_ = 200;
  std::chrono::milliseconds answer_delay_{0};
  std::function<std::string(const RecordedRequest&, std::size_t)> body_for_;
  bool stopping_ = false;
  std::thread server_;
};

}  // namespace karton::testing
