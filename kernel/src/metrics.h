// Prometheus metrics kept by the kernel: calls, errors and a latency histogram
// per gRPC method and per HTTP route, and the database pool's use.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace karton::kernel {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets.
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // One gRPC method's counts, updated without a lock: the interceptor finds
  // them once per call by the method's name and adds with atomics, so
  // counting costs no formatting and no contended mutex on the hot path.
  class GrpcMethodStats {
   public:
    void Observe(int code, double seconds);

   private:
    friend class Metrics;
    static constexpr int kCodes = 17;  // grpc::StatusCode 0..16
    std::array<std::atomic<std::uint64_t>, kCodes> calls_by_code_{};
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> bucket_counts_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_nanoseconds_{0};
  };
  GrpcMethodStats& GrpcMethod(const std::string& method);

  // `code` is the gRPC status name ("OK", "NOT_FOUND"); anything but OK counts as an error.
  void ObserveGrpcCall(const std::string& method, const std::string& code, double seconds);
  // `route` is the registered pattern ("/u/{token}"), never the raw path, so
  // the number of series stays bounded.
  void ObserveHttpRequest(const std::string& method, const std::string& route, int status,
                          double seconds);
  // Gauges read at scrape time (for example the database pool).
  void AddGauge(std::string name, std::string help, std::function<double()> read);
  // Counters kept elsewhere, read at scrape time (for example the database
  // pool's exhaustions); `name` ends in _total.
  void AddCounter(std::string name, std::string help, std::function<double()> read);

  // The Prometheus text exposition format (version 0.0.4).
  std::string RenderPrometheusText() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBuckets.size()> bucket_counts{};
    std::uint64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
  };
  struct Gauge {
    std::string help;
    std::function<double()> read;
    const char* type = "gauge";
  };

  mutable std::shared_mutex grpc_mutex_;  // guards the map, not the counts
  std::map<std::string, std::unique_ptr<GrpcMethodStats>> grpc_methods_;
  mutable std::mutex mutex_;
  // key: label set rendered as Prometheus labels, e.g. method="/a.B/C"
  std::map<std::string, std::uint64_t> http_requests_;
  std::map<std::string, Histogram> http_latency_;
  std::map<std::string, Gauge> gauges_;
};

}  // namespace karton::kernel
