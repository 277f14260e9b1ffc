// Activities, reminders, calendars and the customer overview end to end
// (C6, C7, C8, A6), on kartond's test clock.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <libical/ical.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <map>
#include <tuple>

#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/crm/v1/customer_overview_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "messaging_fixture.h"
#include "timeline_entries.h"

namespace karton::testing {
namespace {

using google::protobuf::util::TimeUtil;

class CrmActivitiesTest : public CrmTest {
 protected:
  void StartWithTestClock() {
    Start({"--test-clock"});
    activities_ = cv1::ActivityService::NewStub(channel_);
  }

  // The server's clock (AdvanceClock by one microsecond tells it).
  google::protobuf::Timestamp Now() { return Advance(std::chrono::microseconds(1)); }

  // Whether kartond has done everything due by its clock (`now`), so that
  // what has not happened yet will not happen by then either.
  bool NothingIsDueAt(const google::protobuf::Timestamp& now) {
    return WaitUntilNothingIsDue(
        conninfo_, std::chrono::system_clock::time_point(
                       std::chrono::microseconds(TimeUtil::TimestampToMicroseconds(now))));
  }

  google::protobuf::Timestamp Advance(std::chrono::microseconds by) {
    kv1::AdvanceClockRequest request;
    *request.mutable_duration() = TimeUtil::MicrosecondsToDuration(by.count());
    kv1::AdvanceClockResponse response;
    const auto status =
        kv1::KernelService::NewStub(channel_)->AdvanceClock(As().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.now();
  }

  cv1::Activity NewActivity(const std::string& token, cv1::ActivityType type,
                            const std::string& subject, const google::protobuf::Timestamp& start,
                            std::int64_t partner_id = 0, std::int64_t opportunity_id = 0) {
    cv1::CreateActivityRequest request;
    auto* activity = request.mutable_activity();
    activity->set_type(type);
    activity->set_subject(subject);
    activity->set_location("Szeged, Kárász utca 5.");
    *activity->mutable_start_time() = start;
    activity->mutable_duration()->set_seconds(3600);
    activity->add_reminders()->set_seconds(15 * 60);
    activity->set_partner_id(partner_id);
    activity->set_opportunity_id(opportunity_id);
    cv1::Activity created;
    const auto status = activities_->CreateActivity(As(token).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  std::int64_t NewPartner(const std::string& name, const std::string& email = "") {
    partners::v1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
    request.mutable_partner()->set_display_name(name);
    if (!email.empty()) request.mutable_partner()->add_emails(email);
    partners::v1::Partner partner;
    EXPECT_TRUE(partners_->CreatePartner(As().get(), request, &partner).ok());
    return partner.id();
  }

  std::unique_ptr<cv1::ActivityService::Stub> activities_;
};

google::protobuf::Timestamp Plus(google::protobuf::Timestamp time, std::chrono::seconds by) {
  time.set_seconds(time.seconds() + by.count());
  time.set_nanos(0);
  return time;
}

TEST_F(CrmActivitiesTest, AReminderFiresWhenTheClockPassesIt) {
  StartWithTestClock();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto meeting = NewActivity(anna.token, cv1::ACTIVITY_TYPE_MEETING,
                                   "Bemutató a Zöld Kft.-nél", Plus(Now(), std::chrono::hours(2)));
  EXPECT_EQ(meeting.assigned_user_id(), anna.id);
  EXPECT_EQ(meeting.status(), cv1::ACTIVITY_STATUS_PLANNED);

  // An hour on: not yet (kartond has done all that is due by then).
  ASSERT_TRUE(NothingIsDueAt(Advance(std::chrono::hours(1))));
  EXPECT_TRUE(sink_->Messages().empty());
  // Past the reminder (15 minutes before the start): the email comes.
  Advance(std::chrono::minutes(50));
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(20)));
  const ReceivedMail mail = sink_->Messages().at(0);
  EXPECT_EQ(mail.recipients.at(0), "anna@karton.example");
  EXPECT_EQ(DecodeEncodedWords(mail.Header("Subject")), "Emlékeztető: Bemutató a Zöld Kft.-nél");

  // Moving the meeting moves the reminder; a cancelled one never fires.
  const auto call = NewActivity(anna.token, cv1::ACTIVITY_TYPE_CALL, "Visszahívás",
                                Plus(Now(), std::chrono::hours(3)));
  cv1::CancelActivityRequest cancel;
  cancel.set_id(call.id());
  cancel.set_etag(call.etag());
  cancel.set_reason("az ügyfél lemondta");
  cv1::Activity canceled;
  ASSERT_TRUE(activities_->CancelActivity(As(anna.token).get(), cancel, &canceled).ok());
  EXPECT_EQ(canceled.status(), cv1::ACTIVITY_STATUS_CANCELED);
  ASSERT_TRUE(NothingIsDueAt(Advance(std::chrono::hours(4))));
  EXPECT_EQ(sink_->Messages().size(), 1u);
}

// Reminders that fall due together reach their subscription as one run:
// one SendMessages queues them all (one transaction in messaging), each
// assignee looked up once.
TEST_F(CrmActivitiesTest, RemindersDueTogetherAreQueuedInOneTransaction) {
  StartWithTestClock();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto peter = NewColleague("peter@karton.example", kv1::ROLE_SALES);
  const auto start = Plus(Now(), std::chrono::hours(2));
  NewActivity(anna.token, cv1::ACTIVITY_TYPE_MEETING, "Bemutató", start);
  NewActivity(anna.token, cv1::ACTIVITY_TYPE_CALL, "Visszahívás", start);
  NewActivity(peter.token, cv1::ACTIVITY_TYPE_CALL, "Ajánlat", start);
  {
    SubscriptionHold hold(conninfo_, "crm.activity_reminders");
    Advance(std::chrono::minutes(110));  // past the reminders, 15 minutes before the start
    const auto due = [&] {
      return QueryScalar(conninfo_,
                         "SELECT count(*) FROM kernel.event WHERE topic = 'crm.activity.due'");
    };
    for (int i = 0; i < 200 && due() != "3"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(due(), "3");
  }
  ASSERT_TRUE(sink_->WaitForMessages(3, std::chrono::seconds(20)));
  std::multiset<std::string> reminders;
  for (const auto& mail : sink_->Messages()) {
    reminders.insert(mail.recipients.at(0) + ": " + DecodeEncodedWords(mail.Header("Subject")));
  }
  EXPECT_EQ(reminders, (std::multiset<std::string>{"anna@karton.example: Emlékeztető: Bemutató",
                                                   "anna@karton.example: Emlékeztető: Visszahívás",
                                                   "peter@karton.example: Emlékeztető: Ajánlat"}));
  // Sent messages change (their status); their audit entries do not.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*)::text || ' in ' || count(DISTINCT a.xmin::text) FROM "
                        "kernel.audit_entry a JOIN messaging.message m ON m.id = a.resource_id "
                        "WHERE a.resource_type = 'messaging.message' AND a.action = 'create' "
                        "AND m.idempotency_key LIKE 'crm.activity.%.due.%'"),
            "3 in 1");
}

TEST_F(CrmActivitiesTest, TheIcsFeedCarriesTheActivityAndRotationRetiresTheOldUrl) {
  StartWithTestClock();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto peter = NewColleague("peter@karton.example", kv1::ROLE_SALES);
  const auto meeting =
      NewActivity(anna.token, cv1::ACTIVITY_TYPE_MEETING, "Tárgyalás: Árvíztűrő Zrt.",
                  Plus(Now(), std::chrono::hours(24)));
  cv1::CalendarFeed feed;
  ASSERT_TRUE(activities_->GetCalendarFeed(As(anna.token).get(), {}, &feed).ok());
  EXPECT_EQ(feed.user_id(), anna.id);
  const std::string prefix = "http://" + kartond_->HttpAddress();
  ASSERT_EQ(feed.url().rfind(prefix + "/calendar/", 0), 0u) << feed.url();
  const std::string path = feed.url().substr(prefix.size());
  // Only a hash of the secret is kept: asked again, the feed is there
  // without its URL; nobody else's can be asked for.
  cv1::CalendarFeed again;
  ASSERT_TRUE(activities_->GetCalendarFeed(As(anna.token).get(), {}, &again).ok());
  EXPECT_TRUE(again.url().empty()) << again.url();
  EXPECT_EQ(again.user_id(), anna.id);
  EXPECT_EQ(again.create_time().seconds(), feed.create_time().seconds());
  const std::string secret = path.substr(std::string("/calendar/").size(), 43);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM crm.calendar_feed WHERE token_hash = '" +
                                       secret + "' OR token_hash LIKE '%" + secret + "%'"),
            "0");
  cv1::GetCalendarFeedRequest other;
  other.set_user_id(anna.id);
  EXPECT_EQ(activities_->GetCalendarFeed(As(peter.token).get(), other, &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  std::string ics;
  ASSERT_EQ(HttpGet(kartond_->HttpAddress(), path, ics), 200);
  std::unique_ptr<icalcomponent, decltype(&icalcomponent_free)> calendar(
      icalparser_parse_string(ics.c_str()), &icalcomponent_free);
  ASSERT_NE(calendar, nullptr) << ics;
  ASSERT_EQ(icalcomponent_isa(calendar.get()), ICAL_VCALENDAR_COMPONENT);
  icalcomponent* event = icalcomponent_get_first_component(calendar.get(), ICAL_VEVENT_COMPONENT);
  ASSERT_NE(event, nullptr) << ics;
  EXPECT_STREQ(icalcomponent_get_summary(event), "Tárgyalás: Árvíztűrő Zrt.");
  EXPECT_STREQ(icalcomponent_get_location(event), "Szeged, Kárász utca 5.");
  EXPECT_EQ(icaltime_as_timet(icalcomponent_get_dtstart(event)), meeting.start_time().seconds());
  EXPECT_EQ(icaltime_as_timet(icalcomponent_get_dtend(event)),
            meeting.start_time().seconds() + 3600);
  EXPECT_NE(icalcomponent_get_first_component(event, ICAL_VALARM_COMPONENT), nullptr);
  EXPECT_EQ(icalcomponent_count_errors(calendar.get()), 0);

  // A change shows on the next fetch.
  cv1::UpdateActivityRequest update;
  update.mutable_activity()->set_id(meeting.id());
  update.mutable_activity()->set_etag(meeting.etag());
  update.mutable_activity()->set_subject("Tárgyalás (áthelyezve)");
  update.mutable_update_mask()->add_paths("subject");
  cv1::Activity updated;
  ASSERT_TRUE(activities_->UpdateActivity(As(anna.token).get(), update, &updated).ok());
  ASSERT_EQ(HttpGet(kartond_->HttpAddress(), path, ics), 200);
  EXPECT_NE(ics.find("SUMMARY:Tárgyalás (áthelyezve)"), std::string::npos) << ics;

  cv1::CalendarFeed rotated;
  ASSERT_TRUE(activities_->RotateCalendarFeed(As(anna.token).get(), {}, &rotated).ok());
  EXPECT_NE(rotated.url(), feed.url());
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), path, ics), 404);
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), rotated.url().substr(prefix.size()), ics), 200);

  // ListCalendar: the same activity in its range.
  cv1::ListCalendarRequest range;
  *range.mutable_start_time() = Now();
  *range.mutable_end_time() = Plus(Now(), std::chrono::hours(48));
  cv1::ListCalendarResponse listed;
  ASSERT_TRUE(activities_->ListCalendar(As(anna.token).get(), range, &listed).ok());
  ASSERT_EQ(listed.activities_size(), 1);
  EXPECT_EQ(listed.activities(0).id(), meeting.id());

  // Disabling Anna stops her feed (within the few seconds users are kept).
  kv1::GetUserRequest get_anna;
  get_anna.set_id(anna.id);
  kv1::UpdateUserRequest disable;
  ASSERT_TRUE(identity_->GetUser(As().get(), get_anna, disable.mutable_user()).ok());
  disable.mutable_user()->set_disabled(true);
  disable.mutable_update_mask()->add_paths("disabled");
  kv1::User disabled;
  ASSERT_TRUE(identity_->UpdateUser(As().get(), disable, &disabled).ok());
  int status = 200;
  for (int i = 0; i < 100 && status == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = HttpGet(kartond_->HttpAddress(), rotated.url().substr(prefix.size()), ics);
  }
  EXPECT_EQ(status, 404);
}

