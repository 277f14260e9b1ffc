// Campaigns end to end (docs/campaigns.md): segments of partners and
// contacts worked out by partners (and orders), a campaign that writes to
// a segment through messaging with each recipient's status following
// delivery, and a cold-call list shared between two salespeople whose
// calls land on the timeline and plan the call back. The real kartond, a
// real SMTP sink.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "karton/automation/v1/journey_service.grpc.pb.h"
#include "karton/campaigns/v1/call_list_service.grpc.pb.h"
#include "karton/campaigns/v1/campaign_service.grpc.pb.h"
#include "karton/campaigns/v1/segment_service.grpc.pb.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "sales_fixture.h"
#include "smtp_sink.h"

namespace karton::testing {
namespace {

namespace cv1 = campaigns::v1;
namespace pv1 = partners::v1;
namespace mv1 = messaging::v1;
using google::protobuf::util::TimeUtil;

class CampaignsTest : public SalesTest {
 protected:
  void StartCampaigns(const std::string& modules = "campaigns,orders") {
    Start({"--smtp-url", smtp_.Url(), "--mail-from", "Karton <crm@karton.example>"}, modules);
    segments_ = cv1::SegmentService::NewStub(channel_);
    campaigns_ = cv1::CampaignService::NewStub(channel_);
    calls_ = cv1::CallListService::NewStub(channel_);
    partners_ = pv1::PartnerService::NewStub(channel_);
    messaging_ = mv1::MessagingService::NewStub(channel_);
  }

  // A person; one with an email address opts in to marketing email
  // unless `opt_in` is false (campaigns are marketing: docs/messaging.md).
  std::int64_t Person(const std::string& name, const std::string& email, const std::string& tag,
                      const std::string& phone = "", bool opt_in = true) {
    pv1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(pv1::PARTNER_KIND_PERSON);
    request.mutable_partner()->set_display_name(name);
    if (!email.empty()) request.mutable_partner()->add_emails(email);
    if (!phone.empty()) request.mutable_partner()->add_phones(phone);
    if (!tag.empty()) request.mutable_partner()->add_tags(tag);
    pv1::Partner partner;
    const auto status = partners_->CreatePartner(As(admin_).get(), request, &partner);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!email.empty() && opt_in) {
      pv1::RecordMarketingConsentRequest consent;
      consent.set_partner_id(partner.id());
      consent.set_channel(pv1::MARKETING_CHANNEL_EMAIL);
      consent.set_granted(true);
      consent.set_source(pv1::CONSENT_SOURCE_FORM);
      consent.set_evidence("newsletter sign-up");
      pv1::MarketingConsent recorded;
      const auto consented =
          partners_->RecordMarketingConsent(As(admin_).get(), consent, &recorded);
      EXPECT_TRUE(consented.ok()) << consented.error_message();
    }
    return partner.id();
  }

