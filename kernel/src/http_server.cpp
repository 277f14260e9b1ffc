#include "http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "metrics.h"

namespace karton::kernel {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// The whole request head must arrive within this; it is also the idle limit
// of a keep-alive connection between two requests. (A client trickling
// header bytes, Slowloris style, holds a connection no longer.)
constexpr auto kHeaderTimeout = std::chrono::seconds(15);
// A body must arrive at this rate at least, after a short allowance: the
// deadline for N bytes is kBodyAllowance + N / kMinBodyBytesPerSecond.
constexpr std::size_t kMinBodyBytesPerSecond = 16 * 1024;
constexpr auto kBodyAllowance = std::chrono::seconds(5);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// How long Stop() lets connections unwind after closing them before it
// abandons whatever is left to the io_context's destructor.
constexpr auto kUnwindTimeout = std::chrono::seconds(2);
constexpr const char* kUnmatchedRoute = "unmatched";

// --- Router helpers ----------------------------------------------------------

// "/a/b" -> {"a", "b"}, "/" -> {}. Empty segments are kept so that "//x" or
// "/x/" can never match a pattern by accident (patterns have none).
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path == "/") return segments;
  std::size_t start = 1;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      return segments;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

bool IsParameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

std::string_view ParameterName(std::string_view segment) {
  return segment.substr(1, segment.size() - 2);
}

bool SegmentsMatch(const std::vector<std::string>& pattern,
                   const std::vector<std::string_view>& path) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (IsParameter(pattern[i])) {
      if (path[i].empty()) return false;
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

// Two patterns that match exactly the same paths, e.g. "/u/{a}" and "/u/{b}".
bool SameShape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool a_param = IsParameter(a[i]);
    if (a_param != IsParameter(b[i])) return false;
    if (!a_param && a[i] != b[i]) return false;
  }
  return true;
}

// "/forms/new" must win over "/forms/{id}" however the routes were added:
// the first segment where the two differ decides, a literal beats a parameter.
bool MoreSpecific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const bool a_param = IsParameter(a[i]);
    const bool b_param = IsParameter(b[i]);
    if (a_param != b_param) return !a_param;
  }
  return false;
}

// --- HTTP helpers ------------------------------------------------------------

std::string JsonEscape(std::string_view text) {
  // The body of a JSON string literal: JsonString's quotes taken off.
  const std::string quoted = JsonString(text);
  return quoted.substr(1, quoted.size() - 2);
}

HttpResponse ErrorResponse(int code, std::string_view message) {
  return HttpResponse::Json(
      code, fmt::format(R"({{"error":{{"code":{},"message":"{}"}}}})", code, JsonEscape(message)));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path ('+' stays '+': it means space only in queries).
// Malformed escapes and NUL bytes are refused: NUL would only fail later,
// deep in a handler or in PostgreSQL, as a confusing 500.
std::optional<std::string> DecodePath(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    if (i + 2 >= raw.size()) return std::nullopt;
    const int high = HexValue(raw[i + 1]);
    const int low = HexValue(raw[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const char decoded = static_cast<char>(high * 16 + low);
    if (decoded == '\0') return std::nullopt;
    out += decoded;
    i += 2;
  }
  return out;
}

std::optional<HttpMethod> ToHttpMethod(http::verb verb) {
  switch (verb) {
    case http::verb::get:
      return HttpMethod::kGet;
    case http::verb::post:
      return HttpMethod::kPost;
    case http::verb::put:
      return HttpMethod::kPut;
    case http::verb::patch:
      return HttpMethod::kPatch;
    case http::verb::delete_:
      return HttpMethod::kDelete;
    case http::verb::options:
      return HttpMethod::kOptions;
    default:
      return std::nullopt;
  }
}

// Unknown method strings are client-chosen; keep them out of metric labels.
std::string MetricsMethodName(http::verb verb) {
  if (verb == http::verb::unknown) return "OTHER";
  return std::string(http::to_string(verb));
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsTokenChar(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Handler-supplied headers go onto the wire verbatim; refuse anything that
// could split the response or fight with the framing the server owns.
bool AcceptableHeader(const std::string& name, const std::string& value) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) return false;
  const std::string lower = ToLower(name);
  return lower != "content-length" && lower != "transfer-encoding" && lower != "connection";
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

tcp::endpoint ParseListenAddress(const std::string& listen_address) {
  const auto invalid = [&](std::string_view why) {
    return std::runtime_error(
        fmt::format("invalid HTTP listen address \"{}\": {}", listen_address, why));
  };
  const std::string_view text(listen_address);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw invalid("expected [ipv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) throw invalid("expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      throw invalid("IPv6 addresses need brackets, as in [::1]:8080");
    }
  }
  if (host.empty()) throw invalid("missing host");
  unsigned port_number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() ||
      port_number > 65535) {
    throw invalid("bad port");
  }
  std::string host_text(host);
  // The one name worth supporting without a resolver; anything else must be
  // an IP literal so the bind address is never a surprise.
  if (host_text == "localhost") host_text = "127.0.0.1";
  boost::system::error_code parse_error;
  const asio::ip::address address = asio::ip::make_address(host_text, parse_error);
  if (parse_error) throw invalid(fmt::format("\"{}\" is not an IP address", host));
  return tcp::endpoint(address, static_cast<unsigned short>(port_number));
}

std::string RemoteAddress(const tcp::socket& socket) {
  boost::system::error_code error;
  const tcp::endpoint endpoint = socket.remote_endpoint(error);
  if (error) return {};
  asio::ip::address address = endpoint.address();
  // Dual-stack listeners report IPv4 peers as ::ffff:a.b.c.d; handlers that
  // log or rate-limit by address want the plain form.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

bool IsLoopback(const std::string& address) {
  boost::system::error_code error;
  const asio::ip::address parsed = asio::ip::make_address(address, error);
  return !error && parsed.is_loopback();
}

void LogDetachedFailure(const char* what, std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    spdlog::error("HTTP server: {} failed: {}", what, error.what());
  } catch (...) {
    spdlog::error("HTTP server: {} failed with a non-standard exception", what);
  }
}

}  // namespace

