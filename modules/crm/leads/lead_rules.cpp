#include "leads/lead_rules.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>

namespace karton::crm {

std::string Trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

bool IsAcceptableText(const std::string& text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return false;
  // ICU's decoder refuses what PostgreSQL refuses too: overlong forms,
  // surrogates, code points above U+10FFFF (web forms reach here without
  // protobuf's own UTF-8 check).
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    if (c == 0x7F) return false;
  }
  return true;
}

bool LooksLikeEmail(const std::string& text) {
  static const RE2 kEmail(R"([^@\s<>(),;:"]+@[^@\s<>(),;:"]+\.[^@\s<>(),;:"]+)");
  return text.size() <= 254 && RE2::FullMatch(text, kEmail);
}

bool LooksLikePhone(const std::string& text) {
  static const RE2 kPhone(R"(\+?[0-9 ()./-]{6,30})");
  const auto digits =
      std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits >= 6 && RE2::FullMatch(text, kPhone);
}

void NormalizeLead(v1::Lead& lead, const std::string& prefix,
                   std::vector<kernel::FieldViolation>& violations) {
  const auto check = [&](const char* field, std::string* value, std::size_t max) {
    *value = Trimmed(*value);
    if (!IsAcceptableText(*value, max)) {
      violations.push_back({prefix + field, fmt::format("must be text of at most {} bytes", max)});
    }
  };
  check("title", lead.mutable_title(), kMaxShortText);
  check("contact_name", lead.mutable_contact_name(), kMaxShortText);
  check("email", lead.mutable_email(), 254);
  check("phone", lead.mutable_phone(), 30);
  check("company_name", lead.mutable_company_name(), kMaxShortText);
  check("tax_number", lead.mutable_tax_number(), 30);
  check("country", lead.mutable_country(), 2);
  check("postal_code", lead.mutable_postal_code(), 20);
  check("city", lead.mutable_city(), kMaxShortText);
  check("message", lead.mutable_message(), kMaxMessage);
  check("category", lead.mutable_category(), 64);
  if (!lead.email().empty()) {
    if (!LooksLikeEmail(lead.email())) {
      violations.push_back({prefix + "email", "is not an email address"});
    } else {
      const auto at = lead.email().find('@');
      std::string domain = lead.email().substr(at + 1);
      std::transform(domain.begin(), domain.end(), domain.begin(),
                     [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
      lead.set_email(lead.email().substr(0, at + 1) + domain);
    }
  }
  if (!lead.phone().empty() && !LooksLikePhone(lead.phone())) {
    violations.push_back({prefix + "phone", "is not a phone number"});
  }
  if (!lead.country().empty()) {
    std::string country = lead.country();
    std::transform(country.begin(), country.end(), country.begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
    if (country.size() != 2 || !std::isupper(static_cast<unsigned char>(country[0])) ||
        !std::isupper(static_cast<unsigned char>(country[1]))) {
      violations.push_back({prefix + "country", "is not an ISO 3166 country code (HU, AT, ...)"});
    }
    lead.set_country(country);
  }
  if (lead.email().empty() && lead.phone().empty()) {
    violations.push_back({prefix + "email", "give an email address or a phone number"});
  }
  if (lead.custom_fields_size() > 50) {
    violations.push_back({prefix + "custom_fields", "at most 50 entries"});
  }
  for (const auto& [key, value] : lead.custom_fields()) {
    if (key.empty() || !IsAcceptableText(key, 64) || !IsAcceptableText(value, 2000)) {
      violations.push_back(
          {prefix + "custom_fields", "keys are 1 to 64 bytes, values at most 2000 bytes of text"});
      break;
    }
  }
}

}  // namespace karton::crm
