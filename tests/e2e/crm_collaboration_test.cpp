// Collaborative CRM (P7): what an external partner user (a reseller, a
// subcontractor) sees and does once records are shared with them. A shared
// deal shows its partner's card but not the partner's timeline or papers;
// a partner shared directly shows those; they plan, log and close work on
// what is shared with them, as themselves, and keep their own calendar.
#include <ctime>

#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"

namespace karton::testing {
namespace {

class CrmCollaborationTest : public CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    if (HasFatalFailure()) return;
    Start();
    activities_ = cv1::ActivityService::NewStub(channel_);
    NewSalesPipeline({"New"});
  }

  grpc::Status ShareDeal(std::int64_t deal, std::int64_t user, bool share = true) {
    cv1::Opportunity answered;
    if (share) {
      cv1::ShareOpportunityRequest request;
      request.set_id(deal);
      request.set_user_id(user);
      return opportunities_->ShareOpportunity(As().get(), request, &answered);
    }
    cv1::UnshareOpportunityRequest request;
    request.set_id(deal);
    request.set_user_id(user);
    return opportunities_->UnshareOpportunity(As().get(), request, &answered);
  }

  grpc::Status SharePartner(const std::string& token, std::int64_t partner, std::int64_t user,
                            bool share = true) {
    partners::v1::Partner answered;
    if (share) {
      partners::v1::SharePartnerRequest request;
      request.set_id(partner);
      request.set_user_id(user);
      return partners_->SharePartner(As(token).get(), request, &answered);
    }
    partners::v1::UnsharePartnerRequest request;
    request.set_id(partner);
    request.set_user_id(user);
    return partners_->UnsharePartner(As(token).get(), request, &answered);
  }

  grpc::StatusCode CardFor(const std::string& token, std::int64_t partner) {
    partners::v1::GetPartnerRequest get;
    get.set_id(partner);
    partners::v1::Partner card;
    return partners_->GetPartner(As(token).get(), get, &card).error_code();
  }

