// Kernel-private: the errors Database::Acquire throws when it cannot give a
// working connection. UnexpectedFailure (guarded.cpp) answers them:
//   DatabaseUnavailableError    the server is gone (stopped, restarting,
//                               unreachable): UNAVAILABLE
//   DatabasePoolExhaustedError  every pooled connection stayed leased for
//                               as long as the call could wait: RESOURCE_EXHAUSTED
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace karton::kernel {

class DatabaseUnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DatabasePoolExhaustedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The deadline of the gRPC call the calling thread is serving, which bounds
// Database::Acquire's wait. GrpcHost sets it around every synchronous
// handler (grpc::Server::GlobalCallbacks); other threads (jobs, event
// workers, HTTP handlers) have none (nullopt).
void SetServedCallDeadline(std::optional<std::chrono::system_clock::time_point> deadline);

}  // namespace karton::kernel
