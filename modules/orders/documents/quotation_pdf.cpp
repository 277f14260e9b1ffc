#include "documents/quotation_pdf.h"

#include <fmt/format.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "karton/kernel/money.h"
#include "karton/pdf/hungarian_text.h"
#include "karton/pdf/sheet.h"

namespace karton::orders {
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

// Every word the document prints, per language. The VAT Act's reasons
// stay Hungarian in both: they cite Hungarian law.
struct Words {
  const char* title;
  const char* number;
  const char* from;
  const char* to;
  const char* tax_number;
  const char* email;
  const char* phone;
  const char* contact;
  const char* date;
  const char* valid_until;
  const char* currency;
  std::vector<std::string> line_headers;
  const char* vat_rate;
  const char* net;
  const char* vat;
  const char* gross;
  const char* vat_summary;
  const char* total;
  const char* grand_total;
  const char* note;
  const char* validity;  // {} is the date
  const char* file_prefix;
};

const Words& WordsOf(DocumentLanguage language) {
  static const Words hungarian{"Árajánlat",
                               "Szám: ",
                               "Ajánlatot adó",
                               "Ajánlatkérő",
                               "Adószám",
                               "E-mail",
                               "Telefon",
                               "Kapcsolattartó",
                               "Kelte",
                               "Érvényes",
                               "Pénznem",
                               {"#", "Megnevezés", "Mennyiség", "Egységár (nettó)", "Kedv.",
                                "Nettó érték", "ÁFA-kulcs", "ÁFA", "Bruttó érték"},
                               "ÁFA-kulcs",
                               "Nettó érték",
                               "ÁFA",
                               "Bruttó érték",
                               "ÁFA-összesítő",
                               "Összesen",
                               "Bruttó végösszeg: ",
                               "Megjegyzés",
                               "Az ajánlat {} végéig érvényes.",
                               "Arajanlat"};
  static const Words english{"Quotation",
                             "No. ",
                             "From",
                             "To",
                             "Tax number",
                             "Email",
                             "Phone",
                             "Contact",
                             "Date",
                             "Valid until",
                             "Currency",
                             {"#", "Description", "Quantity", "Unit price (net)", "Disc.", "Net",
                              "VAT rate", "VAT", "Gross"},
                             "VAT rate",
                             "Net",
                             "VAT",
                             "Gross",
                             "VAT summary",
                             "Total",
                             "Total (gross): ",
                             "Note",
                             "This offer is valid until the end of {}.",
                             "Quotation"};
  return language == DocumentLanguage::kEnglish ? english : hungarian;
}

// Hungarian documents write "2026.12.01.", English ones the ISO date.
std::string DateText(const common::v1::Date& date, DocumentLanguage language) {
  if (language == DocumentLanguage::kHungarian) return pdf::HungarianDate(date);
  if (date.year() == 0) return "";
  return fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
}

std::string MoneyText(const common::v1::Money& money, const std::string& currency) {
  return kernel::FormatMoney(money.minor_units(),
                             money.currency_code().empty() ? currency : money.currency_code());
}

void PlaceTitle(Sheet& sheet, const QuotationPrint& print, const Words& words) {
  PangoLayout* title = sheet.Text(kTitleFont, words.title, kWidth / 2);
  PangoLayout* number = sheet.Text(kNumberFont, words.number + print.quotation.number(), kWidth / 2,
                                   PANGO_ALIGN_RIGHT);
  sheet.Put(title, kLeft, sheet.Y());
  sheet.Put(number, kLeft + kWidth / 2, sheet.Y() + Baseline(title) - Baseline(number));
  sheet.Advance(Height(title) + Mm(2));
}

void PlaceParties(Sheet& sheet, const QuotationPrint& print, const Words& words) {
  constexpr double kColumnWidth = (kWidth - Mm(10)) / 2;
  const auto labelled = [](std::string& text, const char* label, const std::string& value) {
    if (value.empty()) return;
    if (!text.empty()) text += '\n';
    text += std::string(label) + ": " + value;
  };
  std::string company = print.company.address;
  labelled(company, words.tax_number, print.company.tax_number);
  labelled(company, words.email, print.company.email);
  labelled(company, words.phone, print.company.phone);
  std::string customer = pdf::AddressLines(print.customer.address);
  labelled(customer, words.tax_number, print.customer.tax_number);
  labelled(customer, words.contact, print.customer.contact_name);

  double bottom = sheet.Y();
  const auto place = [&](double x, const char* heading, const std::string& name,
                         const std::string& details) {
    double y = sheet.Y();
    PangoLayout* label = sheet.Text(kBoldFont, heading, kColumnWidth);
    sheet.Put(label, x, y);
    y += Height(label) + 1;
    sheet.Rule(x, y, kColumnWidth, 0.6);
    y += Mm(1.5);
    PangoLayout* name_layout = sheet.Text(kNameFont, name, kColumnWidth);
    sheet.Put(name_layout, x, y);
    y += Height(name_layout) + 1;
    PangoLayout* rest = sheet.Text(kBodyFont, details, kColumnWidth);
    sheet.Put(rest, x, y);
    bottom = std::max(bottom, y + Height(rest));
  };
  place(kLeft, words.from, print.company.name, company);
  place(kLeft + kColumnWidth + Mm(10), words.to, print.customer.name, customer);
  sheet.Advance(bottom - sheet.Y());
}

void PlaceDates(Sheet& sheet, const QuotationPrint& print, const Words& words,
                const std::string& currency) {
  const double third = kWidth / 3;
  Table table(sheet,
              {{words.date, third, PANGO_ALIGN_LEFT},
               {words.valid_until, third, PANGO_ALIGN_LEFT},
               {words.currency, third, PANGO_ALIGN_LEFT}},
              kLeft);
  table.Row({DateText(print.date, print.language),
             DateText(print.quotation.valid_until(), print.language), currency});
}

void PlaceLines(Sheet& sheet, const QuotationPrint& print, const Words& words,
                const std::string& currency) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::SalesLine& line : print.quotation.lines()) {
    const bool discounted = !line.discount_percent().empty() && line.discount_percent() != "0";
    rows.push_back(
        {std::to_string(line.position()), line.description(), line.quantity() + " " + line.unit(),
         MoneyText(line.unit_price(), currency), discounted ? line.discount_percent() + "%" : "",
         MoneyText(line.net_amount(), currency), VatLabel(line.vat_category()),
         MoneyText(line.vat_amount(), currency), MoneyText(line.gross_amount(), currency)});
  }
  pdf::PlaceLinesTable(sheet, words.line_headers, rows);
}

