#include "runs/run_repository.h"

#include <charconv>
#include <map>

#include "automation_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"

namespace karton::automation::run_repository {
namespace {

using sql::Integer;
using sql::Micros;
using sql::TimeOf;

// Bytes travel to and from bytea as hex text (parameters are text).
std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const unsigned char byte : bytes) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 15];
  }
  return hex;
}

std::string FromHex(std::string_view hex) {
  const auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string bytes(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
  }
  return bytes;
}

// A run and the state its actions add up to; the actions are read as rows
// of their own (kActionsOf) and put in their runs.
#define KARTON_RUN_SELECT \
  "SELECT r.id, r.rule_id, r.event_id, r.topic, r.aggregate_id, " KARTON_AUTOMATION_MICROS(     \
      "r.event_time") " AS event_time, " KARTON_AUTOMATION_MICROS(                              \
      "r.create_time") " AS create_time, "                                                      \
                       "CASE WHEN bool_or(a.state = 'failed') THEN 'failed' "                   \
                       "WHEN bool_or(a.state IN ('scheduled', 'retrying')) THEN 'pending' "     \
                       "ELSE 'succeeded' END AS state "                                         \
                       "FROM automation.rule_run r JOIN automation.rule_action_run a ON "       \
                       "a.run_id = r.id "

const kernel::TypedQuery<v1::RuleRun> kFindRun(KARTON_RUN_SELECT "WHERE r.id = $1 GROUP BY r.id");
const kernel::TypedQuery<v1::RuleRun> kListRuns(
    "SELECT * FROM (" KARTON_RUN_SELECT
    "WHERE ($1::bigint = 0 OR r.rule_id = $1::bigint) "
    "AND ($2::bigint = 0 OR r.aggregate_id = $2::bigint) "
    "AND ($4::bigint = 0 OR r.id < $4::bigint) GROUP BY r.id) runs "
    "WHERE ($3 = '' OR runs.state = $3) ORDER BY runs.id DESC LIMIT $5");
// The actions of some runs; "_run_id" says whose.
const kernel::TypedQuery<v1::ActionOutcome> kActionsOf(
    "SELECT a.run_id AS _run_id, a.action_index, a.state, " KARTON_AUTOMATION_MICROS(
        "a.scheduled_time") " AS scheduled_time, " KARTON_AUTOMATION_MICROS(
        "a.finish_time") " AS finish_time, a.attempts, a.error, a.result "
                         "FROM automation.rule_action_run a WHERE a.run_id = ANY($1::bigint[]) "
                         "ORDER BY a.run_id, a.action_index");

// Puts their actions into `runs`, with one query for all of them.
void AttachActions(soci::session& session, std::vector<v1::RuleRun>& runs) {
  if (runs.empty()) return;
  std::vector<std::int64_t> ids;
  std::map<std::int64_t, v1::RuleRun*> by_id;
  for (auto& run : runs) {
    ids.push_back(run.id());
    by_id[run.id()] = &run;
  }
  const std::string id_list = kernel::IntegerArrayLiteral(ids);
  const auto rows = kernel::RunPrepared(session, kActionsOf.Sql(), {id_list});
  const auto actions = kActionsOf.Messages(rows);
  for (int row = 0; row < rows.Count(); ++row) {
    *by_id.at(Integer(rows.Text(row, 0)))->add_actions() = actions[static_cast<std::size_t>(row)];
  }
}

}  // namespace

std::optional<std::int64_t> InsertRun(soci::session& session, const NewRun& run,
                                      kernel::TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO automation.rule_run (rule_id, event_id, topic, aggregate_id, event_time, "
      "payload_type, payload, actions, create_time) VALUES ($1, $2, $3, $4, " KARTON_AUTOMATION_AT(
          "$5") ", $6, decode($7, 'hex'), $8::jsonb, " KARTON_AUTOMATION_AT("$9") ") "
                "ON CONFLICT (rule_id, event_id) DO NOTHING RETURNING id",
      {std::to_string(run.rule_id), std::to_string(run.event_id), run.topic,
       std::to_string(run.aggregate_id), Micros(run.event_time), run.payload_type,
       Hex(run.payload), run.actions_json, Micros(now)});
  if (rows.Count() == 0) return std::nullopt;
  return Integer(rows.Text(0, 0));
}

bool InsertScheduled(soci::session& session, const NewActionRun& action) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO automation.rule_action_run (run_id, action_index, rule_id, aggregate_id, "
      "state, scheduled_time, moment_key) VALUES ($1, $2, $3, $4, "
      "'scheduled', " KARTON_AUTOMATION_AT(
          "$5") ", nullif($6, '')) ON CONFLICT DO NOTHING RETURNING run_id",
      {std::to_string(action.run_id), std::to_string(action.action_index),
       std::to_string(action.rule_id), std::to_string(action.aggregate_id),
       Micros(action.scheduled_time), action.moment_key.value_or("")});
  return rows.Count() == 1;
}

void InsertSkipped(soci::session& session, const NewActionRun& action, const std::string& why,
                   kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "INSERT INTO automation.rule_action_run (run_id, action_index, rule_id, aggregate_id, "
      "state, scheduled_time, finish_time, error) VALUES ($1, $2, $3, $4, "
      "'skipped', " KARTON_AUTOMATION_AT("$5") ", " KARTON_AUTOMATION_AT("$6") ", $7)",
      {std::to_string(action.run_id), std::to_string(action.action_index),
       std::to_string(action.rule_id), std::to_string(action.aggregate_id),
       Micros(action.scheduled_time), Micros(now), why});
}

