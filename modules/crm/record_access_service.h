// karton.crm.v1.RecordAccessService: the CRM's offer at the extension point
// "record_access" (karton/common/v1/record_access.proto). Other modules ask
// it whether their caller may see a lead, opportunity or activity before
// they show what they keep about it (documents, timeline entries).
#pragma once

#include <utility>

#include "crm_services.h"
#include "karton/crm/v1/record_access_service.grpc.pb.h"
#include "karton/kernel/access.h"

namespace karton::crm {

class RecordAccessServiceImpl final : public v1::RecordAccessService::Service {
 public:
  explicit RecordAccessServiceImpl(CrmServices services) : services_(std::move(services)) {}

  static kernel::MethodRoles Roles();

  grpc::Status CheckRecordAccess(grpc::ServerContext*, const common::v1::CheckRecordAccessRequest*,
                                 common::v1::CheckRecordAccessResponse*) override;

 private:
  const CrmServices services_;
};

}  // namespace karton::crm
