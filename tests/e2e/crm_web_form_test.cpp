// Web forms end to end (C2, C3): a visitor's POST becomes a routed lead and
// a confirmation email reaches a real SMTP server; every abuse case is
// answered 4xx and creates nothing; concurrent submissions to one team are
// split evenly.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <set>

#include "crm_fixture.h"
#include "messaging_fixture.h"

namespace karton::testing {
namespace {

TEST_F(CrmTest, AFormPostBecomesARoutedLeadAndTheSubmitterGetsAConfirmation) {
  Start();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto eva = NewColleague("eva@karton.example", kv1::ROLE_SUPPORT);
  const auto sales = NewTeam("Sales", {anna.id});
  NewThanksTemplate("Köszönjük, {{lead.contactName}}!",
                    "Megkaptuk ({{form.title}}): {{lead.message}}");
  NewContactForm(sales, eva.id, "form_thanks");

  // The page and the snippet.
  std::string page;
  ASSERT_EQ(HttpGet(kartond_->HttpAddress(), "/forms/contact", page), 200);
  EXPECT_NE(page.find("<form class=\"karton-form\" method=\"post\""), std::string::npos) << page;
  EXPECT_NE(page.find("<label for=\"f-email\">"), std::string::npos);
  EXPECT_NE(page.find("name=\"_website\""), std::string::npos);
  ASSERT_EQ(HttpGet(kartond_->HttpAddress(), "/forms/contact/embed", page), 200);
  EXPECT_NE(page.find("action=\"http://" + kartond_->HttpAddress() + "/forms/contact\""),
            std::string::npos)
      << page;

  std::string answer;
  ASSERT_EQ(Post("name=Kiss+J%C3%A1nos&email=janos%40kiss.example&category=demo&"
                 "message=Bemutat%C3%B3t+k%C3%A9rek&budget=2M&_website=",
                 answer),
            303)
      << answer;
  const auto leads = AllLeads();
  ASSERT_EQ(leads.size(), 1u);
  const cv1::Lead& lead = leads[0];
  EXPECT_EQ(lead.contact_name(), "Kiss János");
  EXPECT_EQ(lead.email(), "janos@kiss.example");
  EXPECT_EQ(lead.source(), cv1::LEAD_SOURCE_WEB_FORM);
  EXPECT_EQ(lead.category(), "demo");
  EXPECT_EQ(lead.team_id(), sales);
  EXPECT_EQ(lead.assigned_user_id(), anna.id);
  EXPECT_EQ(lead.custom_fields().at("budget"), "2M");
  EXPECT_EQ(lead.status(), cv1::LEAD_STATUS_NEW);

  // The confirmation to the submitter and the notice to Anna, by SMTP.
  ASSERT_TRUE(sink_->WaitForMessages(2, std::chrono::seconds(20)));
  std::map<std::string, std::string> subject_of;
  for (const auto& mail : sink_->Messages())
    subject_of[mail.recipients.at(0)] = mail.Header("Subject");
  EXPECT_EQ(subject_of.count("janos@kiss.example"), 1u);
  EXPECT_EQ(subject_of.count("anna@karton.example"), 1u);

  // JSON from an allowed site: 201, with CORS.
  ASSERT_EQ(Post(R"({"name":"Tóth Éva","email":"eva@toth.example","category":"question"})", answer,
                 "application/json", "https://www.example.hu"),
            201)
      << answer;
  EXPECT_EQ(boost::json::parse(answer).at("status").as_string(), "received");
  const auto both = AllLeads();
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].assigned_user_id(), eva.id);  // newest first; question -> Éva
  EXPECT_EQ(both[0].team_id(), 0);
}

