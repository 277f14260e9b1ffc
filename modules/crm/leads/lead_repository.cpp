#include "leads/lead_repository.h"

#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "crm_sql.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::crm::lead_repository {
namespace {

using kernel::ToEpochMicros;

// A lead's columns, each named after the field of v1::Lead it fills
// (kernel::TypedQuery): no JSON is built in the database. The status
// history and custom fields are JSON in the row already.
#define KARTON_LEAD_COLUMNS                                                                    \
  "l.id, l.title, l.contact_name, l.email, l.phone, l.company_name, l.tax_number, l.country, " \
  "l.postal_code, l.city, l.message, l.source, l.category, l.assigned_user_id, l.team_id, "    \
  "l.status, l.disqualify_reason, l.partner_id, l.opportunity_id, l.web_form_id, "             \
  "l.custom_fields, l.status_history, l.messages, l.marketing_consents, "                      \
  "(extract(epoch FROM l.create_time) * 1000000)::bigint AS create_time, "                     \
  "(extract(epoch FROM l.update_time) * 1000000)::bigint AS update_time, l.version::text AS etag"

// $18 is the status history (one entry, "created"), $20 the consents: JSON
// documents made in C++ (StatusChangeJson, ConsentsJson).
//
// $21 is the team's active members when the lead goes round-robin in team
// $14 ('{}' otherwise): the turn CTE advances crm.team_rotation's row for
// the team (creating it on the first lead) and the lead goes to the member
// whose turn it is. That row stays locked to the COMMIT, so the leads of
// one team take turns and split evenly; the turn is taken in the lead's own
// INSERT, the last statement before the COMMIT, so the row is held as
// briefly as the transaction allows. A request id already used takes no
// turn (NOT EXISTS; only a repeat racing its first attempt may take one).
//
// The answer is the stored lead: the new one, or the one an earlier use of
// the request id made (ON CONFLICT waits for that first attempt's COMMIT
// and returns its row as committed, routed), so a create reads nothing
// back.
const kernel::TypedQuery<v1::Lead> kInsert(
    "WITH turn AS (INSERT INTO crm.team_rotation AS r (team_id, next_position) "
    "SELECT cast($14 AS bigint), 1 WHERE cardinality(cast($21 AS bigint[])) > 0 "
    "AND NOT EXISTS (SELECT 1 FROM crm.lead WHERE request_id = nullif($17, '')) "
    "ON CONFLICT (team_id) DO UPDATE SET next_position = r.next_position + 1 "
    "RETURNING r.next_position - 1 AS position) "
    "INSERT INTO crm.lead AS l (title, contact_name, email, phone, company_name, tax_number, "
    "country, postal_code, city, message, source, category, assigned_user_id, team_id, "
    "web_form_id, custom_fields, status_history, request_id, create_time, update_time, "
    "marketing_consents) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
    "coalesce((cast($21 AS bigint[]))[(SELECT position FROM turn) % "
    "cardinality(cast($21 AS bigint[])) + 1], nullif(cast($13 AS bigint), 0)), "
    "nullif(cast($14 AS bigint), 0), "
    "nullif(cast($15 AS bigint), 0), cast($16 AS jsonb), cast($18 AS jsonb), nullif($17, ''), "
    KARTON_CRM_AT("$19") ", " KARTON_CRM_AT("$19") ", cast($20 AS jsonb)) "
    "ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id "
    // xmax is 0 for a row this statement inserted, not for one it updated.
    "RETURNING " KARTON_LEAD_COLUMNS ", (l.xmax = 0) AS _inserted");

const std::string kFind = "SELECT " KARTON_LEAD_COLUMNS
                          " FROM crm.lead l WHERE l.id = cast($4 AS bigint) AND " KARTON_CRM_SCOPE(
                              "l", "assigned_user_id", "crm.lead");

// Answers the lead as stored, so an update reads nothing back.
const kernel::TypedQuery<v1::Lead> kUpdate(
    "UPDATE crm.lead AS l SET title = $2, contact_name = $3, email = $4, phone = $5, "
    "company_name = $6, tax_number = $7, country = $8, postal_code = $9, city = $10, "
    "message = $11, category = $12, assigned_user_id = nullif(cast($13 AS bigint), 0), "
    "team_id = nullif(cast($14 AS bigint), 0), custom_fields = cast($15 AS jsonb), "
    "update_time = " KARTON_CRM_AT("$16") ", version = version + 1 WHERE l.id = $1 "
    "RETURNING " KARTON_LEAD_COLUMNS);

// $4 is the history's new entry (StatusChangeJson).
const std::string kSetStatus =
    "UPDATE crm.lead SET status = $2, disqualify_reason = CASE WHEN $2 = 'disqualified' "
    "THEN $3 ELSE disqualify_reason END, status_history = status_history || cast($4 AS jsonb), "
    "update_time = " KARTON_CRM_AT("$5") ", version = version + 1 WHERE id = $1";

const std::string kList =
    "SELECT " KARTON_LEAD_COLUMNS " FROM crm.lead l WHERE "
    KARTON_CRM_SCOPE("l", "assigned_user_id", "crm.lead")
    " AND ($4 = '' OR l.status = $4) AND ($5 = '' OR l.source = $5) "
    "AND ($6 = '' OR l.category = $6) "
    "AND (cast($7 AS bigint) = 0 OR l.assigned_user_id = cast($7 AS bigint)) "
    "AND (cast($8 AS bigint) = 0 OR l.team_id = cast($8 AS bigint)) "
    "AND (cast($9 AS bigint) = 0 OR l.create_time >= " KARTON_CRM_AT("$9") ") "
    "AND (cast($10 AS bigint) = 0 OR l.create_time < " KARTON_CRM_AT("$10") ") "
    "AND (cast($11 AS bigint) = 0 OR l.id < cast($11 AS bigint)) "
    "AND (cast($13 AS bigint) = 0 OR l.partner_id = cast($13 AS bigint)) "
    "ORDER BY l.id DESC LIMIT $12";

const kernel::TypedQuery<v1::Lead> kFindLead(kFind);
const kernel::TypedQuery<v1::Lead> kFindLeadLocked(kFind + " FOR UPDATE OF l");
const kernel::TypedQuery<v1::Lead> kListLeads(kList);
const kernel::TypedQuery<v1::Lead>
    kOpenLeadsOfPartner("SELECT " KARTON_LEAD_COLUMNS " FROM crm.lead l WHERE " KARTON_CRM_SCOPE(
        "l", "assigned_user_id",
        "crm.lead") " AND l.status = 'new' AND (l.partner_id = cast($4 AS bigint) OR "
                    "lower(l.email) = ANY(cast($5 AS text[]))) ORDER BY l.id DESC LIMIT $6");

std::string Text(std::int64_t value) { return std::to_string(value); }

google::protobuf::Timestamp TimestampOf(TimePoint time) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(ToEpochMicros(time));
}

