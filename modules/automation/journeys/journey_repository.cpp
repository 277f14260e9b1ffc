#include "journeys/journey_repository.h"

#include <charconv>

#include "automation_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::automation::journey_repository {
namespace {

using sql::Integer;
using sql::Micros;
using sql::TimeOf;

#define KARTON_JOURNEY_COLUMNS                                                                     \
  "j.id, j.name, j.description, j.subject, j.enrol_topics, j.enrol_condition, j.allow_reentry, "   \
  "j.steps, j.stops, j.enabled, j.create_user_id, j.version::text AS "                             \
  "etag, " KARTON_AUTOMATION_MICROS("j.create_time") " AS create_time, " KARTON_AUTOMATION_MICROS( \
      "j.update_time") " AS update_time"

const kernel::TypedQuery<v1::Journey> kInsert(
    "INSERT INTO automation.journey AS j (name, description, subject, enrol_topics, "
    "enrol_condition, allow_reentry, steps, stops, enabled, create_user_id, create_time, "
    "update_time) VALUES ($1, $2, $3, $4::text[], $5, $6::boolean, $7::jsonb, $8::jsonb, "
    "$9::boolean, $10::bigint, " KARTON_AUTOMATION_AT("$11") ", " KARTON_AUTOMATION_AT(
        "$11") ") RETURNING " KARTON_JOURNEY_COLUMNS);
const kernel::TypedQuery<v1::Journey> kFind(
    "SELECT " KARTON_JOURNEY_COLUMNS
    " FROM automation.journey j WHERE j.id = $1 AND j.delete_time IS NULL");
const kernel::TypedQuery<v1::Journey> kFindLocked(
    "SELECT " KARTON_JOURNEY_COLUMNS
    " FROM automation.journey j WHERE j.id = $1 AND j.delete_time IS NULL FOR UPDATE");
const kernel::TypedQuery<v1::Journey> kList(
    "SELECT " KARTON_JOURNEY_COLUMNS
    " FROM automation.journey j WHERE j.delete_time IS NULL "
    "AND ($1::bigint = 0 OR j.id < $1::bigint) ORDER BY j.id DESC LIMIT $2");
const kernel::TypedQuery<v1::Journey> kUpdate(
    "UPDATE automation.journey j SET name = $2, description = $3, enrol_topics = $4::text[], "
    "enrol_condition = $5, allow_reentry = $6::boolean, steps = $7::jsonb, stops = $8::jsonb, "
    "enabled = $9::boolean, update_time = " KARTON_AUTOMATION_AT(
        "$10") ", version = j.version + 1 WHERE j.id = $1 RETURNING " KARTON_JOURNEY_COLUMNS);
const kernel::TypedQuery<v1::Journey> kEnrolledBy(
    "SELECT " KARTON_JOURNEY_COLUMNS
    " FROM automation.journey j WHERE j.delete_time IS NULL AND j.enabled "
    "AND j.enrol_topics @> ARRAY[$1] ORDER BY j.id");
const kernel::TypedQuery<v1::Journey> kEnrolledByAny(
    "SELECT " KARTON_JOURNEY_COLUMNS
    " FROM automation.journey j WHERE j.delete_time IS NULL AND j.enabled "
    "AND j.enrol_topics && cast($1 AS text[]) ORDER BY j.id");

#define KARTON_ENROLMENT_SELECT                                                    \
  "SELECT e.id, e.journey_id, e.state, e.subject_id, e.partner_id, e.end_reason, " \
  "e.event_id, " KARTON_AUTOMATION_MICROS(                                         \
      "e.enrol_time") " AS enrol_time, " KARTON_AUTOMATION_MICROS("e.end_time") " AS end_time "

const kernel::TypedQuery<v1::Enrolment> kFindEnrolment(
    KARTON_ENROLMENT_SELECT "FROM automation.enrolment e WHERE e.id = $1");
// An enrolment's steps in time order, read as rows of their own.
const kernel::TypedQuery<v1::JourneyStepRun> kStepsOf(
    "SELECT s.step_index, s.occurrence, s.state, " KARTON_AUTOMATION_MICROS(
        "s.scheduled_time") " AS scheduled_time, " KARTON_AUTOMATION_MICROS(
        "s.finish_time") " AS finish_time, s.attempts, s.error, s.result "
                         "FROM automation.enrolment_step s WHERE s.enrolment_id = $1 "
                         "ORDER BY s.scheduled_time, s.step_index, s.occurrence");
const kernel::TypedQuery<v1::Enrolment> kListEnrolments(
    KARTON_ENROLMENT_SELECT
    "FROM automation.enrolment e WHERE ($1::bigint = 0 OR e.journey_id = $1::bigint) "
    "AND ($2::bigint = 0 OR e.subject_id = $2::bigint) AND ($3 = '' OR e.state = $3) "
    "AND ($4::bigint = 0 OR e.id < $4::bigint) ORDER BY e.id DESC LIMIT $5");

std::string JsonArray(const google::protobuf::RepeatedPtrField<v1::JourneyStep>& steps) {
  std::string json = "[";
  for (int i = 0; i < steps.size(); ++i) {
    if (i > 0) json += ',';
    json += kernel::PrintProtoJson(steps[i]);
  }
  return json + "]";
}

std::string Word(v1::JourneySubject subject) {
  return subject == v1::JOURNEY_SUBJECT_LEAD ? "lead" : "partner";
}

}  // namespace

