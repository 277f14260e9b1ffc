#include "karton/kernel/prepared_query.h"

#include <fmt/format.h>
#include <libpq-events.h>
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "karton/kernel/transaction.h"
#include "open_transaction.h"
#include "sequencer_wakeup.h"

namespace karton::kernel {
namespace {

// The statements prepared on one connection. libpq keeps it with the
// connection (PQsetInstanceData) and tells us when the connection is reset or
// closed, which is exactly when PostgreSQL forgets its prepared statements, so
// the bookkeeping can never disagree with the server.
struct PreparedOnConnection {
  struct Statement {
    std::string name;
    std::uint64_t last_use = 0;
  };
  std::unordered_map<std::string, Statement> by_sql;
  std::uint64_t uses = 0;
  std::uint64_t made = 0;
  // A kernel::Transaction is open, and the writes it queued for its COMMIT.
  struct Queued {
    std::string sql;
    std::vector<std::optional<std::string>> params;
  };
  bool in_transaction = false;
  // Its BEGIN has not gone out yet: it goes with the first statement
  // (open_transaction.h).
  bool begin_pending = false;
  std::vector<Queued> queued;
  // It appended to the event outbox: wake the sequencers after its COMMIT.
  bool wake_sequencers = false;
  // RunAfterCommit's actions.
  std::vector<std::function<void()>> after_commit;
};

// Statements kept per connection. Fixed statements are a few dozen; lists
// with a client's filter differ by the filter's shape (its values are
// parameters), so the least recently used are let go beyond this.
constexpr std::size_t kMaxPreparedPerConnection = 256;

int PreparedStatementEvents(PGEventId event, void* event_info, void* /*pass_through*/) {
  switch (event) {
    case PGEVT_CONNRESET: {
      auto* info = static_cast<PGEventConnReset*>(event_info);
      if (auto* prepared = static_cast<PreparedOnConnection*>(
              PQinstanceData(info->conn, PreparedStatementEvents))) {
        prepared->by_sql.clear();
        prepared->queued.clear();
        prepared->in_transaction = false;
        prepared->begin_pending = false;
        prepared->wake_sequencers = false;
        prepared->after_commit.clear();
      }
      return 1;
    }
    case PGEVT_CONNDESTROY: {
      auto* info = static_cast<PGEventConnDestroy*>(event_info);
      delete static_cast<PreparedOnConnection*>(
          PQinstanceData(info->conn, PreparedStatementEvents));
      return 1;
    }
    default:
      return 1;
  }
}

PGconn* ConnectionOf(soci::session& session) {
  // Every pool session is opened with the PostgreSQL backend.
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  if (backend == nullptr || backend->conn_ == nullptr) {
    throw std::runtime_error("RunPrepared needs an open PostgreSQL session");
  }
  return backend->conn_;
}

PreparedOnConnection& PreparedOn(PGconn* connection) {
  if (auto* prepared =
          static_cast<PreparedOnConnection*>(PQinstanceData(connection, PreparedStatementEvents))) {
    return *prepared;
  }
  if (PQregisterEventProc(connection, PreparedStatementEvents, "karton.prepared", nullptr) == 0) {
    throw std::runtime_error("libpq refused to track prepared statements on a connection");
  }
  auto owned = std::make_unique<PreparedOnConnection>();
  if (PQsetInstanceData(connection, PreparedStatementEvents, owned.get()) == 0) {
    throw std::runtime_error("libpq refused to track prepared statements on a connection");
  }
  // From here on libpq owns it: PGEVT_CONNDESTROY deletes it.
  return *owned.release();
}

[[noreturn]] void ThrowFailure(PGconn* connection, PGresult* result) {
  // Both texts live in `result`: copied before it is freed.
  const char* field = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string state = field == nullptr ? "08006" : field;
  std::string message =
      result == nullptr ? PQerrorMessage(connection) : PQresultErrorMessage(result);
  if (result != nullptr) PQclear(result);
  throw soci::postgresql_soci_error(message, state.c_str());
}

}  // namespace

QueryRows::QueryRows(PGresult* result) : result_(result) {}

void QueryRows::Clear::operator()(PGresult* result) const { PQclear(result); }

int QueryRows::Count() const { return PQntuples(result_.get()); }

bool QueryRows::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view QueryRows::Text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

int QueryRows::Columns() const { return PQnfields(result_.get()); }

std::string_view QueryRows::ColumnName(int column) const { return PQfname(result_.get(), column); }

unsigned QueryRows::ColumnType(int column) const { return PQftype(result_.get(), column); }

namespace {

// Makes room for one more prepared statement on the connection: beyond the
// limit the least recently used is let go.
void MakeRoomForOneMore(PGconn* connection, PreparedOnConnection& prepared) {
  if (prepared.by_sql.size() < kMaxPreparedPerConnection) return;
  auto oldest = prepared.by_sql.begin();
  for (auto it = prepared.by_sql.begin(); it != prepared.by_sql.end(); ++it) {
    if (it->second.last_use < oldest->second.last_use) oldest = it;
  }
  // Within a failed transaction this fails too; the statement then stays on
  // the server until the connection goes, which is harmless. DEALLOCATE is
  // not transactional, so a pending BEGIN need not go first.
  PQclear(PQexec(connection, ("DEALLOCATE " + oldest->second.name).c_str()));
  prepared.by_sql.erase(oldest);
}

bool Succeeded(PGresult* result) {
  const auto status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// The next command's result in a pipeline, with libpq's NULL that ends it
// consumed.
PGresult* TakeResult(PGconn* connection) {
  PGresult* result = PQgetResult(connection);
  if (result != nullptr) {
    while (PGresult* rest = PQgetResult(connection)) PQclear(rest);
  }
  return result;
}

// The pending BEGIN, the PREPARE when the statement is new on this
// connection, and the statement: one round trip.
QueryRows BeginAndRun(PGconn* connection, PreparedOnConnection& prepared, const std::string& sql,
                      const std::string& name, bool prepare_first,
                      const std::vector<const char*>& values) {
  if (PQenterPipelineMode(connection) != 1) ThrowFailure(connection, nullptr);
  PQsendQueryParams(connection, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0);
  if (prepare_first) PQsendPrepare(connection, name.c_str(), sql.c_str(), 0, nullptr);
  PQsendQueryPrepared(connection, name.c_str(), static_cast<int>(values.size()), values.data(),
                      nullptr, nullptr, 0);
  PQpipelineSync(connection);
  PGresult* begin = TakeResult(connection);
  PGresult* made = prepare_first ? TakeResult(connection) : nullptr;
  PGresult* result = TakeResult(connection);
  PQclear(PQgetResult(connection));  // PGRES_PIPELINE_SYNC
  PQexitPipelineMode(connection);
  // Once BEGIN has worked the transaction is open, even if the statement
  // failed (then it is open and failed, and the Transaction rolls it back).
  if (Succeeded(begin)) prepared.begin_pending = false;
  if (prepare_first && Succeeded(made)) {
    prepared.by_sql.emplace(sql, PreparedOnConnection::Statement{name, ++prepared.uses});
  }
  // The first failure says what went wrong; the later steps were skipped.
  // (A result may be missing altogether when the connection broke: then
  // libpq's own message says why.)
  bool failed = true;
  PGresult* failure = nullptr;
  if (!Succeeded(begin)) {
    failure = begin;
  } else if (prepare_first && !Succeeded(made)) {
    failure = made;
  } else if (!Succeeded(result)) {
    failure = result;
  } else {
    failed = false;
  }
  for (PGresult* step : {begin, made, result}) {
    const bool kept = failed ? step == failure : step == result;
    if (step != nullptr && !kept) PQclear(step);
  }
  if (failed) ThrowFailure(connection, failure);
  return QueryRows(result);
}

}  // namespace

QueryRows RunPrepared(soci::session& session, const std::string& sql,
                      std::span<const QueryParam> params) {
  PGconn* connection = ConnectionOf(session);
  PreparedOnConnection& prepared = PreparedOn(connection);
  auto known = prepared.by_sql.find(sql);
  std::string new_name;
  if (known == prepared.by_sql.end()) {
    MakeRoomForOneMore(connection, prepared);
    new_name = fmt::format("karton_{}", ++prepared.made);
  } else {
    known->second.last_use = ++prepared.uses;
  }
  // libpq wants NUL-terminated texts.
  std::vector<std::string> texts;
  std::vector<const char*> values;
  texts.reserve(params.size());
  values.reserve(params.size());
  for (const auto& param : params) {
    if (!param) {
      values.push_back(nullptr);
      continue;
    }
    texts.emplace_back(*param);
    values.push_back(texts.back().c_str());
  }
  const bool is_new = known == prepared.by_sql.end();
  if (prepared.begin_pending) {
    return BeginAndRun(connection, prepared, sql, is_new ? new_name : known->second.name, is_new,
                       values);
  }
  if (is_new) {
    PGresult* made = PQprepare(connection, new_name.c_str(), sql.c_str(), 0, nullptr);
    if (made == nullptr || PQresultStatus(made) != PGRES_COMMAND_OK) {
      ThrowFailure(connection, made);
    }
    PQclear(made);
    known = prepared.by_sql
                .emplace(sql, PreparedOnConnection::Statement{std::move(new_name), ++prepared.uses})
                .first;
  }
  PGresult* result =
      PQexecPrepared(connection, known->second.name.c_str(), static_cast<int>(values.size()),
                     values.data(), nullptr, nullptr, 0);
  if (!Succeeded(result)) ThrowFailure(connection, result);
  return QueryRows(result);
}

bool KernelTransactionOpen(PGconn* connection) {
  const auto* prepared =
      static_cast<PreparedOnConnection*>(PQinstanceData(connection, PreparedStatementEvents));
  return prepared != nullptr && prepared->in_transaction;
}

}  // namespace karton::kernel

namespace karton::kernel {
namespace {

void Execute(PGconn* connection, const char* sql) {
  PGresult* result = PQexec(connection, sql);
  if (result == nullptr || PQresultStatus(result) != PGRES_COMMAND_OK) {
    ThrowFailure(connection, result);
  }
  PQclear(result);
}

}  // namespace

void SendPendingBegin(PGconn* connection) {
  auto* prepared =
      static_cast<PreparedOnConnection*>(PQinstanceData(connection, PreparedStatementEvents));
  if (prepared == nullptr || !prepared->begin_pending) return;
  Execute(connection, "BEGIN");
  prepared->begin_pending = false;
}

namespace {

// SOCI hands every statement's text to its session's query transformation
// before it prepares or runs the statement: the moment to send a pending
// BEGIN, so that SOCI's statements run inside the kernel::Transaction.
struct BeginBeforeSociStatements {
  soci::session* session;
  std::string operator()(const std::string& query) const {
    auto* backend = static_cast<soci::postgresql_session_backend*>(session->get_backend());
    if (backend != nullptr && backend->conn_ != nullptr) SendPendingBegin(backend->conn_);
    return query;
  }
};

}  // namespace

Transaction::Transaction(soci::session& session) : session_(session) {
  PGconn* connection = ConnectionOf(session_);
  PreparedOnConnection& prepared = PreparedOn(connection);
  if (prepared.in_transaction) {
    throw std::logic_error("a kernel::Transaction is already open on this connection");
  }
  // No BEGIN yet: it goes with the first statement (open_transaction.h).
  session_.set_query_transformation(BeginBeforeSociStatements{&session_});
  prepared.in_transaction = true;
  prepared.begin_pending = true;
  prepared.queued.clear();
  prepared.wake_sequencers = false;
  prepared.after_commit.clear();
}

Transaction::~Transaction() {
  if (done_) return;
  PGconn* connection = ConnectionOf(session_);
  PreparedOnConnection& prepared = PreparedOn(connection);
  prepared.in_transaction = false;
  prepared.queued.clear();
  prepared.wake_sequencers = false;
  prepared.after_commit.clear();
  // A transaction that never sent its BEGIN has nothing to roll back.
  if (std::exchange(prepared.begin_pending, false)) return;
  // Nothing is thrown from here; a broken connection is replaced when the
  // pool next lends it.
  PQclear(PQexec(connection, "ROLLBACK"));
}

void Transaction::Commit() {
  PGconn* connection = ConnectionOf(session_);
  PreparedOnConnection& prepared = PreparedOn(connection);
  done_ = true;
  prepared.in_transaction = false;
  std::vector<PreparedOnConnection::Queued> queued = std::move(prepared.queued);
  prepared.queued.clear();
  const bool wake_sequencers = std::exchange(prepared.wake_sequencers, false);
  const std::vector<std::function<void()>> after_commit = std::move(prepared.after_commit);
  prepared.after_commit.clear();
  const bool send_begin = std::exchange(prepared.begin_pending, false);
  const auto committed = [&] {
    if (wake_sequencers) WakeSequencers();
    for (const auto& action : after_commit) action();
  };
  if (queued.empty()) {
    // Nothing was sent at all: nothing to commit.
    if (!send_begin) Execute(connection, "COMMIT");
    committed();
    return;
  }
  if (PQenterPipelineMode(connection) != 1) ThrowFailure(connection, nullptr);
  // What each result answers: a PREPARE (remember the name when it works),
  // a queued write, or the COMMIT.
  struct Sent {
    const std::string* sql = nullptr;  // a PREPARE of this text
    std::string name;
  };
  std::vector<Sent> sent;
  if (send_begin) {
    PQsendQueryParams(connection, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0);
    sent.push_back({});
  }
  for (const auto& write : queued) {
    std::vector<const char*> values;
    values.reserve(write.params.size());
    for (const auto& param : write.params) values.push_back(param ? param->c_str() : nullptr);
    const auto count = static_cast<int>(values.size());
    auto known = prepared.by_sql.find(write.sql);
    const bool pending_prepare = std::any_of(sent.begin(), sent.end(), [&](const Sent& earlier) {
      return earlier.sql != nullptr && *earlier.sql == write.sql;
    });
    if (known != prepared.by_sql.end()) {
      known->second.last_use = ++prepared.uses;
      PQsendQueryPrepared(connection, known->second.name.c_str(), count, values.data(), nullptr,
                          nullptr, 0);
    } else if (pending_prepare) {
      const auto earlier = std::find_if(sent.begin(), sent.end(), [&](const Sent& entry) {
        return entry.sql != nullptr && *entry.sql == write.sql;
      });
      PQsendQueryPrepared(connection, earlier->name.c_str(), count, values.data(), nullptr, nullptr,
                          0);
    } else if (prepared.by_sql.size() < kMaxPreparedPerConnection) {
      Sent prepare{&write.sql, fmt::format("karton_{}", ++prepared.made)};
      PQsendPrepare(connection, prepare.name.c_str(), write.sql.c_str(), 0, nullptr);
      PQsendQueryPrepared(connection, prepare.name.c_str(), count, values.data(), nullptr, nullptr,
                          0);
      sent.push_back(std::move(prepare));
      sent.push_back({});
      continue;
    } else {
      PQsendQueryParams(connection, write.sql.c_str(), count, nullptr, values.data(), nullptr,
                        nullptr, 0);
    }
    sent.push_back({});
  }
  PQsendQueryParams(connection, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0);
  sent.push_back({});
  PQpipelineSync(connection);

  // The first error says what went wrong. A missing result (the
  // connection broke) is a failure too, with libpq's message.
  bool failed = false;
  PGresult* failure = nullptr;
  for (const Sent& entry : sent) {
    PGresult* result = PQgetResult(connection);
    const auto status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (ok && entry.sql != nullptr) {
      prepared.by_sql.emplace(*entry.sql,
                              PreparedOnConnection::Statement{entry.name, ++prepared.uses});
    }
    if (!ok && !failed && status != PGRES_PIPELINE_ABORTED) {
      failed = true;
      failure = result;
    } else if (result != nullptr) {
      PQclear(result);
    }
    if (result != nullptr) {
      while (PGresult* rest = PQgetResult(connection)) PQclear(rest);  // up to the NULL
    }
  }
  PQclear(PQgetResult(connection));  // PGRES_PIPELINE_SYNC
  PQexitPipelineMode(connection);
  if (failed) {
    // The COMMIT was skipped: the transaction is still open, failed.
    PQclear(PQexec(connection, "ROLLBACK"));
    ThrowFailure(connection, failure);
  }
  committed();
}

void RunPreparedLater(soci::session& session, const std::string& sql,
                      std::span<const QueryParam> params, bool once) {
  PGconn* connection = ConnectionOf(session);
  PreparedOnConnection& prepared = PreparedOn(connection);
  if (!prepared.in_transaction) {
    RunPrepared(session, sql, params);
    return;
  }
  PreparedOnConnection::Queued write;
  write.sql = sql;
  write.params.reserve(params.size());
  for (const auto& param : params) {
    write.params.push_back(param ? std::optional<std::string>(*param) : std::nullopt);
  }
  if (once) {
    for (const auto& earlier : prepared.queued) {
      if (earlier.sql == write.sql && earlier.params == write.params) return;
    }
  }
  prepared.queued.push_back(std::move(write));
}

bool RunAfterCommit(soci::session& session, std::function<void()> action) {
  PreparedOnConnection& prepared = PreparedOn(ConnectionOf(session));
  if (!prepared.in_transaction) return false;
  prepared.after_commit.push_back(std::move(action));
  return true;
}

bool WakeSequencersAfterCommit(soci::session& session) {
  PreparedOnConnection& prepared = PreparedOn(ConnectionOf(session));
  if (!prepared.in_transaction) return false;
  prepared.wake_sequencers = true;
  return true;
}

namespace {

// The wake-ups of this process's running event buses: empty unless one runs
// (each removes its own at its Stop).
struct SequencerWakeups {
  std::mutex mutex;
  std::list<std::function<void()>> wakeups;
};

SequencerWakeups& Wakeups() {
  static SequencerWakeups wakeups;
  return wakeups;
}

}  // namespace

void WakeSequencers() {
  auto& registry = Wakeups();
  std::lock_guard lock(registry.mutex);
  for (const auto& wake : registry.wakeups) wake();
}

SequencerWakeupRegistration::SequencerWakeupRegistration(std::function<void()> wake) {
  auto& registry = Wakeups();
  std::lock_guard lock(registry.mutex);
  position_ = registry.wakeups.insert(registry.wakeups.end(), std::move(wake));
}

SequencerWakeupRegistration::~SequencerWakeupRegistration() {
  auto& registry = Wakeups();
  std::lock_guard lock(registry.mutex);
  registry.wakeups.erase(position_);
}

}  // namespace karton::kernel
