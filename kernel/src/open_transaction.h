// What the kernel's own code asks of a kernel::Transaction open on a
// connection: whether there is one, its BEGIN, and work for after its
// COMMIT.
//
// A kernel::Transaction sends its BEGIN together with its first statement.
// Why: BEGIN alone is a round trip that answers nothing. A create that reads
// its custom field definitions, inserts and commits made four round trips,
// the first of them the BEGIN; RunPrepared now pipelines the BEGIN with the
// first prepared statement, Commit() with the queued writes and the COMMIT,
// and a transaction that sent nothing (a request refused by validation)
// sends neither BEGIN nor ROLLBACK.
//
// Every other way to a pool connection must send the pending BEGIN first,
// or its statement would run outside the transaction: SOCI statements (the
// Transaction installs a query transformation on its session that does it),
// COPY (kernel::CopyIn) and Database::Lease::RawConnection() call
// SendPendingBegin.
#pragma once

#include <functional>

typedef struct pg_conn PGconn;

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

// True while a kernel::Transaction is open on `connection`, whether or not
// its BEGIN has gone out yet.
bool KernelTransactionOpen(PGconn* connection);

// Sends the BEGIN of the kernel::Transaction open on `connection` if it has
// not gone out yet; otherwise does nothing. Throws as RunPrepared does.
void SendPendingBegin(PGconn* connection);

// Inside an open kernel::Transaction on `session`: `action` runs on the
// committing thread after its COMMIT succeeds (never if it rolls back or
// the commit fails); answers true. Outside one: false, and `action` is not
// kept. For wake-ups of this process's own workers, which would otherwise
// look for the new rows before they are committed: it must be quick, must
// not throw, and may outlive what it wakes only through shared ownership.
bool RunAfterCommit(soci::session& session, std::function<void()> action);

}  // namespace karton::kernel
