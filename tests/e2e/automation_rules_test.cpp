// Automation rules end to end: the real kartond with the automation module
// (and partners, crm, messaging) on a fresh database and a test clock. A
// rule acts on partner events: a webhook and a field change at once, and
// a call task the day before a date on the card, moved when the date moves.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "http_recorder.h"
#include "karton/automation/v1/rule_service.grpc.pb.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "sales_fixture.h"

namespace karton::testing {
namespace {

namespace av1 = automation::v1;
namespace pv1 = partners::v1;
using google::protobuf::util::TimeUtil;

class AutomationRulesTest : public SalesTest {
 protected:
  void StartAutomation() {
    Start({"--test-clock", "--webhook-allow-cidr", "127.0.0.1/32"}, "automation");
    rules_ = av1::RuleService::NewStub(channel_);
    partners_ = pv1::PartnerService::NewStub(channel_);
    activities_ = crm::v1::ActivityService::NewStub(channel_);
  }

  av1::Rule CreateRule(const std::string& json) {
    av1::CreateRuleRequest request;
    kernel::ParseProtoJson(json, *request.mutable_rule());
    av1::Rule rule;
    const auto status = rules_->CreateRule(As(admin_).get(), request, &rule);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return rule;
  }

  void DefineDateField(const std::string& key) {
    pv1::CreateCustomFieldDefinitionRequest request;
    request.mutable_definition()->set_key(key);
    request.mutable_definition()->set_label(key);
    request.mutable_definition()->set_type(pv1::CUSTOM_FIELD_TYPE_DATE);
    pv1::CustomFieldDefinition definition;
    const auto status =
        partners_->CreateCustomFieldDefinition(As(admin_).get(), request, &definition);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Advance(std::chrono::hours by) {
    auto kernel = kernel::v1::KernelService::NewStub(channel_);
    kernel::v1::AdvanceClockRequest request;
    *request.mutable_duration() =
        TimeUtil::SecondsToDuration(std::chrono::duration_cast<std::chrono::seconds>(by).count());
    kernel::v1::AdvanceClockResponse response;
    const auto status = kernel->AdvanceClock(As(admin_).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // The rule's runs once `ready` says they are all there (30 s at most).
  std::vector<av1::RuleRun> RunsWhen(
      std::int64_t rule_id, const std::function<bool(const av1::ListRuleRunsResponse&)>& ready) {
    av1::ListRuleRunsResponse response;
    for (int i = 0; i < 300; ++i) {
      av1::ListRuleRunsRequest request;
      request.set_rule_id(rule_id);
      response.Clear();
      EXPECT_TRUE(rules_->ListRuleRuns(As(admin_).get(), request, &response).ok());
      if (ready(response)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // Oldest first, as they happened.
    return {response.runs().rbegin(), response.runs().rend()};
  }

  std::vector<crm::v1::Activity> ActivitiesOf(std::int64_t partner_id) {
    crm::v1::ListActivitiesRequest request;
    request.set_partner_id(partner_id);
    crm::v1::ListActivitiesResponse response;
    EXPECT_TRUE(activities_->ListActivities(As(admin_).get(), request, &response).ok());
    return {response.activities().begin(), response.activities().end()};
  }

  std::unique_ptr<av1::RuleService::Stub> rules_;
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
  std::unique_ptr<crm::v1::ActivityService::Stub> activities_;
};

bool Settled(const av1::RuleRun& run) { return run.state() != av1::RULE_RUN_STATE_PENDING; }

// A date `days` from today (UTC) as "YYYY-MM-DD".
std::string DaysFromNow(int days) {
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
                   std::chrono::days(days);
  const std::chrono::year_month_day date{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

TEST_F(AutomationRulesTest, ARuleActsOnceOnEachEventAndCallsTheDayBeforeTheDateOnTheCard) {
  StartAutomation();
  HttpRecorder hook;
  DefineDateField("demo_expires");
  User("anna@karton.example", kv1::ROLE_SALES);
  const std::int64_t anna = last_user_id_;

  const auto rule = CreateRule(fmt::format(R"({{
    "name": "Demo licence", "enabled": true,
    "trigger_topics": ["partners.partner.created", "partners.partner.updated"],
    "condition": "partner.tags = \"demo\"",
    "actions": [
      {{"timing": {{"from_field": "partner.custom_fields.demo_expires", "offset": "-86400s",
                   "local_time": "09:00"}},
       "create_activity": {{"type": "ACTIVITY_TYPE_CALL", "subject": "Call {{{{partner.display_name}}}}",
                            "assign_record_owner": true}}}},
      {{"call_webhook": {{"url": "{}"}}}},
      {{"set_fields": {{"values": {{"website": "https://demo.example"}}}}}}]}})",
                                           hook.Url()));
  ASSERT_GT(rule.id(), 0);
  EXPECT_EQ(rule.payload_type(), "karton.partners.v1.PartnerChanged");

  // A partner the rule does not concern: no run.
  Partner("Nem Demó Kft.", 0);
  pv1::CreatePartnerRequest create;
  create.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  create.mutable_partner()->set_display_name("Demó Fűtés Kft.");
  create.mutable_partner()->add_tags("demo");
  create.mutable_partner()->set_owner_user_id(anna);
  (*create.mutable_partner()->mutable_custom_fields())["demo_expires"] = DaysFromNow(10);
  pv1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As(admin_).get(), create, &partner).ok());

  // created: the webhook and the field change now; that change is an
  // update event, which runs the rule again: the call is planned once.
  auto runs = RunsWhen(rule.id(), [](const auto& listed) {
    return listed.runs_size() == 2 && listed.runs(0).actions(1).state() == av1::ACTION_STATE_DONE &&
           listed.runs(1).actions(1).state() == av1::ACTION_STATE_DONE &&
           listed.runs(1).actions(2).state() == av1::ACTION_STATE_DONE;
  });
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].topic(), "partners.partner.created");
  EXPECT_EQ(runs[0].aggregate_id(), partner.id());
  EXPECT_EQ(runs[0].actions(0).state(), av1::ACTION_STATE_SCHEDULED);
  EXPECT_EQ(runs[0].actions(2).state(), av1::ACTION_STATE_DONE);
  EXPECT_NE(runs[0].actions(2).result().find("website"), std::string::npos)
      << runs[0].actions(2).result();
  EXPECT_EQ(runs[1].topic(), "partners.partner.updated");
  EXPECT_EQ(runs[1].actions(0).state(), av1::ACTION_STATE_SKIPPED);
  EXPECT_NE(runs[1].actions(0).error().find("already acts on this moment"), std::string::npos)
      << runs[1].actions(0).error();
  // 09:00 in Budapest the day before the date: 07:00 or 08:00 UTC.
  const std::string planned = TimeUtil::ToString(runs[0].actions(0).scheduled_time());
  EXPECT_EQ(planned.substr(0, 10), DaysFromNow(9)) << planned;
  EXPECT_TRUE(planned.substr(11, 5) == "08:00" || planned.substr(11, 5) == "07:00") << planned;

