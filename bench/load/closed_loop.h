// Closed-loop load drivers: `concurrency` calls are in flight at all times
// and a call that completes is replaced by the next at once.
//
// RunClosedLoop drives kartond over gRPC's async API, spread over
// `connections` channels (each its own TCP connection). By time (the
// default): the first `warmup` is not counted; then every call that starts
// and ends within `duration` is. By count (`calls` > 0): exactly that many
// calls, every one counted, timed from the first start to the last end.
// By time with `most_calls` > 0 (calls that use something up, such as
// drafts to issue): no more calls start than that, and if they all have
// before `duration` is over, the counted time ends with the last of them.
// Every failed call is counted by status code and the first message of each
// code is kept: errors are reported, never dropped.
//
// With `interval` > 0 (by time only), `on_interval` is also given the figures
// of each interval of that length from the start of the counted time, as
// the interval closes (a call belongs to the interval it ended in); the last
// one ends with the duration and may be shorter. bench/soak judges stability
// over time by these.
//
// RunSmtpLoop is the raw comparator of the email scenario: libcurl handing a
// fixed number of messages straight to an SMTP server, one thread and one
// reused connection per unit of concurrency.
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

// One interval of a run by time: its number (from 1), where it ends in
// seconds from the start of the counted time, its length, and the calls that
// ended in it: successful ones with their latency percentiles, and errors.
struct IntervalResult {
  int number = 0;
  double end_seconds = 0;
  double seconds = 0;
  std::int64_t calls = 0;
  std::int64_t errors = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(calls) / seconds : 0; }
};

struct LoadOptions {
  std::string server;
  std::string token;
  int concurrency = 1;
  int connections = 1;
  std::chrono::milliseconds warmup{2000};
  std::chrono::milliseconds duration{10000};
  // > 0: run exactly this many calls instead of for `warmup` + `duration`.
  std::int64_t calls = 0;
  // > 0 (by time only): start at most this many calls.
  std::int64_t most_calls = 0;
  // > 0 (by time only): report every interval of this length to on_interval.
  std::chrono::milliseconds interval{0};
  std::function<void(const IntervalResult&)> on_interval;
};

// One call in flight. Start() issues it on `queue` with `tag`; the driver
// calls Finished() when the queue hands the tag back and reads status().
class PendingCall {
 public:
  virtual ~PendingCall() = default;
  virtual void Start(grpc::CompletionQueue& queue, void* tag) = 0;
  virtual const grpc::Status& status() const = 0;
  // Called once the call has succeeded, counted or not (warm-up included),
  // on the driver's thread.
  virtual void Succeeded() {}
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
  // Every call that succeeded, counted or not (warm-up, or ended after the
  // duration): what the server accepted.
  std::int64_t succeeded = 0;
  // By time with most_calls: they were all started before the duration was
  // over, so `seconds` is shorter.
  bool ran_out = false;
  double rate() const { return seconds > 0 ? static_cast<double>(calls) / seconds : 0; }
};

LoadResult RunClosedLoop(const LoadOptions& options, const CallFactory& make_call);

// A unary call through a generated stub's PrepareAsync<Method>; `on_ok`, if
// given, receives the response of a call that succeeded.
template <class Response>
class UnaryCall : public PendingCall {
 public:
  using Prepare = std::function<std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>(
      grpc::ClientContext*, grpc::CompletionQueue*)>;
  using OnOk = std::function<void(const Response&)>;
  UnaryCall(std::unique_ptr<grpc::ClientContext> context, Prepare prepare, OnOk on_ok = nullptr)
      : context_(std::move(context)), prepare_(std::move(prepare)), on_ok_(std::move(on_ok)) {}
  void Start(grpc::CompletionQueue& queue, void* tag) override {
    reader_ = prepare_(context_.get(), &queue);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, tag);
  }
  const grpc::Status& status() const override { return status_; }
  void Succeeded() override {
    if (on_ok_) on_ok_(response_);
  }
  const Response& response() const { return response_; }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  Prepare prepare_;
  OnOk on_ok_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
  Response response_;
  grpc::Status status_;
};

// Latency percentiles of `millis` (sorted in place).
void Summarise(std::vector<double>& millis, LoadResult& result);
void Summarise(std::vector<double>& millis, IntervalResult& result);

struct SmtpOptions {
  std::string url;   // smtp://host:port
  std::string from;  // the envelope sender, an address without brackets
  int concurrency = 1;
  std::int64_t messages = 1;
};

// Message number `sequence`: its envelope recipient and its text as sent
// after DATA (headers and body, CRLF line ends).
struct SmtpMessage {
  std::string to;
  std::string mime;
};

// Sends `options.messages` messages, `concurrency` at a time, each thread
// keeping its connection for all its messages. `calls` in the result are
// the messages the server accepted; failures are counted by libcurl's error
// code (errors_by_code) with the first message of each.
LoadResult RunSmtpLoop(const SmtpOptions& options,
                       const std::function<SmtpMessage(std::int64_t)>& message_for);

}  // namespace karton::bench
