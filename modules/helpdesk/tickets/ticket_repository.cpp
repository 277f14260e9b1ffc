#include "tickets/ticket_repository.h"

#include "helpdesk_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::helpdesk::ticket_repository {
namespace {

#define KARTON_TICKET_COLUMNS \
  "t.id, t.number, t.subject, t.description, t.state, t.priority, "                              \
  "coalesce(t.type_id, 0) AS type_id, t.source, coalesce(t.partner_id, 0) AS partner_id, "       \
  "coalesce(t.contact_id, 0) AS contact_id, t.requester_name, t.requester_email, "               \
  "t.requester_phone, coalesce(t.assignee_user_id, 0) AS assignee_user_id, "                     \
  "coalesce(t.team_id, 0) AS team_id, t.sla_state, "                                             \
  "coalesce(t.merged_into_id, 0) AS merged_into_id, t.reopen_count, "                            \
  KARTON_HELPDESK_MICROS("t.first_response_time") " AS first_response_time, "                    \
  KARTON_HELPDESK_MICROS("t.resolve_time") " AS resolve_time, "                                  \
  KARTON_HELPDESK_MICROS("t.close_time") " AS close_time, t.created_by AS created_by_user_id, " \
  "t.version::text AS etag, " KARTON_HELPDESK_MICROS("t.create_time") " AS create_time, "       \
  KARTON_HELPDESK_MICROS("t.update_time") " AS update_time, t.current_step, "                                    \
  "coalesce(t.sla_policy_id, 0) AS sla_policy_id, "                                               \
  KARTON_HELPDESK_MICROS("t.first_response_due_time") " AS first_response_due_time, "             \
  KARTON_HELPDESK_MICROS("t.resolve_due_time") " AS resolve_due_time, t.customer_notices_off"

#define KARTON_COMMENT_COLUMNS                                  \
  "c.id, c.ticket_id, c.visibility, c.body, c.author_user_id, " \
  "c.from_customer, " KARTON_HELPDESK_MICROS("c.create_time") " AS create_time"

#define KARTON_STEP_COLUMNS \
  "s.position, s.definition AS step, s.state, "                                                \
  KARTON_HELPDESK_MICROS("s.start_time") " AS start_time, "                                   \
  KARTON_HELPDESK_MICROS("s.due_time") " AS due_time, "                                       \
  KARTON_HELPDESK_MICROS("s.finish_time") " AS finish_time, s.finished_by AS finished_by_user_id, " \
  "s.note"

#define KARTON_HAND_OVER_COLUMNS                                                 \
  "h.kind, h.from_user_id, h.from_team_id, h.to_user_id, h.to_team_id, h.note, " \
  "h.by_user_id, " KARTON_HELPDESK_MICROS("h.create_time") " AS create_time"

const kernel::TypedQuery<v1::Ticket> kInsert(
    "WITH next AS (SELECT nextval('helpdesk.ticket_id_seq') AS id) "
    "INSERT INTO helpdesk.ticket AS t (id, number, subject, description, priority, type_id, "
    "source, partner_id, contact_id, requester_name, requester_email, requester_phone, "
    "created_by, request_id, create_time, update_time, customer_notices_off) "
    "SELECT next.id, 'HD-' || to_char(" KARTON_HELPDESK_AT("$13") " AT TIME ZONE 'UTC', 'YYYY') "
    "|| '-' || lpad(next.id::text, greatest(6, length(next.id::text)), '0'), $1, $2, $3, nullif($4::bigint, 0), $5, "
    "nullif($6::bigint, 0), nullif($7::bigint, 0), $8, $9, $10, $11::bigint, $12, "
    KARTON_HELPDESK_AT("$13") ", " KARTON_HELPDESK_AT("$13") ", $14::boolean FROM next "
    "ON CONFLICT (created_by, request_id) WHERE request_id <> '' DO NOTHING "
    "RETURNING " KARTON_TICKET_COLUMNS);
const kernel::TypedQuery<v1::Ticket> kFindByRequest(
    "SELECT " KARTON_TICKET_COLUMNS
    " FROM helpdesk.ticket t WHERE t.created_by = $1 AND t.request_id = $2");
const std::string kFind =
    "SELECT " KARTON_TICKET_COLUMNS
    " FROM helpdesk.ticket t WHERE " KARTON_HELPDESK_SCOPE("t") " AND t.id = $4";
const kernel::TypedQuery<v1::Ticket> kFindTicket(kFind);
const kernel::TypedQuery<v1::Ticket> kFindLocked(kFind + " FOR UPDATE OF t");
const kernel::TypedQuery<v1::Ticket> kUpdate(
    "UPDATE helpdesk.ticket t SET subject = $2, description = $3, priority = $4, "
    "type_id = nullif($5::bigint, 0), partner_id = nullif($6::bigint, 0), "
    "contact_id = nullif($7::bigint, 0), requester_name = $8, requester_email = $9, "
    "requester_phone = $10, update_time = " KARTON_HELPDESK_AT("$11") ", "
    "customer_notices_off = $12::boolean, version = t.version + 1 "
    "WHERE t.id = $1 RETURNING " KARTON_TICKET_COLUMNS);
const kernel::TypedQuery<v1::Ticket> kAssign(
    "UPDATE helpdesk.ticket t SET assignee_user_id = nullif($2::bigint, 0), "
    "team_id = nullif($3::bigint, 0), update_time = " KARTON_HELPDESK_AT("$4") ", "
    "version = t.version + 1 WHERE t.id = $1 RETURNING " KARTON_TICKET_COLUMNS);
const kernel::TypedQuery<v1::Ticket> kSetState(
    "UPDATE helpdesk.ticket t SET state = $2, "
    "resolve_time = CASE WHEN $3::boolean THEN NULL WHEN $2 = 'resolved' THEN " KARTON_HELPDESK_AT("$4")
    " ELSE t.resolve_time END, "
    "close_time = CASE WHEN $3::boolean THEN NULL WHEN $2 = 'closed' THEN " KARTON_HELPDESK_AT("$4")
    " ELSE t.close_time END, "
    "reopen_count = t.reopen_count + CASE WHEN $3::boolean THEN 1 ELSE 0 END, "
    "update_time = " KARTON_HELPDESK_AT("$4") ", version = t.version + 1 "
    "WHERE t.id = $1 RETURNING " KARTON_TICKET_COLUMNS);
const kernel::TypedQuery<v1::Ticket> kMarkMerged(
    "UPDATE helpdesk.ticket t SET state = 'closed', merged_into_id = $2, "
    "close_time = " KARTON_HELPDESK_AT("$3") ", update_time = " KARTON_HELPDESK_AT("$3") ", "
    "version = t.version + 1 WHERE t.id = $1 RETURNING " KARTON_TICKET_COLUMNS);
const kernel::TypedQuery<v1::Ticket> kTouch(
    "UPDATE helpdesk.ticket t SET first_response_time = CASE WHEN $2::boolean THEN "
    "coalesce(t.first_response_time, " KARTON_HELPDESK_AT("$3") ") ELSE t.first_response_time END, "
    "update_time = " KARTON_HELPDESK_AT("$3") ", version = t.version + 1 "
    "WHERE t.id = $1 RETURNING " KARTON_TICKET_COLUMNS);
const kernel::TypedQuery<v1::Ticket>
    kList("SELECT " KARTON_TICKET_COLUMNS " FROM helpdesk.ticket t WHERE " KARTON_HELPDESK_SCOPE(
        "t") " AND ($4 = '' OR t.state = $4) AND ($5::bigint = 0 OR t.type_id = $5::bigint) "
             "AND ($6 = '' OR t.priority = $6) AND ($7::bigint = 0 OR t.assignee_user_id = "
             "$7::bigint) "
             "AND ($8::bigint = 0 OR t.team_id = $8::bigint) "
             "AND ($9::bigint = 0 OR t.partner_id = $9::bigint) AND ($10 = '' OR t.sla_state = "
             "$10) "
             "AND (NOT $11::boolean OR t.state NOT IN ('resolved', 'closed')) "
             "AND ($12::bigint = 0 OR t.id < $12::bigint) ORDER BY t.id DESC LIMIT $13");

const kernel::TypedQuery<v1::TicketComment> kInsertComment(
    "INSERT INTO helpdesk.ticket_comment AS c (ticket_id, visibility, body, author_user_id, "
    "from_customer, create_time, source_key) VALUES ($1, $2, $3, $4, $5, "
    KARTON_HELPDESK_AT("$6") ", $7) ON CONFLICT (ticket_id, source_key) WHERE source_key <> '' "
    "DO NOTHING RETURNING " KARTON_COMMENT_COLUMNS);
const kernel::TypedQuery<v1::TicketStep> kSteps(
    "SELECT " KARTON_STEP_COLUMNS
    " FROM helpdesk.ticket_step s WHERE s.ticket_id = $1 ORDER BY s.position");
const kernel::TypedQuery<v1::TicketComment> kComments(
    "SELECT " KARTON_COMMENT_COLUMNS
    " FROM helpdesk.ticket_comment c WHERE c.ticket_id = $1 ORDER BY c.id");
const kernel::TypedQuery<v1::HandOverEntry> kInsertHandOver(
    "INSERT INTO helpdesk.ticket_hand_over AS h (ticket_id, kind, from_user_id, from_team_id, "
    "to_user_id, to_team_id, note, by_user_id, create_time) VALUES ($1, $2, $3, $4, $5, $6, $7, "
    "$8, " KARTON_HELPDESK_AT("$9") ") RETURNING " KARTON_HAND_OVER_COLUMNS);
const kernel::TypedQuery<v1::HandOverEntry> kHandOvers(
    "SELECT " KARTON_HAND_OVER_COLUMNS
    " FROM helpdesk.ticket_hand_over h WHERE h.ticket_id = $1 ORDER BY h.id");

std::string Text(std::int64_t value) { return std::to_string(value); }
std::string Micros(kernel::TimePoint now) { return Text(kernel::ToEpochMicros(now)); }
std::string Flag(bool value) { return value ? "true" : "false"; }

std::string Word(const google::protobuf::EnumDescriptor& type, int value,
                 const std::string& prefix) {
  const auto* named = type.FindValueByNumber(value);
  if (named == nullptr || value == 0) return "";
  std::string word(named->name().substr(prefix.size()));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

bool Exists(soci::session& session, const std::string& sql, std::int64_t id) {
  return id > 0 && kernel::RunPrepared(session, sql, {Text(id)}).Count() > 0;
}

}  // namespace

std::optional<v1::Ticket> Insert(soci::session& session, const v1::Ticket& ticket,
                                 std::int64_t created_by, const std::string& request_id,
                                 kernel::TimePoint now) {
  return kInsert.One(
      session, {ticket.subject(), ticket.description(),
                Word(*v1::TicketPriority_descriptor(), ticket.priority(), "TICKET_PRIORITY_"),
                Text(ticket.type_id()),
                Word(*v1::TicketSource_descriptor(), ticket.source(), "TICKET_SOURCE_"),
                Text(ticket.partner_id()), Text(ticket.contact_id()), ticket.requester_name(),
                ticket.requester_email(), ticket.requester_phone(), Text(created_by), request_id,
                Micros(now), Flag(ticket.customer_notices_off())});
}

std::optional<v1::Ticket> FindByRequest(soci::session& session, std::int64_t created_by,
                                        const std::string& request_id) {
  return kFindByRequest.One(session, {Text(created_by), request_id});
}

std::optional<v1::Ticket> Find(soci::session& session, std::int64_t id, const Scope& scope,
                               bool lock) {
  return (lock ? kFindLocked : kFindTicket)
      .One(session, {scope.Name(), scope.User(), scope.team_ids, Text(id)});
}

std::optional<v1::Ticket> FindWhole(soci::session& session, std::int64_t id, const Scope& scope) {
  auto ticket = Find(session, id, scope);
  if (!ticket) return ticket;
  for (auto& comment : kComments.All(session, {Text(id)})) {
    *ticket->add_comments() = std::move(comment);
  }
  for (auto& entry : kHandOvers.All(session, {Text(id)})) {
    *ticket->add_hand_overs() = std::move(entry);
  }
  for (auto& step : kSteps.All(session, {Text(id)})) *ticket->add_steps() = std::move(step);
  const auto merged = kernel::RunPrepared(
      session, "SELECT id FROM helpdesk.ticket WHERE merged_into_id = $1 ORDER BY id", {Text(id)});
  for (int row = 0; row < merged.Count(); ++row) {
    ticket->add_merged_ticket_ids(std::stoll(std::string(merged.Text(row, 0))));
  }
  // An external partner sees the public articles only (KnowledgeBaseService).
  const auto solutions = kernel::RunPrepared(
      session,
      "SELECT l.article_id FROM helpdesk.article_link l JOIN helpdesk.article a ON a.id = "
      "l.article_id WHERE l.ticket_id = $1 AND ($2 <> 'shared' OR a.visibility = 'public') "
      "ORDER BY l.link_time, l.article_id",
      {Text(id), scope.Name()});
  for (int row = 0; row < solutions.Count(); ++row) {
    ticket->add_solution_article_ids(std::stoll(std::string(solutions.Text(row, 0))));
  }
  return ticket;
}

std::optional<std::int64_t> IdOfNumber(soci::session& session, const std::string& number) {
  const auto rows = kernel::RunPrepared(
      session, "SELECT id FROM helpdesk.ticket WHERE number = upper($1)", {number});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

v1::Ticket Update(soci::session& session, const v1::Ticket& ticket, kernel::TimePoint now) {
  return *kUpdate.One(
      session,
      {Text(ticket.id()), ticket.subject(), ticket.description(),
       Word(*v1::TicketPriority_descriptor(), ticket.priority(), "TICKET_PRIORITY_"),
       Text(ticket.type_id()), Text(ticket.partner_id()), Text(ticket.contact_id()),
       ticket.requester_name(), ticket.requester_email(), ticket.requester_phone(), Micros(now),
       Flag(ticket.customer_notices_off())});
}

v1::Ticket SetAssignment(soci::session& session, std::int64_t id, std::int64_t user_id,
                         std::int64_t team_id, kernel::TimePoint now) {
  return *kAssign.One(session, {Text(id), Text(user_id), Text(team_id), Micros(now)});
}

v1::Ticket SetState(soci::session& session, std::int64_t id, const std::string& state, bool reopen,
                    kernel::TimePoint now) {
  return *kSetState.One(session, {Text(id), state, Flag(reopen), Micros(now)});
}

v1::Ticket MarkMerged(soci::session& session, std::int64_t id, std::int64_t target_id,
                      kernel::TimePoint now) {
  return *kMarkMerged.One(session, {Text(id), Text(target_id), Micros(now)});
}

v1::Ticket Touch(soci::session& session, std::int64_t id, bool first_response,
                 kernel::TimePoint now) {
  return *kTouch.One(session, {Text(id), Flag(first_response), Micros(now)});
}

std::vector<v1::Ticket> List(soci::session& session, const Scope& scope, const ListFilter& filter,
                             std::int64_t before_id, int limit) {
  return kList.All(session, {scope.Name(), scope.User(), scope.team_ids, filter.state,
                             Text(filter.type_id), filter.priority, Text(filter.assignee_user_id),
                             Text(filter.team_id), Text(filter.partner_id), filter.sla_state,
                             Flag(filter.open_only), Text(before_id), Text(limit)});
}

v1::TicketComment AddComment(soci::session& session, const v1::TicketComment& comment,
                             kernel::TimePoint now) {
  return *AddCommentOnce(session, comment, "", now);
}

std::optional<v1::TicketComment> AddCommentOnce(soci::session& session,
                                                const v1::TicketComment& comment,
                                                const std::string& source_key,
                                                kernel::TimePoint now) {
  return kInsertComment.One(session, {Text(comment.ticket_id()),
                                      Word(*v1::CommentVisibility_descriptor(),
                                           comment.visibility(), "COMMENT_VISIBILITY_"),
                                      comment.body(), Text(comment.author_user_id()),
                                      Flag(comment.from_customer()), Micros(now), source_key});
}

std::vector<v1::TicketStep> Steps(soci::session& session, std::int64_t ticket_id) {
  return kSteps.All(session, {Text(ticket_id)});
}

v1::HandOverEntry AddHandOver(soci::session& session, std::int64_t ticket_id,
                              const v1::HandOverEntry& entry, kernel::TimePoint now) {
  return *kInsertHandOver.One(
      session,
      {Text(ticket_id), Word(*v1::HandOverKind_descriptor(), entry.kind(), "HAND_OVER_KIND_"),
       Text(entry.from_user_id()), Text(entry.from_team_id()), Text(entry.to_user_id()),
       Text(entry.to_team_id()), entry.note(), Text(entry.by_user_id()), Micros(now)});
}

bool UserExists(soci::session& session, std::int64_t user_id) {
  return Exists(session, "SELECT 1 FROM kernel.user_account WHERE id = $1", user_id);
}

bool IsExternalPartnerUser(soci::session& session, std::int64_t user_id) {
  return Exists(session,
                "SELECT 1 FROM kernel.user_account WHERE id = $1 AND "
                "'external_partner' = ANY (roles)",
                user_id);
}

bool TeamExists(soci::session& session, std::int64_t team_id) {
  return Exists(session, "SELECT 1 FROM kernel.team WHERE id = $1", team_id);
}

bool TicketTypeExists(soci::session& session, std::int64_t type_id) {
  return Exists(session, "SELECT 1 FROM helpdesk.ticket_type WHERE id = $1", type_id);
}

}  // namespace karton::helpdesk::ticket_repository