// Issue 16: the same person posting a form twice within
// crm.form_repost_window_hours (24 by default) gets one lead with both
// messages on it; by email, by phone when there is no email, per form.
TEST_F(CrmTest, TheSamePersonPostingAgainGetsOneLeadWithBothMessages) {
  Start();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  NewContactForm(NewTeam("Sales", {anna.id}), anna.id);
  std::string answer;
  ASSERT_EQ(Post("name=Kiss+J%C3%A1nos&email=janos%40kiss.example&category=demo&"
                 "message=Els%C5%91+%C3%BCzenet",
                 answer),
            303)
      << answer;
  // Again, the address written otherwise, as JSON, with another field.
  ASSERT_EQ(Post(R"({"name":"Kiss János","email":"Janos@Kiss.Example","category":"demo",)"
                 R"("message":"Második üzenet","budget":"3M"})",
                 answer, "application/json"),
            201)
      << answer;
  const auto leads = AllLeads();
  ASSERT_EQ(leads.size(), 1u);
  const cv1::Lead& lead = leads[0];
  EXPECT_EQ(boost::json::parse(answer).at("lead_id").as_string(), std::to_string(lead.id()));
  EXPECT_EQ(lead.message(), "Első üzenet");
  ASSERT_EQ(lead.messages_size(), 1);
  EXPECT_EQ(lead.messages(0).message(), "Második üzenet");
  EXPECT_EQ(lead.messages(0).custom_fields().at("budget"), "3M");
  EXPECT_TRUE(lead.messages(0).has_receive_time());
  // The update is audited and published.
  EXPECT_EQ(UpdatedFields("crm.lead", lead.id()), std::set<std::string>{"messages"});
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM (SELECT topic, aggregate_id FROM kernel.event UNION "
                        "ALL SELECT topic, aggregate_id FROM kernel.event_outbox) e WHERE topic = "
                        "'crm.lead.updated' AND aggregate_id = " +
                            std::to_string(lead.id())),
            "1");

  // Another person: a lead of their own.
  ASSERT_EQ(
      Post("name=T%C3%B3th+%C3%89va&email=eva%40toth.example&category=demo&message=Hi", answer),
      303);
  EXPECT_EQ(AllLeads().size(), 2u);
  // The earlier lead made older than the window: a new lead.
  QueryScalar(conninfo_,
              "UPDATE crm.lead SET create_time = create_time - interval '25 hours' WHERE id = " +
                  std::to_string(lead.id()) + " RETURNING id");
  ASSERT_EQ(Post("name=Kiss+J%C3%A1nos&email=janos%40kiss.example&category=demo&message=Harmadik",
                 answer),
            303);
  EXPECT_EQ(AllLeads().size(), 3u);
}

