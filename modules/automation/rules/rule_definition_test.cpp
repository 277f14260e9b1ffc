// Rules checked against their payload types: conditions, placeholders,
// timings and set_fields, without a database.
#include "rules/rule_definition.h"

#include <gtest/gtest.h>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/proto_json.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::automation {
namespace {

const TopicTypes kTopics = {
    {"partners.partner.created", "karton.partners.v1.PartnerChanged"},
    {"partners.partner.updated", "karton.partners.v1.PartnerChanged"},
    {"crm.lead.created", "karton.crm.v1.Lead"},
    {"messaging.message.sent", "karton.messaging.v1.Message"},
};

partners::v1::PartnerChanged Szeged() {
  partners::v1::PartnerChanged changed;
  auto& partner = *changed.mutable_partner();
  partner.set_id(17);
  partner.set_display_name("Fűtés Kft.");
  partner.set_owner_user_id(5);
  partner.add_tags("vip");
  partner.add_tags("heating");
  (*partner.mutable_custom_fields())["demo_expires"] = "2027-03-01";
  (*partner.mutable_custom_fields())["boilers"] = "12";
  partner.add_addresses()->set_city("Szeged");
  changed.add_changed_fields("custom_fields");
  return changed;
}

std::optional<Condition> Compile(std::string_view text, std::string& problem) {
  return Condition::Compile(*partners::v1::PartnerChanged::descriptor(), text, problem);
}

bool Matches(std::string_view text) {
  std::string problem;
  auto condition = Compile(text, problem);
  EXPECT_TRUE(condition) << text << ": " << problem;
  return condition && condition->Matches(Szeged());
}

std::string Problem(std::string_view text) {
  std::string problem;
  EXPECT_FALSE(Compile(text, problem)) << text;
  return problem;
}

TEST(ConditionTest, ComparesScalarsRepeatedFieldsAndMapEntries) {
  EXPECT_TRUE(Matches(""));
  EXPECT_TRUE(Matches(R"(partner.display_name = "Fűtés Kft.")"));
  EXPECT_FALSE(Matches(R"(partner.display_name != "Fűtés Kft.")"));
  EXPECT_TRUE(Matches(R"(partner.tags = "heating")"));
  EXPECT_FALSE(Matches(R"(partner.tags = "retail")"));
  EXPECT_FALSE(Matches(R"(partner.tags != "vip")"));
  EXPECT_TRUE(Matches(R"(partner.tags != "retail")"));
  EXPECT_TRUE(Matches(R"(partner.owner_user_id = 5 AND partner.archived = false)"));
  EXPECT_FALSE(Matches(R"(partner.owner_user_id > 5)"));
  EXPECT_TRUE(Matches(R"(partner.custom_fields.boilers >= 10)"));
  EXPECT_FALSE(Matches(R"(partner.custom_fields.boilers < 10)"));
  EXPECT_TRUE(Matches(R"(partner.custom_fields.demo_expires < "2027-04-01")"));
  EXPECT_FALSE(Matches(R"(partner.custom_fields.missing = "x")"));
}

TEST(ConditionTest, EnumsCompareByWordOrName) {
  std::string problem;
  auto word = Condition::Compile(*crm::v1::Lead::descriptor(), R"(status = "qualified")", problem);
  ASSERT_TRUE(word) << problem;
  auto name = Condition::Compile(*crm::v1::Lead::descriptor(),
                                 R"(status = "LEAD_STATUS_QUALIFIED")", problem);
  ASSERT_TRUE(name) << problem;
  crm::v1::Lead lead;
  lead.set_status(crm::v1::LEAD_STATUS_QUALIFIED);
  EXPECT_TRUE(word->Matches(lead));
  EXPECT_TRUE(name->Matches(lead));
  lead.set_status(crm::v1::LEAD_STATUS_NEW);
  EXPECT_FALSE(word->Matches(lead));
  EXPECT_FALSE(Condition::Compile(*crm::v1::Lead::descriptor(), R"(status = "won")", problem));
  EXPECT_NE(problem.find("has no value 'won'"), std::string::npos) << problem;
}

TEST(ConditionTest, RefusesWhatCannotWorkNamingThePlace) {
  EXPECT_NE(Problem(R"(partner.colour = "red")")
                .find("'colour' is not a field of "
                      "karton.partners.v1.Partner"),
            std::string::npos);
  EXPECT_NE(Problem(R"(partner.owner_user_id = "five")").find("takes a number"), std::string::npos);
  EXPECT_NE(Problem(R"(partner.archived > true)").find("only = and !="), std::string::npos);
  EXPECT_NE(Problem(R"(partner.create_time > "2026-01-01")").find("is a moment"),
            std::string::npos);
  EXPECT_NE(Problem(R"(partner.addresses.city = "Szeged")").find("no fields to name after it"),
            std::string::npos);
  EXPECT_NE(Problem(R"(partner = "x")").find("is a message"), std::string::npos);
  EXPECT_NE(Problem(R"(partner.custom_fields = "x")").find("name one key"), std::string::npos);
  EXPECT_NE(Problem(R"(partner.display_name = )").find("at "), std::string::npos);
}

TEST(PlaceholdersTest, FillsFromThePayload) {
  std::string problem;
  auto text = Placeholders::Compile(*partners::v1::PartnerChanged::descriptor(),
                                    "Call {{ partner.display_name }} ({{partner.tags}}) before "
                                    "{{partner.custom_fields.demo_expires}}",
                                    problem);
  ASSERT_TRUE(text) << problem;
  EXPECT_EQ(text->Fill(Szeged()), "Call Fűtés Kft. (vip, heating) before 2027-03-01");
  EXPECT_FALSE(Placeholders::Compile(*partners::v1::PartnerChanged::descriptor(),
                                     "{{partner.nickname}}", problem));
  EXPECT_NE(problem.find("nickname"), std::string::npos);
  EXPECT_FALSE(Placeholders::Compile(*partners::v1::PartnerChanged::descriptor(),
                                     "Hello {{partner.display_name", problem));
  EXPECT_NE(problem.find("not closed"), std::string::npos);
}

TEST(EventRecordTest, FindsTheRecordAndThePeopleAroundIt) {
  const auto changed = Szeged();
  const EventRecord record = RecordOf(changed);
  EXPECT_EQ(record.type, "karton.partners.v1.Partner");
  EXPECT_EQ(record.id, 17);
  EXPECT_EQ(record.partner_id, 17);
  EXPECT_EQ(record.owner_user_id, 5);
  crm::v1::Lead lead;
  lead.set_id(3);
  lead.set_assigned_user_id(9);
  lead.set_partner_id(17);
  const EventRecord about_lead = RecordOf(lead);
  EXPECT_EQ(about_lead.lead_id, 3);
  EXPECT_EQ(about_lead.partner_id, 17);
  EXPECT_EQ(about_lead.owner_user_id, 9);
  EXPECT_TRUE(IsLeadPayload(*crm::v1::Lead::descriptor()));
  EXPECT_TRUE(CanNamePartner(*partners::v1::PartnerChanged::descriptor()));
}

TEST(FieldMomentTest, ReadsDatesFromCustomFieldsAndDateFields) {
  std::string problem;
  auto custom = FieldPath::Resolve(*partners::v1::PartnerChanged::descriptor(),
                                   "partner.custom_fields.demo_expires", problem);
  ASSERT_TRUE(custom) << problem;
  EXPECT_EQ(MomentIn(Szeged(), *custom).date, "2027-03-01");
  auto birthday =
      FieldPath::Resolve(*partners::v1::PartnerChanged::descriptor(), "partner.birthday", problem);
  ASSERT_TRUE(birthday) << problem;
  EXPECT_EQ(MomentIn(Szeged(), *birthday).date, "");
  auto with_birthday = Szeged();
  auto& date = *with_birthday.mutable_partner()->mutable_birthday();
  date.set_year(1980);
  date.set_month(2);
  date.set_day(29);
  EXPECT_EQ(MomentIn(with_birthday, *birthday).date, "1980-02-29");
  EXPECT_TRUE(IsDateText("2028-02-29"));
  EXPECT_FALSE(IsDateText("2027-02-29"));
  EXPECT_FALSE(IsDateText("2027-13-01"));
}

v1::Rule RuleFromJson(std::string_view json) {
  v1::Rule rule;
  kernel::ParseProtoJson(json, rule);
  return rule;
}

std::vector<kernel::FieldViolation> Violations(v1::Rule rule) {
  std::vector<kernel::FieldViolation> violations;
  CheckRule(rule,
            {kTopics,
             [](const std::string& url) {
               return url.rfind("https://", 0) == 0 ? "" : "only https here";
             }},
            violations);
  return violations;
}

bool Names(const std::vector<kernel::FieldViolation>& violations, std::string_view field,
           std::string_view part) {
  for (const auto& violation : violations) {
    if (violation.field == field && violation.description.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(CheckRuleTest, AcceptsTheDemoLicenceRule) {
  auto rule = RuleFromJson(R"({
    "name": "Demo licence", "trigger_topics": ["partners.partner.created", "partners.partner.updated"],
    "condition": "partner.archived = false",
    "actions": [{"timing": {"from_field": "partner.custom_fields.demo_expires", "offset": "-86400s",
                            "local_time": "09:00"},
                 "create_activity": {"subject": "Call {{partner.display_name}}",
                                     "assign_record_owner": true}},
                {"set_fields": {"values": {"custom_fields.stage": "demo", "website": "x.hu"}}},
                {"call_webhook": {"url": "https://example.com/hook"}},
                {"send_template": {"template_name": "demo_ending"}}]})");
  std::vector<kernel::FieldViolation> violations;
  auto compiled = CheckRule(rule, {kTopics, {}}, violations);
  ASSERT_TRUE(compiled) << violations.front().field << ": " << violations.front().description;
  EXPECT_EQ(rule.payload_type(), "karton.partners.v1.PartnerChanged");
  ASSERT_TRUE(compiled->actions[1].record_methods);
  EXPECT_EQ(compiled->actions[1].record_methods->update_method,
            "/karton.partners.v1.PartnerService/UpdatePartner");
  EXPECT_EQ(compiled->actions[1].record_methods->get_method,
            "/karton.partners.v1.PartnerService/GetPartner");
}

TEST(CheckRuleTest, NamesEveryBadField) {
  const auto violations = Violations(RuleFromJson(R"({
    "trigger_topics": ["partners.partner.created", "crm.lead.created", "nobody.thing.done"],
    "condition": "partner.nope = 1",
    "actions": [{}]})"));
  EXPECT_TRUE(Names(violations, "rule.name", "is required"));
  EXPECT_TRUE(Names(violations, "rule.trigger_topics[1]", "share one payload type"));
  EXPECT_TRUE(Names(violations, "rule.trigger_topics[2]", "no loaded module publishes"));
  EXPECT_TRUE(Names(violations, "rule.condition", "'nope'"));
  EXPECT_TRUE(Names(violations, "rule.actions[0]", "says what to do"));

  const auto actions = Violations(RuleFromJson(R"({
    "name": "x", "trigger_topics": ["crm.lead.created"],
    "actions": [
      {"create_activity": {"subject": ""}},
      {"timing": {"offset": "-60s"}, "send_template": {"template_name": "t", "recipient": "RECIPIENT_KIND_CONTACT"}},
      {"timing": {"from_field": "title"}, "set_fields": {"values": {"id": "4", "status": "won", "custom_fields.a": "b"}}},
      {"call_webhook": {"url": "http://insecure"}},
      {"timing": {"from_field": "create_time", "local_time": "25:00"}, "send_template": {"template_name": "t", "recipient": "RECIPIENT_KIND_LEAD"}}
    ]})"));
  EXPECT_TRUE(Names(actions, "rule.actions[0].create_activity.subject", "is required"));
  EXPECT_TRUE(Names(actions, "rule.actions[0].create_activity.assigned_user_ids", "who gets it"));
  EXPECT_TRUE(Names(actions, "rule.actions[1].timing.offset", "only from a field"));
  EXPECT_TRUE(Names(actions, "rule.actions[2].timing.from_field", "holds no date"));
  EXPECT_TRUE(Names(actions, "rule.actions[2].set_fields.values[id]", "cannot be set"));
  EXPECT_TRUE(Names(actions, "rule.actions[2].set_fields.values[status]", "no value 'won'"));
  EXPECT_TRUE(Names(actions, "rule.actions[3].call_webhook.url", "only https here"));
  EXPECT_TRUE(Names(actions, "rule.actions[4].timing.local_time", "HH:MM"));
  EXPECT_FALSE(Names(actions, "rule.actions[4].send_template.recipient", ""));
}

TEST(CheckRuleTest, RefusesActionsThePayloadCannotCarry) {
  const auto violations = Violations(RuleFromJson(R"({
    "name": "x", "trigger_topics": ["partners.partner.created"],
    "actions": [{"send_template": {"template_name": "t", "recipient": "RECIPIENT_KIND_LEAD"}}]})"));
  EXPECT_TRUE(Names(violations, "rule.actions[0].send_template.recipient", "not about a lead"));
}

}  // namespace
}  // namespace karton::automation
