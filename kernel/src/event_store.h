// Every SQL statement of domain events: the outbox, the sequencer that
// moves committed outbox rows into the event log, reads of the log,
// subscription cursors, parked events, webhooks and retention.
// (schema/kernel/0005_create_event.sql has the tables and why.)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/kernel/events.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel::event_store {

// NOTIFY channel: sequencers ("log <head>") wake the deliverers of every
// kartond on the database; publishers outside a kernel::Transaction
// ("outbox") wake the sequencers (inside one, its COMMIT wakes the
// sequencer of its own process: sequencer_wakeup.h).
inline constexpr const char* kNotifyChannel = "karton_events";

struct OutboxEntry {
  std::string module;
  std::string topic;
  std::int64_t aggregate_id = 0;
  std::string payload_type;
  std::string payload;  // serialized protobuf
  TimePoint publish_time;
  std::int64_t actor_user_id = 0;
};
// Inside the caller's open transaction; the sequencers are woken when (and
// only if) that transaction commits.
void AppendToOutbox(soci::session& session, const OutboxEntry& entry);

// The karton_events notification that says API tokens, users or teams changed.
inline constexpr const char* kCredentialsChangedNotification = "credentials";
// Tells every kartond on this database, when the session's transaction
// commits, to forget the callers it verified (see AccessControl).
void AnnounceCredentialsChanged(soci::session& session);
// Many entries with one COPY (and one wake-up).
void AppendManyToOutbox(soci::session& session, const std::vector<OutboxEntry>& entries);
// Empties the payloads of `module`'s events of `topics` about `aggregate_id`,
// in the log and the outbox (personal data erasure).
void ErasePayloads(soci::session& session, const std::string& module,
                   const std::vector<std::string>& topics, std::int64_t aggregate_id);

// Moves up to `limit` committed outbox rows into the log, in one transaction
// under an advisory lock, so only one sequencer in the whole cluster numbers
// events at a time. Returns how many moved (0 when another sequencer holds
// the lock), and the log's head after the move.
struct SequenceResult {
  int moved = 0;
  std::int64_t head = 0;
  bool locked_out = false;
  std::vector<std::string> topics;  // of the events moved, each once
};
SequenceResult MoveOutboxToLog(soci::session& session, int limit);
// The topics of the events after `after` up to `through`, each once.
std::vector<std::string> TopicsBetween(soci::session& session, std::int64_t after,
                                       std::int64_t through);

// The highest event id that exists or existed: never lower than what
// retention deleted, so it does not go back when the log is emptied.
std::int64_t Head(soci::session& session);
// The highest event id retention has deleted (0: none).
std::int64_t PurgedThrough(soci::session& session);

// Up to `limit` events after `after` whose topic matches `like_patterns`
// (event_topics.h LikePatterns), and the log's head read in the same
// snapshot: when fewer than `limit` came back, nothing matching lies
// between the last of them and `head`.
struct Batch {
  std::vector<Event> events;
  std::int64_t head = 0;
  std::int64_t purged_through = 0;  // read in the same snapshot
};
Batch ReadBatch(soci::session& session, std::int64_t after, const std::string& like_patterns,
                int limit);

// --- subscriptions --------------------------------------------------------

struct SubscriptionRow {
  std::int64_t id = 0;
  std::string name;
  std::string kind;  // "module" | "webhook"
  std::string topics;
  std::int64_t cursor = 0;
  bool active = true;
  std::string disabled_reason;
  int consecutive_failures = 0;
  std::string last_error;
  std::optional<TimePoint> retry_at;
  std::optional<TimePoint> last_success_at;
  int parked_count = 0;
  int retrying_count = 0;
  std::optional<TimePoint> create_time;
  // Retention's horizon when the row was read: a cursor below it has lost
  // events it never saw.
  std::int64_t purged_through = 0;
  // Webhooks only.
  std::int64_t webhook_id = 0;
  std::string url;
  std::string secret;
};

// Creates a module subscription the first time (cursor at the log's head,
// or at the retention horizon when `from_oldest`); later only refreshes its
// topics and registered_at (database clock). Returns the id.
std::int64_t RegisterModuleSubscription(soci::session& session, const std::string& name,
                                        const std::string& topics, bool from_oldest, TimePoint now);
// Marks the module subscriptions `names` (comma-separated) as alive now, so
// retention keeps what they have not yet read.
void TouchModuleSubscriptions(soci::session& session, const std::string& names);
// Every webhook plus the module subscriptions named (comma-separated).
std::vector<SubscriptionRow> LoadSubscriptions(soci::session& session, const std::string& names);
// Every subscription, for EventService/ListSubscriptions.
std::vector<SubscriptionRow> ListAllSubscriptions(soci::session& session);
std::optional<SubscriptionRow> FindSubscription(soci::session& session, const std::string& name);

// Takes the delivery claim for this node until the lease ends (database
// clock), if the subscription is active, not claimed by a live other node,
// and not backing off at `now` (kernel clock). Returns the fresh row.
std::optional<SubscriptionRow> Claim(soci::session& session, std::int64_t id,
                                     const std::string& node, int lease_seconds, TimePoint now);
