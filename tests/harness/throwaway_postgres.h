// A PostgreSQL cluster that exists for one test program: made in a fresh
// temporary directory, started on a free loopback port, stopped and deleted
// when the object goes away. If the test process crashes, the server gets a
// signal from the kernel (parent-death signal) and shuts itself down.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "temporary_directory.h"

namespace karton::kernel {
class Database;
class PostgresCluster;
}  // namespace karton::kernel

namespace karton::testing {

class ThrowawayPostgres {
 public:
  ThrowawayPostgres();
  ~ThrowawayPostgres();
  ThrowawayPostgres(const ThrowawayPostgres&) = delete;
  ThrowawayPostgres& operator=(const ThrowawayPostgres&) = delete;

  // Creates a new, empty database owned by the application role and returns
  // its libpq conninfo as that role (not a superuser, as in production). Each
  // test gets its own database, so tests never see each other's rows.
  std::string CreateDatabase(const std::string& name);
  // conninfo of the maintenance database "postgres", as the superuser.
  std::string AdminConnectionString() const;
  int Port() const;

  // The database goes away and comes back, as in an outage or a restart by
  // its operator: Stop() is PostgreSQL's fast shutdown (every session is
  // cut off, open transactions roll back); Start() starts the same cluster
  // again on the same port. (Fault tests; use a cluster of the test's own.)
  void Stop();
  void Start();

 private:
  TemporaryDirectory directory_;
  int port_ = 0;
  std::unique_ptr<kernel::PostgresCluster> cluster_;
};

// The one cluster shared by every test in this process, started on first use.
ThrowawayPostgres& SharedPostgres();

// A per-test database name derived from the running GoogleTest's name.
std::string DatabaseNameForCurrentTest();

// Runs SQL on `conninfo` and returns the first column of the first row (or
// "" when there is none). Throws std::runtime_error on an SQL error.
std::string QueryScalar(const std::string& conninfo, const std::string& sql);

// Holds a module subscription (its kernel.event_subscription name, as
// "messaging.timeline") locked from a connection of its own while it
// lives: no delivery can claim it, so the events published meanwhile reach
// its handler together, as one run, once the hold ends. Release() (or the
// destructor) ends it once they are all in the event log (up to 10 s).
class SubscriptionHold {
 public:
  SubscriptionHold(const std::string& conninfo, const std::string& subscription);
  ~SubscriptionHold();
  SubscriptionHold(const SubscriptionHold&) = delete;
  SubscriptionHold& operator=(const SubscriptionHold&) = delete;
  void Release();

 private:
  std::shared_ptr<void> connection_;  // a PGconn, kept out of this header
};

// Waits up to `timeout` until kartond (on database `conninfo`) has nothing
// left that is due: no job running or due at `now` (the server's clock: a
// test that moves it passes the time it moved it to), no event waiting in
// the outbox, and every module subscription past every event it wants.
// Then "nothing more happens" can be checked on state instead of by
// sleeping and hoping the server was quick. False on timeout.
bool WaitUntilNothingIsDue(
    const std::string& conninfo,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Applies the kernel's migrations and then those shipped in schema/<module>/
// of each of `modules` (in dependency order), as kartond would: what a
// module's database tests start from. KARTON_SCHEMA_ROOT, when set, is the
// folder holding <module>/ (a module built out of tree).
void ApplyShippedSchemas(kernel::Database& database, const std::vector<std::string>& modules);

}  // namespace karton::testing
