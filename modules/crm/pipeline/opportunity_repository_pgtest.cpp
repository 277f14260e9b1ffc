// opportunity_repository against crm's shipped schema on a throwaway
// database: what Insert stores (history, idempotency), List's order, pages,
// filters and scope, Update's etag, SetStage's close time, and ListStale.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "activities/activity_repository.h"
#include "karton/kernel/database.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "module_database_test.h"
#include "pipeline/opportunity_repository.h"
#include "pipeline/pipeline_repository.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

using google::protobuf::util::TimeUtil;

class OpportunityRepositoryTest : public karton::testing::ModuleDatabaseTest {
 protected:
  OpportunityRepositoryTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    anna_ = NewUser("anna", "sales");
    bela_ = NewUser("bela", "sales");
    south_ = NewTeam("Dél");
    partner_ = InsertReturningId(
        "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
        "('organization', 'Pelda Kft.', now(), now()) RETURNING id");
    v1::Pipeline pipeline;
    pipeline.set_name("Értékesítés");
    for (const auto& [name, won, lost] :
         std::vector<std::tuple<const char*, bool, bool>>{{"Új", false, false},
                                                          {"Ajánlat", false, false},
                                                          {"Megnyert", true, false},
                                                          {"Elvesztett", false, true}}) {
      auto* stage = pipeline.add_stages();
      stage->set_name(name);
      stage->set_probability(won ? 100 : 20);
      stage->set_won(won);
      stage->set_lost(lost);
    }
    auto lease = database_->Acquire();
    const auto id = pipeline_repository::Insert(lease.Session(), pipeline, "", Now());
    pipeline_ = *pipeline_repository::Find(lease.Session(), id, false);
  }

  kernel::TimePoint Now() { return context_.Time().Now(); }
  std::int64_t Stage(int index) { return pipeline_.stages(index).id(); }

  std::int64_t NewDeal(const std::string& name, std::int64_t owner, std::int64_t team = 0,
                       const std::string& request_id = "") {
    v1::Opportunity opportunity;
    opportunity.set_name(name);
    opportunity.set_partner_id(partner_);
    opportunity.set_pipeline_id(pipeline_.id());
    opportunity.set_stage_id(Stage(0));
    opportunity.set_owner_user_id(owner);
    opportunity.set_team_id(team);
    auto lease = database_->Acquire();
    return opportunity_repository::Insert(lease.Session(), opportunity, request_id, owner, Now())
        .opportunity.id();
  }

  v1::Opportunity Find(std::int64_t id) {
    auto lease = database_->Acquire();
    return opportunity_repository::Find(lease.Session(), id, Scope::Everything(), false).value();
  }

  std::vector<std::int64_t> Listed(const Scope& scope,
                                   const opportunity_repository::ListFilter& filter,
                                   std::int64_t before_id, int limit) {
    auto lease = database_->Acquire();
    std::vector<std::int64_t> ids;
    for (const auto& opportunity :
         opportunity_repository::List(lease.Session(), scope, filter, before_id, limit)) {
      ids.push_back(opportunity.id());
    }
    return ids;
  }

  static opportunity_repository::ListFilter Filter(std::int64_t stage_id, std::int64_t owner,
                                                   const std::string& status) {
    opportunity_repository::ListFilter filter;
    filter.stage_id = stage_id;
    filter.owner_user_id = owner;
    filter.status = status;
    return filter;
  }

  void SetStage(std::int64_t id, int stage, const std::string& status,
                const std::string& lost_reason = "") {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    const auto answered = opportunity_repository::SetStage(lease.Session(), id, Stage(stage),
                                                           status, lost_reason, bela_, Now());
    transaction.commit();
    // The one statement answers the deal as a read after it does, the new
    // history entry last.
    ASSERT_TRUE(answered);
    EXPECT_EQ(answered->SerializeAsString(), Find(id).SerializeAsString());
    EXPECT_EQ(answered->stage_history(answered->stage_history_size() - 1).stage_id(), Stage(stage));
  }

  std::int64_t anna_ = 0, bela_ = 0, south_ = 0, partner_ = 0;
  v1::Pipeline pipeline_;
};

