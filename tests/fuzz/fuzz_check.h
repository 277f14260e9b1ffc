// What the fuzz targets share: a failed property aborts with a message
// (libFuzzer then saves the input as a crash), and a small reader that
// splits one input into the pieces a target needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace karton::fuzz {

// Bytes as C would write them: what is not printable ASCII as \xNN.
inline std::string Escaped(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    }
  }
  return out;
}

[[noreturn]] inline void Fail(const char* what, std::string_view detail = {}) {
  const std::string shown = Escaped(detail);
  std::fprintf(stderr, "fuzz property failed: %s\n%s\n", what, shown.c_str());
  std::abort();
}

inline void Check(bool condition, const char* what, std::string_view detail = {}) {
  if (!condition) Fail(what, detail);
}

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points above U+10FFFF), as PostgreSQL's text and protobuf's strings need.
inline bool IsUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t point = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = 2, point = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3, point = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4, point = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      point = (point << 6) | (next & 0x3F);
    }
    if ((length == 3 && point < 0x800) || (length == 4 && point < 0x10000) || point > 0x10FFFF ||
        (point >= 0xD800 && point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Reads an input front to back: a byte, or the text up to the next
// separator (all of the rest when there is none).
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return rest_.empty(); }
  std::uint8_t Byte() {
    if (rest_.empty()) return 0;
    const auto byte = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }
  std::string_view Until(std::string_view separator) {
    const auto at = rest_.find(separator);
    if (at == std::string_view::npos) return Rest();
    const std::string_view piece = rest_.substr(0, at);
    rest_.remove_prefix(at + separator.size());
    return piece;
  }
  std::string_view Rest() {
    const std::string_view all = rest_;
    rest_ = {};
    return all;
  }

 private:
  std::string_view rest_;
};

}  // namespace karton::fuzz
