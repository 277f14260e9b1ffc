// OpportunityServiceImpl's writes of an existing deal (UpdateOpportunity,
// MoveStage, MarkWon) built directly from what they use: crm's real SQL on a
// throwaway database, with a FakeModuleContext's clock, audit trail and
// event bus, and the teams served by an in-process fake of the kernel's
// IdentityService. Each is one transaction in few round trips, answers the
// deal as GetOpportunity reads it after, and leaves nothing behind when it
// refuses.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "activities/activity_service.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/service_parts.h"
#include "karton/kernel/transaction.h"
#include "module_database_test.h"
#include "pipeline/opportunity_repository.h"
#include "pipeline/opportunity_service.h"
#include "pipeline/pipeline_repository.h"
#include "round_trips.h"
#include "team_directory.h"
#include "testing/fake_identity_service.h"
#include "testing/service_calls.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

class OpportunityServiceTest : public karton::testing::ModuleDatabaseTest {
 protected:
  OpportunityServiceTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    anna_.user_id = NewUser("anna", "sales");
    anna_.roles = {"sales"};
    partner_ = InsertReturningId(
        "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
        "('organization', 'Pelda Kft.', now(), now()) RETURNING id");
    grpc::ServerBuilder builder;
    builder.RegisterService(&identity_);
    server_ = builder.BuildAndStart();
    context_.UseChannel(server_->InProcessChannel(grpc::ChannelArguments()));
    for (const char* topic :
         {"crm.opportunity.created", "crm.opportunity.updated", "crm.opportunity.stage_changed",
          "crm.opportunity.won", "crm.opportunity.lost"}) {
      context_.Events().DeclareTopic<v1::Opportunity>(topic);
    }
    context_.Events().DeclareTopic<v1::Activity>("crm.activity.created");
    const kernel::ServiceParts services = kernel::PartsOf(context_);
    teams_ = std::make_unique<TeamDirectory>(services.channel);
    activities_ = std::make_unique<ActivityServiceImpl>(services, *teams_);
    opportunities_ = std::make_unique<OpportunityServiceImpl>(services, *activities_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  v1::Pipeline NewPipeline(bool require_next_step) {
    v1::Pipeline pipeline;
    pipeline.set_name(require_next_step ? "Szigorú" : "Bolt");
    pipeline.set_require_next_step(require_next_step);
    for (const char* name : {"Érdeklődő", "Ajánlat", "Megnyert", "Elvesztett"}) {
      pipeline.add_stages()->set_name(name);
    }
    pipeline.mutable_stages(2)->set_won(true);
    pipeline.mutable_stages(3)->set_lost(true);
    auto lease = database_->Acquire();
    const auto id =
        pipeline_repository::Insert(lease.Session(), pipeline, "", context_.Time().Now());
    return *pipeline_repository::Find(lease.Session(), id, false);
  }

  // A new deal in the pipeline's first stage, owned by Anna.
  v1::Opportunity NewDeal(const v1::Pipeline& pipeline, const std::string& name) {
    v1::Opportunity opportunity;
    opportunity.set_name(name);
    opportunity.set_partner_id(partner_);
    opportunity.set_pipeline_id(pipeline.id());
    auto lease = database_->Acquire();
    kernel::Transaction transaction(lease.Session());
    v1::Opportunity stored;
    const auto status =
        OpenOpportunity(context_.Time(), context_.Audit(), context_.Events(), lease.Session(),
                        opportunity, "", anna_, "opportunity.", stored);
    EXPECT_TRUE(status.ok()) << status.error_message();
    transaction.Commit();
    return stored;
  }

  v1::Opportunity Read(std::int64_t id) {
    auto lease = database_->Acquire();
    return *opportunity_repository::Find(lease.Session(), id, Scope::Everything(), false);
  }

  grpc::Status Rename(const v1::Opportunity& deal, const std::string& name,
                      std::int64_t owner_user_id, v1::Opportunity& answer) {
    CallAs call(anna_.user_id, "sales");
    v1::UpdateOpportunityRequest request;
    *request.mutable_opportunity() = deal;
    request.mutable_opportunity()->set_name(name);
    request.mutable_opportunity()->set_owner_user_id(owner_user_id);
    request.mutable_update_mask()->add_paths("name");
    request.mutable_update_mask()->add_paths("owner_user_id");
    return opportunities_->UpdateOpportunity(&call.context, &request, &answer);
  }

  grpc::Status Move(const v1::Opportunity& deal, std::int64_t stage_id, v1::Opportunity& answer) {
    CallAs call(anna_.user_id, "sales");
    v1::MoveStageRequest request;
    request.set_id(deal.id());
    request.set_etag(deal.etag());
    request.set_stage_id(stage_id);
    return opportunities_->MoveStage(&call.context, &request, &answer);
  }

  grpc::Status Win(const v1::Opportunity& deal, v1::Opportunity& answer) {
    CallAs call(anna_.user_id, "sales");
    v1::MarkWonRequest request;
    request.set_id(deal.id());
    request.set_etag(deal.etag());
    return opportunities_->MarkWon(&call.context, &request, &answer);
  }

  FakeIdentityService identity_;  // no teams: the deals are Anna's own
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<TeamDirectory> teams_;
  std::unique_ptr<ActivityServiceImpl> activities_;
  std::unique_ptr<OpportunityServiceImpl> opportunities_;
  kernel::Caller anna_;
  std::int64_t partner_ = 0;
};

// Issue 14 item 4: BEGIN with the locked read, the UPDATE answering the deal,
// and the COMMIT with the audit entry and the event.
TEST_F(OpportunityServiceTest, AnUpdateIsThreeRoundTripsAndAnswersTheDealAsStored) {
  const auto pipeline = NewPipeline(false);
  v1::Opportunity warm;  // each statement's first use on a connection prepares it
  ASSERT_TRUE(Rename(NewDeal(pipeline, "Bemelegítés"), "Bemelegítve", anna_.user_id, warm).ok());

  const auto deal = NewDeal(pipeline, "Raktárbővítés");
  const auto audited = context_.RecordedAudit().Recorded().size();
  v1::Opportunity answer;
  const auto renamed = karton::testing::TraceRoundTrips(
      *database_, [&] { return Rename(deal, "Raktárbővítés II", anna_.user_id, answer); });
  ASSERT_TRUE(renamed.result.ok()) << renamed.result.error_message();
  EXPECT_EQ(renamed.round_trips, 3) << renamed.ends;
  EXPECT_EQ(answer.name(), "Raktárbővítés II");
  EXPECT_EQ(answer.etag(), "2");
  EXPECT_EQ(answer.SerializeAsString(), Read(deal.id()).SerializeAsString());
  ASSERT_EQ(context_.RecordedAudit().Recorded().size(), audited + 1);
  EXPECT_EQ(context_.RecordedAudit().Recorded().back().action, kernel::AuditAction::kUpdate);
  const auto events = context_.RecordedEvents().Published();
  const auto& event = events.back();
  EXPECT_EQ(event.topic, "crm.opportunity.updated");
  EXPECT_EQ(event.Payload<v1::Opportunity>().SerializeAsString(), answer.SerializeAsString());

  // An owner who is no user: refused by field, and nothing of it kept.
  v1::Opportunity refused;
  const auto status = Rename(answer, "Nincs ilyen", 987654, refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  const auto violations = kernel::FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations.front().field, "opportunity.owner_user_id");
  EXPECT_EQ(Read(deal.id()).SerializeAsString(), answer.SerializeAsString());
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), audited + 1);
}