std::string CustomFieldsJson(const v1::Lead& lead) {
  boost::json::object fields;
  for (const auto& [key, value] : lead.custom_fields()) fields[key] = value;
  return boost::json::serialize(fields);
}

// The lead's marketing consents as a JSON array; those without a time get
// `now` (the post's time).
std::string ConsentsJson(const v1::Lead& lead, TimePoint now) {
  std::string json = "[";
  for (auto consent : lead.marketing_consents()) {
    if (!consent.has_record_time()) *consent.mutable_record_time() = TimestampOf(now);
    if (json.size() > 1) json += ",";
    json += kernel::PrintProtoJson(consent, kernel::ProtoJsonNames::kJson);
  }
  return json + "]";
}

// One entry of a lead's status history, as the document stores it.
std::string StatusChangeJson(v1::LeadStatus status, const std::string& note, std::int64_t user_id,
                             TimePoint now) {
  v1::LeadStatusChange change;
  change.set_status(status);
  *change.mutable_change_time() = TimestampOf(now);
  change.set_user_id(user_id);
  change.set_note(note);
  return kernel::PrintProtoJson(change, kernel::ProtoJsonNames::kJson);
}

}  // namespace

std::string SourceName(v1::LeadSource source) {
  switch (source) {
    case v1::LEAD_SOURCE_MANUAL:
      return "manual";
    case v1::LEAD_SOURCE_WEB_FORM:
      return "web_form";
    case v1::LEAD_SOURCE_IMPORT:
      return "import";
    case v1::LEAD_SOURCE_EMAIL:
      return "email";
    case v1::LEAD_SOURCE_API:
      return "api";
    default:
      throw std::invalid_argument("no lead source");
  }
}

