#include "delivery/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace karton::messaging {

RateLimiter::RateLimiter(double per_second) {
  if (per_second > 0) {
    interval_ = std::chrono::nanoseconds(static_cast<long long>(1e9 / per_second));
    // A second's worth of sends, minus one slot: the first of a burst is "now".
    burst_ =
        std::max(std::chrono::nanoseconds(0), std::chrono::nanoseconds(1'000'000'000) - interval_);
  }
}

RateLimiter::Clock::time_point RateLimiter::Reserve(Clock::time_point now) {
  if (!Limited()) return now;
  std::lock_guard lock(mutex_);
  // Unused slots further back than the burst are gone (a virtual schedule,
  // as in the generic cell rate algorithm).
  next_ = std::max(next_, now - burst_);
  const Clock::time_point slot = next_;
  next_ += interval_;
  return std::max(slot, now);
}

void RateLimiter::Acquire() {
  if (!Limited()) return;
  std::this_thread::sleep_until(Reserve(Clock::now()));
}

}  // namespace karton::messaging