// MoveStage and MarkWon: BEGIN with the locked read, the pipeline, the move
// with its history entry (one statement answering the moved deal), and the
// COMMIT with the audit entry and the event.
TEST_F(OpportunityServiceTest, AMoveAndAWinAreFourRoundTripsAndAnswerTheDealAsStored) {
  const auto pipeline = NewPipeline(false);
  v1::Opportunity warm;
  const auto warm_deal = NewDeal(pipeline, "Bemelegítés");
  ASSERT_TRUE(Move(warm_deal, pipeline.stages(1).id(), warm).ok());
  ASSERT_TRUE(Win(warm, warm).ok());

  const auto deal = NewDeal(pipeline, "Raktárbővítés");
  v1::Opportunity moved;
  const auto move = karton::testing::TraceRoundTrips(
      *database_, [&] { return Move(deal, pipeline.stages(1).id(), moved); });
  ASSERT_TRUE(move.result.ok()) << move.result.error_message();
  EXPECT_EQ(move.round_trips, 4) << move.ends;
  EXPECT_EQ(moved.stage_id(), pipeline.stages(1).id());
  EXPECT_EQ(moved.SerializeAsString(), Read(deal.id()).SerializeAsString());
  ASSERT_EQ(moved.stage_history_size(), 2);
  EXPECT_EQ(moved.stage_history(1).stage_name(), "Ajánlat");
  EXPECT_EQ(moved.stage_history(1).user_id(), anna_.user_id);
  EXPECT_EQ(context_.RecordedEvents().Published().back().topic, "crm.opportunity.stage_changed");

  v1::Opportunity won;
  const auto win = karton::testing::TraceRoundTrips(*database_, [&] { return Win(moved, won); });
  ASSERT_TRUE(win.result.ok()) << win.result.error_message();
  EXPECT_EQ(win.round_trips, 4) << win.ends;
  EXPECT_EQ(won.status(), v1::OPPORTUNITY_STATUS_WON);
  EXPECT_TRUE(won.has_close_time());
  EXPECT_EQ(won.SerializeAsString(), Read(deal.id()).SerializeAsString());
  EXPECT_EQ(won.stage_history_size(), 3);
  EXPECT_EQ(context_.RecordedEvents().Published().back().topic, "crm.opportunity.won");
}

// A pipeline that requires a next step refuses a move that leaves the deal
// without a planned activity, after the move was written in the
// transaction: the refusal rolls all of it back.
TEST_F(OpportunityServiceTest, AMoveRefusedForWantOfANextStepLeavesTheDealAsItWas) {
  const auto pipeline = NewPipeline(true);
  const auto deal = NewDeal(pipeline, "Raktárbővítés");
  const auto published = context_.RecordedEvents().Published().size();
  v1::Opportunity answer;
  const auto status = Move(deal, pipeline.stages(1).id(), answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  const auto violations = kernel::FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations.front().field, "next_activity");
  EXPECT_NE(status.error_message().find("moving it to 'Ajánlat'"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(Read(deal.id()).SerializeAsString(), deal.SerializeAsString());
  EXPECT_EQ(context_.RecordedEvents().Published().size(), published);
}

}  // namespace
}  // namespace karton::crm
