#include "demo_data.h"

#include "karton/kernel/module.h"
#include "rules/rule_repository.h"

namespace karton::automation {

void LoadAutomationDemoData(kernel::ModuleContext& context, soci::session& session) {
  v1::Rule rule;
  rule.set_name("Call before the demo licence expires");
  rule.set_description(
      "The day before a partner's demo licence ends (its custom field demo_expires), at 09:00, "
      "the partner's owner gets a task to call and offer the full licence.");
  rule.add_trigger_topics("partners.partner.created");
  rule.add_trigger_topics("partners.partner.updated");
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
}

}  // namespace karton::automation
