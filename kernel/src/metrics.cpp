#include "metrics.h"

#include <fmt/format.h>

namespace karton::kernel {
namespace {

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

void Metrics::ObserveGrpcCall(const std::string& method, const std::string& code, double seconds) {
  const std::string method_label = fmt::format("method=\"{}\"", EscapeLabel(method));
  std::lock_guard lock(mutex_);
  ++grpc_calls_[fmt::format("{},code=\"{}\"", method_label, EscapeLabel(code))];
  grpc_latency_[method_label].Observe(seconds);
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

std::string Metrics::RenderPrometheusText() const {
  std::string out;
  std::lock_guard lock(mutex_);

  out += "# HELP karton_grpc_calls_total gRPC calls handled, by method and status code.\n";
  out += "# TYPE karton_grpc_calls_total counter\n";
  for (const auto& [labels, count] : grpc_calls_) {
    out += fmt::format("karton_grpc_calls_total{{{}}} {}\n", labels, count);
  }
  out += "# HELP karton_grpc_call_duration_seconds gRPC call latency, by method.\n";
  out += "# TYPE karton_grpc_call_duration_seconds histogram\n";
  for (const auto& [labels, histogram] : grpc_latency_) {
    RenderHistogram(out, "karton_grpc_call_duration_seconds", labels, histogram);
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
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, gauge.help, name, name,
                       gauge.read());
  }
  return out;
}

}  // namespace karton::kernel
