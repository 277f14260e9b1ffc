// The kernel side of domain events (docs/events.md): the per-module
// DomainEvents facade, the sequencer that turns committed outbox rows into
// the numbered event log, and the deliverers that walk each subscription's
// durable cursor (in-process handlers and webhooks).
//
// Threads:
// - one listener: LISTENs on its own connection; when a transaction of this
//   process that published events commits (sequencer_wakeup.h), on a
//   notification or every poll interval it runs the sequencer, refreshes
//   the log head and the subscription list, and wakes the deliverers and the
//   streams;
// - deliverers in three lanes, kept apart so that waiting in one never
//   holds up another: --event-workers for in-process module handlers
//   (short transactions), one per calling subscription (SubscribeCalling:
//   handlers that mostly wait on another module's RPCs), and
//   --webhook-workers for webhooks (a slow endpoint). Each takes a due
//   subscription of its lane, claims it in the database (so one kartond at
//   a time delivers it), and delivers a batch in order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "event_store.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/network.h"
#include "sequencer_wakeup.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

class Database;

struct EventBusOptions {
  int workers = 2;  // for module subscriptions
  int webhook_workers = 2;
  std::chrono::milliseconds poll_interval{1000};
  // In-process handlers: attempts at one event before it is parked.
  int max_attempts = 5;
  // Webhooks: failed deliveries in a row before the webhook is disabled.
  int webhook_max_failures = 20;
  std::chrono::seconds webhook_timeout{10};
  // How long the log keeps events; 0 keeps them forever.
  int retention_days = 30;
  // How long a delivery claim holds before another kartond may take over;
  // every delivered event renews it.
  int claim_lease_seconds = 30;
  // Inner networks webhooks may reach all the same (--webhook-allow-cidr).
  std::vector<IpNetwork> webhook_allowed_networks;
};

struct DeclaredTopic {
  std::string name;
  std::string module;
  std::string payload_type;
};

class EventBus {
 public:
  // `connection_string` opens the listener's own connection (LISTEN needs a
  // session that is not lent out).
  EventBus(Database& database, std::string connection_string, const Clock& clock,
           std::string node_id, EventBusOptions options);
  ~EventBus();  // Stop()
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // The facade a module uses; topics and subscriptions carry its name.
  std::unique_ptr<DomainEvents> ForModule(const std::string& module);

  // Every declared topic, by name. Read-only once Start() ran.
  std::vector<DeclaredTopic> Topics() const;
  // True when `pattern` matches at least one declared topic.
  bool MatchesSomeTopic(const std::string& pattern) const;

  // Records the module subscriptions in the database (creating their
  // cursors on first registration) and starts the threads.
  void Start();
  // Ends every Subscribe stream (they answer UNAVAILABLE), so the gRPC
  // server can drain; deliveries go on until Stop().
  void CloseStreams();
  // Stops the threads after the deliveries in progress. Idempotent.
  void Stop();

  // Runs `forget` whenever some kartond on this database announces a change
  // of credentials (AnnounceCredentialsChanged), and after the listener
  // (re)connects, since it may have missed one. Call before Start().
  void OnCredentialsChanged(std::function<void()> forget) {
    credentials_changed_ = std::move(forget);
  }

  // Something changed that the deliverers should look at now: a webhook
  // was created or enabled, parked events were queued, the clock moved.
  void Refresh();

  // For Subscribe streams: waits until an event after `after` may exist,
  // or `timeout` passed. False once streams are closing.
  bool WaitForEventsAfter(std::int64_t after, std::chrono::milliseconds timeout);
  bool StreamsClosing() const { return streams_closing_.load(); }

  // Deletes what retention no longer keeps (the kernel's hourly job).
  long long PurgeExpired();
  const EventBusOptions& Options() const { return options_; }

 private:
  class ModuleEvents;
  std::function<void()> credentials_changed_;
  struct Subscription;

