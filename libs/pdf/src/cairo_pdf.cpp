#include "karton/pdf/cairo_pdf.h"

#include <cairo-pdf.h>
#include <glib.h>

#include <stdexcept>

namespace karton::pdf {
namespace {

// A cairo write callback must not throw through C frames.
cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  } catch (...) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
}

}  // namespace

void CheckCairo(cairo_status_t status) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cairo: ") + cairo_status_to_string(status));
  }
}

bool IsUtf8(std::string_view text) {
  return g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr);
}

SurfacePtr NewA4PdfSurface(std::string& pdf) {
  SurfacePtr surface(
      cairo_pdf_surface_create_for_stream(AppendToString, &pdf, kA4Width, kA4Height));
  CheckCairo(cairo_surface_status(surface.get()));
  return surface;
}

double Height(PangoLayout* layout) {
  PangoRectangle logical;
  pango_layout_get_extents(layout, nullptr, &logical);
  return pango_units_to_double(logical.height);
}

}  // namespace karton::pdf