TEST_F(CrmTest, EveryAbuseCaseIsRefusedAndCreatesNoLead) {
  // Every accepted post a lead of its own, though they name one address.
  Start({"--module-option", "crm.form_posts_per_minute=20", "--module-option",
         "crm.form_repost_window_hours=0"});
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  NewContactForm(NewTeam("Sales", {anna.id}), anna.id);
  const std::string good = "name=Kiss&email=k%40kiss.example&category=demo";
  struct Case {
    std::string what, body, type, origin;
    int status;
    std::string field;  // the field the JSON error names
  };
  const std::vector<Case> cases = {
      {"honeypot filled",
       R"({"name":"Bot","email":"b@bot.example","category":"demo","_website":"http://spam"})",
       "application/json", "", 400, "_website"},
      {"required field missing", R"({"email":"a@b.example","category":"demo"})", "application/json",
       "", 400, "name"},
      {"field too long",
       R"({"name":")" + std::string(101, 'x') + R"(","email":"a@b.example","category":"demo"})",
       "application/json", "", 400, "name"},
      {"bad email", R"({"name":"A","email":"not-an-email","category":"demo"})", "application/json",
       "", 400, "email"},
      {"unknown category", R"({"name":"A","email":"a@b.example","category":"spam"})",
       "application/json", "", 400, "category"},
      {"unknown field", R"({"name":"A","email":"a@b.example","category":"demo","admin":"1"})",
       "application/json", "", 400, "admin"},
      {"not JSON", "{name:", "application/json", "", 400, ""},
      {"not an object", "[1,2]", "application/json", "", 400, ""},
      {"a nested value", R"({"name":{"first":"A"},"email":"a@b.example"})", "application/json", "",
       400, ""},
      {"invalid UTF-8", "name=%FF%FE&email=a%40b.example&category=demo",
       "application/x-www-form-urlencoded", "", 400, ""},
      {"a control character", "name=A%00B&email=a%40b.example&category=demo",
       "application/x-www-form-urlencoded", "", 400, ""},
      {"body too large", good + "&message=" + std::string(70 * 1024, 'x'),
       "application/x-www-form-urlencoded", "", 413, ""},
      {"other content type", good, "text/plain", "", 415, ""},
      {"origin not allowed", good, "application/x-www-form-urlencoded", "https://evil.example", 403,
       ""},
  };
  for (const Case& abuse : cases) {
    std::string answer;
    EXPECT_EQ(Post(abuse.body, answer, abuse.type, abuse.origin), abuse.status) << abuse.what;
    if (!abuse.field.empty()) {
      const auto fields = boost::json::parse(answer).at("error").at("fields").as_array();
      ASSERT_FALSE(fields.empty()) << abuse.what;
      EXPECT_EQ(fields.at(0).at("field").as_string(), abuse.field) << abuse.what << ": " << answer;
    }
  }
  // A browser post with an error gets the form back, marked.
  std::string page;
  EXPECT_EQ(Post("name=&email=a%40b.example&category=demo", page), 400);
  EXPECT_NE(page.find("aria-invalid=\"true\""), std::string::npos) << page;
  EXPECT_NE(page.find("value=\"a@b.example\""), std::string::npos) << page;
  EXPECT_TRUE(AllLeads().empty());

  // The rate limit: 20 a minute from one address; the 21st is refused.
  int accepted = 0, limited = 0;
  for (int i = 0; i < 25; ++i) {
    std::string answer;
    const int status = Post(good, answer);
    accepted += status == 303;
    limited += status == 429;
  }
  // The earlier refused posts of this test used tokens too.
  EXPECT_GT(limited, 0);
  EXPECT_EQ(static_cast<int>(AllLeads().size()), accepted);
}

TEST_F(CrmTest, ConcurrentSubmissionsToOneTeamAreSplitEvenly) {
  Start({"--module-option", "crm.form_posts_per_minute=0"});
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto peter = NewColleague("peter@karton.example", kv1::ROLE_SALES);
  const auto eva = NewColleague("eva@karton.example", kv1::ROLE_SALES);
  const auto team = NewTeam("Sales", {anna.id, peter.id, eva.id});
  NewContactForm(team, anna.id);
  constexpr int kSubmissions = 99;
  std::vector<std::thread> visitors;
  std::mutex mutex;
  std::vector<int> statuses;
  for (int i = 0; i < kSubmissions; ++i) {
    visitors.emplace_back([&, i] {
      std::string answer;
      const int status = Post(R"({"name":"Visitor )" + std::to_string(i) + R"(","email":"v)" +
                                  std::to_string(i) + R"(@example.com","category":"demo"})",
                              answer, "application/json");
      std::lock_guard lock(mutex);
      statuses.push_back(status);
    });
  }
  for (auto& visitor : visitors) visitor.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), kSubmissions);
  std::map<std::int64_t, int> per_member;
  for (const auto& lead : AllLeads()) ++per_member[lead.assigned_user_id()];
  EXPECT_EQ(per_member[anna.id], kSubmissions / 3);
  EXPECT_EQ(per_member[peter.id], kSubmissions / 3);
  EXPECT_EQ(per_member[eva.id], kSubmissions / 3);

  // Each lead's assignee notice, once (the form sends no confirmation):
  // the burst's assignments reach the notices as runs, queued together.
  ASSERT_TRUE(sink_->WaitForMessages(kSubmissions, std::chrono::seconds(60)));
  std::map<std::string, int> notices_to;
  std::set<std::string> subjects;
  for (const auto& mail : sink_->Messages()) {
    ++notices_to[mail.recipients.at(0)];
    subjects.insert(mail.Header("Subject"));
  }
  EXPECT_EQ(notices_to["anna@karton.example"], kSubmissions / 3);
  EXPECT_EQ(notices_to["peter@karton.example"], kSubmissions / 3);
  EXPECT_EQ(notices_to["eva@karton.example"], kSubmissions / 3);
  EXPECT_EQ(subjects.size(), static_cast<std::size_t>(kSubmissions));  // one per lead
}

