// Journeys checked against their topics and subjects, without a database.
#include "journeys/journey_definition.h"

#include <gtest/gtest.h>

#include "karton/kernel/proto_json.h"

namespace karton::automation {
namespace {

const TopicTypes kTopics = {
    {"partners.partner.created", "karton.partners.v1.PartnerChanged"},
    {"crm.lead.created", "karton.crm.v1.Lead"},
    {"messaging.template.created", "karton.messaging.v1.Template"},
};

std::vector<kernel::FieldViolation> Violations(std::string_view json) {
  v1::Journey journey;
  kernel::ParseProtoJson(json, journey);
  std::vector<kernel::FieldViolation> violations;
  CheckJourney(journey, kTopics, "2026-12-04T10:00", violations);
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

TEST(CheckJourneyTest, AcceptsTheHeatingCompanysJourney) {
  const auto violations = Violations(R"({
    "name": "Heating newsletter", "enrol_topics": ["partners.partner.created"],
    "enrol_condition": "partner.tags = \"heating\"", "stops": {"on_purchase": true},
    "steps": [
      {"repeat_count": 39, "repeat_every": "1209600s", "local_time": "09:00",
       "send_template": {"template_name": "newsletter", "category": "CATEGORY_MARKETING"}},
      {"offset": "31536000s", "condition": "customer = false",
       "create_activity": {"subject": "Call {{display_name}}", "assign_record_owner": true}},
      {"wait_until": "2027-06-01T08:30", "goal": {"condition": "customer = true"}}]})");
  EXPECT_TRUE(violations.empty()) << violations.front().field << ": "
                                  << violations.front().description;
}

TEST(CheckJourneyTest, NamesEveryStepThatCouldNeverRun) {
  const auto violations = Violations(R"({
    "enrol_topics": ["messaging.template.created"],
    "stops": {"on_purchase": true},
    "steps": [
      {"repeat_count": 3, "send_template": {"template_name": "x"}},
      {"wait_until": "2026-01-01T09:00", "offset": "60s", "goal": {}},
      {"local_time": "9:00", "condition": "colour = \"red\"",
       "create_activity": {"subject": "{{nickname}}", "assign_record_owner": true}},
      {}]})");
  EXPECT_TRUE(Names(violations, "journey.name", "is required"));
  EXPECT_TRUE(Names(violations, "journey.enrol_topics[0]", "names no partner"));
  EXPECT_TRUE(Names(violations, "journey.steps[0].repeat_every", "is required"));
  EXPECT_TRUE(Names(violations, "journey.steps[1].wait_until", "has passed"));
  EXPECT_TRUE(Names(violations, "journey.steps[1].offset", "cannot be given with wait_until"));
  EXPECT_TRUE(Names(violations, "journey.steps[1].goal.condition", "is required"));
  EXPECT_TRUE(Names(violations, "journey.steps[2].local_time", "HH:MM"));
  EXPECT_TRUE(Names(violations, "journey.steps[2].condition", "'colour'"));
  EXPECT_TRUE(Names(violations, "journey.steps[2].create_activity.subject", "nickname"));
  EXPECT_TRUE(Names(violations, "journey.steps[3]", "says what to do"));
}

TEST(CheckJourneyTest, LeadsAreEnrolledByLeadEventsAndDoNotBuy) {
  const auto violations = Violations(R"({
    "name": "Lead nurture", "subject": "JOURNEY_SUBJECT_LEAD",
    "enrol_topics": ["crm.lead.created"], "enrol_condition": "status = \"new\"",
    "stops": {"on_purchase": true},
    "steps": [{"send_template": {"template_name": "hello", "recipient": "RECIPIENT_KIND_LEAD"}}]})");
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "journey.stops.on_purchase");
}

TEST(CheckJourneyTest, LocalDateTimes) {
  EXPECT_TRUE(IsLocalDateTime("2027-03-28T02:30"));
  EXPECT_FALSE(IsLocalDateTime("2027-03-28 02:30"));
  EXPECT_FALSE(IsLocalDateTime("2027-02-29T09:00"));
  EXPECT_FALSE(IsLocalDateTime("2027-03-28T24:00"));
}

}  // namespace
}  // namespace karton::automation
