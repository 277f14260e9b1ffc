#include "invoicing_module.h"

#include <fmt/format.h>
#include <spdlog/logger.h>

#include <map>
#include <stdexcept>

#include "demo_data.h"
#include "invoices/invoice_parties.h"
#include "invoices/invoice_service.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/options.h"
#include "nav/manage_invoice.h"
#include "other_modules.h"
#include "overview_service.h"
#include "payments/payment_service.h"

namespace karton::invoicing {
namespace {

// invoicing.nav_* (docs/invoicing.md, "Sending to NAV"): unset without
// invoicing.nav_base_url. Checked here by building a request with them,
// so a value NAV's schema refuses stops the start, naming the option.
std::optional<nav::NavConnection> NavOptions(kernel::ModuleContext& context,
                                             const v1::InvoiceParty& seller) {
  const auto option = [&context](const char* key, const char* fallback = "") {
    return context.Option(key).value_or(fallback);
  };
  const std::string base_url = option("nav_base_url");
  if (base_url.empty()) {
    for (const char* key : {"nav_login", "nav_password", "nav_signature_key", "nav_exchange_key"}) {
      if (!option(key).empty()) {
        throw std::invalid_argument(fmt::format(
            "--module-option invoicing.{} is set but invoicing.nav_base_url is not: set it to "
            "send invoices to NAV, or drop the nav_* options",
            key));
      }
    }
    return std::nullopt;
  }
  if (base_url.rfind("https://", 0) != 0 && base_url.rfind("http://", 0) != 0) {
    throw std::invalid_argument(
        "--module-option invoicing.nav_base_url must be an http(s) URL, "
        "https://api.onlineszamla.nav.gov.hu/invoiceService/v3, not '" +
        base_url + "'");
  }
  nav::NavConnection connection;
  connection.base_url = base_url;
  while (connection.base_url.ends_with('/')) connection.base_url.pop_back();
  connection.user = {.login = option("nav_login"),
                     .password = option("nav_password"),
                     .signature_key = option("nav_signature_key"),
                     .tax_number = seller.tax_number()};
  connection.exchange_key = option("nav_exchange_key");
  connection.software.id = option("nav_software_id");
  connection.software.name = option("nav_software_name", "Karton");
  connection.software.main_version = option("nav_software_version", "1.0");
  connection.software.dev_name = option("nav_software_dev_name");
  connection.software.dev_contact = option("nav_software_dev_contact");
  connection.software.dev_country_code = option("nav_software_dev_country_code");
  connection.software.dev_tax_number = option("nav_software_dev_tax_number");
  // A job makes two calls (token, report); at 120 s each they end well
  // inside the job queue's 300 s claim, so no second worker takes it over
  // while the first still waits for NAV.
  connection.timeout =
      std::chrono::seconds(kernel::IntegerOption(context, "nav_timeout_seconds", 60, 1, 120));
  if (connection.exchange_key.size() != 16) {
    throw std::invalid_argument(
        "--module-option invoicing.nav_exchange_key must be the technical user's 16-character "
        "exchange key (cserekulcs)");
  }
  if (seller.tax_number().empty()) {
    throw std::invalid_argument(
        "--module-option invoicing.seller_tax_number is required to send invoices to NAV");
  }
  static const std::map<std::string, std::string> kOptionOf = {
      {"user.login", "nav_login"},
      {"user.password", "nav_password"},
      {"user.signature_key", "nav_signature_key"},
      {"user.tax_number", "seller_tax_number"},
      {"software.id", "nav_software_id"},
      {"software.name", "nav_software_name"},
      {"software.main_version", "nav_software_version"},
      {"software.dev_name", "nav_software_dev_name"},
      {"software.dev_contact", "nav_software_dev_contact"},
      {"software.dev_country_code", "nav_software_dev_country_code"},
      {"software.dev_tax_number", "nav_software_dev_tax_number"}};
  try {
    (void)nav::TokenExchangeXml({"KRTOPTIONCHECK", context.Time().Now()}, connection.user,
                                connection.software);
  } catch (const std::invalid_argument& refused) {
    const std::string what = refused.what();
    const auto colon = what.find(": ");
    const auto found = kOptionOf.find(what.substr(0, colon));
    throw std::invalid_argument(fmt::format(
        "--module-option invoicing.{} {}", found == kOptionOf.end() ? "nav_*" : found->second,
        colon == std::string::npos ? what : what.substr(colon + 2)));
  }
  return connection;
}

}  // namespace

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

  settings_.nav = NavOptions(context, seller);
  if (!settings_.nav) {
    context.Log().info("sending invoices to NAV is off (no invoicing.nav_base_url)");
  }

  others_ = std::make_unique<GrpcOtherModules>([&context] { return context.Channel(); });
  kernel::ServiceParts parts = kernel::PartsOf(context);
  InvoiceServiceImpl::DeclareTopics(context.Events());
  PaymentServiceImpl::DeclareTopics(context.Events());
  invoices_ = std::make_unique<InvoiceServiceImpl>(parts, context.JobQueue(), *others_, settings_);
  context.JobQueue().Handle(InvoiceServiceImpl::kOverdueJob,
                            [this](const kernel::JobRun& run) { invoices_->AnnounceOverdue(run); });
  context.JobQueue().Handle(InvoiceServiceImpl::kNavSubmitJob,
                            [this](const kernel::JobRun& run) { invoices_->SubmitToNav(run); });
  context.JobQueue().Handle(InvoiceServiceImpl::kNavPollJob,
                            [this](const kernel::JobRun& run) { invoices_->PollNav(run); });
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
