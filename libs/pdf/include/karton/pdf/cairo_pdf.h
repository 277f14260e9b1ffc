// What every printed document shares (messaging's letters, invoicing's
// invoices): owners for cairo and pango objects, A4 in PDF points, and a
// PDF surface that writes into a string. The layouts stay with their
// modules; this is only the plumbing they would otherwise each repeat.
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include <memory>
#include <string>
#include <string_view>

namespace karton::pdf {

// Every cairo/pango object is owned by a unique_ptr, so a throw halfway
// through a layout releases everything.
template <auto kFree>
struct Deleter {
  template <typename T>
  void operator()(T* object) const {
    kFree(object);
  }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, Deleter<cairo_surface_destroy>>;
using CairoPtr = std::unique_ptr<cairo_t, Deleter<cairo_destroy>>;
using ContextPtr = std::unique_ptr<PangoContext, Deleter<g_object_unref>>;
using LayoutPtr = std::unique_ptr<PangoLayout, Deleter<g_object_unref>>;
using FontPtr = std::unique_ptr<PangoFontDescription, Deleter<pango_font_description_free>>;
using IterPtr = std::unique_ptr<PangoLayoutIter, Deleter<pango_layout_iter_free>>;

// PDF user space is in points; paper is measured in millimetres.
constexpr double Mm(double mm) { return mm * 72.0 / 25.4; }
constexpr double kA4Width = 595.276;
constexpr double kA4Height = 841.89;

// Throws std::runtime_error naming cairo's error, if any.
void CheckCairo(cairo_status_t status);

// Whether `text` is valid UTF-8 without embedded NULs: pango only logs a
// warning and drops text that is not, and stops at a NUL.
bool IsUtf8(std::string_view text);

// An A4 PDF surface whose bytes are appended to `pdf` (which must outlive
// it); finish it (cairo_surface_finish) before reading them. Throws like
// CheckCairo.
SurfacePtr NewA4PdfSurface(std::string& pdf);

// The height of a laid-out text, in points.
double Height(PangoLayout* layout);

}  // namespace karton::pdf
