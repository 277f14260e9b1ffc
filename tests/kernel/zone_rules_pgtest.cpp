// "daily HH:MM" in Europe/Budapest against PostgreSQL's zone rules: 07:00
// stays 07:00 local across both daylight-saving changes of 2026 (29 March,
// 25 October), and a time the spring change skips runs an hour later.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include "job_queue.h"
#include "karton/kernel/database.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::SharedPostgres;

// A UTC moment, 2026-MM-DD HH:MM.
TimePoint Utc(unsigned month, unsigned day, int hour, int minute) {
  const std::chrono::sys_days date =
      std::chrono::year(2026) / std::chrono::month(month) / std::chrono::day(day);
  return date + std::chrono::hours(hour) + std::chrono::minutes(minute);
}

class ZoneRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = std::make_unique<Database>(
        SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest()), 1);
  }
  std::unique_ptr<Database> database_;
};

TEST_F(ZoneRulesTest, DailyRunsAtTheSameBudapestTimeAcrossDaylightSavingChanges) {
  auto lease = database_->Acquire();
  const DatabaseZoneRules budapest(lease.Session(), "Europe/Budapest");
  // Saturday 28 March 07:00 CET is 06:00 UTC; Sunday 07:00 CEST is 05:00 UTC.
  EXPECT_EQ(NextOccurrence("daily 07:00", Utc(3, 28, 6, 0), Utc(3, 28, 6, 0), budapest),
            Utc(3, 29, 5, 0));
  // Autumn: Saturday 24 October 07:00 CEST is 05:00 UTC; Sunday's 07:00 CET
  // is 06:00 UTC, 25 hours later.
  EXPECT_EQ(NextOccurrence("daily 07:00", Utc(10, 24, 5, 0), Utc(10, 24, 5, 0), budapest),
            Utc(10, 25, 6, 0));
  // Before 07:00 local on the same day: today.
  EXPECT_EQ(NextOccurrence("daily 07:00", Utc(7, 1, 3, 0), Utc(7, 1, 3, 0), budapest),
            Utc(7, 1, 5, 0));
  // 23:30 UTC on 30 June is already 1 July in Budapest.
  EXPECT_EQ(budapest.LocalDay(Utc(6, 30, 23, 30)),
            std::chrono::sys_days(std::chrono::year(2026) / 7 / 1));
  // 02:30 does not exist on 29 March (02:00 -> 03:00): 03:30 CEST, 01:30 UTC.
  EXPECT_EQ(NextOccurrence("daily 02:30", Utc(3, 28, 12, 0), Utc(3, 28, 12, 0), budapest),
            Utc(3, 29, 1, 30));
}

}  // namespace
}  // namespace karton::kernel