TEST_F(CrmActivitiesTest, CompletingWritesTheTimelineAndTheStaleJobFlagsExactlyTheRightDeals) {
  StartWithTestClock();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  cv1::CreatePipelineRequest create_pipeline;
  create_pipeline.mutable_pipeline()->set_name("Sales");
  for (const char* name : {"New", "Offer"})
    create_pipeline.mutable_pipeline()->add_stages()->set_name(name);
  auto* won = create_pipeline.mutable_pipeline()->add_stages();
  won->set_name("Won");
  won->set_won(true);
  auto* lost = create_pipeline.mutable_pipeline()->add_stages();
  lost->set_name("Lost");
  lost->set_lost(true);
  cv1::Pipeline pipeline;
  ASSERT_TRUE(pipelines_->CreatePipeline(As().get(), create_pipeline, &pipeline).ok());
  const auto partner = NewPartner("Zöld Kft.");
  std::vector<cv1::Opportunity> deals;
  for (const char* name : {"with a next step", "only a finished call", "nothing planned"}) {
    cv1::CreateOpportunityRequest create;
    create.mutable_opportunity()->set_name(name);
    create.mutable_opportunity()->set_partner_id(partner);
    create.mutable_opportunity()->set_owner_user_id(anna.id);
    cv1::Opportunity deal;
    ASSERT_TRUE(opportunities_->CreateOpportunity(As().get(), create, &deal).ok());
    deals.push_back(deal);
  }
  NewActivity(anna.token, cv1::ACTIVITY_TYPE_MEETING, "Ajánlat bemutatása",
              Plus(Now(), std::chrono::hours(24 * 3)), 0, deals[0].id());
  const auto call = NewActivity(anna.token, cv1::ACTIVITY_TYPE_CALL, "Igényfelmérő hívás",
                                Plus(Now(), std::chrono::hours(1)), 0, deals[1].id());
  EXPECT_EQ(call.partner_id(), partner);  // from the opportunity
  cv1::CompleteActivityRequest complete;
  complete.set_id(call.id());
  complete.set_etag(call.etag());
  complete.set_outcome("Ajánlatot kér jövő hétre");
  cv1::Activity done;
  ASSERT_TRUE(activities_->CompleteActivity(As(anna.token).get(), complete, &done).ok());
  EXPECT_EQ(done.status(), cv1::ACTIVITY_STATUS_DONE);

  // The call is on the partner's timeline.
  partners::v1::ListTimelineRequest timeline;
  timeline.set_partner_id(partner);
  partners::v1::ListTimelineResponse entries;
  for (int i = 0; i < 100 && entries.interactions_size() == 0; ++i) {
    ASSERT_TRUE(partners_->ListTimeline(As().get(), timeline, &entries).ok());
    if (entries.interactions_size() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(entries.interactions_size(), 1);
  EXPECT_EQ(entries.interactions(0).channel(), partners::v1::INTERACTION_CHANNEL_CALL);
  EXPECT_EQ(entries.interactions(0).subject(), "Igényfelmérő hívás");
  EXPECT_NE(entries.interactions(0).body().find("Ajánlatot kér jövő hétre"), std::string::npos);
  EXPECT_EQ(entries.interactions(0).source_module(), "crm");
  // It belongs to the deal: whoever the deal is shared with sees it.
  EXPECT_EQ(entries.interactions(0).resource_type(), "crm.opportunity");
  EXPECT_EQ(entries.interactions(0).resource_id(), deals[1].id());

  // Exactly the two deals without a planned activity are stale.
  cv1::ListStaleOpportunitiesResponse stale;
  ASSERT_TRUE(opportunities_->ListStaleOpportunities(As(anna.token).get(), {}, &stale).ok());
  ASSERT_EQ(stale.opportunities_size(), 2);
  EXPECT_EQ(stale.opportunities(0).id(), deals[1].id());
  EXPECT_EQ(stale.opportunities(1).id(), deals[2].id());

  // The daily job at 07:00 reminds Anna once, listing both.
  const auto next_morning = Advance(std::chrono::hours(25));
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(20)));
  ASSERT_TRUE(NothingIsDueAt(next_morning));
  int stale_notices = 0;
  for (const auto& mail : sink_->Messages()) {
    if (mail.recipients.at(0) == "anna@karton.example" &&
        DecodeEncodedWords(mail.Header("Subject")) == "2 lehetőségnek nincs következő lépése") {
      ++stale_notices;
    }
  }
  EXPECT_EQ(stale_notices, 1);
  // The next day's run reminds again (the deals are still stale), once.
  Advance(std::chrono::hours(24));
  ASSERT_TRUE(sink_->WaitForMessages(2, std::chrono::seconds(20)));
}

