// Lead routing on a throwaway database: assignment_rule_repository's order,
// and Router::Assign (form category, rules by priority, round-robin through
// crm.team_rotation across calls), with team membership served by an
// in-process fake of the kernel's IdentityService.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "karton/kernel/database.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "leads/assignment_rule_repository.h"
#include "leads/lead_repository.h"
#include "leads/routing.h"
#include "module_database_test.h"
#include "team_directory.h"
#include "testing/fake_identity_service.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

class RoutingTest : public karton::testing::ModuleDatabaseTest {
 protected:
  RoutingTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    for (const char* name : {"anna", "bela", "cecil", "dora"}) {
      users_[name] = NewUser(name, "sales");
      identity_.users.insert(users_[name]);
    }
    south_ = NewTeam("Dél");
    north_ = NewTeam("Észak");
    // Listed out of id order on purpose: the rotation goes by user id.
    identity_.teams[south_] = {users_["dora"], users_["anna"], users_["cecil"], users_["bela"]};
    identity_.teams[north_] = {users_["cecil"]};
    identity_.disabled = {users_["cecil"]};
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // Starts the fake kernel once the test has set up its users and teams.
  Router& StartRouter() {
    grpc::ServerBuilder builder;
    builder.RegisterService(&identity_);
    server_ = builder.BuildAndStart();
    context_.UseChannel(server_->InProcessChannel(grpc::ChannelArguments()));
    teams_ = std::make_unique<TeamDirectory>([this] { return context_.Channel(); });
    router_ = std::make_unique<Router>(context_.Log(), *teams_);
    return *router_;
  }

  std::int64_t AddRule(int priority, std::int64_t team, std::int64_t user,
                       const std::string& category = "", const std::string& country = "",
                       const std::string& prefix = "") {
    v1::AssignmentRule rule;
    rule.set_priority(priority);
    rule.set_team_id(team);
    rule.set_user_id(user);
    rule.set_category(category);
    rule.set_country(country);
    rule.set_postal_code_prefix(prefix);
    auto lease = database_->Acquire();
    return assignment_rule_repository::Insert(lease.Session(), rule, context_.Time().Now());
  }

  // One lead routed in its own transaction, as LeadIntake does.
  Assignment Route(const v1::Lead& lead, const v1::WebFormCategory* category = nullptr) {
    router_->Prepare();
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    Assignment assignment = router_->Assign(lease.Session(), lead, category);
    if (!assignment.turn_among.empty()) {
      // The team's turn, as the intake takes it: in the lead's INSERT.
      EXPECT_EQ(assignment.user_id, 0);
      v1::Lead written = lead;
      written.set_title("Érdeklődés");
      written.set_source(v1::LEAD_SOURCE_WEB_FORM);
      written.set_team_id(assignment.team_id);
      assignment.user_id = lead_repository::Insert(lease.Session(), written, "", 0,
                                                   context_.Time().Now(), assignment.turn_among)
                               .lead.assigned_user_id();
    }
    transaction.commit();
    return assignment;
  }

  static v1::Lead LeadIn(const char* country, const char* postal_code) {
    v1::Lead lead;
    lead.set_country(country);
    lead.set_postal_code(postal_code);
    return lead;
  }

  FakeIdentityService identity_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<TeamDirectory> teams_;
  std::unique_ptr<Router> router_;
  std::map<std::string, std::int64_t> users_;
  std::int64_t south_ = 0, north_ = 0;
};

