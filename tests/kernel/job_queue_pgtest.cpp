// The job queue's workers against a real PostgreSQL: while jobs wait, a
// worker commits how one job went in the same transaction that claims the
// next, so a busy queue costs one commit per job for its own bookkeeping.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "job_queue.h"
#include "karton/kernel/database.h"
#include "karton/kernel/transaction.h"
#include "kernel_migrations.h"
#include "migrator.h"
#include "round_trips.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::QueryScalar;
using testing::SharedPostgres;

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 4);
    Migrator(*database_).Apply({KernelMigrations()});
  }

  // Waits (without a timed assertion: a slow machine only waits longer)
  // until `sql` answers `wanted`, or gives up after a minute.
  bool WaitFor(const std::string& sql, const std::string& wanted) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (std::chrono::steady_clock::now() < give_up) {
      if (QueryScalar(conninfo_, sql) == wanted) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  KernelClock clock_{false};
  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

TEST_F(JobQueueTest, AWorkerCommitsEachOutcomeWithTheClaimOfTheNextJob) {
  // Three due jobs, and one worker to run them in order.
  QueryScalar(conninfo_,
              "INSERT INTO kernel.job (module, kind, payload, run_at, create_time) "
              "SELECT 'shop', 'mail', n::text, now() - interval '1 minute' + n * interval '1 s', "
              "now() FROM generate_series(1, 3) AS n");
  JobQueue queue(*database_, clock_,
                 JobQueueOptions{.workers = 1, .poll_interval = std::chrono::milliseconds(50)});
  std::mutex mutex;
  std::map<std::string, std::string> claimed_in;  // payload -> xmin of its claimed row
  std::map<std::string, int> runs;
  queue.ForModule("shop")->Handle("mail", [&](const JobRun& run) {
    const std::string xmin = QueryScalar(
        conninfo_, "SELECT xmin::text FROM kernel.job WHERE id = " + std::to_string(run.id));
    std::lock_guard lock(mutex);
    claimed_in[run.payload] = xmin;
    ++runs[run.payload];
  });
  queue.Start();
  ASSERT_TRUE(WaitFor("SELECT count(*) FROM kernel.job WHERE state = 'done'", "3"));
  queue.Stop();

  EXPECT_EQ(runs, (std::map<std::string, int>{{"1", 1}, {"2", 1}, {"3", 1}}));
  // Job 1 was marked done by the transaction that claimed job 2, and job
  // 2 by the one that claimed job 3.
  const auto finished_in = [&](const char* payload) {
    return QueryScalar(
        conninfo_,
        std::string("SELECT xmin::text FROM kernel.job WHERE payload = '") + payload + "'");
  };
  EXPECT_EQ(finished_in("1"), claimed_in["2"]);
  EXPECT_EQ(finished_in("2"), claimed_in["3"]);
  EXPECT_NE(finished_in("3"), claimed_in["3"]);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM kernel.job WHERE claimed_by IS NOT NULL"),
            "0");
}

// An idle worker waits for the poll interval (an hour here) unless a job is
// scheduled: then it runs at once, after the scheduling transaction
// commits, whether that is a kernel::Transaction or none.
TEST_F(JobQueueTest, AScheduledJobWakesAnIdleWorkerAfterItsCommit) {
  JobQueue queue(*database_, clock_,
                 JobQueueOptions{.workers = 1, .poll_interval = std::chrono::hours(1)});
  auto jobs = queue.ForModule("shop");
  std::atomic<int> runs{0};
  jobs->Handle("mail", [&](const JobRun&) { ++runs; });
  const auto mail = [](const char* payload) {
    JobSpec spec;
    spec.kind = "mail";
    spec.payload = payload;
    return spec;
  };
  queue.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the worker goes idle
  const std::string done = "SELECT count(*) FROM kernel.job WHERE state = 'done'";
  {
    auto lease = database_->Acquire();
    Transaction transaction(lease.Session());
    jobs->Schedule(lease.Session(), mail("in a transaction"));
    // Woken now, the worker would find nothing committed and sleep an hour.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(runs.load(), 0);
    transaction.Commit();
  }
  EXPECT_TRUE(WaitFor(done, "1")) << "the commit did not wake the idle worker";
  {
    auto lease = database_->Acquire();
    jobs->Schedule(lease.Session(), mail("on its own"));
  }
  EXPECT_TRUE(WaitFor(done, "2")) << "a job scheduled outside a transaction waited for the poll";
  {
    auto lease = database_->Acquire();
    Transaction rolled_back(lease.Session());
    jobs->Schedule(lease.Session(), mail("never committed"));
  }
  queue.Stop();
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM kernel.job"), "2");
}

