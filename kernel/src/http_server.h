// The kernel's HTTP server (Boost.Beast) and the router modules add routes to.
// Beast itself stays inside http_server.cpp: it is slow to compile.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/http.h"
#include "karton/kernel/network.h"

namespace karton::kernel {

class Metrics;

// Maps (method, path) to a handler. Patterns: see karton/kernel/http.h.
// Filled before the server starts; read-only afterwards (no locking needed).
class HttpRouter {
 public:
  // Throws std::invalid_argument for a malformed pattern or a duplicate route.
  void Add(HttpMethod method, std::string pattern, HttpHandler handler,
           HttpRouteLimits limits = {});

  struct Match {
    const HttpHandler* handler = nullptr;
    const std::string* pattern = nullptr;  // for metrics labels
    const HttpRouteLimits* limits = nullptr;
    std::map<std::string, std::string> path_params;
  };
  // The route for `method` and `path`, if any. When none matches,
  // `path_known` tells whether another method would have (405 vs 404).
  std::optional<Match> Find(HttpMethod method, const std::string& path, bool& path_known) const;
  // The largest max_body_bytes of any route.
  std::size_t LargestBodyLimit() const { return largest_body_limit_; }

 private:
  struct Route {
    HttpMethod method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" marks a parameter
    HttpHandler handler;
    HttpRouteLimits limits;
  };
  std::vector<Route> routes_;
  std::size_t largest_body_limit_ = 0;
};

const char* HttpMethodName(HttpMethod method);

// How much the HTTP side takes on at once (docs/operations.md, "Limits").
struct HttpServerLimits {
  std::size_t page_threads = 4;  // HttpPool::kPages
  std::size_t api_threads = 4;   // HttpPool::kApi
  // Requests waiting for or running on a pool's threads; more get 503.
  std::size_t page_queue = 256;
  std::size_t api_queue = 64;
  // Open connections; more are closed at once. The per-address cap does not
  // apply to loopback peers: a proxy on this machine carries every visitor.
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 64;
  // Peers whose X-Forwarded-For is believed (HttpRequest::client_address).
  std::vector<IpNetwork> trusted_proxies;
};

// Serves the router over HTTP/1.1 with keep-alive. One event-loop thread does
// the I/O; handlers run on worker threads (one pool per HttpPool), because
// they may block on the database.
// HTTPS: PEM files, both empty for plain HTTP.
struct HttpTls {
  std::string cert_file;
  std::string key_file;
};

class HttpServer {
 public:
  // Binds and listens at once on "host:port" (port 0 picks a free one).
  // Throws std::runtime_error naming the address and the cause when the
  // address cannot be used (for example "address already in use").
  // With `tls`, every connection is HTTPS; the files are read here, and a
  // certificate or key that cannot be used is a std::runtime_error.
  HttpServer(const std::string& listen_address, const HttpRouter& router, Metrics& metrics,
             HttpServerLimits limits, const HttpTls& tls = {});
  ~HttpServer();  // Stop()s if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting connections on background threads.
  void Start();
  // The bound address as "host:port", with the real port when 0 was asked.
  std::string BoundAddress() const;
  bool Tls() const;
  // Reads the certificate and key again (after a renewal, on SIGHUP): new
  // connections get them, open ones keep theirs. When they cannot be used
  // the old ones stay and the error is logged; false then.
  bool ReloadTls();
  // Stops accepting, gives requests in flight up to `grace_seconds` to finish,
  // closes every connection and joins the threads. Idempotent.
  void Stop(double grace_seconds = 5.0);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace karton::kernel
