#include "event_bus.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <libpq-fe.h>
#include <poll.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <set>
#include <stdexcept>

#include "event_proto.h"
#include "event_topics.h"
#include "job_queue.h"
#include "karton/kernel/database.h"
#include "webhook_sender.h"

namespace karton::kernel {
namespace {

constexpr int kSequenceBatch = 1000;
constexpr int kDeliveryBatch = 100;
// How often a kartond tells retention its module subscriptions are alive.
constexpr auto kTouchInterval = std::chrono::hours(1);

bool IsSubscriptionName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string DescribeFailure(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    return DescribeDatabaseError(error);
  } catch (...) {
    return "the handler threw something that is not a std::exception";
  }
}

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

}  // namespace

struct EventBus::Subscription {
  // Fixed from registration (module) or first load (webhook).
  std::string name;
  std::string kind;  // "module" | "webhook"
  std::vector<std::string> topics;
  std::string like_patterns;
  EventHandler handler;  // modules only
  bool from_oldest = false;
  // What this process knows of the database row; guarded by the bus mutex.
  std::int64_t id = 0;
  std::int64_t cursor = 0;
  bool active = true;
  std::optional<TimePoint> retry_at;
  int retrying = 0;
  bool busy = false;               // a worker of this process is delivering it
  bool claimed_elsewhere = false;  // skip until the next reload
};

class EventBus::ModuleEvents final : public DomainEvents {
 public:
  ModuleEvents(EventBus& bus, std::string module) : bus_(bus), module_(std::move(module)) {}

  void DeclareTopic(std::string topic, std::string payload_type) override {
    if (bus_.started_) throw std::logic_error("event topics are declared in Register()");
    if (!IsValidTopic(topic)) {
      throw std::invalid_argument(
          fmt::format("event topic '{}' is not '<module>.<resource>.<verb>' in lower case", topic));
    }
    if (topic.compare(0, module_.size() + 1, module_ + ".") != 0) {
      throw std::invalid_argument(
          fmt::format("module {} may only declare topics starting with '{}.', not '{}'", module_,
                      module_, topic));
    }
    if (google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(payload_type) ==
        nullptr) {
      throw std::invalid_argument(fmt::format(
          "payload type '{}' of topic '{}' is not a linked protobuf message", payload_type, topic));
    }
    const auto [it, inserted] =
        bus_.topics_.emplace(topic, DeclaredTopic{topic, module_, payload_type});
    if (!inserted && it->second.payload_type != payload_type) {
      throw std::invalid_argument(
          fmt::format("topic '{}' is declared with two payload types", topic));
    }
  }

  void Publish(soci::session& session, std::string_view topic, std::int64_t aggregate_id,
               const google::protobuf::Message& payload, const Caller& actor) override {
    const auto it = bus_.topics_.find(std::string(topic));
    if (it == bus_.topics_.end() || it->second.module != module_) {
      throw std::invalid_argument(
          fmt::format("module {} did not declare the event topic '{}'", module_, topic));
    }
    if (payload.GetDescriptor()->full_name() != it->second.payload_type) {
      throw std::invalid_argument(fmt::format("topic '{}' carries {}, not {}", topic,
                                              it->second.payload_type,
                                              payload.GetDescriptor()->full_name()));
    }
    event_store::AppendToOutbox(session,
                                {module_, std::string(topic), aggregate_id, it->second.payload_type,
                                 payload.SerializeAsString(), bus_.clock_.Now(), actor.user_id});
  }

  void Subscribe(std::string name, std::vector<std::string> topics, EventHandler handler,
                 SubscriptionOptions options) override {
    if (bus_.started_) throw std::logic_error("event subscriptions are made in Register()");
    if (!IsSubscriptionName(name)) {
      throw std::invalid_argument(
          fmt::format("subscription name '{}' is not [a-z][a-z0-9_]*", name));
    }
    if (topics.empty()) {
      throw std::invalid_argument(fmt::format("subscription '{}' names no topic", name));
    }
    for (const auto& pattern : topics) {
      if (!IsValidTopicPattern(pattern)) {
        throw std::invalid_argument(fmt::format(
            "subscription '{}': '{}' is not a topic, '<prefix>.*' or '*'", name, pattern));
      }
    }
    if (!handler) throw std::invalid_argument("an event subscription needs a handler");
    auto subscription = std::make_shared<Subscription>();
    subscription->name = module_ + "." + name;
    for (const auto& existing : bus_.module_subscriptions_) {
      if (existing->name == subscription->name) {
        throw std::invalid_argument(
            fmt::format("event subscription '{}' is made twice", subscription->name));
      }
    }
    subscription->kind = "module";
    subscription->like_patterns = LikePatterns(topics);
    subscription->topics = std::move(topics);
    subscription->handler = std::move(handler);
    subscription->from_oldest = options.from_oldest;
    bus_.module_subscriptions_.push_back(std::move(subscription));
  }

