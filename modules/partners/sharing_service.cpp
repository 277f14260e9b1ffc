// SharePartner and UnsharePartner (P7; docs/partners.md, "Sharing with
// external partners"). A direct share shows the partner, its contacts,
// documents and timeline; a deal's share shows the card alone (crm writes
// that derived grant, kernel::SyncLinkedGrants).
#include <fmt/format.h>
#include <soci/soci.h>

#include "karton/kernel/access.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "service_support.h"

namespace karton::partners {
namespace {

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no partner with id {}", id)};
}

grpc::Status CheckShareTarget(std::int64_t user_id, std::int64_t team_id) {
  if ((user_id == 0) == (team_id == 0) || user_id < 0 || team_id < 0) {
    return kernel::InvalidField("user_id", "give exactly one of user_id and team_id");
  }
  return grpc::Status::OK;
}

kernel::FieldChange ShareChange(std::int64_t user_id, std::int64_t team_id, bool shared) {
  const std::int64_t target = user_id != 0 ? user_id : team_id;
  return kernel::FieldChange::Of(user_id != 0 ? "shared_with_user" : "shared_with_team",
                                 shared ? 0 : target, shared ? target : 0);
}

}  // namespace

grpc::Status PartnerServiceImpl::SharePartner(grpc::ServerContext* context,
                                              const v1::SharePartnerRequest* request,
                                              v1::Partner* response) {
  if (auto status = CheckShareTarget(request->user_id(), request->team_id()); !status.ok()) {
    return status;
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "SharePartner", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto partner =
        repository::FindPartner(session, request->id(), VisibilityOf(caller), true);
    if (!partner) return NotFound(request->id());
    bool granted = false;
    try {
      session << "SAVEPOINT share_partner";
      granted = kernel::ShareRecord(session, kPartnerResource, partner->id(),
                                    {.user_id = request->user_id(), .team_id = request->team_id()},
                                    caller.user_id);
    } catch (const std::exception& error) {
      if (SqlState(error) != "23503") throw;
      session << "ROLLBACK TO SAVEPOINT share_partner";
      return kernel::InvalidField(request->user_id() != 0 ? "user_id" : "team_id",
                                  "names no user or team");
    }
    if (granted) {
      services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kPartnerResource,
                             partner->id(),
                             {ShareChange(request->user_id(), request->team_id(), true)});
    }
    *response = *partner;
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::UnsharePartner(grpc::ServerContext* context,
                                                const v1::UnsharePartnerRequest* request,
                                                v1::Partner* response) {
  if (auto status = CheckShareTarget(request->user_id(), request->team_id()); !status.ok()) {
    return status;
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "UnsharePartner", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto partner =
        repository::FindPartner(session, request->id(), VisibilityOf(caller), true);
    if (!partner) return NotFound(request->id());
    if (kernel::UnshareRecord(session, kPartnerResource, partner->id(),
                              {.user_id = request->user_id(), .team_id = request->team_id()})) {
      services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kPartnerResource,
                             partner->id(),
                             {ShareChange(request->user_id(), request->team_id(), false)});
    }
    *response = *partner;
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
