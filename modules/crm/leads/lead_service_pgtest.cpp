// LeadServiceImpl built directly from what it uses (issue 21): crm's real
// SQL on a throwaway database, with a FakeModuleContext's clock, audit
// trail and event bus, and the intake, router and team directory it works
// through, the teams served by an in-process fake of the kernel's
// IdentityService. A created lead is routed by the rules, stored, audited
// and published once; its assignee finds it, another seller does not.
#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "karton/kernel/service_parts.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "leads/assignment_rule_repository.h"
#include "leads/lead_intake.h"
#include "leads/lead_service.h"
#include "leads/routing.h"
#include "module_database_test.h"
#include "round_trips.h"
#include "team_directory.h"
#include "testing/fake_identity_service.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

class LeadServiceTest : public karton::testing::ModuleDatabaseTest {
 protected:
  LeadServiceTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    anna_ = NewUser("anna", "sales");
    bela_ = NewUser("bela", "sales");
    cecil_ = NewUser("cecil", "sales");
    gabor_ = NewUser("gabor", "sales_manager");
    south_ = NewTeam("Dél");
    identity_.users = {anna_, bela_, cecil_, gabor_};
    identity_.teams[south_] = {anna_, bela_};
    {
      // Every Hungarian lead goes to the southern team.
      v1::AssignmentRule rule;
      rule.set_priority(1);
      rule.set_team_id(south_);
      rule.set_country("HU");
      auto lease = database_->Acquire();
      assignment_rule_repository::Insert(lease.Session(), rule, context_.Time().Now());
    }
    grpc::ServerBuilder builder;
    builder.RegisterService(&identity_);
    server_ = builder.BuildAndStart();
    context_.UseChannel(server_->InProcessChannel(grpc::ChannelArguments()));

    // What CrmModule::Register declares for leads.
    for (const char* topic : {"crm.lead.created", "crm.lead.assigned"}) {
      context_.Events().DeclareTopic<v1::Lead>(topic);
    }
    const kernel::ServiceParts services = kernel::PartsOf(context_);
    teams_ = std::make_unique<TeamDirectory>(services.channel);
    router_ = std::make_unique<Router>(services.log, *teams_);
    intake_ = std::make_unique<LeadIntake>(services, *router_);
    leads_ = std::make_unique<LeadServiceImpl>(services, *intake_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // A call from `user`. kartond's interceptor puts the verified caller in
  // the karton-caller metadata ("user;roles;teams;token"); the test puts it
  // there itself.
  struct Call {
    grpc::ServerContext context;
    grpc::testing::ServerContextTestSpouse spouse{&context};
  };
  static std::unique_ptr<Call> As(std::int64_t user, const std::string& role,
                                  const std::string& teams = "") {
    auto call = std::make_unique<Call>();
    call->spouse.AddClientMetadata("karton-caller",
                                   std::to_string(user) + ";" + role + ";" + teams + ";0");
    return call;
  }

  grpc::Status Create(const std::string& request_id, v1::Lead& created) {
    v1::CreateLeadRequest request;
    request.mutable_lead()->set_title("Irodabútor ajánlat");
    request.mutable_lead()->set_company_name("Szegedi Bútor Kft.");
    request.mutable_lead()->set_email("Info@Szegedibutor.HU");
    request.mutable_lead()->set_country("hu");
    request.set_request_id(request_id);
    return leads_->CreateLead(&As(gabor_, "sales_manager")->context, &request, &created);
  }

  FakeIdentityService identity_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<TeamDirectory> teams_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<LeadIntake> intake_;
  std::unique_ptr<LeadServiceImpl> leads_;
  std::int64_t anna_ = 0, bela_ = 0, cecil_ = 0, gabor_ = 0, south_ = 0;
};

TEST_F(LeadServiceTest, ACreatedLeadIsRoutedStoredAuditedAndPublishedOnce) {
  context_.Clock().Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000)));
  v1::Lead created;
  auto status = Create("web-shop-17", created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GT(created.id(), 0);
  EXPECT_EQ(created.title(), "Irodabútor ajánlat");
  EXPECT_EQ(created.source(), v1::LEAD_SOURCE_MANUAL);
  EXPECT_EQ(created.status(), v1::LEAD_STATUS_NEW);
  // The rule sent it to the southern team, round-robin from its first member.
  EXPECT_EQ(created.team_id(), south_);
  EXPECT_EQ(created.assigned_user_id(), anna_);
  // Business time is the clock the service was given.
  EXPECT_EQ(created.create_time().seconds(), 1'780'000'000);

  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].action, kernel::AuditAction::kCreate);
  EXPECT_EQ(audited[0].resource_type, "crm.lead");
  EXPECT_EQ(audited[0].resource_id, created.id());
  EXPECT_EQ(audited[0].actor.user_id, gabor_);
  const auto published = context_.RecordedEvents().Published();
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[0].topic, "crm.lead.created");
  EXPECT_EQ(published[1].topic, "crm.lead.assigned");
  EXPECT_EQ(published[1].Payload<v1::Lead>().assigned_user_id(), anna_);

  // The same request again: the same lead, routed once, nothing new written.
  v1::Lead again;
  status = Create("web-shop-17", again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.id(), created.id());
  EXPECT_EQ(again.assigned_user_id(), anna_);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.lead"), "1");
  EXPECT_EQ(context_.RecordedEvents().Published().size(), 2u);
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), 1u);
}

