// The business document layout that invoices and quotations share: an A4
// PDF whose content is placed at a cursor moving down the page (a Sheet),
// tables whose rows never split and whose header row repeats on every
// page, "2 / 3" footers, and the check that every text field of a message
// is printable. The documents' own sections (titles, parties, totals) stay
// with their modules.
//
//   pdf::BusinessDocument document("KRT-2026-000042");
//   pdf::Sheet& sheet = document.Sheet();
//   sheet.Put(sheet.Text(pdf::kTitleFont, "Számla", pdf::kContentWidth), pdf::kLeft, sheet.Y());
//   pdf::Table table(sheet, {{"#", 20, PANGO_ALIGN_RIGHT}, ...}, pdf::kLeft);
//   table.Row({"1", ...});
//   std::string bytes = document.Finish("Számla KRT-2026-000042");
//
// Needs the DejaVu fonts (Debian: fonts-dejavu-core); fontconfig silently
// substitutes another font when they are missing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "karton/pdf/cairo_pdf.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace karton::pdf {

// 15 mm margins: narrower than a letter's, since a lines table needs the
// width, and still outside what office printers cannot reach.
inline constexpr double kLeft = Mm(15);
inline constexpr double kContentWidth = kA4Width - 2 * kLeft;
inline constexpr double kTop = Mm(15);
inline constexpr double kBottom = kA4Height - Mm(20);  // below: the footer
inline constexpr double kFooterY = kA4Height - Mm(14);
inline constexpr double kSectionGap = Mm(5);
inline constexpr double kCellPadding = 2;  // around a table cell's text

inline constexpr char kTitleFont[] = "DejaVu Sans Bold 18";
inline constexpr char kNumberFont[] = "DejaVu Sans Bold 11";
inline constexpr char kBodyFont[] = "DejaVu Sans 9";
inline constexpr char kBoldFont[] = "DejaVu Sans Bold 9";
inline constexpr char kNameFont[] = "DejaVu Sans Bold 10";
inline constexpr char kTableFont[] = "DejaVu Sans 7.5";
inline constexpr char kTableBoldFont[] = "DejaVu Sans Bold 7.5";
inline constexpr char kTotalFont[] = "DejaVu Sans Bold 11";

// The distance from a layout's top to its first baseline, in points.
double Baseline(PangoLayout* layout);

// Throws std::invalid_argument naming the field ("invoice.lines[2].unit")
// when any text field of `message`, nested ones included, is not valid
// UTF-8 or holds a NUL. Found by reflection, so a field added later is
// checked without anyone remembering to.
void CheckUtf8Fields(const google::protobuf::Message& message, const std::string& path);

// Everything the document shows, placed on its pages before anything is
// drawn: the footers say "2 / 3", so the page count must be known first.
// Whoever places decides where a page breaks (NewPage, KeepRoom), since
// only they know what must stay together (a table row, a heading with
// what follows it).
class Sheet {
 public:
  explicit Sheet(PangoContext* context) : context_(context) {}
  Sheet(const Sheet&) = delete;
  Sheet& operator=(const Sheet&) = delete;

  // Plain text, never markup, so partner data cannot inject formatting.
  // Owned by the sheet until it is drawn.
  PangoLayout* Text(const char* font, const std::string& text, double width,
                    PangoAlignment alignment = PANGO_ALIGN_LEFT);

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

  void Put(PangoLayout* layout, double x, double y);
  void Rule(double x, double y, double width, double thickness);
  void Shade(double x, double y, double width, double height);

  // Text that may not fit the rest of the page (a reason, a note): placed
  // at the cursor line by line, continuing on new pages, never breaking
  // inside a line.
  void Flow(PangoLayout* layout, double x);

  // Draws every page; with more than one, each gets `footer` on the left
  // and "2 / 3" on the right, so loose sheets can be put back in order.
  void Draw(cairo_t* cr, const std::string& footer);

 private:
  struct Mark {
    enum Kind { kLayout, kLine, kRule, kShade } kind;
    int page;
    double x, y, width, height;
    PangoLayout* layout;
    PangoLayoutLine* line;  // owned by `layout`; y is its baseline
  };
  static void DrawMark(cairo_t* cr, const Mark& mark);

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
  Table(Sheet& sheet, std::vector<Column> columns, double x);

  double Width() const;
  void Row(const std::vector<std::string>& cells, bool bold = false);

 private:
  std::vector<PangoLayout*> Cells(const std::vector<std::string>& texts, const char* font);
  static double RowHeight(const std::vector<PangoLayout*>& cells);
  void Place(const std::vector<PangoLayout*>& cells, double height, double rule);

  Sheet& sheet_;
  std::vector<Column> columns_;
  double x_;
  std::vector<PangoLayout*> header_;
  double header_height_ = 0;
  int header_page_ = -1;
};

// The lines table of a priced document (invoice, quotation): nine columns,
// position, description, quantity with unit, unit price, discount, net,
// VAT label, VAT, gross, under `headers` (nine, in the document's
// language). Fixed widths fit the amounts of a typical document on one
// line (a larger amount wraps before its currency rather than being cut)
// and three-digit positions; the description takes the rest of the width.
void PlaceLinesTable(Sheet& sheet, const std::vector<std::string>& headers,
                     const std::vector<std::vector<std::string>>& rows);

// A table at the right edge under a bold `heading` (a VAT summary): the
// heading, the header row and a row or two kept together on one page.
Table PlaceHeadedTableAtRight(Sheet& sheet, const std::string& heading,
                              std::vector<Column> columns);

// A document's bold, right-aligned grand total line, then a little room.
void PlaceGrandTotal(Sheet& sheet, const std::string& text);

// Small print across the page at the cursor, continuing on new pages (the
// legal reasons under a VAT summary); nothing for an empty text.
void PlaceSmallPrint(Sheet& sheet, const std::string& text);

// An A4 PDF being laid out: the surface writing into a string, the cairo
// and pango contexts set up for print (72 dpi, unrounded glyph positions)
// and the Sheet to place on. `title` is the PDF's title metadata.
class BusinessDocument {
 public:
  explicit BusinessDocument(const std::string& title);
  BusinessDocument(const BusinessDocument&) = delete;
  BusinessDocument& operator=(const BusinessDocument&) = delete;

  pdf::Sheet& Sheet() { return *sheet_; }

  // Draws the pages (with `footer` when there are several) and returns
  // the PDF's bytes. Call once. Throws std::runtime_error on a cairo error.
  std::string Finish(const std::string& footer);

 private:
  std::string bytes_;  // first: the surface writes into it until destroyed
  SurfacePtr surface_;
  CairoPtr cairo_;
  ContextPtr context_;
  std::unique_ptr<pdf::Sheet> sheet_;
};

}  // namespace karton::pdf
