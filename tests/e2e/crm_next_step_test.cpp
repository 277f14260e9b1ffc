// "No opportunity without a next step" (C8), enforced: in a pipeline with
// require_next_step, a stage move or a completed (or cancelled) activity
// that would leave an open deal without a planned activity is refused with
// FAILED_PRECONDITION naming next_activity, writes nothing, and succeeds
// when the request brings the next activity along, which is created in the
// same transaction and linked to the deal.
#include <gtest/gtest.h>

#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/errors.h"

namespace karton::testing {
namespace {

// The field a refusal names (its first violation), "" without one.
std::string FieldOf(const grpc::Status& status) {
  const auto violations = kernel::FieldViolationsOf(status);
  return violations.empty() ? "" : violations.front().field;
}

cv1::Activity NextTask(const std::string& subject) {
  cv1::Activity task;
  task.set_type(cv1::ACTIVITY_TYPE_TASK);
  task.set_subject(subject);
  task.mutable_due_time()->set_seconds(std::time(nullptr) + 86400);
  return task;
}

TEST_F(CrmTest, APipelineThatRequiresANextStepNeverLeavesAnOpenDealWithoutOne) {
  Start();
  auto activities = cv1::ActivityService::NewStub(channel_);
  cv1::CreatePipelineRequest create_pipeline;
  auto* pipeline = create_pipeline.mutable_pipeline();
  pipeline->set_name("Kötelező következő lépés");
  pipeline->set_require_next_step(true);
  for (const char* name : {"Új", "Ajánlat", "Tárgyalás"}) {
    auto* stage = pipeline->add_stages();
    stage->set_name(name);
    stage->set_probability(40);
  }
  pipeline->add_stages()->set_name("Nyert");
  pipeline->mutable_stages(3)->set_won(true);
  pipeline->add_stages()->set_name("Elveszett");
  pipeline->mutable_stages(4)->set_lost(true);
  cv1::Pipeline created_pipeline;
  ASSERT_TRUE(pipelines_->CreatePipeline(As().get(), create_pipeline, &created_pipeline).ok());
  EXPECT_TRUE(created_pipeline.require_next_step());
  const auto offer = created_pipeline.stages(1).id();
  const auto negotiation = created_pipeline.stages(2).id();

  cv1::Opportunity deal = NewDeal("", "Raktárrendszer");
  ASSERT_EQ(deal.pipeline_id(), created_pipeline.id());
  auto planned = [&] {
    return QueryScalar(conninfo_,
                       "SELECT count(*) FROM crm.activity WHERE status = 'planned' AND "
                       "opportunity_id = " +
                           std::to_string(deal.id()));
  };

  // 1. A move with no next step is refused and changes nothing.
  cv1::MoveStageRequest move;
  move.set_id(deal.id());
  move.set_etag(deal.etag());
  move.set_stage_id(offer);
  cv1::Opportunity moved;
  const auto refused = opportunities_->MoveStage(As().get(), move, &moved);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_EQ(FieldOf(refused), "next_activity");
  EXPECT_NE(refused.error_message().find("Ajánlat"), std::string::npos) << refused.error_message();
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT stage_id FROM crm.opportunity WHERE id = " +
                                       std::to_string(deal.id())),
            std::to_string(created_pipeline.stages(0).id()));

