// RunPrepared against a real PostgreSQL: statements are prepared once per
// connection, survive a reconnect, take part in the session's transaction and
// report errors with their SQLSTATE like SOCI does.
#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include "karton/kernel/database.h"
#include "karton/kernel/prepared_query.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::QueryScalar;
using testing::SharedPostgres;

class PreparedQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 1);
    QueryScalar(conninfo_, "CREATE TABLE note (id bigint PRIMARY KEY, body text)");
  }
  long long PreparedCount(soci::session& session) {
    long long count = 0;
    session << "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'karton_%'",
        soci::into(count);
    return count;
  }
  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

const std::string kInsert = "INSERT INTO note (id, body) VALUES ($1, $2) RETURNING id";
const std::string kRead = "SELECT body, body IS NULL FROM note WHERE id = $1";

TEST_F(PreparedQueryTest, PreparesEachStatementOncePerConnectionAndPassesNulls) {
  auto lease = database_->Acquire();
  for (int id = 1; id <= 3; ++id) {
    const auto rows = RunPrepared(lease.Session(), kInsert,
                                  {std::to_string(id), id == 2 ? QueryParam() : "text"});
    ASSERT_EQ(rows.Count(), 1);
    EXPECT_EQ(rows.Text(0, 0), std::to_string(id));
  }
  const auto present = RunPrepared(lease.Session(), kRead, {"1"});
  ASSERT_EQ(present.Count(), 1);
  EXPECT_EQ(present.Text(0, 0), "text");
  EXPECT_FALSE(present.IsNull(0, 0));
  const auto null_body = RunPrepared(lease.Session(), kRead, {"2"});
  EXPECT_TRUE(null_body.IsNull(0, 0));
  EXPECT_EQ(null_body.Text(0, 1), "t");
  EXPECT_EQ(RunPrepared(lease.Session(), kRead, {"99"}).Count(), 0);
  // Two statements, however many times they ran.
  EXPECT_EQ(PreparedCount(lease.Session()), 2);
}

TEST_F(PreparedQueryTest, BelongsToTheSessionsTransaction) {
  auto lease = database_->Acquire();
  {
    soci::transaction transaction(lease.Session());
    RunPrepared(lease.Session(), kInsert, {"7", "rolled back"});
  }
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM note"), "0");
  soci::transaction transaction(lease.Session());
  RunPrepared(lease.Session(), kInsert, {"7", "kept"});
  transaction.commit();
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT body FROM note WHERE id = 7"), "kept");
}

TEST_F(PreparedQueryTest, ErrorsCarryTheSqlStateAndTheStatementStaysUsable) {
  auto lease = database_->Acquire();
  RunPrepared(lease.Session(), kInsert, {"1", "first"});
  // Many times: the SQLSTATE once came from the freed result, and read back
  // as whatever the allocator had put there since (now and then).
  for (int attempt = 0; attempt < 100; ++attempt) {
    try {
      RunPrepared(lease.Session(), kInsert, {"1", std::string(attempt * 10, 'x')});
      FAIL() << "a duplicate key was accepted";
    } catch (const soci::postgresql_soci_error& error) {
      ASSERT_EQ(error.sqlstate(), "23505") << "attempt " << attempt;
      EXPECT_NE(std::string(error.what()).find("note_pkey"), std::string::npos) << error.what();
    }
  }
  try {
    RunPrepared(lease.Session(), "SELECT nonsense FROM", {});
    FAIL() << "a syntax error was accepted";
  } catch (const soci::postgresql_soci_error& error) {
    EXPECT_EQ(error.sqlstate(), "42601");
  }
  EXPECT_EQ(RunPrepared(lease.Session(), kInsert, {"2", "second"}).Text(0, 0), "2");
}

TEST_F(PreparedQueryTest, ANewConnectionPreparesAgain) {
  auto lease = database_->Acquire();
  RunPrepared(lease.Session(), kInsert, {"1", "before"});
  // The server forgets prepared statements with the connection; so must we.
  lease.Session().reconnect();
  EXPECT_EQ(PreparedCount(lease.Session()), 0);
  RunPrepared(lease.Session(), kInsert, {"2", "after"});
  EXPECT_EQ(RunPrepared(lease.Session(), kRead, {"2"}).Text(0, 0), "after");
  EXPECT_EQ(PreparedCount(lease.Session()), 2);
}

}  // namespace
}  // namespace karton::kernel