// More handlers than database connections, with a team directory that keeps
// nothing (crm.team_cache_seconds=0): every submission's routing reads team
// membership over gRPC (which needs a connection of its own) before the
// submission takes its connection, so the burst is served instead of
// stalling the pool until its 30 s timeout (503s).
TEST_F(CrmTest, ABurstLargerThanTheConnectionPoolIsServedWithoutStalls) {
  Start({"--module-option", "crm.form_posts_per_minute=0", "--module-option",
         "crm.team_cache_seconds=0", "--db-pool-size", "3", "--event-workers", "1",
         "--http-threads", "12"});
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto peter = NewColleague("peter@karton.example", kv1::ROLE_SALES);
  NewContactForm(NewTeam("Sales", {anna.id, peter.id}), anna.id);
  constexpr int kSubmissions = 24;
  std::vector<std::thread> visitors;
  std::mutex mutex;
  std::vector<int> statuses;
  for (int i = 0; i < kSubmissions; ++i) {
    visitors.emplace_back([&, i] {
      std::string answer;
      const int status = Post(
          R"({"name":"V","email":"v)" + std::to_string(i) + R"(@example.com","category":"demo"})",
          answer, "application/json");
      std::lock_guard lock(mutex);
      statuses.push_back(status);
    });
  }
  for (auto& visitor : visitors) visitor.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), kSubmissions);
  EXPECT_EQ(AllLeads().size(), static_cast<std::size_t>(kSubmissions));
}

// Leads posted while the confirmations subscription waits reach it as one
// run: their confirmations go in one SendMessages, so one transaction in
// messaging writes them all, the form read once.
TEST_F(CrmTest, TheConfirmationsOfARunOfLeadsAreQueuedInOneTransaction) {
  Start({"--module-option", "crm.form_posts_per_minute=0"});
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  NewThanksTemplate("Köszönjük, {{lead.contactName}}!", "Megkaptuk: {{form.title}}.");
  NewContactForm(NewTeam("Sales", {anna.id}), anna.id, "form_thanks");
  {
    SubscriptionHold hold(conninfo_, "crm.confirmations");
    for (int i = 0; i < 3; ++i) {
      std::string answer;
      ASSERT_EQ(Post(fmt::format("name=L%C3%A1togat%C3%B3+{0}&email=v{0}%40example.hu&"
                                 "category=question",
                                 i),
                     answer),
                303)
          << answer;
    }
  }
  // Three confirmations and Anna's three notices.
  ASSERT_TRUE(sink_->WaitForMessages(6, std::chrono::seconds(30)));
  std::map<std::string, std::string> subject_of;
  for (const auto& mail : sink_->Messages()) {
    subject_of[mail.recipients.at(0)] = DecodeEncodedWords(mail.Header("Subject"));
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(subject_of[fmt::format("v{}@example.hu", i)],
              fmt::format("Köszönjük, Látogató {}!", i));
  }
  // Sent messages change (their status); their audit entries do not.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*)::text || ' in ' || count(DISTINCT a.xmin::text) FROM "
                        "kernel.audit_entry a JOIN messaging.message m ON m.id = a.resource_id "
                        "WHERE a.resource_type = 'messaging.message' AND a.action = 'create' "
                        "AND m.idempotency_key LIKE 'crm.lead.%.confirmation'"),
            "3 in 1");
}

