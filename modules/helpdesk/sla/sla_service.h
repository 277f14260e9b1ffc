// SlaService: business calendars and SLA policies (sla_service.proto).
#pragma once

#include "karton/helpdesk/v1/sla_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/service_parts.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::helpdesk {

inline constexpr char kCalendarResource[] = "helpdesk.business_calendar";
inline constexpr char kPolicyResource[] = "helpdesk.sla_policy";

class SlaServiceImpl final : public v1::SlaService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  explicit SlaServiceImpl(kernel::ServiceParts parts) : parts_(parts) {}

  grpc::Status CreateBusinessCalendar(grpc::ServerContext* context,
                                      const v1::CreateBusinessCalendarRequest* request,
                                      v1::BusinessCalendar* response) override;
  grpc::Status UpdateBusinessCalendar(grpc::ServerContext* context,
                                      const v1::UpdateBusinessCalendarRequest* request,
                                      v1::BusinessCalendar* response) override;
  grpc::Status ListBusinessCalendars(grpc::ServerContext* context,
                                     const v1::ListBusinessCalendarsRequest* request,
                                     v1::ListBusinessCalendarsResponse* response) override;
  grpc::Status CreateSlaPolicy(grpc::ServerContext* context,
                               const v1::CreateSlaPolicyRequest* request,
                               v1::SlaPolicy* response) override;
  grpc::Status UpdateSlaPolicy(grpc::ServerContext* context,
                               const v1::UpdateSlaPolicyRequest* request,
                               v1::SlaPolicy* response) override;
  grpc::Status ListSlaPolicies(grpc::ServerContext* context,
                               const v1::ListSlaPoliciesRequest* request,
                               v1::ListSlaPoliciesResponse* response) override;

 private:
  kernel::ServiceParts parts_;
};

// The problems of a calendar, each naming its field under "calendar.";
// the time zone is checked against the system's zone data.
std::vector<kernel::FieldViolation> CheckCalendar(const v1::BusinessCalendar& calendar);
// The same for a policy's own fields ("policy."); whether its type,
// calendar and user exist is checked against the database.
std::vector<kernel::FieldViolation> CheckPolicy(const v1::SlaPolicy& policy);

}  // namespace karton::helpdesk
