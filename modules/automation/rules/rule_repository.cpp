#include "rules/rule_repository.h"

#include "automation_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::automation::rule_repository {
namespace {

#define KARTON_RULE_COLUMNS \
  "r.id, r.name, r.description, r.trigger_topics, r.condition, r.actions, r.enabled, "        \
  "r.payload_type, r.create_user_id, r.version::text AS etag, " KARTON_AUTOMATION_MICROS(      \
      "r.create_time") " AS create_time, " KARTON_AUTOMATION_MICROS("r.update_time") " AS "   \
                                                                                 "update_time"

const kernel::TypedQuery<v1::Rule> kInsert(
    "INSERT INTO automation.rule AS r (name, description, trigger_topics, condition, actions, "
    "enabled, payload_type, create_user_id, create_time, update_time) VALUES ($1, $2, "
    "$3::text[], $4, $5::jsonb, $6::boolean, $7, $8::bigint, " KARTON_AUTOMATION_AT(
        "$9") ", " KARTON_AUTOMATION_AT("$9") ") RETURNING " KARTON_RULE_COLUMNS);
const kernel::TypedQuery<v1::Rule> kFind(
    "SELECT " KARTON_RULE_COLUMNS
    " FROM automation.rule r WHERE r.id = $1 AND r.delete_time IS NULL");
const kernel::TypedQuery<v1::Rule> kFindLocked(
    "SELECT " KARTON_RULE_COLUMNS
    " FROM automation.rule r WHERE r.id = $1 AND r.delete_time IS NULL FOR UPDATE");
const kernel::TypedQuery<v1::Rule> kList(
    "SELECT " KARTON_RULE_COLUMNS
    " FROM automation.rule r WHERE r.delete_time IS NULL "
    "AND ($1 = '' OR r.trigger_topics @> ARRAY[$1]) "
    "AND ($2::bigint = 0 OR r.id < $2::bigint) ORDER BY r.id DESC LIMIT $3");
const kernel::TypedQuery<v1::Rule> kUpdate(
    "UPDATE automation.rule r SET name = $2, description = $3, trigger_topics = $4::text[], "
    "condition = $5, actions = $6::jsonb, enabled = $7::boolean, payload_type = $8, "
    "update_time = " KARTON_AUTOMATION_AT(
        "$9") ", version = r.version + 1 WHERE r.id = $1 RETURNING " KARTON_RULE_COLUMNS);
// The trigger index is a GIN over the live, enabled rules' topics.
const kernel::TypedQuery<v1::Rule> kTriggered(
    "SELECT " KARTON_RULE_COLUMNS
    " FROM automation.rule r WHERE r.delete_time IS NULL AND r.enabled "
    "AND r.trigger_topics @> ARRAY[$1] ORDER BY r.id");
const kernel::TypedQuery<v1::Rule> kTriggeredByAny(
    "SELECT " KARTON_RULE_COLUMNS
    " FROM automation.rule r WHERE r.delete_time IS NULL AND r.enabled "
    "AND r.trigger_topics && cast($1 AS text[]) ORDER BY r.id");

std::vector<std::string> Topics(const v1::Rule& rule) {
  return {rule.trigger_topics().begin(), rule.trigger_topics().end()};
}

}  // namespace

std::string ActionsJson(const v1::Rule& rule) {
  std::string json = "[";
  for (int i = 0; i < rule.actions_size(); ++i) {
    if (i > 0) json += ',';
    json += kernel::PrintProtoJson(rule.actions(i));
  }
  return json + "]";
}

v1::Rule Insert(soci::session& session, const v1::Rule& rule, std::int64_t user_id,
                kernel::TimePoint now) {
  return *kInsert.One(
      session,
      {rule.name(), rule.description(), kernel::TextArrayLiteral(Topics(rule)), rule.condition(),
       ActionsJson(rule), rule.enabled() ? "true" : "false", rule.payload_type(),
       std::to_string(user_id), std::to_string(kernel::ToEpochMicros(now))});
}

std::optional<v1::Rule> Find(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindLocked : kFind).One(session, {std::to_string(id)});
}

std::vector<v1::Rule> List(soci::session& session, const std::string& trigger_topic,
                           std::int64_t before_id, int limit) {
  return kList.All(session, {trigger_topic, std::to_string(before_id), std::to_string(limit)});
}

v1::Rule Update(soci::session& session, const v1::Rule& rule, kernel::TimePoint now) {
  return *kUpdate.One(session, {std::to_string(rule.id()), rule.name(), rule.description(),
                                kernel::TextArrayLiteral(Topics(rule)), rule.condition(),
                                ActionsJson(rule), rule.enabled() ? "true" : "false",
                                rule.payload_type(), std::to_string(kernel::ToEpochMicros(now))});
}

void MarkDeleted(soci::session& session, std::int64_t id, kernel::TimePoint now) {
  kernel::RunPrepared(session,
                      "UPDATE automation.rule SET delete_time = " KARTON_AUTOMATION_AT(
                          "$2") ", version = version + 1 WHERE id = $1",
                      {std::to_string(id), std::to_string(kernel::ToEpochMicros(now))});
}

bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT count(*) FROM automation.rule WHERE delete_time IS NULL AND lower(name) = "
      "lower($1) AND id <> $2",
      {name, std::to_string(except_id)});
  return rows.Text(0, 0) != "0";
}

std::vector<v1::Rule> Triggered(soci::session& session, const std::string& topic) {
  return kTriggered.All(session, {topic});
}

std::vector<v1::Rule> TriggeredByAny(soci::session& session,
                                     const std::vector<std::string>& topics) {
  return kTriggeredByAny.All(session, {kernel::TextArrayLiteral(topics)});
}

}  // namespace karton::automation::rule_repository
