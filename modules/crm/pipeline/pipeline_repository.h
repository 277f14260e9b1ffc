// SQL of pipelines and their stages (crm.pipeline, crm.stage).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm::pipeline_repository {

namespace v1 = karton::crm::v1;

// The new pipeline's id, or the earlier one's for a repeated `request_id`.
std::int64_t Insert(soci::session& session, const v1::Pipeline& pipeline,
                    const std::string& request_id, kernel::TimePoint now);
std::optional<v1::Pipeline> Find(soci::session& session, std::int64_t id, bool lock);
// In creation order.
std::vector<v1::Pipeline> List(soci::session& session);
// Renames the pipeline and makes `stages` its stages, in that order:
// stages with an id are updated, stages without one added, the others
// marked removed (they stay for the history).
void Replace(soci::session& session, const v1::Pipeline& pipeline, kernel::TimePoint now);
// How many open opportunities sit in `stage_id`.
int OpenOpportunitiesIn(soci::session& session, std::int64_t stage_id);

}  // namespace karton::crm::pipeline_repository
