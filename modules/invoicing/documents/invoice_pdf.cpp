#include "documents/invoice_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>
#include <glib-object.h>
#include <glib.h>
#include <google/protobuf/descriptor.h>
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
#include "karton/pdf/cairo_pdf.h"

namespace karton::invoicing {
namespace {

using pdf::CairoPtr;
using pdf::CheckCairo;
using pdf::ContextPtr;
using pdf::FontPtr;
using pdf::Height;
using pdf::IterPtr;
using pdf::LayoutPtr;
using pdf::Mm;
using pdf::SurfacePtr;
constexpr double kPageWidth = pdf::kA4Width;
constexpr double kPageHeight = pdf::kA4Height;

// 15 mm margins: narrower than a letter's, since the lines table needs the
// width, and still outside what office printers cannot reach.
constexpr double kLeft = Mm(15);
constexpr double kWidth = kPageWidth - 2 * kLeft;
constexpr double kTop = Mm(15);
constexpr double kBottom = kPageHeight - Mm(20);  // below: the footer
constexpr double kFooterY = kPageHeight - Mm(14);
constexpr double kSectionGap = Mm(5);
constexpr double kCellPadding = 2;  // around a table cell's text
constexpr char kTitleFont[] = "DejaVu Sans Bold 18";
constexpr char kNumberFont[] = "DejaVu Sans Bold 11";
constexpr char kBodyFont[] = "DejaVu Sans 9";
constexpr char kBoldFont[] = "DejaVu Sans Bold 9";
constexpr char kNameFont[] = "DejaVu Sans Bold 10";
constexpr char kTableFont[] = "DejaVu Sans 7.5";
constexpr char kTableBoldFont[] = "DejaVu Sans Bold 7.5";
constexpr char kTotalFont[] = "DejaVu Sans Bold 11";

// Every text field, found by reflection so that a field added to the
// messages later is checked without anyone remembering to. Also refuses
// embedded NULs, at which pango would silently stop.
void CheckUtf8(const google::protobuf::Message& message, const std::string& path) {
  using google::protobuf::FieldDescriptor;
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  const auto check = [](const std::string& text, const std::string& field) {
    if (!pdf::IsUtf8(text)) {
      throw std::invalid_argument(field + " is not valid UTF-8");
    }
  };
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    const std::string name = path + "." + std::string(field->name());
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(message, field); ++j) {
          check(reflection->GetRepeatedString(message, field, j), fmt::format("{}[{}]", name, j));
        }
      } else {
        check(reflection->GetString(message, field), name);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(message, field); ++j) {
          CheckUtf8(reflection->GetRepeatedMessage(message, field, j),
                    fmt::format("{}[{}]", name, j));
        }
      } else if (reflection->HasField(message, field)) {
        CheckUtf8(reflection->GetMessage(message, field), name);
      }
    }
  }
}

double Baseline(PangoLayout* layout) {
  return pango_units_to_double(pango_layout_get_baseline(layout));
}

// Everything the document shows, placed on its pages before anything is
// drawn: the footers say "2 / 3", so the page count must be known first.
// Places at a cursor that moves down the page; whoever places decides
// where a page breaks (NewPage), since only they know what must stay
// together (a table row, a header with its first row).
class Sheet {
 public:
  explicit Sheet(PangoContext* context) : context_(context) {}