// Activities completed while the timeline subscription waits reach it as
// one run: one BatchLogInteractions, so one transaction writes every entry
// (libs/partner_timeline). An activity without a partner logs nothing.
TEST_F(CrmActivitiesTest, ARunOfCompletedActivitiesIsLoggedInOneTransaction) {
  StartWithTestClock();
  std::vector<std::int64_t> partner_ids;
  {
    SubscriptionHold hold(conninfo_, "crm.activity_timeline");
    for (int i = 0; i < 5; ++i) {
      const auto partner = i < 4 ? NewPartner(fmt::format("Sorban {} Kft.", i)) : 0;
      partner_ids.push_back(partner);
      const auto activity = NewActivity("", cv1::ACTIVITY_TYPE_CALL, fmt::format("Hívás {}", i),
                                        Plus(Now(), std::chrono::hours(1)), partner);
      cv1::CompleteActivityRequest complete;
      complete.set_id(activity.id());
      complete.set_etag(activity.etag());
      cv1::Activity done;
      const auto status = activities_->CompleteActivity(As().get(), complete, &done);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }
  ASSERT_EQ(WaitForTimelineEntries(conninfo_, "crm", 4), "4");
  EXPECT_EQ(TimelineEntryTransactions(conninfo_, "crm"), "1");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(QueryScalar(conninfo_, fmt::format("SELECT subject FROM partners.interaction WHERE "
                                                 "source_module = 'crm' AND partner_id = {}",
                                                 partner_ids[i])),
              fmt::format("Hívás {}", i));
  }
}