// Issue 14 item 4: a create commits once, in at most two round trips. A
// lead given to someone (nothing to route) is BEGIN with its INSERT, which
// returns the stored lead, then the COMMIT with the audit entry and both
// events. A repeated request is the same INSERT answering with the first
// lead as stored, and takes no team's turn.
TEST_F(LeadServiceTest, ALeadGivenToSomeoneIsTwoRoundTripsAndARepeatAnswersTheFirstLead) {
  const auto create_for = [&](const std::string& request_id, std::int64_t user, v1::Lead& created) {
    v1::CreateLeadRequest request;
    request.mutable_lead()->set_title("Raktárpolc");
    request.mutable_lead()->set_contact_name("Kovács Ilona");
    request.mutable_lead()->set_email("ilona@kovacs.example");
    request.mutable_lead()->set_assigned_user_id(user);
    request.set_request_id(request_id);
    return leads_->CreateLead(&As(gabor_, "sales_manager")->context, &request, &created);
  };
  // Each statement's first use on a connection prepares it: warm up first.
  v1::Lead warm;
  const auto warmed = create_for("warm-up", cecil_, warm);
  ASSERT_TRUE(warmed.ok()) << warmed.error_message();

  v1::Lead created;
  {
    karton::testing::PoolRoundTrips trips(*database_);
    const auto status = create_for("polc-1", cecil_, created);
    const std::string ends = trips.Stop();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 2) << ends;
  }
  EXPECT_EQ(created.assigned_user_id(), cecil_);
  EXPECT_EQ(created.contact_name(), "Kovács Ilona");
  // The answer is the lead as stored, as GetLead reads it.
  v1::GetLeadRequest get;
  get.set_id(created.id());
  v1::Lead read;
  ASSERT_TRUE(leads_->GetLead(&As(gabor_, "sales_manager")->context, &get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
  const auto published = context_.RecordedEvents().Published().size();
  const auto audited = context_.RecordedAudit().Recorded().size();

  // The repeat: the first lead, in as many round trips, nothing written.
  v1::Lead again;
  {
    karton::testing::PoolRoundTrips trips(*database_);
    const auto status = create_for("polc-1", anna_, again);
    const std::string ends = trips.Stop();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 2) << ends;
  }
  EXPECT_EQ(again.id(), created.id());
  EXPECT_EQ(again.assigned_user_id(), cecil_);
  EXPECT_EQ(context_.RecordedEvents().Published().size(), published);
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), audited);

  // A lead the rules give to the southern team takes its turn; its repeat
  // takes none, so the next lead goes to the next member.
  v1::Lead first_turn, repeat, second_turn;
  ASSERT_TRUE(Create("polc-2", first_turn).ok());
  ASSERT_TRUE(Create("polc-2", repeat).ok());
  ASSERT_TRUE(Create("polc-3", second_turn).ok());
  EXPECT_EQ(repeat.id(), first_turn.id());
  EXPECT_EQ(repeat.assigned_user_id(), first_turn.assigned_user_id());
  EXPECT_EQ(first_turn.assigned_user_id(), anna_);
  EXPECT_EQ(second_turn.assigned_user_id(), bela_);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.lead"), "4");
}