void PlaceSummary(Sheet& sheet, const QuotationPrint& print, const Words& words,
                  const std::string& currency) {
  const v1::SalesTotals& totals = print.quotation.totals();
  std::vector<Column> columns = {{words.vat_rate, 60, PANGO_ALIGN_LEFT},
                                 {words.net, 90, PANGO_ALIGN_RIGHT},
                                 {words.vat, 90, PANGO_ALIGN_RIGHT},
                                 {words.gross, 90, PANGO_ALIGN_RIGHT}};
  Table table = pdf::PlaceHeadedTableAtRight(sheet, words.vat_summary, std::move(columns));
  std::vector<common::v1::VatCategory> categories;
  for (const v1::VatSubtotal& row : totals.by_category()) {
    const std::int64_t gross =
        pdf::GrossOf(row.net_amount().minor_units(), row.vat_amount().minor_units());
    table.Row({VatLabel(row.vat_category()), MoneyText(row.net_amount(), currency),
               MoneyText(row.vat_amount(), currency), kernel::FormatMoney(gross, currency)});
    categories.push_back(row.vat_category());
  }
  table.Row({words.total, MoneyText(totals.net_amount(), currency),
             MoneyText(totals.vat_amount(), currency), MoneyText(totals.gross_amount(), currency)},
            true);
  sheet.Advance(Mm(3));

  pdf::PlaceGrandTotal(sheet, words.grand_total + MoneyText(totals.gross_amount(), currency));
  pdf::PlaceSmallPrint(sheet, pdf::VatReasonLines(categories));
}

void PlaceClosing(Sheet& sheet, const QuotationPrint& print, const Words& words) {
  if (!print.quotation.note().empty()) {
    PangoLayout* heading = sheet.Text(kBoldFont, words.note, kWidth);
    sheet.KeepRoom(Height(heading) * 2);
    sheet.Put(heading, kLeft, sheet.Y());
    sheet.Advance(Height(heading) + 1);
    sheet.Flow(sheet.Text(kBodyFont, print.quotation.note(), kWidth), kLeft);
    sheet.Advance(kSectionGap);
  }
  sheet.Flow(sheet.Text(kBoldFont,
                        fmt::format(fmt::runtime(words.validity),
                                    DateText(print.quotation.valid_until(), print.language)),
                        kWidth),
             kLeft);
}

void CheckPrintable(const QuotationPrint& print) {
  if (print.quotation.number().empty()) {
    throw std::invalid_argument("a quotation without a number cannot be printed");
  }
  if (print.quotation.lines().empty()) {
    throw std::invalid_argument("a quotation without lines cannot be printed");
  }
  if (print.company.name.empty()) {
    throw std::invalid_argument("the offering company's name is required");
  }
  pdf::CheckUtf8Fields(print.quotation, "quotation");
  pdf::CheckUtf8Fields(print.customer.address, "customer.address");
  for (const auto& [field, text] : {std::pair{"company.name", &print.company.name},
                                    {"company.address", &print.company.address},
                                    {"company.tax_number", &print.company.tax_number},
                                    {"company.email", &print.company.email},
                                    {"company.phone", &print.company.phone},
                                    {"customer.name", &print.customer.name},
                                    {"customer.tax_number", &print.customer.tax_number},
                                    {"customer.contact_name", &print.customer.contact_name}}) {
    if (!pdf::IsUtf8(*text))
      throw std::invalid_argument(std::string(field) + " is not valid UTF-8");
  }
}

}  // namespace

bool ParseDocumentLanguage(const std::string& tag, DocumentLanguage& language) {
  if (tag.empty() || tag == "hu") {
    language = DocumentLanguage::kHungarian;
    return true;
  }
  if (tag == "en") {
    language = DocumentLanguage::kEnglish;
    return true;
  }
  return false;
}

std::string RenderQuotationPdf(const QuotationPrint& print) {
  CheckPrintable(print);
  const Words& words = WordsOf(print.language);
  const std::string currency =
      print.quotation.currency_code().empty() ? "HUF" : print.quotation.currency_code();
  pdf::BusinessDocument document(print.quotation.number());
  Sheet& sheet = document.Sheet();
  PlaceTitle(sheet, print, words);
  sheet.Advance(kSectionGap);
  PlaceParties(sheet, print, words);
  sheet.Advance(kSectionGap);
  PlaceDates(sheet, print, words, currency);
  sheet.Advance(kSectionGap);
  PlaceLines(sheet, print, words, currency);
  sheet.Advance(kSectionGap);
  PlaceSummary(sheet, print, words, currency);
  sheet.Advance(kSectionGap);
  PlaceClosing(sheet, print, words);
  return document.Finish(std::string(words.title) + " " + print.quotation.number());
}

std::string QuotationFileName(const v1::Quotation& quotation, DocumentLanguage language) {
  return std::string(WordsOf(language).file_prefix) + "-" + quotation.number() + ".pdf";
}

}  // namespace karton::orders