TEST_F(CrmActivitiesTest, TheCustomerOverviewGathersCardContactsLeadsDealsActivitiesAndTimeline) {
  StartWithTestClock();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto partner = NewPartner("Fekete és Fia Kft.", "info@fekete.example");
  partners::v1::CreateContactRequest contact;
  contact.set_partner_id(partner);
  contact.mutable_contact()->set_name("Fekete Anna");
  contact.mutable_contact()->add_emails("anna@fekete.example");
  partners::v1::Contact stored_contact;
  ASSERT_TRUE(partners_->CreateContact(As().get(), contact, &stored_contact).ok());
  // A lead the contact wrote in, not yet qualified.
  cv1::CreateLeadRequest lead;
  lead.mutable_lead()->set_contact_name("Fekete Anna");
  lead.mutable_lead()->set_email("Anna@Fekete.example");
  lead.mutable_lead()->set_assigned_user_id(anna.id);
  cv1::Lead stored_lead;
  ASSERT_TRUE(leads_->CreateLead(As().get(), lead, &stored_lead).ok());
  NewActivity(anna.token, cv1::ACTIVITY_TYPE_CALL, "Bemutatkozó hívás",
              Plus(Now(), std::chrono::hours(2)), partner);

  cv1::GetCustomerOverviewRequest request;
  request.set_partner_id(partner);
  cv1::CustomerOverview overview;
  auto status = cv1::CustomerOverviewService::NewStub(channel_)->GetCustomerOverview(
      As(anna.token).get(), request, &overview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(overview.partner().display_name(), "Fekete és Fia Kft.");
  ASSERT_EQ(overview.contacts_size(), 1);
  ASSERT_EQ(overview.open_leads_size(), 1);
  EXPECT_EQ(overview.open_leads(0).id(), stored_lead.id());
  ASSERT_EQ(overview.next_activities_size(), 1);
  EXPECT_EQ(overview.next_activities(0).subject(), "Bemutatkozó hívás");
  EXPECT_TRUE(overview.unavailable_sections().empty());

  request.set_partner_id(987654);
  status = cv1::CustomerOverviewService::NewStub(channel_)->GetCustomerOverview(As().get(), request,
                                                                                &overview);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CrmActivitiesTest, CommandLineClientPlansCompletesAndShowsCalendarsFeedsAndOverviews) {
  StartWithTestClock();
  const auto partner = NewPartner("Kék Madár Bt.", "info@kekmadar.example");
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path());
  const std::string start = TimeUtil::ToString(Plus(Now(), std::chrono::hours(5)));
  auto [code, out] =
      RunCommand(karton + " activities create --type meeting --subject 'Bemutató' --start " +
                 start + " --duration 45m --remind 15m --remind 1d --partner " +
                 std::to_string(partner) + " --location 'Pécs' 2>&1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("reminders    15 min, 1440 min"), std::string::npos) << out;
  std::tie(code, out) = RunCommand(karton + " --output json activities list");
  ASSERT_EQ(code, 0) << out;
  const auto listed = boost::json::parse(out).at("activities").as_array();
  ASSERT_EQ(listed.size(), 1u);
  const std::string id(listed.at(0).at("id").as_string());
  const std::string etag(listed.at(0).at("etag").as_string());
  std::tie(code, out) = RunCommand(karton + " activities calendar --days 2");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Bemutató"), std::string::npos) << out;
  std::tie(code, out) = RunCommand(karton + " activities feed");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("/calendar/"), std::string::npos) << out;
  std::tie(code, out) = RunCommand(karton + " overview " + std::to_string(partner));
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("next activities (1)"), std::string::npos) << out;
  std::tie(code, out) = RunCommand(karton + " activities complete " + id + " --etag " + etag +
                                   " --outcome 'Megrendeli' 2>&1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("status       done"), std::string::npos) << out;
  // The same etag again is stale; no start and no due is bad usage.
  std::tie(code, out) =
      RunCommand(karton + " activities complete " + id + " --etag " + etag + " 2>&1");
  EXPECT_EQ(code, 1) << out;
  std::tie(code, out) =
      RunCommand(karton + " activities create --type task --subject 'Nothing' 2>&1");
  EXPECT_EQ(code, 2) << out;
  std::tie(code, out) =
      RunCommand(karton + " activities create --type call --subject 'x' --start " + start +
                 " --remind soon 2>&1");
  EXPECT_EQ(code, 2) << out;
}

