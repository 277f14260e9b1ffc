// One request, one transaction, and as few round trips as the work allows.
//
//   kernel::Transaction transaction(lease.Session());          // nothing sent yet
//   auto created = kInsertNote.One(lease.Session(), {...});     // BEGIN, INSERT ... RETURNING
//   context.Audit().Record(lease.Session(), caller, ...);      // queued
//   context.Events().Publish(lease.Session(), "notes.note.created", ...);  // queued
//   transaction.Commit();  // the queued writes and COMMIT: one round trip
//
// Inside a kernel::Transaction, writes whose result nobody reads (audit
// entries, outbox events) are not sent when they are made but
// queued on the connection, and Commit() sends them together with COMMIT in
// one libpq pipeline. If any of them fails, none of the transaction is kept
// and Commit() throws the database's error, as the statement itself would
// have. A Transaction destroyed without Commit() rolls back (queued writes
// are dropped). Statements that read go out at once, as always, so a
// transaction sees its own earlier writes except the queued ones. A commit
// that published events wakes this process's event sequencer itself; it
// sends no NOTIFY.
//
// BEGIN is not a round trip of its own: it goes out in one pipeline with
// the first RunPrepared (or TypedQuery), or just before the first SOCI
// statement, COPY or Lease::RawConnection(), or with Commit()'s writes. A
// transaction that sent nothing (a request refused before any statement)
// sends neither BEGIN nor ROLLBACK.
//
// Outside a kernel::Transaction (a soci::transaction, or none) the same
// writes run at once: code that queues need not know which it is in.
#pragma once

#include <span>
#include <string>

#include "karton/kernel/prepared_query.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

class Transaction {
 public:
  // Opens a transaction on `session`'s connection (its BEGIN goes with the
  // first statement, above). Throws std::logic_error when another
  // kernel::Transaction is open on it.
  explicit Transaction(soci::session& session);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // The queued writes and COMMIT, in one round trip. Throws (as
  // RunPrepared does, with the SQLSTATE) when any of them fails; then
  // nothing of the transaction was kept.
  void Commit();

 private:
  soci::session& session_;
  bool done_ = false;
};

// Runs `sql` like RunPrepared, for a write whose result is not read: inside a
// kernel::Transaction it is queued to go with the COMMIT; otherwise it runs
// at once. With `once`, a statement already queued with the same text and
// parameters in this transaction is not queued again (a NOTIFY per event).
void RunPreparedLater(soci::session& session, const std::string& sql,
                      std::span<const QueryParam> params, bool once = false);
inline void RunPreparedLater(soci::session& session, const std::string& sql,
                             std::initializer_list<QueryParam> params, bool once = false) {
  RunPreparedLater(session, sql, std::span<const QueryParam>(params.begin(), params.size()), once);
}

}  // namespace karton::kernel
