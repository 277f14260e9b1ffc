// The printable quotation: the offer as an A4 PDF in Hungarian or English
// (cairo + pango, on libs/pdf's business document layout), the file
// SendQuotation attaches to its email. Pure: it prints what it is given
// and computes nothing but each VAT row's gross, so the PDF cannot
// disagree with the stored quotation.
#pragma once

#include <string>

#include "karton/common/v1/address.pb.h"
#include "karton/common/v1/date.pb.h"
#include "karton/orders/v1/orders.pb.h"
#include "orders_settings.h"

namespace karton::orders {

// The customer as the partner card has it when the quotation is sent.
struct OfferedTo {
  std::string name;
  common::v1::Address address;
  std::string tax_number;
  // The contact person, when the quotation has one.
  std::string contact_name;
};

enum class DocumentLanguage { kHungarian, kEnglish };

// "hu" (or empty) and "en"; false for anything else.
bool ParseDocumentLanguage(const std::string& tag, DocumentLanguage& language);

struct QuotationPrint {
  const v1::Quotation& quotation;  // with its lines and totals by category
  OfferingCompany company;
  OfferedTo customer;
  // The date printed on it: the day it is sent.
  common::v1::Date date;
  DocumentLanguage language = DocumentLanguage::kHungarian;
};

// The bytes of the PDF: title and number, the offering company and the
// customer, the date, validity and currency, the lines (continuing on
// further pages under a repeated header row, with "2 / 3" footers), the
// VAT summary with the legal reason of every category without VAT, the
// totals, the note and the validity sentence. The PDF's title is the
// quotation's number.
//
// Throws std::invalid_argument for a quotation without a number or lines,
// a line without a VAT category, an empty company name, or a text that is
// not valid UTF-8; std::runtime_error when cairo reports an error.
std::string RenderQuotationPdf(const QuotationPrint& print);

// "Arajanlat-AJ-2026-000042.pdf" or "Quotation-AJ-2026-000042.pdf": ASCII,
// so every mail client shows it as it is.
std::string QuotationFileName(const v1::Quotation& quotation, DocumentLanguage language);

}  // namespace karton::orders
