#include "metrics.h"

#include <gtest/gtest.h>

namespace karton::kernel {
namespace {

TEST(Metrics, RendersCountersHistogramsAndGauges) {
  Metrics metrics;
  metrics.ObserveGrpcCall("/karton.kernel.v1.KernelService/ListModules", "OK", 0.002);
  metrics.ObserveGrpcCall("/karton.kernel.v1.KernelService/ListModules", "NOT_FOUND", 0.3);
  metrics.ObserveHttpRequest("GET", "/u/{token}", 200, 0.0001);
  metrics.AddGauge("karton_db_pool_connections_in_use", "in use", [] { return 3.0; });
  metrics.AddCounter("karton_db_pool_exhausted_total", "gave up", [] { return 2.0; });
  const std::string text = metrics.RenderPrometheusText();

  EXPECT_NE(text.find("karton_grpc_calls_total{method=\"/karton.kernel.v1.KernelService/"
                      "ListModules\",code=\"NOT_FOUND\"} 1"),
            std::string::npos)
      << text;
  // 0.002 s falls in the 0.0025 bucket and every later one.
  EXPECT_NE(text.find("karton_grpc_call_duration_seconds_bucket{method=\"/karton.kernel.v1."
                      "KernelService/ListModules\",le=\"0.0025\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("le=\"+Inf\"} 2"), std::string::npos) << text;
  EXPECT_NE(
      text.find("karton_http_requests_total{method=\"GET\",route=\"/u/{token}\",status=\"200\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE karton_db_pool_connections_in_use gauge\n"
                      "karton_db_pool_connections_in_use 3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE karton_db_pool_exhausted_total counter\n"
                      "karton_db_pool_exhausted_total 2"),
            std::string::npos)
      << text;
}

TEST(Metrics, EscapesLabelValues) {
  Metrics metrics;
  metrics.ObserveHttpRequest("GET", "/a\"b\\c", 404, 0.01);
  EXPECT_NE(metrics.RenderPrometheusText().find("route=\"/a\\\"b\\\\c\""), std::string::npos);
}

}  // namespace
}  // namespace karton::kernel