  void ListenLoop();
  // Which deliverers serve a subscription (see the top of this file).
  enum class Lane { kInProcess, kCalling, kWebhook };
  static Lane LaneOf(const Subscription& subscription);
  // Delivers the subscriptions of one lane.
  void WorkerLoop(Lane lane);
  // The next subscription of that lane with work, marked busy; nullptr if
  // none. Call with mutex_ held; `wait` shrinks to the earliest backoff end.
  std::shared_ptr<Subscription> TakeDueSubscription(Lane lane, std::chrono::milliseconds& wait);
  // A calling subscription's share of DeliverToModule: runs the batch's
  // events from `next` on in a sliding window and moves the cursor past
  // those that finished. Returns false when the claim was lost. On return
  // `next` is the first event not delivered and `failure` what it threw
  // (null when the batch is done or the bus stops).
  enum class RunOutcome { kDelivered, kFailed, kClaimLost };
  // A run subscription's first try at the batch's events from `next` on:
  // all of them to its run handler at once (those behind a parked event of
  // their aggregate parked instead), then the cursor past the batch in one
  // commit. kFailed when the handler threw: nothing moved, and the events
  // go one at a time (DeliverCalling).
  RunOutcome DeliverCallingRun(
      Subscription& subscription, const std::vector<Event>& events,
      const std::map<std::pair<std::string, std::int64_t>, std::int64_t>& parked,
      std::optional<Database::Lease>& lease, std::int64_t& cursor, std::size_t& next);
  // Both calling paths' last step: parks the events `to_park` (behind a
  // parked event of their aggregate) and moves the cursor to `to`, in one
  // transaction. False when the claim was lost.
  bool CommitCalled(const Subscription& subscription, const std::vector<Event>& events,
                    const std::vector<std::size_t>& to_park,
                    const std::map<std::pair<std::string, std::int64_t>, std::int64_t>& parked,
                    soci::session& session, std::int64_t& cursor, std::int64_t to);
  bool DeliverCalling(Subscription& subscription, const std::vector<Event>& events,
                      const std::map<std::pair<std::string, std::int64_t>, std::int64_t>& parked,
                      std::optional<Database::Lease>& lease, std::int64_t& cursor,
                      std::size_t& next, std::exception_ptr& failure);
  // Claims, delivers, releases. True when the cursor moved or a parked
  // event was handled; a round without progress makes the subscription
  // wait for the next reload instead of being picked again at once.
  bool RunRound(Subscription& subscription);
  // Both deliver one batch after the claimed cursor, in order, and stop at
  // the first failure (after recording it).
  bool DeliverToModule(Subscription& subscription, const event_store::SubscriptionRow& claimed);
  bool DeliverToWebhook(Subscription& subscription, const event_store::SubscriptionRow& claimed);
  // Parked events queued by RetryParkedEvents, once each, in order.
  bool RetryParked(Subscription& subscription, std::optional<Database::Lease>& lease);
  // Records what a round learned, for the next TakeDueSubscription.
  void Note(Subscription& subscription, std::int64_t cursor,
            std::optional<TimePoint> retry_at = std::nullopt);
  bool Stopping() const;
  // Moves committed outbox rows into the log until none is left. True when
  // another kartond's sequencer held the lock, so rows committed here may
  // be left for a moment.
  bool Sequence();
  void ReloadSubscriptions();
  void RaiseHead(std::int64_t head);
  // The log grew to `head` with events of `topics` (those after
  // matched_through_): subscriptions that want any of them become due; the
  // others are not woken at all. Call with mutex_ held.
  void NoteNewEvents(std::int64_t head, const std::vector<std::string>& topics);
  // Matches whatever the log holds up to `head` that was not matched yet,
  // then raises the head.
  void RaiseHeadTo(soci::session& session, std::int64_t head);
  // Wakes the listener out of its poll().
  void WakeListener();

  Database& database_;
  std::string connection_string_;
  const Clock& clock_;
  std::string node_id_;
  EventBusOptions options_;

  // Filled during Register(), read-only after Start().
  std::map<std::string, DeclaredTopic> topics_;
  std::vector<std::shared_ptr<Subscription>> module_subscriptions_;
  std::string module_subscription_names_;  // comma-separated, for SQL
  bool started_ = false;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // head moved, subscriptions changed, stopping
  std::vector<std::shared_ptr<Subscription>> subscriptions_;  // module + webhooks
  std::int64_t head_ = 0;
  // Events up to here have had their topics matched against the
  // subscriptions (NoteNewEvents), so each knows whether it has work.
  std::int64_t matched_through_ = 0;
  bool stopping_ = false;
  bool reload_requested_ = false;
  std::atomic<bool> streams_closing_{false};
  std::size_t next_pick_ = 0;  // round-robin position

  // eventfd that interrupts the listener's wait; made in the constructor,
  // since Refresh() may come from a gRPC call before Start().
  int wake_fd_ = -1;
  // Set by a commit of this process that published events; the listener
  // runs the sequencer at once.
  std::atomic<bool> sequence_requested_{false};
  std::optional<SequencerWakeupRegistration> sequencer_wakeup_;  // Start() to Stop()
  std::thread listener_;
  std::vector<std::thread> workers_;
};

}  // namespace karton::kernel
