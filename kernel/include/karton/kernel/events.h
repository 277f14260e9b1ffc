// Domain events (docs/events.md): every business change publishes an event
// in the same transaction, so an event exists if and only if the change
// committed; modules and outside systems follow them.
//
// In Register(), a module declares the topics it publishes, with their
// payload message, and subscribes to the topics it reacts to:
//
//   context.Events().DeclareTopic<v1::Partner>("partners.partner.created");
//   context.Events().Subscribe("lead_matcher", {"partners.partner.*"},
//       [this](const kernel::Event& event, soci::session& session) {
//         v1::Partner partner;
//         if (!event.ParsePayload(partner)) return;   // not the expected type
//         ...   // work in `session`: it commits together with the cursor
//       });
//
// A handler that calls other modules subscribes with SubscribeCalling: it
// gets no session, and no connection is held while it runs. One that calls
// them once for many events subscribes with SubscribeCallingRuns.
//
// and publishes inside the transaction of the change, after the write:
//
//   soci::transaction tx(session);
//   ... INSERT INTO partners.partner ...
//   context.Events().Publish(session, "partners.partner.created", id, partner,
//                            kernel::CallerOf(*server_context));
//   tx.commit();
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "karton/kernel/access.h"
#include "karton/kernel/clock.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

// One committed event, as a subscriber receives it.
struct Event {
  std::int64_t id = 0;  // position in the event log; increasing, not contiguous
  std::string topic;    // "<module>.<resource>.<verb>"
  std::int64_t aggregate_id = 0;
  std::string module;        // the publisher
  std::string payload_type;  // full protobuf name of the payload message
  std::string payload;       // the payload, serialized
  TimePoint publish_time;    // kernel clock
  std::int64_t actor_user_id = 0;

  // Parses the payload into `message` if it is of that type.
  template <class Message>
  bool ParsePayload(Message& message) const {
    return payload_type == Message::descriptor()->full_name() && message.ParseFromString(payload);
  }
};

// Runs on a kernel delivery thread with `session` inside an open
// transaction. The kernel commits it together with the subscriber's cursor,
// so what the handler writes through `session` happens exactly once per
// event. Throwing rolls it all back and fails the attempt: the event is
// retried with backoff (1 s, 2 s, 4 s, ...) and, after --event-max-attempts,
// parked (EventService/ListParkedEvents), so the events after it flow on;
// later events of the same aggregate are parked behind it. Work done outside
// `session` (calls to other modules, messages) may be repeated after a
// crash: make it idempotent.
using EventHandler = std::function<void(const Event& event, soci::session& session)>;

// A handler that calls other modules (or waits on anything slow): it runs on
// a kernel delivery thread that holds no database connection meanwhile, so
// its calls cannot wait on the pool its own thread drains (database.h).
// It reads and writes through ModuleContext::Db() in transactions of its
// own. The cursor moves after it returns, so an event is handled at least
// once: a crash, or another kartond taking the subscription over, may run
// it again; make it idempotent (an idempotency key on the message sent,
// say). Throwing retries and parks as for EventHandler.
using CallingEventHandler = std::function<void(const Event& event)>;

// A calling handler that works off the events of a run together (one call
// to another module for all of them: SendMessages for many notices, say).
// It gets the events of a delivery batch (up to 100) that are due, in the
// log's order, and returns or throws for all of them. The cursor moves past
// the run when it returns. When it throws, the same events are handed to it
// again one at a time (a span of one each, calling_concurrency of them at
// once), so a failure is counted, retried and parked for its own event
// alone, as with a CallingEventHandler; events whose earlier attempt failed
// also come one at a time. At least once, as a CallingEventHandler: a run
// that failed after doing part of its work does that part again; make it
// idempotent.
using CallingRunHandler = std::function<void(std::span<const Event> events)>;

