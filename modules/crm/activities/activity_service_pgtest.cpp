// ActivityServiceImpl built directly from what it uses: crm's real SQL on a
// throwaway database, with a FakeModuleContext's clock, audit trail, event
// bus and job queue, and the team directory it checks scopes with, the
// teams served by an in-process fake of the kernel's IdentityService. A
// created activity is stored, audited, published and reminded of once, in
// few round trips.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "activities/activity_repository.h"
#include "activities/activity_service.h"
#include "karton/kernel/service_parts.h"
#include "module_database_test.h"
#include "round_trips.h"
#include "team_directory.h"
#include "testing/fake_identity_service.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

class ActivityServiceTest : public karton::testing::ModuleDatabaseTest {
 protected:
  ActivityServiceTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    anna_ = NewUser("anna", "sales");
    grpc::ServerBuilder builder;
    builder.RegisterService(&identity_);
    server_ = builder.BuildAndStart();
    context_.UseChannel(server_->InProcessChannel(grpc::ChannelArguments()));
    context_.Events().DeclareTopic<v1::Activity>("crm.activity.created");
    const kernel::ServiceParts services = kernel::PartsOf(context_);
    teams_ = std::make_unique<TeamDirectory>(services.channel);
    activities_ = std::make_unique<ActivityServiceImpl>(services, *teams_);
    // As CrmModule::Register: a reminder needs its handler.
    context_.JobQueue().Handle(kReminderJob, [](const kernel::JobRun&) {});
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  grpc::Status Create(const std::string& request_id, v1::Activity& created) {
    grpc::ServerContext context;
    grpc::testing::ServerContextTestSpouse spouse(&context);
    spouse.AddClientMetadata("karton-caller", std::to_string(anna_) + ";sales;;0");
    v1::CreateActivityRequest request;
    auto* activity = request.mutable_activity();
    activity->set_type(v1::ACTIVITY_TYPE_CALL);
    activity->set_subject("Visszahívás az ajánlatról");
    // Tomorrow at ten, with a reminder a quarter of an hour before.
    *activity->mutable_start_time() =
        google::protobuf::util::TimeUtil::SecondsToTimestamp(1'780'000'000 + 24 * 3600);
    activity->mutable_duration()->set_seconds(1800);
    activity->add_reminders()->set_seconds(900);
    request.set_request_id(request_id);
    return activities_->CreateActivity(&context, &request, &created);
  }

  FakeIdentityService identity_;  // no teams: the activity is the caller's own
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<TeamDirectory> teams_;
  std::unique_ptr<ActivityServiceImpl> activities_;
  std::int64_t anna_ = 0;
};

// Issue 14 item 4: a create commits once, in few round trips. CreateActivity
// runs in a kernel::Transaction: BEGIN with the INSERT, the activity read
// back (with its invitees), and the COMMIT with the audit entry and the
// event. (Its reminder goes to the fake's job queue here; in kartond a job
// with a unique key is inserted at once, one round trip more.) A repeat
// answers the first activity and schedules nothing more.
TEST_F(ActivityServiceTest, ACreateIsThreeRoundTripsAndARepeatAnswersTheFirst) {
  context_.Clock().Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000)));
  // Each statement's first use on a connection prepares it: warm up first.
  v1::Activity warm;
  const auto warmed = Create("warm-up", warm);
  ASSERT_TRUE(warmed.ok()) << warmed.error_message();

  v1::Activity created;
  {
    karton::testing::PoolRoundTrips trips(*database_);
    const auto status = Create("call-1", created);
    const std::string ends = trips.Stop();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 3) << ends;
  }
  EXPECT_EQ(created.assigned_user_id(), anna_);
  EXPECT_EQ(created.status(), v1::ACTIVITY_STATUS_PLANNED);
  const auto audited = context_.RecordedAudit().Recorded().size();
  const auto published = context_.RecordedEvents().Published().size();
  const auto jobs = context_.RecordedJobs().Scheduled().size();
  EXPECT_EQ(jobs, 2u);  // the warm-up's reminder and this one's

  v1::Activity again;
  ASSERT_TRUE(Create("call-1", again).ok());
  EXPECT_EQ(again.id(), created.id());
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), audited);
  EXPECT_EQ(context_.RecordedEvents().Published().size(), published);
  EXPECT_EQ(context_.RecordedJobs().Scheduled().size(), jobs);
}

}  // namespace
}  // namespace karton::crm
