#include "demo_data.h"

#include "journeys/journey_repository.h"
#include "karton/kernel/module.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "rules/rule_repository.h"

namespace karton::automation {
namespace {

// A partner tagged "heating" gets the newsletter every two weeks for
// eighteen months at 09:00, and its owner a call after a year; buying
// stops it.
constexpr const char* kHeatingJourney = R"({
  "name": "Heating newsletter",
  "description": "Every two weeks for eighteen months (39 in all) at 09:00; a call after a year; stops on a purchase or an unsubscription.",
  "enabled": true, "subject": "JOURNEY_SUBJECT_PARTNER",
  "enrol_topics": ["partners.partner.created"],
  "enrol_condition": "partner.tags = \"heating\"",
  "stops": {"on_purchase": true, "on_unsubscribe": true, "on_reply": false},
  "steps": [
    {"name": "Newsletter", "repeat_count": 39, "repeat_every": "1209600s", "local_time": "09:00",
     "send_template": {"template_name": "newsletter", "category": "CATEGORY_MARKETING"}},
    {"name": "Call after a year", "offset": "31536000s", "local_time": "10:00",
     "create_activity": {"type": "ACTIVITY_TYPE_CALL", "assign_record_owner": true,
                         "subject": "Call {{display_name}}: a year of newsletters"}}]})";

}  // namespace

void LoadAutomationDemoData(kernel::ModuleContext& context, soci::session& session) {
  v1::Rule rule;
  rule.set_name("Call before the demo licence expires");
  rule.set_description(
      "The day before a partner's demo licence ends (its custom field demo_expires), at 09:00, "
      "the partner's owner gets a task to call and offer the full licence.");
  rule.add_trigger_topics("partners.partner.created");
  rule.add_trigger_topics("partners.partner.updated");
  // Only cards that carry the date: the rest make no run at all.
  rule.set_condition("partner.custom_fields.demo_expires > \"2000-01-01\"");
  rule.set_enabled(true);
  rule.set_payload_type("karton.partners.v1.PartnerChanged");
  auto& action = *rule.add_actions();
  action.mutable_timing()->set_from_field("partner.custom_fields.demo_expires");
  action.mutable_timing()->mutable_offset()->set_seconds(-24 * 3600);
  action.mutable_timing()->set_local_time("09:00");
  auto& activity = *action.mutable_create_activity();
  activity.set_type(crm::v1::ACTIVITY_TYPE_CALL);
  activity.set_subject("Call {{partner.display_name}}: the demo licence ends tomorrow");
  activity.set_description("Offer the full licence before the demo runs out.");
  activity.mutable_due_after()->set_seconds(8 * 3600);
  activity.set_assign_record_owner(true);
  rule_repository::Insert(session, rule, 0, context.Time().Now());

  // The heating company's journey (docs/automation.md, "Journeys").
  v1::Journey journey;
  kernel::ParseProtoJson(kHeatingJourney, journey);
  journey_repository::Insert(session, journey, 0, context.Time().Now());

  // The name-day greeting recipe, switched on.
  kernel::RunPrepared(session,
                      "INSERT INTO automation.recipe (name, enabled, template_name, update_time) "
                      "VALUES ('name_day_greeting', true, 'name_day_greeting', now())",
                      {});
}

}  // namespace karton::automation
