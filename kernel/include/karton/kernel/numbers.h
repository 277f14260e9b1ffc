// Whole numbers from outside text (page tokens, etags, ids in CSV cells):
// the whole text must be the number, so "12abc", " 12" and "99999999999999999999"
// are refused instead of read as 12 or thrown about as std::out_of_range.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace karton::kernel {

inline std::optional<std::int64_t> ParseInt64(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace karton::kernel
