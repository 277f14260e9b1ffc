#include "karton/kernel/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace karton::kernel {

RateLimiter::Verdict RateLimiter::Take(std::string_view key, Clock::time_point now) {
  if (limit_.per_minute <= 0) return {};
  const double capacity = limit_.burst > 0 ? limit_.burst : limit_.per_minute;
  const double per_second = limit_.per_minute / 60.0;
  std::lock_guard lock(mutex_);
  auto found = buckets_.find(std::string(key));
  if (found == buckets_.end()) {
    if (buckets_.size() >= std::max<std::size_t>(limit_.max_keys, 1)) {
      buckets_.erase(recency_.back());
      recency_.pop_back();
    }
    recency_.emplace_front(key);
    found = buckets_.emplace(recency_.front(), Bucket{capacity, now, recency_.begin()}).first;
  } else {
    recency_.splice(recency_.begin(), recency_, found->second.recency);
    Bucket& bucket = found->second;
    const double seconds = std::chrono::duration<double>(now - bucket.updated).count();
    if (seconds > 0) {
      bucket.tokens = std::min(capacity, bucket.tokens + seconds * per_second);
      bucket.updated = now;
    }
  }
  Bucket& bucket = found->second;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return {};
  }
  const double wait = (1 - bucket.tokens) / per_second;
  return {false, std::chrono::seconds(std::max<long long>(1, std::llround(std::ceil(wait))))};
}

std::size_t RateLimiter::KeyCount() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace karton::kernel
