#include "process/ticket_step_repository.h"

#include "helpdesk_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::helpdesk::ticket_step_repository {
namespace {

#define KARTON_STEP_COLUMNS \
  "s.position, s.definition AS step, s.state, "                                        \
  KARTON_HELPDESK_MICROS("s.start_time") " AS start_time, "                           \
  KARTON_HELPDESK_MICROS("s.due_time") " AS due_time, "                               \
  KARTON_HELPDESK_MICROS("s.finish_time") " AS finish_time, "                         \
  "s.finished_by AS finished_by_user_id, s.note"

const kernel::TypedQuery<v1::TicketStep> kFind(
    "SELECT " KARTON_STEP_COLUMNS
    " FROM helpdesk.ticket_step s WHERE s.ticket_id = $1 AND s.position = $2::integer");
const kernel::TypedQuery<v1::TicketStep> kBegin(
    "UPDATE helpdesk.ticket_step s SET state = 'current', start_time = " KARTON_HELPDESK_AT("$3")
    ", due_time = CASE WHEN $4::bigint = 0 THEN NULL ELSE " KARTON_HELPDESK_AT("$4") " END "
    "WHERE s.ticket_id = $1 AND s.position = $2::integer RETURNING " KARTON_STEP_COLUMNS);
const kernel::TypedQuery<v1::TicketStep>
    kFinish("UPDATE helpdesk.ticket_step s SET state = $3, finish_time = " KARTON_HELPDESK_AT(
        "$6") ", finished_by = $4::bigint, note = $5 "
              "WHERE s.ticket_id = $1 AND s.position = $2::integer RETURNING " KARTON_STEP_COLUMNS);

std::string Text(std::int64_t value) { return std::to_string(value); }

}  // namespace

void Replace(soci::session& session, std::int64_t ticket_id,
             const std::vector<v1::ProcessStep>& steps) {
  kernel::RunPrepared(session, "DELETE FROM helpdesk.ticket_step WHERE ticket_id = $1",
                      {Text(ticket_id)});
  for (std::size_t i = 0; i < steps.size(); ++i) {
    kernel::RunPrepared(session,
                        "INSERT INTO helpdesk.ticket_step (ticket_id, position, definition) "
                        "VALUES ($1, $2::integer, $3::jsonb)",
                        {Text(ticket_id), Text(static_cast<std::int64_t>(i + 1)),
                         kernel::PrintProtoJson(steps[i])});
  }
}

bool AnyFinished(soci::session& session, std::int64_t ticket_id) {
  return kernel::RunPrepared(session,
                             "SELECT 1 FROM helpdesk.ticket_step WHERE ticket_id = $1 AND state "
                             "IN ('done', 'skipped') LIMIT 1",
                             {Text(ticket_id)})
             .Count() > 0;
}

std::optional<v1::TicketStep> Find(soci::session& session, std::int64_t ticket_id, int position) {
  return kFind.One(session, {Text(ticket_id), Text(position)});
}

v1::TicketStep Begin(soci::session& session, std::int64_t ticket_id, int position,
                     kernel::TimePoint now, std::chrono::seconds due_offset) {
  const auto due = due_offset.count() > 0 ? kernel::ToEpochMicros(now + due_offset) : 0;
  return *kBegin.One(
      session, {Text(ticket_id), Text(position), Text(kernel::ToEpochMicros(now)), Text(due)});
}

v1::TicketStep Finish(soci::session& session, std::int64_t ticket_id, int position, bool skipped,
                      std::int64_t by_user_id, const std::string& note, kernel::TimePoint now) {
  return *kFinish.One(session, {Text(ticket_id), Text(position), skipped ? "skipped" : "done",
                                Text(by_user_id), note, Text(kernel::ToEpochMicros(now))});
}

void SetCurrent(soci::session& session, std::int64_t ticket_id, int position,
                kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE helpdesk.ticket SET current_step = $2::integer, update_time = " KARTON_HELPDESK_AT(
          "$3") ", version = version + 1 WHERE id = $1",
      {Text(ticket_id), Text(position), Text(kernel::ToEpochMicros(now))});
}

}  // namespace karton::helpdesk::ticket_step_repository
