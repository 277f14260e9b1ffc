#include "leads/lead_intake.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "leads/lead_repository.h"

namespace karton::crm {

v1::Lead LeadIntake::Accept(soci::session& session, v1::Lead lead, const std::string& request_id,
                            const kernel::Caller& caller, const v1::WebFormCategory* category) {
  if (!request_id.empty()) {
    // A repeated request: the first one's lead, routed once.
    if (const auto earlier = lead_repository::FindByRequest(session, request_id)) {
      return *lead_repository::Find(session, *earlier, Scope::Everything(), false);
    }
  }
  if (lead.assigned_user_id() == 0 && lead.team_id() == 0) {
    const Assignment assignment = router_.Assign(session, lead, category);
    lead.set_assigned_user_id(assignment.user_id);
    lead.set_team_id(assignment.team_id);
    services_.log.debug("lead routed: {}", assignment.reason);
  }
  const auto [id, inserted] =
      lead_repository::Insert(session, lead, request_id, caller.user_id, services_.clock.Now());
  v1::Lead stored = *lead_repository::Find(session, id, Scope::Everything(), false);
  if (!inserted) return stored;  // the same request raced in from another call
  services_.audit.Record(
      session, caller, kernel::AuditAction::kCreate, "crm.lead", id,
      {kernel::FieldChange::Created("title", stored.title()),
       kernel::FieldChange::Created("source", lead_repository::SourceName(stored.source())),
       kernel::FieldChange::Of("assigned_user_id", 0, stored.assigned_user_id())});
  services_.events.Publish(session, "crm.lead.created", id, stored, caller);
  if (stored.assigned_user_id() != 0 || stored.team_id() != 0) {
    services_.events.Publish(session, "crm.lead.assigned", id, stored, caller);
  }
  return stored;
}

}  // namespace karton::crm
