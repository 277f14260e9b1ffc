#include "webhook_sender.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sodium.h>

#include <memory>
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

std::string WebhookUrlProblem(const std::string& url) {
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
  }
  curl_free(scheme);
  curl_free(host);
  return problem;
}

WebhookOutcome PostWebhook(const WebhookPost& post, std::chrono::seconds timeout) {
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
      fmt::format("{}: {}", kWebhookSignatureHeader,
                  WebhookSignature(post.secret, timestamp, post.body)),
      "Expect:",  // no "100-continue" round trip
  };
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

  const CURLcode result = curl_easy_perform(handle);
  if (result != CURLE_OK) {
    outcome.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(result);
    return outcome;
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &outcome.http_status);
  outcome.delivered = outcome.http_status >= 200 && outcome.http_status < 300;
  outcome.gone = outcome.http_status == 410;
  if (!outcome.delivered) outcome.error = fmt::format("HTTP {}", outcome.http_status);
  return outcome;
}

}  // namespace karton::kernel
