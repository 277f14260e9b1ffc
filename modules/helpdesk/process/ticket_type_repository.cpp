#include "process/ticket_type_repository.h"

#include "helpdesk_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::helpdesk::ticket_type_repository {
namespace {

#define KARTON_TYPE_COLUMNS                                                                    \
  "y.id, y.name, y.description, y.active, y.steps, y.version::text AS "                        \
  "etag, " KARTON_HELPDESK_MICROS("y.create_time") " AS create_time, " KARTON_HELPDESK_MICROS( \
      "y.update_time") " AS update_time"

const kernel::TypedQuery<v1::TicketType> kInsert(
    "INSERT INTO helpdesk.ticket_type AS y (name, description, steps, create_time, update_time) "
    "VALUES ($1, $2, $3::jsonb, " KARTON_HELPDESK_AT("$4") ", " KARTON_HELPDESK_AT("$4") ") "
    "ON CONFLICT ((lower(name))) DO NOTHING RETURNING " KARTON_TYPE_COLUMNS);
const std::string kFind =
    "SELECT " KARTON_TYPE_COLUMNS " FROM helpdesk.ticket_type y WHERE y.id = $1";
const kernel::TypedQuery<v1::TicketType> kFindType(kFind);
const kernel::TypedQuery<v1::TicketType> kFindLocked(kFind + " FOR UPDATE");
const kernel::TypedQuery<v1::TicketType> kUpdate(
    "UPDATE helpdesk.ticket_type y SET name = $2, description = $3, active = $4::boolean, "
    "steps = $5::jsonb, update_time = " KARTON_HELPDESK_AT("$6") ", version = y.version + 1 "
    "WHERE y.id = $1 AND NOT EXISTS (SELECT 1 FROM helpdesk.ticket_type o WHERE o.id <> $1 "
    "AND lower(o.name) = lower($2)) RETURNING " KARTON_TYPE_COLUMNS);
const kernel::TypedQuery<v1::TicketType> kList(
    "SELECT " KARTON_TYPE_COLUMNS
    " FROM helpdesk.ticket_type y WHERE ($1::boolean OR y.active) "
    "AND y.id > $2::bigint ORDER BY y.id LIMIT $3");

std::string StepsJson(const v1::TicketType& type) {
  std::string json = "[";
  for (const auto& step : type.steps()) {
    if (json.size() > 1) json += ',';
    json += kernel::PrintProtoJson(step);
  }
  return json + "]";
}

std::string Micros(kernel::TimePoint now) { return std::to_string(kernel::ToEpochMicros(now)); }

}  // namespace

std::optional<v1::TicketType> Insert(soci::session& session, const v1::TicketType& type,
                                     kernel::TimePoint now) {
  return kInsert.One(session, {type.name(), type.description(), StepsJson(type), Micros(now)});
}

std::optional<v1::TicketType> Find(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindLocked : kFindType).One(session, {std::to_string(id)});
}

std::optional<v1::TicketType> Update(soci::session& session, const v1::TicketType& type,
                                     kernel::TimePoint now) {
  return kUpdate.One(session, {std::to_string(type.id()), type.name(), type.description(),
                               type.active() ? "true" : "false", StepsJson(type), Micros(now)});
}

std::vector<v1::TicketType> List(soci::session& session, bool include_inactive,
                                 std::int64_t after_id, int limit) {
  return kList.All(session, {include_inactive ? "true" : "false", std::to_string(after_id),
                             std::to_string(limit)});
}

}  // namespace karton::helpdesk::ticket_type_repository