// `karton activities create --invite`: a contact (by id) and an address,
// as the get command shows them.
TEST_F(CrmActivitiesTest, CommandLineClientInvitesAContactAndAnAddress) {
  StartWithTestClock();
  const auto partner = NewPartner("Kék Madár Bt.", "info@kekmadar.example");
  const auto other = NewPartner("Másik Bt.");
  const auto contact = [&](std::int64_t owner, const std::string& name, const std::string& email) {
    partners::v1::CreateContactRequest request;
    request.set_partner_id(owner);
    request.mutable_contact()->set_name(name);
    request.mutable_contact()->add_emails(email);
    partners::v1::Contact stored;
    EXPECT_TRUE(partners_->CreateContact(As().get(), request, &stored).ok());
    return stored.id();
  };
  const auto ilona = contact(partner, "Kék Ilona", "ilona@kekmadar.example");
  const auto stranger = contact(other, "Másik Dénes", "denes@masik.example");
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path());
  const std::string start = TimeUtil::ToString(Plus(Now(), std::chrono::hours(5)));
  const std::string create = karton +
                             " activities create --type meeting --subject 'Bemutató' --start " +
                             start + " --duration 1h --partner " + std::to_string(partner);

  auto [code, out] = RunCommand(fmt::format(
      "{} --output json activities create --type meeting --subject 'Bemutató' --start {} "
      "--duration 1h --partner {} --invite {} --invite vendeg@tanacsado.example",
      karton, start, partner, ilona));
  ASSERT_EQ(code, 0) << out;
  const std::string id(boost::json::parse(out).at("id").as_string());
  std::tie(code, out) = RunCommand(karton + " --output json activities get " + id);
  ASSERT_EQ(code, 0) << out;
  const auto got = boost::json::parse(out).as_object();
  ASSERT_TRUE(got.contains("invitees")) << out;
  const auto& invitees = got.at("invitees").as_array();
  ASSERT_EQ(invitees.size(), 2u) << out;
  const auto& first = invitees.at(0).as_object();
  EXPECT_EQ(first.at("contact_id").as_string(), std::to_string(ilona)) << out;
  EXPECT_EQ(first.at("email").as_string(), "ilona@kekmadar.example") << out;
  EXPECT_EQ(first.at("name").as_string(), "Kék Ilona") << out;
  const auto& second = invitees.at(1).as_object();
  EXPECT_EQ(second.at("email").as_string(), "vendeg@tanacsado.example") << out;
  EXPECT_FALSE(second.contains("contact_id")) << out;
  std::tie(code, out) = RunCommand(karton + " activities get " + id);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(
      out.find(fmt::format("invited: Kék Ilona <ilona@kekmadar.example> (contact {})", ilona)),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("invited:  <vendeg@tanacsado.example>"), std::string::npos) << out;

  // Neither an id nor an address is bad usage; another partner's contact
  // is the server's refusal, naming the invitee.
  std::tie(code, out) = RunCommand(create + " --invite 'Kék Ilona' 2>&1");
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--invite takes a contact id or an email address"), std::string::npos) << out;
  std::tie(code, out) = RunCommand(create + " --invite " + std::to_string(stranger) + " 2>&1");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("activity.invitees[0].contact_id"), std::string::npos) << out;
  std::tie(code, out) = RunCommand(karton + " --output json activities list");
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(boost::json::parse(out).at("activities").as_array().size(), 1u) << out;
}