  // Plain text, never markup, so partner data cannot inject formatting.
  // Owned by the sheet until it is drawn.
  PangoLayout* Text(const char* font, const std::string& text, double width,
                    PangoAlignment alignment = PANGO_ALIGN_LEFT) {
    LayoutPtr layout(pango_layout_new(context_));
    FontPtr description(pango_font_description_from_string(font));
    pango_layout_set_font_description(layout.get(), description.get());
    pango_layout_set_width(layout.get(), pango_units_from_double(width));
    // WORD_CHAR: IBANs, long product codes and compound words still break
    // inside their column instead of running into the next one.
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout.get(), alignment);
    pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
    layouts_.push_back(std::move(layout));
    return layouts_.back().get();
  }

  int Page() const { return page_; }
  double Y() const { return y_; }
  void Advance(double height) { y_ += height; }
  bool Fits(double height) const { return y_ + height <= kBottom; }
  void NewPage() {
    ++page_;
    y_ = kTop;
  }
  // Starts a new page unless `height` still fits on this one.
  void KeepRoom(double height) {
    if (!Fits(height) && y_ > kTop) NewPage();
  }

  void Put(PangoLayout* layout, double x, double y) {
    marks_.push_back({Mark::kLayout, page_, x, y, 0, 0, layout, nullptr});
  }
  void Rule(double x, double y, double width, double thickness) {
    marks_.push_back({Mark::kRule, page_, x, y, width, thickness, nullptr, nullptr});
  }
  void Shade(double x, double y, double width, double height) {
    marks_.push_back({Mark::kShade, page_, x, y, width, height, nullptr, nullptr});
  }

  // Text that may not fit the rest of the page (a reason, a note): placed
  // at the cursor line by line, continuing on new pages, never breaking
  // inside a line.
  void Flow(PangoLayout* layout, double x) {
    IterPtr iter(pango_layout_get_iter(layout));
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(iter.get(), nullptr, &logical);
      const double height = pango_units_to_double(logical.height);
      KeepRoom(height);
      const double baseline =
          pango_units_to_double(pango_layout_iter_get_baseline(iter.get()) - logical.y);
      marks_.push_back({Mark::kLine, page_, x + pango_units_to_double(logical.x), y_ + baseline, 0,
                        0, layout, pango_layout_iter_get_line_readonly(iter.get())});
      y_ += height;
    } while (pango_layout_iter_next_line(iter.get()));
  }

  // Draws every page; with more than one, each gets `footer` on the left
  // and "2 / 3" on the right, so loose sheets can be put back in order.
  void Draw(cairo_t* cr, const std::string& footer) {
    const int pages = page_ + 1;
    std::size_t next = 0;
    for (int page = 0; page < pages; ++page) {
      if (page > 0) cairo_show_page(cr);
      for (; next < marks_.size() && marks_[next].page == page; ++next) {
        DrawMark(cr, marks_[next]);
      }
      if (pages > 1) {
        const std::string number = std::to_string(page + 1) + " / " + std::to_string(pages);
        DrawMark(cr, {Mark::kLayout, page, kLeft, kFooterY, 0, 0,
                      Text(kTableFont, footer, kWidth * 0.7), nullptr});
        DrawMark(cr, {Mark::kLayout, page, kLeft + kWidth * 0.7, kFooterY, 0, 0,
                      Text(kTableFont, number, kWidth * 0.3, PANGO_ALIGN_RIGHT), nullptr});
      }
    }
    cairo_show_page(cr);
  }

 private:
  struct Mark {
    enum Kind { kLayout, kLine, kRule, kShade } kind;
    int page;
    double x, y, width, height;
    PangoLayout* layout;
    PangoLayoutLine* line;  // owned by `layout`; y is its baseline
  };

  static void DrawMark(cairo_t* cr, const Mark& mark) {
    switch (mark.kind) {
      case Mark::kLayout:
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, mark.x, mark.y);
        pango_cairo_show_layout(cr, mark.layout);
        break;
      case Mark::kLine:
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, mark.x, mark.y);
        pango_cairo_show_layout_line(cr, mark.line);
        break;
      case Mark::kRule:
        cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
        cairo_set_line_width(cr, mark.height);
        cairo_move_to(cr, mark.x, mark.y);
        cairo_line_to(cr, mark.x + mark.width, mark.y);
        cairo_stroke(cr);
        break;
      case Mark::kShade:
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_rectangle(cr, mark.x, mark.y, mark.width, mark.height);
        cairo_fill(cr);
        break;
    }
  }

  PangoContext* context_;
  std::vector<LayoutPtr> layouts_;
  std::vector<Mark> marks_;  // in page order: the cursor never goes back a page
  int page_ = 0;
  double y_ = kTop;
};

struct Column {
  std::string header;
  double width;
  PangoAlignment alignment;
};

// Rows placed at the sheet's cursor, whole: a row never splits across
// pages, and each page the table reaches starts with its header row (with
// at least one row under it: a header alone at the foot of a page is no
// use).
class Table {
 public:
  Table(Sheet& sheet, std::vector<Column> columns, double x)
      : sheet_(sheet), columns_(std::move(columns)), x_(x) {
    std::vector<std::string> headers;
    for (const Column& column : columns_) headers.push_back(column.header);
    header_ = Cells(headers, kTableBoldFont);
    header_height_ = RowHeight(header_);
  }