  void Template(const std::string& name) {
    mv1::CreateTemplateRequest request;
    auto& tmpl = *request.mutable_template_();
    tmpl.set_name(name);
    tmpl.set_language("hu");
    tmpl.set_channel(mv1::CHANNEL_EMAIL);
    tmpl.set_subject("Őszi ajánlat, {{partner.display_name}}");
    tmpl.set_text_body("Kedves {{partner.display_name}}! {{campaign}}");
    mv1::Template created;
    const auto status = messaging_->CreateTemplate(As(admin_).get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  cv1::Segment Segment(const std::string& name, const std::string& filter) {
    cv1::CreateSegmentRequest request;
    request.mutable_segment()->set_name(name);
    request.mutable_segment()->set_filter(filter);
    cv1::Segment segment;
    const auto status = segments_->CreateSegment(As(admin_).get(), request, &segment);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return segment;
  }

  cv1::Campaign Get(std::int64_t id) {
    cv1::GetCampaignRequest request;
    request.set_id(id);
    cv1::Campaign campaign;
    EXPECT_TRUE(campaigns_->GetCampaign(As(admin_).get(), request, &campaign).ok());
    return campaign;
  }

  // Polls until `done(campaign)`, at most 30 s.
  template <class Done>
  cv1::Campaign WaitFor(std::int64_t id, Done done) {
    cv1::Campaign campaign = Get(id);
    for (int i = 0; i < 300 && !done(campaign); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      campaign = Get(id);
    }
    return campaign;
  }

  std::map<std::int64_t, cv1::CampaignRecipient> Recipients(std::int64_t campaign_id) {
    cv1::ListCampaignRecipientsRequest request;
    request.set_campaign_id(campaign_id);
    request.set_page_size(1000);
    cv1::ListCampaignRecipientsResponse response;
    EXPECT_TRUE(campaigns_->ListCampaignRecipients(As(admin_).get(), request, &response).ok());
    std::map<std::int64_t, cv1::CampaignRecipient> by_partner;
    for (const auto& recipient : response.recipients())
      by_partner[recipient.partner_id()] = recipient;
    return by_partner;
  }

  SmtpSink smtp_;
  std::unique_ptr<cv1::SegmentService::Stub> segments_;
  std::unique_ptr<cv1::CampaignService::Stub> campaigns_;
  std::unique_ptr<cv1::CallListService::Stub> calls_;
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
  std::unique_ptr<mv1::MessagingService::Stub> messaging_;
};

TEST_F(CampaignsTest, ACampaignWritesToItsSegmentAndFollowsEachRecipient) {
  StartCampaigns();
  Template("autumn_offer");
  const auto anna = Person("Kovács Anna", "anna@example.com", "newsletter");
  const auto bela = Person("Szabó Béla", "bela@example.com", "newsletter");
  const auto no_mail = Person("Tóth Csaba", "", "newsletter");
  const auto listed = Person("Nagy Dóra", "dora@example.com", "newsletter");
  const auto outsider = Person("Kiss Elemér", "elemer@example.com", "");
  // Gizella never opted in to marketing.
  const auto silent = Person("Fekete Gizella", "gizi@example.com", "newsletter", "", false);
  // Béla said no to marketing by phone: on the suppression list.
  mv1::CreateSuppressionRequest suppress;
  suppress.mutable_suppression()->set_channel(mv1::CHANNEL_EMAIL);
  suppress.mutable_suppression()->set_address("bela@example.com");
  mv1::Suppression suppression;
  ASSERT_TRUE(messaging_->CreateSuppression(As(admin_).get(), suppress, &suppression).ok());

  // A filter partners cannot read is refused naming the segment's field.
  cv1::CreateSegmentRequest bad;
  bad.mutable_segment()->set_name("Broken");
  bad.mutable_segment()->set_filter("shoe_size = 42");
  cv1::Segment refused;
  auto status = segments_->CreateSegment(As(admin_).get(), bad, &refused);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_FALSE(kernel::FieldViolationsOf(status).empty());
  EXPECT_EQ(kernel::FieldViolationsOf(status)[0].field, "segment.filter");

  // Subscribers minus Dóra, plus Elemér by hand.
  cv1::CreateSegmentRequest create;
  create.mutable_segment()->set_name("Subscribers");
  create.mutable_segment()->set_filter("tag = \"newsletter\"");
  create.mutable_segment()->add_excluded_partner_ids(listed);
  cv1::Segment segment;
  ASSERT_TRUE(segments_->CreateSegment(As(admin_).get(), create, &segment).ok());
  cv1::PreviewSegmentRequest preview;
  preview.set_segment_id(segment.id());
  cv1::PreviewSegmentResponse previewed;
  ASSERT_TRUE(segments_->PreviewSegment(As(admin_).get(), preview, &previewed).ok());
  EXPECT_EQ(previewed.member_count(), 4);
  cv1::UpdateSegmentRequest update;
  update.mutable_segment()->set_id(segment.id());
  update.mutable_segment()->add_partner_ids(outsider);
  update.mutable_update_mask()->add_paths("partner_ids");
  ASSERT_TRUE(segments_->UpdateSegment(As(admin_).get(), update, &segment).ok());
  // Members page by page, in partner order.
  cv1::ListSegmentMembersRequest members;
  members.set_segment_id(segment.id());
  members.set_page_size(2);
  std::vector<std::int64_t> seen;
  do {
    cv1::ListSegmentMembersResponse page;
    ASSERT_TRUE(segments_->ListSegmentMembers(As(admin_).get(), members, &page).ok());
    for (const auto& member : page.members()) seen.push_back(member.partner_id());
    members.set_page_token(page.next_page_token());
  } while (!members.page_token().empty());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{anna, bela, no_mail, outsider, silent}));

