// karton.crm.v1.OpportunityService and PipelineService: deals moving
// through configurable stages (C5).
#pragma once

#include <utility>

#include "karton/crm/v1/opportunity_service.grpc.pb.h"
#include "karton/crm/v1/pipeline_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "scope.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm {

// Opens an opportunity inside `session`'s transaction: the pipeline
// defaults to the first one, the stage to the pipeline's first open stage,
// the owner to the caller; then the audit entry and crm.opportunity.created.
// Bad input comes back as a status naming the field under `prefix`.
grpc::Status OpenOpportunity(const kernel::Clock& clock, kernel::AuditLog& audit,
                             kernel::DomainEvents& events, soci::session& session,
                             v1::Opportunity opportunity, const std::string& request_id,
                             const kernel::Caller& caller, const std::string& prefix,
                             v1::Opportunity& stored);

class ActivityServiceImpl;

class OpportunityServiceImpl final : public v1::OpportunityService::Service {
 public:
  // `activities` makes the next step a MoveStage brings along (C8).
  OpportunityServiceImpl(kernel::ServiceParts services, ActivityServiceImpl& activities)
      : services_(std::move(services)), activities_(activities) {}

  static kernel::MethodRoles Roles();

  grpc::Status CreateOpportunity(grpc::ServerContext*, const v1::CreateOpportunityRequest*,
                                 v1::Opportunity*) override;
  grpc::Status GetOpportunity(grpc::ServerContext*, const v1::GetOpportunityRequest*,
                              v1::Opportunity*) override;
  grpc::Status UpdateOpportunity(grpc::ServerContext*, const v1::UpdateOpportunityRequest*,
                                 v1::Opportunity*) override;
  grpc::Status ListOpportunities(grpc::ServerContext*, const v1::ListOpportunitiesRequest*,
                                 v1::ListOpportunitiesResponse*) override;
  grpc::Status MoveStage(grpc::ServerContext*, const v1::MoveStageRequest*,
                         v1::Opportunity*) override;
  grpc::Status MarkWon(grpc::ServerContext*, const v1::MarkWonRequest*, v1::Opportunity*) override;
  grpc::Status MarkLost(grpc::ServerContext*, const v1::MarkLostRequest*,
                        v1::Opportunity*) override;
  grpc::Status ShareOpportunity(grpc::ServerContext*, const v1::ShareOpportunityRequest*,
                                v1::Opportunity*) override;
  grpc::Status UnshareOpportunity(grpc::ServerContext*, const v1::UnshareOpportunityRequest*,
                                  v1::Opportunity*) override;
  grpc::Status ListStaleOpportunities(grpc::ServerContext*,
                                      const v1::ListStaleOpportunitiesRequest*,
                                      v1::ListStaleOpportunitiesResponse*) override;

 private:
  // The one path of MoveStage, MarkWon and MarkLost. `target` picks the
  // stage from the pipeline; `after_move` (optional) runs in the same
  // transaction once the stage is set, and its refusal undoes the move.
  grpc::Status ChangeStage(
      grpc::ServerContext* context, std::int64_t id, const std::string& etag, const char* method,
      const std::function<grpc::Status(const v1::Pipeline&, v1::Stage&)>& target,
      const std::string& lost_reason, v1::Opportunity* response,
      const std::function<grpc::Status(soci::session&, const v1::Pipeline&, const v1::Stage&,
                                       const v1::Opportunity&)>& after_move = {});
  // The one path of ShareOpportunity and UnshareOpportunity.
  grpc::Status ChangeSharing(grpc::ServerContext* context, const char* method, Sharing sharing,
                             std::int64_t id, std::int64_t user_id, std::int64_t team_id,
                             v1::Opportunity* response);

  const kernel::ServiceParts services_;
  ActivityServiceImpl& activities_;
};

// The daily job of C8 ("stale_opportunities", daily at 07:00 UTC): each
// owner of open opportunities without a next step gets one email a day
// listing them (idempotency key per owner and day).
inline constexpr const char* kStaleOpportunitiesJob = "stale_opportunities";
void RemindStaleOpportunityOwners(const kernel::ServiceParts& services);

class PipelineServiceImpl final : public v1::PipelineService::Service {
 public:
  explicit PipelineServiceImpl(kernel::ServiceParts services) : services_(std::move(services)) {}

  static kernel::MethodRoles Roles();

  grpc::Status CreatePipeline(grpc::ServerContext*, const v1::CreatePipelineRequest*,
                              v1::Pipeline*) override;
  grpc::Status GetPipeline(grpc::ServerContext*, const v1::GetPipelineRequest*,
                           v1::Pipeline*) override;
  grpc::Status ListPipelines(grpc::ServerContext*, const v1::ListPipelinesRequest*,
                             v1::ListPipelinesResponse*) override;
  grpc::Status UpdatePipeline(grpc::ServerContext*, const v1::UpdatePipelineRequest*,
                              v1::Pipeline*) override;

 private:
  const kernel::ServiceParts services_;
};

}  // namespace karton::crm
