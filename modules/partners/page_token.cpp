#include "page_token.h"

#include <sodium.h>

#include <boost/json.hpp>
#include <cstring>

namespace karton::partners {
namespace {

// A short fingerprint of the scope; not a secret, only a guard.
std::string Fingerprint(std::string_view scope) {
  unsigned char hash[8];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(scope.data()),
                     scope.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

}  // namespace

std::string EncodePageToken(const PageCursor& cursor, std::string_view scope) {
  const std::string json = boost::json::serialize(
      boost::json::object{{"k", cursor.key}, {"i", cursor.id}, {"s", Fingerprint(scope)}});
  std::string encoded(
      sodium_base64_ENCODED_LEN(json.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(json.data()), json.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

std::optional<PageCursor> DecodePageToken(std::string_view token, std::string_view scope) {
  if (token.size() > 2048) return std::nullopt;
  std::string json(token.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(json.data()), json.size(), token.data(),
                        token.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  json.resize(length);
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(json, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const auto& object = parsed.as_object();
  const auto* key = object.if_contains("k");
  const auto* id = object.if_contains("i");
  const auto* fingerprint = object.if_contains("s");
  if (key == nullptr || !key->is_string() || id == nullptr || !id->is_int64() ||
      fingerprint == nullptr || !fingerprint->is_string() ||
      fingerprint->as_string() != Fingerprint(scope)) {
    return std::nullopt;
  }
  return PageCursor{std::string(key->as_string()), id->as_int64()};
}

}  // namespace karton::partners