std::string StatusName(v1::LeadStatus status) {
  switch (status) {
    case v1::LEAD_STATUS_NEW:
      return "new";
    case v1::LEAD_STATUS_QUALIFIED:
      return "qualified";
    case v1::LEAD_STATUS_DISQUALIFIED:
      return "disqualified";
    default:
      throw std::invalid_argument("no lead status");
  }
}

InsertedLead Insert(soci::session& session, const v1::Lead& lead, const std::string& request_id,
                    std::int64_t actor_user_id, TimePoint now,
                    const std::vector<std::int64_t>& turn_among) {
  const auto rows = kernel::RunPrepared(
      session, kInsert.Sql(),
      {lead.title(),
       lead.contact_name(),
       lead.email(),
       lead.phone(),
       lead.company_name(),
       lead.tax_number(),
       lead.country(),
       lead.postal_code(),
       lead.city(),
       lead.message(),
       SourceName(lead.source()),
       lead.category(),
       Text(lead.assigned_user_id()),
       Text(lead.team_id()),
       Text(lead.web_form_id()),
       CustomFieldsJson(lead),
       request_id,
       "[" + StatusChangeJson(v1::LEAD_STATUS_NEW, "created", actor_user_id, now) + "]",
       Text(ToEpochMicros(now)),
       ConsentsJson(lead, now),
       kernel::BigintArrayLiteral(turn_among)});
  auto stored = kInsert.Messages(rows);
  return {std::move(stored.at(0)), rows.Text(0, rows.Columns() - 1) == "t"};
}

std::optional<v1::Lead> Find(soci::session& session, std::int64_t id, const Scope& scope,
                             bool lock) {
  return (lock ? kFindLeadLocked : kFindLead)
      .One(session, {scope.Name(), Text(scope.user_id), scope.team_ids, Text(id)});
}

v1::Lead Update(soci::session& session, const v1::Lead& lead, TimePoint now) {
  return *kUpdate.One(
      session, {Text(lead.id()), lead.title(), lead.contact_name(), lead.email(), lead.phone(),
                lead.company_name(), lead.tax_number(), lead.country(), lead.postal_code(),
                lead.city(), lead.message(), lead.category(), Text(lead.assigned_user_id()),
                Text(lead.team_id()), CustomFieldsJson(lead), Text(ToEpochMicros(now))});
}

void SetStatus(soci::session& session, std::int64_t id, v1::LeadStatus status,
               const std::string& note, std::int64_t user_id, TimePoint now) {
  kernel::RunPrepared(session, kSetStatus,
                      {Text(id), StatusName(status), note,
                       StatusChangeJson(status, note, user_id, now), Text(ToEpochMicros(now))});
}

