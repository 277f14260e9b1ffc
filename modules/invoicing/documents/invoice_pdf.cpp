#include "documents/invoice_pdf.h"

#include <fmt/format.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/money.h"
#include "karton/pdf/hungarian_text.h"
#include "karton/pdf/sheet.h"

namespace karton::invoicing {
namespace {

using pdf::Baseline;
using pdf::Column;
using pdf::Height;
using pdf::kBodyFont;
using pdf::kBoldFont;
using pdf::kLeft;
using pdf::kNameFont;
using pdf::kNumberFont;
using pdf::kSectionGap;
using pdf::kTitleFont;
using pdf::Mm;
using pdf::Sheet;
using pdf::Table;
using pdf::VatLabel;
constexpr double kWidth = pdf::kContentWidth;

std::string TitleOf(v1::InvoiceKind kind) {
  switch (kind) {
    case v1::INVOICE_KIND_MODIFICATION:
      return "Módosító számla";
    case v1::INVOICE_KIND_STORNO:
      return "Sztornó számla";
    default:
      // Invoices stored before credit notes existed have no kind.
      return "Számla";
  }
}

bool IsCreditNote(const v1::Invoice& invoice) {
  return invoice.kind() == v1::INVOICE_KIND_MODIFICATION ||
         invoice.kind() == v1::INVOICE_KIND_STORNO;
}

std::string PaymentMethodText(v1::PaymentMethod method) {
  switch (method) {
    case v1::PAYMENT_METHOD_CASH:
      return "Készpénz";
    case v1::PAYMENT_METHOD_CARD:
      return "Bankkártya";
    default:
      return "Átutalás";  // the proto's default
  }
}

// Money through the kernel's one format; an amount without a currency is
// in the invoice's.
std::string MoneyText(const common::v1::Money& money, const std::string& currency) {
  return kernel::FormatMoney(money.minor_units(),
                             money.currency_code().empty() ? currency : money.currency_code());
}

void PlaceTitle(Sheet& sheet, const v1::Invoice& invoice) {
  PangoLayout* title = sheet.Text(kTitleFont, TitleOf(invoice.kind()), kWidth / 2);
  PangoLayout* number =
      sheet.Text(kNumberFont, "Sorszám: " + invoice.number(), kWidth / 2, PANGO_ALIGN_RIGHT);
  sheet.Put(title, kLeft, sheet.Y());
  sheet.Put(number, kLeft + kWidth / 2, sheet.Y() + Baseline(title) - Baseline(number));
  sheet.Advance(Height(title) + Mm(2));
  if (!IsCreditNote(invoice)) return;
  std::string details = "Az eredeti számla száma: " + invoice.original_number();
  if (invoice.modification_index() > 0) {
    details += "\nA módosítás sorszáma: " + std::to_string(invoice.modification_index());
  }
  if (!invoice.reason().empty()) details += "\nA módosítás oka: " + invoice.reason();
  sheet.Flow(sheet.Text(kBodyFont, details, kWidth), kLeft);
}

void PlaceParties(Sheet& sheet, const v1::Invoice& invoice) {
  constexpr double kColumnWidth = (kWidth - Mm(10)) / 2;
  const auto details = [](const v1::InvoiceParty& party, bool seller) {
    std::string text = pdf::AddressLines(party.address());
    const auto line = [&](const std::string& label, const std::string& value) {
      if (value.empty()) return;
      if (!text.empty()) text += '\n';
      text += label + ": " + value;
    };
    // A private person has no tax numbers to print, whatever a partner
    // card held.
    if (seller || !party.private_person()) {
      line("Adószám", party.tax_number());
      line("Közösségi adószám", party.eu_vat_number());
    }
    if (seller) line("Bankszámlaszám", party.bank_account());
    return text;
  };
  double bottom = sheet.Y();
  const auto place = [&](double x, const char* heading, const v1::InvoiceParty& party,
                         bool seller) {
    double y = sheet.Y();
    PangoLayout* label = sheet.Text(kBoldFont, heading, kColumnWidth);
    sheet.Put(label, x, y);
    y += Height(label) + 1;
    sheet.Rule(x, y, kColumnWidth, 0.6);
    y += Mm(1.5);
    PangoLayout* name = sheet.Text(kNameFont, party.name(), kColumnWidth);
    sheet.Put(name, x, y);
    y += Height(name) + 1;
    PangoLayout* rest = sheet.Text(kBodyFont, details(party, seller), kColumnWidth);
    sheet.Put(rest, x, y);
    bottom = std::max(bottom, y + Height(rest));
  };
  place(kLeft, "Eladó", invoice.seller(), true);
  place(kLeft + kColumnWidth + Mm(10), "Vevő", invoice.buyer(), false);
  sheet.Advance(bottom - sheet.Y());
}

void PlaceDates(Sheet& sheet, const v1::Invoice& invoice, const std::string& currency,
                bool foreign) {
  std::vector<std::string> headers = {"Kelte", "Teljesítés dátuma", "Fizetési határidő",
                                      "Fizetési mód", "Pénznem"};
  std::vector<std::string> values = {pdf::HungarianDate(invoice.issue_date()),
                                     pdf::HungarianDate(invoice.fulfillment_date()),
                                     pdf::HungarianDate(invoice.due_date()),
                                     PaymentMethodText(invoice.payment_method()), currency};
  if (foreign) {
    headers.push_back("Árfolyam");
    values.push_back("1 " + currency + " = " + invoice.exchange_rate() + " HUF");
  }
  std::vector<Column> columns;
  for (const std::string& header : headers) {
    columns.push_back({header, kWidth / static_cast<double>(headers.size()), PANGO_ALIGN_LEFT});
  }
  Table table(sheet, std::move(columns), kLeft);
  table.Row(values);
}

void PlaceLines(Sheet& sheet, const v1::Invoice& invoice, const std::string& currency) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::InvoiceLine& line : invoice.lines()) {
    const bool discounted = !line.discount_percent().empty() && line.discount_percent() != "0";
    rows.push_back(
        {std::to_string(line.position()), line.description(), line.quantity() + " " + line.unit(),
         MoneyText(line.unit_price(), currency), discounted ? line.discount_percent() + "%" : "",
         MoneyText(line.net_amount(), currency), VatLabel(line.vat_category()),
         MoneyText(line.vat_amount(), currency), MoneyText(line.gross_amount(), currency)});
  }
  pdf::PlaceLinesTable(sheet,
                       {"#", "Megnevezés", "Mennyiség", "Egységár (nettó)", "Kedv.", "Nettó érték",
                        "ÁFA-kulcs", "ÁFA", "Bruttó érték"},
                       rows);
}