std::string StepsJson(const v1::Journey& journey) { return JsonArray(journey.steps()); }

v1::Journey Insert(soci::session& session, const v1::Journey& journey, std::int64_t user_id,
                   kernel::TimePoint now) {
  return *kInsert.One(
      session, {journey.name(), journey.description(), Word(journey.subject()),
                kernel::TextArrayLiteral(journey.enrol_topics()), journey.enrol_condition(),
                journey.allow_reentry() ? "true" : "false", StepsJson(journey),
                kernel::PrintProtoJson(journey.stops()), journey.enabled() ? "true" : "false",
                std::to_string(user_id), Micros(now)});
}

std::optional<v1::Journey> Find(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindLocked : kFind).One(session, {std::to_string(id)});
}

std::vector<v1::Journey> List(soci::session& session, std::int64_t before_id, int limit) {
  return kList.All(session, {std::to_string(before_id), std::to_string(limit)});
}

v1::Journey Update(soci::session& session, const v1::Journey& journey, kernel::TimePoint now) {
  return *kUpdate.One(
      session,
      {std::to_string(journey.id()), journey.name(), journey.description(),
       kernel::TextArrayLiteral(journey.enrol_topics()), journey.enrol_condition(),
       journey.allow_reentry() ? "true" : "false", StepsJson(journey),
       kernel::PrintProtoJson(journey.stops()), journey.enabled() ? "true" : "false", Micros(now)});
}

void MarkDeleted(soci::session& session, std::int64_t id, kernel::TimePoint now) {
  kernel::RunPrepared(session,
                      "UPDATE automation.journey SET delete_time = " KARTON_AUTOMATION_AT(
                          "$2") ", version = version + 1 WHERE id = $1",
                      {std::to_string(id), Micros(now)});
}

bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT count(*) FROM automation.journey WHERE delete_time IS NULL AND lower(name) = "
      "lower($1) AND id <> $2",
      {name, std::to_string(except_id)});
  return rows.Text(0, 0) != "0";
}

std::vector<v1::Journey> EnrolledBy(soci::session& session, const std::string& topic) {
  return kEnrolledBy.All(session, {topic});
}

std::vector<v1::Journey> EnrolledByAny(soci::session& session,
                                       const std::vector<std::string>& topics) {
  return kEnrolledByAny.All(session, {kernel::TextArrayLiteral(topics)});
}