  pv1::GetPartnerRequest get;
  get.set_id(partner.id());
  ASSERT_TRUE(partners_->GetPartner(As(admin_).get(), get, &partner).ok());
  EXPECT_EQ(partner.website(), "https://demo.example");
  ASSERT_TRUE(hook.WaitForRequests(2, std::chrono::seconds(30)));
  const auto posts = hook.Requests();
  EXPECT_NE(posts[0].body.find("\"topic\":\"partners.partner.created\""), std::string::npos)
      << posts[0].body;
  EXPECT_NE(posts[0].body.find("Demó Fűtés Kft."), std::string::npos) << posts[0].body;
  EXPECT_EQ(posts[0].headers.at("idempotency-key"), fmt::format("automation-{}-1", runs[0].id()));
  EXPECT_TRUE(ActivitiesOf(partner.id()).empty());

  // The licence is extended by ten days: the planned call moves with it.
  pv1::UpdatePartnerRequest update;
  update.mutable_partner()->set_id(partner.id());
  update.mutable_partner()->set_etag(partner.etag());
  (*update.mutable_partner()->mutable_custom_fields())["demo_expires"] = DaysFromNow(20);
  update.mutable_update_mask()->add_paths("custom_fields.demo_expires");
  ASSERT_TRUE(partners_->UpdatePartner(As(admin_).get(), update, &partner).ok());
  runs = RunsWhen(rule.id(), [](const auto& listed) {
    return listed.runs_size() == 3 && Settled(listed.runs(1)) &&
           listed.runs(0).actions(1).state() == av1::ACTION_STATE_DONE;
  });
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].actions(0).state(), av1::ACTION_STATE_SKIPPED);
  EXPECT_NE(runs[0].actions(0).error().find("superseded by run"), std::string::npos)
      << runs[0].actions(0).error();
  EXPECT_EQ(runs[2].actions(0).state(), av1::ACTION_STATE_SCHEDULED);

  // Ten days on, nothing is due; twenty days on, Anna has her call.
  Advance(std::chrono::hours(24 * 10));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(ActivitiesOf(partner.id()).empty());
  Advance(std::chrono::hours(24 * 10));
  std::vector<crm::v1::Activity> calls;
  for (int i = 0; i < 300 && calls.empty(); ++i) {
    calls = ActivitiesOf(partner.id());
    if (calls.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].subject(), "Call Demó Fűtés Kft.");
  EXPECT_EQ(calls[0].type(), crm::v1::ACTIVITY_TYPE_CALL);
  EXPECT_EQ(calls[0].assigned_user_id(), anna);
  runs = RunsWhen(rule.id(), [](const auto& listed) {
    return listed.runs_size() == 3 && Settled(listed.runs(0));
  });
  EXPECT_EQ(runs[2].state(), av1::RULE_RUN_STATE_SUCCEEDED);
  EXPECT_EQ(runs[2].actions(0).result(), fmt::format("crm.activity {}", calls[0].id()));
  // One run per rule and event, whatever redelivery did.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM (SELECT event_id FROM automation.rule_run "
                        "GROUP BY rule_id, event_id HAVING count(*) > 1) twice"),
            "0");
}