// --- HttpRouter --------------------------------------------------------------

void HttpRouter::Add(HttpMethod method, std::string pattern, HttpHandler handler,
                     HttpRouteLimits limits) {
  const auto malformed = [&](std::string_view why) {
    return std::invalid_argument(
        fmt::format("malformed HTTP route pattern \"{}\": {}", pattern, why));
  };
  if (!handler) throw std::invalid_argument(fmt::format("HTTP route {} has no handler", pattern));
  if (pattern.empty() || pattern.front() != '/') throw malformed("must start with '/'");
  if (pattern.find_first_of("?#%") != std::string::npos) {
    throw malformed("'?', '#' and '%' are not allowed");
  }
  std::vector<std::string> segments;
  std::set<std::string_view> parameter_names;
  const std::vector<std::string_view> pattern_segments = SplitPath(pattern);
  for (std::size_t i = 0; i < pattern_segments.size(); ++i) {
    const std::string_view segment = pattern_segments[i];
    // A trailing slash is a route of its own ("/app/" beside "/app").
    if (segment.empty() && i + 1 < pattern_segments.size()) throw malformed("empty segment");
    if (segment.find_first_of("{}") != std::string_view::npos) {
      if (!IsParameter(segment) || ParameterName(segment).empty() ||
          ParameterName(segment).find_first_of("{}") != std::string_view::npos) {
        throw malformed("a parameter must be a whole segment \"{name}\" with a non-empty name");
      }
      if (!parameter_names.insert(ParameterName(segment)).second) {
        throw malformed(fmt::format("parameter \"{}\" appears twice", ParameterName(segment)));
      }
    }
    segments.emplace_back(segment);
  }
  for (const Route& route : routes_) {
    if (route.method == method && SameShape(route.segments, segments)) {
      throw std::invalid_argument(fmt::format("duplicate HTTP route {} {} (already added as {})",
                                              HttpMethodName(method), pattern, route.pattern));
    }
  }
  largest_body_limit_ = std::max(largest_body_limit_, limits.max_body_bytes);
  routes_.push_back(
      Route{method, std::move(pattern), std::move(segments), std::move(handler), limits});
}

std::optional<HttpRouter::Match> HttpRouter::Find(HttpMethod method, const std::string& path,
                                                  bool& path_known) const {
  path_known = false;
  if (path.empty() || path.front() != '/') return std::nullopt;
  const std::vector<std::string_view> segments = SplitPath(path);
  const Route* best = nullptr;
  for (const Route& route : routes_) {
    if (!SegmentsMatch(route.segments, segments)) continue;
    path_known = true;
    if (route.method != method) continue;
    if (best == nullptr || MoreSpecific(route.segments, best->segments)) best = &route;
  }
  if (best == nullptr) return std::nullopt;
  Match match;
  match.handler = &best->handler;
  match.pattern = &best->pattern;
  match.limits = &best->limits;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (IsParameter(best->segments[i])) {
      match.path_params.emplace(std::string(ParameterName(best->segments[i])),
                                std::string(segments[i]));
    }
  }
  return match;
}