// Issue 14 item 4, for an update: BEGIN with the locked read, the UPDATE
// returning the lead as stored, and the COMMIT with the audit entry and the
// events. Reassigning publishes crm.lead.assigned beside crm.lead.updated.
TEST_F(LeadServiceTest, AnUpdateIsThreeRoundTripsAndAnswersTheLeadAsStored) {
  context_.Events().DeclareTopic<v1::Lead>("crm.lead.updated");
  v1::Lead created;
  ASSERT_TRUE(Create("bovites-1", created).ok());
  const auto update = [&](const std::string& title, std::int64_t user, v1::Lead& updated) {
    v1::UpdateLeadRequest request;
    request.mutable_lead()->set_id(created.id());
    request.mutable_lead()->set_title(title);
    request.mutable_lead()->set_assigned_user_id(user);
    request.mutable_update_mask()->add_paths("title");
    request.mutable_update_mask()->add_paths("assigned_user_id");
    return leads_->UpdateLead(&As(gabor_, "sales_manager")->context, &request, &updated);
  };
  // Each statement's first use on a connection prepares it: warm up first.
  v1::Lead warm;
  const auto warmed = update("Irodabútor ajánlat, második kör", created.assigned_user_id(), warm);
  ASSERT_TRUE(warmed.ok()) << warmed.error_message();
  const auto published = context_.RecordedEvents().Published().size();

  v1::Lead updated;
  {
    karton::testing::PoolRoundTrips trips(*database_);
    const auto status = update("Irodabútor és raktár", bela_, updated);
    const std::string ends = trips.Stop();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 3) << ends;
  }
  EXPECT_EQ(updated.title(), "Irodabútor és raktár");
  EXPECT_EQ(updated.assigned_user_id(), bela_);
  v1::GetLeadRequest get;
  get.set_id(created.id());
  v1::Lead read;
  ASSERT_TRUE(leads_->GetLead(&As(gabor_, "sales_manager")->context, &get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), updated.SerializeAsString());
  const auto events = context_.RecordedEvents().Published();
  ASSERT_EQ(events.size(), published + 2);
  EXPECT_EQ(events[published].topic, "crm.lead.updated");
  EXPECT_EQ(events[published + 1].topic, "crm.lead.assigned");
}

// DisqualifyLead in a kernel::Transaction: BEGIN with the lead's locked
// read, the status written, the lead read back, and the COMMIT with the
// audit entry and the event.
TEST_F(LeadServiceTest, ADisqualificationIsFourRoundTripsAndAnswersTheLeadAsStored) {
  context_.Events().DeclareTopic<v1::Lead>("crm.lead.disqualified");
  const auto disqualify = [&](const v1::Lead& lead, v1::Lead& answer) {
    v1::DisqualifyLeadRequest request;
    request.set_id(lead.id());
    request.set_etag(lead.etag());
    request.set_reason("Nem a mi piacunk");
    return leads_->DisqualifyLead(&As(gabor_, "sales_manager")->context, &request, &answer);
  };
  // Each statement's first use on a connection prepares it: warm up first.
  v1::Lead warm;
  ASSERT_TRUE(Create("elso", warm).ok());
  ASSERT_TRUE(disqualify(warm, warm).ok());

  v1::Lead created;
  ASSERT_TRUE(Create("masodik", created).ok());
  const auto published = context_.RecordedEvents().Published().size();
  v1::Lead answer;
  {
    karton::testing::PoolRoundTrips trips(*database_);
    const auto status = disqualify(created, answer);
    const std::string ends = trips.Stop();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 4) << ends;
  }
  EXPECT_EQ(answer.status(), v1::LEAD_STATUS_DISQUALIFIED);
  v1::GetLeadRequest get;
  get.set_id(created.id());
  v1::Lead read;
  ASSERT_TRUE(leads_->GetLead(&As(gabor_, "sales_manager")->context, &get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), answer.SerializeAsString());
  const auto events = context_.RecordedEvents().Published();
  ASSERT_EQ(events.size(), published + 1);
  EXPECT_EQ(events.back().topic, "crm.lead.disqualified");
}

