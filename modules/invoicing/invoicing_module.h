// The invoicing module (docs/invoicing.md): invoices with gap-free numbers,
// payments, partner balances and risk classes; it answers orders' credit
// check.
#pragma once

#include <memory>

#include "invoicing_settings.h"
#include "karton/kernel/module.h"

namespace karton::invoicing {

class GrpcOtherModules;
class InvoiceServiceImpl;
class InvoicingOverviewServiceImpl;
class PaymentServiceImpl;

class InvoicingModule final : public kernel::Module {
 public:
  static constexpr KartonModuleOption kOptions[] = {
      {"series", "text", "The invoice number prefix, 1 to 10 capital letters or digits: KRT", "KRT",
       ""},
      {"payment_terms_days", "integer",
       "Days from issue to due when an invoice names no due date, 0 to 365", "8", ""},
      {"time_zone", "text", "The zone of issue and due dates (an IANA name PostgreSQL knows)",
       "Europe/Budapest", ""},
      {"seller_name", "text", "The seller's name on every invoice: Fűtésszerviz Kft.", "", ""},
      {"seller_tax_number", "text", "The seller's Hungarian tax number: 12345678-2-42", "", ""},
      {"seller_eu_vat_number", "text", "The seller's community VAT number: HU12345678", "", ""},
      {"seller_country", "text", "The seller's country, ISO 3166 alpha-2", "HU", ""},
      {"seller_postal_code", "text", "The seller's postal code", "", ""},
      {"seller_city", "text", "The seller's city", "", ""},
      {"seller_street", "text", "The seller's street address", "", ""},
      {"seller_bank_account", "text", "The account buyers pay to (IBAN or GIRO)", "", ""},
      // Sending issued invoices to NAV Online Számla: off without nav_base_url.
      {"nav_base_url", "url",
       "NAV Online Számla's API, https://api.onlineszamla.nav.gov.hu/invoiceService/v3; "
       "unset: invoices are not sent",
       "", ""},
      {"nav_login", "text", "The NAV technical user's login", "", ""},
      {"nav_password", "text", "The NAV technical user's password", "", ""},
      {"nav_signature_key", "text", "The NAV technical user's signature key (aláírókulcs)", "", ""},
      {"nav_exchange_key", "text",
       "The NAV technical user's exchange key (cserekulcs), 16 characters", "", ""},
      {"nav_software_id", "text", "The software id sent to NAV, 18 capitals, digits and dashes", "",
       ""},
      {"nav_software_name", "text", "The software name sent to NAV", "Karton", ""},
      {"nav_software_version", "text", "The software version sent to NAV", "1.0", ""},
      {"nav_software_dev_name", "text", "The software developer's name sent to NAV", "", ""},
      {"nav_software_dev_contact", "text", "The software developer's e-mail sent to NAV", "", ""},
      {"nav_software_dev_country_code", "text", "The developer's country (ISO alpha-2), optional",
       "", ""},
      {"nav_software_dev_tax_number", "text", "The developer's tax number, optional", "", ""},
      {"nav_timeout_seconds", "integer", "How long one call to NAV may take, 1 to 120", "60", ""},
  };

  InvoicingModule();
  ~InvoicingModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  InvoicingSettings settings_;
  std::unique_ptr<GrpcOtherModules> others_;
  std::unique_ptr<InvoiceServiceImpl> invoices_;
  std::unique_ptr<PaymentServiceImpl> payments_;
  std::unique_ptr<InvoicingOverviewServiceImpl> overview_;
};

}  // namespace karton::invoicing
