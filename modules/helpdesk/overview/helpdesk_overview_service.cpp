#include "overview/helpdesk_overview_service.h"

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "partner_directory.h"
#include "scope.h"
#include "tickets/ticket_repository.h"

namespace karton::helpdesk {
namespace {

constexpr int kShown = 20;

}  // namespace

kernel::MethodRoles HelpdeskOverviewServiceImpl::Roles() {
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kernel::kRoleExternalPartner);
  return {{"CustomerOverviewSection", readers}};
}

grpc::Status HelpdeskOverviewServiceImpl::CustomerOverviewSection(
    grpc::ServerContext* context, const common::v1::CustomerOverviewSectionRequest* request,
    common::v1::CustomerOverviewSection* response) {
  if (request->partner_id() <= 0) return kernel::InvalidField("partner_id", "is required");
  // A partner the caller cannot see (or that does not exist) has no
  // section, NOT_FOUND, as in the CRM's overview and the other sections.
  if (auto status = partners_.CheckPartner(context, request->partner_id()); !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "CustomerOverviewSection", [&]() -> grpc::Status {
    ticket_repository::ListFilter filter;
    filter.partner_id = request->partner_id();
    filter.open_only = true;
    v1::HelpdeskOverview overview;
    {
      auto lease = parts_.database.Acquire();
      for (auto& ticket : ticket_repository::List(lease.Session(),
                                                  ScopeOf(kernel::CallerOf(*context)), filter,
                                                  0, kShown)) {
        if (ticket.sla_state() == v1::SLA_STATE_BREACHED) {
          overview.set_breached_count(overview.breached_count() + 1);
        }
        *overview.add_open_tickets() = std::move(ticket);
      }
    }
    response->set_module("helpdesk");
    response->set_title("Hibajegyek");
    response->mutable_content()->PackFrom(overview);
    return grpc::Status::OK;
  });
}

}  // namespace karton::helpdesk
