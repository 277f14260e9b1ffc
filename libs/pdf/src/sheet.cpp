#include "karton/pdf/sheet.h"

#include <cairo-pdf.h>
#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace karton::pdf {

double Baseline(PangoLayout* layout) {
  return pango_units_to_double(pango_layout_get_baseline(layout));
}

void CheckUtf8Fields(const google::protobuf::Message& message, const std::string& path) {
  using google::protobuf::FieldDescriptor;
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  const auto check = [](const std::string& text, const std::string& field) {
    if (!IsUtf8(text)) throw std::invalid_argument(field + " is not valid UTF-8");
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
          CheckUtf8Fields(reflection->GetRepeatedMessage(message, field, j),
                          fmt::format("{}[{}]", name, j));
        }
      } else if (reflection->HasField(message, field)) {
        CheckUtf8Fields(reflection->GetMessage(message, field), name);
      }
    }
  }
}

PangoLayout* Sheet::Text(const char* font, const std::string& text, double width,
                         PangoAlignment alignment) {
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

void Sheet::Put(PangoLayout* layout, double x, double y) {
  marks_.push_back({Mark::kLayout, page_, x, y, 0, 0, layout, nullptr});
}

void Sheet::Rule(double x, double y, double width, double thickness) {
  marks_.push_back({Mark::kRule, page_, x, y, width, thickness, nullptr, nullptr});
}

void Sheet::Shade(double x, double y, double width, double height) {
  marks_.push_back({Mark::kShade, page_, x, y, width, height, nullptr, nullptr});
}

void Sheet::Flow(PangoLayout* layout, double x) {
  IterPtr iter(pango_layout_get_iter(layout));
  do {
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(iter.get(), nullptr, &logical);
    const double height = pango_units_to_double(logical.height);
    KeepRoom(height);
    const double baseline =
        pango_units_to_double(pango_layout_iter_get_baseline(iter.get()) - logical.y);
    marks_.push_back({Mark::kLine, page_, x + pango_units_to_double(logical.x), y_ + baseline, 0, 0,
                      layout, pango_layout_iter_get_line_readonly(iter.get())});
    y_ += height;
  } while (pango_layout_iter_next_line(iter.get()));
}

void Sheet::Draw(cairo_t* cr, const std::string& footer) {
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
                    Text(kTableFont, footer, kContentWidth * 0.7), nullptr});
      DrawMark(cr, {Mark::kLayout, page, kLeft + kContentWidth * 0.7, kFooterY, 0, 0,
                    Text(kTableFont, number, kContentWidth * 0.3, PANGO_ALIGN_RIGHT), nullptr});
    }
  }
  cairo_show_page(cr);
}

void Sheet::DrawMark(cairo_t* cr, const Mark& mark) {
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

Table::Table(Sheet& sheet, std::vector<Column> columns, double x)
    : sheet_(sheet), columns_(std::move(columns)), x_(x) {
  std::vector<std::string> headers;
  for (const Column& column : columns_) headers.push_back(column.header);
  header_ = Cells(headers, kTableBoldFont);
  header_height_ = RowHeight(header_);
}

double Table::Width() const {
  double width = 0;
  for (const Column& column : columns_) width += column.width;
  return width;
}

void Table::Row(const std::vector<std::string>& cells, bool bold) {
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

std::vector<PangoLayout*> Table::Cells(const std::vector<std::string>& texts, const char* font) {
  if (texts.size() != columns_.size()) throw std::logic_error("a table row of the wrong width");
  std::vector<PangoLayout*> cells;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    cells.push_back(
        sheet_.Text(font, texts[i], columns_[i].width - 2 * kCellPadding, columns_[i].alignment));
  }
  return cells;
}

double Table::RowHeight(const std::vector<PangoLayout*>& cells) {
  double height = 0;
  for (PangoLayout* cell : cells) height = std::max(height, Height(cell));
  return height + 2 * kCellPadding;
}

void Table::Place(const std::vector<PangoLayout*>& cells, double height, double rule) {
  double x = x_;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    sheet_.Put(cells[i], x + kCellPadding, sheet_.Y() + kCellPadding);
    x += columns_[i].width;
  }
  sheet_.Advance(height);
  sheet_.Rule(x_, sheet_.Y(), Width(), rule);
}

