// kernel::Transaction against a real PostgreSQL: queued writes go out with
// the COMMIT in one round trip, all or nothing, and outside a kernel
// transaction the same writes run at once. BEGIN goes out with the first
// statement, whichever way that statement is sent.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include "karton/kernel/copy.h"
#include "karton/kernel/database.h"
#include "karton/kernel/transaction.h"
#include "round_trips.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::QueryScalar;
using testing::RoundTrips;
using testing::SharedPostgres;

const std::string kInsertNote = "INSERT INTO note (id, body) VALUES ($1, $2)";
const std::string kNotify = "SELECT pg_notify('karton_test', 'note')";

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 1);
    QueryScalar(conninfo_, "CREATE TABLE note (id bigint PRIMARY KEY, body text NOT NULL)");
  }
  std::string Count() { return QueryScalar(conninfo_, "SELECT count(*) FROM note"); }

  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

TEST_F(TransactionTest, BeginGoesWithTheFirstStatementAndTheCommitWithTheQueuedWrites) {
  auto lease = database_->Acquire();
  PGconn* connection = lease.RawConnection();  // outside a transaction: sends nothing
  // Prepared once beforehand, so that the traced pipelines hold no PREPARE.
  RunPrepared(lease.Session(), "SELECT count(*) FROM note WHERE id > $1", {"0"});
  std::string ends;
  {
    RoundTrips trips(connection);
    Transaction transaction(lease.Session());
    EXPECT_EQ(
        RunPrepared(lease.Session(), "SELECT count(*) FROM note WHERE id > $1", {"0"}).Text(0, 0),
        "0");
    RunPreparedLater(lease.Session(), kInsertNote, {"1", "queued"});
    transaction.Commit();
    ends = trips.Stop();
  }
  // Two round trips: BEGIN with the read, the write with COMMIT.
  EXPECT_EQ(ends, "Sync\nSync\n");
  EXPECT_EQ(Count(), "1");
}

TEST_F(TransactionTest, ATransactionThatSentNothingSendsNothing) {
  auto lease = database_->Acquire();
  RoundTrips trips(lease.RawConnection());
  {
    Transaction refused(lease.Session());  // say, a request that fails validation
  }
  {
    Transaction empty(lease.Session());
    empty.Commit();
  }
  EXPECT_EQ(trips.Stop(), "");
}

TEST_F(TransactionTest, AFailingFirstStatementLeavesNothingAndTheConnectionUsable) {
  auto lease = database_->Acquire();
  lease.Session() << "INSERT INTO note (id, body) VALUES (1, 'there before')";
  try {
    Transaction transaction(lease.Session());
    RunPrepared(lease.Session(), kInsertNote, {"1", "a duplicate key, with the BEGIN"});
    FAIL() << "the duplicate was accepted";
  } catch (const soci::postgresql_soci_error& error) {
    EXPECT_EQ(error.sqlstate(), "23505");
  }
  EXPECT_EQ(PQtransactionStatus(lease.RawConnection()), PQTRANS_IDLE);
  Transaction again(lease.Session());
  RunPrepared(lease.Session(), kInsertNote, {"2", "the next transaction works"});
  again.Commit();
  EXPECT_EQ(Count(), "2");
}

// A statement sent some other way than RunPrepared must not run before the
// pending BEGIN, outside the transaction: rolled back, none is kept.
TEST_F(TransactionTest, SociStatementsCopyAndRawStatementsRunInsideTheTransaction) {
  auto lease = database_->Acquire();
  {
    Transaction transaction(lease.Session());
    lease.Session() << "INSERT INTO note (id, body) VALUES (1, 'by SOCI, first')";
    RunPrepared(lease.Session(), kInsertNote, {"2", "prepared, after it"});
  }
  {
    Transaction transaction(lease.Session());
    int id = 3;
    soci::statement insert =
        (lease.Session().prepare << "INSERT INTO note (id, body) VALUES (:id, 'prepared by SOCI')",
         soci::use(id));
    insert.execute(true);
  }
  {
    Transaction transaction(lease.Session());
    CopyIn copy(lease.Session(), "COPY note (id, body) FROM STDIN");
    copy.Field(std::int64_t{4});
    copy.Field("copied");
    copy.EndRow();
    EXPECT_EQ(copy.Finish(), 1);
  }
  {
    Transaction transaction(lease.Session());
    PQclear(PQexec(lease.RawConnection(), "INSERT INTO note (id, body) VALUES (5, 'raw')"));
  }
  EXPECT_EQ(Count(), "0");
  {
    Transaction transaction(lease.Session());
    lease.Session() << "INSERT INTO note (id, body) VALUES (6, 'by SOCI, committed')";
    transaction.Commit();
  }
  EXPECT_EQ(Count(), "1");
  EXPECT_FALSE(InTransaction(lease.Session()));
  Transaction pending(lease.Session());
  EXPECT_TRUE(InTransaction(lease.Session())) << "a Transaction whose BEGIN waits is open";
}

