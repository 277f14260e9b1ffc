// Job retention against a real PostgreSQL: finished jobs past the
// retention period go, everything else stays.
#include <gtest/gtest.h>

#include "job_queue.h"
#include "karton/kernel/database.h"
#include "kernel_migrations.h"
#include "migrator.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::QueryScalar;
using testing::SharedPostgres;

class JobRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 2);
    Migrator(*database_).Apply({KernelMigrations()});
  }

  // A job of `state` that finished `days_ago` days ago (NULL: not finished).
  void InsertJob(const std::string& key, const std::string& state, int days_ago) {
    QueryScalar(conninfo_,
                "INSERT INTO kernel.job (module, kind, state, run_at, unique_key, create_time, "
                "finish_time) VALUES ('shop', 'mail', '" +
                    state + "', now(), '" + key + "', now() - interval '400 days', " +
                    (days_ago < 0 ? std::string("NULL")
                                  : "now() - interval '" + std::to_string(days_ago) + " days'") +
                    ")");
  }

  std::string Keys() {
    return QueryScalar(conninfo_,
                       "SELECT string_agg(unique_key, ',' ORDER BY unique_key) FROM kernel.job");
  }

  KernelClock clock_{false};
  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

TEST_F(JobRetentionTest, DeletesOnlyFinishedJobsPastRetention) {
  InsertJob("done-old", "done", 31);
  InsertJob("dead-old", "dead", 45);
  InsertJob("done-recent", "done", 29);
  InsertJob("dead-recent", "dead", 1);
  InsertJob("scheduled", "scheduled", -1);
  InsertJob("running", "running", -1);
  // More than one delete batch of old ones.
  QueryScalar(conninfo_,
              "INSERT INTO kernel.job (module, kind, state, run_at, create_time, finish_time) "
              "SELECT 'shop', 'mail', 'done', now(), now(), now() - interval '40 days' "
              "FROM generate_series(1, 10500)");

  JobQueue queue(*database_, clock_, JobQueueOptions{.retention_days = 30});
  EXPECT_EQ(queue.PurgeFinished(), 10502);
  EXPECT_EQ(Keys(), "dead-recent,done-recent,running,scheduled");
  EXPECT_EQ(queue.PurgeFinished(), 0);
}

TEST_F(JobRetentionTest, ZeroDaysKeepsEverything) {
  InsertJob("done-old", "done", 400);
  JobQueue queue(*database_, clock_, JobQueueOptions{.retention_days = 0});
  EXPECT_EQ(queue.PurgeFinished(), 0);
  EXPECT_EQ(Keys(), "done-old");
}

}  // namespace
}  // namespace karton::kernel