void PlaceLinesTable(Sheet& sheet, const std::vector<std::string>& headers,
                     const std::vector<std::vector<std::string>>& rows) {
  constexpr double kWidths[] = {20, 0, 54, 62, 30, 64, 40, 58, 64};
  constexpr PangoAlignment kAlignments[] = {
      PANGO_ALIGN_RIGHT,  PANGO_ALIGN_LEFT,  PANGO_ALIGN_RIGHT,
      PANGO_ALIGN_RIGHT,  PANGO_ALIGN_RIGHT, PANGO_ALIGN_RIGHT,
      PANGO_ALIGN_CENTER, PANGO_ALIGN_RIGHT, PANGO_ALIGN_RIGHT};
  constexpr std::size_t kColumns = std::size(kWidths);
  if (headers.size() != kColumns) throw std::logic_error("a lines table has nine columns");
  std::vector<Column> columns;
  double fixed = 0;
  for (std::size_t i = 0; i < kColumns; ++i) {
    columns.push_back({headers[i], kWidths[i], kAlignments[i]});
    fixed += kWidths[i];
  }
  columns[1].width = kContentWidth - fixed;
  Table table(sheet, std::move(columns), kLeft);
  for (const auto& row : rows) table.Row(row);
}

Table PlaceHeadedTableAtRight(Sheet& sheet, const std::string& heading,
                              std::vector<Column> columns) {
  double width = 0;
  for (const Column& column : columns) width += column.width;
  const double x = kLeft + kContentWidth - width;
  PangoLayout* title = sheet.Text(kBoldFont, heading, width);
  sheet.KeepRoom(Height(title) + Mm(20));
  sheet.Put(title, x, sheet.Y());
  sheet.Advance(Height(title) + Mm(1));
  return Table(sheet, std::move(columns), x);
}

void PlaceGrandTotal(Sheet& sheet, const std::string& text) {
  PangoLayout* total = sheet.Text(kTotalFont, text, kContentWidth, PANGO_ALIGN_RIGHT);
  sheet.KeepRoom(Height(total));
  sheet.Put(total, kLeft, sheet.Y());
  sheet.Advance(Height(total) + Mm(1));
}

void PlaceSmallPrint(Sheet& sheet, const std::string& text) {
  if (text.empty()) return;
  sheet.Advance(Mm(2));
  sheet.Flow(sheet.Text(kTableFont, text, kContentWidth), kLeft);
}

BusinessDocument::BusinessDocument(const std::string& title)
    : surface_(NewA4PdfSurface(bytes_)), cairo_(cairo_create(surface_.get())) {
  cairo_pdf_surface_set_metadata(surface_.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface_.get(), CAIRO_PDF_METADATA_CREATOR, "Karton");
  context_.reset(pango_cairo_create_context(cairo_.get()));
  // pangocairo assumes 96 dpi, which would scale "9" pt fonts to 12 pt in
  // PDF user space (1 unit = 1 pt).
  pango_cairo_context_set_resolution(context_.get(), 72);
  // Whole-point glyph positions (pango's default, meant for screens) give
  // visibly uneven letter spacing in a vector file.
  pango_context_set_round_glyph_positions(context_.get(), FALSE);
  sheet_ = std::make_unique<pdf::Sheet>(context_.get());
}

std::string BusinessDocument::Finish(const std::string& footer) {
  sheet_->Draw(cairo_.get(), footer);
  CheckCairo(cairo_status(cairo_.get()));
  cairo_surface_finish(surface_.get());
  CheckCairo(cairo_surface_status(surface_.get()));
  return std::move(bytes_);
}

}  // namespace karton::pdf
