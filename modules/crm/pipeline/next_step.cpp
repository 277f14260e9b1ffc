#include "pipeline/next_step.h"

#include <fmt/format.h>

#include "activities/activity_repository.h"
#include "karton/kernel/errors.h"
#include "pipeline/opportunity_repository.h"
#include "pipeline/pipeline_repository.h"

namespace karton::crm {

grpc::Status CheckNextStep(soci::session& session, std::int64_t opportunity_id,
                           std::string_view change) {
  if (opportunity_id == 0) return grpc::Status::OK;
  const auto opportunity =
      opportunity_repository::Find(session, opportunity_id, Scope::Everything(), false);
  if (!opportunity || opportunity->status() != v1::OPPORTUNITY_STATUS_OPEN) {
    return grpc::Status::OK;
  }
  const auto pipeline = pipeline_repository::Find(session, opportunity->pipeline_id(), false);
  if (!pipeline) return grpc::Status::OK;
  return CheckNextStep(session, *opportunity, *pipeline, change);
}

grpc::Status CheckNextStep(soci::session& session, const v1::Opportunity& opportunity,
                           const v1::Pipeline& pipeline, std::string_view change) {
  if (opportunity.status() != v1::OPPORTUNITY_STATUS_OPEN || !pipeline.require_next_step()) {
    return grpc::Status::OK;
  }
  if (activity_repository::PlannedForOpportunity(session, opportunity.id()) > 0) {
    return grpc::Status::OK;
  }
  return kernel::FailedPreconditionOnField(
      "next_activity",
      fmt::format("pipeline '{}' requires a next step: {} would leave opportunity {} ('{}') "
                  "without a planned activity, so plan one with it",
                  pipeline.name(), change, opportunity.id(), opportunity.name()));
}

}  // namespace karton::crm
