// The round trips one libpq connection makes while a test watches it:
// libpq's protocol trace (PQtrace) of the messages the client sends, of
// which each Sync (the end of a pipeline or of an extended-protocol
// statement) and each simple Query ends a round trip. A test takes the
// connection of a pool lease (kernel::Database::Lease::RawConnection()).
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

typedef struct pg_conn PGconn;

namespace karton::testing {

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

}  // namespace karton::testing
