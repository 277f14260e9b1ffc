#include "demo_data.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "invoices/invoice_lines.h"
#include "invoices/invoice_repository.h"
#include "karton/kernel/module.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
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
  // (due 40 days ago, nothing paid), and a draft.
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
  };
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
    const int sequence = invoice_repository::TakeNumber(session, settings.series, year);
    auto issued = invoice_repository::Issue(
        session, created->id(), fmt::format("{}-{}-{:06}", settings.series, year, sequence), today,
        settings.payment_terms_days, invoice.totals().vat_amount_huf().minor_units(), now);
    const std::int64_t gross = issued.totals().gross_amount().minor_units();
    if (fate == "overdue") {
      kernel::RunPrepared(
          session,
          "UPDATE invoicing.invoice SET issue_date = $2::date - 48, "
          "fulfillment_date = $2::date - 48, due_date = $2::date - 40 WHERE id = $1",
          {std::to_string(issued.id()), today});
      continue;
    }
    v1::Payment payment;
    payment.set_invoice_id(issued.id());
    payment.mutable_amount()->set_currency_code("HUF");
    payment.mutable_amount()->set_minor_units(fate == "paid" ? gross : gross / 200 * 100);
    payment.set_method(v1::PAYMENT_METHOD_TRANSFER);
    payment.set_reference(fate == "paid" ? "OTP 2026/118" : "K&H 2026/077");
    payment_repository::Insert(session, payment, today, 0, "", now);
  }
}

}  // namespace karton::invoicing
