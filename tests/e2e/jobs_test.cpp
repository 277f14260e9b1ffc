// Durable jobs and the test clock, against the real kartond.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "karton/chores/v1/chores_service.grpc.pb.h"
#include "karton/kernel/v1/job_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

using google::protobuf::util::TimeUtil;

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }

  std::unique_ptr<KartondProcess> Start(const TemporaryDirectory& data_dir,
                                        std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--database-url", conninfo_,
                                          "--data-dir",     data_dir.Path().string(),
                                          "--modules-dir",  TestModulesDirectory("jobs").string(),
                                          "--job-poll-ms",  "50"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    auto kartond = std::make_unique<KartondProcess>(arguments);
    EXPECT_TRUE(kartond->WaitUntilReady()) << kartond->Stderr();
    return kartond;
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    context->AddMetadata("authorization", "Bearer " + token_);
    return context;
  }

  std::vector<std::int64_t> Schedule(const KartondProcess& kartond, int count,
                                     const std::string& kind, std::chrono::seconds run_in,
                                     int max_attempts = 0, const std::string& recurrence = "") {
    auto chores = chores::v1::ChoresService::NewStub(
        grpc::CreateChannel(kartond.GrpcAddress(), grpc::InsecureChannelCredentials()));
    chores::v1::ScheduleChoresRequest request;
    request.set_count(count);
    request.set_kind(kind);
    *request.mutable_run_in() = TimeUtil::SecondsToDuration(run_in.count());
    request.set_max_attempts(max_attempts);
    request.set_recurrence(recurrence);
    chores::v1::ScheduleChoresResponse response;
    const grpc::Status status = chores->ScheduleChores(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.job_ids().begin(), response.job_ids().end()};
  }

  kernel::v1::AdvanceClockResponse Advance(const KartondProcess& kartond, std::chrono::seconds by) {
    auto stub = kernel::v1::KernelService::NewStub(
        grpc::CreateChannel(kartond.GrpcAddress(), grpc::InsecureChannelCredentials()));
    kernel::v1::AdvanceClockRequest request;
    *request.mutable_duration() = TimeUtil::SecondsToDuration(by.count());
    kernel::v1::AdvanceClockResponse response;
    const grpc::Status status = stub->AdvanceClock(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::string Runs() { return QueryScalar(conninfo_, "SELECT count(*) FROM chores.run"); }
  // The fixture's own jobs; the kernel schedules its own too (event retention).
  std::string ChoresJobs(const std::string& what) {
    return QueryScalar(conninfo_, "SELECT " + what + " FROM kernel.job WHERE module = 'chores'");
  }

  std::string conninfo_;
  std::string token_;
};

TEST_F(JobsTest, TwoServersRunEachOfAThousandJobsExactlyOnce) {
  TemporaryDirectory first_dir, second_dir;
  auto first = Start(first_dir);
  auto second = Start(second_dir);
  token_ = first->AdminToken();
  ASSERT_EQ(Schedule(*first, 1000, "record", std::chrono::seconds(0)).size(), 1000u);

  // Both servers' workers drain the queue; wait until every job is done.
  std::string done;
  for (int attempt = 0; attempt < 1200 && done != "1000"; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    done = QueryScalar(
        conninfo_, "SELECT count(*) FROM kernel.job WHERE module = 'chores' AND state = 'done'");
  }
  ASSERT_EQ(done, "1000");
  EXPECT_EQ(Runs(), "1000");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(DISTINCT job_id) FROM chores.run"), "1000");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM chores.run WHERE attempt <> 1"), "0");
}