EnrolOutcome InsertEnrolment(soci::session& session, const NewEnrolment& enrolment,
                             bool allow_reentry, kernel::TimePoint now, std::int64_t& id) {
  const std::string journey = std::to_string(enrolment.journey_id);
  const std::string subject = std::to_string(enrolment.subject_id);
  // Enrolments of one subject in one journey queue here, so the checks
  // below and the insert see each other.
  kernel::RunPrepared(session, "SELECT pg_advisory_xact_lock(($1::bigint << 32) # $2::bigint)",
                      {journey, subject});
  const auto existing = kernel::RunPrepared(
      session,
      "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FROM automation.enrolment "
      "WHERE journey_id = $1 AND subject_id = $2",
      {journey, subject});
  if (existing.Text(0, 0) != "0") return EnrolOutcome::kAlreadyIn;
  if (!allow_reentry && existing.Text(0, 1) != "0") return EnrolOutcome::kWasIn;
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO automation.enrolment (journey_id, subject_id, partner_id, state, enrol_time, "
      "event_id, steps) VALUES ($1, $2, $3, 'active', " KARTON_AUTOMATION_AT(
          "$4") ", $5, $6::jsonb) ON CONFLICT DO NOTHING RETURNING id",
      {journey, subject, std::to_string(enrolment.partner_id), Micros(now),
       std::to_string(enrolment.event_id), enrolment.steps_json});
  if (rows.Count() == 0) return EnrolOutcome::kEventSeen;
  id = Integer(rows.Text(0, 0));
  return EnrolOutcome::kEnrolled;
}

std::optional<v1::Enrolment> FindEnrolment(soci::session& session, std::int64_t id) {
  auto found = kFindEnrolment.One(session, {std::to_string(id)});
  if (!found) return found;
  for (auto& step : kStepsOf.All(session, {std::to_string(id)})) {
    *found->add_steps() = std::move(step);
  }
  return found;
}

std::vector<v1::Enrolment> ListEnrolments(soci::session& session, const EnrolmentFilter& filter,
                                          std::int64_t before_id, int limit) {
  std::string state;
  if (filter.state != v1::ENROLMENT_STATE_UNSPECIFIED) {
    state = kernel::EnumWord(*v1::EnrolmentState_descriptor(), filter.state);
  }
  return kListEnrolments.All(
      session, {std::to_string(filter.journey_id), std::to_string(filter.subject_id), state,
                std::to_string(before_id), std::to_string(limit)});
}

bool EndEnrolment(soci::session& session, std::int64_t id, v1::EnrolmentState state,
                  const std::string& reason, kernel::TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session,
      "UPDATE automation.enrolment SET state = $2, end_reason = $3, end_time "
      "= " KARTON_AUTOMATION_AT("$4") " WHERE id = $1 AND state = 'active' RETURNING id",
      {std::to_string(id), kernel::EnumWord(*v1::EnrolmentState_descriptor(), state),
       reason.substr(0, 1000), Micros(now)});
  if (rows.Count() == 0) return false;
  kernel::RunPrepared(
      session,
      "UPDATE automation.enrolment_step SET state = 'skipped', error = 'the enrolment ended: ' || "
      "$2, finish_time = " KARTON_AUTOMATION_AT(
          "$3") " WHERE enrolment_id = $1 AND state IN ('scheduled', 'retrying')",
      {std::to_string(id), reason.substr(0, 1000), Micros(now)});
  return true;
}

std::vector<std::int64_t> StoppableByPartner(soci::session& session, std::int64_t partner_id,
                                             const std::string& flag) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT e.id FROM automation.enrolment e JOIN automation.journey j ON j.id = e.journey_id "
      "WHERE e.state = 'active' AND e.partner_id = $1 AND (j.stops ->> $2)::boolean",
      {std::to_string(partner_id), flag});
  std::vector<std::int64_t> ids;
  for (int i = 0; i < rows.Count(); ++i) ids.push_back(Integer(rows.Text(i, 0)));
  return ids;
}

std::vector<std::int64_t> StoppableByAddress(soci::session& session, const std::string& address,
                                             const std::string& flag) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT e.id FROM automation.enrolment e JOIN automation.journey j ON j.id = e.journey_id "
      "WHERE e.state = 'active' AND e.last_address <> '' AND lower(e.last_address) = lower($1) "
      "AND (j.stops ->> $2)::boolean",
      {address, flag});
  std::vector<std::int64_t> ids;
  for (int i = 0; i < rows.Count(); ++i) ids.push_back(Integer(rows.Text(i, 0)));
  return ids;
}