const char* HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kDelete:
      return "DELETE";
    case HttpMethod::kOptions:
      return "OPTIONS";
  }
  return "UNKNOWN";
}

// --- HttpServer::Impl --------------------------------------------------------

class HttpServer::Impl {
 public:
  Impl(const std::string& listen_address, const HttpRouter& router, Metrics& metrics,
       HttpServerLimits limits, HttpTls tls)
      : tls_(std::move(tls)),
        router_(router),
        metrics_(metrics),
        limits_(limits),
        pages_{asio::thread_pool(std::max<std::size_t>(limits.page_threads, 1)),
               std::max<std::size_t>(limits.page_queue, 1)},
        api_{asio::thread_pool(std::max<std::size_t>(limits.api_threads, 1)),
             std::max<std::size_t>(limits.api_queue, 1)},
        acceptor_(io_) {
    const tcp::endpoint endpoint = ParseListenAddress(listen_address);
    boost::system::error_code error;
    const auto check = [&] {
      if (error) {
        throw std::runtime_error(
            fmt::format("cannot listen for HTTP on {}: {}", listen_address, error.message()));
      }
    };
    acceptor_.open(endpoint.protocol(), error);
    check();
    // Lets a restarted kartond rebind while old connections sit in TIME_WAIT.
    acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    check();
    acceptor_.bind(endpoint, error);
    check();
    acceptor_.listen(asio::socket_base::max_listen_connections, error);
    check();
    const tcp::endpoint bound = acceptor_.local_endpoint(error);
    check();
    // Kept as text: after Stop() the acceptor is closed and cannot say.
    bound_address_ = FormatEndpoint(bound);
    if (!tls_.cert_file.empty()) tls_context_ = LoadTlsContext();
  }

  bool Tls() const { return !tls_.cert_file.empty(); }

  bool ReloadTls() {
    if (!Tls()) return false;
    try {
      auto fresh = LoadTlsContext();
      std::lock_guard lock(tls_mutex_);
      tls_context_ = std::move(fresh);
    } catch (const std::exception& error) {
      spdlog::error("HTTPS: the renewed certificate was not taken, the old one stays: {}",
                    error.what());
      return false;
    }
    spdlog::info("HTTPS: certificate re-read from {}", tls_.cert_file);
    return true;
  }

