// karton.crm.v1.RecordAccessService: the CRM's offer at the extension point
// "record_access" (karton/common/v1/record_access.proto). Other modules ask
// it whether their caller may see a lead, opportunity or activity before
// they show what they keep about it (documents, timeline entries).
#pragma once

#include "karton/crm/v1/record_access_service.grpc.pb.h"
#include "karton/kernel/module.h"

namespace karton::crm {

class RecordAccessServiceImpl final : public v1::RecordAccessService::Service {
 public:
  explicit RecordAccessServiceImpl(kernel::ModuleContext& context) : context_(context) {}

  static kernel::MethodRoles Roles();

  grpc::Status CheckRecordAccess(grpc::ServerContext*, const common::v1::CheckRecordAccessRequest*,
                                 common::v1::CheckRecordAccessResponse*) override;

 private:
  kernel::ModuleContext& context_;
};

}  // namespace karton::crm