void SupersedePending(soci::session& session, const NewActionRun& action,
                      const std::optional<std::string>& moment_key, kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE automation.rule_action_run SET state = 'skipped', finish_time = " KARTON_AUTOMATION_AT(
          "$5") ", error = 'superseded by run ' || $6 || ': the record''s date changed' "
                "WHERE rule_id = $1 AND action_index = $2 AND aggregate_id = $3 "
                "AND state IN ('scheduled', 'retrying') AND moment_key IS NOT NULL "
                "AND ($4 = '' OR moment_key <> $4) AND run_id <> $6::bigint",
      {std::to_string(action.rule_id), std::to_string(action.action_index),
       std::to_string(action.aggregate_id), moment_key.value_or(""), Micros(now),
       std::to_string(action.run_id)});
}

std::int64_t MomentHolder(soci::session& session, const NewActionRun& action) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT run_id FROM automation.rule_action_run WHERE rule_id = $1 AND action_index = $2 "
      "AND aggregate_id = $3 AND moment_key = $4",
      {std::to_string(action.rule_id), std::to_string(action.action_index),
       std::to_string(action.aggregate_id), action.moment_key.value_or("")});
  return rows.Count() == 0 ? 0 : Integer(rows.Text(0, 0));
}

std::optional<PendingAction> FindAction(soci::session& session, std::int64_t run_id,
                                        int action_index) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT a.state, a.attempts, r.rule_id, (u.delete_time IS NOT NULL), r.event_id, r.topic, "
      "r.aggregate_id, " KARTON_AUTOMATION_MICROS(
          "r.event_time") ", r.payload_type, encode(r.payload, 'hex'), "
                          "(r.actions -> a.action_index)::text "
                          "FROM automation.rule_action_run a "
                          "JOIN automation.rule_run r ON r.id = a.run_id "
                          "JOIN automation.rule u ON u.id = r.rule_id "
                          "WHERE a.run_id = $1 AND a.action_index = $2 FOR UPDATE OF a",
      {std::to_string(run_id), std::to_string(action_index)});
  if (rows.Count() == 0) return std::nullopt;
  PendingAction found;
  found.state = std::string(rows.Text(0, 0));
  found.attempts = static_cast<int>(Integer(rows.Text(0, 1)));
  found.rule_id = Integer(rows.Text(0, 2));
  found.rule_deleted = rows.Text(0, 3) == "t";
  found.event_id = Integer(rows.Text(0, 4));
  found.topic = std::string(rows.Text(0, 5));
  found.aggregate_id = Integer(rows.Text(0, 6));
  found.event_time = TimeOf(rows.Text(0, 7));
  found.payload_type = std::string(rows.Text(0, 8));
  found.payload = FromHex(rows.Text(0, 9));
  found.action_json = std::string(rows.Text(0, 10));
  return found;
}

void MarkDone(soci::session& session, std::int64_t run_id, int action_index,
              const std::string& result, kernel::TimePoint now) {
  kernel::RunPrepared(session,
                      "UPDATE automation.rule_action_run SET state = 'done', attempts = attempts "
                      "+ 1, result = $3, error = '', finish_time = " KARTON_AUTOMATION_AT(
                          "$4") " WHERE run_id = $1 AND action_index = $2",
                      {std::to_string(run_id), std::to_string(action_index), result, Micros(now)});
}

void MarkSkipped(soci::session& session, std::int64_t run_id, int action_index,
                 const std::string& why, kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE automation.rule_action_run SET state = 'skipped', error = $3, "
      "finish_time = " KARTON_AUTOMATION_AT("$4") " WHERE run_id = $1 AND action_index = $2",
      {std::to_string(run_id), std::to_string(action_index), why, Micros(now)});
}

void MarkFailedAttempt(soci::session& session, std::int64_t run_id, int action_index,
                       const std::string& error, bool final, kernel::TimePoint now) {
  kernel::RunPrepared(session,
                      "UPDATE automation.rule_action_run SET attempts = attempts + 1, error = $3, "
                      "state = CASE WHEN $4::boolean THEN 'failed' ELSE 'retrying' END, "
                      "finish_time = CASE WHEN $4::boolean THEN " KARTON_AUTOMATION_AT(
                          "$5") " END WHERE run_id = $1 AND action_index = $2",
                      {std::to_string(run_id), std::to_string(action_index), error.substr(0, 2000),
                       final ? "true" : "false", Micros(now)});
}

std::optional<v1::RuleRun> FindRun(soci::session& session, std::int64_t id) {
  auto found = kFindRun.All(session, {std::to_string(id)});
  if (found.empty()) return std::nullopt;
  AttachActions(session, found);
  return std::move(found.front());
}

std::vector<v1::RuleRun> ListRuns(soci::session& session, const RunFilter& filter,
                                  std::int64_t before_id, int limit) {
  std::string state;
  if (filter.state != v1::RULE_RUN_STATE_UNSPECIFIED) {
    state = kernel::EnumWord(*v1::RuleRunState_descriptor(), filter.state);
  }
  auto runs =
      kListRuns.All(session, {std::to_string(filter.rule_id), std::to_string(filter.aggregate_id),
                              state, std::to_string(before_id), std::to_string(limit)});
  AttachActions(session, runs);
  return runs;
}

}  // namespace karton::automation::run_repository
