#include "event_stream.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "karton/kernel/v1/event_service.grpc.pb.h"

namespace karton::bench {

using Clock = std::chrono::steady_clock;

EventStreamResult RunEventStream(const EventStreamOptions& options) {
  auto channel = grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stub = kernel::v1::EventService::NewStub(channel);

  std::mutex mutex;  // guards everything below up to the reader
  std::condition_variable changed;
  EventStreamResult result;
  std::vector<double> interval_lags, all_lags;
  Clock::time_point last_arrival = Clock::now();
  bool stopping = false;
  grpc::ClientContext* current = nullptr;  // the stream's context, to cancel it

  const Clock::time_point begin = Clock::now();
  const Clock::time_point end = begin + options.duration;

  std::thread reader([&] {
    for (;;) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + options.token);
      kernel::v1::SubscribeRequest request;
      for (const auto& topic : options.topics) request.add_topics(topic);
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
        request.set_after_event_id(result.last_event_id > 0 ? result.last_event_id
                                                            : options.after_event_id);
        current = &context;
      }
      auto stream = stub->Subscribe(&context, request);
      kernel::v1::Event event;
      while (stream->Read(&event)) {
        const auto arrived = std::chrono::system_clock::now();
        const auto published = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::nanoseconds(google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                    event.publish_time()))));
        const double lag = std::chrono::duration<double, std::milli>(arrived - published).count();
        std::lock_guard lock(mutex);
        last_arrival = Clock::now();
        if (event.id() <= result.last_event_id) {
          ++result.duplicates;
          continue;
        }
        result.last_event_id = event.id();
        ++result.events;
        all_lags.push_back(lag);
        if (last_arrival <= end) interval_lags.push_back(lag);
        changed.notify_all();
      }
      const grpc::Status status = stream->Finish();
      std::unique_lock lock(mutex);
      current = nullptr;
      if (stopping) return;
      ++result.errors;
      auto& entry = result.errors_by_code[static_cast<int>(status.error_code())];
      if (entry.first++ == 0) entry.second = status.error_message();
      // Subscribe again after the last event, a second later.
      changed.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; });
      if (stopping) return;
    }
  });

  // The intervals, each reported as it closes.
  std::unique_lock lock(mutex);
  for (int number = 1;; ++number) {
    const Clock::time_point closes = std::min(end, begin + number * options.interval);
    changed.wait_until(lock, closes, [&] { return false; });
    IntervalResult interval;
    interval.number = number;
    interval.end_seconds = std::chrono::duration<double>(closes - begin).count();
    interval.seconds = interval.end_seconds -
                       std::chrono::duration<double>((number - 1) * options.interval).count();
    interval.calls = static_cast<std::int64_t>(interval_lags.size());
    Summarise(interval_lags, interval);
    interval_lags.clear();
    if (options.on_interval) {
      lock.unlock();
      options.on_interval(interval);
      lock.lock();
    }
    if (closes >= end) break;
  }
  // The drain: until nothing has come for `idle`, at most `most_drain`.
  const Clock::time_point give_up = end + options.most_drain;
  for (;;) {
    const Clock::time_point now = Clock::now();
    const Clock::time_point quiet_until = std::max(last_arrival, end) + options.idle;
    if (now >= quiet_until || now >= give_up) break;
    changed.wait_until(lock, std::min(quiet_until, give_up));
  }
  result.drain_seconds = std::chrono::duration<double>(Clock::now() - end).count();
  stopping = true;
  if (current != nullptr) current->TryCancel();
  changed.notify_all();
  lock.unlock();
  reader.join();

  result.seconds = std::chrono::duration<double>(options.duration).count();
  LoadResult summary;
  Summarise(all_lags, summary);
  result.p50_ms = summary.p50_ms;
  result.p95_ms = summary.p95_ms;
  result.p99_ms = summary.p99_ms;
  result.max_ms = summary.max_ms;
  return result;
}

}  // namespace karton::bench
