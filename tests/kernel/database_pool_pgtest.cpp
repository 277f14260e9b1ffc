// The pool's wait for a connection (karton/kernel/database.h): bounded by
// the acquire timeout and, on a thread serving a gRPC call, by that call's
// deadline; what gives up throws the error kernel::Guarded answers
// RESOURCE_EXHAUSTED, and is counted. The same holds for a method served
// through gRPC's callback API (karton/kernel/callback_calls.h), on a real
// server.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/status.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "database_unavailable.h"
#include "grpc_host.h"
#include "karton/kernel/callback_calls.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/v1/job_service.grpc.pb.h"
#include "metrics.h"
#include "throwaway_postgres.h"
#include "unauthenticated_grpc_host.h"

namespace karton::kernel {
namespace {

using testing::SharedPostgres;

// How long the message of a DatabasePoolExhaustedError says the wait was.
long WaitedMilliseconds(const std::string& message) {
  const std::string marker = "stayed in use for ";
  const auto at = message.find(marker);
  if (at == std::string::npos) return -1;
  return std::stol(message.substr(at + marker.size()));
}

class DatabasePoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
  }
  void TearDown() override { SetServedCallDeadline(std::nullopt); }
  std::string conninfo_;
};

TEST_F(DatabasePoolTest, AnExhaustedPoolThrowsAfterTheAcquireTimeoutAndCountsIt) {
  Database database(conninfo_, 1, std::chrono::milliseconds(100));
  auto held = database.Acquire();
  EXPECT_EQ(database.CurrentStats().exhausted, 0u);
  try {
    database.Acquire();
    FAIL() << "a second connection from a pool of one";
  } catch (const DatabasePoolExhaustedError& error) {
    EXPECT_NE(std::string(error.what()).find("the database pool is exhausted: all 1 connections"),
              std::string::npos)
        << error.what();
    EXPECT_EQ(WaitedMilliseconds(error.what()), 100) << error.what();
  }
  EXPECT_EQ(database.CurrentStats().exhausted, 1u);
}

TEST_F(DatabasePoolTest, AServedCallsDeadlineShortensTheWaitAndLeavesTimeToAnswer) {
  Database database(conninfo_, 1, std::chrono::minutes(10));
  auto held = database.Acquire();
  SetServedCallDeadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  try {
    database.Acquire();
    FAIL() << "a second connection from a pool of one";
  } catch (const DatabasePoolExhaustedError& error) {
    // Not the ten minutes, not all of the two seconds: a margin is left for
    // the answer to reach the caller before its deadline.
    const long waited = WaitedMilliseconds(error.what());
    EXPECT_GT(waited, 0) << error.what();
    EXPECT_LT(waited, 2000) << error.what();
  }
  // A deadline already past: no wait at all.
  SetServedCallDeadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  try {
    database.Acquire(std::chrono::minutes(10));
    FAIL() << "a second connection from a pool of one";
  } catch (const DatabasePoolExhaustedError& error) {
    EXPECT_EQ(WaitedMilliseconds(error.what()), 0) << error.what();
  }
  EXPECT_EQ(database.CurrentStats().exhausted, 2u);
}

TEST_F(DatabasePoolTest, GuardedAnswersAnExhaustedPoolResourceExhausted) {
  Database database(conninfo_, 1, std::chrono::milliseconds(0));
  auto held = database.Acquire();
  spdlog::logger log("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  bool wrote = false;
  const grpc::Status status = Guarded(log, "Test", [&]() -> grpc::Status {
    auto lease = database.Acquire();
    wrote = true;
    return grpc::Status::OK;
  });
  EXPECT_FALSE(wrote);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("the database pool is exhausted: all 1 connections"),
            std::string::npos)
      << status.error_message();
}

TEST_F(DatabasePoolTest, AFreedConnectionIsLentAgain) {
  Database database(conninfo_, 1, std::chrono::milliseconds(0));
  { auto first = database.Acquire(); }
  auto again = database.Acquire();
  int one = 0;
  again.Session() << "SELECT 1", soci::into(one);
  EXPECT_EQ(one, 1);
  EXPECT_EQ(database.CurrentStats().exhausted, 0u);
}

// JobService's ListJobs answered on gRPC's own thread, waiting for a
// connection of `database`.
class CallbackListJobs final
    : public v1::JobService::WithCallbackMethod_ListJobs<v1::JobService::Service> {
 public:
  explicit CallbackListJobs(Database& database) : database_(database) {}
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const v1::ListJobsRequest*, v1::ListJobsResponse*) override {
    return AnswerOnThisThread(context, [&] {
      return Guarded(log_, "ListJobs", [&]() -> grpc::Status {
        auto lease = database_.Acquire();
        return grpc::Status::OK;
      });
    });
  }

 private:
  Database& database_;
  spdlog::logger log_{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};
};

TEST_F(DatabasePoolTest, ACallbackServedCallsDeadlineShortensTheWaitToo) {
  // Without the deadline handed on, the handler would wait the pool's ten
  // minutes and the caller would see DEADLINE_EXCEEDED; with it, the
  // handler gives up in time to answer RESOURCE_EXHAUSTED itself.
  Database database(conninfo_, 1, std::chrono::minutes(10));
  Metrics metrics;
  CallbackListJobs service(database);
  GrpcHost host(metrics);
  host.AddService(service, v1::JobService::service_full_name());
  StartWithoutAuthentication(host);
  {
    // Another thread holds the pool's one connection: a thread that holds
    // one and calls in-process is a hazard kartond refuses (database.h).
    std::promise<void> release;
    std::promise<void> holding;
    std::thread holder([&] {
      auto held = database.Acquire();
      holding.set_value();
      release.get_future().wait();
    });
    holding.get_future().wait();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::ListJobsRequest request;
    v1::ListJobsResponse response;
    const grpc::Status status =
        CallMethod(*host.InProcessChannel(), context, "/karton.kernel.v1.JobService/ListJobs",
                   request, response);
    release.set_value();
    holder.join();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  }
  EXPECT_EQ(database.CurrentStats().exhausted, 1u);
  // The deadline was the call's only: the thread keeps none afterwards, so
  // with the connection free the next call gets it.
  grpc::ClientContext context;
  v1::ListJobsRequest request;
  v1::ListJobsResponse response;
  EXPECT_TRUE(CallMethod(*host.InProcessChannel(), context, "/karton.kernel.v1.JobService/ListJobs",
                         request, response)
                  .ok());
  host.Shutdown(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace karton::kernel
