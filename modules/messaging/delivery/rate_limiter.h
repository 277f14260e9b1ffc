// A per-channel send rate limit (--module-option messaging.email_per_second
// and sms_per_second): SMTP relays and SMS providers throttle or block
// senders that burst, so kartond paces itself instead. The limit holds per
// kartond; replicas sharing a database each get the full rate.
#pragma once

#include <chrono>
#include <mutex>

namespace karton::messaging {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `per_second` <= 0: no limit. Up to one second's worth of sends may go
  // at once after a quiet spell (the burst), then they are spaced evenly.
  explicit RateLimiter(double per_second);

  // Blocks the calling job thread until one more send may start.
  void Acquire();
  // The time the next send may start, counted as taken: Acquire() without
  // the sleep, for tests.
  Clock::time_point Reserve(Clock::time_point now);

  bool Limited() const { return interval_.count() > 0; }

 private:
  std::chrono::nanoseconds interval_{0};
  std::chrono::nanoseconds burst_{0};
  std::mutex mutex_;
  Clock::time_point next_{};
};

}  // namespace karton::messaging