struct SubscriptionOptions {
  // Where a subscription starts the first time it is ever registered: with
  // the next event (default), or with the oldest event the log still keeps.
  bool from_oldest = false;
  // A calling handler (SubscribeCalling, SubscribeCallingRuns) only: how
  // many events it may run
  // at once, each on a thread of its own. Events of one aggregate still
  // run one after another, in order; events of different aggregates may
  // run side by side. A handler whose work is mostly waiting on another
  // module (a notice sent through messaging) keeps up with a burst this
  // way. 1 (the default) runs one at a time, in the log's order; at most 16.
  int calling_concurrency = 1;
  // An in-process handler (Subscribe) only: called in the delivery's
  // transaction with the events of a run, before the handler gets the first
  // of them, on every path that runs the handler (a batch, a batch run again
  // after a failure, one event retried, a parked event delivered again). A
  // handler that would read the same definitions for every event (the rules
  // that wait for a topic, say) reads them here once for the run and keeps
  // them until the next call: one statement per run instead of one per
  // event, and what the run's transaction sees. Throwing rolls the run
  // back; its events then run one at a time, and a preparation that fails
  // for one event alone is that event's failure (retried, then parked).
  std::function<void(std::span<const Event> events, soci::session& session)> prepare_run;
};

class DomainEvents {
 public:
  virtual ~DomainEvents() = default;

  // Register() only. Topics are "<this module>.<resource>.<verb>", lower
  // case ([a-z][a-z0-9_]*), each published with one payload message type.
  // Throws std::invalid_argument for a malformed or foreign topic.
  template <class Message>
  void DeclareTopic(std::string topic) {
    DeclareTopic(std::move(topic), Message::descriptor()->full_name());
  }
  virtual void DeclareTopic(std::string topic, std::string payload_type) = 0;

  // Writes the event into the outbox inside `session`'s open transaction.
  // Publish after the write it describes: concurrent changes of one
  // aggregate then reach subscribers in commit order. Throws
  // std::invalid_argument for an undeclared topic or a payload of another
  // type than declared (programming errors).
  virtual void Publish(soci::session& session, std::string_view topic, std::int64_t aggregate_id,
                       const google::protobuf::Message& payload, const Caller& actor) = 0;

  // Many events of one topic at once (bulk imports), written with one COPY
  // inside `session`'s transaction: aggregate id -> payload, in order.
  using Batch = std::vector<std::pair<std::int64_t, const google::protobuf::Message*>>;
  virtual void PublishMany(soci::session& session, std::string_view topic, const Batch& events,
                           const Caller& actor) = 0;

  // Personal data erasure (A10): empties the payloads of this module's
  // events of `topics` about `aggregate_id`, in the log and in the outbox,
  // inside `session`'s transaction. The events stay (id, topic, aggregate,
  // time), so cursors and per-aggregate order are untouched; a subscriber
  // that has not read them yet gets the payload type's empty message.
  // Throws std::invalid_argument for a topic the module did not declare.
  virtual void ErasePayloads(soci::session& session, const std::vector<std::string>& topics,
                             std::int64_t aggregate_id) = 0;

  // Register() only. `name` ([a-z][a-z0-9_]*) is unique within the module;
  // the cursor is kept under "<module>.<name>" and survives restarts.
  // `topics` are patterns: "partners.partner.created", "partners.partner.*",
  // "partners.*" or "*".
  virtual void Subscribe(std::string name, std::vector<std::string> topics, EventHandler handler,
                         SubscriptionOptions options = {}) = 0;
  // The same for a handler that calls other modules (CallingEventHandler).
  virtual void SubscribeCalling(std::string name, std::vector<std::string> topics,
                                CallingEventHandler handler, SubscriptionOptions options = {}) = 0;
  // The same for a handler of runs of events (CallingRunHandler).
  virtual void SubscribeCallingRuns(std::string name, std::vector<std::string> topics,
                                    CallingRunHandler handler,
                                    SubscriptionOptions options = {}) = 0;
};

}  // namespace karton::kernel
