#include "metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace karton::kernel {
namespace {

// grpc::StatusCode's names, by number.
constexpr std::array<const char*, 17> kGrpcCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

// Label values may contain anything a client sends in a path pattern or
// method name; Prometheus wants \, " and newlines escaped.
std::string EscapeLabel(const std::string& value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      escaped += '\\';
      escaped += c;
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void RenderHistogram(std::string& out, const std::string& name, const std::string& labels,
                     const auto& histogram) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < Metrics::kLatencyBuckets.size(); ++i) {
    cumulative += histogram.bucket_counts[i];
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, Metrics::kLatencyBuckets[i],
                       cumulative);
  }
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, histogram.count);
  out += fmt::format("{}_sum{{{}}} {}\n", name, labels, histogram.sum);
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, histogram.count);
}

}  // namespace

void Metrics::Histogram::Observe(double seconds) {
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++bucket_counts[i];
      break;
    }
  }
  ++count;
  sum += seconds;
}

void Metrics::GrpcMethodStats::Observe(int code, double seconds) {
  if (code < 0 || code >= kCodes) code = 2;  // UNKNOWN
  calls_by_code_[static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      bucket_counts_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanoseconds_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

Metrics::GrpcMethodStats& Metrics::GrpcMethod(const std::string& method) {
  {
    std::shared_lock lock(grpc_mutex_);
    if (const auto it = grpc_methods_.find(method); it != grpc_methods_.end()) return *it->second;
  }
  std::unique_lock lock(grpc_mutex_);
  auto& stats = grpc_methods_[method];
  if (!stats) stats = std::make_unique<GrpcMethodStats>();
  return *stats;
}

void Metrics::ObserveGrpcCall(const std::string& method, const std::string& code, double seconds) {
  int number = 2;  // UNKNOWN
  for (int i = 0; i < GrpcMethodStats::kCodes; ++i) {
    if (code == kGrpcCodeNames[static_cast<std::size_t>(i)]) number = i;
  }
  GrpcMethod(method).Observe(number, seconds);
}

void Metrics::ObserveHttpRequest(const std::string& method, const std::string& route, int status,
                                 double seconds) {
  const std::string route_label =
      fmt::format("method=\"{}\",route=\"{}\"", EscapeLabel(method), EscapeLabel(route));
  std::lock_guard lock(mutex_);
  ++http_requests_[fmt::format("{},status=\"{}\"", route_label, status)];
  http_latency_[route_label].Observe(seconds);
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_[std::move(name)] = Gauge{std::move(help), std::move(read)};
}

void Metrics::AddCounter(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_[std::move(name)] = Gauge{std::move(help), std::move(read), "counter"};
}

std::string Metrics::RenderPrometheusText() const {
  std::string out;
  std::lock_guard lock(mutex_);

  {
    std::shared_lock grpc_lock(grpc_mutex_);
    // Codes in name order, as Prometheus tools list them anyway.
    std::array<int, GrpcMethodStats::kCodes> by_name{};
    for (int i = 0; i < GrpcMethodStats::kCodes; ++i) by_name[static_cast<std::size_t>(i)] = i;
    std::sort(by_name.begin(), by_name.end(), [](int a, int b) {
      return std::string_view(kGrpcCodeNames[static_cast<std::size_t>(a)]) <
             std::string_view(kGrpcCodeNames[static_cast<std::size_t>(b)]);
    });
    out += "# HELP karton_grpc_calls_total gRPC calls handled, by method and status code.\n";
    out += "# TYPE karton_grpc_calls_total counter\n";
    for (const auto& [method, stats] : grpc_methods_) {
      for (const int code : by_name) {
        const auto count = stats->calls_by_code_[static_cast<std::size_t>(code)].load();
        if (count == 0) continue;
        out +=
            fmt::format("karton_grpc_calls_total{{method=\"{}\",code=\"{}\"}} {}\n",
                        EscapeLabel(method), kGrpcCodeNames[static_cast<std::size_t>(code)], count);
      }
    }
    out += "# HELP karton_grpc_call_duration_seconds gRPC call latency, by method.\n";
    out += "# TYPE karton_grpc_call_duration_seconds histogram\n";
    for (const auto& [method, stats] : grpc_methods_) {
      Histogram snapshot;
      for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        snapshot.bucket_counts[i] = stats->bucket_counts_[i].load();
      }
      snapshot.count = stats->count_.load();
      snapshot.sum = static_cast<double>(stats->sum_nanoseconds_.load()) / 1e9;
      RenderHistogram(out, "karton_grpc_call_duration_seconds",
                      fmt::format("method=\"{}\"", EscapeLabel(method)), snapshot);
    }
  }

  out += "# HELP karton_http_requests_total HTTP requests handled, by route and status.\n";
  out += "# TYPE karton_http_requests_total counter\n";
  for (const auto& [labels, count] : http_requests_) {
    out += fmt::format("karton_http_requests_total{{{}}} {}\n", labels, count);
  }
  out += "# HELP karton_http_request_duration_seconds HTTP request latency, by route.\n";
  out += "# TYPE karton_http_request_duration_seconds histogram\n";
  for (const auto& [labels, histogram] : http_latency_) {
    RenderHistogram(out, "karton_http_request_duration_seconds", labels, histogram);
  }

  for (const auto& [name, gauge] : gauges_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, gauge.help, name, gauge.type,
                       name, gauge.read());
  }
  return out;
}

}  // namespace karton::kernel
