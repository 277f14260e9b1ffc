#include "karton/kernel/database.h"

#include <fmt/format.h>
#include <poll.h>
#include <soci/postgresql/soci-postgresql.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>

#include "database_unavailable.h"
#include "open_transaction.h"

namespace karton::kernel {
namespace {

// Leases taken by this thread and not yet given back (see database.h).
thread_local int leases_held_by_this_thread = 0;

// The deadline of the gRPC call this thread serves (database_unavailable.h).
thread_local std::optional<std::chrono::system_clock::time_point> served_call_deadline;

// A pool that stays exhausted is logged once per this interval.
constexpr std::chrono::seconds kExhaustionLogInterval{10};

// What a call waiting for a connection leaves of its remaining time for its
// answer to reach the caller: a tenth, at least 20 ms, at most 250 ms. An
// answer sent right at the deadline arrives as DEADLINE_EXCEEDED.
std::chrono::milliseconds AnswerMargin(std::chrono::milliseconds remaining) {
  return std::clamp(remaining / 10, std::chrono::milliseconds(20), std::chrono::milliseconds(250));
}

std::int64_t SteadyMilliseconds() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int ConnectionsHeldByThisThread() { return leases_held_by_this_thread; }

void SetServedCallDeadline(std::optional<std::chrono::system_clock::time_point> deadline) {
  served_call_deadline = deadline;
}

Database::Lease::Lease(Database* owner, std::size_t position, soci::session* session)
    : owner_(owner), position_(position), session_(session) {
  ++leases_held_by_this_thread;
}

Database::Lease::Lease(Lease&& other) noexcept
    : owner_(other.owner_), position_(other.position_), session_(other.session_) {
  other.owner_ = nullptr;
}

Database::Lease::~Lease() {
  if (owner_ == nullptr) return;
  // A session given back mid-transaction would leak the transaction to the
  // next borrower; roll back anything left open (a no-op otherwise).
  // (The connection itself: RawConnection() would send a pending BEGIN.)
  auto* backend = static_cast<soci::postgresql_session_backend*>(session_->get_backend());
  if (PGconn* raw = backend == nullptr ? nullptr : backend->conn_;
      raw != nullptr && PQtransactionStatus(raw) != PQTRANS_IDLE) {
    PQclear(PQexec(raw, "ROLLBACK"));
  }
  owner_->pool_.give_back(position_);
  owner_->in_use_.fetch_sub(1);
  --leases_held_by_this_thread;
}

PGconn* Database::Lease::RawConnection() {
  // Every pool session is opened with the PostgreSQL backend. (SOCI does not
  // export the backend's typeinfo, so dynamic_cast cannot be used here.)
  auto* backend = static_cast<soci::postgresql_session_backend*>(session_->get_backend());
  if (backend == nullptr || backend->conn_ == nullptr) return nullptr;
  // What the caller sends must run inside an open kernel::Transaction.
  SendPendingBegin(backend->conn_);
  return backend->conn_;
}

Database::Database(const std::string& connection_string, std::size_t pool_size,
                   std::chrono::milliseconds acquire_timeout)
    : size_(pool_size),
      acquire_timeout_(acquire_timeout),
      pool_(pool_size),
      last_exhaustion_log_ms_(std::numeric_limits<std::int64_t>::min()) {
  if (pool_size == 0) throw std::invalid_argument("database pool size must be at least 1");
  if (acquire_timeout.count() < 0) {
    throw std::invalid_argument("database acquire timeout must not be negative");
  }
  // UTC everywhere, so timestamptz never depends on the server's zone.
  // No JIT: kartond's statements are short OLTP queries, and a cost
  // estimate gone stale inside a long transaction (an import) made
  // PostgreSQL spend 170 ms compiling a query that runs in 40
  // (bench/README.md).
  std::string options = connection_string;
  const bool is_url =
      options.rfind("postgres://", 0) == 0 || options.rfind("postgresql://", 0) == 0;
  // A bounded connect, so an unreachable server is reported instead of
  // hanging the start (the caller may set its own connect_timeout).
  const bool has_timeout = options.find("connect_timeout") != std::string::npos;
  if (is_url) {
    options += (options.find('?') == std::string::npos ? "?" : "&");
    options += "options=-c%20TimeZone%3DUTC%20-c%20jit%3Doff&application_name=kartond";
    if (!has_timeout) options += "&connect_timeout=10";
  } else {
    options += " options='-c TimeZone=UTC -c jit=off' application_name=kartond";
    if (!has_timeout) options += " connect_timeout=10";
  }
  for (std::size_t i = 0; i < pool_size; ++i) {
    try {
      pool_.at(i).open(soci::postgresql, options);
    } catch (const std::exception& error) {
      throw std::runtime_error(
          fmt::format("cannot connect to PostgreSQL: {}", DescribeDatabaseError(error)));
    }
  }
}

Database::~Database() = default;

namespace {

// libpq learns that the server ended an idle connection (a restart, a
// failover, pg_terminate_backend) only when the next statement fails, so
// the first call after an outage would fail on every pooled connection.
// The server says so before it hangs up (a FATAL message, then EOF): an
// idle connection with something to read has almost surely been ended (the
// rare harmless message, a NOTICE, costs one needless reconnect). One
// poll() with no wait tells.
bool ServerHungUp(PGconn* connection) {
  if (PQtransactionStatus(connection) != PQTRANS_IDLE) return false;
  pollfd socket{PQsocket(connection), POLLIN, 0};
  if (socket.fd < 0) return true;
  return ::poll(&socket, 1, 0) > 0;
}

}  // namespace

Database::Lease Database::Acquire() { return Acquire(acquire_timeout_); }

Database::Lease Database::Acquire(std::chrono::milliseconds timeout) {
  auto wait = std::max(timeout, std::chrono::milliseconds(0));
  // A call's caller is gone at its deadline: waiting longer helps nobody,
  // and an answer that arrives after it reads DEADLINE_EXCEEDED, which
  // does not say what ran out. (gRPC's "no deadline" is far in the future.)
  if (served_call_deadline) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        *served_call_deadline - std::chrono::system_clock::now());
    wait = std::clamp(remaining - AnswerMargin(remaining), std::chrono::milliseconds(0), wait);
  }
  std::size_t position = 0;
  if (!pool_.try_lease(position, static_cast<int>(wait.count()))) {
    exhausted_.fetch_add(1);
    const auto unlogged = exhausted_since_log_.fetch_add(1) + 1;
    const auto now_ms = SteadyMilliseconds();
    auto last = last_exhaustion_log_ms_.load();
    const auto interval_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(kExhaustionLogInterval).count();
    if ((last == std::numeric_limits<std::int64_t>::min() || now_ms - last >= interval_ms) &&
        last_exhaustion_log_ms_.compare_exchange_strong(last, now_ms)) {
      exhausted_since_log_.fetch_sub(unlogged);
      spdlog::warn(
          "database pool exhausted: all {} connections in use; {} wait(s) for one gave up since "
          "the last such line (at most one per {} s; karton_db_pool_exhausted_total counts "
          "them all). Calls that find none answer RESOURCE_EXHAUSTED.",
          size_, unlogged, kExhaustionLogInterval.count());
    }
    throw DatabasePoolExhaustedError(
        fmt::format("the database pool is exhausted: all {} connections stayed in use for {} ms; "
                    "try again",
                    size_, wait.count()));
  }
  in_use_.fetch_add(1);
  Lease lease(this, position, &pool_.at(position));
  // A connection the server closed (restart, failover, terminated backend)
  // stays broken in libpq; replace it here so the pool heals by itself.
  if (PGconn* raw = lease.RawConnection();
      raw == nullptr || PQstatus(raw) != CONNECTION_OK || ServerHungUp(raw)) {
    try {
      lease.Session().reconnect();
    } catch (const std::exception& error) {
      throw DatabaseUnavailableError(
          fmt::format("database connection lost: {}", DescribeDatabaseError(error)));
    }
  }
  return lease;
}

Database::Stats Database::CurrentStats() const {
  return Stats{size_, in_use_.load(), exhausted_.load()};
}

bool Database::Ping() {
  try {
    auto lease = Acquire(std::chrono::seconds(2));
    int one = 0;
    lease.Session() << "SELECT 1", soci::into(one);
    return one == 1;
  } catch (const std::exception&) {
    return false;
  }
}

bool InTransaction(soci::session& session) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  return backend != nullptr && backend->conn_ != nullptr &&
         (PQtransactionStatus(backend->conn_) != PQTRANS_IDLE ||
          KernelTransactionOpen(backend->conn_));
}

std::string DescribeDatabaseError(const std::exception& error) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error)) {
    std::string message = pg->get_error_message();
    // PostgreSQL's DETAIL quotes the values of the row ("Key (email)=(...)",
    // "Failing row contains (...)"): personal data that must not reach the
    // log. The primary message names the constraint, which is what helps.
    if (const auto detail = message.find("DETAIL:"); detail != std::string::npos) {
      message.erase(detail);
    }
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    return fmt::format("{} (SQLSTATE {})", message, pg->sqlstate());
  }
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&error)) {
    std::string message = soci_error->get_error_message();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    return message;
  }
  return error.what();
}

}  // namespace karton::kernel
