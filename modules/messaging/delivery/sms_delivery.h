// SMS out through a provider's JSON-over-HTTPS API, with libcurl.
//
// The request is the common shape of SMS gateways:
//
//   POST <sms_url>
//   Authorization: Bearer <sms_api_key>
//   Idempotency-Key: karton-message-<id>
//   Content-Type: application/json
//   {"to": "+36301234567", "from": "<sms_sender>", "text": "...", "reference": "<id>"}
//
// and a 2xx answer may carry the provider's id as "id" or "message_id".
// Providers that honour Idempotency-Key drop the repeat that a crash between
// their answer and our commit would cause.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "delivery/delivery_outcome.h"

namespace karton::messaging {

struct SmsSettings {
  std::string url;      // --module-option messaging.sms_url (http:// or https://)
  std::string api_key;  // messaging.sms_api_key
  std::string sender;   // messaging.sms_sender: the sender id shown on the phone
  std::chrono::seconds timeout{30};
};

// The JSON body sent for one message.
std::string SmsRequestBody(const SmsSettings& settings, const std::string& to,
                           const std::string& text, std::int64_t message_id);

// 2xx: sent. 408, 425, 429, 5xx and transport errors: temporary (try again).
// Any other 4xx: permanent (a bad number, a refused sender).
DeliveryOutcome SendSms(const SmsSettings& settings, const std::string& to, const std::string& text,
                        std::int64_t message_id);

// An SMS address as stored: E.164 after dropping spaces, dashes, dots and
// parentheses; nullopt when it is not "+<country code><number>".
std::optional<std::string> NormalizeSmsAddress(const std::string& text);

}  // namespace karton::messaging
