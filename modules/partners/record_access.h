// Documents can hang on any module's record ("crm.opportunity" 17), but only
// the module that owns a record knows who may see it. This asks it, at the
// extension point "record_access" (karton/common/v1/record_access.proto).
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>

#include "karton/kernel/service_parts.h"

namespace grpc {
class ServerContext;
}  // namespace grpc

namespace karton::partners {

inline constexpr const char* kRecordAccessPoint = "record_access";

enum class RecordAccess {
  kVisible,
  kHidden,    // missing, or outside the caller's view
  kNoModule,  // no loaded module keeps records of the type
};

// Whether the caller of `caller` may see record `id` of `resource_type`,
// which is not a partners record. kartond itself sees every record that a
// loaded module keeps. Call it without holding a database connection: it
// waits for the other module, which needs one of its own. A non-OK status
// means the owner could not be asked (and `access` is kHidden).
grpc::Status CheckRecordAccess(const kernel::ServiceParts& parts, const grpc::ServerContext& caller,
                               const std::string& resource_type, std::int64_t id,
                               RecordAccess& access);

}  // namespace karton::partners