  // A template messaging does not have is refused by name.
  cv1::CreateCampaignRequest campaign_request;
  auto& definition = *campaign_request.mutable_campaign();
  definition.set_name("Őszi ajánlatok");
  definition.set_segment_id(segment.id());
  definition.set_channel(cv1::CAMPAIGN_CHANNEL_EMAIL);
  definition.set_template_name("no_such_template");
  cv1::Campaign campaign;
  status = campaigns_->CreateCampaign(As(admin_).get(), campaign_request, &campaign);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "campaign.template_name");
  definition.set_template_name("autumn_offer");
  ASSERT_TRUE(campaigns_->CreateCampaign(As(admin_).get(), campaign_request, &campaign).ok());
  EXPECT_EQ(campaign.state(), cv1::CAMPAIGN_STATE_DRAFT);

  cv1::ScheduleCampaignRequest schedule;
  schedule.set_id(campaign.id());
  ASSERT_TRUE(campaigns_->ScheduleCampaign(As(admin_).get(), schedule, &campaign).ok());
  // Scheduled twice is refused: it is no draft any more.
  cv1::Campaign again;
  EXPECT_EQ(campaigns_->ScheduleCampaign(As(admin_).get(), schedule, &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  campaign = WaitFor(campaign.id(), [](const cv1::Campaign& c) {
    return c.state() == cv1::CAMPAIGN_STATE_COMPLETED && c.statistics().queued() == 0;
  });
  ASSERT_EQ(campaign.state(), cv1::CAMPAIGN_STATE_COMPLETED);
  EXPECT_EQ(campaign.statistics().recipients(), 5);
  EXPECT_EQ(campaign.statistics().sent(), 2);  // Anna, Elemér
  // Béla (on the list), Csaba (no address), Gizella (no opt-in).
  EXPECT_EQ(campaign.statistics().suppressed(), 3);
  EXPECT_EQ(campaign.statistics().pending(), 0);
  ASSERT_TRUE(smtp_.WaitForMessages(2, std::chrono::seconds(10)));
  auto recipients = Recipients(campaign.id());
  EXPECT_EQ(recipients[anna].status(), cv1::RECIPIENT_STATUS_SENT);
  EXPECT_EQ(recipients[anna].address(), "anna@example.com");
  EXPECT_NE(recipients[anna].message_id(), 0);
  EXPECT_EQ(recipients[bela].status(), cv1::RECIPIENT_STATUS_SUPPRESSED);
  EXPECT_EQ(recipients[no_mail].status(), cv1::RECIPIENT_STATUS_SUPPRESSED);
  EXPECT_NE(recipients[no_mail].detail().find("no email address"), std::string::npos)
      << recipients[no_mail].detail();
  EXPECT_EQ(recipients.count(listed), 0u);
  EXPECT_EQ(recipients[silent].status(), cv1::RECIPIENT_STATUS_SUPPRESSED);
  EXPECT_NE(recipients[silent].detail().find("no marketing consent"), std::string::npos)
      << recipients[silent].detail();

  // Anna unsubscribes with her message's link: her row says so.
  ReceivedMail to_anna;
  for (const auto& mail : smtp_.Messages()) {
    if (mail.recipients.at(0) == "anna@example.com") to_anna = mail;
  }
  const std::string header = to_anna.Header("List-Unsubscribe");
  ASSERT_GT(header.size(), 2u);
  const std::string url = header.substr(1, header.size() - 2);
  const std::string target = url.substr(("http://" + kartond_->HttpAddress()).size());
  std::string page;
  ASSERT_EQ(HttpCall(kartond_->HttpAddress(), "POST", target,
                     {{"Content-Type", "application/x-www-form-urlencoded"}},
                     "List-Unsubscribe=One-Click", page),
            200)
      << page;
  campaign = WaitFor(campaign.id(),
                     [](const cv1::Campaign& c) { return c.statistics().unsubscribed() == 1; });
  EXPECT_EQ(campaign.statistics().unsubscribed(), 1);
  EXPECT_EQ(Recipients(campaign.id())[anna].status(), cv1::RECIPIENT_STATUS_UNSUBSCRIBED);

  // The command line shows the same, as a table and as JSON.
  const auto [get_exit, shown] =
      RunCommand(Karton() + fmt::format("campaigns get {}", campaign.id()));
  ASSERT_EQ(get_exit, 0) << shown;
  EXPECT_NE(shown.find("completed"), std::string::npos) << shown;
  EXPECT_NE(shown.find("unsubscribed 1"), std::string::npos) << shown;
  const auto [list_exit, listed_json] =
      RunCommand(Karton() + fmt::format("--output json campaigns recipients {} --status suppressed",
                                        campaign.id()));
  ASSERT_EQ(list_exit, 0) << listed_json;
  EXPECT_NE(listed_json.find("RECIPIENT_STATUS_SUPPRESSED"), std::string::npos) << listed_json;
  EXPECT_EQ(listed_json.find("RECIPIENT_STATUS_SENT"), std::string::npos) << listed_json;
  const auto [preview_exit, preview_text] =
      RunCommand(Karton() + fmt::format("segments preview {}", segment.id()));
  ASSERT_EQ(preview_exit, 0) << preview_text;
  EXPECT_NE(preview_text.find("5 member(s)"), std::string::npos) << preview_text;
  const auto [bad_exit, bad_text] =
      RunCommand(Karton() + "segments create --name Rossz --filter 'shoe_size = 42' 2>&1");
  EXPECT_EQ(bad_exit, 1) << bad_text;
  EXPECT_NE(bad_text.find("segment.filter"), std::string::npos) << bad_text;

  // A finished campaign neither changes nor cancels, and its segment
  // stays deletable only while no campaign is under way.
  cv1::UpdateCampaignRequest rename;
  rename.mutable_campaign()->set_id(campaign.id());
  rename.mutable_campaign()->set_name("Renamed");
  rename.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(campaigns_->UpdateCampaign(As(admin_).get(), rename, &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  cv1::CancelCampaignRequest cancel;
  cancel.set_id(campaign.id());
  EXPECT_EQ(campaigns_->CancelCampaign(As(admin_).get(), cancel, &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(CampaignsTest, AScheduledCampaignCanBeCanceledBeforeItsTime) {
  StartCampaigns();
  Template("spring_offer");
  Person("Kovács Anna", "anna@example.com", "newsletter");
  const auto segment = Segment("Subscribers", "tag = \"newsletter\"");
  cv1::CreateCampaignRequest request;
  request.mutable_campaign()->set_name("Tavaszi ajánlat");
  request.mutable_campaign()->set_segment_id(segment.id());
  request.mutable_campaign()->set_channel(cv1::CAMPAIGN_CHANNEL_EMAIL);
  request.mutable_campaign()->set_template_name("spring_offer");
  *request.mutable_campaign()->mutable_send_time() =
      TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(24);
  cv1::Campaign campaign;
  ASSERT_TRUE(campaigns_->CreateCampaign(As(admin_).get(), request, &campaign).ok());
  cv1::ScheduleCampaignRequest schedule;
  schedule.set_id(campaign.id());
  schedule.set_etag(campaign.etag());
  ASSERT_TRUE(campaigns_->ScheduleCampaign(As(admin_).get(), schedule, &campaign).ok());
  EXPECT_EQ(campaign.state(), cv1::CAMPAIGN_STATE_SCHEDULED);
  // The segment is in use.
  cv1::DeleteSegmentRequest remove;
  remove.set_id(segment.id());
  cv1::DeleteSegmentResponse removed;
  EXPECT_EQ(segments_->DeleteSegment(As(admin_).get(), remove, &removed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  cv1::CancelCampaignRequest cancel;
  cancel.set_id(campaign.id());
  ASSERT_TRUE(campaigns_->CancelCampaign(As(admin_).get(), cancel, &campaign).ok());
  EXPECT_EQ(campaign.state(), cv1::CAMPAIGN_STATE_CANCELED);
  EXPECT_EQ(campaign.statistics().recipients(), 0);
  EXPECT_TRUE(segments_->DeleteSegment(As(admin_).get(), remove, &removed).ok());
  // A salesperson reads campaigns but does not run them.
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  cv1::ListCampaignsResponse listed;
  EXPECT_TRUE(campaigns_->ListCampaigns(As(salesperson).get(), {}, &listed).ok());
  EXPECT_EQ(listed.campaigns_size(), 1);
  EXPECT_EQ(campaigns_->CreateCampaign(As(salesperson).get(), request, &campaign).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CampaignsTest, ContactSegmentsAndBuyersOnly) {
  StartCampaigns();
  // An organisation with two contacts, one without.
  pv1::CreatePartnerRequest organisation;
  organisation.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  organisation.mutable_partner()->set_display_name("Fűtés Kft.");
  organisation.mutable_partner()->add_tags("installer");
  pv1::Partner company;
  ASSERT_TRUE(partners_->CreatePartner(As(admin_).get(), organisation, &company).ok());
  for (const char* name : {"Kiss Péter", "Nagy Éva"}) {
    pv1::CreateContactRequest contact;
    contact.set_partner_id(company.id());
    contact.mutable_contact()->set_name(name);
    pv1::Contact made;
    const auto made_status = partners_->CreateContact(As(admin_).get(), contact, &made);
    ASSERT_TRUE(made_status.ok()) << made_status.error_message();
  }
  const auto buyer = Person("Vevő Vera", "vera@example.com", "installer");
  cv1::PreviewSegmentRequest preview;
  preview.mutable_segment()->set_members(cv1::SEGMENT_MEMBERS_CONTACTS);
  preview.mutable_segment()->set_filter("tag = \"installer\" and kind = \"organization\"");
  cv1::PreviewSegmentResponse previewed;
  ASSERT_TRUE(segments_->PreviewSegment(As(admin_).get(), preview, &previewed).ok());
  ASSERT_EQ(previewed.member_count(), 2);
  EXPECT_EQ(previewed.sample(0).partner_id(), company.id());
  EXPECT_EQ(previewed.sample(0).display_name(), "Kiss Péter");
  EXPECT_NE(previewed.sample(0).contact_id(), 0);

  // Only those who bought the boiler: Vera's confirmed order.
  orders::v1::CreateProductRequest product_request;
  product_request.mutable_product()->set_sku("KAZ-24");
  product_request.mutable_product()->set_name("Gázkazán 24 kW");
  product_request.mutable_product()->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  product_request.mutable_product()->mutable_list_price()->set_currency_code("HUF");
  product_request.mutable_product()->mutable_list_price()->set_minor_units(48900000);
  orders::v1::Product product;
  auto status = products_->CreateProduct(As(admin_).get(), product_request, &product);
  ASSERT_TRUE(status.ok()) << status.error_message();
  orders::v1::CreateOrderRequest order_request;
  order_request.mutable_order()->set_partner_id(buyer);
  order_request.mutable_order()->set_currency_code("HUF");
  auto* line = order_request.mutable_order()->add_lines();
  line->set_product_id(product.id());
  line->set_quantity("1");
  orders::v1::Order order;
  status = orders_->CreateOrder(As(admin_).get(), order_request, &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  orders::v1::ConfirmOrderRequest confirm;
  confirm.set_id(order.id());
  status = orders_->ConfirmOrder(As(admin_).get(), confirm, &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  preview.mutable_segment()->set_members(cv1::SEGMENT_MEMBERS_PARTNERS);
  preview.mutable_segment()->set_filter("tag = \"installer\"");
  preview.mutable_segment()->mutable_purchased()->add_product_ids(product.id());
  ASSERT_TRUE(segments_->PreviewSegment(As(admin_).get(), preview, &previewed).ok());
  ASSERT_EQ(previewed.member_count(), 1);
  EXPECT_EQ(previewed.sample(0).partner_id(), buyer);
}

TEST_F(CampaignsTest, ACallListIsSharedAndEachCallLandsOnTheTimeline) {
  StartCampaigns();
  const auto anna = User("anna@karton.example", kv1::ROLE_SALES);
  const auto anna_id = last_user_id_;
  const auto bela = User("bela@karton.example", kv1::ROLE_SALES);
  const auto bela_id = last_user_id_;
  std::vector<std::int64_t> people;
  for (int i = 0; i < 4; ++i) {
    people.push_back(
        Person(fmt::format("Érdeklődő {}", i), "", "cold", fmt::format("+3630123456{}", i)));
  }
  Person("Telefon nélkül", "x@example.com", "cold");
  const auto segment = Segment("Cold prospects", "tag = \"cold\"");
  cv1::CreateCallListRequest create;
  create.mutable_call_list()->set_name("Hideghívás november");
  create.mutable_call_list()->set_segment_id(segment.id());
  create.mutable_call_list()->add_assignee_user_ids(anna_id);
  create.mutable_call_list()->add_assignee_user_ids(bela_id);
  create.mutable_call_list()->set_script("Kérdezze meg, milyen fűtése van.");
  cv1::CallList list;
  // A salesperson calls; a manager makes the lists.
  EXPECT_EQ(calls_->CreateCallList(As(anna).get(), create, &list).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(calls_->CreateCallList(As(admin_).get(), create, &list).ok());
  EXPECT_EQ(list.statistics().entries(), 4);  // the one without a phone is left out
  EXPECT_EQ(list.statistics().open(), 4);

  cv1::ListCallListEntriesRequest mine;
  mine.set_call_list_id(list.id());
  mine.set_assigned_user_id(anna_id);
  cv1::ListCallListEntriesResponse annas;
  ASSERT_TRUE(calls_->ListCallListEntries(As(anna).get(), mine, &annas).ok());
  ASSERT_EQ(annas.entries_size(), 2);
  EXPECT_EQ(annas.entries(0).partner_id(), people[0]);
  EXPECT_EQ(annas.entries(1).partner_id(), people[2]);

  // Béla may not record Anna's call; a call back needs its time.
  cv1::RecordCallRequest call;
  call.set_entry_id(annas.entries(0).id());
  call.set_outcome(cv1::CALL_OUTCOME_CALL_BACK);
  call.set_note("Jövő héten ráér.");
  cv1::CallListEntry entry;
  auto status = calls_->RecordCall(As(anna).get(), call, &entry);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "call_back_time");
  *call.mutable_call_back_time() = TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(72);
  EXPECT_EQ(calls_->RecordCall(As(bela).get(), call, &entry).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = calls_->RecordCall(As(anna).get(), call, &entry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(entry.open());
  EXPECT_EQ(entry.attempts(), 1);
  EXPECT_EQ(entry.last_outcome(), cv1::CALL_OUTCOME_CALL_BACK);

  // The call back is Anna's planned call; the call is on the timeline.
  auto activities = crm::v1::ActivityService::NewStub(channel_);
  crm::v1::ListActivitiesRequest planned;
  planned.set_partner_id(people[0]);
  crm::v1::ListActivitiesResponse found;
  ASSERT_TRUE(activities->ListActivities(As(admin_).get(), planned, &found).ok());
  ASSERT_EQ(found.activities_size(), 1);
  EXPECT_EQ(found.activities(0).type(), crm::v1::ACTIVITY_TYPE_CALL);
  EXPECT_EQ(found.activities(0).assigned_user_id(), anna_id);
  EXPECT_EQ(found.activities(0).due_time().seconds(), call.call_back_time().seconds());
  pv1::ListTimelineRequest timeline;
  timeline.set_partner_id(people[0]);
  pv1::ListTimelineResponse entries;
  ASSERT_TRUE(partners_->ListTimeline(As(admin_).get(), timeline, &entries).ok());
  bool logged = false;
  for (const auto& interaction : entries.interactions()) {
    if (interaction.source_module() == "campaigns") {
      logged = true;
      EXPECT_EQ(interaction.subject(), "Hideghívás november: visszahívást kért");
      EXPECT_EQ(interaction.body(), "Jövő héten ráér.");
      EXPECT_EQ(interaction.channel(), pv1::INTERACTION_CHANNEL_CALL);
    }
  }
  EXPECT_TRUE(logged);

  // Reached on the second try, with a follow-up task: the entry closes.
  cv1::RecordCallRequest reached;
  reached.set_entry_id(annas.entries(0).id());
  reached.set_outcome(cv1::CALL_OUTCOME_REACHED);
  reached.mutable_follow_up()->set_subject("Ajánlat küldése");
  *reached.mutable_follow_up()->mutable_due_time() =
      TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(24);
  status = calls_->RecordCall(As(anna).get(), reached, &entry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(entry.open());
  EXPECT_EQ(entry.attempts(), 2);
  ASSERT_TRUE(activities->ListActivities(As(admin_).get(), planned, &found).ok());
  EXPECT_EQ(found.activities_size(), 2);
  EXPECT_EQ(calls_->RecordCall(As(anna).get(), reached, &entry).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  cv1::GetCallListRequest get;
  get.set_id(list.id());
  ASSERT_TRUE(calls_->GetCallList(As(anna).get(), get, &list).ok());
  EXPECT_EQ(list.statistics().open(), 3);
  EXPECT_EQ(list.statistics().reached(), 1);
}

TEST_F(CampaignsTest, AJourneyEnrolsASegmentOnce) {
  StartCampaigns("campaigns,orders,automation");
  const auto anna = Person("Kovács Anna", "anna@example.com", "heating");
  Person("Szabó Béla", "bela@example.com", "heating");
  Person("Kiss Elemér", "elemer@example.com", "");
  const auto segment = Segment("Heating", "tag = \"heating\"");
  auto journeys = automation::v1::JourneyService::NewStub(channel_);
  automation::v1::CreateJourneyRequest create;
  auto& journey = *create.mutable_journey();
  journey.set_name("Welcome");
  journey.set_enabled(true);
  auto& step = *journey.add_steps();
  step.mutable_offset()->set_seconds(3600);
  step.mutable_create_activity()->set_subject("Welcome call");
  step.mutable_create_activity()->set_assign_record_owner(true);
  automation::v1::Journey made;
  auto status = journeys->CreateJourney(As(admin_).get(), create, &made);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Anna is in it already.
  automation::v1::EnrolInJourneyRequest one;
  one.set_journey_id(made.id());
  one.set_subject_id(anna);
  automation::v1::Enrolment enrolment;
  ASSERT_TRUE(journeys->EnrolInJourney(As(admin_).get(), one, &enrolment).ok());
  automation::v1::EnrolSegmentRequest request;
  request.set_journey_id(made.id());
  request.set_segment_id(segment.id());
  automation::v1::EnrolSegmentResponse response;
  status = journeys->EnrolSegment(As(admin_).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.enrolled_count(), 1);  // Béla
  EXPECT_EQ(response.skipped_count(), 1);   // Anna
  status = journeys->EnrolSegment(As(admin_).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.enrolled_count(), 0);
  EXPECT_EQ(response.skipped_count(), 2);
  request.set_segment_id(segment.id() + 100);
  status = journeys->EnrolSegment(As(admin_).get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "segment_id");
}

TEST_F(CampaignsTest, TheDemoDataHasSegmentsAndAFinishedCampaign) {
  Start({"--demo"}, "campaigns,orders");
  segments_ = cv1::SegmentService::NewStub(channel_);
  campaigns_ = cv1::CampaignService::NewStub(channel_);
  cv1::ListSegmentsResponse segments;
  ASSERT_TRUE(segments_->ListSegments(As(admin_).get(), {}, &segments).ok());
  ASSERT_EQ(segments.segments_size(), 2);
  // Both demo segments read as partners reads filters today.
  for (const auto& segment : segments.segments()) {
    cv1::PreviewSegmentRequest preview;
    preview.set_segment_id(segment.id());
    cv1::PreviewSegmentResponse previewed;
    const auto status = segments_->PreviewSegment(As(admin_).get(), preview, &previewed);
    EXPECT_TRUE(status.ok()) << segment.name() << ": " << status.error_message();
  }
  cv1::ListCampaignsResponse campaigns;
  ASSERT_TRUE(campaigns_->ListCampaigns(As(admin_).get(), {}, &campaigns).ok());
  ASSERT_EQ(campaigns.campaigns_size(), 1);
  const auto& autumn = campaigns.campaigns(0);
  EXPECT_EQ(autumn.state(), cv1::CAMPAIGN_STATE_COMPLETED);
  EXPECT_GT(autumn.statistics().recipients(), 10);
  EXPECT_GT(autumn.statistics().sent(), autumn.statistics().recipients() / 2);
  EXPECT_EQ(autumn.statistics().pending(), 0);
  EXPECT_EQ(autumn.statistics().recipients(),
            autumn.statistics().sent() + autumn.statistics().bounced() +
                autumn.statistics().unsubscribed() + autumn.statistics().suppressed());
}

}  // namespace
}  // namespace karton::testing