void Release(soci::session& session, std::int64_t id, const std::string& node);
// Inside a delivery transaction, before the handler runs: locks the row if
// this node still holds the claim at `cursor`. The lock keeps another
// kartond from claiming the subscription until this transaction ends, so
// one event is never handled by two processes at once.
bool LockClaimed(soci::session& session, std::int64_t id, const std::string& node,
                 std::int64_t cursor);
// Extends this node's claim (and locks the row when inside a transaction);
// false when the claim was lost.
bool RenewClaim(soci::session& session, std::int64_t id, const std::string& node,
                int lease_seconds);

// Moves the cursor from `from` to `to`, clears the failure state and
// renews the claim for `lease_seconds`, only while this node holds the
// claim and nobody moved the cursor meanwhile. False when that no longer
// holds: the caller rolls back.
bool AdvanceCursor(soci::session& session, std::int64_t id, const std::string& node,
                   std::int64_t from, std::int64_t to, TimePoint now, int lease_seconds);
// One more failed attempt at the event after the cursor; retry at `retry_at`.
void RecordFailure(soci::session& session, std::int64_t id, const std::string& node, int failures,
                   const std::string& error, TimePoint retry_at);
// A webhook that must stop: a 410, too many failures in a row, or events
// lost to retention. Only while this node holds the claim.
void DisableSubscription(soci::session& session, std::int64_t id, const std::string& node,
                         const std::string& reason, int failures, const std::string& error);
// A module subscription whose cursor fell behind retention: moves it to
// `to` and leaves `note` as its last error. False if the claim was lost.
bool SkipDeletedEvents(soci::session& session, std::int64_t id, const std::string& node,
                       std::int64_t from, std::int64_t to, const std::string& note);

// --- parked events --------------------------------------------------------

// The parked aggregates of a subscription: (aggregate type, id) -> the
// oldest parked event of it.
std::map<std::pair<std::string, std::int64_t>, std::int64_t> ParkedAggregates(
    soci::session& session, std::int64_t subscription_id);
// Inside the caller's transaction, together with AdvanceCursor.
void Park(soci::session& session, std::int64_t subscription_id, const Event& event, int attempts,
          const std::string& error, std::int64_t blocked_by, TimePoint now);
// Parked events queued for another attempt (RetryParkedEvents), in order.
struct RetryingEvent {
  Event event;
  int attempts = 0;
  // An older event of the same aggregate still parked (not queued): this
  // one must wait behind it. 0 when none.
  std::int64_t blocked_by = 0;
};
std::vector<RetryingEvent> RetryingEvents(soci::session& session, std::int64_t subscription_id);
// Inside the handler's transaction: the retried event is done. False when
// it was no longer queued (another kartond got there first).
bool Unpark(soci::session& session, std::int64_t subscription_id, std::int64_t event_id);
// The retried event failed again (`error`), or was not attempted because an
// earlier event of its aggregate is parked (`error` empty, `blocked_by`
// that event): back to parked.
void Repark(soci::session& session, std::int64_t subscription_id, std::int64_t event_id,
            const std::string& error, std::int64_t blocked_by);
// Queues every parked event of the subscription for another attempt;
// returns how many.
int QueueParkedForRetry(soci::session& session, std::int64_t subscription_id);

struct ParkedRow {
  Event event;
  std::string subscription;
  int attempts = 0;
  std::string last_error;
  TimePoint park_time;
  std::int64_t blocked_by = 0;
};
// Oldest first, after (subscription id, event id) keyset position `after`.
std::vector<ParkedRow> ListParked(soci::session& session, const std::string& subscription,
                                  std::int64_t after_event_id, int limit);

// --- webhooks -------------------------------------------------------------

struct NewWebhook {
  std::string url;
  std::string topics;
  std::string secret;
  std::string request_id;            // "" for none
  std::int64_t after_event_id = -1;  // -1: start at the log's head
};
// Creates the webhook and its subscription inside the caller's open
// transaction; with a request_id seen before, returns the existing webhook
// instead (`created` false).
SubscriptionRow CreateWebhook(soci::session& session, const NewWebhook& webhook, TimePoint now,
                              bool& created);
std::optional<SubscriptionRow> FindWebhook(soci::session& session, std::int64_t webhook_id);
std::vector<SubscriptionRow> ListWebhooks(soci::session& session, std::int64_t after_id, int limit);
bool DeleteWebhook(soci::session& session, std::int64_t webhook_id);
// Active again, failures cleared, due now.
bool EnableWebhook(soci::session& session, std::int64_t webhook_id);
// Cursor back to `after_event_id`, failures cleared, due now.
bool ReplayWebhook(soci::session& session, std::int64_t webhook_id, std::int64_t after_event_id);

// --- retention ------------------------------------------------------------

// Retention in two steps. First the horizon: the newest event published
// before `cutoff` (kernel clock) that every live subscriber (an active
// webhook, or a module subscription registered within `retention_days`)
// has read. It is recorded as purged_through before anything is deleted, so
// a reader is told about a gap even if the deletion stops half-way.
std::int64_t AdvanceRetentionHorizon(soci::session& session, TimePoint cutoff, int retention_days);
// Then up to `limit` events at or below `through` that are not parked;
// returns how many (call again until it returns less than `limit`).
long long DeleteEventsThrough(soci::session& session, std::int64_t through, int limit);

}  // namespace karton::kernel::event_store
