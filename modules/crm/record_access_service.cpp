#include "record_access_service.h"

#include "activities/activity_repository.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "leads/lead_repository.h"
#include "pipeline/opportunity_repository.h"
#include "scope.h"

namespace karton::crm {

kernel::MethodRoles RecordAccessServiceImpl::Roles() {
  // Everyone may ask; the answer is the caller's own scope.
  return {{"CheckRecordAccess", {std::string(kernel::kAnyRole)}}};
}

grpc::Status RecordAccessServiceImpl::CheckRecordAccess(
    grpc::ServerContext* context, const common::v1::CheckRecordAccessRequest* request,
    common::v1::CheckRecordAccessResponse* response) {
  const std::string& type = request->resource_type();
  if (type != "crm.lead" && type != "crm.opportunity" && type != "crm.activity") {
    return kernel::InvalidField("resource_type",
                                "the CRM keeps crm.lead, crm.opportunity and crm.activity");
  }
  if (request->resource_ids_size() > 1000) {
    return kernel::InvalidField("resource_ids", "at most 1000 at once");
  }
  const Scope scope = ScopeOf(kernel::CallerOf(*context));
  return kernel::Guarded(services_.log, "CheckRecordAccess", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    for (const std::int64_t id : request->resource_ids()) {
      bool visible = false;
      if (type == "crm.lead") {
        visible = lead_repository::Find(lease.Session(), id, scope, false).has_value();
      } else if (type == "crm.opportunity") {
        visible = opportunity_repository::Find(lease.Session(), id, scope, false).has_value();
      } else {
        visible = activity_repository::Find(lease.Session(), id, scope, false).has_value();
      }
      if (visible) response->add_visible_ids(id);
    }
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
