#include "karton/kernel/pagination.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "karton/kernel/errors.h"
#include "karton/kernel/numbers.h"

namespace karton::kernel {
namespace {
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
}  // namespace

std::string PageToken(char kind, std::int64_t last_id) {
  const std::string raw = fmt::format("{}{}", kind, last_id);
  std::string encoded(
      sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

grpc::Status ReadPage(int page_size, const std::string& page_token, char kind, Page& page) {
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  page.size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  page.cursor_id = 0;
  if (page_token.empty()) return grpc::Status::OK;
  std::string raw(page_token.size(), '\0');
  std::size_t length = 0;
  bool valid = sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(),
                                 page_token.c_str(), page_token.size(), nullptr, &length, nullptr,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
               length >= 2 && raw[0] == kind;
  if (valid) {
    const auto id = ParseInt64(std::string_view(raw).substr(1, length - 1));
    valid = id.has_value();
    page.cursor_id = id.value_or(0);
  }
  if (!valid || page.cursor_id <= 0) {
    return InvalidField("page_token", "is not a token this list gave out");
  }
  return grpc::Status::OK;
}

}  // namespace karton::kernel