// Inside a kernel::Transaction a job without a unique key knows its id from
// a block taken ahead, and its INSERT goes with the COMMIT: scheduling costs
// no round trip of its own once a block is there.
TEST_F(JobQueueTest, AJobScheduledInATransactionGoesWithTheCommitUnderTheIdItWasGiven) {
  JobQueue queue(*database_, clock_, JobQueueOptions{.workers = 1});  // not started
  auto jobs = queue.ForModule("shop");
  jobs->Handle("mail", [](const JobRun&) {});
  const auto mail = [](const char* payload, const char* unique_key = "") {
    JobSpec spec;
    spec.kind = "mail";
    spec.payload = payload;
    spec.unique_key = unique_key;
    return spec;
  };
  const auto round_trips = testing::CountRoundTrips;
  auto lease = database_->Acquire();
  std::int64_t first = 0, second = 0, third = 0;
  {
    testing::RoundTrips trips(lease.RawConnection());
    Transaction transaction(lease.Session());
    first = jobs->Schedule(lease.Session(), mail("a"));  // BEGIN with the block of ids
    second = jobs->Schedule(lease.Session(), mail("b"));
    EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM kernel.job"), "0");
    transaction.Commit();  // both INSERTs and COMMIT
    const std::string ends = trips.Stop();
    EXPECT_EQ(round_trips(ends), 2) << ends;
  }
  {
    Transaction rolled_back(lease.Session());
    jobs->Schedule(lease.Session(), mail("never committed"));
  }
  {
    testing::RoundTrips trips(lease.RawConnection());
    Transaction transaction(lease.Session());
    third = jobs->Schedule(lease.Session(), mail("c"));
    transaction.Commit();  // BEGIN, the INSERT and COMMIT
    const std::string ends = trips.Stop();
    EXPECT_EQ(round_trips(ends), 1) << ends;
  }
  EXPECT_LT(first, second);
  EXPECT_LT(second + 1, third);  // the rolled-back job's id is not used again
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT string_agg(id || ':' || payload || ':' || state, ',' ORDER BY id) "
                        "FROM kernel.job"),
            fmt::format("{}:a:scheduled,{}:b:scheduled,{}:c:scheduled", first, second, third));

  // A unique key is looked up at once: the same key answers the first id.
  std::int64_t keyed = 0;
  {
    Transaction transaction(lease.Session());
    keyed = jobs->Schedule(lease.Session(), mail("d", "order-7"));
    transaction.Commit();
  }
  {
    Transaction transaction(lease.Session());
    EXPECT_EQ(jobs->Schedule(lease.Session(), mail("d again", "order-7")), keyed);
    transaction.Commit();
  }
  // Outside a kernel::Transaction the INSERT runs at once.
  const std::int64_t alone = jobs->Schedule(lease.Session(), mail("e"));
  EXPECT_EQ(
      QueryScalar(conninfo_, "SELECT payload FROM kernel.job WHERE id = " + std::to_string(alone)),
      "e");
}

TEST_F(JobQueueTest, ARestartedNodeTakesBackItsOwnClaimsAtOnceAndLeavesOthersAlone) {
  // Two jobs left running with an hour of lease: one by this node before
  // it crashed, one by another kartond that is still alive.
  QueryScalar(conninfo_,
              "INSERT INTO kernel.job (module, kind, payload, run_at, create_time, state, "
              "attempts, claimed_by, claim_until) VALUES "
              "('shop', 'mail', 'mine', now() - interval '1 minute', now(), 'running', 1, "
              "'host-a:0123456789abcdef', now() + interval '1 hour'), "
              "('shop', 'mail', 'theirs', now() - interval '1 minute', now(), 'running', 1, "
              "'host-b:fedcba9876543210', now() + interval '1 hour')");
  JobQueue queue(*database_, clock_,
                 JobQueueOptions{.workers = 1,
                                 .poll_interval = std::chrono::milliseconds(50),
                                 .node_id = "host-a:0123456789abcdef"});
  std::mutex mutex;
  std::vector<std::string> ran;
  queue.ForModule("shop")->Handle("mail", [&](const JobRun& run) {
    std::lock_guard lock(mutex);
    ran.push_back(run.payload);
  });
  queue.Start();
  // Its own job runs again without waiting for the hour (its second
  // attempt); the other node's stays claimed by that node.
  ASSERT_TRUE(
      WaitFor("SELECT state || ' ' || attempts FROM kernel.job WHERE payload = 'mine'", "done 2"));
  queue.Stop();
  EXPECT_EQ(ran, std::vector<std::string>{"mine"});
  EXPECT_EQ(
      QueryScalar(conninfo_,
                  "SELECT state || ' ' || claimed_by FROM kernel.job WHERE payload = 'theirs'"),
      "running host-b:fedcba9876543210");
}

