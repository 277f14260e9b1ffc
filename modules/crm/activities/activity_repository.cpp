#include "activities/activity_repository.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>

#include <cctype>
#include <stdexcept>

#include "crm_sql.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::crm::activity_repository {
namespace {

using kernel::ToEpochMicros;

// An activity's columns, each named after the field of v1::Activity it fills
// (kernel::TypedQuery); ids stored as NULL leave their field 0. Its invitees
// come as one array per field of Invitee from the LATERAL subquery `inv` of
// KARTON_ACTIVITY_FROM.
#define KARTON_ACTIVITY_COLUMNS \
  "a.id, a.type, a.subject, a.description, a.location, a.partner_id, a.contact_id, a.lead_id, " \
  "a.opportunity_id, a.related_resource_type, a.related_resource_id, a.assigned_user_id, "     \
  "a.team_id, " KARTON_CRM_MICROS("a.start_time") " AS start_time, "                            \
  "nullif(a.duration_seconds, 0) AS \"duration.seconds\", "                                    \
  KARTON_CRM_MICROS("a.due_time") " AS due_time, a.reminders AS \"reminders.seconds\", "       \
  "a.status, a.outcome, " KARTON_CRM_MICROS("a.complete_time") " AS complete_time, "            \
  KARTON_CRM_MICROS("a.create_time") " AS create_time, "                                        \
  KARTON_CRM_MICROS("a.update_time") " AS update_time, a.version::text AS etag, "               \
  "'karton-activity-' || a.id || '-' || a.ical_token || '@karton' AS ical_uid, "               \
  "a.invite_sequence AS ical_sequence, inv.contact_id AS \"invitees.contact_id\", "            \
  "inv.email AS \"invitees.email\", inv.name AS \"invitees.name\", "                           \
  "inv.sent_sequence AS \"invitees.sent_sequence\", inv.message_id AS \"invitees.message_id\""

#define KARTON_ACTIVITY_FROM                                                                  \
  "crm.activity a CROSS JOIN LATERAL (SELECT array_agg(i.contact_id ORDER BY i.position) AS " \
  "contact_id, array_agg(i.email ORDER BY i.position) AS email, "                             \
  "array_agg(i.name ORDER BY i.position) AS name, "                                           \
  "array_agg(greatest(i.sent_sequence, 0) ORDER BY i.position) AS sent_sequence, "            \
  "array_agg(i.message_id ORDER BY i.position) AS message_id FROM crm.activity_invitee i "    \
  "WHERE i.activity_id = a.id AND NOT i.removed) inv"

// KARTON_CRM_SCOPE, except that an external partner sees, besides the
// activities shared with them, those assigned to them and those of the
// deals and leads shared with them ("tasks for external partners").
#define KARTON_ACTIVITY_SCOPE                                                           \
  "($1 = 'all' OR ($1 = 'own' AND (a.assigned_user_id = cast($2 AS bigint) OR "         \
  "a.team_id = ANY(cast($3 AS bigint[])))) OR ($1 = 'shared' AND ("                     \
  "a.assigned_user_id = cast($2 AS bigint) OR "                                         \
  "kernel.is_shared_with('crm.activity', a.id, cast($2 AS bigint)) OR "                 \
  "(a.opportunity_id IS NOT NULL AND "                                                  \
  "kernel.is_shared_with('crm.opportunity', a.opportunity_id, cast($2 AS bigint))) OR " \
  "(a.lead_id IS NOT NULL AND kernel.is_shared_with('crm.lead', a.lead_id, cast($2 AS " \
  "bigint))))))"

std::string Text(std::int64_t value) { return std::to_string(value); }

std::string MicrosText(const google::protobuf::Timestamp& timestamp, bool set) {
  return set ? Text(google::protobuf::util::TimeUtil::TimestampToMicroseconds(timestamp)) : "";
}

std::string RemindersArray(const v1::Activity& activity) {
  std::vector<std::int64_t> seconds;
  for (const auto& reminder : activity.reminders()) seconds.push_back(reminder.seconds());
  return fmt::format("{{{}}}", fmt::join(seconds, ","));
}

// Every statement below selects KARTON_ACTIVITY_COLUMNS, so one shape reads
// them all.
std::vector<v1::Activity> All(const kernel::QueryRows& rows) {
  static const kernel::RowShape<v1::Activity> kShape;
  std::vector<v1::Activity> activities(static_cast<std::size_t>(rows.Count()));
  if (activities.empty()) return activities;
  const kernel::RowPlan& plan = kShape.PlanFor(rows);
  for (int row = 0; row < rows.Count(); ++row) {
    plan.Read(rows, row, activities[static_cast<std::size_t>(row)]);
  }
  return activities;
}

// The columns Insert and Update write, as parameters $2..$17.
std::vector<std::string> Columns(const v1::Activity& activity) {
  return {TypeName(activity.type()),
          activity.subject(),
          activity.description(),
          activity.location(),
          Text(activity.partner_id()),
          Text(activity.contact_id()),
          Text(activity.lead_id()),
          Text(activity.opportunity_id()),
          activity.related_resource_type(),
          Text(activity.related_resource_id()),
          Text(activity.assigned_user_id()),
          Text(activity.team_id()),
          MicrosText(activity.start_time(), activity.has_start_time()),
          Text(activity.duration().seconds()),
          MicrosText(activity.due_time(), activity.has_due_time()),
          RemindersArray(activity)};
}

std::vector<kernel::QueryParam> Params(const std::vector<std::string>& texts) {
  return {texts.begin(), texts.end()};
}

}  // namespace

