// How Hungarian business documents (invoices, quotations) print the common
// types: VAT categories as their labels and, for the categories without
// VAT, the legal reason the VAT Act requires on the document; dates as
// "2026.12.01."; addresses as lines.
#pragma once

#include <cstdint>
#include <string>

#include "karton/common/v1/address.pb.h"
#include "karton/common/v1/date.pb.h"
#include "karton/common/v1/vat.pb.h"

namespace karton::pdf {

// "27%", "AAM", "EUFAD37", "FAD" (domestic reverse charge), ... Throws
// std::invalid_argument for VAT_CATEGORY_UNSPECIFIED or an unknown value: a
// document that does not say how VAT applies is not one to print.
std::string VatLabel(common::v1::VatCategory category);

// Why no VAT is charged (Áfa tv. 169. § m)-n)), for the exempt, out of
// scope and reverse-charge categories; empty for the rates.
std::string VatReason(common::v1::VatCategory category);

// One line "AAM: alanyi adómentes (...)" for each category of `categories`
// that needs its reason printed, in their order; empty when none does.
template <class Categories>
std::string VatReasonLines(const Categories& categories) {
  std::string lines;
  for (const auto category : categories) {
    if (const std::string reason = VatReason(category); !reason.empty()) {
      lines += (lines.empty() ? "" : "\n") + VatLabel(category) + ": " + reason;
    }
  }
  return lines;
}

// The gross of a VAT row, net + VAT in minor units; throws
// std::overflow_error when it leaves int64.
std::int64_t GrossOf(std::int64_t net_minor, std::int64_t vat_minor);

// "2026.12.01."; empty for an unset date.
std::string HungarianDate(const common::v1::Date& date);

// "1132 Budapest\nVáci út 18.", then the extra line and region, and the
// country unless it is HU.
std::string AddressLines(const common::v1::Address& address);

}  // namespace karton::pdf
