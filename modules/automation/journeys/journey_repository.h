// Journeys, enrolments and their steps as stored (schema/automation/0002).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/automation/v1/journey.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::automation::journey_repository {

v1::Journey Insert(soci::session& session, const v1::Journey& journey, std::int64_t user_id,
                   kernel::TimePoint now);
std::optional<v1::Journey> Find(soci::session& session, std::int64_t id, bool lock = false);
std::vector<v1::Journey> List(soci::session& session, std::int64_t before_id, int limit);
v1::Journey Update(soci::session& session, const v1::Journey& journey, kernel::TimePoint now);
void MarkDeleted(soci::session& session, std::int64_t id, kernel::TimePoint now);
bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id);
// Live, enabled journeys that `topic` enrols into.
std::vector<v1::Journey> EnrolledBy(soci::session& session, const std::string& topic);
// Live, enabled journeys that any of `topics` enrols into, by id: one
// statement for a delivered run of events (DefinitionsForRun).
std::vector<v1::Journey> EnrolledByAny(soci::session& session,
                                       const std::vector<std::string>& topics);

// The steps as an enrolment keeps them: a JSON array.
std::string StepsJson(const v1::Journey& journey);

struct NewEnrolment {
  std::int64_t journey_id = 0;
  std::int64_t subject_id = 0;
  std::int64_t partner_id = 0;
  std::int64_t event_id = 0;
  std::string steps_json;
};
enum class EnrolOutcome { kEnrolled, kAlreadyIn, kWasIn, kEventSeen };
// Inserts the enrolment unless the subject is in the journey now (or ever
// was, when `allow_reentry` is false) or the event enrolled already.
EnrolOutcome InsertEnrolment(soci::session& session, const NewEnrolment& enrolment,
                             bool allow_reentry, kernel::TimePoint now, std::int64_t& id);

std::optional<v1::Enrolment> FindEnrolment(soci::session& session, std::int64_t id);
struct EnrolmentFilter {
  std::int64_t journey_id = 0;
  std::int64_t subject_id = 0;
  v1::EnrolmentState state = v1::ENROLMENT_STATE_UNSPECIFIED;
};
std::vector<v1::Enrolment> ListEnrolments(soci::session& session, const EnrolmentFilter& filter,
                                          std::int64_t before_id, int limit);

// Ends an active enrolment (completed or stopped) and skips its planned
// steps; false when it was not active.
bool EndEnrolment(soci::session& session, std::int64_t id, v1::EnrolmentState state,
                  const std::string& reason, kernel::TimePoint now);
// The active enrolments a stop concerns, with their journeys' stop flag
// `flag` ("on_purchase", "on_reply", "on_unsubscribe") set: by partner, or
// by the address last written to.
std::vector<std::int64_t> StoppableByPartner(soci::session& session, std::int64_t partner_id,
                                             const std::string& flag);
std::vector<std::int64_t> StoppableByAddress(soci::session& session, const std::string& address,
                                             const std::string& flag);

// One step of an enrolment, as the job that runs it reads it.
struct PendingStep {
  std::string enrolment_state;
  std::string end_reason;
  std::string step_state;
  std::int64_t journey_id = 0;
  v1::JourneySubject subject = v1::JOURNEY_SUBJECT_PARTNER;
  bool stop_on_unsubscribe = false;
  std::int64_t subject_id = 0;
  kernel::TimePoint enrol_time;
  kernel::TimePoint scheduled_time;
  std::string step_json;
};
std::optional<PendingStep> FindStep(soci::session& session, std::int64_t enrolment_id, int step,
                                    int occurrence);
// Inserts the step's occurrence as scheduled; false when it exists.
bool InsertStep(soci::session& session, std::int64_t enrolment_id, int step, int occurrence,
                kernel::TimePoint at);
void MarkStep(soci::session& session, std::int64_t enrolment_id, int step, int occurrence,
              const std::string& state, const std::string& error, const std::string& result,
              kernel::TimePoint now);
void SetLastAddress(soci::session& session, std::int64_t enrolment_id, const std::string& address);
// Planned steps of the enrolment other than this one.
int PendingSteps(soci::session& session, std::int64_t enrolment_id, int step, int occurrence);

}  // namespace karton::automation::journey_repository