TEST_F(RoutingTest, RulesAreListedByPriorityThenIdAndNeedExactlyOneTarget) {
  const auto late = AddRule(20, south_, 0, "demo", "HU", "67");
  const auto first_ten = AddRule(10, 0, users_["anna"]);
  const auto second_ten = AddRule(10, 0, users_["bela"]);
  const auto urgent = AddRule(-5, north_, 0);
  auto lease = database_->Acquire();
  const auto rules = assignment_rule_repository::List(lease.Session());
  std::vector<std::int64_t> ids;
  for (const auto& rule : rules) ids.push_back(rule.id());
  EXPECT_EQ(ids, (std::vector<std::int64_t>{urgent, first_ten, second_ten, late}));
  EXPECT_EQ(rules.at(3).priority(), 20);
  EXPECT_EQ(rules.at(3).category(), "demo");
  EXPECT_EQ(rules.at(3).country(), "HU");
  EXPECT_EQ(rules.at(3).postal_code_prefix(), "67");
  EXPECT_EQ(rules.at(3).team_id(), south_);
  EXPECT_EQ(rules.at(3).user_id(), 0);
  EXPECT_EQ(rules.at(1).user_id(), users_["anna"]);

  EXPECT_TRUE(assignment_rule_repository::Delete(lease.Session(), first_ten));
  EXPECT_FALSE(assignment_rule_repository::Delete(lease.Session(), first_ten));
  EXPECT_EQ(assignment_rule_repository::List(lease.Session()).size(), 3u);

  // Both a team and a user, or neither: the table refuses it.
  for (const auto& [team, user] :
       std::vector<std::pair<std::int64_t, std::int64_t>>{{south_, users_["anna"]}, {0, 0}}) {
    v1::AssignmentRule rule;
    rule.set_team_id(team);
    rule.set_user_id(user);
    try {
      assignment_rule_repository::Insert(lease.Session(), rule, context_.Time().Now());
      ADD_FAILURE() << "stored a rule with team " << team << " and user " << user;
    } catch (const std::exception& error) {
      EXPECT_EQ(kernel::SqlState(error), "23514") << error.what();
    }
  }
}

TEST_F(RoutingTest, ATeamTakesTurnsAmongItsActiveMembersAcrossCalls) {
  const auto rule = AddRule(1, south_, 0);
  StartRouter();
  std::vector<std::int64_t> assigned;
  for (int i = 0; i < 7; ++i) {
    const Assignment assignment = Route(LeadIn("HU", "6720"));
    EXPECT_EQ(assignment.team_id, south_);
    EXPECT_EQ(assignment.reason,
              "rule " + std::to_string(rule) + ", round-robin in team " + std::to_string(south_));
    assigned.push_back(assignment.user_id);
  }
  // cecil is disabled: anna, bela and dora in id order, round and round.
  const auto anna = users_["anna"], bela = users_["bela"], dora = users_["dora"];
  EXPECT_EQ(assigned, (std::vector<std::int64_t>{anna, bela, dora, anna, bela, dora, anna}));
  EXPECT_EQ(karton::testing::QueryScalar(
                conninfo_, "SELECT next_position FROM crm.team_rotation WHERE team_id = " +
                               std::to_string(south_)),
            "7");
}

TEST_F(RoutingTest, TheFormCategoryComesFirstThenTheFirstMatchingRuleByPriority) {
  AddRule(1, 0, users_["dora"], "", "AT");  // matches no Hungarian lead
  const auto szeged = AddRule(10, 0, users_["bela"], "", "HU", "67");
  const auto fallback = AddRule(10, 0, users_["anna"]);  // same priority, later id
  StartRouter();

  const auto to_bela = Route(LeadIn("hu", "6720"));
  EXPECT_EQ(to_bela.user_id, users_["bela"]);
  EXPECT_EQ(to_bela.team_id, 0);
  EXPECT_EQ(to_bela.reason, "rule " + std::to_string(szeged));
  const auto to_anna = Route(LeadIn("HU", "1011"));
  EXPECT_EQ(to_anna.user_id, users_["anna"]);
  EXPECT_EQ(to_anna.reason, "rule " + std::to_string(fallback));

  v1::WebFormCategory demo;
  demo.set_key("demo");
  demo.set_user_id(users_["dora"]);
  const auto to_dora = Route(LeadIn("HU", "6720"), &demo);
  EXPECT_EQ(to_dora.user_id, users_["dora"]);
  EXPECT_EQ(to_dora.reason, "form category demo");
  // A category without a target leaves the lead to the rules.
  demo.set_user_id(0);
  EXPECT_EQ(Route(LeadIn("HU", "6720"), &demo).user_id, users_["bela"]);
}

TEST_F(RoutingTest, WithoutAMatchOrAnActiveMemberTheLeadWaits) {
  StartRouter();
  const auto nobody = Route(LeadIn("HU", "6720"));
  EXPECT_EQ(nobody.user_id, 0);
  EXPECT_EQ(nobody.team_id, 0);
  EXPECT_EQ(nobody.reason, "no rule matched");

  // North's only member is disabled: the lead waits for the team, and the
  // rotation is not touched.
  v1::WebFormCategory support;
  support.set_key("support");
  support.set_team_id(north_);
  const auto waiting = Route(LeadIn("HU", "6720"), &support);
  EXPECT_EQ(waiting.user_id, 0);
  EXPECT_EQ(waiting.team_id, north_);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.team_rotation"), "0");
}

}  // namespace
}  // namespace karton::crm