TEST_F(OpportunityRepositoryTest, InsertKeepsEveryFieldAndStartsTheStageHistoryOnce) {
  v1::Opportunity opportunity;
  opportunity.set_name("Raktárbővítés");
  opportunity.set_partner_id(partner_);
  opportunity.set_pipeline_id(pipeline_.id());
  opportunity.set_stage_id(Stage(1));
  opportunity.mutable_expected_revenue()->set_currency_code("HUF");
  opportunity.mutable_expected_revenue()->set_minor_units(1'250'000'00);
  opportunity.mutable_expected_close_date()->set_year(2026);
  opportunity.mutable_expected_close_date()->set_month(3);
  opportunity.mutable_expected_close_date()->set_day(31);
  opportunity.set_owner_user_id(anna_);
  opportunity.set_team_id(south_);
  opportunity_repository::InsertedOpportunity first, repeated;
  {
    auto lease = database_->Acquire();
    first = opportunity_repository::Insert(lease.Session(), opportunity, "deal-1", anna_, Now());
    context_.Clock().Advance(std::chrono::minutes(1));
    opportunity.set_name("Más");
    repeated = opportunity_repository::Insert(lease.Session(), opportunity, "deal-1", bela_, Now());
  }
  EXPECT_TRUE(first.inserted);
  EXPECT_FALSE(repeated.inserted);
  EXPECT_EQ(repeated.opportunity.id(), first.opportunity.id());

  const v1::Opportunity stored = Find(first.opportunity.id());
  // The INSERT answers the deal as a read gives it, its history too.
  EXPECT_EQ(first.opportunity.SerializeAsString(), stored.SerializeAsString());
  EXPECT_EQ(repeated.opportunity.SerializeAsString(), stored.SerializeAsString());
  EXPECT_EQ(stored.name(), "Raktárbővítés");
  EXPECT_EQ(stored.partner_id(), partner_);
  EXPECT_EQ(stored.pipeline_id(), pipeline_.id());
  EXPECT_EQ(stored.stage_id(), Stage(1));
  EXPECT_EQ(stored.status(), v1::OPPORTUNITY_STATUS_OPEN);
  EXPECT_EQ(stored.expected_revenue().currency_code(), "HUF");
  EXPECT_EQ(stored.expected_revenue().minor_units(), 1'250'000'00);
  EXPECT_EQ(stored.expected_close_date().year(), 2026);
  EXPECT_EQ(stored.expected_close_date().month(), 3);
  EXPECT_EQ(stored.expected_close_date().day(), 31);
  EXPECT_EQ(stored.owner_user_id(), anna_);
  EXPECT_EQ(stored.team_id(), south_);
  EXPECT_EQ(stored.etag(), "1");
  EXPECT_FALSE(stored.has_close_time());
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(stored.create_time()),
            kernel::ToEpochMicros(Now() - std::chrono::minutes(1)));
  ASSERT_EQ(stored.stage_history_size(), 1);
  EXPECT_EQ(stored.stage_history(0).stage_id(), Stage(1));
  EXPECT_EQ(stored.stage_history(0).stage_name(), "Ajánlat");
  EXPECT_EQ(stored.stage_history(0).user_id(), anna_);
}

TEST_F(OpportunityRepositoryTest, ListIsNewestFirstPagesBeforeAnIdFiltersAndKeepsToTheScope) {
  const auto a1 = NewDeal("a1", anna_);
  const auto b1 = NewDeal("b1", bela_);
  const auto a2 = NewDeal("a2", anna_);
  const auto s1 = NewDeal("s1", 0, south_);
  const auto b2 = NewDeal("b2", bela_);
  SetStage(a2, 2, "won");

  const auto all = Scope::Everything();
  EXPECT_EQ(Listed(all, {}, 0, 2), (std::vector<std::int64_t>{b2, s1}));
  EXPECT_EQ(Listed(all, {}, s1, 2), (std::vector<std::int64_t>{a2, b1}));
  EXPECT_EQ(Listed(all, {}, b1, 2), (std::vector<std::int64_t>{a1}));
  EXPECT_EQ(Listed(all, Filter(0, anna_, ""), 0, 10), (std::vector<std::int64_t>{a2, a1}));
  EXPECT_EQ(Listed(all, Filter(0, 0, "won"), 0, 10), (std::vector<std::int64_t>{a2}));
  EXPECT_EQ(Listed(all, Filter(Stage(0), 0, ""), 0, 10),
            (std::vector<std::int64_t>{b2, s1, b1, a1}));

  kernel::Caller anna;
  anna.user_id = anna_;
  anna.roles = {"sales"};
  anna.team_ids = {south_};
  EXPECT_EQ(Listed(ScopeOf(anna), {}, 0, 10), (std::vector<std::int64_t>{s1, a2, a1}));
  auto lease = database_->Acquire();
  EXPECT_FALSE(opportunity_repository::Find(lease.Session(), b1, ScopeOf(anna), false));
  EXPECT_TRUE(opportunity_repository::Find(lease.Session(), s1, ScopeOf(anna), false));
}

TEST_F(OpportunityRepositoryTest, UpdateBumpsTheEtagAndClearsWhatIsNoLongerSet) {
  v1::Opportunity deal = Find(NewDeal("Raktár", anna_, south_));
  deal.mutable_expected_revenue()->set_currency_code("EUR");
  deal.mutable_expected_revenue()->set_minor_units(990000);
  deal.mutable_expected_close_date()->set_year(2026);
  deal.mutable_expected_close_date()->set_month(6);
  deal.mutable_expected_close_date()->set_day(1);
  context_.Clock().Advance(std::chrono::hours(1));
  std::optional<v1::Opportunity> answered;
  {
    auto lease = database_->Acquire();
    answered = opportunity_repository::Update(lease.Session(), deal, Now());
  }
  v1::Opportunity stored = Find(deal.id());
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->SerializeAsString(), stored.SerializeAsString());
  EXPECT_EQ(stored.etag(), "2");
  EXPECT_EQ(stored.expected_revenue().currency_code(), "EUR");
  EXPECT_EQ(stored.expected_close_date().month(), 6);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(stored.update_time()), kernel::ToEpochMicros(Now()));

  stored.set_name("Raktár II");
  stored.clear_expected_revenue();
  stored.clear_expected_close_date();
  stored.set_owner_user_id(bela_);
  stored.set_team_id(0);
  {
    auto lease = database_->Acquire();
    opportunity_repository::Update(lease.Session(), stored, Now());
  }
  const v1::Opportunity again = Find(deal.id());
  EXPECT_EQ(again.etag(), "3");
  EXPECT_EQ(again.name(), "Raktár II");
  EXPECT_FALSE(again.has_expected_revenue());
  EXPECT_FALSE(again.has_expected_close_date());
  EXPECT_EQ(again.owner_user_id(), bela_);
  EXPECT_EQ(again.team_id(), 0);
  EXPECT_EQ(again.stage_history_size(), 1);  // an update is no stage change
}

