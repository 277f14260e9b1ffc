#include "webhook_sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace karton::kernel {
namespace {

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// The receiver's answer body is not needed; read and drop it.
std::size_t DiscardBody(char*, std::size_t size, std::size_t count, void*) { return size * count; }

struct RefusedRange {
  const char* network;
  const char* kind;
};
// What a webhook may not reach unless allowed (webhook_sender.h).
constexpr RefusedRange kRefusedRanges[] = {
    {"0.0.0.0/8", "an unspecified"},
    {"10.0.0.0/8", "a private"},
    {"100.64.0.0/10", "a shared (CGNAT)"},
    {"127.0.0.0/8", "a loopback"},
    {"169.254.0.0/16", "a link-local"},
    {"172.16.0.0/12", "a private"},
    {"192.0.0.0/24", "a reserved"},
    {"192.168.0.0/16", "a private"},
    {"198.18.0.0/15", "a benchmarking"},
    {"224.0.0.0/4", "a multicast"},
    {"240.0.0.0/4", "a reserved"},
    {"::/128", "an unspecified"},
    {"::1/128", "a loopback"},
    {"fc00::/7", "a private"},
    {"fe80::/10", "a link-local"},
    {"ff00::/8", "a multicast"},
    {"64:ff9b::/96", "a translated (NAT64)"},
};

// What the connect callback found, for the delivery's error.
struct ConnectGuard {
  const std::vector<IpNetwork>* allowed = nullptr;
  std::string refused;
};

// libcurl asks this for every socket it connects, after name resolution:
// the one place that sees the address actually used.
curl_socket_t OpenCheckedSocket(void* client, curlsocktype purpose, curl_sockaddr* target) {
  auto& guard = *static_cast<ConnectGuard*>(client);
  std::optional<IpAddress> address;
  if (purpose == CURLSOCKTYPE_IPCXN && target->family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&target->addr);
    IpAddress v4;
    std::memcpy(v4.bytes.data(), &in->sin_addr, 4);
    address = v4;
  } else if (purpose == CURLSOCKTYPE_IPCXN && target->family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&target->addr);
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    address = IpAddress::Parse(text);  // reads IPv4-mapped addresses as IPv4
  }
  if (!address) {
    guard.refused = "only IPv4 and IPv6 connections are made";
    return CURL_SOCKET_BAD;
  }
  if (auto problem = WebhookAddressProblem(*address, *guard.allowed); !problem.empty()) {
    guard.refused = std::move(problem);
    return CURL_SOCKET_BAD;
  }
  return socket(target->family, target->socktype | SOCK_CLOEXEC, target->protocol);
}

}  // namespace

CurlGlobalScope::CurlGlobalScope() { curl_global_init(CURL_GLOBAL_DEFAULT); }
CurlGlobalScope::~CurlGlobalScope() { curl_global_cleanup(); }

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  const std::string signed_prefix = std::string(timestamp) + ".";
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(signed_prefix.data()), signed_prefix.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string("v1=") + hex;
}

std::string WebhookAddressProblem(const IpAddress& address, const std::vector<IpNetwork>& allowed) {
  if (std::any_of(allowed.begin(), allowed.end(),
                  [&](const IpNetwork& network) { return network.Contains(address); })) {
    return "";
  }
  for (const auto& range : kRefusedRanges) {
    if (IpNetwork::Parse(range.network)->Contains(address)) {
      return fmt::format(
          "{} is {} address, which webhooks may not reach unless an admin allows it "
          "(--webhook-allow-cidr)",
          address.ToString(), range.kind);
    }
  }
  return "";
}

std::string WebhookUrlProblem(const std::string& url, const std::vector<IpNetwork>& allowed) {
  std::unique_ptr<CURLU, CurlDeleter> parsed(curl_url());
  if (!parsed) return "cannot be parsed";
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return "is not an absolute URL";
  }
  char* scheme = nullptr;
  char* host = nullptr;
  curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0);
  std::string problem;
  const std::string scheme_text = scheme != nullptr ? scheme : "";
  if (scheme_text != "http" && scheme_text != "https") {
    problem = "must start with http:// or https://";
  } else if (host == nullptr || *host == '\0') {
    problem = "has no host";
  } else {
    std::string host_text = host;
    if (host_text.size() > 2 && host_text.front() == '[')
      host_text = host_text.substr(1, host_text.size() - 2);
    std::transform(host_text.begin(), host_text.end(), host_text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (host_text == "localhost" || host_text.ends_with(".localhost")) host_text = "127.0.0.1";
    if (const auto literal = IpAddress::Parse(host_text))
      problem = WebhookAddressProblem(*literal, allowed);
  }
  curl_free(scheme);
  curl_free(host);
  return problem;
}

WebhookOutcome PostWebhook(const WebhookPost& post, std::chrono::seconds timeout,
                           const std::vector<IpNetwork>& allowed) {
  WebhookOutcome outcome;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    outcome.error = "libcurl could not make a handle";
    return outcome;
  }
  // Protocol time for the receiver's freshness check, not business time:
  // the real clock, even under --test-clock.
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  std::vector<std::string> lines = {
      "Content-Type: application/json",
      fmt::format("{}: {}", kWebhookEventIdHeader, post.event_id),
      fmt::format("{}: {}", kWebhookTopicHeader, post.topic),
      fmt::format("{}: {}", kWebhookTimestampHeader, timestamp),
      "Expect:",  // no "100-continue" round trip
  };
  // Webhooks always have a secret; a module's one-off post may have none.
  if (!post.secret.empty()) {
    lines.push_back(fmt::format("{}: {}", kWebhookSignatureHeader,
                                WebhookSignature(post.secret, timestamp, post.body)));
  }
  if (!post.idempotency_key.empty()) {
    lines.push_back(fmt::format("Idempotency-Key: {}", post.idempotency_key));
  }
  curl_slist* raw_headers = nullptr;
  for (const auto& line : lines) raw_headers = curl_slist_append(raw_headers, line.c_str());
  std::unique_ptr<curl_slist, CurlDeleter> headers(raw_headers);

  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // required with threads
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT,
                   std::min(10L, static_cast<long>(timeout.count())));
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "karton-webhooks/1");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  // An http_proxy in kartond's environment would hide the real target.
  curl_easy_setopt(handle, CURLOPT_PROXY, "");
  ConnectGuard guard{&allowed, {}};
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, OpenCheckedSocket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &guard);

  const CURLcode result = curl_easy_perform(handle);
  if (result != CURLE_OK) {
    outcome.error = !guard.refused.empty()    ? "not connected: " + guard.refused
                    : error_buffer[0] != '\0' ? error_buffer
                                              : curl_easy_strerror(result);
    return outcome;
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &outcome.http_status);
  outcome.delivered = outcome.http_status >= 200 && outcome.http_status < 300;
  outcome.gone = outcome.http_status == 410;
  if (!outcome.delivered) outcome.error = fmt::format("HTTP {}", outcome.http_status);
  return outcome;
}

}  // namespace karton::kernel