  // 2. A next step with a bad field is refused naming it, nothing written.
  cv1::Activity nameless = NextTask("");
  *move.mutable_next_activity() = nameless;
  const auto bad = opportunities_->MoveStage(As().get(), move, &moved);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(bad), "next_activity.subject") << bad.error_message();
  EXPECT_EQ(planned(), "0");

  // 3. With the next step in the same request: moved, and the task exists,
  // linked to the deal and to its partner.
  *move.mutable_next_activity() = NextTask("Ajánlat elküldése");
  const auto accepted = opportunities_->MoveStage(As().get(), move, &moved);
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(moved.stage_id(), offer);
  EXPECT_EQ(planned(), "1");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT partner_id FROM crm.activity WHERE opportunity_id = " +
                                       std::to_string(deal.id())),
            std::to_string(deal.partner_id()));

  // 4. While one is planned, moves need nothing more.
  cv1::MoveStageRequest onwards;
  onwards.set_id(deal.id());
  onwards.set_etag(moved.etag());
  onwards.set_stage_id(negotiation);
  const auto second_move = opportunities_->MoveStage(As().get(), onwards, &moved);
  ASSERT_TRUE(second_move.ok()) << second_move.error_message();

  // 5. Completing the last planned activity needs the next one...
  cv1::ListActivitiesRequest list;
  list.set_opportunity_id(deal.id());
  list.set_status(cv1::ACTIVITY_STATUS_PLANNED);
  cv1::ListActivitiesResponse listed;
  ASSERT_TRUE(activities->ListActivities(As().get(), list, &listed).ok());
  ASSERT_EQ(listed.activities_size(), 1);
  const cv1::Activity task = listed.activities(0);
  cv1::CompleteActivityRequest complete;
  complete.set_id(task.id());
  complete.set_etag(task.etag());
  complete.set_outcome("Elküldve, jövő héten dönt");
  cv1::Activity completed;
  const auto lonely = activities->CompleteActivity(As().get(), complete, &completed);
  EXPECT_EQ(lonely.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << lonely.error_message();
  EXPECT_EQ(FieldOf(lonely), "next_activity");
  EXPECT_EQ(planned(), "1");
  // ...and so does cancelling it.
  cv1::CancelActivityRequest cancel;
  cancel.set_id(task.id());
  cancel.set_etag(task.etag());
  cancel.set_reason("mégsem");
  EXPECT_EQ(activities->CancelActivity(As().get(), cancel, &completed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // 6. Completed with the next step: it inherits the deal.
  cv1::Activity call;
  call.set_type(cv1::ACTIVITY_TYPE_CALL);
  call.set_subject("Visszahívás a döntésről");
  call.mutable_start_time()->set_seconds(std::time(nullptr) + 7 * 86400);
  call.mutable_duration()->set_seconds(900);
  *complete.mutable_next_activity() = call;
  const auto done = activities->CompleteActivity(As().get(), complete, &completed);
  ASSERT_TRUE(done.ok()) << done.error_message();
  EXPECT_EQ(completed.status(), cv1::ACTIVITY_STATUS_DONE);
  EXPECT_EQ(planned(), "1");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT subject FROM crm.activity WHERE status = 'planned' AND "
                        "opportunity_id = " +
                            std::to_string(deal.id())),
            "Visszahívás a döntésről");

  // 7. A closed deal needs no next step: won with the call still open, and
  // the call may then be cancelled.
  cv1::MarkWonRequest win;
  win.set_id(deal.id());
  win.set_etag(moved.etag());
  cv1::Opportunity won;
  const auto marked = opportunities_->MarkWon(As().get(), win, &won);
  ASSERT_TRUE(marked.ok()) << marked.error_message();
  ASSERT_TRUE(activities->ListActivities(As().get(), list, &listed).ok());
  ASSERT_EQ(listed.activities_size(), 1);
  cancel.set_id(listed.activities(0).id());
  cancel.set_etag(listed.activities(0).etag());
  const auto cancelled = activities->CancelActivity(As().get(), cancel, &completed);
  EXPECT_TRUE(cancelled.ok()) << cancelled.error_message();
}

TEST_F(CrmTest, WithoutTheRequirementMovesAndCompletionsNeedNoNextStep) {
  Start();
  NewSalesPipeline({"Új", "Ajánlat"});
  cv1::Opportunity deal = NewDeal("", "Irodabútor");
  cv1::ListPipelinesResponse pipelines;
  ASSERT_TRUE(pipelines_->ListPipelines(As().get(), {}, &pipelines).ok());
  EXPECT_FALSE(pipelines.pipelines(0).require_next_step());
  cv1::MoveStageRequest move;
  move.set_id(deal.id());
  move.set_etag(deal.etag());
  move.set_stage_id(pipelines.pipelines(0).stages(1).id());
  cv1::Opportunity moved;
  const auto status = opportunities_->MoveStage(As().get(), move, &moved);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace karton::testing
