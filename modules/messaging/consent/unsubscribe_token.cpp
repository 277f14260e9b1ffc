#include "consent/unsubscribe_token.h"

#include <fmt/format.h>
#include <sodium.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace karton::messaging {
namespace {

constexpr std::size_t kMacBytes = 16;  // 128 bits: plenty against guessing, short in a URL

}  // namespace

UnsubscribeTokens::UnsubscribeTokens(std::string key) : key_(std::move(key)) {
  if (key_.size() != crypto_auth_hmacsha256_KEYBYTES) {
    throw std::invalid_argument("an unsubscribe signing key has 32 bytes");
  }
}

std::string UnsubscribeTokens::Mac(std::int64_t message_id) const {
  const std::string text = fmt::format("unsubscribe:{}", message_id);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                         reinterpret_cast<const unsigned char*>(key_.data()));
  char encoded[sodium_base64_ENCODED_LEN(kMacBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, mac, kMacBytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return encoded;
}

std::string UnsubscribeTokens::Sign(std::int64_t message_id) const {
  return fmt::format("{}-{}", message_id, Mac(message_id));
}

std::optional<std::int64_t> UnsubscribeTokens::Verify(std::string_view token) const {
  const auto dash = token.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 19) return std::nullopt;
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + dash, id);
  if (error != std::errc() || end != token.data() + dash || id <= 0) return std::nullopt;
  const std::string expected = Mac(id);
  const std::string_view given = token.substr(dash + 1);
  if (given.size() != expected.size() ||
      sodium_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  return id;
}

std::string NewSigningKey() {
  std::string key(crypto_auth_hmacsha256_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

}  // namespace karton::messaging
