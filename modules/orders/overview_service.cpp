#include "overview_service.h"

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "orders/order_repository.h"
#include "partner_directory.h"
#include "quotations/quotation_repository.h"

namespace karton::orders {
namespace {

constexpr int kShown = 20;

}  // namespace

kernel::MethodRoles OrdersOverviewServiceImpl::Roles() {
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kernel::kRoleExternalPartner);
  return {{"CustomerOverviewSection", readers}};
}

grpc::Status OrdersOverviewServiceImpl::CustomerOverviewSection(
    grpc::ServerContext* context, const common::v1::CustomerOverviewSectionRequest* request,
    common::v1::CustomerOverviewSection* response) {
  if (request->partner_id() <= 0) return kernel::InvalidField("partner_id", "is required");
  // The card decides, as in the CRM's overview and the other sections: a
  // partner the caller cannot see (or that does not exist) has no section,
  // NOT_FOUND, rather than an empty one.
  PartnerFacts partner;
  if (auto status = partners_.FindPartner(context, request->partner_id(), partner); !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "CustomerOverviewSection", [&]() -> grpc::Status {
    const Visibility visibility = VisibilityOf(kernel::CallerOf(*context));
    v1::OrdersOverview overview;
    auto lease = parts_.database.Acquire();
    for (auto& quotation : quotation_repository::ListOpen(lease.Session(), visibility,
                                                          request->partner_id(), kShown)) {
      *overview.add_open_quotations() = std::move(quotation);
    }
    for (auto& order :
         order_repository::ListOpen(lease.Session(), visibility, request->partner_id(), kShown)) {
      *overview.add_open_orders() = std::move(order);
    }
    for (const auto& [currency, gross] : order_repository::OpenGrossByCurrency(
             lease.Session(), visibility, request->partner_id())) {
      auto* sum = overview.add_open_orders_gross();
      sum->set_currency_code(currency);
      sum->set_minor_units(gross);
    }
    response->set_module("orders");
    response->set_title("Ajánlatok és megrendelések");
    response->mutable_content()->PackFrom(overview);
    return grpc::Status::OK;
  });
}

}  // namespace karton::orders
