// Files compiled into the program by nav/embed_files.cmake: NAV's schemas in
// the invoicing library, NAV's sample invoices in its tests.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace karton::invoicing::nav {

struct EmbeddedFile {
  // The file's name without its folder: "invoiceData.xsd".
  const char* name;
  const unsigned char* data;
  std::size_t size;

  std::string_view Bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

// NAV's XSDs that the exports are validated against (invoiceData.xsd,
// invoiceApi.xsd and the invoiceBase.xsd and common.xsd they import), by
// name.
std::span<const EmbeddedFile> NavSchemaFiles();

}  // namespace karton::invoicing::nav