std::string TypeName(v1::ActivityType type) {
  switch (type) {
    case v1::ACTIVITY_TYPE_CALL:
      return "call";
    case v1::ACTIVITY_TYPE_MEETING:
      return "meeting";
    case v1::ACTIVITY_TYPE_TASK:
      return "task";
    case v1::ACTIVITY_TYPE_EMAIL:
      return "email";
    default:
      throw std::invalid_argument("no activity type");
  }
}

std::pair<std::int64_t, bool> Insert(soci::session& session, const v1::Activity& activity,
                                     const std::string& request_id, TimePoint now) {
  std::vector<std::string> texts = Columns(activity);
  texts.insert(texts.begin(), request_id);    // $1
  texts.push_back(Text(ToEpochMicros(now)));  // $18
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO crm.activity (request_id, type, subject, description, location, partner_id, "
      "contact_id, lead_id, opportunity_id, related_resource_type, related_resource_id, "
      "assigned_user_id, team_id, start_time, duration_seconds, due_time, reminders, "
      "create_time, update_time) VALUES (nullif($1, ''), $2, $3, $4, $5, "
      "nullif(cast($6 AS bigint), 0), nullif(cast($7 AS bigint), 0), "
      "nullif(cast($8 AS bigint), 0), nullif(cast($9 AS bigint), 0), $10, "
      "nullif(cast($11 AS bigint), 0), nullif(cast($12 AS bigint), 0), "
      "nullif(cast($13 AS bigint), 0), " KARTON_CRM_AT("nullif($14, '')") ", cast($15 AS bigint), "
      KARTON_CRM_AT("nullif($16, '')") ", cast($17 AS bigint[]), " KARTON_CRM_AT("$18") ", "
      KARTON_CRM_AT("$18") ") ON CONFLICT (request_id) DO UPDATE SET request_id = "
      "EXCLUDED.request_id RETURNING id, (xmax = 0)",
      Params(texts));
  return {std::stoll(std::string(rows.Text(0, 0))), rows.Text(0, 1) == "t"};
}

std::optional<v1::Activity> Find(soci::session& session, std::int64_t id, const Scope& scope,
                                 bool lock) {
  static const std::string kFind = "SELECT " KARTON_ACTIVITY_COLUMNS " FROM " KARTON_ACTIVITY_FROM
                                   " WHERE a.id = cast($4 AS bigint) AND " KARTON_ACTIVITY_SCOPE;
  static const std::string kLocked = kFind + " FOR UPDATE OF a";
  auto found =
      All(kernel::RunPrepared(session, lock ? kLocked : kFind,
                              {scope.Name(), Text(scope.user_id), scope.team_ids, Text(id)}));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

void Update(soci::session& session, const v1::Activity& activity, TimePoint now) {
  std::vector<std::string> texts = Columns(activity);
  texts.insert(texts.begin(), Text(activity.id()));  // $1
  texts.push_back(Text(ToEpochMicros(now)));         // $18
  kernel::RunPrepared(
      session,
      "UPDATE crm.activity SET type = $2, subject = $3, description = $4, location = $5, "
      "partner_id = nullif(cast($6 AS bigint), 0), contact_id = nullif(cast($7 AS bigint), 0), "
      "lead_id = nullif(cast($8 AS bigint), 0), opportunity_id = nullif(cast($9 AS bigint), 0), "
      "related_resource_type = $10, related_resource_id = nullif(cast($11 AS bigint), 0), "
      "assigned_user_id = nullif(cast($12 AS bigint), 0), team_id = nullif(cast($13 AS bigint), "
      "0), start_time = " KARTON_CRM_AT("nullif($14, '')") ", duration_seconds = cast($15 AS "
      "bigint), due_time = " KARTON_CRM_AT("nullif($16, '')") ", reminders = cast($17 AS "
      "bigint[]), update_time = " KARTON_CRM_AT("$18") ", version = version + 1 WHERE id = "
      "cast($1 AS bigint)",
      Params(texts));
}

void Close(soci::session& session, std::int64_t id, const std::string& status,
           const std::string& outcome, TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE crm.activity SET status = $2, outcome = $3, complete_time = " KARTON_CRM_AT(
          "$4") ", update_time = " KARTON_CRM_AT("$4") ", version = version + 1 WHERE id = $1",
      {Text(id), status, outcome, Text(ToEpochMicros(now))});
}