TEST_F(CrmTest, BehindATrustedProxyEachVisitorHasItsOwnLimitAndAnAddressGetsFewConfirmations) {
  Start({"--http-trusted-proxies", "127.0.0.1", "--module-option", "crm.form_repost_window_hours=0",
         "--module-option", "crm.form_posts_per_minute=2", "--module-option",
         "crm.form_confirmations_per_recipient=2"});
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  NewThanksTemplate("Köszönjük!", "Megkaptuk.");
  NewContactForm(NewTeam("Sales", {anna.id}), anna.id, "form_thanks");

  // Every post names the same victim's address, as a flood of confirmations would.
  const auto post_from = [&](const std::string& visitor) {
    std::string answer;
    return HttpCall(
        kartond_->HttpAddress(), "POST", "/forms/contact",
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Forwarded-For", visitor}},
        "name=Victim&email=victim%40example.hu&category=question", answer);
  };
  // Two a minute per visitor: the proxy's own address is not the bucket.
  EXPECT_EQ(post_from("203.0.113.1"), 303);
  EXPECT_EQ(post_from("203.0.113.1"), 303);
  EXPECT_EQ(post_from("203.0.113.1"), 429);
  EXPECT_EQ(post_from("203.0.113.2"), 303);
  // A spoofed entry before the proxy's own does not make a new visitor.
  EXPECT_EQ(post_from("198.51.100.7, 203.0.113.1"), 429);
  // IPv6 visitors are counted by their /64.
  EXPECT_EQ(post_from("2001:db8:1:2::1"), 303);
  EXPECT_EQ(post_from("2001:db8:1:2::2"), 303);
  EXPECT_EQ(post_from("2001:db8:1:2:ffff::3"), 429);
  EXPECT_EQ(post_from("2001:db8:1:3::1"), 303);
  ASSERT_EQ(AllLeads().size(), 6u);

  // Six leads, six notices to Anna, but two confirmations to the address.
  ASSERT_TRUE(sink_->WaitForMessages(8, std::chrono::seconds(30)));
  ASSERT_TRUE(WaitUntilNothingIsDue(conninfo_));  // no confirmation is still on its way
  int to_victim = 0, to_anna = 0;
  for (const auto& mail : sink_->Messages()) {
    to_victim += mail.recipients.at(0) == "victim@example.hu";
    to_anna += mail.recipients.at(0) == "anna@karton.example";
  }
  EXPECT_EQ(to_victim, 2);
  EXPECT_EQ(to_anna, 6);
  EXPECT_TRUE(kartond_->LogShows("not sent: its address had 2 form confirmations"));
}

// A team made a moment ago can take a form's posts at once, though the
// CRM keeps what it read of the teams for a few seconds.
TEST_F(CrmTest, AFormMayRouteToATeamMadeAMomentAgo) {
  Start();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  // The CRM reads the teams now (none yet, routed to a user)...
  cv1::CreateWebFormRequest first;
  first.mutable_web_form()->set_slug("hirlevel");
  first.mutable_web_form()->set_title("Hírlevél");
  auto* email = first.mutable_web_form()->add_fields();
  email->set_name("email");
  email->set_label("E-mail");
  email->set_type(cv1::WEB_FORM_FIELD_TYPE_EMAIL);
  email->set_required(true);
  auto* category = first.mutable_web_form()->add_categories();
  category->set_key("hirlevel");
  category->set_label("Hírlevél");
  category->set_user_id(anna.id);
  cv1::WebForm made;
  ASSERT_TRUE(forms_->CreateWebForm(As().get(), first, &made).ok());
  // ...and a team made right after is found for the next form.
  NewContactForm(NewTeam("Sales", {anna.id}), anna.id);
}

}  // namespace
}  // namespace karton::testing