  double Width() const {
    double width = 0;
    for (const Column& column : columns_) width += column.width;
    return width;
  }

  void Row(const std::vector<std::string>& cells, bool bold = false) {
    const auto row = Cells(cells, bold ? kTableBoldFont : kTableFont);
    const double height = RowHeight(row);
    sheet_.KeepRoom(height + (header_page_ != sheet_.Page() ? header_height_ : 0));
    if (header_page_ != sheet_.Page()) {
      sheet_.Shade(x_, sheet_.Y(), Width(), header_height_);
      Place(header_, header_height_, 0.6);
      header_page_ = sheet_.Page();
    }
    Place(row, height, bold ? 0.6 : 0.25);
  }

 private:
  std::vector<PangoLayout*> Cells(const std::vector<std::string>& texts, const char* font) {
    if (texts.size() != columns_.size()) throw std::logic_error("a table row of the wrong width");
    std::vector<PangoLayout*> cells;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      cells.push_back(
          sheet_.Text(font, texts[i], columns_[i].width - 2 * kCellPadding, columns_[i].alignment));
    }
    return cells;
  }

  static double RowHeight(const std::vector<PangoLayout*>& cells) {
    double height = 0;
    for (PangoLayout* cell : cells) height = std::max(height, Height(cell));
    return height + 2 * kCellPadding;
  }

  void Place(const std::vector<PangoLayout*>& cells, double height, double rule) {
    double x = x_;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      sheet_.Put(cells[i], x + kCellPadding, sheet_.Y() + kCellPadding);
      x += columns_[i].width;
    }
    sheet_.Advance(height);
    sheet_.Rule(x_, sheet_.Y(), Width(), rule);
  }

  Sheet& sheet_;
  std::vector<Column> columns_;
  double x_;
  std::vector<PangoLayout*> header_;
  double header_height_ = 0;
  int header_page_ = -1;
};

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

// The labels Hungarian invoices print, NAV's case codes for the categories
// without VAT (common/v1/vat.proto).
std::string VatLabel(common::v1::VatCategory category) {
  using namespace common::v1;
  switch (category) {
    case VAT_CATEGORY_STANDARD_27:
      return "27%";
    case VAT_CATEGORY_REDUCED_18:
      return "18%";
    case VAT_CATEGORY_REDUCED_5:
      return "5%";
    case VAT_CATEGORY_ZERO:
      return "0%";
    case VAT_CATEGORY_EXEMPT_AAM:
      return "AAM";
    case VAT_CATEGORY_EXEMPT_TAM:
      return "TAM";
    case VAT_CATEGORY_EXEMPT_KBAET:
      return "KBAET";
    case VAT_CATEGORY_EXEMPT_KBAUK:
      return "KBAUK";
    case VAT_CATEGORY_EXEMPT_EAM:
      return "EAM";
    case VAT_CATEGORY_EXEMPT_NAM:
      return "NAM";
    case VAT_CATEGORY_OUT_OF_SCOPE_ATK:
      return "ATK";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37:
      return "EUFAD37";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFADE:
      return "EUFADE";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUE:
      return "EUE";
    case VAT_CATEGORY_OUT_OF_SCOPE_HO:
      return "HO";
    case VAT_CATEGORY_DOMESTIC_REVERSE_CHARGE:
      return "FAD";
    default:
      // An invoice that does not say how VAT applies is not one to print.
      throw std::invalid_argument(
          fmt::format("VAT category {} has no label", static_cast<int>(category)));
  }
}