std::optional<PendingStep> FindStep(soci::session& session, std::int64_t enrolment_id, int step,
                                    int occurrence) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT e.state, e.end_reason, s.state, e.journey_id, j.subject, "
      "coalesce((j.stops ->> 'on_unsubscribe')::boolean, false), e.subject_id, "
      KARTON_AUTOMATION_MICROS("e.enrol_time") ", " KARTON_AUTOMATION_MICROS(
          "s.scheduled_time") ", (e.steps -> s.step_index)::text "
                              "FROM automation.enrolment_step s "
                              "JOIN automation.enrolment e ON e.id = s.enrolment_id "
                              "JOIN automation.journey j ON j.id = e.journey_id "
                              "WHERE s.enrolment_id = $1 AND s.step_index = $2 AND s.occurrence = $3",
      {std::to_string(enrolment_id), std::to_string(step), std::to_string(occurrence)});
  if (rows.Count() == 0) return std::nullopt;
  PendingStep found;
  found.enrolment_state = std::string(rows.Text(0, 0));
  found.end_reason = std::string(rows.Text(0, 1));
  found.step_state = std::string(rows.Text(0, 2));
  found.journey_id = Integer(rows.Text(0, 3));
  found.subject =
      rows.Text(0, 4) == "lead" ? v1::JOURNEY_SUBJECT_LEAD : v1::JOURNEY_SUBJECT_PARTNER;
  found.stop_on_unsubscribe = rows.Text(0, 5) == "t";
  found.subject_id = Integer(rows.Text(0, 6));
  found.enrol_time = TimeOf(rows.Text(0, 7));
  found.scheduled_time = TimeOf(rows.Text(0, 8));
  found.step_json = std::string(rows.Text(0, 9));
  return found;
}

bool InsertStep(soci::session& session, std::int64_t enrolment_id, int step, int occurrence,
                kernel::TimePoint at) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO automation.enrolment_step (enrolment_id, step_index, occurrence, state, "
      "scheduled_time) VALUES ($1, $2, $3, 'scheduled', " KARTON_AUTOMATION_AT(
          "$4") ") ON CONFLICT DO NOTHING RETURNING enrolment_id",
      {std::to_string(enrolment_id), std::to_string(step), std::to_string(occurrence), Micros(at)});
  return rows.Count() == 1;
}

void MarkStep(soci::session& session, std::int64_t enrolment_id, int step, int occurrence,
              const std::string& state, const std::string& error, const std::string& result,
              kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE automation.enrolment_step SET state = $4, error = $5, result = $6, "
      "attempts = attempts + CASE WHEN $4 IN ('done', 'retrying', 'failed') THEN 1 ELSE 0 END, "
      "finish_time = CASE WHEN $4 = 'retrying' THEN NULL ELSE " KARTON_AUTOMATION_AT(
          "$7") " END WHERE enrolment_id = $1 AND step_index = $2 AND occurrence = $3",
      {std::to_string(enrolment_id), std::to_string(step), std::to_string(occurrence), state,
       error.substr(0, 2000), result, Micros(now)});
}

void SetLastAddress(soci::session& session, std::int64_t enrolment_id, const std::string& address) {
  kernel::RunPrepared(session, "UPDATE automation.enrolment SET last_address = $2 WHERE id = $1",
                      {std::to_string(enrolment_id), address});
}

int PendingSteps(soci::session& session, std::int64_t enrolment_id, int step, int occurrence) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT count(*) FROM automation.enrolment_step WHERE enrolment_id = $1 "
      "AND state IN ('scheduled', 'retrying') AND NOT (step_index = $2 AND occurrence = $3)",
      {std::to_string(enrolment_id), std::to_string(step), std::to_string(occurrence)});
  return static_cast<int>(Integer(rows.Text(0, 0)));
}

}  // namespace karton::automation::journey_repository
