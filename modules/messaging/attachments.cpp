#include "attachments.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

namespace karton::messaging {

std::optional<std::string> FileNameProblem(std::string_view name) {
  if (name.empty()) return "is required";
  if (name.size() > 255) return "is longer than 255 bytes";
  if (name == "." || name == "..") return "is not a file name";
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(name.data());
  const auto length = static_cast<std::int32_t>(name.size());
  for (std::int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return "is not valid UTF-8";
    if (c == '/' || c == '\\') return "must not contain '/' or '\\' (a name, not a path)";
    const auto type = static_cast<UCharCategory>(u_charType(c));
    if (type == U_CONTROL_CHAR || type == U_LINE_SEPARATOR || type == U_PARAGRAPH_SEPARATOR) {
      return fmt::format("must not contain control characters (U+{:04X})", c);
    }
    if (u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL)) {
      return fmt::format("must not contain bidirectional controls (U+{:04X})", c);
    }
  }
  return std::nullopt;
}

std::optional<std::string> AttachmentMediaType(std::string_view type, std::string& problem) {
  if (type.empty()) return "application/octet-stream";
  std::string lower(type);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  // RFC 6838, section 4.2: restricted names of at most 127 characters.
  static const RE2 kMediaType(
      R"(([a-z0-9][a-z0-9!#$&^_.+-]{0,126})/[a-z0-9][a-z0-9!#$&^_.+-]{0,126})");
  std::string top;
  if (!RE2::FullMatch(lower, kMediaType, &top)) {
    problem = "is not a media type: type/subtype without parameters, e.g. application/pdf";
    return std::nullopt;
  }
  if (top == "multipart" || top == "message") {
    problem = fmt::format(
        "{}/* is MIME structure, not a file; send it as "
        "application/octet-stream",
        top);
    return std::nullopt;
  }
  return lower;
}

std::string SizeText(std::int64_t bytes) {
  if (bytes >= 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0));
  if (bytes >= 1024) return fmt::format("{} KiB", bytes / 1024);
  return fmt::format("{} bytes", bytes);
}

}  // namespace karton::messaging
