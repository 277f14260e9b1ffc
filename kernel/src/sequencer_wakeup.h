// How a commit that published events wakes the event sequencer of its own
// process, without a NOTIFY in the committing transaction.
//
// Why not NOTIFY: PostgreSQL serialises the commits of every transaction that
// NOTIFYs (PreCommit_Notify takes one database-wide lock and holds it past
// the commit's WAL flush), so group commit cannot merge them. Measured with
// pgbench at 16 clients, an INSERT per transaction: 7,132 commits/s without a
// NOTIFY, 1,372/s with one (docs/performance.md, "NOTIFY serialises
// commits"). Every write path publishes an event, so every write path paid
// it.
//
// Instead, a kernel::Transaction that appended to the outbox remembers it,
// and after its COMMIT succeeds it calls every wake-up registered here: the
// event buses of this process, whose listener then moves the outbox into the
// log. Other kartonds on the same database hear of the new events from the
// sequencer's own NOTIFY ("log <head>"), one per move, as before. Writes
// outside a kernel::Transaction (a soci::transaction or autocommit) have no
// commit to hook, and still NOTIFY "outbox" inside their transaction.
#pragma once

#include <functional>
#include <list>

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

// Inside an open kernel::Transaction on `session`: it will wake the
// sequencers when (and only if) it commits; answers true. Outside one:
// false, and the caller must wake them some other way.
bool WakeSequencersAfterCommit(soci::session& session);

// Called by kernel::Transaction::Commit after a COMMIT that published events.
void WakeSequencers();

// A wake-up for as long as the registration lives. `wake` runs on the
// committing thread, so it must be quick and must not throw (the event bus
// sets a flag and writes its eventfd).
class SequencerWakeupRegistration {
 public:
  explicit SequencerWakeupRegistration(std::function<void()> wake);
  ~SequencerWakeupRegistration();
  SequencerWakeupRegistration(const SequencerWakeupRegistration&) = delete;
  SequencerWakeupRegistration& operator=(const SequencerWakeupRegistration&) = delete;

 private:
  std::list<std::function<void()>>::iterator position_;
};

}  // namespace karton::kernel
