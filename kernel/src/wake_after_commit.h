// A wake-up (a NOTIFY) that leaves a kernel::Transaction's COMMIT alone.
//
// PostgreSQL serialises the commits of all transactions that NOTIFY: at
// commit such a transaction takes one lock for the whole cluster and holds
// it until its commit record is flushed to disk. Publishers that NOTIFY
// inside their transaction therefore flush one after another instead of
// sharing flushes (docs/performance.md, "One lock for every notifying
// commit"). Sent after the COMMIT, as its own transaction in the same
// pipeline, the NOTIFY costs no extra round trip, and since that
// transaction writes nothing else it commits without waiting for a flush:
// the lock is held for microseconds.
//
// A NOTIFY only wakes listeners, who read the tables for the truth and poll
// anyway, so losing one (kartond stopping between the two) costs latency,
// never an event.
#pragma once

#include <string>

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

// Inside a kernel::Transaction: `sql` (a statement without parameters,
// usually `SELECT pg_notify(...)`) is sent right after the COMMIT, in the
// same round trip, once however often it is asked for; only when the
// transaction committed. Its failure is logged, not thrown: the
// transaction is committed by then. Outside a kernel::Transaction it runs
// at once, in whatever transaction is open.
void WakeAfterCommit(soci::session& session, const std::string& sql);

}  // namespace karton::kernel
