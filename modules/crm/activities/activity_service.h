// karton.crm.v1.ActivityService: activities and their reminders (C6),
// calendars and iCalendar feeds (C7).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/http.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"
#include "scope.h"
#include "team_directory.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm {

// The job that fires one reminder: payload "<activity id>:<seconds before>:
// <the activity's time in microseconds>"; a job whose activity has moved,
// closed or dropped that reminder finds nothing to do.
inline constexpr const char* kReminderJob = "activity_reminder";

class ActivityServiceImpl final : public v1::ActivityService::Service {
 public:
  ActivityServiceImpl(kernel::ServiceParts services, TeamDirectory& teams)
      : services_(std::move(services)), teams_(teams) {}

  static kernel::MethodRoles Roles();

  grpc::Status CreateActivity(grpc::ServerContext*, const v1::CreateActivityRequest*,
                              v1::Activity*) override;
  grpc::Status GetActivity(grpc::ServerContext*, const v1::GetActivityRequest*,
                           v1::Activity*) override;
  grpc::Status UpdateActivity(grpc::ServerContext*, const v1::UpdateActivityRequest*,
                              v1::Activity*) override;
  grpc::Status ListActivities(grpc::ServerContext*, const v1::ListActivitiesRequest*,
                              v1::ListActivitiesResponse*) override;
  grpc::Status CompleteActivity(grpc::ServerContext*, const v1::CompleteActivityRequest*,
                                v1::Activity*) override;
  grpc::Status CancelActivity(grpc::ServerContext*, const v1::CancelActivityRequest*,
                              v1::Activity*) override;
  // calendar.cpp
  grpc::Status ListCalendar(grpc::ServerContext*, const v1::ListCalendarRequest*,
                            v1::ListCalendarResponse*) override;
  grpc::Status GetCalendarFeed(grpc::ServerContext*, const v1::GetCalendarFeedRequest*,
                               v1::CalendarFeed*) override;
  grpc::Status RotateCalendarFeed(grpc::ServerContext*, const v1::RotateCalendarFeedRequest*,
                                  v1::CalendarFeed*) override;

  // GET /calendar/<secret>.ics (calendar.cpp).
  kernel::HttpResponse Feed(const kernel::HttpRequest& request);
  // The reminder job's handler.
  void FireReminder(const kernel::JobRun& run);

  // A new activity made along with another change, in its transaction: the
  // next step of a stage move or of a completed activity (C8). PrepareNew
  // runs before the transaction (it asks PartnerService about contacts);
  // its errors name the fields under `field` ("next_activity.subject").
  // InsertNew then writes it, audited and published like CreateActivity.
  struct NewActivity {
    v1::Activity activity;
    std::int64_t contact_partner = 0;
    std::vector<std::int64_t> invitee_partners;
  };
  grpc::Status PrepareNew(const grpc::ServerContext& context, const kernel::Caller& caller,
                          const v1::Activity& requested, const std::string& field,
                          NewActivity& prepared);
  grpc::Status InsertNew(soci::session& session, const kernel::Caller& caller,
                         NewActivity& prepared, const std::string& field,
                         const std::string& request_id, v1::Activity& created);

 private:
  // The partner of the activity's contact (0 without one), through
  // PartnerService as the caller. Called before a connection is taken: a
  // handler that held one while waiting for another could, many at once,
  // exhaust the pool.
  grpc::Status ContactPartner(const grpc::ServerContext& caller, std::int64_t contact_id,
                              std::int64_t& partner_id);
  // Fills each contact invitee's address and name from PartnerService (as
  // the caller, before a connection is taken) and gives their partners in
  // order (0 for a bare address); checks bare addresses.
  grpc::Status ResolveInvitees(const grpc::ServerContext& caller, v1::Activity& activity,
                               std::vector<std::int64_t>& partner_ids);
  // Checks `activity` and fills its partner from the contact (whose partner
  // ContactPartner found), the lead or the opportunity; the status names
  // the field. The lead and opportunity must be in `scope`, the caller's:
  // nobody links an activity to a record they cannot see.
  grpc::Status Prepare(soci::session& session, const Scope& scope, std::int64_t contact_partner_id,
                       v1::Activity& activity);
  void ScheduleReminders(soci::session& session, const v1::Activity& activity);
  grpc::Status Close(grpc::ServerContext* context, std::int64_t id, const std::string& etag,
                     const v1::Activity* next_activity, const std::string& status,
                     const std::string& outcome, const char* method, v1::Activity* response);

  const kernel::ServiceParts services_;
  TeamDirectory& teams_;
};

}  // namespace karton::crm
