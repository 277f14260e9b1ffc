// The embedded cluster: created once, reused, stopped cleanly.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "kartond_process.h"
#include "postgres_cluster.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

TEST(PostgresCluster, CreatesOnceThenReusesTheSameData) {
  testing::TemporaryDirectory directory;
  PostgresClusterOptions options;
  options.data_directory = directory.Path() / "data";
  options.durable = false;
  {
    PostgresCluster cluster(options);
    cluster.Start();
    ASSERT_TRUE(cluster.Running());
    testing::QueryScalar(cluster.ConnectionString(), "CREATE TABLE kept (v text)");
    testing::QueryScalar(cluster.ConnectionString(), "INSERT INTO kept VALUES ('still here')");
    cluster.Stop();
    EXPECT_FALSE(cluster.Running());
    EXPECT_THROW(testing::QueryScalar(cluster.ConnectionString(), "SELECT 1"), std::runtime_error);
  }
  PostgresCluster again(options);
  again.Start();
  EXPECT_EQ(testing::QueryScalar(again.ConnectionString(), "SELECT v FROM kept"), "still here");
  // Only loopback, and a password is required.
  EXPECT_EQ(testing::QueryScalar(again.ConnectionString(), "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(testing::QueryScalar(again.ConnectionString(), "SHOW unix_socket_directories"), "");
  EXPECT_THROW(testing::QueryScalar(fmt::format("host=127.0.0.1 port={} user=karton "
                                                "password=wrong dbname=karton",
                                                again.Port()),
                                    "SELECT 1"),
               std::runtime_error);
}

TEST(PostgresCluster, ReportsAnUnusableBinaryDirectory) {
  testing::TemporaryDirectory directory;
  PostgresClusterOptions options;
  options.data_directory = directory.Path() / "data";
  options.bin_directory = "/nonexistent/bin";
  PostgresCluster cluster(options);
  try {
    cluster.Start();
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("initdb failed"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("cannot execute /nonexistent/bin/initdb"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace karton::kernel
