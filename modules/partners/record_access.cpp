#include "record_access.h"

#include "karton/common/v1/record_access.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/calls.h"

namespace karton::partners {

grpc::Status CheckRecordAccess(const kernel::ServiceParts& parts, const grpc::ServerContext& caller,
                               const std::string& resource_type, std::int64_t id,
                               RecordAccess& access) {
  access = RecordAccess::kNoModule;
  const std::string module = resource_type.substr(0, resource_type.find('.'));
  for (const auto& offer : parts.offers(kRecordAccessPoint)) {
    if (offer.module != module) continue;
    common::v1::CheckRecordAccessRequest request;
    request.set_resource_type(resource_type);
    request.add_resource_ids(id);
    common::v1::CheckRecordAccessResponse response;
    const grpc::Status status =
        kernel::CallExtension(*parts.channel(), caller, offer.method, request, response);
    if (!status.ok()) {
      access = RecordAccess::kHidden;
      // The owner refusing the type is as good as not keeping it.
      if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        access = RecordAccess::kNoModule;
        return grpc::Status::OK;
      }
      return status;
    }
    const bool visible = response.visible_ids_size() == 1 && response.visible_ids(0) == id;
    access = visible ? RecordAccess::kVisible : RecordAccess::kHidden;
    return grpc::Status::OK;
  }
  return grpc::Status::OK;
}

}  // namespace karton::partners