 private:
  EventBus& bus_;
  std::string module_;
};

EventBus::EventBus(Database& database, std::string connection_string, const Clock& clock,
                   std::string node_id, EventBusOptions options)
    : database_(database),
      connection_string_(std::move(connection_string)),
      clock_(clock),
      node_id_(std::move(node_id)),
      options_(options) {}

EventBus::~EventBus() { Stop(); }

std::unique_ptr<DomainEvents> EventBus::ForModule(const std::string& module) {
  return std::make_unique<ModuleEvents>(*this, module);
}

std::vector<DeclaredTopic> EventBus::Topics() const {
  std::vector<DeclaredTopic> topics;
  for (const auto& [name, topic] : topics_) topics.push_back(topic);
  return topics;
}

bool EventBus::MatchesSomeTopic(const std::string& pattern) const {
  for (const auto& [name, topic] : topics_) {
    if (TopicMatches(pattern, name)) return true;
  }
  return false;
}

void EventBus::Start() {
  started_ = true;
  std::vector<std::string> names;
  for (const auto& subscription : module_subscriptions_) {
    names.push_back(subscription->name);
    for (const auto& pattern : subscription->topics) {
      // Not an error: the publishing module may simply not be loaded here.
      if (!MatchesSomeTopic(pattern)) {
        spdlog::warn("event subscription {} listens to '{}', which no loaded module publishes",
                     subscription->name, pattern);
      }
    }
  }
  module_subscription_names_ = JoinTopics(names);
  {
    auto lease = database_.Acquire();
    for (auto& subscription : module_subscriptions_) {
      subscription->id = event_store::RegisterModuleSubscription(
          lease.Session(), subscription->name, JoinTopics(subscription->topics),
          subscription->from_oldest, clock_.Now());
    }
  }
  ReloadSubscriptions();
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error("cannot create the event bus's eventfd");
  listener_ = std::thread([this] { ListenLoop(); });
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void EventBus::CloseStreams() {
  streams_closing_ = true;
  std::lock_guard lock(mutex_);
  changed_.notify_all();
}

void EventBus::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  streams_closing_ = true;
  changed_.notify_all();
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
  }
  if (listener_.joinable()) listener_.join();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

void EventBus::Refresh() {
  {
    std::lock_guard lock(mutex_);
    reload_requested_ = true;
  }
  changed_.notify_all();
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
  }
}

bool EventBus::WaitForEventsAfter(std::int64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return streams_closing_.load() || head_ > after; });
  return !streams_closing_.load();
}

bool EventBus::Stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

long long EventBus::PurgeExpired() {
  if (options_.retention_days <= 0) return 0;
  const TimePoint cutoff = clock_.Now() - std::chrono::days(options_.retention_days);
  auto lease = database_.Acquire();
  const long long deleted =
      event_store::PurgeEvents(lease.Session(), cutoff, options_.retention_days);
  if (deleted > 0) spdlog::info("event retention deleted={}", deleted);
  return deleted;
}

void EventBus::RaiseHead(std::int64_t head) {
  std::lock_guard lock(mutex_);
  if (head > head_) {
    head_ = head;
    changed_.notify_all();
  }
}

void EventBus::Sequence() {
  auto lease = database_.Acquire();
  while (true) {
    const auto result = event_store::MoveOutboxToLog(lease.Session(), kSequenceBatch);
    // Locked out: another kartond is numbering events; its NOTIFY brings
    // the new head, and the next notification or poll tries again.
    if (result.locked_out) return;
    RaiseHead(result.head);
    if (result.moved < kSequenceBatch) return;
  }
}