TEST_F(TransactionTest, QueuedWritesGoOutWithTheCommit) {
  auto lease = database_->Acquire();
  {
    Transaction transaction(lease.Session());
    RunPrepared(lease.Session(), kInsertNote, {"1", "at once"});
    RunPreparedLater(lease.Session(), kInsertNote, {"2", "queued"});
    RunPreparedLater(lease.Session(), kInsertNote, {"3", "queued too"});
    // Not sent yet: the table (from another connection) has nothing, and
    // this connection sees only the write that went at once.
    EXPECT_EQ(Count(), "0");
    EXPECT_EQ(RunPrepared(lease.Session(), "SELECT count(*) FROM note", {}).Text(0, 0), "1");
    transaction.Commit();
  }
  EXPECT_EQ(Count(), "3");
  // The statement was prepared inside the pipeline and is reused after it.
  EXPECT_EQ(
      RunPrepared(lease.Session(),
                  "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", {kInsertNote})
          .Text(0, 0),
      "1");
}

TEST_F(TransactionTest, AFailingQueuedWriteKeepsNothingAndThrowsItsError) {
  auto lease = database_->Acquire();
  try {
    Transaction transaction(lease.Session());
    RunPrepared(lease.Session(), kInsertNote, {"1", "kept only with the rest"});
    RunPreparedLater(lease.Session(), kInsertNote, {"2", "fine"});
    RunPreparedLater(lease.Session(), kInsertNote, {"2", "a duplicate key"});
    RunPreparedLater(lease.Session(), kInsertNote, {"3", "after the failure"});
    transaction.Commit();
    FAIL() << "the commit of a failed write succeeded";
  } catch (const soci::postgresql_soci_error& error) {
    EXPECT_EQ(error.sqlstate(), "23505");
  }
  EXPECT_EQ(Count(), "0");
  // The connection is usable afterwards, outside any transaction.
  RunPreparedLater(lease.Session(), kInsertNote, {"9", "at once: no kernel transaction"});
  EXPECT_EQ(Count(), "1");
}

TEST_F(TransactionTest, WithoutCommitNothingIsKept) {
  auto lease = database_->Acquire();
  {
    Transaction transaction(lease.Session());
    RunPrepared(lease.Session(), kInsertNote, {"1", "rolled back"});
    RunPreparedLater(lease.Session(), kInsertNote, {"2", "dropped"});
  }
  EXPECT_EQ(Count(), "0");
  Transaction again(lease.Session());  // the connection is free for the next
  again.Commit();
}

TEST_F(TransactionTest, AWriteQueuedOnceGoesOutOnce) {
  auto lease = database_->Acquire();
  lease.Session() << "LISTEN karton_test";
  {
    Transaction transaction(lease.Session());
    for (int i = 0; i < 3; ++i) RunPreparedLater(lease.Session(), kNotify, {}, /*once=*/true);
    transaction.Commit();
  }
  PGconn* connection = lease.RawConnection();
  PQconsumeInput(connection);
  int notifications = 0;
  while (PGnotify* notification = PQnotifies(connection)) {
    ++notifications;
    PQfreemem(notification);
  }
  EXPECT_EQ(notifications, 1);
}

// What kartond logs of a database error names the constraint, never the
// row's values: PostgreSQL's DETAIL quotes them ("Key (id)=(...)").
TEST_F(TransactionTest, ADatabaseErrorIsDescribedWithoutTheRowsValues) {
  QueryScalar(conninfo_, "CREATE UNIQUE INDEX note_body_key ON note (body)");
  auto lease = database_->Acquire();
  lease.Session() << "INSERT INTO note (id, body) VALUES (1, 'anna@kiss.hu')";
  try {
    lease.Session() << "INSERT INTO note (id, body) VALUES (2, 'anna@kiss.hu')";
    FAIL() << "the duplicate was accepted";
  } catch (const std::exception& error) {
    ASSERT_NE(std::string(error.what()).find("anna@kiss.hu"), std::string::npos)
        << "PostgreSQL no longer quotes the value: this test checks nothing";
    const std::string described = DescribeDatabaseError(error);
    EXPECT_NE(described.find("note_body_key"), std::string::npos) << described;
    EXPECT_NE(described.find("SQLSTATE 23505"), std::string::npos) << described;
    EXPECT_EQ(described.find("anna@kiss.hu"), std::string::npos) << described;
  }
}

}  // namespace
}  // namespace karton::kernel