TEST_F(AutomationRulesTest, AFailingActionIsRetriedAndEveryAttemptIsOnTheRun) {
  StartAutomation();
  HttpRecorder hook;
  hook.AnswerNext({503});
  const auto rule = CreateRule(fmt::format(R"({{
    "name": "Tell the ERP", "enabled": true, "trigger_topics": ["partners.partner.created"],
    "actions": [{{"call_webhook": {{"url": "{}"}}}}]}})",
                                           hook.Url()));
  Partner("Lassú Kft.", 0);
  auto runs = RunsWhen(rule.id(), [](const auto& listed) {
    return listed.runs_size() == 1 &&
           listed.runs(0).actions(0).state() == av1::ACTION_STATE_RETRYING;
  });
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state(), av1::RULE_RUN_STATE_PENDING);
  EXPECT_EQ(runs[0].actions(0).attempts(), 1);
  EXPECT_NE(runs[0].actions(0).error().find("HTTP 503"), std::string::npos)
      << runs[0].actions(0).error();
  // The job queue tries again after its backoff.
  Advance(std::chrono::hours(1));
  runs = RunsWhen(rule.id(), [](const auto& listed) {
    return listed.runs_size() == 1 && Settled(listed.runs(0));
  });
  EXPECT_EQ(runs[0].state(), av1::RULE_RUN_STATE_SUCCEEDED);
  EXPECT_EQ(runs[0].actions(0).attempts(), 2);
  EXPECT_EQ(hook.Requests().size(), 2u);
}

TEST_F(AutomationRulesTest, BadRulesAreRefusedNamingTheFieldAndOnlyManagersWriteThem) {
  StartAutomation();
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  av1::CreateRuleRequest request;
  kernel::ParseProtoJson(R"({
    "name": "Broken", "trigger_topics": ["partners.partner.exploded"],
    "actions": [{"send_template": {}}]})",
                         *request.mutable_rule());
  av1::Rule rule;
  auto status = rules_->CreateRule(As(admin_).get(), request, &rule);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = kernel::FieldViolationsOf(status);
  ASSERT_FALSE(violations.empty());
  EXPECT_EQ(violations[0].field, "rule.trigger_topics[0]");

  kernel::ParseProtoJson(R"({
    "name": "Broken", "trigger_topics": ["partners.partner.created"],
    "condition": "partner.display_name = ",
    "actions": [{"send_template": {}}]})",
                         *request.mutable_rule());
  status = rules_->CreateRule(As(admin_).get(), request, &rule);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  violations = kernel::FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 2u) << status.error_message();
  EXPECT_EQ(violations[0].field, "rule.condition");
  EXPECT_EQ(violations[1].field, "rule.actions[0].send_template.template_name");

  request.mutable_rule()->set_condition("");
  request.mutable_rule()->mutable_actions(0)->mutable_send_template()->set_template_name("hello");
  EXPECT_EQ(rules_->CreateRule(As(salesperson).get(), request, &rule).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(rules_->CreateRule(As(admin_).get(), request, &rule).ok());
  EXPECT_EQ(rules_->CreateRule(As(admin_).get(), request, &rule).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "names are unique";
  // The command line: a rule from a file, then the list.
  const std::string file = (data_dir_.Path() / "rule.json").string();
  {
    std::ofstream out(file);
    out << R"({"name": "From the command line", "enabled": true,
              "triggerTopics": ["partners.partner.created"],
              "actions": [{"createActivity": {"subject": "Welcome {{partner.display_name}}",
                                               "assignRecordOwner": true}}]})";
  }
  const auto [created_exit, created] =
      RunCommand(Karton() + "automation rules create --file " + file);
  ASSERT_EQ(created_exit, 0) << created;
  EXPECT_NE(created.find("From the command line"), std::string::npos) << created;
  const auto [list_exit, rules_json] = RunCommand(Karton() + "--output json automation rules list");
  ASSERT_EQ(list_exit, 0) << rules_json;
  EXPECT_NE(rules_json.find("partners.partner.created"), std::string::npos) << rules_json;
  const auto [bad_exit, bad] = RunCommand(Karton() + "automation rules get 999999");
  EXPECT_EQ(bad_exit, 1) << bad;

  av1::ListRulesRequest list;
  av1::ListRulesResponse listed;
  ASSERT_TRUE(rules_->ListRules(As(salesperson).get(), list, &listed).ok());
  EXPECT_EQ(listed.rules_size(), 2);
  // Two rules made: an event each (in the outbox or moved on to the log)
  // and an audit entry each.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT (SELECT count(*) FROM kernel.event WHERE topic = "
                        "'automation.rule.created') + (SELECT count(*) FROM kernel.event_outbox "
                        "WHERE topic = 'automation.rule.created')"),
            "2");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.audit_entry WHERE "
                        "resource_type = 'automation.rule'"),
            "2");
}

}  // namespace
}  // namespace karton::testing
