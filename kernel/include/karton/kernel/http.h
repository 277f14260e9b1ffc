// The kernel's HTTP side as modules see it: plain request/response values and
// handlers. No Boost.Beast here on purpose: Beast is heavy to compile and
// lives only in the kernel's server implementation.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace karton::kernel {

// kOptions is for CORS preflight requests of public endpoints (web forms).
enum class HttpMethod { kGet, kPost, kPut, kPatch, kDelete, kOptions };

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;                                // decoded path without the query, e.g. "/u/abc"
  std::string query;                               // raw query string without '?'
  std::map<std::string, std::string> headers;      // lower-case names
  std::map<std::string, std::string> path_params;  // from "{name}" segments
  std::string body;
  // The socket's peer: a proxy, when there is one. Loopback-only routes and
  // connection caps go by it.
  std::string remote_address;
  // The visitor: the peer, or when the peer is a trusted proxy
  // (--http-trusted-proxies), the address it says it serves, read from
  // X-Forwarded-For (kernel::ForwardedClient in network.h). Per-visitor
  // limits and logs go by it.
  std::string client_address;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;

  static HttpResponse Json(int status, std::string body) {
    return HttpResponse{status, "application/json", std::move(body), {}};
  }
  static HttpResponse Text(int status, std::string body) {
    return HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
  }
};

// Runs on an HTTP worker thread; may block on the database. An exception
// becomes a 500 with a JSON body and is logged.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Which worker threads run a route's handler. Each pool has its own
// threads and its own queue limit (503 with Retry-After beyond it), so slow
// calls of one kind cannot hold up the other.
enum class HttpPool {
  kPages,  // public pages: web forms, feeds, links in emails, health
  kApi,    // the JSON gateway (/api/...): authenticated calls into gRPC
};

// What one route accepts, set where the route is added.
struct HttpRouteLimits {
  // The largest request body (413 beyond it); 0 takes none. Bodies must also
  // arrive at a minimum rate, so a slow sender cannot hold a connection.
  std::size_t max_body_bytes = 64 * 1024;
  HttpPool pool = HttpPool::kPages;
  // Answer only callers on this machine (403 otherwise): routes that show
  // internals (/metrics), whatever the transport.
  bool loopback_only = false;
  // Answer only callers on this machine while kartond serves plain HTTP:
  // routes that take bearer tokens, passwords or session cookies, which must
  // not cross a network in clear. A TLS-terminating proxy on the same host
  // is such a caller. With --tls-cert every peer is answered.
  bool loopback_only_without_tls = false;
};

// `text` with & < > " ' replaced by character references: safe inside HTML
// text and quoted attribute values. Every page a module renders from data
// (web forms, unsubscribe pages) escapes with it.
std::string HtmlEscaped(std::string_view text);

// Route patterns are absolute paths whose segments are literals or "{name}",
// which matches one non-empty segment and lands in path_params["name"]:
//   "/healthz", "/u/{token}", "/forms/{form_id}/submit".

}  // namespace karton::kernel
