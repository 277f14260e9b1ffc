// Token buckets per key (a visitor's address group, a user id), for limits
// on doors anyone can knock on: web form posts, calls per user.
//
//   kernel::RateLimiter posts({.per_minute = 10, .max_keys = 100000});
//   if (auto verdict = posts.Take(kernel::AddressGroup(request.client_address));
//       !verdict.admitted) { ... 429 with Retry-After: verdict.retry_after ... }
//
// Each key may spend `burst` at once and earns `per_minute` a minute back.
// The keys kept are bounded: beyond `max_keys`, the key seen longest ago is
// forgotten (it starts again with a full bucket), so memory stays bounded
// however many addresses a flood comes from. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace karton::kernel {

struct RateLimit {
  double per_minute = 60;  // 0 or less: no limit
  double burst = 0;        // what may be spent at once; 0: a minute's worth
  std::size_t max_keys = 100000;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Verdict {
    bool admitted = true;
    // When refused: how long until one more is allowed (at least 1 s).
    std::chrono::seconds retry_after{0};
  };

  explicit RateLimiter(RateLimit limit) : limit_(limit) {}

  // Spends one from `key`'s bucket if it holds one.
  Verdict Take(std::string_view key, Clock::time_point now = Clock::now());
  // Keys currently kept (for tests and metrics).
  std::size_t KeyCount() const;
  const RateLimit& Limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
    std::list<std::string>::iterator recency;
  };

  const RateLimit limit_;
  mutable std::mutex mutex_;
  std::list<std::string> recency_;  // most recently seen first
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace karton::kernel
