// The printable invoice: an issued invoice or credit note as an A4 PDF in
// Hungarian (cairo + pango), the document the buyer keeps and the one an
// auditor reads. Pure: it prints only what the Invoice message says (the
// seller and buyer the invoice was issued with, its computed amounts and
// VAT summary) and computes nothing but each VAT row's gross, so the PDF
// can never disagree with the stored invoice or its NAV report.
//
// Needs the DejaVu fonts (Debian: fonts-dejavu-core); fontconfig silently
// substitutes another font when they are missing, so the output would still
// be produced but would look different.
#pragma once

#include <string>

#include "karton/invoicing/v1/invoicing.pb.h"

namespace karton::invoicing {

// The bytes of the PDF: title ("Számla", "Módosító számla" or "Sztornó
// számla") and number, a credit note's original number, modification index
// and reason, seller and buyer, dates and payment method, the lines (a long
// table continues on further pages under a repeated header row, and the
// pages carry "2 / 3" footers), the VAT summary per category, the totals,
// the exchange rate and the VAT in forints on a foreign-currency invoice,
// and the note. The PDF's title is the invoice number.
//
// Throws std::invalid_argument for an invoice that is not issued (a draft
// has no number and must not look like an invoice), a foreign-currency
// invoice without its exchange rate, a line without a VAT category, or a
// text field that is not valid UTF-8 (pango would only log a warning and
// drop text); std::overflow_error when a VAT row's gross leaves int64; and
// std::runtime_error when cairo reports an error.
std::string RenderInvoicePdf(const v1::Invoice& invoice);

}  // namespace karton::invoicing
