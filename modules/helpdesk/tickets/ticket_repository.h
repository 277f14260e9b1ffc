// Tickets (helpdesk.ticket), their comments and hand-over history.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/clock.h"
#include "scope.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk::ticket_repository {

// The new ticket (state new); nullopt when `request_id` was used by the
// same creator before.
std::optional<v1::Ticket> Insert(soci::session& session, const v1::Ticket& ticket,
                                 std::int64_t created_by, const std::string& request_id,
                                 kernel::TimePoint now);
std::optional<v1::Ticket> FindByRequest(soci::session& session, std::int64_t created_by,
                                        const std::string& request_id);
// The ticket alone (no comments, hand-overs or merged ids).
std::optional<v1::Ticket> Find(soci::session& session, std::int64_t id, const Scope& scope,
                               bool lock = false);
// Find, with comments, hand-overs, merged ids and the articles it was
// solved with.
std::optional<v1::Ticket> FindWhole(soci::session& session, std::int64_t id, const Scope& scope);
// The ticket quoted as "HD-2026-000042" (any case), in any scope.
std::optional<std::int64_t> IdOfNumber(soci::session& session, const std::string& number);

// Writes the fields UpdateTicket may change.
v1::Ticket Update(soci::session& session, const v1::Ticket& ticket, kernel::TimePoint now);
v1::Ticket SetAssignment(soci::session& session, std::int64_t id, std::int64_t user_id,
                         std::int64_t team_id, kernel::TimePoint now);
// Moves it to `state`: resolved stamps resolve_time, closed close_time; a
// reopen counts and clears both.
v1::Ticket SetState(soci::session& session, std::int64_t id, const std::string& state, bool reopen,
                    kernel::TimePoint now);
// Closes `id` into `target_id`.
v1::Ticket MarkMerged(soci::session& session, std::int64_t id, std::int64_t target_id,
                      kernel::TimePoint now);
// A new version (etag) and update time, for a change kept beside the ticket
// (a comment); `first_response` also stamps first_response_time if unset.
v1::Ticket Touch(soci::session& session, std::int64_t id, bool first_response,
                 kernel::TimePoint now);

struct ListFilter {
  std::string state;
  std::int64_t type_id = 0;
  std::string priority;
  std::int64_t assignee_user_id = 0;
  std::int64_t team_id = 0;
  std::int64_t partner_id = 0;
  std::string sla_state;
  bool open_only = false;
};
// Newest first, ids below `before_id` (0: from the newest).
std::vector<v1::Ticket> List(soci::session& session, const Scope& scope, const ListFilter& filter,
                             std::int64_t before_id, int limit);

v1::TicketComment AddComment(soci::session& session, const v1::TicketComment& comment,
                             kernel::TimePoint now);
// The same, once per `source_key` and ticket: nullopt when a comment with
// that key is there already (a job run again).
std::optional<v1::TicketComment> AddCommentOnce(soci::session& session,
                                                const v1::TicketComment& comment,
                                                const std::string& source_key,
                                                kernel::TimePoint now);
// The ticket's process steps, in order.
std::vector<v1::TicketStep> Steps(soci::session& session, std::int64_t ticket_id);
v1::HandOverEntry AddHandOver(soci::session& session, std::int64_t ticket_id,
                              const v1::HandOverEntry& entry, kernel::TimePoint now);

// Whether user `user_id` exists (and, when `external_partner`, holds that role).
bool UserExists(soci::session& session, std::int64_t user_id);
bool IsExternalPartnerUser(soci::session& session, std::int64_t user_id);
bool TeamExists(soci::session& session, std::int64_t team_id);
bool TicketTypeExists(soci::session& session, std::int64_t type_id);

}  // namespace karton::helpdesk::ticket_repository
