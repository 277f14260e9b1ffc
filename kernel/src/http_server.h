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

namespace karton::kernel {

class Metrics;

// Maps (method, path) to a handler. Patterns: see karton/kernel/http.h.
// Filled before the server starts; read-only afterwards (no locking needed).
class HttpRouter {
 public:
  // Throws std::invalid_argument for a malformed pattern or a duplicate route.
  void Add(HttpMethod method, std::string pattern, HttpHandler handler);

  struct Match {
    const HttpHandler* handler = nullptr;
    const std::string* pattern = nullptr;  // for metrics labels
    std::map<std::string, std::string> path_params;
  };
  // The route for `method` and `path`, if any. When none matches,
  // `path_known` tells whether another method would have (405 vs 404).
  std::optional<Match> Find(HttpMethod method, const std::string& path, bool& path_known) const;

 private:
  struct Route {
    HttpMethod method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" marks a parameter
    HttpHandler handler;
  };
  std::vector<Route> routes_;
};

const char* HttpMethodName(HttpMethod method);

// Serves the router over HTTP/1.1 with keep-alive. One event-loop thread does
// the I/O; handlers run on a separate pool of worker threads, because they
// may block on the database.
class HttpServer {
 public:
  // Binds and listens at once on "host:port" (port 0 picks a free one).
  // Throws std::runtime_error naming the address and the cause when the
  // address cannot be used (for example "address already in use").
  HttpServer(const std::string& listen_address, const HttpRouter& router, Metrics& metrics,
             std::size_t worker_threads);
  ~HttpServer();  // Stop()s if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting connections on background threads.
  void Start();
  // The bound address as "host:port", with the real port when 0 was asked.
  std::string BoundAddress() const;
  // Stops accepting, gives requests in flight up to `grace_seconds` to finish,
  // closes every connection and joins the threads. Idempotent.
  void Stop(double grace_seconds = 5.0);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace karton::kernel
