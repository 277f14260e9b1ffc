// The connection-hazard detector (karton/kernel/database.h): an in-process
// call started by a thread that holds a pooled connection is counted and
// logged, or ends kartond when it is told to abort. The call here is gRPC's
// own health check on a real server, so no module is needed.
#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "grpc_host.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/v1/job_service.grpc.pb.h"
#include "metrics.h"
#include "throwaway_postgres.h"
#include "unauthenticated_grpc_host.h"

namespace karton::kernel {
namespace {

// A server with one service whose methods all answer UNIMPLEMENTED (a sync
// server needs one to poll); the calls go to gRPC's health service.
struct HealthServer {
  HealthServer() : host(metrics) {
    host.AddService(unimplemented, v1::JobService::service_full_name());
    StartWithoutAuthentication(host);
  }
  ~HealthServer() { host.Shutdown(std::chrono::milliseconds(0)); }

  grpc::Status CheckHealth() {
    grpc::ClientContext context;
    google::protobuf::Empty request, response;  // an empty HealthCheckRequest
    return CallMethod(*host.InProcessChannel(), context, "/grpc.health.v1.Health/Check", request,
                      response);
  }

  Metrics metrics;
  v1::JobService::Service unimplemented;
  GrpcHost host;
};

// The parent's database, for the death test's child: gtest's "threadsafe"
// style runs the test again from the start in a new process, and a
// throwaway cluster of the child's own would outlive its abort in /tmp.
constexpr const char* kParentDatabase = "KARTON_CONNECTION_HAZARD_TEST_DATABASE";

class ConnectionHazardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* parent = std::getenv(kParentDatabase)) {
      conninfo_ = parent;
      return;
    }
    conninfo_ = testing::SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
  }
  std::string conninfo_;
};

TEST_F(ConnectionHazardTest, ACallStartedWhileHoldingAConnectionIsCounted) {
  ::setenv("KARTON_ABORT_ON_CONNECTION_HAZARD", "0", 1);
  Database database(conninfo_, 2);
  HealthServer server;

  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);
  ASSERT_TRUE(server.CheckHealth().ok());
  EXPECT_EQ(server.host.ConnectionHazards(), 0u);
  {
    auto lease = database.Acquire();
    auto moved = std::move(lease);  // moving a lease does not count it twice
    EXPECT_EQ(ConnectionsHeldByThisThread(), 1);
    EXPECT_TRUE(server.CheckHealth().ok());  // counted, not refused
  }
  EXPECT_EQ(server.host.ConnectionHazards(), 1u);
  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);
  ASSERT_TRUE(server.CheckHealth().ok());
  EXPECT_EQ(server.host.ConnectionHazards(), 1u);
}

TEST_F(ConnectionHazardTest, TheTestSuitesAbortOnAHazardNamingTheMethod) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ::setenv(kParentDatabase, conninfo_.c_str(), 1);
  EXPECT_DEATH(
      {
        ::setenv("KARTON_ABORT_ON_CONNECTION_HAZARD", "1", 1);
        Database database(conninfo_, 1);
        HealthServer server;
        auto lease = database.Acquire();
        (void)server.CheckHealth();
      },
      "connection hazard: /grpc.health.v1.Health/Check");
  ::unsetenv(kParentDatabase);
}

}  // namespace
}  // namespace karton::kernel