TEST_F(JobQueueTest, AFailedJobIsRetriedLaterAndTheNextOneStillRuns) {
  QueryScalar(conninfo_,
              "INSERT INTO kernel.job (module, kind, payload, run_at, max_attempts, create_time) "
              "SELECT 'shop', 'mail', n::text, now() - interval '1 minute' + n * interval '1 s', "
              "3, now() FROM generate_series(1, 2) AS n");
  JobQueue queue(*database_, clock_,
                 JobQueueOptions{.workers = 1, .poll_interval = std::chrono::milliseconds(50)});
  queue.ForModule("shop")->Handle("mail", [&](const JobRun& run) {
    if (run.payload == "1") throw std::runtime_error("the mail server said 451");
  });
  queue.Start();
  ASSERT_TRUE(WaitFor("SELECT state FROM kernel.job WHERE payload = '2'", "done"));
  queue.Stop();
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT state || ' ' || attempts || ' ' || last_error "
                        "FROM kernel.job WHERE payload = '1'"),
            "scheduled 1 the mail server said 451");
}

TEST_F(JobQueueTest, ABatchHandlerGetsItsDueJobsTogetherAndFailsOnlyTheRunsItNames) {
  QueryScalar(conninfo_,
              "INSERT INTO kernel.job (module, kind, payload, run_at, max_attempts, create_time) "
              "SELECT 'shop', 'mail', n::text, now() - interval '1 minute' + n * interval '1 s', "
              "3, now() FROM generate_series(1, 5) AS n");
  JobQueue queue(*database_, clock_,
                 JobQueueOptions{.workers = 1, .poll_interval = std::chrono::milliseconds(50)});
  std::mutex mutex;
  std::vector<std::vector<std::string>> batches;  // the payloads of each call
  std::vector<std::string> claim_transactions;    // distinct xmins of each call's rows
  queue.ForModule("shop")->HandleBatch(
      "mail", 3, [&](const std::vector<JobRun>& runs, std::vector<std::string>& failures) {
        std::vector<std::string> payloads;
        std::string ids;
        for (std::size_t i = 0; i < runs.size(); ++i) {
          payloads.push_back(runs[i].payload);
          ids += (i ? "," : "") + std::to_string(runs[i].id);
          if (runs[i].payload == "2" && runs[i].attempt == 1) failures[i] = "451 try later";
        }
        const std::string xmins = QueryScalar(
            conninfo_,
            "SELECT count(DISTINCT xmin::text) FROM kernel.job WHERE id IN (" + ids + ")");
        std::lock_guard lock(mutex);
        batches.push_back(payloads);
        claim_transactions.push_back(xmins);
      });
  queue.Start();
  ASSERT_TRUE(
      WaitFor("SELECT string_agg(payload || ':' || state, ',' ORDER BY payload) "
              "FROM kernel.job",
              "1:done,2:scheduled,3:done,4:done,5:done"));
  queue.Stop();
  ASSERT_GE(batches.size(), 2u);
  // The oldest three together, then the other two; each batch claimed in
  // one transaction.
  EXPECT_EQ(batches[0], (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(batches[1], (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(claim_transactions[0], "1");
  EXPECT_EQ(claim_transactions[1], "1");
  // The run the handler named failed alone, kept for a retry with its error.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT attempts || ' ' || last_error FROM kernel.job "
                        "WHERE payload = '2'"),
            "1 451 try later");
  // The others finished together (one statement a batch), each as done.
  EXPECT_EQ(
      QueryScalar(conninfo_,
                  "SELECT count(*) FROM kernel.job WHERE state = 'done' AND finish_time IS "
                  "NOT NULL AND claimed_by IS NULL AND claim_until IS NULL AND last_error = ''"),
      "4");
}

}  // namespace
}  // namespace karton::kernel
