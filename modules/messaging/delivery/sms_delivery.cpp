#include "delivery/sms_delivery.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>

namespace karton::messaging {
namespace {

std::size_t CollectReply(char* data, std::size_t size, std::size_t count, void* user) {
  auto* reply = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (reply->size() < 64 * 1024) reply->append(data, n);  // enough for an id or an error
  return n;
}

// The provider's message id from a JSON answer, "" when there is none.
std::string ProviderId(const std::string& reply) {
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(reply, error);
  if (error || !parsed.is_object()) return "";
  for (const char* key : {"id", "message_id", "messageId"}) {
    const auto* value = parsed.as_object().if_contains(key);
    if (value == nullptr) continue;
    if (value->is_string()) return std::string(value->as_string());
    if (value->is_int64()) return std::to_string(value->as_int64());
  }
  return "";
}

}  // namespace

std::string SmsRequestBody(const SmsSettings& settings, const std::string& to,
                           const std::string& text, std::int64_t message_id) {
  return boost::json::serialize(boost::json::object{{"to", to},
                                                    {"from", settings.sender},
                                                    {"text", text},
                                                    {"reference", std::to_string(message_id)}});
}

DeliveryOutcome SendSms(const SmsSettings& settings, const std::string& to, const std::string& text,
                        std::int64_t message_id) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) return DeliveryOutcome::Temporary("libcurl could not start");
  const std::string body = SmsRequestBody(settings, to, text, message_id);
  curl_slist* raw_headers = nullptr;
  for (const std::string& header :
       {std::string("Content-Type: application/json"),
        fmt::format("Authorization: Bearer {}", settings.api_key),
        fmt::format("Idempotency-Key: karton-message-{}", message_id)}) {
    raw_headers = curl_slist_append(raw_headers, header.c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers,
                                                                      &curl_slist_free_all);
  std::string reply;
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* curl = handle.get();
  curl_easy_setopt(curl, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectReply);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required with threads
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode result = curl_easy_perform(curl);
  if (result != CURLE_OK) {
    return DeliveryOutcome::Temporary(
        fmt::format("{}: {}", curl_easy_strerror(result),
                    error_buffer[0] != '\0' ? error_buffer : "no detail"));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) {
    DeliveryOutcome sent;
    sent.detail = fmt::format("HTTP {}", status);
    sent.provider_message_id = ProviderId(reply);
    return sent;
  }
  const std::string detail =
      fmt::format("the SMS provider answered HTTP {}: {}", status, reply.substr(0, 300));
  if (status == 408 || status == 425 || status == 429 || status >= 500) {
    return DeliveryOutcome::Temporary(detail);
  }
  return DeliveryOutcome::Permanent(detail);
}

std::optional<std::string> NormalizeSmsAddress(const std::string& text) {
  std::string compact;
  for (const char c : text) {
    if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') compact += c;
  }
  static const RE2 kE164(R"(\+[1-9][0-9]{6,14})");
  if (!RE2::FullMatch(compact, kE164)) return std::nullopt;
  return compact;
}

}  // namespace karton::messaging
