// The CRM's tables and cards (crm_commands.cpp), shared by the command
// files of the CRM (crm_commands.cpp, crm_change_commands.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/crm/v1/opportunity_service.grpc.pb.h"
#include "karton/crm/v1/pipeline_service.grpc.pb.h"
#include "karton/crm/v1/web_form_service.grpc.pb.h"

namespace karton::cli {

void PrintOpportunities(const crm::v1::ListOpportunitiesResponse& response);
void PrintOpportunity(const crm::v1::Opportunity& opportunity);
void PrintPipeline(const crm::v1::Pipeline& pipeline);
void PrintForm(const crm::v1::WebForm& form);
void PrintActivity(const crm::v1::Activity& activity);
// "90s", "30m", "2h", "1d" -> seconds; bad usage otherwise.
std::int64_t ParseDuration(const std::string& text, const char* option);

}  // namespace karton::cli
