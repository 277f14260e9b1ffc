#include <gtest/gtest.h>

#include "job_queue.h"

namespace karton::kernel {
namespace {

using namespace std::chrono_literals;

TimePoint At(int day, int hour, int minute) {
  return TimePoint(std::chrono::days(20000 + day) + std::chrono::hours(hour) +
                   std::chrono::minutes(minute));
}

TEST(NextOccurrence, EveryKeepsItsRhythmAndSkipsMissedRuns) {
  const TimePoint scheduled = At(0, 10, 0);
  EXPECT_EQ(NextOccurrence("every 3600s", scheduled, At(0, 10, 1), UtcRules()), At(0, 11, 0));
  // Down for five hours: one run now, then back on the hour.
  EXPECT_EQ(NextOccurrence("every 3600s", scheduled, At(0, 15, 30), UtcRules()), At(0, 16, 0));
}

TEST(NextOccurrence, DailyInUtcIsTheNextSuchTime) {
  EXPECT_EQ(NextOccurrence("daily 08:00", At(0, 8, 0), At(0, 8, 0), UtcRules()), At(1, 8, 0));
  EXPECT_EQ(NextOccurrence("daily 23:59", At(0, 8, 0), At(0, 9, 0), UtcRules()), At(0, 23, 59));
}

// A zone two hours ahead of UTC until day 1's 01:00 UTC, one hour after,
// like a daylight-saving change in the autumn.
class ShiftingZone final : public ZoneRules {
 public:
  std::chrono::hours OffsetAt(TimePoint moment) const {
    return moment < At(1, 1, 0) ? std::chrono::hours(2) : std::chrono::hours(1);
  }
  std::chrono::sys_days LocalDay(TimePoint moment) const override {
    return std::chrono::floor<std::chrono::days>(moment + OffsetAt(moment));
  }
  TimePoint AtLocal(std::chrono::sys_days day, std::chrono::minutes time_of_day) const override {
    const TimePoint local = day + time_of_day;
    return local - OffsetAt(local - std::chrono::hours(2));
  }
};

TEST(NextOccurrence, DailyIsTheSameLocalTimeEveryDayAcrossAnOffsetChange) {
  const ShiftingZone zone;
  // 07:00 local is 05:00 UTC before the change and 06:00 UTC after it.
  EXPECT_EQ(NextOccurrence("daily 07:00", At(0, 5, 0), At(0, 5, 0), zone), At(1, 6, 0));
  EXPECT_EQ(NextOccurrence("daily 07:00", At(1, 6, 0), At(1, 6, 0), zone), At(2, 6, 0));
  // 21:00 UTC is 23:00 local: the next 00:30 local is 22:30 UTC the same UTC day.
  EXPECT_EQ(NextOccurrence("daily 00:30", At(0, 21, 0), At(0, 21, 0), zone), At(0, 22, 30));
}

TEST(NextOccurrence, RejectsWhatItCannotRead) {
  for (const char* bad :
       {"every 0s", "every s", "hourly", "daily 24:00", "daily 8:00", "every -5s"}) {
    EXPECT_FALSE(NextOccurrence(bad, At(0, 0, 0), At(0, 0, 0), UtcRules()).has_value()) << bad;
    EXPECT_FALSE(IsValidRecurrence(bad)) << bad;
  }
  EXPECT_TRUE(IsValidRecurrence(""));
}

TEST(RetryDelay, DoublesUpToAnHour) {
  EXPECT_EQ(RetryDelay(1), 1s);
  EXPECT_EQ(RetryDelay(2), 2s);
  EXPECT_EQ(RetryDelay(5), 16s);
  EXPECT_EQ(RetryDelay(13), 3600s);
  EXPECT_EQ(RetryDelay(1000), 3600s);
}

// Real time until asked, then exactly as far ahead as asked: a clock that
// ignored Advance, or moved twice, fails here.
TEST(KernelClock, FollowsRealTimeAndMovesExactlyAsFarAsAsked) {
  using namespace std::chrono_literals;
  const auto ahead_of_real_time = [](const KernelClock& clock) {
    return clock.Now() - std::chrono::system_clock::now();
  };
  KernelClock clock(true);
  EXPECT_TRUE(clock.Movable());
  EXPECT_FALSE(KernelClock(false).Movable());
  EXPECT_LT(std::chrono::abs(ahead_of_real_time(clock)), 1s);
  clock.Advance(std::chrono::hours(24 * 180));
  EXPECT_GT(ahead_of_real_time(clock), std::chrono::hours(24 * 180) - 1s);
  EXPECT_LT(ahead_of_real_time(clock), std::chrono::hours(24 * 180) + 1s);
  clock.Advance(90min);
  EXPECT_GT(ahead_of_real_time(clock), std::chrono::hours(24 * 180) + 90min - 1s);
  EXPECT_LT(ahead_of_real_time(clock), std::chrono::hours(24 * 180) + 90min + 1s);
}

}  // namespace
}  // namespace karton::kernel