// An email's calendar invitation: the text/calendar alternative, decoded.
struct Invitation {
  std::string method;  // the part's method parameter
  std::string ics;
};
Invitation InvitationIn(const ReceivedMail& mail) {
  const std::string marker = "Content-Type: text/calendar; method=";
  const auto at = mail.data.find(marker);
  if (at == std::string::npos) return {};
  Invitation invitation;
  invitation.method = mail.data.substr(
      at + marker.size(), mail.data.find(';', at + marker.size()) - at - marker.size());
  const auto body = mail.data.find("\r\n\r\n", at) + 4;
  const std::string base64 = mail.data.substr(body, mail.data.find("\r\n--", body) - body);
  std::string bytes(base64.size(), '\0');
  std::size_t length = 0;
  sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), base64.data(),
                    base64.size(), "\r\n", &length, nullptr, sodium_base64_VARIANT_ORIGINAL);
  invitation.ics = bytes.substr(0, length);
  return invitation;
}

// What an invitation's VEVENT says.
struct Event {
  std::string method, uid, status;
  int sequence = -1;
  time_t start = 0;
  std::vector<std::string> attendees;
};
Event EventIn(const std::string& ics) {
  Event event;
  icalcomponent* calendar = icalparser_parse_string(ics.c_str());
  if (calendar == nullptr) return event;
  event.method = icalproperty_method_to_string(icalcomponent_get_method(calendar));
  icalcomponent* vevent = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
  if (vevent != nullptr) {
    event.uid = icalcomponent_get_uid(vevent);
    event.sequence = icalcomponent_get_sequence(vevent);
    event.status = icalproperty_status_to_string(icalcomponent_get_status(vevent));
    event.start = icaltime_as_timet(icalcomponent_get_dtstart(vevent));
    for (icalproperty* attendee = icalcomponent_get_first_property(vevent, ICAL_ATTENDEE_PROPERTY);
         attendee != nullptr;
         attendee = icalcomponent_get_next_property(vevent, ICAL_ATTENDEE_PROPERTY)) {
      event.attendees.push_back(icalproperty_get_attendee(attendee));
    }
  }
  icalcomponent_free(calendar);
  return event;
}

