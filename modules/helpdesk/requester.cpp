#include "requester.h"

#include <algorithm>
#include <cctype>

namespace karton::helpdesk {

std::optional<std::string> NormalEmail(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 254) return std::nullopt;
  const auto at = text.find('@');
  if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const auto domain = text.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == 0 || dot == std::string_view::npos || domain.back() == '.') return std::nullopt;
  std::string address;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isspace(byte) || std::iscntrl(byte) || c == '<' || c == '>' || c == ',') {
      return std::nullopt;
    }
    address += static_cast<char>(std::tolower(byte));
  }
  return address;
}

std::optional<std::string> NormalPhone(std::string_view text) {
  std::string digits;
  bool plus = false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isdigit(byte)) {
      digits += c;
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (!(c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')')) {
      return std::nullopt;
    }
  }
  if (!plus) {
    if (digits.rfind("00", 0) == 0) {
      digits.erase(0, 2);
    } else if (digits.rfind("06", 0) == 0) {
      digits.replace(0, 2, "36");
    } else if (digits.rfind("36", 0) != 0) {
      return std::nullopt;  // a local number without its area: not reachable as given
    }
  }
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') return std::nullopt;
  return "+" + digits;
}

}  // namespace karton::helpdesk
