// Ticket types and their processes (helpdesk.ticket_type).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk::ticket_type_repository {

// nullopt when the name is taken (whatever its case).
std::optional<v1::TicketType> Insert(soci::session& session, const v1::TicketType& type,
                                     kernel::TimePoint now);
std::optional<v1::TicketType> Find(soci::session& session, std::int64_t id, bool lock = false);
// Writes name, description, active and steps; nullopt when the name is taken.
std::optional<v1::TicketType> Update(soci::session& session, const v1::TicketType& type,
                                     kernel::TimePoint now);
// Oldest first, ids above `after_id`.
std::vector<v1::TicketType> List(soci::session& session, bool include_inactive,
                                 std::int64_t after_id, int limit);

}  // namespace karton::helpdesk::ticket_type_repository