std::vector<v1::Activity> List(soci::session& session, const Scope& scope, const ListFilter& filter,
                               std::int64_t before_id, int limit) {
  return All(kernel::RunPrepared(
      session,
      "SELECT " KARTON_ACTIVITY_COLUMNS " FROM " KARTON_ACTIVITY_FROM
      " WHERE " KARTON_ACTIVITY_SCOPE
      " AND (cast($4 AS bigint) = 0 OR a.assigned_user_id = cast($4 AS "
      "bigint)) "
      "AND (cast($5 AS bigint) = 0 OR a.partner_id = cast($5 AS bigint)) "
      "AND (cast($6 AS bigint) = 0 OR a.lead_id = cast($6 AS bigint)) "
      "AND (cast($7 AS bigint) = 0 OR a.opportunity_id = cast($7 AS bigint)) "
      "AND ($8 = '' OR a.status = $8) "
      "AND (cast($9 AS bigint) = 0 OR a.id < cast($9 AS bigint)) ORDER BY a.id "
      "DESC LIMIT $10",
      {scope.Name(), Text(scope.user_id), scope.team_ids, Text(filter.assigned_user_id),
       Text(filter.partner_id), Text(filter.lead_id), Text(filter.opportunity_id), filter.status,
       Text(before_id), Text(limit)}));
}

std::vector<v1::Activity> Calendar(soci::session& session, const std::string& user_ids,
                                   std::int64_t team_id, TimePoint start, TimePoint end,
                                   bool with_canceled) {
  return All(kernel::RunPrepared(
      session,
      "SELECT " KARTON_ACTIVITY_COLUMNS " FROM " KARTON_ACTIVITY_FROM
      " WHERE (a.assigned_user_id = ANY(cast($1 AS bigint[])) OR "
      "(cast($2 AS bigint) <> 0 AND a.team_id = cast($2 AS bigint))) "
      "AND coalesce(a.start_time, a.due_time) >= " KARTON_CRM_AT(
          "$3") " "
                "AND coalesce(a.start_time, a.due_time) < " KARTON_CRM_AT(
                    "$4") " "
                          "AND (cast($5 AS boolean) OR a.status <> 'canceled') "
                          "ORDER BY coalesce(a.start_time, a.due_time), a.id LIMIT 10000",
      {user_ids, Text(team_id), Text(ToEpochMicros(start)), Text(ToEpochMicros(end)),
       with_canceled ? "true" : "false"}));
}

std::vector<v1::Activity> NextForPartner(soci::session& session, std::int64_t partner_id,
                                         const Scope& scope, int limit) {
  return All(kernel::RunPrepared(
      session,
      "SELECT " KARTON_ACTIVITY_COLUMNS " FROM " KARTON_ACTIVITY_FROM
      " WHERE " KARTON_ACTIVITY_SCOPE
      " AND a.partner_id = cast($4 AS bigint) AND a.status = 'planned' "
      "ORDER BY coalesce(a.start_time, a.due_time), a.id LIMIT $5",
      {scope.Name(), Text(scope.user_id), scope.team_ids, Text(partner_id), Text(limit)}));
}

// The stored form of a feed token (migration crm/0004 converted old ones).
#define KARTON_FEED_HASH(param) "encode(sha256(convert_to(" param ", 'UTF8')), 'hex')"

