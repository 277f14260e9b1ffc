#include "leads/lead_intake.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "karton/kernel/prepared_query.h"
#include "leads/lead_repository.h"

namespace karton::crm {

v1::Lead LeadIntake::Accept(soci::session& session, v1::Lead lead, const std::string& request_id,
                            const kernel::Caller& caller, const v1::WebFormCategory* category) {
  // A repeated request is answered by the INSERT itself with the first
  // one's lead, routed once: routing before it only reads (the rules, the
  // team's members), and a repeat takes no team's turn.
  Assignment assignment;
  if (lead.assigned_user_id() == 0 && lead.team_id() == 0) {
    assignment = router_.Assign(session, lead, category);
    lead.set_assigned_user_id(assignment.user_id);
    lead.set_team_id(assignment.team_id);
    services_.log.debug("lead routed: {}", assignment.reason);
  }
  // The team's turn is taken in the INSERT, the last statement: the team's
  // row stays locked to the COMMIT, and every other lead for the team waits
  // for it. What follows is queued with the COMMIT in a kernel::Transaction
  // (the audit entry, the events).
  auto [stored, inserted] = lead_repository::Insert(session, lead, request_id, caller.user_id,
                                                    services_.clock.Now(), assignment.turn_among);
  if (!inserted) return stored;
  const std::int64_t id = stored.id();
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

v1::Lead LeadIntake::AcceptFormPost(soci::session& session, v1::Lead lead,
                                    const v1::WebFormCategory* category,
                                    std::chrono::seconds repost_window) {
  const kernel::Caller caller = kernel::Caller::Internal();
  if (repost_window.count() <= 0 || (lead.email().empty() && lead.phone().empty())) {
    return Accept(session, std::move(lead), "", caller, category);
  }
  // Two posts of one person at once: the second waits for the first's
  // COMMIT, then finds its lead.
  std::string person = lead.email();
  for (auto& c : person) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (person.empty()) {
    for (const char c : lead.phone()) {
      if (std::isdigit(static_cast<unsigned char>(c)) || c == '+') person += c;
    }
  }
  const std::string key = std::to_string(lead.web_form_id()) + ":" + person;
  // Prepared, so that a kernel::Transaction's BEGIN goes with it (a SOCI
  // statement would send the BEGIN as a round trip of its own).
  kernel::RunPrepared(
      session, "SELECT pg_advisory_xact_lock(hashtext('crm.form_repost'), hashtext($1))", {key});
  const auto now = services_.clock.Now();
  const auto earlier = lead_repository::FindRepost(session, lead.web_form_id(), lead.email(),
                                                   lead.phone(), now - repost_window);
  if (!earlier) return Accept(session, std::move(lead), "", caller, category);
  const v1::Lead before = *lead_repository::Find(session, *earlier, Scope::Everything(), false);
  lead_repository::AddMessage(session, *earlier, lead, now);
  v1::Lead stored = *lead_repository::Find(session, *earlier, Scope::Everything(), false);
  services_.audit.Record(
      session, caller, kernel::AuditAction::kUpdate, "crm.lead", *earlier,
      {kernel::FieldChange::Of("messages", before.messages_size(), stored.messages_size())});
  services_.events.Publish(session, "crm.lead.updated", *earlier, stored, caller);
  return stored;
}

}  // namespace karton::crm
