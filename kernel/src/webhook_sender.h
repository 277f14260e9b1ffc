// Delivers one event to a webhook endpoint: an HTTP POST of the event as
// JSON, signed with HMAC-SHA256 (libcurl for HTTP, libsodium for the MAC).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace karton::kernel {

// Header names, as documented in docs/events.md.
inline constexpr std::string_view kWebhookTimestampHeader = "Karton-Webhook-Timestamp";
inline constexpr std::string_view kWebhookSignatureHeader = "Karton-Webhook-Signature";
inline constexpr std::string_view kWebhookEventIdHeader = "Karton-Event-Id";
inline constexpr std::string_view kWebhookTopicHeader = "Karton-Event-Topic";

// "v1=" + hex HMAC-SHA256 with key `secret` over "<timestamp>.<body>". A
// receiver recomputes it and also checks the timestamp is recent, which
// stops a captured delivery from being replayed later.
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

// "" when `url` is an absolute http:// or https:// URL with a host;
// otherwise what is wrong with it.
std::string WebhookUrlProblem(const std::string& url);

// libcurl's process-wide set-up and tear-down, for the life of kartond.
class CurlGlobalScope {
 public:
  CurlGlobalScope();
  ~CurlGlobalScope();
  CurlGlobalScope(const CurlGlobalScope&) = delete;
  CurlGlobalScope& operator=(const CurlGlobalScope&) = delete;
};

struct WebhookPost {
  std::string url;
  std::string secret;
  std::string body;  // the event as JSON
  std::int64_t event_id = 0;
  std::string topic;
};

struct WebhookOutcome {
  bool delivered = false;  // a 2xx answer
  bool gone = false;       // 410: the receiver asks never to be called again
  long http_status = 0;    // 0 when no answer came
  std::string error;       // why it was not delivered
};

// Blocking; safe to call from several threads at once. Redirects are not
// followed (a webhook URL names its endpoint exactly) and only http/https
// are spoken.
WebhookOutcome PostWebhook(const WebhookPost& post, std::chrono::seconds timeout);

}  // namespace karton::kernel