namespace karton::testing {
namespace {

// Issue 16, consent: a form's consent_email checkbox is the person's
// opt-in; the lead keeps it (how, when, which form) and qualification
// records it on the partner, where messaging honours it.
TEST_F(CrmTest, AFormsConsentCheckboxGoesWithTheLeadToItsPartner) {
  Start();
  NewSalesPipeline({"New", "Offer"});
  cv1::CreateWebFormRequest create;
  auto* form = create.mutable_web_form();
  form->set_slug("hirlevel");
  form->set_title("Hírlevél");
  for (const auto& [name, type] : std::vector<std::pair<const char*, cv1::WebFormFieldType>>{
           {"name", cv1::WEB_FORM_FIELD_TYPE_TEXT},
           {"email", cv1::WEB_FORM_FIELD_TYPE_EMAIL},
           {"consent_email", cv1::WEB_FORM_FIELD_TYPE_CHECKBOX}}) {
    auto* field = form->add_fields();
    field->set_name(name);
    field->set_label(name);
    field->set_type(type);
    field->set_required(type != cv1::WEB_FORM_FIELD_TYPE_CHECKBOX);
  }
  cv1::WebForm made;
  ASSERT_TRUE(forms_->CreateWebForm(As().get(), create, &made).ok());
  const auto post = [&](const std::string& body) {
    std::string answer;
    EXPECT_EQ(HttpCall(kartond_->HttpAddress(), "POST", "/forms/hirlevel",
                       {{"Content-Type", "application/x-www-form-urlencoded"}}, body, answer),
              303)
        << answer;
  };
  post("name=Fekete+Anna&email=anna%40fekete.example&consent_email=on&_website=");
  post("name=Kiss+Bence&email=bence%40kiss.example&_website=");
  const auto leads = AllLeads();
  ASSERT_EQ(leads.size(), 2u);
  const cv1::Lead& bence = leads[0];  // newest first
  const cv1::Lead& anna = leads[1];
  EXPECT_EQ(bence.marketing_consents_size(), 0);
  ASSERT_EQ(anna.marketing_consents_size(), 1);
  const auto& given = anna.marketing_consents(0);
  EXPECT_EQ(given.channel(), partners::v1::MARKETING_CHANNEL_EMAIL);
  EXPECT_TRUE(given.granted());
  EXPECT_EQ(given.source(), partners::v1::CONSENT_SOURCE_FORM);
  EXPECT_EQ(given.evidence(), "web form 'Hírlevél' (hirlevel)");
  EXPECT_TRUE(given.has_record_time());

  cv1::QualifyLeadRequest qualify;
  qualify.set_id(anna.id());
  qualify.set_etag(anna.etag());
  cv1::QualifyLeadResponse qualified;
  const auto status = leads_->QualifyLead(As().get(), qualify, &qualified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  partners::v1::GetPartnerRequest get;
  get.set_id(qualified.lead().partner_id());
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->GetPartner(As().get(), get, &partner).ok());
  ASSERT_EQ(partner.marketing_consents_size(), 1);
  const auto& recorded = partner.marketing_consents(0);
  EXPECT_EQ(recorded.channel(), partners::v1::MARKETING_CHANNEL_EMAIL);
  EXPECT_TRUE(recorded.granted());
  EXPECT_EQ(recorded.source(), partners::v1::CONSENT_SOURCE_FORM);
  EXPECT_EQ(recorded.evidence().rfind(
                fmt::format("web form 'Hírlevél' (hirlevel), lead {}, posted ", anna.id()), 0),
            0u)
      << recorded.evidence();

  // Bence ticked nothing: his partner has no consent.
  qualify.set_id(bence.id());
  qualify.set_etag(bence.etag());
  ASSERT_TRUE(leads_->QualifyLead(As().get(), qualify, &qualified).ok());
  get.set_id(qualified.lead().partner_id());
  ASSERT_TRUE(partners_->GetPartner(As().get(), get, &partner).ok());
  EXPECT_EQ(partner.marketing_consents_size(), 0);
}

}  // namespace
}  // namespace karton::testing
