// NAV Online Számla 3.0 documents checked against NAV's own XSDs
// (nav/schemas/), with libxml2. The schemas are compiled into the library
// (nav/embed_files.cmake), so the server validates every export before it
// returns it and needs no schema files at run time:
//
//   const std::string xml = InvoiceDataXml(invoice);
//   if (auto problems = ValidateInvoiceData(xml); !problems.empty()) {
//     // a bug in the exporter: problems[0] is
//     // "line 12: Element '{http://schemas.nav.gov.hu/OSA/3.0/data}invoiceNumber': ..."
//   }
//
// The schemas are compiled once, on first use, and shared: validating is
// safe from any number of threads. Compiling resolves the XSDs' imports
// (common.xsd, invoiceBase.xsd) from memory through a libxml2 input
// callback for the private URI scheme "karton-nav-schema:", registered
// only while the schemas compile and removed before the first validation
// runs; nothing of it outlives that.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace karton::invoicing::nav {

// What is wrong with `xml` as an <InvoiceData> (invoiceData.xsd), each
// problem as "line N: message" (libxml2's message names the element);
// empty when it is valid. Text that is not well-formed XML gives the
// parser's errors. Throws std::runtime_error only if the built-in schemas
// do not compile, which would be a build error.
std::vector<std::string> ValidateInvoiceData(std::string_view xml);

// The same against invoiceApi.xsd: a <ManageInvoiceRequest> or any other
// request or response of NAV's API.
std::vector<std::string> ValidateInvoiceApi(std::string_view xml);

}  // namespace karton::invoicing::nav
