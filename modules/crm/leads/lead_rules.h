// The checks every lead passes, whether typed in through the API or
// submitted through a web form: sizes, shapes of email, phone, country and
// postal code, and at least one way to reach the person.
#pragma once

#include <string>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/errors.h"

namespace karton::crm {

inline constexpr std::size_t kMaxShortText = 200;
inline constexpr std::size_t kMaxMessage = 10000;

// Trims the texts, upper-cases the country, lower-cases the email's domain,
// and adds a violation (field named under `prefix`, e.g. "lead.") for each
// problem.
void NormalizeLead(v1::Lead& lead, const std::string& prefix,
                   std::vector<kernel::FieldViolation>& violations);

// Shapes shared with web forms.
bool LooksLikeEmail(const std::string& text);
bool LooksLikePhone(const std::string& text);
std::string Trimmed(const std::string& text);
// Valid UTF-8 of at most `max_bytes` bytes, without control characters
// other than tab and line breaks.
bool IsAcceptableText(const std::string& text, std::size_t max_bytes);

}  // namespace karton::crm