void EventBus::ReloadSubscriptions() {
  std::vector<event_store::SubscriptionRow> rows;
  std::int64_t head = 0;
  {
    auto lease = database_.Acquire();
    rows = event_store::LoadSubscriptions(lease.Session(), module_subscription_names_);
    head = event_store::Head(lease.Session());
  }
  std::lock_guard lock(mutex_);
  std::map<std::int64_t, std::shared_ptr<Subscription>> known;
  for (const auto& subscription : subscriptions_) known[subscription->id] = subscription;
  for (const auto& subscription : module_subscriptions_) known[subscription->id] = subscription;
  std::vector<std::shared_ptr<Subscription>> next;
  for (const auto& row : rows) {
    std::shared_ptr<Subscription> subscription;
    if (auto it = known.find(row.id); it != known.end()) {
      subscription = it->second;
    } else if (row.kind == "webhook") {
      subscription = std::make_shared<Subscription>();
      subscription->name = row.name;
      subscription->kind = row.kind;
      subscription->topics = SplitTopics(row.topics);
      subscription->like_patterns = LikePatterns(subscription->topics);
      subscription->id = row.id;
    } else {
      continue;
    }
    if (!subscription->busy) subscription->cursor = row.cursor;
    subscription->active = row.active;
    subscription->retry_at = row.retry_at;
    subscription->retrying = row.retrying_count;
    subscription->claimed_elsewhere = false;
    next.push_back(std::move(subscription));
  }
  subscriptions_ = std::move(next);
  head_ = std::max(head_, head);
  changed_.notify_all();
}