// Why no VAT is charged, which the VAT Act (169. § m)-n)) requires the
// invoice to say for each such category; empty for the rates.
std::string VatReason(common::v1::VatCategory category) {
  using namespace common::v1;
  switch (category) {
    case VAT_CATEGORY_EXEMPT_AAM:
      return "alanyi adómentes (Áfa tv. XIII. fejezet)";
    case VAT_CATEGORY_EXEMPT_TAM:
      return "tárgyi adómentes (Áfa tv. 85–86. §)";
    case VAT_CATEGORY_EXEMPT_KBAET:
      return "adómentes Közösségen belüli termékértékesítés (Áfa tv. 89. §)";
    case VAT_CATEGORY_EXEMPT_KBAUK:
      return "adómentes új közlekedési eszköz Közösségen belüli értékesítése (Áfa tv. 89. § (2))";
    case VAT_CATEGORY_EXEMPT_EAM:
      return "adómentes termékexport harmadik országba (Áfa tv. 98–109. §)";
    case VAT_CATEGORY_EXEMPT_NAM:
      return "adómentes egyéb nemzetközi ügylet (Áfa tv. 110–118. §)";
    case VAT_CATEGORY_OUT_OF_SCOPE_ATK:
      return "az Áfa tv. hatályán kívüli ügylet (Áfa tv. 2–3. §)";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37:
      return "fordított adózás: a szolgáltatás teljesítési helye másik tagállam (Áfa tv. 37. § "
             "(1)), az adót a vevő fizeti";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFADE:
      return "fordított adózás: másik tagállamban teljesített ügylet, az adót a vevő fizeti";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUE:
      return "másik tagállamban teljesített ügylet";
    case VAT_CATEGORY_OUT_OF_SCOPE_HO:
      return "harmadik országban teljesített ügylet";
    case VAT_CATEGORY_DOMESTIC_REVERSE_CHARGE:
      return "fordított adózás (Áfa tv. 142. §), az adót a vevő fizeti";
    default:
      return "";
  }
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

// "2026.12.01.", the way Hungarian documents write dates.
std::string DateText(const common::v1::Date& date) {
  if (date.year() == 0) return "";
  return fmt::format("{:04}.{:02}.{:02}.", date.year(), date.month(), date.day());
}

std::string AddressText(const common::v1::Address& address) {
  std::string text;
  const auto line = [&](const std::string& part) {
    if (part.empty()) return;
    if (!text.empty()) text += '\n';
    text += part;
  };
  line(address.postal_code() + (address.postal_code().empty() ? "" : " ") + address.city());
  line(address.street());
  line(address.extra());
  line(address.region());
  if (address.country() != "HU") line(address.country());
  return text;
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
    std::string text = AddressText(party.address());
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
  std::vector<std::string> values = {
      DateText(invoice.issue_date()), DateText(invoice.fulfillment_date()),
      DateText(invoice.due_date()), PaymentMethodText(invoice.payment_method()), currency};
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
  // Fixed widths fit the amounts of a typical invoice on one line (a
  // larger amount wraps before its currency rather than being cut) and
  // three-digit positions (at most 500 lines); the description takes the
  // rest.
  std::vector<Column> columns = {
      {"#", 20, PANGO_ALIGN_RIGHT},
      {"Megnevezés", 0, PANGO_ALIGN_LEFT},
      {"Mennyiség", 54, PANGO_ALIGN_RIGHT},
      {"Egységár (nettó)", 62, PANGO_ALIGN_RIGHT},
      {"Kedv.", 30, PANGO_ALIGN_RIGHT},
      {"Nettó érték", 64, PANGO_ALIGN_RIGHT},
      {"ÁFA-kulcs", 40, PANGO_ALIGN_CENTER},
      {"ÁFA", 58, PANGO_ALIGN_RIGHT},
      {"Bruttó érték", 64, PANGO_ALIGN_RIGHT},
  };
  double fixed = 0;
  for (const Column& column : columns) fixed += column.width;
  columns[1].width = kWidth - fixed;
  Table table(sheet, std::move(columns), kLeft);
  for (const v1::InvoiceLine& line : invoice.lines()) {
    const bool discounted = !line.discount_percent().empty() && line.discount_percent() != "0";
    table.Row({std::to_string(line.position()), line.description(),
               line.quantity() + " " + line.unit(), MoneyText(line.unit_price(), currency),
               discounted ? line.discount_percent() + "%" : "",
               MoneyText(line.net_amount(), currency), VatLabel(line.vat_category()),
               MoneyText(line.vat_amount(), currency), MoneyText(line.gross_amount(), currency)});
  }
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
  double width = 0;
  for (const Column& column : columns) width += column.width;
  const double x = kLeft + kWidth - width;

  PangoLayout* heading = sheet.Text(kBoldFont, "ÁFA-összesítő", width);
  // The heading, the header row and a row or two stay together.
  sheet.KeepRoom(Height(heading) + Mm(20));
  sheet.Put(heading, x, sheet.Y());
  sheet.Advance(Height(heading) + Mm(1));

  Table table(sheet, std::move(columns), x);
  std::vector<std::string> reasons;
  for (const v1::VatSummaryRow& row : totals.vat_summary()) {
    std::int64_t gross = 0;
    if (__builtin_add_overflow(row.net_amount().minor_units(), row.vat_amount().minor_units(),
                               &gross)) {
      throw std::overflow_error("a VAT summary row's gross does not fit");
    }
    std::vector<std::string> cells = {
        VatLabel(row.vat_category()), MoneyText(row.net_amount(), currency),
        MoneyText(row.vat_amount(), currency),
        kernel::FormatMoney(gross, row.net_amount().currency_code().empty()
                                       ? currency
                                       : row.net_amount().currency_code())};
    if (foreign) cells.push_back(MoneyText(row.vat_amount_huf(), "HUF"));
    table.Row(cells);
    if (const std::string reason = VatReason(row.vat_category()); !reason.empty()) {
      reasons.push_back(VatLabel(row.vat_category()) + ": " + reason);
    }
  }
  std::vector<std::string> sums = {"Összesen", MoneyText(totals.net_amount(), currency),
                                   MoneyText(totals.vat_amount(), currency),
                                   MoneyText(totals.gross_amount(), currency)};
  if (foreign) sums.push_back(MoneyText(totals.vat_amount_huf(), "HUF"));
  table.Row(sums, true);
  sheet.Advance(Mm(3));

  std::string total = "Bruttó végösszeg: " + MoneyText(totals.gross_amount(), currency);
  PangoLayout* total_layout = sheet.Text(kTotalFont, total, kWidth, PANGO_ALIGN_RIGHT);
  sheet.KeepRoom(Height(total_layout));
  sheet.Put(total_layout, kLeft, sheet.Y());
  sheet.Advance(Height(total_layout) + Mm(1));
  if (foreign) {
    sheet.Flow(
        sheet.Text(kBodyFont,
                   "Az áfa összege forintban: " + MoneyText(totals.vat_amount_huf(), "HUF") +
                       " (árfolyam: 1 " + currency + " = " + invoice.exchange_rate() + " HUF)",
                   kWidth, PANGO_ALIGN_RIGHT),
        kLeft);
  }
  if (!reasons.empty()) {
    sheet.Advance(Mm(2));
    std::string text;
    for (const std::string& reason : reasons) text += (text.empty() ? "" : "\n") + reason;
    sheet.Flow(sheet.Text(kTableFont, text, kWidth), kLeft);
  }
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
  CheckUtf8(invoice, "invoice");
}

}  // namespace

