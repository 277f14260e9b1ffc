// The round trips one libpq connection makes while a test watches it:
// libpq's protocol trace (PQtrace) of the messages the client sends, of
// which each Sync (the end of a pipeline or of an extended-protocol
// statement) and each simple Query ends a round trip. A test takes the
// connection of a pool lease (kernel::Database::Lease::RawConnection()),
// or watches the whole pool (PoolRoundTrips) when the call under test takes
// its own lease.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

typedef struct pg_conn PGconn;

namespace karton::kernel {
class Database;
}  // namespace karton::kernel

namespace karton::testing {

// How many round trips the lines of RoundTrips::Stop() (or
// PoolRoundTrips::Stop()) make.
int CountRoundTrips(const std::string& ends);

class RoundTrips {
 public:
  // Starts tracing `connection`.
  explicit RoundTrips(PGconn* connection);
  ~RoundTrips();
  RoundTrips(const RoundTrips&) = delete;
  RoundTrips& operator=(const RoundTrips&) = delete;

  // Stops tracing; returns the sent messages that end a round trip, one
  // per line ("Sync", or "Query" with its text).
  std::string Stop();

 private:
  PGconn* connection_;
  FILE* trace_ = nullptr;
  char* text_ = nullptr;
  std::size_t size_ = 0;
};

// The round trips of every connection of `database`'s pool, whichever of
// them the next calls take. The pool must have no lease out when it starts.
class PoolRoundTrips {
 public:
  explicit PoolRoundTrips(kernel::Database& database);
  // The ends of the round trips of every connection, one per line.
  std::string Stop();

 private:
  std::vector<std::unique_ptr<RoundTrips>> connections_;
};

// Runs `call` while every connection of `database`'s pool is traced (warm
// it up first: a statement's first use on a connection prepares it).
// Returns what `call` returned, the round trips it made, and their ends for
// a failure's message:
//
//   const auto traced = TraceRoundTrips(*database_, [&] { return service.Call(...); });
//   ASSERT_TRUE(traced.result.ok());
//   EXPECT_EQ(traced.round_trips, 3) << traced.ends;
template <typename Result>
struct TracedCall {
  Result result;
  int round_trips = 0;
  std::string ends;
};
template <typename Call>
auto TraceRoundTrips(kernel::Database& database, Call&& call) {
  PoolRoundTrips trips(database);
  auto result = call();
  std::string ends = trips.Stop();
  const int round_trips = CountRoundTrips(ends);
  return TracedCall<decltype(result)>{std::move(result), round_trips, std::move(ends)};
}

}  // namespace karton::testing
