#include "invoicing_module.h"

#include <stdexcept>

#include "demo_data.h"
#include "invoices/invoice_service.h"
#include "karton/kernel/options.h"
#include "other_modules.h"
#include "payments/payment_service.h"

namespace karton::invoicing {

InvoicingModule::InvoicingModule() = default;
InvoicingModule::~InvoicingModule() = default;

void InvoicingModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  settings_.series = context.Option("series").value_or(settings_.series);
  bool series_ok = !settings_.series.empty() && settings_.series.size() <= 10;
  for (char c : settings_.series)
    series_ok = series_ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  if (!series_ok) {
    throw std::invalid_argument(
        "--module-option invoicing.series must be 1 to 10 capital "
        "letters or digits, not '" +
        settings_.series + "'");
  }
  settings_.payment_terms_days = static_cast<int>(
      kernel::IntegerOption(context, "payment_terms_days", settings_.payment_terms_days, 0, 365));
  settings_.time_zone = context.Option("time_zone").value_or(settings_.time_zone);

  others_ = std::make_unique<GrpcOtherModules>([&context] { return context.Channel(); });
  ServiceParts parts{context.Db(), context.Time(), context.Audit(), context.Events(),
                     context.Log()};
  InvoiceServiceImpl::DeclareTopics(context.Events());
  PaymentServiceImpl::DeclareTopics(context.Events());
  invoices_ = std::make_unique<InvoiceServiceImpl>(parts, *others_, settings_);
  payments_ = std::make_unique<PaymentServiceImpl>(parts, settings_);
  registrar.AddGrpcService(*invoices_, v1::InvoiceService::service_full_name(),
                           InvoiceServiceImpl::Roles());
  registrar.AddGrpcService(*payments_, v1::PaymentService::service_full_name(),
                           PaymentServiceImpl::Roles());
  // What a partner owes on issued invoices counts in orders' credit check.
  registrar.OfferExtension("orders.credit_exposure",
                           "/karton.invoicing.v1.PaymentService/CreditExposure");
}

void InvoicingModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadInvoicingDemoData(context, session, settings_);
}

}  // namespace karton::invoicing