std::string RenderInvoicePdf(const v1::Invoice& invoice) {
  const std::string currency = invoice.currency_code().empty() ? "HUF" : invoice.currency_code();
  const bool foreign = currency != "HUF";
  CheckPrintable(invoice, foreign);

  std::string pdf;  // declared first: the surface writes into it until it is destroyed
  SurfacePtr surface = pdf::NewA4PdfSurface(pdf);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, invoice.number().c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Karton");
  CairoPtr cr(cairo_create(surface.get()));
  ContextPtr context(pango_cairo_create_context(cr.get()));
  // pangocairo assumes 96 dpi, which would scale "9" pt fonts to 12 pt in
  // PDF user space (1 unit = 1 pt).
  pango_cairo_context_set_resolution(context.get(), 72);
  // Whole-point glyph positions (pango's default, meant for screens) give
  // visibly uneven letter spacing in a vector file.
  pango_context_set_round_glyph_positions(context.get(), FALSE);

  Sheet sheet(context.get());
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
  sheet.Draw(cr.get(), TitleOf(invoice.kind()) + " " + invoice.number());

  CheckCairo(cairo_status(cr.get()));
  cairo_surface_finish(surface.get());
  CheckCairo(cairo_surface_status(surface.get()));
  return pdf;
}

}  // namespace karton::invoicing
