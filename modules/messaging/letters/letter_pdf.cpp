#include "letters/letter_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib-object.h>
#include <pango/pangocairo.h>

#include <memory>
#include <stdexcept>

#include "karton/pdf/cairo_pdf.h"

namespace karton::messaging {
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

constexpr double kLeft = Mm(25);  // DIN 5008 margins: 25 mm left, 20 mm right.
constexpr double kTextWidth = kPageWidth - kLeft - Mm(20);
// The address is inset 5 mm inside the window on all sides because the folded
// sheet moves a few millimetres inside the envelope.
constexpr double kAddressX = Mm(20 + 5), kAddressY = Mm(45 + 5);
constexpr double kAddressWidth = Mm(85 - 10), kAddressHeight = Mm(45 - 10);
constexpr double kSenderY = Mm(15);
constexpr double kSenderHeight = Mm(45) - kSenderY - Mm(3);  // stays above the window
constexpr double kPlaceDateY = Mm(45 + 45 + 8);              // below the window
constexpr double kContinuationTop = Mm(20);
constexpr double kBodyBottom = kPageHeight - Mm(25);
constexpr double kFooterY = kPageHeight - Mm(15);
constexpr char kBodyFont[] = "DejaVu Sans 10";
constexpr char kBoldFont[] = "DejaVu Sans Bold 10";
constexpr char kSmallFont[] = "DejaVu Sans 8";

void CheckUtf8(const std::string& text, const char* field) {
  // Also rejects embedded NULs, at which pango would silently stop.
  if (!pdf::IsUtf8(text)) {
    throw std::invalid_argument(std::string("letter ") + field + " is not valid UTF-8");
  }
}

// `max_height` > 0 cuts the text (an ellipsis marks a cut paragraph, whole
// lines are dropped silently) instead of letting it run into the next zone.
LayoutPtr MakeLayout(PangoContext* context, const char* font, const std::string& text, double width,
                     PangoAlignment alignment = PANGO_ALIGN_LEFT, double max_height = 0) {
  LayoutPtr layout(pango_layout_new(context));
  FontPtr description(pango_font_description_from_string(font));
  pango_layout_set_font_description(layout.get(), description.get());
  pango_layout_set_width(layout.get(), pango_units_from_double(width));
  // WORD_CHAR: IBANs, URLs and long compound words still break inside the margins.
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout.get(), alignment);
  if (max_height > 0) {
    pango_layout_set_height(layout.get(), pango_units_from_double(max_height));
    pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  }
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  return layout;
}

void Show(cairo_t* cr, PangoLayout* layout, double x, double y) {
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
}

// One body line, positioned on its page.
struct PlacedLine {
  PangoLayoutLine* line;  // owned by the body layout
  int page;
  double x;
  double baseline;
};

// Breaks the body into pages between line boxes, never inside a line.
std::vector<PlacedLine> Paginate(PangoLayout* body, double first_page_top) {
  std::vector<PlacedLine> placed;
  int page = 0;
  double page_top = first_page_top;
  double offset = 0;  // layout y that lands at page_top on the current page
  bool need_new_page = false;
  IterPtr iter(pango_layout_get_iter(body));
  do {
    PangoLayoutLine* line = pango_layout_iter_get_line_readonly(iter.get());
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(iter.get(), nullptr, &logical);
    const double top = pango_units_to_double(logical.y);
    const double bottom = top + pango_units_to_double(logical.height);
    if (page_top + bottom - offset > kBodyBottom) need_new_page = true;
    if (need_new_page) {
      // A paragraph gap at a page break would only push the next page's text
      // down (or add an empty page at the end): drop it.
      if (line->length == 0) continue;
      ++page;
      page_top = kContinuationTop;
      offset = top;
      need_new_page = false;
    }
    const double baseline = pango_units_to_double(pango_layout_iter_get_baseline(iter.get()));
    placed.push_back(
        {line, page, kLeft + pango_units_to_double(logical.x), page_top + baseline - offset});
  } while (pango_layout_iter_next_line(iter.get()));
  return placed;
}