// Issue 16: the same person posting a web form again within the window
// gets one lead with both messages; by email (its case aside), by phone
// digits when there is no email; per form; a new lead once the window has
// passed; none when the window is 0.
TEST_F(LeadServiceTest, FormPostsOfOnePersonWithinTheWindowAreOneLeadWithBothMessages) {
  context_.Events().DeclareTopic<v1::Lead>("crm.lead.updated");
  context_.Clock().Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000)));
  const auto form = [&](const std::string& slug) {
    return InsertReturningId(
        "INSERT INTO crm.web_form (slug, definition, create_time, update_time) VALUES ('" + slug +
        "', '{}', now(), now()) RETURNING id");
  };
  const auto contact = form("contact"), other = form("other");
  const auto post = [&](std::int64_t web_form, const std::string& email, const std::string& phone,
                        const std::string& message,
                        std::chrono::seconds window = std::chrono::hours(24)) {
    v1::Lead lead;
    lead.set_title("Kapcsolat");
    lead.set_source(v1::LEAD_SOURCE_WEB_FORM);
    lead.set_web_form_id(web_form);
    lead.set_email(email);
    lead.set_phone(phone);
    lead.set_message(message);
    (*lead.mutable_custom_fields())["budget"] = message + " budget";
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    auto stored = intake_->AcceptFormPost(lease.Session(), lead, nullptr, window);
    transaction.commit();
    return stored;
  };
  const auto first = post(contact, "janos@kiss.example", "", "első");
  const auto second = post(contact, "Janos@kiss.example", "", "második");
  EXPECT_EQ(second.id(), first.id());
  EXPECT_EQ(second.message(), "első");
  ASSERT_EQ(second.messages_size(), 1);
  EXPECT_EQ(second.messages(0).message(), "második");
  EXPECT_EQ(second.messages(0).custom_fields().at("budget"), "második budget");
  EXPECT_EQ(second.messages(0).receive_time().seconds(), 1'780'000'000);
  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 2u);  // the create, then the added message
  EXPECT_EQ(audited[1].action, kernel::AuditAction::kUpdate);
  EXPECT_EQ(audited[1].resource_id, first.id());
  ASSERT_EQ(audited[1].changes.size(), 1u);
  EXPECT_EQ(audited[1].changes[0].field, "messages");
  const auto published = context_.RecordedEvents().Published();
  EXPECT_EQ(published.back().topic, "crm.lead.updated");
  EXPECT_EQ(published.back().Payload<v1::Lead>().messages_size(), 1);

  // In a kernel::Transaction, as the form's page posts it: BEGIN with the
  // repost lock, the look for an earlier post, the assignment rules (no
  // category routes this form, no rule matches the lead), the lead's INSERT
  // returning it, and the COMMIT with the audit entry and the events.
  {
    v1::Lead lead;
    lead.set_title("Kapcsolat");
    lead.set_source(v1::LEAD_SOURCE_WEB_FORM);
    lead.set_web_form_id(contact);
    lead.set_email("eva@nagy.example");
    karton::testing::PoolRoundTrips trips(*database_);
    {
      auto lease = database_->Acquire();
      kernel::Transaction transaction(lease.Session());
      intake_->AcceptFormPost(lease.Session(), lead, nullptr, std::chrono::hours(24));
      transaction.Commit();
    }
    const std::string ends = trips.Stop();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 5) << ends;
  }

  // Another form, or a window of 0: a lead of its own.
  EXPECT_NE(post(other, "janos@kiss.example", "", "máshol").id(), first.id());
  EXPECT_NE(post(contact, "janos@kiss.example", "", "ablak nélkül", std::chrono::seconds(0)).id(),
            first.id());

  // No email: the phone's digits.
  const auto by_phone = post(contact, "", "06 30 111 2222", "hívjanak");
  EXPECT_EQ(post(contact, "", "06-30-111-2222", "újra").id(), by_phone.id());

  // A day later the window has passed: a new lead.
  context_.Clock().Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'780'090'000)));
  EXPECT_NE(post(contact, "janos@kiss.example", "", "holnap").id(), first.id());
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.lead"), "6");
}

TEST_F(LeadServiceTest, TheAssigneeFindsTheLeadAndASellerOutsideItsTeamDoesNot) {
  v1::Lead created;
  ASSERT_TRUE(Create("", created).ok());
  v1::GetLeadRequest get;
  get.set_id(created.id());

  v1::Lead found;
  auto status = leads_->GetLead(&As(anna_, "sales", std::to_string(south_))->context, &get, &found);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(found.id(), created.id());

  // Not hers, not her team's: as if it did not exist.
  status = leads_->GetLead(&As(cecil_, "sales")->context, &get, &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace karton::crm
