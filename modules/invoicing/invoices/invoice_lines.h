// The lines of an invoice as a client writes them become lines as stored
// (amounts computed), and what the invoice adds up to, in its currency and
// the VAT in forints (docs/invoicing.md, "Money"). Pure rules, no database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/invoicing/v1/invoicing.pb.h"
#include "karton/kernel/errors.h"

namespace karton::invoicing {

inline constexpr int kMaxLines = 500;

// Fills each line's position, defaults and amounts in place; every problem
// is a violation naming the field under `field_prefix`
// ("invoice.lines[2].quantity"). Nothing is computed when there is one.
std::vector<kernel::FieldViolation> PriceLines(
    google::protobuf::RepeatedPtrField<v1::InvoiceLine>& lines, const std::string& currency_code,
    const std::string& field_prefix);

// The totals: nets summed, VAT per category on the summed net, gross, and
// the VAT in forints at `rate_millionths` (1,000,000 for HUF; 0 when not
// known yet, which leaves the forint amounts unset). Throws
// std::overflow_error beyond int64.
v1::InvoiceTotals TotalsOf(const google::protobuf::RepeatedPtrField<v1::InvoiceLine>& lines,
                           const std::string& currency_code, std::int64_t rate_millionths);

// "395.12" -> 395120000; "" -> 0 (not given). nullopt for anything else.
std::optional<std::int64_t> ParseRate(const std::string& text);

// How a VAT category is stored: VAT_CATEGORY_STANDARD_27 -> "standard_27".
std::string VatCategoryWord(common::v1::VatCategory category);

}  // namespace karton::invoicing