// Draws one letter and returns its page count; the caller shows the last page.
int DrawLetter(cairo_t* cr, PangoContext* context, const Letter& letter) {
  auto sender =
      MakeLayout(context, kSmallFont, letter.sender, kTextWidth, PANGO_ALIGN_LEFT, kSenderHeight);
  auto recipient = MakeLayout(context, kBodyFont, letter.recipient, kAddressWidth);
  // Pango's height limit drops whole lines without an ellipsis, and a letter
  // with half an address is worse than no letter.
  if (Height(recipient.get()) > kAddressHeight) {
    throw std::invalid_argument("letter recipient does not fit the envelope window");
  }
  auto place_date =
      MakeLayout(context, kBodyFont, letter.place_date, kTextWidth, PANGO_ALIGN_RIGHT);
  auto subject = MakeLayout(context, kBoldFont, letter.subject, kTextWidth);
  auto body = MakeLayout(context, kBodyFont, letter.body, kTextWidth);

  cairo_set_source_rgb(cr, 0, 0, 0);
  Show(cr, sender.get(), kLeft, kSenderY);
  Show(cr, recipient.get(), kAddressX, kAddressY);
  Show(cr, place_date.get(), kLeft, kPlaceDateY);
  // Two blank lines before the subject and one before the body (DIN 5008).
  const double line = Height(place_date.get());
  const double subject_y = kPlaceDateY + line * 3;
  Show(cr, subject.get(), kLeft, subject_y);
  const auto lines = Paginate(body.get(), subject_y + Height(subject.get()) + line);

  const int pages = lines.empty() ? 1 : lines.back().page + 1;
  std::size_t next = 0;
  for (int page = 0; page < pages; ++page) {
    if (page > 0) cairo_show_page(cr);
    for (; next < lines.size() && lines[next].page == page; ++next) {
      cairo_move_to(cr, lines[next].x, lines[next].baseline);
      pango_cairo_show_layout_line(cr, lines[next].line);
    }
    if (pages > 1) {
      const std::string number = std::to_string(page + 1) + " / " + std::to_string(pages);
      auto footer = MakeLayout(context, kSmallFont, number, kTextWidth, PANGO_ALIGN_RIGHT);
      Show(cr, footer.get(), kLeft, kFooterY);
    }
  }
  return pages;
}

}  // namespace

std::string RenderLetterPdf(const Letter& letter) { return RenderLetterBatchPdf({letter}, false); }

std::string RenderLetterBatchPdf(const std::vector<Letter>& letters, bool duplex) {
  if (letters.empty()) throw std::invalid_argument("empty letter batch");
  for (const Letter& letter : letters) {
    CheckUtf8(letter.sender, "sender");
    CheckUtf8(letter.recipient, "recipient");
    CheckUtf8(letter.place_date, "place_date");
    CheckUtf8(letter.subject, "subject");
    CheckUtf8(letter.body, "body");
  }

  std::string pdf;  // declared first: the surface writes into it until it is destroyed
  SurfacePtr surface = pdf::NewA4PdfSurface(pdf);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Karton");
  if (letters.size() == 1) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE,
                                   letters.front().subject.c_str());
  }
  CairoPtr cr(cairo_create(surface.get()));
  ContextPtr context(pango_cairo_create_context(cr.get()));
  // pangocairo assumes 96 dpi, which would scale "10" pt fonts to 13.3 pt in
  // PDF user space (1 unit = 1 pt).
  pango_cairo_context_set_resolution(context.get(), 72);
  // Whole-point glyph positions (pango's default, meant for screens) give
  // visibly uneven letter spacing in a vector file.
  pango_context_set_round_glyph_positions(context.get(), FALSE);

  for (const Letter& letter : letters) {
    const int pages = DrawLetter(cr.get(), context.get(), letter);
    cairo_show_page(cr.get());
    if (duplex && pages % 2 == 1) cairo_show_page(cr.get());  // blank back page
    CheckCairo(cairo_status(cr.get()));
  }
  cairo_surface_finish(surface.get());
  CheckCairo(cairo_surface_status(surface.get()));
  return pdf;
}

}  // namespace karton::messaging