std::optional<std::int64_t> FindRepost(soci::session& session, std::int64_t web_form_id,
                                       const std::string& email, const std::string& phone,
                                       TimePoint since) {
  // Email first; a post without one by its phone. Each by its index.
  const auto rows =
      !email.empty()
          ? kernel::RunPrepared(
                session,
                "SELECT id FROM crm.lead WHERE web_form_id = cast($1 AS bigint) AND email <> '' "
                "AND lower(email) = lower($2) AND create_time >= " KARTON_CRM_AT("$3") " AND "
                "status = 'new' ORDER BY create_time DESC, id DESC LIMIT 1 FOR UPDATE",
                {Text(web_form_id), email, Text(ToEpochMicros(since))})
          : kernel::RunPrepared(
                session,
                "SELECT id FROM crm.lead WHERE web_form_id = cast($1 AS bigint) AND phone <> '' "
                "AND regexp_replace(phone, '[^0-9+]', '', 'g') = "
                "regexp_replace($2, '[^0-9+]', '', 'g') AND create_time >= " KARTON_CRM_AT("$3") " "
                "AND status = 'new' ORDER BY create_time DESC, id DESC LIMIT 1 FOR UPDATE",
                {Text(web_form_id), phone, Text(ToEpochMicros(since))});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

void AddMessage(soci::session& session, std::int64_t id, const v1::Lead& post, TimePoint now) {
  v1::LeadMessage message;
  message.set_message(post.message());
  message.mutable_custom_fields()->insert(post.custom_fields().begin(), post.custom_fields().end());
  *message.mutable_receive_time() = TimestampOf(now);
  kernel::RunPrepared(
      session,
      "UPDATE crm.lead SET messages = messages || cast($2 AS jsonb), "
      "update_time = " KARTON_CRM_AT("$3") ", "
      "marketing_consents = marketing_consents || cast($4 AS jsonb), "
      "version = version + 1 WHERE id = cast($1 AS bigint)",
      {Text(id), kernel::PrintProtoJson(message, kernel::ProtoJsonNames::kJson),
       Text(ToEpochMicros(now)), ConsentsJson(post, now)});
}

void SetQualified(soci::session& session, std::int64_t id, std::int64_t partner_id,
                  std::int64_t opportunity_id) {
  kernel::RunPrepared(session,
                      "UPDATE crm.lead SET partner_id = $2, opportunity_id = $3 WHERE id = $1",
                      {Text(id), Text(partner_id), Text(opportunity_id)});
}

std::vector<v1::Lead> List(soci::session& session, const Scope& scope, const ListFilter& filter,
                           std::int64_t before_id, int limit) {
  return kListLeads.All(session, {scope.Name(), Text(scope.user_id), scope.team_ids, filter.status,
                                  filter.source, filter.category, Text(filter.assigned_user_id),
                                  Text(filter.team_id), Text(filter.start_us), Text(filter.end_us),
                                  Text(before_id), Text(limit), Text(filter.partner_id)});
}

std::vector<v1::Lead> OpenForPartner(soci::session& session, const Scope& scope,
                                     std::int64_t partner_id,
                                     const std::vector<std::string>& emails, int limit) {
  std::string array = "{";
  for (const auto& email : emails) {
    if (array.size() > 1) array += ',';
    array += '"';
    for (const char c : email) {
      if (c == '"' || c == '\\') array += '\\';
      array += c;
    }
    array += '"';
  }
  array += '}';
  return kOpenLeadsOfPartner.All(session, {scope.Name(), Text(scope.user_id), scope.team_ids,
                                           Text(partner_id), array, Text(limit)});
}

void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id) {
  kernel::RunPrepared(session, "UPDATE crm.lead SET partner_id = $2 WHERE partner_id = $1",
                      {Text(merged_id), Text(kept_id)});
}

std::vector<std::int64_t> ErasePartner(soci::session& session, std::int64_t partner_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "UPDATE crm.lead SET contact_name = '', email = '', phone = '', message = '', "
      "custom_fields = '{}', messages = '[]', marketing_consents = '[]', version = version + 1 "
      "WHERE partner_id = $1 "
      "RETURNING id",
      {Text(partner_id)});
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row)
    ids.push_back(std::stoll(std::string(rows.Text(row, 0))));
  return ids;
}

std::vector<std::int64_t> IdsOfPerson(soci::session& session, std::int64_t partner_id,
                                      const std::string& emails, const std::string& phones) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id FROM crm.lead WHERE (cast($1 AS bigint) <> 0 AND partner_id = cast($1 AS "
      "bigint)) OR (email <> '' AND lower(email) IN (SELECT "
      "jsonb_array_elements_text(cast($2 AS jsonb)))) OR (phone <> '' AND phone IN (SELECT "
      "jsonb_array_elements_text(cast($3 AS jsonb)))) ORDER BY id",
      {Text(partner_id), emails, phones});
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row)
    ids.push_back(std::stoll(std::string(rows.Text(row, 0))));
  return ids;
}

void EraseLeads(soci::session& session, const std::vector<std::int64_t>& ids) {
  const std::string array = kernel::BigintArrayLiteral(ids);
  kernel::RunPrepared(
      session,
      "UPDATE crm.lead SET contact_name = '', email = '', phone = '', message = '', "
      "custom_fields = '{}', messages = '[]', marketing_consents = '[]', version = version + 1 "
      "WHERE id = ANY(cast($1 AS "
      "bigint[]))",
      {array});
}

}  // namespace karton::crm::lead_repository