  std::vector<std::string> Timeline(const std::string& token, std::int64_t partner) {
    partners::v1::ListTimelineRequest request;
    request.set_partner_id(partner);
    partners::v1::ListTimelineResponse response;
    const auto status = partners_->ListTimeline(As(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> subjects;
    for (const auto& entry : response.interactions()) subjects.push_back(entry.subject());
    return subjects;
  }

  int PartnerDocuments(const std::string& token, std::int64_t partner) {
    partners::v1::ListDocumentsRequest request;
    request.set_resource_type("partners.partner");
    request.set_resource_id(partner);
    partners::v1::ListDocumentsResponse response;
    const auto status = partners_->ListDocuments(As(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.documents_size();
  }

  grpc::Status Log(const std::string& token, std::int64_t partner, const std::string& subject,
                   const std::string& resource_type = "", std::int64_t resource_id = 0,
                   const std::string& reference = "") {
    partners::v1::LogInteractionRequest request;
    auto* entry = request.mutable_interaction();
    entry->set_partner_id(partner);
    entry->set_channel(partners::v1::INTERACTION_CHANNEL_CALL);
    entry->set_direction(partners::v1::INTERACTION_DIRECTION_OUTBOUND);
    entry->set_subject(subject);
    entry->set_resource_type(resource_type);
    entry->set_resource_id(resource_id);
    entry->set_source_reference(reference);
    partners::v1::Interaction logged;
    return partners_->LogInteraction(As(token).get(), request, &logged);
  }

  grpc::Status Plan(const std::string& token, cv1::Activity activity, cv1::Activity* created) {
    activity.set_type(cv1::ACTIVITY_TYPE_TASK);
    activity.mutable_due_time()->set_seconds(due_seconds_);
    cv1::CreateActivityRequest request;
    *request.mutable_activity() = std::move(activity);
    return activities_->CreateActivity(As(token).get(), request, created);
  }

  std::string FirstViolation(const grpc::Status& status) {
    const auto violations = kernel::FieldViolationsOf(status);
    return violations.empty() ? "(none: " + status.error_message() + ")" : violations[0].field;
  }

  std::unique_ptr<cv1::ActivityService::Stub> activities_;
  // A week ahead: inside the iCalendar feed's window.
  const std::int64_t due_seconds_ = std::time(nullptr) + 7 * 86400;
};

TEST_F(CrmCollaborationTest, ASharedDealShowsThePartnerCardAndAPartnerShareShowsItsTimeline) {
  const auto reseller = NewColleague("reseller@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto deal = NewDeal("", "Hőszivattyú csere");
  const std::int64_t partner = deal.partner_id();
  ASSERT_TRUE(Log("", partner, "call with the customer's buyer").ok());
  UploadPartnerDocument(partner);
  ASSERT_FALSE(HasFailure());

  // Nothing shared: not even the card.
  EXPECT_EQ(CardFor(reseller.token, partner), grpc::StatusCode::NOT_FOUND);

  // The deal shared: its partner's card, not the partner's timeline or papers.
  ASSERT_TRUE(ShareDeal(deal.id(), reseller.id).ok());
  EXPECT_EQ(CardFor(reseller.token, partner), grpc::StatusCode::OK);
  EXPECT_TRUE(Timeline(reseller.token, partner).empty());
  EXPECT_EQ(PartnerDocuments(reseller.token, partner), 0);

  // Only writers share; an external partner cannot pass the partner on.
  EXPECT_EQ(SharePartner(reseller.token, partner, reseller.id).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SharePartner(anna.token, partner, 987654).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  partners::v1::SharePartnerRequest both;
  both.set_id(partner);
  both.set_user_id(reseller.id);
  both.set_team_id(1);
  partners::v1::Partner answered;
  EXPECT_EQ(FirstViolation(partners_->SharePartner(As().get(), both, &answered)), "user_id");

  // The partner shared directly: its timeline (not colleagues' notes) and
  // its papers.
  ASSERT_TRUE(SharePartner(anna.token, partner, reseller.id).ok());
  ASSERT_TRUE(SharePartner(anna.token, partner, reseller.id).ok());  // idempotent
  EXPECT_EQ(Timeline(reseller.token, partner),
            std::vector<std::string>{"call with the customer's buyer"});
  EXPECT_EQ(PartnerDocuments(reseller.token, partner), 1);
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                        "'partners.partner' AND changes @> '[{\"field\": \"shared_with_user\"}]'"),
            "1");

  // Unshared directly: the card stays through the deal, the rest goes.
  ASSERT_TRUE(SharePartner(anna.token, partner, reseller.id, false).ok());
  EXPECT_EQ(CardFor(reseller.token, partner), grpc::StatusCode::OK);
  EXPECT_TRUE(Timeline(reseller.token, partner).empty());
  EXPECT_EQ(PartnerDocuments(reseller.token, partner), 0);

  // The deal unshared: the card goes with it.
  ASSERT_TRUE(ShareDeal(deal.id(), reseller.id, false).ok());
  EXPECT_EQ(CardFor(reseller.token, partner), grpc::StatusCode::NOT_FOUND);
  cv1::GetOpportunityRequest get;
  get.set_id(deal.id());
  cv1::Opportunity seen;
  EXPECT_EQ(opportunities_->GetOpportunity(As(reseller.token).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM kernel.record_grant"), "0");
}

TEST_F(CrmCollaborationTest, AnExternalPartnerPlansLogsAndClosesTheirOwnWorkOnSharedDeals) {
  const auto reseller = NewColleague("reseller@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES_MANAGER);
  const auto shared = NewDeal("", "Közös projekt");
  const auto other = NewDeal("", "Belső projekt");
  ASSERT_TRUE(ShareDeal(shared.id(), reseller.id).ok());

  // Planning on the shared deal, as themselves: the deal names the partner.
  cv1::Activity task;
  task.set_subject("Helyszíni felmérés");
  task.set_opportunity_id(shared.id());
  cv1::Activity own;
  const auto planned = Plan(reseller.token, task, &own);
  ASSERT_TRUE(planned.ok()) << planned.error_message();
  EXPECT_EQ(own.assigned_user_id(), reseller.id);
  EXPECT_EQ(own.partner_id(), shared.partner_id());

  // Not on a deal they cannot see, not without a deal, not for someone
  // else, not on another partner.
  cv1::Activity refused_activity;
  cv1::Activity elsewhere = task;
  elsewhere.set_opportunity_id(other.id());
  EXPECT_EQ(FirstViolation(Plan(reseller.token, elsewhere, &refused_activity)),
            "activity.opportunity_id");
  cv1::Activity loose = task;
  loose.clear_opportunity_id();
  EXPECT_EQ(FirstViolation(Plan(reseller.token, loose, &refused_activity)),
            "activity.opportunity_id");
  cv1::Activity for_anna = task;
  for_anna.set_assigned_user_id(anna.id);
  EXPECT_EQ(FirstViolation(Plan(reseller.token, for_anna, &refused_activity)),
            "activity.assigned_user_id");
  cv1::Activity wrong_partner = task;
  wrong_partner.set_partner_id(other.partner_id());
  EXPECT_EQ(FirstViolation(Plan(reseller.token, wrong_partner, &refused_activity)),
            "activity.partner_id");

  // A task a colleague gives them, and a colleague's own call on the deal:
  // both visible, only their own to close.
  cv1::Activity given = task;
  given.set_subject("Árajánlat egyeztetése");
  given.set_assigned_user_id(reseller.id);
  cv1::Activity given_task;
  ASSERT_TRUE(Plan(anna.token, given, &given_task).ok());
  cv1::Activity colleagues = task;
  colleagues.set_subject("Belső egyeztetés");
  cv1::Activity colleagues_call;
  ASSERT_TRUE(Plan(anna.token, colleagues, &colleagues_call).ok());
  cv1::Activity elsewhere_call;
  cv1::Activity hidden = elsewhere;
  ASSERT_TRUE(Plan(anna.token, hidden, &elsewhere_call).ok());

  cv1::GetActivityRequest get;
  cv1::Activity seen;
  get.set_id(colleagues_call.id());
  EXPECT_TRUE(activities_->GetActivity(As(reseller.token).get(), get, &seen).ok());
  get.set_id(elsewhere_call.id());
  EXPECT_EQ(activities_->GetActivity(As(reseller.token).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  cv1::CompleteActivityRequest complete;
  complete.set_id(colleagues_call.id());
  complete.set_etag(colleagues_call.etag());
  cv1::Activity closed;
  EXPECT_EQ(activities_->CompleteActivity(As(reseller.token).get(), complete, &closed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  complete.set_id(given_task.id());
  complete.set_etag(given_task.etag());
  complete.set_outcome("egyeztetve, küldöm az ajánlatot");
  const auto completed = activities_->CompleteActivity(As(reseller.token).get(), complete, &closed);
  ASSERT_TRUE(completed.ok()) << completed.error_message();
  EXPECT_EQ(closed.status(), cv1::ACTIVITY_STATUS_DONE);

  // Updating their own, but not handing it to someone else.
  cv1::UpdateActivityRequest update;
  *update.mutable_activity() = own;
  update.mutable_activity()->set_subject("Helyszíni felmérés (kedd)");
  update.mutable_update_mask()->add_paths("subject");
  cv1::Activity updated;
  const auto renamed = activities_->UpdateActivity(As(reseller.token).get(), update, &updated);
  ASSERT_TRUE(renamed.ok()) << renamed.error_message();
  *update.mutable_activity() = updated;
  update.mutable_activity()->set_assigned_user_id(anna.id);
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("assigned_user_id");
  EXPECT_EQ(FirstViolation(activities_->UpdateActivity(As(reseller.token).get(), update, &seen)),
            "activity.assigned_user_id");

  // Their calendar: their own, the feed too; nobody else's.
  cv1::ListCalendarRequest calendar;
  calendar.mutable_start_time()->set_seconds(due_seconds_ - 86400);
  calendar.mutable_end_time()->set_seconds(due_seconds_ + 86400);
  cv1::ListCalendarResponse days;
  ASSERT_TRUE(activities_->ListCalendar(As(reseller.token).get(), calendar, &days).ok());
  ASSERT_EQ(days.activities_size(), 2);  // their own and the given task, done
  calendar.set_user_id(anna.id);
  EXPECT_EQ(activities_->ListCalendar(As(reseller.token).get(), calendar, &days).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  cv1::CalendarFeed feed;
  ASSERT_TRUE(activities_->GetCalendarFeed(As(reseller.token).get(), {}, &feed).ok());
  const std::string prefix = "http://" + kartond_->HttpAddress();
  ASSERT_EQ(feed.url().rfind(prefix, 0), 0u) << feed.url();
  std::string ics;
  ASSERT_EQ(HttpGet(kartond_->HttpAddress(), feed.url().substr(prefix.size()), ics), 200);
  EXPECT_NE(ics.find("Helyszíni felmérés (kedd)"), std::string::npos) << ics;
  EXPECT_EQ(ics.find("Belső egyeztetés"), std::string::npos) << ics;

  // Logging on the shared deal; the partner itself is not shared with them,
  // another deal is not theirs, and modules' references are not theirs to use.
  const std::int64_t partner = shared.partner_id();
  const auto logged =
      Log(reseller.token, partner, "felmérés megbeszélve", "crm.opportunity", shared.id());
  ASSERT_TRUE(logged.ok()) << logged.error_message();
  EXPECT_EQ(FirstViolation(Log(reseller.token, partner, "a partneren")),
            "interaction.resource_type");
  EXPECT_EQ(FirstViolation(
                Log(reseller.token, other.partner_id(), "máshol", "crm.opportunity", other.id())),
            "interaction.resource_id");
  EXPECT_EQ(FirstViolation(Log(reseller.token, partner, "utánzat", "crm.opportunity", shared.id(),
                               "message-1")),
            "interaction.source_reference");
  const auto timeline = Timeline(reseller.token, partner);
  EXPECT_NE(std::find(timeline.begin(), timeline.end(), "felmérés megbeszélve"), timeline.end());
}

}  // namespace
}  // namespace karton::testing
