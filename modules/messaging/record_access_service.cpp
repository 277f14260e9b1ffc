#include "record_access_service.h"

#include <soci/soci.h>

#include <algorithm>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/prepared_query.h"

namespace karton::messaging {

kernel::MethodRoles RecordAccessServiceImpl::Roles() {
  // Everyone may ask; the answer depends on who asks.
  return {{"CheckRecordAccess", {std::string(kernel::kAnyRole)}}};
}

grpc::Status RecordAccessServiceImpl::CheckRecordAccess(
    grpc::ServerContext* context, const common::v1::CheckRecordAccessRequest* request,
    common::v1::CheckRecordAccessResponse* response) {
  if (request->resource_type() != "messaging.message") {
    return kernel::InvalidField("resource_type", "messaging keeps messaging.message records");
  }
  if (request->resource_ids_size() > 1000) {
    return kernel::InvalidField("resource_ids", "at most 1000 at once");
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  // The roles MessagingService/GetMessage is open to.
  const std::vector<std::string> readers = kernel::StaffRoles();
  const bool reads_messages =
      caller.IsInternal() || caller.IsAdmin() ||
      std::any_of(readers.begin(), readers.end(),
                  [&](const std::string& role) { return caller.HasRole(role); });
  if (!reads_messages || request->resource_ids_size() == 0) return grpc::Status::OK;
  return kernel::Guarded(services_.log, "CheckRecordAccess", [&]() -> grpc::Status {
    const std::vector<std::int64_t> ids(request->resource_ids().begin(),
                                        request->resource_ids().end());
    std::vector<std::int64_t> found;
    {
      auto lease = services_.database.Acquire();
      const auto rows = kernel::RunPrepared(
          lease.Session(), "SELECT id FROM messaging.message WHERE id = ANY(cast($1 AS bigint[]))",
          {kernel::BigintArrayLiteral(ids)});
      for (int row = 0; row < rows.Count(); ++row) {
        found.push_back(std::stoll(std::string(rows.Text(row, 0))));
      }
    }
    for (const std::int64_t id : ids) {
      if (std::find(found.begin(), found.end(), id) != found.end()) response->add_visible_ids(id);
    }
    return grpc::Status::OK;
  });
}

}  // namespace karton::messaging
