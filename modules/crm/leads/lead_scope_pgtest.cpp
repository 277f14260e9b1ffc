// Who finds which leads, against crm's real SQL on a throwaway database
// (docs/crm.md, "Who sees what"): sales their own and their teams', managers
// everything, external partners what is shared with them, nobody nothing.
// The sharing goes through kernel::ChangeSharing with a FakeModuleContext's audit
// trail, which records the entry it writes.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/sharing.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "leads/lead_repository.h"
#include "module_database_test.h"
#include "scope.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

// The payload a share event carries; the test only counts the events.
v1::Lead LeadRecord(std::int64_t id) {
  v1::Lead lead;
  lead.set_id(id);
  return lead;
}

class LeadScopeTest : public karton::testing::ModuleDatabaseTest {
 protected:
  LeadScopeTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  std::int64_t NewLead(const std::string& title, std::int64_t user_id, std::int64_t team_id) {
    v1::Lead lead;
    lead.set_title(title);
    lead.set_source(v1::LEAD_SOURCE_MANUAL);
    lead.set_assigned_user_id(user_id);
    lead.set_team_id(team_id);
    auto lease = database_->Acquire();
    return lead_repository::Insert(lease.Session(), lead, "", 0, context_.Time().Now()).lead.id();
  }

  // The titles of the leads `caller` finds, by listing and one by one.
  std::set<std::string> Visible(const kernel::Caller& caller) {
    auto lease = database_->Acquire();
    std::set<std::string> listed, found;
    for (const auto& lead : lead_repository::List(lease.Session(), ScopeOf(caller), {}, 0, 100)) {
      listed.insert(lead.title());
    }
    for (const auto& [id, title] : leads_) {
      if (lead_repository::Find(lease.Session(), id, ScopeOf(caller), false)) found.insert(title);
    }
    EXPECT_EQ(listed, found) << "List and Find disagree";
    return listed;
  }

  static kernel::Caller As(std::int64_t user_id, std::string_view role,
                           std::vector<std::int64_t> teams = {}) {
    kernel::Caller caller;
    caller.user_id = user_id;
    caller.roles = {std::string(role)};
    caller.team_ids = std::move(teams);
    return caller;
  }

  std::vector<std::pair<std::int64_t, std::string>> leads_;
};

TEST_F(LeadScopeTest, EachCallerFindsTheLeadsTheScopeRulesGiveThem) {
  const auto anna = NewUser("anna", "sales");
  const auto bela = NewUser("bela", "sales");
  const auto gabor = NewUser("gabor", "sales_manager");
  const auto reseller = NewUser("reseller", "external_partner");
  const auto south = NewTeam("Dél");
  for (const auto& [title, user, team] :
       std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>{
           {"anna's", anna, 0}, {"bela's", bela, 0}, {"south's", 0, south}, {"nobody's", 0, 0}}) {
    leads_.emplace_back(NewLead(title, user, team), title);
  }

  EXPECT_EQ(Visible(As(anna, kernel::kRoleSales)), (std::set<std::string>{"anna's"}));
  EXPECT_EQ(Visible(As(bela, kernel::kRoleSales, {south})),
            (std::set<std::string>{"bela's", "south's"}));
  EXPECT_EQ(Visible(As(gabor, kernel::kRoleSalesManager)),
            (std::set<std::string>{"anna's", "bela's", "south's", "nobody's"}));
  EXPECT_EQ(Visible(kernel::Caller::Internal()),
            (std::set<std::string>{"anna's", "bela's", "south's", "nobody's"}));
  EXPECT_TRUE(Visible(As(reseller, kernel::kRoleExternalPartner)).empty());
  EXPECT_TRUE(Visible(kernel::Caller{}).empty());  // nobody: no rights
  // A user whose roles the CRM does not know sees nothing either.
  EXPECT_TRUE(Visible(As(anna, "auditor")).empty());

  // Shared with the reseller: that lead, and only for them.
  const auto souths = leads_.at(2).first;
  kernel::DeclareSharingTopics<v1::Lead>(context_.Events(), "crm.lead");
  {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    ASSERT_TRUE(kernel::ChangeSharing(kernel::Sharing::kShare, context_.Audit(), context_.Events(),
                                      lease.Session(), As(gabor, kernel::kRoleSalesManager),
                                      "crm.lead", LeadRecord(souths), souths, reseller, 0)
                    .ok());
    transaction.commit();
  }
  EXPECT_EQ(Visible(As(reseller, kernel::kRoleExternalPartner)),
            (std::set<std::string>{"south's"}));
  EXPECT_EQ(Visible(As(anna, kernel::kRoleSales)), (std::set<std::string>{"anna's"}));
  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited.at(0).resource_type, "crm.lead");
  EXPECT_EQ(audited.at(0).resource_id, souths);
  EXPECT_EQ(audited.at(0).actor.user_id, gabor);
  ASSERT_EQ(audited.at(0).changes.size(), 1u);
  EXPECT_EQ(audited.at(0).changes.at(0).field, "shared_with_user");
  EXPECT_EQ(audited.at(0).changes.at(0).new_json, std::to_string(reseller));

  // Taking it back hides it again; taking back twice is fine.
  for (int i = 0; i < 2; ++i) {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    ASSERT_TRUE(kernel::ChangeSharing(kernel::Sharing::kUnshare, context_.Audit(),
                                      context_.Events(), lease.Session(),
                                      As(gabor, kernel::kRoleSalesManager), "crm.lead",
                                      LeadRecord(souths), souths, reseller, 0)
                    .ok());
    transaction.commit();
  }
  EXPECT_TRUE(Visible(As(reseller, kernel::kRoleExternalPartner)).empty());
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), 2u);
  // One event each way: the second take-back changed nothing.
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics(),
            (std::vector<std::string>{"crm.lead.shared", "crm.lead.unshared"}));
}

}  // namespace
}  // namespace karton::crm
