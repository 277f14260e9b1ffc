// JourneyService: journeys and enrolments (journey_service.proto).
#pragma once

#include "automation_settings.h"
#include "journeys/journey_runner.h"
#include "karton/automation/v1/journey_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "rules/rule_service.h"

namespace karton::automation {

class JourneyServiceImpl final : public v1::JourneyService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  JourneyServiceImpl(kernel::ServiceParts parts, RuleEnvironment& environment,
                     JourneyRunner& runner, AutomationSettings settings)
      : parts_(parts), environment_(environment), runner_(runner), settings_(std::move(settings)) {}

  grpc::Status CreateJourney(grpc::ServerContext* context, const v1::CreateJourneyRequest* request,
                             v1::Journey* response) override;
  grpc::Status GetJourney(grpc::ServerContext* context, const v1::GetJourneyRequest* request,
                          v1::Journey* response) override;
  grpc::Status ListJourneys(grpc::ServerContext* context, const v1::ListJourneysRequest* request,
                            v1::ListJourneysResponse* response) override;
  grpc::Status UpdateJourney(grpc::ServerContext* context, const v1::UpdateJourneyRequest* request,
                             v1::Journey* response) override;
  grpc::Status DeleteJourney(grpc::ServerContext* context, const v1::DeleteJourneyRequest* request,
                             v1::DeleteJourneyResponse* response) override;
  grpc::Status EnrolInJourney(grpc::ServerContext* context,
                              const v1::EnrolInJourneyRequest* request,
                              v1::Enrolment* response) override;
  grpc::Status EnrolSegment(grpc::ServerContext* context, const v1::EnrolSegmentRequest* request,
                            v1::EnrolSegmentResponse* response) override;
  grpc::Status StopEnrolment(grpc::ServerContext* context, const v1::StopEnrolmentRequest* request,
                             v1::Enrolment* response) override;
  grpc::Status GetEnrolment(grpc::ServerContext* context, const v1::GetEnrolmentRequest* request,
                            v1::Enrolment* response) override;
  grpc::Status ListEnrolments(grpc::ServerContext* context,
                              const v1::ListEnrolmentsRequest* request,
                              v1::ListEnrolmentsResponse* response) override;

 private:
  // Checks `journey` as it would be stored; no connection is held after.
  grpc::Status Check(const v1::Journey& journey);

  kernel::ServiceParts parts_;
  RuleEnvironment& environment_;
  JourneyRunner& runner_;
  const AutomationSettings settings_;
};

}  // namespace karton::automation
