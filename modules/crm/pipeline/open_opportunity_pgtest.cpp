// OpenOpportunity (opportunity_service.h) on a throwaway database with a
// FakeModuleContext: its defaults (first pipeline, first open stage, the
// caller as owner), the audit entry and event, and the field it names when
// it refuses.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <memory>
#include <string>
#include <vector>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "karton/kernel/transaction.h"
#include "module_database_test.h"
#include "pipeline/opportunity_repository.h"
#include "pipeline/opportunity_service.h"
#include "pipeline/pipeline_repository.h"
#include "round_trips.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

class OpenOpportunityTest : public karton::testing::ModuleDatabaseTest {
 protected:
  OpenOpportunityTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    context_.RecordedEvents().DeclareTopic("crm.opportunity.created",
                                           std::string(v1::Opportunity::descriptor()->full_name()));
    anna_.user_id = NewUser("anna", "sales");
    anna_.roles = {"sales"};
    partner_ = InsertReturningId(
        "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
        "('organization', 'Pelda Kft.', now(), now()) RETURNING id");
  }

  // A pipeline whose stages are given as "name", "name:won" or "name:lost".
  v1::Pipeline NewPipeline(const std::string& name, const std::vector<std::string>& stages) {
    v1::Pipeline pipeline;
    pipeline.set_name(name);
    for (const auto& text : stages) {
      auto* stage = pipeline.add_stages();
      const auto colon = text.find(':');
      stage->set_name(text.substr(0, colon));
      stage->set_won(colon != std::string::npos && text.substr(colon + 1) == "won");
      stage->set_lost(colon != std::string::npos && text.substr(colon + 1) == "lost");
    }
    auto lease = database_->Acquire();
    const auto id =
        pipeline_repository::Insert(lease.Session(), pipeline, "", context_.Time().Now());
    return *pipeline_repository::Find(lease.Session(), id, false);
  }

  v1::Opportunity Deal() const {
    v1::Opportunity opportunity;
    opportunity.set_name("  Raktárbővítés ");
    opportunity.set_partner_id(partner_);
    return opportunity;
  }

  // Runs OpenOpportunity in a transaction that commits only when it succeeds.
  grpc::Status Open(const v1::Opportunity& opportunity, v1::Opportunity& stored,
                    const std::string& request_id = "") {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    auto status =
        OpenOpportunity(context_.Time(), context_.Audit(), context_.Events(), lease.Session(),
                        opportunity, request_id, anna_, "opportunity.", stored);
    if (status.ok()) transaction.commit();
    return status;
  }

  // The one field a refusal names ("" when it names none).
  std::string RefusedField(const v1::Opportunity& opportunity) {
    v1::Opportunity stored;
    const auto status = Open(opportunity, stored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    const auto violations = kernel::FieldViolationsOf(status);
    return violations.size() == 1 ? violations.front().field : "";
  }

  kernel::Caller anna_;
  std::int64_t partner_ = 0;
};

TEST_F(OpenOpportunityTest, ItOpensInTheFirstPipelinesFirstOpenStageOwnedByTheCaller) {
  const auto first =
      NewPipeline("Bolt", {"Elvesztett:lost", "Megnyert:won", "Érdeklődő", "Ajánlat"});
  NewPipeline("Nagyker", {"Új", "Megnyert:won", "Elvesztett:lost"});
  v1::Opportunity stored;
  const auto status = Open(Deal(), stored, "open-1");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stored.name(), "Raktárbővítés");
  EXPECT_EQ(stored.pipeline_id(), first.id());
  EXPECT_EQ(stored.stage_id(), first.stages(2).id());
  EXPECT_EQ(stored.owner_user_id(), anna_.user_id);
  EXPECT_EQ(stored.status(), v1::OPPORTUNITY_STATUS_OPEN);

  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited.at(0).action, kernel::AuditAction::kCreate);
  EXPECT_EQ(audited.at(0).resource_type, "crm.opportunity");
  EXPECT_EQ(audited.at(0).resource_id, stored.id());
  std::vector<std::string> changed;
  for (const auto& change : audited.at(0).changes) changed.push_back(change.field);
  EXPECT_EQ(changed, (std::vector<std::string>{"name", "partner_id", "stage_id"}));
  const auto events = context_.RecordedEvents().Published();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.at(0).topic, "crm.opportunity.created");
  EXPECT_EQ(events.at(0).aggregate_id, stored.id());
  EXPECT_EQ(events.at(0).Payload<v1::Opportunity>().stage_id(), first.stages(2).id());

  // The same request again: the same deal, no second entry or event.
  v1::Opportunity again;
  ASSERT_TRUE(Open(Deal(), again, "open-1").ok());
  EXPECT_EQ(again.id(), stored.id());
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), 1u);
  EXPECT_EQ(context_.RecordedEvents().Published().size(), 1u);
}

