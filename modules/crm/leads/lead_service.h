// karton.crm.v1.LeadService: leads (C1), their routing (C3) and
// qualification into opportunities (C4).
#pragma once

#include <utility>

#include "karton/crm/v1/lead_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "leads/lead_intake.h"
#include "scope.h"

namespace karton::crm {

class LeadServiceImpl final : public v1::LeadService::Service {
 public:
  LeadServiceImpl(kernel::ServiceParts services, LeadIntake& intake)
      : services_(std::move(services)), intake_(intake) {}

  static kernel::MethodRoles Roles();

  grpc::Status CreateLead(grpc::ServerContext*, const v1::CreateLeadRequest*, v1::Lead*) override;
  grpc::Status GetLead(grpc::ServerContext*, const v1::GetLeadRequest*, v1::Lead*) override;
  grpc::Status UpdateLead(grpc::ServerContext*, const v1::UpdateLeadRequest*, v1::Lead*) override;
  grpc::Status ListLeads(grpc::ServerContext*, const v1::ListLeadsRequest*,
                         v1::ListLeadsResponse*) override;
  // qualification.cpp
  grpc::Status QualifyLead(grpc::ServerContext*, const v1::QualifyLeadRequest*,
                           v1::QualifyLeadResponse*) override;
  grpc::Status DisqualifyLead(grpc::ServerContext*, const v1::DisqualifyLeadRequest*,
                              v1::Lead*) override;
  grpc::Status ShareLead(grpc::ServerContext*, const v1::ShareLeadRequest*, v1::Lead*) override;
  grpc::Status UnshareLead(grpc::ServerContext*, const v1::UnshareLeadRequest*, v1::Lead*) override;

 private:
  // The one path of ShareLead and UnshareLead.
  grpc::Status ChangeSharing(grpc::ServerContext* context, const char* method, Sharing sharing,
                             std::int64_t id, std::int64_t user_id, std::int64_t team_id,
                             v1::Lead* response);

  const kernel::ServiceParts services_;
  LeadIntake& intake_;
};

// The roles that change CRM records, and those that read them.
std::vector<std::string> CrmWriters();
std::vector<std::string> CrmReaders();
std::vector<std::string> CrmManagers();

}  // namespace karton::crm
