// karton.messaging.v1.PersonalDataService: the CRM's offers at the extension
// points "personal_data_export" and "personal_data_erase"
// (karton/common/v1/personal_data.proto). partners' ExportPersonalData and
// ErasePersonalData call them: the leads that name the person (a prospect
// known only by an address too) and the activities about them.
#pragma once

#include <utility>

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/personal_data_service.grpc.pb.h"

namespace karton::messaging {

class PersonalDataServiceImpl final : public v1::PersonalDataService::Service {
 public:
  explicit PersonalDataServiceImpl(kernel::ServiceParts services)
      : services_(std::move(services)) {}

  // Data protection is the administrators' duty, as in partners.
  static kernel::MethodRoles Roles();

  grpc::Status ExportPersonalDataSection(grpc::ServerContext*,
                                         const common::v1::ExportPersonalDataSectionRequest*,
                                         common::v1::ExportPersonalDataSectionResponse*) override;
  grpc::Status ErasePersonalDataSection(grpc::ServerContext*,
                                        const common::v1::ErasePersonalDataSectionRequest*,
                                        common::v1::ErasePersonalDataSectionResponse*) override;

 private:
  const kernel::ServiceParts services_;
};

}  // namespace karton::messaging
