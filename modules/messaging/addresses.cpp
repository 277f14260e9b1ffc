#include "addresses.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include "delivery/sms_delivery.h"

namespace karton::messaging {

bool LooksLikeEmail(const std::string& address) {
  static const RE2 kEmail(R"([^@\s<>]+@[^@\s<>]+\.[^@\s<>]+)");
  return address.size() <= 254 && RE2::FullMatch(address, kEmail);
}

std::string LowerAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::vector<std::string> SuppressionKeysOf(const v1::Message& message) {
  switch (message.channel()) {
    case v1::CHANNEL_EMAIL:
      return {LowerAscii(message.address())};
    case v1::CHANNEL_SMS:
      return {message.address()};
    case v1::CHANNEL_LETTER: {
      std::vector<std::string> keys;
      if (message.recipient().partner_id() != 0) {
        keys.push_back(fmt::format("partners/{}", message.recipient().partner_id()));
      }
      if (message.recipient().contact_id() != 0) {
        keys.push_back(fmt::format("contacts/{}", message.recipient().contact_id()));
      }
      return keys;
    }
    default:
      return {};
  }
}

std::optional<std::string> NormalizeSuppressionAddress(v1::Channel channel,
                                                       const std::string& address,
                                                       std::string& problem) {
  switch (channel) {
    case v1::CHANNEL_EMAIL:
      if (LooksLikeEmail(address)) return LowerAscii(address);
      problem = "is not an email address";
      return std::nullopt;
    case v1::CHANNEL_SMS:
      if (auto phone = NormalizeSmsAddress(address)) return phone;
      problem = "is not a phone number with its country code, e.g. +36301234567";
      return std::nullopt;
    case v1::CHANNEL_LETTER: {
      static const RE2 kRecipient(R"((partners|contacts)/[1-9][0-9]{0,18})");
      if (RE2::FullMatch(address, kRecipient)) return address;
      problem = "names the recipient of letters: partners/<id> or contacts/<id>";
      return std::nullopt;
    }
    default:
      problem = "needs a channel";
      return std::nullopt;
  }
}

}  // namespace karton::messaging
