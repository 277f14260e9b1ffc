// karton.crm.v1.RecordAccessService: the CRM's offer at the extension point
// "record_access" (karton/common/v1/record_access.proto). Other modules ask
// it whether their caller may see a lead, opportunity or activity before
// they show what they keep about it (documents, timeline entries).
#pragma once

#include <utility>

#include "karton/crm/v1/record_access_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::crm {

class RecordAccessServiceImpl final : public v1::RecordAccessService::Service {
 public:
  explicit RecordAccessServiceImpl(kernel::ServiceParts services)
      : services_(std::move(services)) {}

  static kernel::MethodRoles Roles();

  grpc::Status CheckRecordAccess(grpc::ServerContext*, const common::v1::CheckRecordAccessRequest*,
                                 common::v1::CheckRecordAccessResponse*) override;

 private:
  const kernel::ServiceParts services_;
};

}  // namespace karton::crm
