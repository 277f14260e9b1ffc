// Delivers one event to a webhook endpoint: an HTTP POST of the event as
// JSON, signed with HMAC-SHA256 (libcurl for HTTP, libsodium for the MAC).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/network.h"

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

// Webhooks are requests kartond makes on an admin's word to an address it
// is given; pointed inwards they would reach what only kartond's machine can
// reach (the embedded PostgreSQL's port, cloud metadata at 169.254.169.254,
// services on the office network). So these are refused unless an admin
// allows a range with --webhook-allow-cidr: loopback, private (RFC 1918,
// fc00::/7), carrier-grade NAT, link-local, unspecified, multicast and
// reserved addresses. "" when `address` may be reached; otherwise why not.
std::string WebhookAddressProblem(const IpAddress& address, const std::vector<IpNetwork>& allowed);

// "" when `url` is an absolute http:// or https:// URL with a host that is
// not "localhost" nor a refused address literal; otherwise what is wrong
// with it. Host names are checked again after every resolution, at delivery.
std::string WebhookUrlProblem(const std::string& url, const std::vector<IpNetwork>& allowed);

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
  // Sent as Idempotency-Key when not empty.
  std::string idempotency_key;
};

struct WebhookOutcome {
  bool delivered = false;  // a 2xx answer
  bool gone = false;       // 410: the receiver asks never to be called again
  long http_status = 0;    // 0 when no answer came
  std::string error;       // why it was not delivered
};

// Blocking; safe to call from several threads at once. Redirects are not
// followed (a webhook URL names its endpoint exactly), only http/https are
// spoken, no proxy from the environment is used, and every address the name
// resolves to is checked with WebhookAddressProblem as it is connected to.
WebhookOutcome PostWebhook(const WebhookPost& post, std::chrono::seconds timeout,
                           const std::vector<IpNetwork>& allowed);

}  // namespace karton::kernel