void EventBus::ListenLoop() {
  Connection connection(nullptr, &PQfinish);
  bool listen_failure_logged = false;
  bool sequence_now = true;
  auto last_poll = std::chrono::steady_clock::time_point{};
  auto last_touch = std::chrono::steady_clock::now();
  while (!Stopping()) {
    if (!connection) {
      Connection fresh(PQconnectdb(connection_string_.c_str()), &PQfinish);
      bool listening = PQstatus(fresh.get()) == CONNECTION_OK;
      if (listening) {
        PGresult* result = PQexec(fresh.get(), "LISTEN karton_events");
        listening = PQresultStatus(result) == PGRES_COMMAND_OK;
        PQclear(result);
      }
      if (listening) {
        connection = std::move(fresh);
        listen_failure_logged = false;
        sequence_now = true;  // anything published while we were deaf
      } else if (!listen_failure_logged) {
        spdlog::warn("events: cannot LISTEN, polling every {} ms meanwhile: {}",
                     options_.poll_interval.count(), PQerrorMessage(fresh.get()));
        listen_failure_logged = true;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    const bool poll_due = now - last_poll >= options_.poll_interval;
    bool reload = poll_due;
    {
      std::lock_guard lock(mutex_);
      reload = reload || reload_requested_;
      reload_requested_ = false;
    }
    try {
      if (sequence_now || poll_due) {
        sequence_now = false;
        Sequence();
      }
      if (reload) {
        ReloadSubscriptions();
        if (poll_due) last_poll = now;
      }
      if (now - last_touch >= kTouchInterval && !module_subscription_names_.empty()) {
        auto lease = database_.Acquire();
        event_store::TouchModuleSubscriptions(lease.Session(), module_subscription_names_);
        last_touch = now;
      }
    } catch (const std::exception& error) {
      spdlog::warn("events: {}", DescribeDatabaseError(error));
    }

    const auto until_poll = std::chrono::duration_cast<std::chrono::milliseconds>(
        last_poll + options_.poll_interval - std::chrono::steady_clock::now());
    pollfd waits[2] = {{wake_fd_, POLLIN, 0},
                       {connection ? PQsocket(connection.get()) : -1, POLLIN, 0}};
    ::poll(waits, 2, static_cast<int>(std::clamp<long long>(until_poll.count(), 0, 60000)));
    if ((waits[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto got = ::read(wake_fd_, &count, sizeof count);
    }
    if (connection && waits[1].revents != 0) {
      if (PQconsumeInput(connection.get()) == 0) {
        spdlog::warn("events: the LISTEN connection broke: {}", PQerrorMessage(connection.get()));
        connection.reset();
        continue;
      }
      while (PGnotify* notification = PQnotifies(connection.get())) {
        const std::string extra = notification->extra;
        PQfreemem(notification);
        if (extra == "outbox") {
          sequence_now = true;
        } else if (extra.rfind("log ", 0) == 0) {
          try {
            RaiseHead(std::stoll(extra.substr(4)));
          } catch (const std::exception&) {
            // Not ours to interpret; the next poll reads the head anyway.
          }
        }
      }
    }
  }
}

std::shared_ptr<EventBus::Subscription> EventBus::TakeDueSubscription(
    std::chrono::milliseconds& wait) {
  const TimePoint now = clock_.Now();
  const std::size_t count = subscriptions_.size();
  for (std::size_t i = 0; i < count; ++i) {
    auto& subscription = subscriptions_[(next_pick_ + i) % count];
    if (!subscription->active || subscription->busy || subscription->claimed_elsewhere ||
        subscription->id == 0) {
      continue;
    }
    if (subscription->cursor >= head_ && subscription->retrying == 0) continue;
    if (subscription->retry_at && *subscription->retry_at > now) {
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                *subscription->retry_at - now) +
                                std::chrono::milliseconds(1));
      continue;
    }
    next_pick_ = (next_pick_ + i + 1) % count;
    subscription->busy = true;
    return subscription;
  }
  return nullptr;
}

void EventBus::WorkerLoop() {
  while (true) {
    std::shared_ptr<Subscription> due;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      auto wait = options_.poll_interval;
      due = TakeDueSubscription(wait);
      if (!due) {
        changed_.wait_for(lock, wait);
        continue;
      }
    }
    try {
      RunRound(*due);
    } catch (const std::exception& error) {
      spdlog::warn("events: delivering {}: {}", due->name, DescribeDatabaseError(error));
      std::lock_guard lock(mutex_);
      due->claimed_elsewhere = true;  // look again after the next reload, not in a hot loop
    }
    std::lock_guard lock(mutex_);
    due->busy = false;
  }
}

void EventBus::Note(Subscription& subscription, std::int64_t cursor,
                    std::optional<TimePoint> retry_at) {
  std::lock_guard lock(mutex_);
  subscription.cursor = cursor;
  subscription.retry_at = retry_at;
}

void EventBus::RunRound(Subscription& subscription) {
  auto lease = database_.Acquire();
  soci::session& session = lease.Session();
  const auto claimed = event_store::Claim(session, subscription.id, node_id_,
                                          options_.claim_lease_seconds, clock_.Now());
  if (!claimed) {
    // Another kartond delivers it, or it backs off or was disabled there:
    // the next reload tells.
    std::lock_guard lock(mutex_);
    subscription.claimed_elsewhere = true;
    return;
  }
  {
    std::lock_guard lock(mutex_);
    subscription.cursor = claimed->cursor;
    subscription.retrying = 0;
  }
  try {
    if (subscription.kind == "module") {
      DeliverToModule(subscription, session, *claimed);
    } else {
      DeliverToWebhook(subscription, session, *claimed);
    }
  } catch (...) {
    try {
      event_store::Release(session, subscription.id, node_id_);
    } catch (const std::exception&) {
      // The claim runs out by itself.
    }
    throw;
  }
  event_store::Release(session, subscription.id, node_id_);
}

void EventBus::RetryParked(Subscription& subscription, soci::session& session) {
  std::set<std::pair<std::string, std::int64_t>> failed_aggregates;
  for (const auto& [event, attempts] : event_store::RetryingEvents(session, subscription.id)) {
    const std::pair key{AggregateTypeOf(event.topic), event.aggregate_id};
    if (failed_aggregates.count(key) > 0) {
      // An earlier event of this aggregate failed again: keep the order.
      event_store::Repark(session, subscription.id, event.id, "");
      continue;
    }
    std::exception_ptr failure;
    {
      soci::transaction transaction(session);
      try {
        subscription.handler(event, session);
      } catch (...) {
        failure = std::current_exception();
      }
      if (!failure) {
        event_store::Unpark(session, subscription.id, event.id);
        transaction.commit();
      }
    }
    if (failure) {
      const std::string error = DescribeFailure(failure);
      spdlog::warn("parked event failed again subscription={} event={} attempts={} error=\"{}\"",
                   subscription.name, event.id, attempts + 1, error);
      event_store::Repark(session, subscription.id, event.id, error);
      failed_aggregates.insert(key);
    } else {
      spdlog::info("parked event delivered subscription={} event={}", subscription.name, event.id);
    }
  }
}

void EventBus::DeliverToModule(Subscription& subscription, soci::session& session,
                               const event_store::SubscriptionRow& claimed) {
  std::int64_t cursor = claimed.cursor;
  int failures = claimed.consecutive_failures;
  if (claimed.retrying_count > 0) RetryParked(subscription, session);
  auto parked = claimed.parked_count > 0 || claimed.retrying_count > 0
                    ? event_store::ParkedAggregates(session, subscription.id)
                    : std::map<std::pair<std::string, std::int64_t>, std::int64_t>{};

  const auto batch =
      event_store::ReadBatch(session, cursor, subscription.like_patterns, kDeliveryBatch);
  for (const Event& event : batch.events) {
    if (Stopping()) {
      Note(subscription, cursor);
      return;
    }
    const std::pair key{AggregateTypeOf(event.topic), event.aggregate_id};
    if (const auto blocking = parked.find(key); blocking != parked.end()) {
      // Per-aggregate order: never deliver past a parked event of the same
      // aggregate; park this one behind it.
      soci::transaction transaction(session);
      event_store::Park(session, subscription.id, event, 0, "", blocking->second, clock_.Now());
      if (!event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, event.id,
                                      clock_.Now(), options_.claim_lease_seconds)) {
        return;  // the claim was lost; the other kartond carries on
      }
      transaction.commit();
      cursor = event.id;
      continue;
    }

    std::exception_ptr failure;
    {
      soci::transaction transaction(session);
      try {
        subscription.handler(event, session);
      } catch (...) {
        failure = std::current_exception();
      }
      if (!failure) {
        // The handler's writes and the cursor commit together: exactly once.
        if (!event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, event.id,
                                        clock_.Now(), options_.claim_lease_seconds)) {
          return;
        }
        transaction.commit();
      }
    }
    if (!failure) {
      cursor = event.id;
      failures = 0;
      continue;
    }

    const std::string error = DescribeFailure(failure);
    ++failures;
    if (failures >= options_.max_attempts) {
      soci::transaction transaction(session);
      event_store::Park(session, subscription.id, event, failures, error, 0, clock_.Now());
      if (!event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, event.id,
                                      clock_.Now(), options_.claim_lease_seconds)) {
        return;
      }
      transaction.commit();
      spdlog::error("event parked subscription={} event={} topic={} attempts={} error=\"{}\"",
                    subscription.name, event.id, event.topic, failures, error);
      parked[key] = event.id;
      cursor = event.id;
      failures = 0;
      continue;
    }
    const TimePoint retry_at = clock_.Now() + RetryDelay(failures);
    spdlog::warn("event handler failed subscription={} event={} attempt={} error=\"{}\"",
                 subscription.name, event.id, failures, error);
    event_store::RecordFailure(session, subscription.id, node_id_, failures, error, retry_at);
    Note(subscription, cursor, retry_at);
    return;
  }
  // Nothing matching lies between the last event and the head this batch
  // saw: move past it, so the next read starts there.
  if (batch.events.size() < static_cast<std::size_t>(kDeliveryBatch) && batch.head > cursor &&
      event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, batch.head,
                                 clock_.Now(), options_.claim_lease_seconds)) {
    cursor = batch.head;
  }
  Note(subscription, cursor);
}

