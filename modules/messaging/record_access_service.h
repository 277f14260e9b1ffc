// karton.messaging.v1.RecordAccessService: messaging's offer at the
// extension point "record_access" (karton/common/v1/record_access.proto).
// The partners module asks it before it stores, lists or hands out a
// document on a message ("messaging.message"): the attachments of email
// to a raw address are kept there.
#pragma once

#include <utility>

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/record_access_service.grpc.pb.h"

namespace karton::messaging {

class RecordAccessServiceImpl final : public v1::RecordAccessService::Service {
 public:
  explicit RecordAccessServiceImpl(kernel::ServiceParts services)
      : services_(std::move(services)) {}

  static kernel::MethodRoles Roles();

  // A message is visible to whoever may read messages (GetMessage: staff)
  // and to kartond itself.
  grpc::Status CheckRecordAccess(grpc::ServerContext*, const common::v1::CheckRecordAccessRequest*,
                                 common::v1::CheckRecordAccessResponse*) override;

 private:
  const kernel::ServiceParts services_;
};

}  // namespace karton::messaging