TEST_F(OpportunityRepositoryTest, ClosingSetsTheCloseTimeAndReopeningClearsIt) {
  const auto id = NewDeal("Raktár", anna_);
  const auto open_in_first = [&] {
    auto lease = database_->Acquire();
    return pipeline_repository::OpenOpportunitiesIn(lease.Session(), Stage(0));
  };
  EXPECT_EQ(open_in_first(), 1);

  context_.Clock().Advance(std::chrono::hours(2));
  SetStage(id, 3, "lost", "drága");
  v1::Opportunity lost = Find(id);
  EXPECT_EQ(lost.status(), v1::OPPORTUNITY_STATUS_LOST);
  EXPECT_EQ(lost.lost_reason(), "drága");
  EXPECT_EQ(lost.etag(), "2");
  ASSERT_TRUE(lost.has_close_time());
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(lost.close_time()), kernel::ToEpochMicros(Now()));
  ASSERT_EQ(lost.stage_history_size(), 2);
  EXPECT_EQ(lost.stage_history(1).stage_name(), "Elvesztett");
  EXPECT_EQ(lost.stage_history(1).user_id(), bela_);
  EXPECT_EQ(open_in_first(), 0);

  SetStage(id, 0, "open");
  const v1::Opportunity reopened = Find(id);
  EXPECT_EQ(reopened.status(), v1::OPPORTUNITY_STATUS_OPEN);
  EXPECT_FALSE(reopened.has_close_time());
  EXPECT_EQ(reopened.lost_reason(), "");
  EXPECT_EQ(reopened.stage_history_size(), 3);
  EXPECT_EQ(open_in_first(), 1);
}

TEST_F(OpportunityRepositoryTest, StaleDealsAreOpenOnesWithoutAPlannedActivityOldestFirst) {
  const auto planned = NewDeal("planned", anna_);
  const auto done_only = NewDeal("done only", anna_);
  const auto won = NewDeal("won", anna_);
  const auto bare = NewDeal("bare", bela_);
  SetStage(won, 2, "won");
  {
    auto lease = database_->Acquire();
    for (const auto deal : {planned, done_only}) {
      v1::Activity call;
      call.set_type(v1::ACTIVITY_TYPE_CALL);
      call.set_subject("Visszahívás");
      call.set_opportunity_id(deal);
      call.set_assigned_user_id(anna_);
      *call.mutable_due_time() = TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(Now()));
      const auto id = activity_repository::Insert(lease.Session(), call, "", Now()).first;
      if (deal == done_only) activity_repository::Close(lease.Session(), id, "done", "", Now());
    }
  }
  auto lease = database_->Acquire();
  const auto stale = [&](std::int64_t owner, std::int64_t after) {
    std::vector<std::int64_t> ids;
    for (const auto& deal : opportunity_repository::ListStale(lease.Session(), Scope::Everything(),
                                                              owner, after, 10)) {
      ids.push_back(deal.id());
    }
    return ids;
  };
  EXPECT_EQ(stale(0, 0), (std::vector<std::int64_t>{done_only, bare}));
  EXPECT_EQ(stale(0, done_only), (std::vector<std::int64_t>{bare}));
  EXPECT_EQ(stale(anna_, 0), (std::vector<std::int64_t>{done_only}));
}

}  // namespace
}  // namespace karton::crm