void PlaceSummary(Sheet& sheet, const v1::Invoice& invoice, const std::string& currency,
                  bool foreign) {
  const v1::InvoiceTotals& totals = invoice.totals();
  std::vector<Column> columns = {{"ÁFA-kulcs", 60, PANGO_ALIGN_LEFT},
                                 {"Nettó érték", 90, PANGO_ALIGN_RIGHT},
                                 {"ÁFA", 90, PANGO_ALIGN_RIGHT},
                                 {"Bruttó érték", 90, PANGO_ALIGN_RIGHT}};
  // NAV wants the VAT of a foreign-currency invoice in forints as well.
  if (foreign) columns.push_back({"ÁFA (HUF)", 90, PANGO_ALIGN_RIGHT});
  Table table = pdf::PlaceHeadedTableAtRight(sheet, "ÁFA-összesítő", std::move(columns));
  std::vector<common::v1::VatCategory> categories;
  for (const v1::VatSummaryRow& row : totals.vat_summary()) {
    const std::int64_t gross =
        pdf::GrossOf(row.net_amount().minor_units(), row.vat_amount().minor_units());
    std::vector<std::string> cells = {
        VatLabel(row.vat_category()), MoneyText(row.net_amount(), currency),
        MoneyText(row.vat_amount(), currency),
        kernel::FormatMoney(gross, row.net_amount().currency_code().empty()
                                       ? currency
                                       : row.net_amount().currency_code())};
    if (foreign) cells.push_back(MoneyText(row.vat_amount_huf(), "HUF"));
    table.Row(cells);
    categories.push_back(row.vat_category());
  }
  std::vector<std::string> sums = {"Összesen", MoneyText(totals.net_amount(), currency),
                                   MoneyText(totals.vat_amount(), currency),
                                   MoneyText(totals.gross_amount(), currency)};
  if (foreign) sums.push_back(MoneyText(totals.vat_amount_huf(), "HUF"));
  table.Row(sums, true);
  sheet.Advance(Mm(3));

  pdf::PlaceGrandTotal(sheet, "Bruttó végösszeg: " + MoneyText(totals.gross_amount(), currency));
  if (foreign) {
    sheet.Flow(
        sheet.Text(kBodyFont,
                   "Az áfa összege forintban: " + MoneyText(totals.vat_amount_huf(), "HUF") +
                       " (árfolyam: 1 " + currency + " = " + invoice.exchange_rate() + " HUF)",
                   kWidth, PANGO_ALIGN_RIGHT),
        kLeft);
  }
  pdf::PlaceSmallPrint(sheet, pdf::VatReasonLines(categories));
}

void PlaceNote(Sheet& sheet, const v1::Invoice& invoice) {
  if (invoice.note().empty()) return;
  PangoLayout* heading = sheet.Text(kBoldFont, "Megjegyzés", kWidth);
  sheet.KeepRoom(Height(heading) * 2);
  sheet.Put(heading, kLeft, sheet.Y());
  sheet.Advance(Height(heading) + 1);
  sheet.Flow(sheet.Text(kBodyFont, invoice.note(), kWidth), kLeft);
}

void CheckPrintable(const v1::Invoice& invoice, bool foreign) {
  // A draft printed would look like an invoice without being one.
  if (invoice.state() != v1::INVOICE_STATE_ISSUED || invoice.number().empty()) {
    throw std::invalid_argument("only an issued invoice (with a number) can be printed");
  }
  if (foreign && invoice.exchange_rate().empty()) {
    throw std::invalid_argument("a foreign-currency invoice needs its exchange rate");
  }
  if (IsCreditNote(invoice) && invoice.original_number().empty()) {
    throw std::invalid_argument("a credit note needs its original invoice's number");
  }
  pdf::CheckUtf8Fields(invoice, "invoice");
}

}  // namespace

std::string RenderInvoicePdf(const v1::Invoice& invoice) {
  const std::string currency = invoice.currency_code().empty() ? "HUF" : invoice.currency_code();
  const bool foreign = currency != "HUF";
  CheckPrintable(invoice, foreign);

  pdf::BusinessDocument document(invoice.number());
  Sheet& sheet = document.Sheet();
  PlaceTitle(sheet, invoice);
  sheet.Advance(kSectionGap);
  PlaceParties(sheet, invoice);
  sheet.Advance(kSectionGap);
  PlaceDates(sheet, invoice, currency, foreign);
  sheet.Advance(kSectionGap);
  PlaceLines(sheet, invoice, currency);
  sheet.Advance(kSectionGap);
  PlaceSummary(sheet, invoice, currency, foreign);
  sheet.Advance(kSectionGap);
  PlaceNote(sheet, invoice);
  return document.Finish(TitleOf(invoice.kind()) + " " + invoice.number());
}

}  // namespace karton::invoicing