FeedState EnsureFeed(soci::session& session, const std::string& kind, std::int64_t owner_id,
                     const std::string& fresh, TimePoint now) {
  const auto inserted = kernel::RunPrepared(
      session,
      "INSERT INTO crm.calendar_feed (owner_kind, owner_id, token_hash, create_time) "
      "VALUES ($1, $2, " KARTON_FEED_HASH("$3") ", " KARTON_CRM_AT("$4") ") "
      "ON CONFLICT (owner_kind, owner_id) DO NOTHING RETURNING owner_id",
      {kind, Text(owner_id), fresh, Text(ToEpochMicros(now))});
  const auto stored = kernel::RunPrepared(
      session,
      "SELECT (extract(epoch FROM create_time) * 1000000)::bigint FROM crm.calendar_feed "
      "WHERE owner_kind = $1 AND owner_id = $2",
      {kind, Text(owner_id)});
  FeedState state;
  state.created = inserted.Count() == 1;
  state.create_time = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      kernel::ParseInt64(stored.Text(0, 0)).value_or(0));
  return state;
}

void RotateFeed(soci::session& session, const std::string& kind, std::int64_t owner_id,
                const std::string& fresh, TimePoint now) {
  kernel::RunPrepared(session,
                      "INSERT INTO crm.calendar_feed (owner_kind, owner_id, token_hash, create_time) "
                      "VALUES ($1, $2, " KARTON_FEED_HASH("$3") ", " KARTON_CRM_AT("$4") ") "
                      "ON CONFLICT (owner_kind, owner_id) DO UPDATE SET "
                      "token_hash = EXCLUDED.token_hash, create_time = EXCLUDED.create_time",
                      {kind, Text(owner_id), fresh, Text(ToEpochMicros(now))});
}

std::optional<std::pair<std::string, std::int64_t>> FeedOwner(soci::session& session,
                                                              const std::string& token) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT owner_kind, owner_id FROM crm.calendar_feed WHERE token_hash = " KARTON_FEED_HASH(
          "$1"),
      {token});
  if (rows.Count() == 0) return std::nullopt;
  return std::make_pair(std::string(rows.Text(0, 0)), std::stoll(std::string(rows.Text(0, 1))));
}

void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id) {
  kernel::RunPrepared(session, "UPDATE crm.activity SET partner_id = $2 WHERE partner_id = $1",
                      {Text(merged_id), Text(kept_id)});
}

std::vector<std::int64_t> IdsOfPerson(soci::session& session, std::int64_t partner_id,
                                      const std::string& contact_ids, const std::string& lead_ids) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id FROM crm.activity WHERE (cast($1 AS bigint) <> 0 AND partner_id = cast($1 AS "
      "bigint)) OR contact_id = ANY(cast($2 AS bigint[])) OR lead_id = ANY(cast($3 AS "
      "bigint[])) ORDER BY id",
      {Text(partner_id), contact_ids, lead_ids});
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row)
    ids.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  return ids;
}

std::vector<Invitation> Invitations(soci::session& session, std::int64_t activity_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id, coalesce(contact_id, 0), email, name, removed, sent_sequence, sent_method, "
      "message_id FROM crm.activity_invitee WHERE activity_id = cast($1 AS bigint) "
      "ORDER BY position, id",
      {Text(activity_id)});
  std::vector<Invitation> invitations;
  for (int row = 0; row < rows.Count(); ++row) {
    invitations.push_back(
        {.id = kernel::ParseInt64(rows.Text(row, 0)).value_or(0),
         .contact_id = kernel::ParseInt64(rows.Text(row, 1)).value_or(0),
         .email = std::string(rows.Text(row, 2)),
         .name = std::string(rows.Text(row, 3)),
         .removed = rows.Text(row, 4) == "t",
         .sent_sequence = static_cast<int>(kernel::ParseInt64(rows.Text(row, 5)).value_or(-1)),
         .sent_method = std::string(rows.Text(row, 6)),
         .message_id = kernel::ParseInt64(rows.Text(row, 7)).value_or(0)});
  }
  return invitations;
}

