#include "overview_service.h"

#include "invoices/invoice_repository.h"
#include "karton/kernel/database.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/sharing.h"
#include "other_modules.h"
#include "payments/payment_repository.h"
#include "payments/payment_service.h"

namespace karton::invoicing {
namespace {

constexpr int kOpenShown = 20;
constexpr int kPaymentsShown = 10;

}  // namespace

kernel::MethodRoles InvoicingOverviewServiceImpl::Roles() {
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kernel::kRoleExternalPartner);
  return {{"CustomerOverviewSection", readers}};
}

grpc::Status InvoicingOverviewServiceImpl::CustomerOverviewSection(
    grpc::ServerContext* context, const common::v1::CustomerOverviewSectionRequest* request,
    common::v1::CustomerOverviewSection* response) {
  if (request->partner_id() <= 0) return kernel::InvalidField("partner_id", "is required");
  const kernel::Caller caller = kernel::CallerOf(*context);
  const auto visibility = kernel::VisibilityOf(caller);
  // The credit limit as the card holds it, read as the caller (who may
  // not see the partner: then there is no section for them).
  partners::v1::Partner partner;
  if (auto status = others_.GetPartner(context, request->partner_id(), partner); !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "CustomerOverviewSection", [&]() -> grpc::Status {
    v1::InvoicingOverview overview;
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    const std::string today =
        invoice_repository::Today(session, parts_.clock.Now(), settings_.time_zone);
    for (auto& invoice :
         invoice_repository::ListOpen(session, visibility, request->partner_id(), kOpenShown)) {
      if (kernel::DateText(invoice.due_date()) < today) {
        overview.set_overdue_invoice_count(overview.overdue_invoice_count() + 1);
      }
      *overview.add_open_invoices() = std::move(invoice);
    }
    // What the partner owes and how they pay is the company's own view.
    if (visibility.everything) {
      for (auto& payment :
           payment_repository::Recent(session, request->partner_id(), kPaymentsShown)) {
        *overview.add_recent_payments() = std::move(payment);
      }
      *overview.mutable_balance() = PartnerBalanceOf(session, request->partner_id(), "HUF", today);
      if (partner.has_credit_limit()) *overview.mutable_credit_limit() = partner.credit_limit();
    }
    response->set_module("invoicing");
    response->set_title("Számlák és egyenleg");
    response->mutable_content()->PackFrom(overview);
    return grpc::Status::OK;
  });
}

}  // namespace karton::invoicing
