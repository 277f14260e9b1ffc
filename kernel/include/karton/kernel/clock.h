// The kernel clock: all business time comes from here, never from
// std::chrono::system_clock directly, so tests can move time (an 18-month
// drip campaign is tested in seconds).
#pragma once

#include <chrono>

namespace karton::kernel {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// Microseconds since the Unix epoch: how times travel to SQL (bound as
// bigint, turned into timestamptz with to_timestamp(:us / 1e6)).
inline long long ToEpochMicros(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

}  // namespace karton::kernel