  ~Impl() { Stop(0); }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Start() {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_) throw std::logic_error("HTTP server cannot be started again after Stop()");
    if (started_) return;
    started_ = true;
    // Keeps run() alive across momentary lulls (e.g. accept backoff) and
    // guarantees that work posted by Stop() always gets executed.
    work_.emplace(io_.get_executor());
    asio::co_spawn(io_, AcceptLoop(),
                   [](std::exception_ptr failure) { LogDetachedFailure("accept loop", failure); });
    std::promise<void> finished;
    io_finished_ = finished.get_future();
    thread_ = std::thread([this, finished = std::move(finished)]() mutable {
      for (;;) {
        try {
          io_.run();
          break;
        } catch (const std::exception& error) {
          // One broken completion handler must not take HTTP down for good.
          spdlog::error("HTTP event loop: {}", error.what());
        }
      }
      finished.set_value();
    });
  }

  std::string BoundAddress() const { return bound_address_; }

  void Stop(double grace_seconds) {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_) return;
    stopped_ = true;
    if (!started_) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      pages_.threads.join();
      api_.threads.join();
      return;
    }

    RunOnIoThread([this] {
      stopping_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      // Idle keep-alive connections would otherwise hold Stop() for the whole
      // grace period; a client mid-way through sending a request loses it,
      // which it cannot tell apart from arriving after the shutdown anyway.
      for (Connection* connection : connections_) {
        if (!connection->busy) connection->stream->close();
      }
    });

    const auto deadline =
        SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                 std::chrono::duration<double>(std::max(grace_seconds, 0.0)));
    while (in_flight_.load() > 0 && SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (const int left = in_flight_.load(); left > 0) {
      spdlog::warn("HTTP server: {} request(s) still in flight after the {} s grace period", left,
                   grace_seconds);
    }

    // Requests still queued for a worker would run for clients we are about
    // to disconnect; answer them without calling the handler instead.
    abandon_ = true;
    RunOnIoThread([this] {
      for (Connection* connection : connections_) connection->stream->close();
    });
    // Handlers already running cannot be interrupted; wait for them so that
    // nothing they reference disappears underneath them.
    pages_.threads.join();
    api_.threads.join();
    work_.reset();
    if (io_finished_.wait_for(kUnwindTimeout) != std::future_status::ready) {
      spdlog::warn("HTTP server: connections did not unwind in time; stopping the event loop");
      io_.stop();
    }
    thread_.join();
  }

 private:
  // A live connection; owned by its Session coroutine frame and touched only
  // on the event-loop thread, so the registry needs no lock.
  struct Connection {
    beast::tcp_stream* stream = nullptr;
    bool busy = false;  // a request has been read and is not answered yet
  };

  struct Outcome {
    std::string method;
    std::string route;
    HttpResponse response;
  };

  void RunOnIoThread(std::function<void()> task) {
    std::promise<void> done;
    std::future<void> done_future = done.get_future();
    asio::post(io_, [&task, &done] {
      task();
      done.set_value();
    });
    done_future.wait();
  }

  asio::awaitable<void> AcceptLoop() {
    for (;;) {
      auto [error, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (error == asio::error::operation_aborted || stopping_) co_return;
      if (error) {
        // Typically EMFILE: back off instead of spinning on a full fd table.
        spdlog::warn("HTTP server: accept failed: {}", error.message());
        asio::steady_timer backoff(io_, std::chrono::milliseconds(100));
        co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
        if (stopping_) co_return;
        continue;
      }
      boost::system::error_code ignored;
      // Too many connections, in all or from one address: closed at once,
      // before a byte is read, so a flood cannot starve real visitors.
      // Loopback peers are exempt from the per-address cap: a proxy on this
      // machine carries every visitor (cap them at the proxy).
      const std::string remote_address = RemoteAddress(socket);
      if (connections_.size() >= limits_.max_connections ||
          (connections_by_address_[remote_address] >= limits_.max_connections_per_address &&
           !IsLoopback(remote_address))) {
        if (connections_by_address_[remote_address] == 0) {
          connections_by_address_.erase(remote_address);
        }
        metrics_.ObserveHttpRequest("OTHER", "refused_connection", 503, 0.0);
        socket.close(ignored);
        continue;
      }
      // Responses are written in one go; Nagle would only add latency.
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(io_, Session(std::move(socket), remote_address),
                     [](std::exception_ptr failure) { LogDetachedFailure("connection", failure); });
    }
  }

  // TLS 1.2 and up, the server's cipher order, no renegotiation; the key
  // must belong to the certificate.
  std::shared_ptr<asio::ssl::context> LoadTlsContext() const {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    boost::system::error_code error;
    context->use_certificate_chain_file(tls_.cert_file, error);
    if (error) {
      throw std::runtime_error(fmt::format("--tls-cert {}: {}", tls_.cert_file, error.message()));
    }
    context->use_private_key_file(tls_.key_file, asio::ssl::context::pem, error);
    if (error) {
      throw std::runtime_error(fmt::format("--tls-key {}: {}", tls_.key_file, error.message()));
    }
    return context;
  }

  std::shared_ptr<asio::ssl::context> CurrentTlsContext() {
    std::lock_guard lock(tls_mutex_);
    return tls_context_;
  }

  asio::awaitable<void> Session(tcp::socket socket, std::string remote_address) {
    if (auto context = CurrentTlsContext()) {
      // The context stays alive with this frame even if a reload swaps it.
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *context);
      beast::get_lowest_layer(stream).expires_after(kHeaderTimeout);
      auto [handshake_error] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                               asio::as_tuple(asio::use_awaitable));
      if (handshake_error) co_return;  // not TLS, or a certificate the client refused
      co_await Serve(stream, remote_address);
      // close_notify, so the client knows the last response was whole.
      beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
      co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await Serve(stream, remote_address);
      // Half-close so the client reads the last response before seeing EOF.
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  // One connection's requests, one after another, over plain TCP or TLS.
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, const std::string& remote_address) {
    Connection connection{&beast::get_lowest_layer(stream)};
    connections_.insert(&connection);
    ++connections_by_address_[remote_address];
    struct Unregister {
      std::set<Connection*>& registry;
      std::map<std::string, std::size_t>& by_address;
      Connection* entry;
      const std::string& address;
      ~Unregister() {
        registry.erase(entry);
        if (--by_address[address] == 0) by_address.erase(address);
      }
    } unregister{connections_, connections_by_address_, &connection, remote_address};

    beast::flat_buffer buffer;
    while (!stopping_) {
      connection.busy = false;
      http::request_parser<http::string_body> parser;
      // The largest body any route takes; the route's own limit follows.
      parser.body_limit(router_.LargestBodyLimit());
      beast::get_lowest_layer(stream).expires_after(kHeaderTimeout);
      auto [read_error, header_bytes] = co_await http::async_read_header(
          stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      // The route decides how much body it takes. A request for no route is
      // answered without reading its body, and the connection then closes.
      const std::optional<std::size_t> route_body_limit =
          read_error ? std::nullopt : BodyLimitOf(parser.get());
      const std::size_t body_limit = route_body_limit.value_or(0);
      parser.body_limit(body_limit);
      // Beast weighs Content-Length against the limit while it parses the
      // head, before the route is known: weigh it again here.
      if (!read_error && route_body_limit && parser.content_length() &&
          *parser.content_length() > body_limit) {
        read_error = http::error::body_limit;
      }
      const bool body_left_unread = !read_error && !parser.is_done() && !route_body_limit;
      if (!read_error && !parser.is_done() && route_body_limit) {
        const auto expect = parser.get()[http::field::expect];
        if (beast::iequals(expect, "100-continue")) {
          // curl and others pause before a large body until told to go on.
          http::response<http::empty_body> proceed{http::status::continue_, parser.get().version()};
          beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
          auto [continue_error, continue_bytes] =
              co_await http::async_write(stream, proceed, asio::as_tuple(asio::use_awaitable));
          if (continue_error) break;
        }
        const std::size_t expected =
            std::min<std::size_t>(parser.content_length().value_or(body_limit), body_limit);
        beast::get_lowest_layer(stream).expires_after(
            kBodyAllowance + std::chrono::seconds(expected / kMinBodyBytesPerSecond));
        auto [body_error, body_bytes] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        read_error = body_error;
      }
      if (read_error) {
        co_await AnswerReadError(stream, parser, read_error);
        break;
      }

      connection.busy = true;
      in_flight_.fetch_add(1);
      struct InFlight {
        std::atomic<int>& counter;
        ~InFlight() { counter.fetch_sub(1); }
      } in_flight{in_flight_};

      const SteadyClock::time_point started = SteadyClock::now();
      http::request<http::string_body> message = parser.release();
      const bool keep_alive = message.keep_alive();
      const unsigned version = message.version();
      Outcome outcome = co_await Handle(std::move(message), remote_address);
      const int status = outcome.response.status;
      http::response<http::string_body> response = ToBeast(std::move(outcome.response), version);
      response.keep_alive(keep_alive && !stopping_ && !body_left_unread);
      beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
      auto [write_error, written] =
          co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
      metrics_.ObserveHttpRequest(
          outcome.method, outcome.route, status,
          std::chrono::duration<double>(SteadyClock::now() - started).count());
      if (write_error || !response.keep_alive()) break;
    }
  }

  // Answers what can still be answered after a failed read; network errors,
  // timeouts and a client closing between requests get silence.
  template <class Stream>
  asio::awaitable<void> AnswerReadError(Stream& stream,
                                        http::request_parser<http::string_body>& parser,
                                        const boost::system::error_code& error) {
    HttpResponse answer;
    if (error == http::error::body_limit) {
      answer = ErrorResponse(413, "request body too large");
    } else if (error.category() == http::make_error_code(http::error::bad_target).category() &&
               error != http::error::end_of_stream && error != http::error::partial_message) {
      answer = ErrorResponse(400, "malformed HTTP request");
    } else {
      co_return;
    }
    // The start line may have been parsed even when the header was not
    // finished; if it was not, these are verb::unknown and HTTP/1.1.
    const std::string method = MetricsMethodName(parser.get().method());
    const unsigned version = parser.get().version();
    const int status = answer.status;
    http::response<http::string_body> response = ToBeast(std::move(answer), version);
    // The rest of the request is still on the wire; the connection is unusable.
    response.keep_alive(false);
    beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
    co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
    metrics_.ObserveHttpRequest(method, kUnmatchedRoute, status, 0.0);
  }

  asio::awaitable<Outcome> Handle(http::request<http::string_body> message,
                                  const std::string& remote_address) {
    Outcome outcome{MetricsMethodName(message.method()), kUnmatchedRoute, {}};
    const std::optional<HttpMethod> method = ToHttpMethod(message.method());
    if (!method) {
      outcome.response = ErrorResponse(405, "method not allowed");
      co_return outcome;
    }
    const std::string_view target = message.target();
    if (target.empty() || target.front() != '/') {
      outcome.response = ErrorResponse(400, "unsupported request target");
      co_return outcome;
    }
    HttpRequest request;
    request.method = *method;
    const std::size_t question = target.find('?');
    const std::optional<std::string> path = DecodePath(target.substr(0, question));
    if (!path) {
      outcome.response = ErrorResponse(400, "malformed percent-encoding in path");
      co_return outcome;
    }
    request.path = *path;
    if (question != std::string_view::npos)
      request.query = std::string(target.substr(question + 1));

    bool path_known = false;
    std::optional<HttpRouter::Match> match = router_.Find(*method, request.path, path_known);
    if (!match) {
      outcome.response = path_known ? ErrorResponse(405, "method not allowed")
                                    : ErrorResponse(404, "no such route: " + request.path);
      co_return outcome;
    }
    outcome.route = *match->pattern;
    const HttpRouteLimits& limits = *match->limits;
    if (limits.loopback_only && !IsLoopback(remote_address)) {
      outcome.response = ErrorResponse(403, "this route answers callers on the same machine only");
      co_return outcome;
    }
    // Over TLS secrets cannot be read on the way, so these routes are open
    // to every peer, as the gRPC port is with --tls-cert.
    if (limits.loopback_only_without_tls && !Tls() && !IsLoopback(remote_address)) {
      outcome.response = ErrorResponse(
          403,
          "this route answers callers on the same machine only: kartond serves plain HTTP, "
          "so give it --tls-cert and --tls-key or put a TLS-terminating proxy in front of it");
      co_return outcome;
    }

    for (const auto& field : message) {
      std::string name = ToLower(field.name_string());
      auto [position, inserted] = request.headers.try_emplace(std::move(name), field.value());
      if (!inserted) {
        // Repeated fields fold into one value (RFC 9110 5.3); Cookie uses "; ".
        position->second += position->first == "cookie" ? "; " : ", ";
        position->second += field.value();
      }
    }
    request.path_params = std::move(match->path_params);
    request.body = std::move(message.body());
    request.remote_address = remote_address;
    if (limits_.trusted_proxies.empty()) {
      request.client_address = remote_address;
    } else {
      const auto forwarded = request.headers.find("x-forwarded-for");
      request.client_address = ForwardedClient(
          remote_address, forwarded == request.headers.end() ? "" : forwarded->second,
          limits_.trusted_proxies);
    }

    const HttpHandler& handler = *match->handler;
    const std::string& pattern = *match->pattern;
    WorkerPool& pool = limits.pool == HttpPool::kApi ? api_ : pages_;
    if (pool.queued.fetch_add(1) >= pool.queue_limit) {
      pool.queued.fetch_sub(1);
      outcome.response = ErrorResponse(503, "too many requests are waiting; try again shortly");
      outcome.response.headers["Retry-After"] = "1";
      co_return outcome;
    }
    struct Dequeue {
      std::atomic<std::size_t>& queued;
      ~Dequeue() { queued.fetch_sub(1); }
    } dequeue{pool.queued};
    // Handlers may block on the database, so they leave the event loop; the
    // co_await brings this coroutine back onto the io_context afterwards.
    outcome.response = co_await asio::co_spawn(
        pool.threads.get_executor(),
        [&]() -> asio::awaitable<HttpResponse> { co_return RunHandler(handler, request, pattern); },
        asio::use_awaitable);
    co_return outcome;
  }

  // The body limit of the route a request head names; nullopt for a
  // request that matches no route (answered 404/405 without its body).
  std::optional<std::size_t> BodyLimitOf(const http::request<http::string_body>& head) const {
    const std::optional<HttpMethod> method = ToHttpMethod(head.method());
    const std::string_view target = head.target();
    if (!method || target.empty() || target.front() != '/') return std::nullopt;
    const std::optional<std::string> path = DecodePath(target.substr(0, target.find('?')));
    if (!path) return std::nullopt;
    bool path_known = false;
    const auto match = router_.Find(*method, *path, path_known);
    if (!match) return std::nullopt;
    return match->limits->max_body_bytes;
  }

  HttpResponse RunHandler(const HttpHandler& handler, const HttpRequest& request,
                          const std::string& pattern) {
    if (abandon_) return ErrorResponse(503, "server shutting down");
    try {
      return handler(request);
    } catch (const std::exception& error) {
      // DescribeDatabaseError, not what(): SOCI's what() quotes the bound
      // values (an address a visitor typed), and DETAIL the row's.
      spdlog::error("HTTP handler {} {} failed: {}", HttpMethodName(request.method), pattern,
                    DescribeDatabaseError(error));
    } catch (...) {
      spdlog::error("HTTP handler {} {} failed with a non-standard exception",
                    HttpMethodName(request.method), pattern);
    }
    return ErrorResponse(500, "internal error");
  }

  static http::response<http::string_body> ToBeast(HttpResponse source, unsigned version) {
    // Beast refuses a body on 1xx/204/304, and statuses outside 200-599 make
    // no sense from a handler; both are handler bugs, reported as such.
    const bool bodiless = source.status == 204 || source.status == 304;
    if (source.status < 200 || source.status > 599 || (bodiless && !source.body.empty())) {
      spdlog::error("HTTP handler returned status {} with a {}-byte body; answering 500",
                    source.status, source.body.size());
      source = ErrorResponse(500, "internal error");
    }
    http::response<http::string_body> response{static_cast<http::status>(source.status), version};
    response.set(http::field::server, "kartond");
    if (!source.content_type.empty() && !bodiless) {
      response.set(http::field::content_type, source.content_type);
    }
    for (const auto& [name, value] : source.headers) {
      if (!AcceptableHeader(name, value)) {
        spdlog::warn("HTTP handler set an unacceptable response header \"{}\"; dropped", name);
        continue;
      }
      response.set(name, value);
    }
    response.body() = std::move(source.body);
    // 204 and 304 must carry neither Content-Length nor a chunked body.
    if (!bodiless) response.prepare_payload();
    return response;
  }

  // One HttpPool's worker threads and how many requests it holds.
  struct WorkerPool {
    asio::thread_pool threads;
    std::size_t queue_limit;
    std::atomic<std::size_t> queued{0};
  };

  const HttpTls tls_;
  std::mutex tls_mutex_;
  // Null for plain HTTP; swapped by ReloadTls. Each connection holds its own.
  std::shared_ptr<asio::ssl::context> tls_context_;
  const HttpRouter& router_;
  Metrics& metrics_;
  HttpServerLimits limits_;
  std::string bound_address_;

  // Declared before io_ on purpose: if Stop() ever has to abandon coroutines,
  // ~io_context destroys their frames, whose cleanup still touches these.
  std::set<Connection*> connections_;                          // event-loop thread only
  std::map<std::string, std::size_t> connections_by_address_;  // event-loop thread only
  std::atomic<int> in_flight_{0};
  std::atomic<bool> abandon_{false};
  bool stopping_ = false;  // event-loop thread only

  WorkerPool pages_;
  WorkerPool api_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::future<void> io_finished_;

  std::mutex lifecycle_mutex_;
  bool started_ = false;
  bool stopped_ = false;
};

// --- HttpServer --------------------------------------------------------------

HttpServer::HttpServer(const std::string& listen_address, const HttpRouter& router,
                       Metrics& metrics, HttpServerLimits limits, const HttpTls& tls)
    : impl_(std::make_unique<Impl>(listen_address, router, metrics, limits, tls)) {}

HttpServer::~HttpServer() {
  try {
    Stop();
  } catch (const std::exception& error) {
    spdlog::error("HTTP server: stopping failed: {}", error.what());
  }
}

void HttpServer::Start() { impl_->Start(); }

std::string HttpServer::BoundAddress() const { return impl_->BoundAddress(); }

void HttpServer::Stop(double grace_seconds) { impl_->Stop(grace_seconds); }

bool HttpServer::Tls() const { return impl_->Tls(); }

bool HttpServer::ReloadTls() { return impl_->ReloadTls(); }

}  // namespace karton::kernel
