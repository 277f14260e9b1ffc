// Invitations to activities (docs/crm.md, "Invitations"): the iTIP message
// (RFC 5546) with its iCalendar object (RFC 5545), written with libical,
// and the job that emails it to each invitee through messaging (RFC 6047).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "karton/crm/v1/activity.pb.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"

namespace karton::crm {

// The job that sends what an activity's invitees have not been sent yet;
// payload: the activity's id.
inline constexpr const char* kInvitationJob = "crm.activity.invitations";

struct InvitationPerson {
  std::string email;
  std::string name;  // CN; may be empty
};

// A VCALENDAR with METHOD `method` ("REQUEST" or "CANCEL") and one VEVENT
// of the activity: its ical_uid, SEQUENCE `sequence`, DTSTAMP `now`,
// DTSTART and DTEND in UTC, SUMMARY, LOCATION, DESCRIPTION, the ORGANIZER
// and an ATTENDEE (REQ-PARTICIPANT, NEEDS-ACTION, RSVP) for each of
// `attendees`; STATUS CONFIRMED, or CANCELLED for a CANCEL.
std::string BuildInvitation(const v1::Activity& activity, const std::string& method, int sequence,
                            const InvitationPerson& organizer,
                            const std::vector<InvitationPerson>& attendees,
                            std::chrono::system_clock::time_point now);

// Schedules kInvitationJob for the activity (in the caller's transaction),
// once per version of it.
void ScheduleInvitations(const kernel::ServiceParts& services, soci::session& session,
                         const v1::Activity& activity);

// kInvitationJob: each invitee not yet sent the activity's current
// invitation gets it (REQUEST; CANCEL when the activity is cancelled or
// they were removed), with an idempotency key per activity, invitee,
// sequence and method. Messaging is called with no connection held.
void SendInvitations(const kernel::ServiceParts& services, const kernel::JobRun& run);

}  // namespace karton::crm
