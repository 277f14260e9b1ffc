// A ticket's copy of its type's process (helpdesk.ticket_step).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk::ticket_step_repository {

// Replaces the ticket's steps with `steps` (positions 1, 2, ...), all pending.
void Replace(soci::session& session, std::int64_t ticket_id,
             const std::vector<v1::ProcessStep>& steps);
bool AnyFinished(soci::session& session, std::int64_t ticket_id);
std::optional<v1::TicketStep> Find(soci::session& session, std::int64_t ticket_id, int position);
// Pending -> current, with its start and, for a `due_offset` above 0, its
// due time.
v1::TicketStep Begin(soci::session& session, std::int64_t ticket_id, int position,
                     kernel::TimePoint now, std::chrono::seconds due_offset);
// Current -> done or skipped.
v1::TicketStep Finish(soci::session& session, std::int64_t ticket_id, int position, bool skipped,
                      std::int64_t by_user_id, const std::string& note, kernel::TimePoint now);
// The ticket's current_step, with a new version.
void SetCurrent(soci::session& session, std::int64_t ticket_id, int position,
                kernel::TimePoint now);

}  // namespace karton::helpdesk::ticket_step_repository
