// Signed unsubscribe links (/u/<token>): the token names the message whose
// link was used and carries a MAC, so nobody can unsubscribe an address by
// guessing ids, and the link needs no table of its own.
//
//   token = "<message id>-<base64url(first 16 bytes of HMAC-SHA-256(key, "unsubscribe:<id>"))>"
//
// The key is per database (messaging.signing_key), so every kartond on it
// accepts every link and links outlive restarts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace karton::messaging {

class UnsubscribeTokens {
 public:
  // `key`: 32 random bytes.
  explicit UnsubscribeTokens(std::string key);

  std::string Sign(std::int64_t message_id) const;
  // The message id when `token` is one of ours, nullopt for anything else.
  std::optional<std::int64_t> Verify(std::string_view token) const;

 private:
  std::string Mac(std::int64_t message_id) const;

  std::string key_;
};

// 32 fresh random bytes, for a new key.
std::string NewSigningKey();

}  // namespace karton::messaging
