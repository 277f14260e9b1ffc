// A closed-loop load driver over gRPC's async API: `concurrency` calls are
// in flight at all times, spread over `connections` channels (each its own
// TCP connection); a call that completes is replaced by the next at once.
// The first `warmup` is not counted; then every call that starts and ends
// within `duration` is. Every failed call is counted by status code and the
// first message of each code is kept: errors are reported, never dropped.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace karton::bench {

struct LoadOptions {
  std::string server;
  std::string token;
  int concurrency = 1;
  int connections = 1;
  std::chrono::milliseconds warmup{2000};
  std::chrono::milliseconds duration{10000};
};

// One call in flight. Start() issues it on `queue` with `tag`; the driver
// calls Finished() when the queue hands the tag back and reads status().
class PendingCall {
 public:
  virtual ~PendingCall() = default;
  virtual void Start(grpc::CompletionQueue& queue, void* tag) = 0;
  virtual const grpc::Status& status() const = 0;
};

// Makes call number `sequence` on `channel` (with the bearer token already
// on `context`).
using CallFactory = std::function<std::unique_ptr<PendingCall>(
    const std::shared_ptr<grpc::Channel>& channel, std::unique_ptr<grpc::ClientContext> context,
    std::int64_t sequence)>;

struct LoadResult {
  std::int64_t calls = 0;  // counted (successful) calls
  double seconds = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  std::int64_t errors = 0;
  std::map<int, std::pair<std::int64_t, std::string>> errors_by_code;  // count, first message
  double rate() const { return seconds > 0 ? static_cast<double>(calls) / seconds : 0; }
};

LoadResult RunClosedLoop(const LoadOptions& options, const CallFactory& make_call);

// A unary call through a generated stub's PrepareAsync<Method>.
template <class Response>
class UnaryCall : public PendingCall {
 public:
  using Prepare = std::function<std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>(
      grpc::ClientContext*, grpc::CompletionQueue*)>;
  UnaryCall(std::unique_ptr<grpc::ClientContext> context, Prepare prepare)
      : context_(std::move(context)), prepare_(std::move(prepare)) {}
  void Start(grpc::CompletionQueue& queue, void* tag) override {
    reader_ = prepare_(context_.get(), &queue);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, tag);
  }
  const grpc::Status& status() const override { return status_; }
  const Response& response() const { return response_; }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  Prepare prepare_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
  Response response_;
  grpc::Status status_;
};

// Latency percentiles of `millis` (sorted in place).
void Summarise(std::vector<double>& millis, LoadResult& result);

}  // namespace karton::bench
