// Letters as the post and the print shop want them: the address block in
// the envelope window, the dated letter, the direct-mail CSV row.
#pragma once

#include <string>
#include <vector>

#include "karton/common/v1/address.pb.h"
#include "karton/kernel/clock.h"
#include "letters/letter_pdf.h"

namespace karton::messaging {

// The address block, one line per line of the envelope window. Hungarian
// addresses follow Magyar Posta's order (name, city, street, postal code);
// others the UPU order (name, street, postal code and city, country in
// capitals). `home_country` is left off.
std::vector<std::string> AddressLines(const std::string& name, const std::string& attention,
                                      const common::v1::Address& address,
                                      const std::string& home_country = "HU");

// The date line in the letter's language: "2026. december 1." (hu),
// "1 December 2026" (anything else), with "<place>, " before it when given.
std::string LetterDate(kernel::TimePoint when, const std::string& language,
                       const std::string& place);

// One CSV record (RFC 4180: every field quoted, CRLF at the end).
std::string CsvRecord(const std::vector<std::string>& fields);

}  // namespace karton::messaging
