// SharePartner and UnsharePartner (P7; docs/partners.md, "Sharing with
// external partners"). A direct share shows the partner, its contacts,
// documents and timeline; a deal's share shows the card alone (crm writes
// that derived grant, kernel::SyncLinkedGrants).
#include <fmt/format.h>
#include <soci/soci.h>

#include "karton/kernel/access.h"
#include "karton/kernel/sharing.h"
#include "karton/kernel/transaction.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "service_support.h"

namespace karton::partners {
namespace {

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no partner with id {}", id)};
}

}  // namespace

grpc::Status PartnerServiceImpl::SharePartner(grpc::ServerContext* context,
                                              const v1::SharePartnerRequest* request,
                                              v1::Partner* response) {
  return ChangeSharing(context, "SharePartner", kernel::Sharing::kShare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status PartnerServiceImpl::UnsharePartner(grpc::ServerContext* context,
                                                const v1::UnsharePartnerRequest* request,
                                                v1::Partner* response) {
  return ChangeSharing(context, "UnsharePartner", kernel::Sharing::kUnshare, request->id(),
                       request->user_id(), request->team_id(), response);
}

// The kernel's one way to share (grant, audit entry, partners.partner.shared
// or .unshared with the card as PartnerChanged).
grpc::Status PartnerServiceImpl::ChangeSharing(grpc::ServerContext* context, const char* method,
                                               kernel::Sharing sharing, std::int64_t id,
                                               std::int64_t user_id, std::int64_t team_id,
                                               v1::Partner* response) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, method, [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    const auto partner = repository::FindPartner(session, id, partners::VisibilityOf(caller), true);
    if (!partner) return NotFound(id);
    v1::PartnerChanged changed;
    *changed.mutable_partner() = *partner;
    if (auto status =
            kernel::ChangeSharing(sharing, services_.audit, services_.events, session, caller,
                                  kPartnerResource, changed, partner->id(), user_id, team_id);
        !status.ok()) {
      return status;
    }
    *response = *partner;
    transaction.Commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