void EventBus::DeliverToWebhook(Subscription& subscription, soci::session& session,
                                const event_store::SubscriptionRow& claimed) {
  std::int64_t cursor = claimed.cursor;
  int failures = claimed.consecutive_failures;
  const auto batch =
      event_store::ReadBatch(session, cursor, subscription.like_patterns, kDeliveryBatch);
  for (const Event& event : batch.events) {
    if (Stopping()) {
      Note(subscription, cursor);
      return;
    }
    WebhookOutcome outcome;
    try {
      outcome = PostWebhook({claimed.url, claimed.secret, ToJson(event), event.id, event.topic},
                            options_.webhook_timeout);
    } catch (const std::exception& error) {
      outcome.error = error.what();
    }
    if (outcome.delivered) {
      if (!event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, event.id,
                                      clock_.Now(), options_.claim_lease_seconds)) {
        return;
      }
      cursor = event.id;
      failures = 0;
      continue;
    }
    ++failures;
    if (outcome.gone || failures >= options_.webhook_max_failures) {
      const std::string reason = outcome.gone
                                     ? "the endpoint answered 410 Gone"
                                     : fmt::format("{} failed deliveries in a row", failures);
      event_store::DisableSubscription(session, subscription.id, reason, failures, outcome.error);
      spdlog::error("webhook disabled subscription={} url={} reason=\"{}\" last_error=\"{}\"",
                    subscription.name, claimed.url, reason, outcome.error);
      std::lock_guard lock(mutex_);
      subscription.active = false;
      subscription.cursor = cursor;
      return;
    }
    const TimePoint retry_at = clock_.Now() + RetryDelay(failures);
    spdlog::warn("webhook delivery failed subscription={} event={} attempt={} error=\"{}\"",
                 subscription.name, event.id, failures, outcome.error);
    event_store::RecordFailure(session, subscription.id, node_id_, failures, outcome.error,
                               retry_at);
    Note(subscription, cursor, retry_at);
    return;
  }
  if (batch.events.size() < static_cast<std::size_t>(kDeliveryBatch) && batch.head > cursor &&
      event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, batch.head,
                                 clock_.Now(), options_.claim_lease_seconds)) {
    cursor = batch.head;
  }
  Note(subscription, cursor);
}

}  // namespace karton::kernel
