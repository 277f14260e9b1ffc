#include "demo_data.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "invoices/invoice_lines.h"
#include "invoices/invoice_parties.h"
#include "invoices/invoice_repository.h"
#include "invoices/invoice_service.h"
#include "karton/kernel/module.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"
#include "payments/payment_repository.h"

namespace karton::invoicing {
namespace {

v1::InvoiceLine Line(const char* description, const char* quantity, std::int64_t huf,
                     common::v1::VatCategory vat = common::v1::VAT_CATEGORY_STANDARD_27) {
  v1::InvoiceLine line;
  line.set_description(description);
  line.set_quantity(quantity);
  line.mutable_unit_price()->set_currency_code("HUF");
  line.mutable_unit_price()->set_minor_units(huf * 100);
  line.set_vat_category(vat);
  return line;
}

// The buyer as issuing copies it from the partner card.
const kernel::TypedQuery<partners::v1::Partner> kDemoBuyer(
    "SELECT kind, display_name, legal_name, tax_number, eu_vat_number, addresses "
    "FROM partners.partner WHERE id = $1");

// The seller of the demo invoices when kartond names none (tools/run
// does): an invoice needs one, and demo data must not stop a start.
v1::InvoiceParty DemoSeller(const InvoicingSettings& settings) {
  if (MissingSellerSetting(settings.seller).empty()) return settings.seller;
  v1::InvoiceParty seller;
  seller.set_name("Karton Fűtésszerviz Kft.");
  seller.set_tax_number("12345676-2-41");
  seller.set_eu_vat_number("HU12345676");
  seller.mutable_address()->set_type(common::v1::ADDRESS_TYPE_BILLING);
  seller.mutable_address()->set_country("HU");
  seller.mutable_address()->set_postal_code("1132");
  seller.mutable_address()->set_city("Budapest");
  seller.mutable_address()->set_street("Váci út 18.");
  seller.set_bank_account("11773016-11111111-00000000");
  return seller;
}

}  // namespace

void LoadInvoicingDemoData(kernel::ModuleContext& context, soci::session& session,
                           const InvoicingSettings& settings) {
  const auto now = context.Time().Now();
  std::vector<std::int64_t> partners;
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id FROM partners.partner WHERE merged_into_id IS NULL AND erase_time IS NULL "
      "ORDER BY id LIMIT 4",
      {});
  for (int row = 0; row < rows.Count(); ++row) {
    partners.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  }
  if (partners.empty()) return;
  const auto partner = [&](std::size_t i) { return partners[i % partners.size()]; };

  // What each demo invoice becomes: paid in full, partly paid, overdue
  // (due 40 days ago, nothing paid), a draft, and one cancelled by a storno
  // (a credit note).
  struct Demo {
    std::int64_t partner;
    std::vector<v1::InvoiceLine> lines;
    const char* fate;
  };
  const std::vector<Demo> demos = {
      {partner(0), {Line("Éves karbantartás", "2", 29'900)}, "paid"},
      {partner(1),
       {Line("Kondenzációs gázkazán 35 kW", "1", 629'000),
        Line("Kezelési kézikönyv", "1", 4'990, common::v1::VAT_CATEGORY_REDUCED_5)},
       "partly paid"},
      {partner(2), {Line("Szerelési munkadíj", "6", 14'500)}, "overdue"},
      {partner(3), {Line("Okostermosztát Wi-Fi", "3", 39'900)}, "draft"},
      {partner(0), {Line("Radiátor csere", "2", 48'500)}, "cancelled"},
  };
  const v1::InvoiceParty seller = DemoSeller(settings);
  const std::string today = invoice_repository::Today(session, now, settings.time_zone);
  const int year = std::stoi(today.substr(0, 4));
  for (const auto& demo : demos) {
    v1::Invoice invoice;
    invoice.set_partner_id(demo.partner);
    invoice.set_currency_code("HUF");
    for (const auto& line : demo.lines) *invoice.add_lines() = line;
    if (!PriceLines(*invoice.mutable_lines(), "HUF", "invoice.").empty()) {
      throw std::runtime_error("invoicing demo data: a line does not price");
    }
    *invoice.mutable_totals() = TotalsOf(invoice.lines(), "HUF", 1'000'000);
    auto created = invoice_repository::Insert(session, invoice, 1'000'000, 0, "", now);
    const std::string fate = demo.fate;
    if (fate == "draft") continue;
    invoice_repository::Issuing issuing;
    issuing.id = created->id();
    issuing.number = fmt::format("{}-{}-{:06}", settings.series, year,
                                 invoice_repository::TakeNumber(session, settings.series, year));
    issuing.issue_date = today;
    issuing.payment_terms_days = settings.payment_terms_days;
    issuing.vat_huf_minor = invoice.totals().vat_amount_huf().minor_units();
    issuing.seller = seller;
    if (auto buyer = kDemoBuyer.One(session, {std::to_string(demo.partner)})) {
      issuing.buyer = BuyerOf(*buyer);
    }
    auto issued = invoice_repository::Issue(session, issuing, now);
    const std::int64_t gross = issued.totals().gross_amount().minor_units();
    if (fate == "cancelled") {
      // The storno: every line taken back, numbered next, settling it.
      v1::Invoice storno = invoice;
      storno.set_kind(v1::INVOICE_KIND_STORNO);
      storno.set_original_invoice_id(issued.id());
      storno.set_reason("A megrendelő visszalépett; a munka elmaradt.");
      for (auto& line : *storno.mutable_lines()) line.set_quantity("-" + line.quantity());
      if (!PriceLines(*storno.mutable_lines(), "HUF", "invoice.").empty()) {
        throw std::runtime_error("invoicing demo data: a storno line does not price");
      }
      *storno.mutable_totals() = TotalsOf(storno.lines(), "HUF", 1'000'000);
      auto note = invoice_repository::Insert(session, storno, 1'000'000, 0, "", now);
      invoice_repository::Issuing cancelling = issuing;
      cancelling.id = note->id();
      cancelling.number =
          fmt::format("{}-{}-{:06}", settings.series, year,
                      invoice_repository::TakeNumber(session, settings.series, year));
      cancelling.vat_huf_minor = storno.totals().vat_amount_huf().minor_units();
      cancelling.modification_index = 1;
      cancelling.line_number_offset = invoice.lines_size();
      invoice_repository::Issue(session, cancelling, now);
      invoice_repository::ApplyCredit(session, note->id(), issued.id(), today);
      continue;
    }
    if (fate == "overdue") {
      kernel::RunPrepared(
          session,
          "UPDATE invoicing.invoice SET issue_date = $2::date - 48, "
          "fulfillment_date = $2::date - 48, due_date = $2::date - 40 WHERE id = $1",
          {std::to_string(issued.id()), today});
      // Its notice is due already: the job runs as soon as kartond starts.
      ScheduleOverdueNotice(context.JobQueue(), session,
                            *invoice_repository::Find(session, issued.id()), settings);
      continue;
    }
    v1::Payment payment;
    payment.set_invoice_id(issued.id());
    payment.mutable_amount()->set_currency_code("HUF");
    payment.mutable_amount()->set_minor_units(fate == "paid" ? gross : gross / 200 * 100);
    payment.set_method(v1::PAYMENT_METHOD_TRANSFER);
    payment.set_reference(fate == "paid" ? "OTP 2026/118" : "K&H 2026/077");
    payment_repository::Insert(session, payment, v1::PAYMENT_KIND_PAYMENT, today, 0, "", now);
  }
}

}  // namespace karton::invoicing
