#include "invoicing_module.h"

#include <stdexcept>

#include "demo_data.h"
#include "invoices/invoice_parties.h"
#include "invoices/invoice_service.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/options.h"
#include "other_modules.h"
#include "overview_service.h"
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
  auto& seller = settings_.seller;
  seller.set_name(context.Option("seller_name").value_or(""));
  seller.set_tax_number(context.Option("seller_tax_number").value_or(""));
  seller.set_eu_vat_number(context.Option("seller_eu_vat_number").value_or(""));
  seller.mutable_address()->set_type(common::v1::ADDRESS_TYPE_BILLING);
  seller.mutable_address()->set_country(context.Option("seller_country").value_or("HU"));
  seller.mutable_address()->set_postal_code(context.Option("seller_postal_code").value_or(""));
  seller.mutable_address()->set_city(context.Option("seller_city").value_or(""));
  seller.mutable_address()->set_street(context.Option("seller_street").value_or(""));
  seller.set_bank_account(context.Option("seller_bank_account").value_or(""));
  if (!seller.tax_number().empty() && !IsHungarianTaxNumber(seller.tax_number())) {
    throw std::invalid_argument(
        "--module-option invoicing.seller_tax_number must be a Hungarian tax number, "
        "12345678-2-42, not '" +
        seller.tax_number() + "'");
  }

  others_ = std::make_unique<GrpcOtherModules>([&context] { return context.Channel(); });
  ServiceParts parts{context.Db(), context.Time(), context.Audit(), context.Events(),
                     context.Log()};
  InvoiceServiceImpl::DeclareTopics(context.Events());
  PaymentServiceImpl::DeclareTopics(context.Events());
  invoices_ = std::make_unique<InvoiceServiceImpl>(parts, context.JobQueue(), *others_, settings_);
  context.JobQueue().Handle(InvoiceServiceImpl::kOverdueJob,
                            [this](const kernel::JobRun& run) { invoices_->AnnounceOverdue(run); });
  payments_ = std::make_unique<PaymentServiceImpl>(parts, settings_);
  registrar.AddGrpcService(*invoices_, v1::InvoiceService::service_full_name(),
                           InvoiceServiceImpl::Roles());
  registrar.AddGrpcService(*payments_, v1::PaymentService::service_full_name(),
                           PaymentServiceImpl::Roles());
  overview_ = std::make_unique<InvoicingOverviewServiceImpl>(parts, *others_, settings_);
  registrar.AddGrpcService(*overview_, v1::InvoicingOverviewService::service_full_name(),
                           InvoicingOverviewServiceImpl::Roles());
  // The partner card's section (the CRM's customer overview).
  registrar.OfferExtension(kOverviewSectionPoint,
                           "/karton.invoicing.v1.InvoicingOverviewService/CustomerOverviewSection");
  // What a partner owes on issued invoices counts in orders' credit check.
  registrar.OfferExtension("orders.credit_exposure",
                           "/karton.invoicing.v1.PaymentService/CreditExposure");
}

void InvoicingModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadInvoicingDemoData(context, session, settings_);
}

}  // namespace karton::invoicing