bool ReplaceInvitees(soci::session& session, std::int64_t activity_id,
                     const google::protobuf::RepeatedPtrField<v1::Invitee>& invitees) {
  const auto key = [](std::int64_t contact_id, const std::string& email) {
    if (contact_id != 0) return "c" + Text(contact_id);
    std::string lower = email;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return "e" + lower;
  };
  bool changed = false;
  auto current = Invitations(session, activity_id);
  std::vector<bool> kept(current.size(), false);
  for (int position = 0; position < invitees.size(); ++position) {
    const v1::Invitee& invitee = invitees.Get(position);
    const std::string wanted = key(invitee.contact_id(), invitee.email());
    bool found = false;
    for (std::size_t i = 0; i < current.size(); ++i) {
      if (current[i].removed || kept[i] || key(current[i].contact_id, current[i].email) != wanted)
        continue;
      kept[i] = found = true;
      kernel::RunPrepared(session,
                          "UPDATE crm.activity_invitee SET position = cast($2 AS int), email = $3, "
                          "name = $4 WHERE id = cast($1 AS bigint)",
                          {Text(current[i].id), Text(position), invitee.email(), invitee.name()});
      break;
    }
    if (found) continue;
    changed = true;
    kernel::RunPrepared(session,
                        "INSERT INTO crm.activity_invitee (activity_id, position, contact_id, "
                        "email, name) VALUES (cast($1 AS bigint), cast($2 AS int), "
                        "nullif(cast($3 AS bigint), 0), $4, $5)",
                        {Text(activity_id), Text(position), Text(invitee.contact_id()),
                         invitee.email(), invitee.name()});
  }
  for (std::size_t i = 0; i < current.size(); ++i) {
    if (current[i].removed || kept[i]) continue;
    changed = true;
    // One never told of the meeting need not be told it is off.
    kernel::RunPrepared(session,
                        current[i].sent_sequence < 0
                            ? "DELETE FROM crm.activity_invitee WHERE id = cast($1 AS bigint)"
                            : "UPDATE crm.activity_invitee SET removed = true WHERE id = "
                              "cast($1 AS bigint)",
                        {Text(current[i].id)});
  }
  return changed;
}

void BumpInviteSequence(soci::session& session, std::int64_t activity_id) {
  kernel::RunPrepared(session,
                      "UPDATE crm.activity SET invite_sequence = invite_sequence + 1 WHERE id = "
                      "cast($1 AS bigint)",
                      {Text(activity_id)});
}

void MarkInvitationSent(soci::session& session, std::int64_t invitation_id, int sequence,
                        const std::string& method, std::int64_t message_id) {
  kernel::RunPrepared(session,
                      "UPDATE crm.activity_invitee SET sent_sequence = cast($2 AS int), "
                      "sent_method = $3, message_id = cast($4 AS bigint) WHERE id = "
                      "cast($1 AS bigint) AND sent_sequence <= cast($2 AS int)",
                      {Text(invitation_id), Text(sequence), method, Text(message_id)});
}

void EraseTexts(soci::session& session, const std::vector<std::int64_t>& ids) {
  const std::string array = kernel::BigintArrayLiteral(ids);
  // The invitees' names and addresses go too; nothing more is sent to them.
  kernel::RunPrepared(session,
                      "DELETE FROM crm.activity_invitee WHERE activity_id = ANY(cast($1 AS "
                      "bigint[]))",
                      {array});
  kernel::RunPrepared(
      session,
      "UPDATE crm.activity SET subject = '[erased]', description = '', location = "
      "'', outcome = '', version = version + 1 WHERE id = ANY(cast($1 AS bigint[]))",
      {array});
}

namespace {

constexpr const char* kInviteesOfPerson =
    "FROM crm.activity_invitee WHERE contact_id = ANY(cast($1 AS bigint[])) OR lower(email) IN "
    "(SELECT lower(address) FROM jsonb_array_elements_text(cast($2 AS jsonb)) AS address)";

}  // namespace

std::vector<std::int64_t> IdsInviting(soci::session& session, const std::string& contact_ids,
                                      const std::string& emails) {
  const auto rows = kernel::RunPrepared(
      session, std::string("SELECT DISTINCT activity_id ") + kInviteesOfPerson + " ORDER BY 1",
      {contact_ids, emails});
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row)
    ids.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  return ids;
}

void EraseInvitees(soci::session& session, const std::string& contact_ids,
                   const std::string& emails) {
  kernel::RunPrepared(session,
                      std::string("WITH gone AS (DELETE ") + kInviteesOfPerson +
                          " RETURNING activity_id) UPDATE crm.activity SET version = version + 1 "
                          "WHERE id IN (SELECT activity_id FROM gone)",
                      {contact_ids, emails});
}

int PlannedForOpportunity(soci::session& session, std::int64_t opportunity_id) {
  return std::stoi(
      std::string(kernel::RunPrepared(session,
                                      "SELECT count(*) FROM crm.activity WHERE opportunity_id = $1 "
                                      "AND status = 'planned'",
                                      {std::to_string(opportunity_id)})
                      .Text(0, 0)));
}

}  // namespace karton::crm::activity_repository