TEST_F(CrmActivitiesTest, InviteesGetRequestsUpdatesAndCancellationsByEmail) {
  StartWithTestClock();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto partner = NewPartner("Fekete és Fia Kft.", "info@fekete.example");
  const auto other_partner = NewPartner("Másik Bt.");
  const auto contact = [&](std::int64_t owner, const std::string& name, const std::string& email) {
    partners::v1::CreateContactRequest request;
    request.set_partner_id(owner);
    request.mutable_contact()->set_name(name);
    if (!email.empty()) request.mutable_contact()->add_emails(email);
    partners::v1::Contact stored;
    EXPECT_TRUE(partners_->CreateContact(As().get(), request, &stored).ok());
    return stored.id();
  };
  const auto bela = contact(partner, "Fekete Béla", "bela@fekete.example");
  const auto no_email = contact(partner, "Fekete Cecília", "");
  const auto stranger = contact(other_partner, "Másik Dénes", "denes@masik.example");

  cv1::CreateActivityRequest create;
  auto* activity = create.mutable_activity();
  activity->set_type(cv1::ACTIVITY_TYPE_MEETING);
  activity->set_subject("Tárgyalás: keretszerződés");
  activity->set_location("Szeged, Kárász utca 5.");
  *activity->mutable_start_time() = Plus(Now(), std::chrono::hours(48));
  activity->mutable_duration()->set_seconds(3600);
  activity->set_partner_id(partner);
  activity->add_invitees()->set_contact_id(bela);
  auto* guest = activity->add_invitees();
  guest->set_email("gabor@tanacsado.example");
  guest->set_name("Tanácsadó Gábor");

  // Bad invitees are refused, naming the field.
  const auto refused = [&](cv1::CreateActivityRequest request, const std::string& field) {
    cv1::Activity ignored;
    const auto status = activities_->CreateActivity(As(anna.token).get(), request, &ignored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    const auto violations = kernel::FieldViolationsOf(status);
    EXPECT_EQ(violations.empty() ? "" : violations.at(0).field, field) << status.error_message();
  };
  auto bad = create;
  bad.mutable_activity()->mutable_invitees(1)->set_contact_id(stranger);
  refused(bad, "activity.invitees[1].contact_id");
  bad = create;
  bad.mutable_activity()->mutable_invitees(1)->set_contact_id(no_email);
  refused(bad, "activity.invitees[1].contact_id");
  bad = create;
  bad.mutable_activity()->mutable_invitees(1)->set_email("not an address");
  refused(bad, "activity.invitees[1].email");
  bad = create;
  bad.mutable_activity()->clear_duration();
  refused(bad, "activity.invitees");
  EXPECT_TRUE(sink_->Messages().empty());

  cv1::Activity meeting;
  ASSERT_TRUE(activities_->CreateActivity(As(anna.token).get(), create, &meeting).ok());
  ASSERT_EQ(meeting.invitees_size(), 2);
  EXPECT_EQ(meeting.invitees(0).email(), "bela@fekete.example");
  EXPECT_EQ(meeting.invitees(0).name(), "Fekete Béla");
  const std::string uid = meeting.ical_uid();
  EXPECT_EQ(uid.rfind("karton-activity-" + std::to_string(meeting.id()) + "-", 0), 0u) << uid;
  EXPECT_EQ(uid.substr(uid.size() - 7), "@karton");

  // Both get a REQUEST with the same UID, SEQUENCE 0 and both attendees.
  ASSERT_TRUE(sink_->WaitForMessages(2, std::chrono::seconds(30)));
  std::map<std::string, Event> requests;
  for (const auto& mail : sink_->Messages()) {
    const Invitation invitation = InvitationIn(mail);
    EXPECT_EQ(invitation.method, "REQUEST") << mail.data.substr(0, 2000);
    EXPECT_NE(mail.data.find("name=\"invite.ics\""), std::string::npos);
    requests[mail.recipients.at(0)] = EventIn(invitation.ics);
  }
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& [address, event] : requests) {
    EXPECT_EQ(event.method, "REQUEST") << address;
    EXPECT_EQ(event.uid, uid) << address;
    EXPECT_EQ(event.sequence, 0) << address;
    EXPECT_EQ(event.status, "CONFIRMED");
    EXPECT_EQ(event.attendees, (std::vector<std::string>{"mailto:bela@fekete.example",
                                                         "mailto:gabor@tanacsado.example"}));
  }
  EXPECT_TRUE(requests.count("bela@fekete.example") && requests.count("gabor@tanacsado.example"));
  // The message ids are recorded on the invitees.
  cv1::GetActivityRequest get;
  get.set_id(meeting.id());
  ASSERT_TRUE(NothingIsDueAt(Now()));
  ASSERT_TRUE(activities_->GetActivity(As(anna.token).get(), get, &meeting).ok());
  EXPECT_NE(meeting.invitees(0).message_id(), 0);
  EXPECT_NE(meeting.invitees(1).message_id(), 0);

  // The feed names the activity with the same UID.
  cv1::CalendarFeed feed;
  ASSERT_TRUE(activities_->GetCalendarFeed(As(anna.token).get(), {}, &feed).ok());
  const std::string prefix = "http://" + kartond_->HttpAddress();
  std::string ics;
  ASSERT_EQ(HttpGet(kartond_->HttpAddress(), feed.url().substr(prefix.size()), ics), 200);
  EXPECT_NE(ics.find("UID:" + uid), std::string::npos) << ics;

  // Rescheduled: a REQUEST with SEQUENCE 1 to both.
  cv1::UpdateActivityRequest move;
  move.mutable_activity()->set_id(meeting.id());
  move.mutable_activity()->set_etag(meeting.etag());
  *move.mutable_activity()->mutable_start_time() =
      Plus(meeting.start_time(), std::chrono::hours(24));
  move.mutable_update_mask()->add_paths("start_time");
  ASSERT_TRUE(activities_->UpdateActivity(As(anna.token).get(), move, &meeting).ok());
  EXPECT_EQ(meeting.ical_sequence(), 1);
  ASSERT_TRUE(sink_->WaitForMessages(4, std::chrono::seconds(30)));
  for (std::size_t i = 2; i < 4; ++i) {
    const Event event = EventIn(InvitationIn(sink_->Messages().at(i)).ics);
    EXPECT_EQ(event.method, "REQUEST");
    EXPECT_EQ(event.uid, uid);
    EXPECT_EQ(event.sequence, 1);
    EXPECT_EQ(event.start, meeting.start_time().seconds());
  }

  // Gábor is taken off the list: a CANCEL to him alone.
  cv1::UpdateActivityRequest drop;
  drop.mutable_activity()->set_id(meeting.id());
  drop.mutable_activity()->set_etag(meeting.etag());
  drop.mutable_activity()->add_invitees()->set_contact_id(bela);
  drop.mutable_update_mask()->add_paths("invitees");
  ASSERT_TRUE(activities_->UpdateActivity(As(anna.token).get(), drop, &meeting).ok());
  ASSERT_EQ(meeting.invitees_size(), 1);
  ASSERT_TRUE(sink_->WaitForMessages(5, std::chrono::seconds(30)));
  {
    const ReceivedMail mail = sink_->Messages().at(4);
    EXPECT_EQ(mail.recipients.at(0), "gabor@tanacsado.example");
    const Invitation invitation = InvitationIn(mail);
    EXPECT_EQ(invitation.method, "CANCEL");
    const Event event = EventIn(invitation.ics);
    EXPECT_EQ(event.method, "CANCEL");
    EXPECT_EQ(event.uid, uid);
    EXPECT_EQ(event.attendees, std::vector<std::string>{"mailto:gabor@tanacsado.example"});
  }
  // A bad invitee on update is refused too.
  cv1::UpdateActivityRequest stray = drop;
  stray.mutable_activity()->set_etag(meeting.etag());
  stray.mutable_activity()->add_invitees()->set_contact_id(stranger);
  cv1::Activity ignored;
  const auto stray_status = activities_->UpdateActivity(As(anna.token).get(), stray, &ignored);
  EXPECT_EQ(stray_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_FALSE(kernel::FieldViolationsOf(stray_status).empty());
  EXPECT_EQ(kernel::FieldViolationsOf(stray_status).at(0).field, "activity.invitees[1].contact_id");

  // Cancelled: Béla gets a CANCEL with the next SEQUENCE; Gábor nothing more.
  cv1::CancelActivityRequest cancel;
  cancel.set_id(meeting.id());
  cancel.set_etag(meeting.etag());
  ASSERT_TRUE(activities_->CancelActivity(As(anna.token).get(), cancel, &meeting).ok());
  EXPECT_EQ(meeting.ical_sequence(), 2);
  ASSERT_TRUE(sink_->WaitForMessages(6, std::chrono::seconds(30)));
  {
    const ReceivedMail mail = sink_->Messages().at(5);
    EXPECT_EQ(mail.recipients.at(0), "bela@fekete.example");
    const Event event = EventIn(InvitationIn(mail).ics);
    EXPECT_EQ(event.method, "CANCEL");
    EXPECT_EQ(event.uid, uid);
    EXPECT_EQ(event.sequence, 2);
    EXPECT_EQ(event.status, "CANCELLED");
  }
  ASSERT_TRUE(NothingIsDueAt(Now()));
  EXPECT_EQ(sink_->Messages().size(), 6u);
  // Transactional: the invitations are messages of that category.
  messaging::v1::ListMessagesRequest list;
  list.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
  messaging::v1::ListMessagesResponse messages;
  ASSERT_TRUE(messaging_->ListMessages(As().get(), list, &messages).ok());
  EXPECT_EQ(messages.messages_size(), 6);
  for (const auto& message : messages.messages()) {
    EXPECT_FALSE(message.calendar_method().empty());
  }
}

}  // namespace
}  // namespace karton::testing