TEST_F(JobsTest, AFailingJobIsRetriedWithBackoffThenDeadAndCanBeRetried) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir, {"--test-clock"});
  token_ = kartond->AdminToken();
  const auto ids = Schedule(*kartond, 1, "fail", std::chrono::seconds(0), 3);
  ASSERT_EQ(ids.size(), 1u);
  auto jobs = kernel::v1::JobService::NewStub(
      grpc::CreateChannel(kartond->GrpcAddress(), grpc::InsecureChannelCredentials()));

  kernel::v1::ListJobsRequest dead_jobs;
  dead_jobs.set_state(kernel::v1::JOB_STATE_DEAD);
  kernel::v1::ListJobsResponse listed;
  // Backoff is 1 s, then 2 s: a few hours of test time are plenty.
  for (int step = 0; step < 6; ++step) {
    Advance(*kartond, std::chrono::hours(1));
    listed.Clear();
    ASSERT_TRUE(jobs->ListJobs(Context().get(), dead_jobs, &listed).ok());
    if (listed.jobs_size() > 0) break;
  }
  ASSERT_EQ(listed.jobs_size(), 1);
  const auto& dead = listed.jobs(0);
  EXPECT_EQ(dead.id(), ids[0]);
  EXPECT_EQ(dead.module(), "chores");
  EXPECT_EQ(dead.attempts(), 3);
  EXPECT_EQ(dead.last_error(), "chore 0 always fails");
  EXPECT_TRUE(dead.has_finish_time());
  // It stays dead: no fourth attempt however far the clock moves.
  Advance(*kartond, std::chrono::hours(24));
  EXPECT_EQ(ChoresJobs("attempts"), "3");

  kernel::v1::RetryJobRequest retry;
  retry.set_id(ids[0]);
  kernel::v1::Job revived;
  ASSERT_TRUE(jobs->RetryJob(Context().get(), retry, &revived).ok());
  EXPECT_EQ(revived.state(), kernel::v1::JOB_STATE_SCHEDULED);
  EXPECT_EQ(revived.attempts(), 0);
  EXPECT_EQ(jobs->RetryJob(Context().get(), retry, &revived).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  retry.set_id(987654);
  EXPECT_EQ(jobs->RetryJob(Context().get(), retry, &revived).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(JobsTest, MovingTheTestClockRunsAJobSixMonthsAheadEvenAfterARestart) {
  TemporaryDirectory data_dir;
  {
    auto kartond = Start(data_dir, {"--test-clock"});
    token_ = kartond->AdminToken();
    Schedule(*kartond, 1, "record", std::chrono::hours(24 * 182));
    Advance(*kartond, std::chrono::hours(24 * 30));
    EXPECT_EQ(Runs(), "0");
    EXPECT_EQ(kartond->StopWith(SIGTERM), 0);
  }
  // A new process starts with the real time again; the job waited in the table.
  auto kartond = Start(data_dir, {"--test-clock"});
  Advance(*kartond, std::chrono::hours(24 * 100));
  EXPECT_EQ(Runs(), "0");
  // The kernel's hourly retention job runs too, so at least this one.
  EXPECT_GE(Advance(*kartond, std::chrono::hours(24 * 100)).jobs_run(), 1);
  EXPECT_EQ(Runs(), "1");
  EXPECT_EQ(ChoresJobs("state"), "done");
}

TEST_F(JobsTest, RecurringJobsRunOncePerPeriod) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir, {"--test-clock"});
  token_ = kartond->AdminToken();
  Schedule(*kartond, 1, "record", std::chrono::hours(1), 0, "every 3600s");
  Advance(*kartond, std::chrono::hours(1));
  Advance(*kartond, std::chrono::hours(1));
  EXPECT_EQ(Runs(), "2");
  EXPECT_EQ(ChoresJobs("state"), "scheduled");
}

TEST_F(JobsTest, BadSchedulesAndAClockThatMayNotMoveAreRefused) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir);
  token_ = kartond->AdminToken();
  auto chores = chores::v1::ChoresService::NewStub(
      grpc::CreateChannel(kartond->GrpcAddress(), grpc::InsecureChannelCredentials()));
  chores::v1::ScheduleChoresRequest request;
  request.set_count(1);
  request.set_kind("record");
  request.set_recurrence("every tuesday");
  chores::v1::ScheduleChoresResponse response;
  const grpc::Status bad = chores->ScheduleChores(Context().get(), request, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("every tuesday"), std::string::npos);
  request.set_recurrence("");
  request.set_kind("unknown");
  EXPECT_EQ(chores->ScheduleChores(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ChoresJobs("count(*)"), "0");

  auto stub = kernel::v1::KernelService::NewStub(
      grpc::CreateChannel(kartond->GrpcAddress(), grpc::InsecureChannelCredentials()));
  kernel::v1::AdvanceClockRequest advance;
  *advance.mutable_duration() = TimeUtil::SecondsToDuration(60);
  kernel::v1::AdvanceClockResponse moved;
  const grpc::Status refused = stub->AdvanceClock(Context().get(), advance, &moved);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("--test-clock"), std::string::npos);
}

}  // namespace
}  // namespace karton::testing