// Issue 14 item 4: a create commits once, in few round trips. In a
// kernel::Transaction, as CreateOpportunity runs it: BEGIN with the
// pipeline's read, the INSERT (the deal, its first stage history entry, the
// stored deal as the answer), and the COMMIT with the audit entry and the
// event. The answer is what GetOpportunity reads; a repeat answers the
// first deal with its history as it is by then.
TEST_F(OpenOpportunityTest, ItOpensInThreeRoundTripsAndAnswersTheDealAsStored) {
  const auto pipeline =
      NewPipeline("Bolt", {"Érdeklődő", "Ajánlat", "Megnyert:won", "Elvesztett:lost"});
  const auto open = [&](const std::string& request_id, v1::Opportunity& stored) {
    auto lease = database_->Acquire();
    kernel::Transaction transaction(lease.Session());
    auto status =
        OpenOpportunity(context_.Time(), context_.Audit(), context_.Events(), lease.Session(),
                        Deal(), request_id, anna_, "opportunity.", stored);
    if (status.ok()) transaction.Commit();
    return status;
  };
  // Each statement's first use on a connection prepares it: warm up first.
  v1::Opportunity warm;
  ASSERT_TRUE(open("warm-up", warm).ok());

  v1::Opportunity stored;
  {
    karton::testing::PoolRoundTrips trips(*database_);
    const auto status = open("deal-3", stored);
    const std::string ends = trips.Stop();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 3) << ends;
  }
  const auto read = [&](std::int64_t id) {
    auto lease = database_->Acquire();
    return *opportunity_repository::Find(lease.Session(), id, Scope::Everything(), false);
  };
  EXPECT_EQ(stored.SerializeAsString(), read(stored.id()).SerializeAsString());
  ASSERT_EQ(stored.stage_history_size(), 1);
  EXPECT_EQ(stored.stage_history(0).stage_id(), pipeline.stages(0).id());
  EXPECT_EQ(stored.stage_history(0).stage_name(), "Érdeklődő");
  EXPECT_EQ(stored.stage_history(0).user_id(), anna_.user_id);

  // The deal moves on; its repeat answers it as it is now.
  {
    auto lease = database_->Acquire();
    opportunity_repository::SetStage(lease.Session(), stored.id(), pipeline.stages(1).id(), "open",
                                     "", anna_.user_id, context_.Time().Now());
  }
  v1::Opportunity again;
  ASSERT_TRUE(open("deal-3", again).ok());
  EXPECT_EQ(again.SerializeAsString(), read(stored.id()).SerializeAsString());
  EXPECT_EQ(again.stage_history_size(), 2);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_,
                                         "SELECT count(*) FROM crm.opportunity_stage_change WHERE "
                                         "opportunity_id = " +
                                             std::to_string(stored.id())),
            "2");
}

TEST_F(OpenOpportunityTest, EachRefusalNamesItsFieldAndStoresNothing) {
  const auto shop = NewPipeline("Bolt", {"Új", "Megnyert:won", "Elvesztett:lost"});
  const auto other = NewPipeline("Nagyker", {"Új", "Megnyert:won", "Elvesztett:lost"});
  auto deal = Deal();
  deal.set_name(" ");
  EXPECT_EQ(RefusedField(deal), "opportunity.name");
  deal = Deal();
  deal.mutable_expected_revenue()->set_currency_code("huf");
  EXPECT_EQ(RefusedField(deal), "opportunity.expected_revenue.currency_code");
  deal.mutable_expected_revenue()->set_currency_code("HUF");
  deal.mutable_expected_revenue()->set_minor_units(-1);
  EXPECT_EQ(RefusedField(deal), "opportunity.expected_revenue.minor_units");
  deal = Deal();
  deal.mutable_expected_close_date()->set_year(2026);
  deal.mutable_expected_close_date()->set_month(2);
  deal.mutable_expected_close_date()->set_day(29);  // not a leap year
  EXPECT_EQ(RefusedField(deal), "opportunity.expected_close_date");
  deal = Deal();
  deal.set_partner_id(0);
  EXPECT_EQ(RefusedField(deal), "opportunity.partner_id");
  deal.set_partner_id(partner_ + 1000);  // no such partner: the foreign key says so
  EXPECT_EQ(RefusedField(deal), "opportunity.partner_id");
  deal = Deal();
  deal.set_pipeline_id(other.id() + 1000);
  EXPECT_EQ(RefusedField(deal), "opportunity.pipeline_id");
  deal.set_pipeline_id(shop.id());
  deal.set_stage_id(shop.stages(1).id());  // won
  EXPECT_EQ(RefusedField(deal), "opportunity.stage_id");
  deal.set_stage_id(other.stages(0).id());  // another pipeline's
  EXPECT_EQ(RefusedField(deal), "opportunity.stage_id");

  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.opportunity"), "0");
  EXPECT_TRUE(context_.RecordedAudit().Recorded().empty());
  EXPECT_TRUE(context_.RecordedEvents().Published().empty());
}

TEST_F(OpenOpportunityTest, WithoutAnyPipelineThePreconditionFails) {
  v1::Opportunity stored;
  const auto status = Open(Deal(), stored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("CreatePipeline"), std::string::npos);
}

// std::chrono::day keeps only the low byte of what it is given, so day 261
// (256 + 5) once passed as the 5th and reached PostgreSQL as "2026-03-261",
// whose error ended the call as INTERNAL; month 257 likewise.
TEST_F(OpenOpportunityTest, ADayOrMonthBeyondAByteIsRefusedByField) {
  NewPipeline("Bolt", {"Új", "Megnyert:won", "Elvesztett:lost"});
  for (const auto& [month, day] : std::vector<std::pair<int, int>>{{3, 261}, {257, 5}}) {
    auto deal = Deal();
    deal.mutable_expected_close_date()->set_year(2026);
    deal.mutable_expected_close_date()->set_month(month);
    deal.mutable_expected_close_date()->set_day(day);
    std::string field;
    EXPECT_NO_THROW(field = RefusedField(deal)) << month << "/" << day;
    EXPECT_EQ(field, "opportunity.expected_close_date") << month << "/" << day;
  }
}

}  // namespace
}  // namespace karton::crm
