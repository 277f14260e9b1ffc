// The shared PostgreSQL connection pool (SOCI over libpq).
//
// Every connection runs with TimeZone=UTC. Work is done on a leased session:
//
//   auto lease = context.Db().Acquire();
//   soci::transaction tx(lease.Session());   // rolls back unless committed
//   lease.Session() << kInsertNote, soci::use(text);
//   tx.commit();
//
// Calls block: use the pool from gRPC handler threads and HTTP handlers, never
// from an event loop. A lease belongs to the thread that took it.
//
// When every connection is leased, Acquire waits for one to come free, but
// not without end: at most the pool's acquire timeout (--db-acquire-timeout-ms),
// and on a thread serving a gRPC call no longer than that call's deadline
// leaves (less a moment for the answer to reach the caller). Then it throws,
// and kernel::Guarded answers RESOURCE_EXHAUSTED ("the database pool is
// exhausted"), before anything of the call was written.
//
// Never call another module while holding a lease: the callee needs a
// connection from the same pool, and a few such calls at once drain it
// (this stalled the pool once). The kernel counts the leases each thread
// holds; an in-process call started while the thread holds one is a
// connection hazard: counted (karton_connection_hazards) and logged,
// and in debug builds, or with KARTON_ABORT_ON_CONNECTION_HAZARD=1 (the
// tests set it), kartond aborts naming the method. Read what the call
// needs, release the lease, call, then take a lease again to write.
#pragma once

#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

typedef struct pg_conn PGconn;

namespace karton::kernel {

class Database {
 public:
  // A session borrowed from the pool; returned when the lease is destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    soci::session& Session() { return *session_; }
    // The raw libpq connection, for COPY, LISTEN/NOTIFY and multi-statement
    // scripts, which SOCI does not offer.
    PGconn* RawConnection();

   private:
    friend class Database;
    Lease(Database* owner, std::size_t position, soci::session* session);
    Database* owner_;
    std::size_t position_;
    soci::session* session_;
  };

  struct Stats {
    std::size_t size = 0;
    std::size_t in_use = 0;
    // Acquires that gave up because no connection came free in time, since
    // the pool was opened.
    std::uint64_t exhausted = 0;
  };

  // How long Acquire() waits for a free connection at most, unless given.
  static constexpr std::chrono::milliseconds kDefaultAcquireTimeout{5000};

  // Opens `pool_size` connections to `connection_string` (a libpq conninfo or
  // postgresql:// URL). Throws std::runtime_error naming the cause.
  Database(const std::string& connection_string, std::size_t pool_size,
           std::chrono::milliseconds acquire_timeout = kDefaultAcquireTimeout);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Waits for a free session up to the pool's acquire timeout (or `timeout`),
  // and no longer than the deadline of the gRPC call this thread serves
  // allows; throws std::runtime_error when none frees up in time (which
  // kernel::Guarded answers RESOURCE_EXHAUSTED).
  Lease Acquire();
  Lease Acquire(std::chrono::milliseconds timeout);
  Stats CurrentStats() const;
  // True when a trivial query answers; used by /healthz.
  bool Ping();

 private:
  std::size_t size_;
  std::chrono::milliseconds acquire_timeout_;
  soci::connection_pool pool_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::uint64_t> exhausted_{0};
  // Exhaustion is logged once per interval, with how many more there were.
  std::atomic<std::int64_t> last_exhaustion_log_ms_{0};
  std::atomic<std::uint64_t> exhausted_since_log_{0};
};

// How many pool connections the calling thread holds right now (leases it
// took and has not given back).
int ConnectionsHeldByThisThread();

// True while `session` (a pool session) is inside an open transaction.
bool InTransaction(soci::session& session);

// Turns a database error into one readable line: SQLSTATE and message for
// PostgreSQL errors, what() for everything else.
std::string DescribeDatabaseError(const std::exception& error);

}  // namespace karton::kernel
