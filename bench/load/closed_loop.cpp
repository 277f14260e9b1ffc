#include "closed_loop.h"

#include <algorithm>

namespace karton::bench {

using Clock = std::chrono::steady_clock;

void Summarise(std::vector<double>& millis, LoadResult& result) {
  if (millis.empty()) return;
  std::sort(millis.begin(), millis.end());
  auto at = [&](double q) {
    return millis[std::min(millis.size() - 1, static_cast<std::size_t>(q * millis.size()))];
  };
  result.p50_ms = at(0.50);
  result.p95_ms = at(0.95);
  result.p99_ms = at(0.99);
  result.max_ms = millis.back();
}

LoadResult RunClosedLoop(const LoadOptions& options, const CallFactory& make_call) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < std::max(1, options.connections); ++i) {
    grpc::ChannelArguments arguments;
    // Without this, channels with equal arguments share one connection.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt("karton.bench.connection", i);
    channels.push_back(
        grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(), arguments));
  }
  for (const auto& channel : channels) {
    channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  struct Slot {
    std::unique_ptr<PendingCall> call;
    Clock::time_point start;
  };
  std::vector<Slot> slots(static_cast<std::size_t>(std::max(1, options.concurrency)));
  grpc::CompletionQueue queue;
  std::int64_t sequence = 0;
  auto start_call = [&](std::size_t index) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + options.token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    Slot& slot = slots[index];
    slot.call = make_call(channels[index % channels.size()], std::move(context), sequence++);
    slot.start = Clock::now();
    slot.call->Start(queue, reinterpret_cast<void*>(index));
  };

  const Clock::time_point begin = Clock::now();
  const Clock::time_point counted_from = begin + options.warmup;
  const Clock::time_point end = counted_from + options.duration;
  for (std::size_t i = 0; i < slots.size(); ++i) start_call(i);
  std::size_t in_flight = slots.size();

  LoadResult result;
  std::vector<double> millis;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && queue.Next(&tag, &ok)) {
    const auto index = reinterpret_cast<std::size_t>(tag);
    const Clock::time_point now = Clock::now();
    Slot& slot = slots[index];
    const bool counted = slot.start >= counted_from && now <= end;
    const grpc::Status& status = slot.call->status();
    if (!ok || !status.ok()) {
      // Errors count wherever they happen, warm-up included.
      ++result.errors;
      auto& entry = result.errors_by_code[static_cast<int>(status.error_code())];
      if (entry.first++ == 0) entry.second = status.error_message();
    } else if (counted) {
      millis.push_back(std::chrono::duration<double, std::milli>(now - slot.start).count());
    }
    if (now < end) {
      start_call(index);
    } else {
      slot.call.reset();
      --in_flight;
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  result.calls = static_cast<std::int64_t>(millis.size());
  result.seconds = std::chrono::duration<double>(options.duration).count();
  Summarise(millis, result);
  return result;
}

}  // namespace karton::bench
