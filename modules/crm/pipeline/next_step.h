// "No opportunity without a next step" (C8), enforced where a pipeline asks
// for it (Pipeline.require_next_step): the check every change that can take
// an open opportunity's last planned activity away makes before it commits.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string_view>

#include "karton/crm/v1/crm.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm {

// OK unless opportunity `opportunity_id` is open, its pipeline requires a
// next step and none of its activities is planned (as the transaction on
// `session` sees it). Then FAILED_PRECONDITION naming `next_activity`,
// saying what `change` ("moving it to 'Ajánlat'") needs.
grpc::Status CheckNextStep(soci::session& session, std::int64_t opportunity_id,
                           std::string_view change);
// The same for a deal and its pipeline the caller has just read or written
// in this transaction: only the planned activities are counted (no round
// trip when the deal is closed or the pipeline does not ask for a step).
grpc::Status CheckNextStep(soci::session& session, const v1::Opportunity& opportunity,
                           const v1::Pipeline& pipeline, std::string_view change);

}  // namespace karton::crm
