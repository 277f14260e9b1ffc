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

#include <future>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "event_proto.h"
#include "event_topics.h"
#include "job_queue.h"
#include "karton/kernel/database.h"
#include "webhook_sender.h"

namespace karton::kernel {
namespace {

constexpr int kSequenceBatch = 1000;
// A sequencer locked out by another kartond's tries again after this: a
// move holds the lock for about a millisecond, and that move may have begun
// before the commit that woke this one, whose rows nobody else was told of.
constexpr auto kLockedOutPause = std::chrono::milliseconds(5);
// How often a subscription whose cursor lags only behind events it does
// not want is moved past them.
constexpr auto kCatchUpInterval = std::chrono::seconds(30);
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

// Runs a module's handler (either kind); what it throws comes back instead.
template <class Handler, class... Arguments>
std::exception_ptr RunHandler(const Handler& handler, Arguments&&... arguments) {
  try {
    handler(std::forward<Arguments>(arguments)...);
    return nullptr;
  } catch (...) {
    return std::current_exception();
  }
}

// The subscription's prepare_run for the events about to run in this
// transaction, if it has one; what it threw, as for a handler.
template <class Subscription>
std::exception_ptr PrepareRun(const Subscription& subscription, std::span<const Event> events,
                              soci::session& session) {
  if (!subscription.prepare_run || events.empty()) return nullptr;
  return RunHandler(subscription.prepare_run, events, session);
}

// The delivery loops give their lease back while a calling handler runs
// and take one again when they next need the database.
soci::session& SessionOf(Database& database, std::optional<Database::Lease>& lease) {
  if (!lease) lease.emplace(database.Acquire());
  return lease->Session();
}

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// The listener's own connection: a bounded connect, so an unreachable
// server cannot hang the thread (or shutdown), and TCP keepalives, so a
// silently dropped LISTEN socket is noticed. Given before the caller's
// conninfo, which may override them.
Connection ConnectListener(const std::string& connection_string, std::string& error) {
  const char* const keywords[] = {
      "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
      "keepalives_count", "application_name", "dbname",          nullptr};
  const char* const values[] = {
      "10", "1", "30", "10", "3", "kartond-events", connection_string.c_str(), nullptr};
  Connection connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1), &PQfinish);
  bool listening = PQstatus(connection.get()) == CONNECTION_OK;
  if (listening) {
    PGresult* result = PQexec(connection.get(), "LISTEN karton_events");
    listening = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
  }
  if (listening) return connection;
  error = connection ? PQerrorMessage(connection.get()) : "out of memory";
  while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  return Connection(nullptr, &PQfinish);
}

}  // namespace

struct EventBus::Subscription {
  // Fixed from registration (module) or first load (webhook).
  std::string name;
  std::string kind;  // "module" | "webhook"
  std::vector<std::string> topics;
  std::string like_patterns;
  // Modules only: one of the two. A calling handler runs with no
  // connection held, outside the transaction that moves the cursor.
  EventHandler handler;
  CallingEventHandler calling_handler;
  // SubscribeCallingRuns: the run handler, tried first on a batch;
  // calling_handler then hands it one event at a time.
  CallingRunHandler run_handler;
  // SubscriptionOptions::prepare_run (in-process handlers only).
  std::function<void(std::span<const Event>, soci::session&)> prepare_run;
  bool from_oldest = false;
  int calling_concurrency = 1;  // SubscriptionOptions::calling_concurrency
  // What this process knows of the database row; guarded by the bus mutex.
  std::int64_t id = 0;
  std::int64_t cursor = 0;
  bool active = true;
  std::optional<TimePoint> retry_at;
  int retrying = 0;
  bool busy = false;               // a worker of this process is delivering it
  bool skip_until_reload = false;  // no progress last time: wait for news
  // The log's head when an event this subscription wants last arrived: it
  // has work while its cursor is behind it. Events it does not want do not
  // wake it (a create used to move every subscription's cursor, three
  // writes each); a catch-up round now and then moves its cursor past them
  // so reads stay short and retention can go on.
  std::int64_t wanted_through = 0;
  std::chrono::steady_clock::time_point catch_up_at{};
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
    // Outside a transaction the event would commit on its own, whatever
    // happens to the change it describes.
    if (!InTransaction(session)) {
      throw std::logic_error(fmt::format(
          "module {} published '{}' outside a transaction: publish inside the change's own",
          module_, topic));
    }
    if (payload.GetDescriptor()->full_name() != it->second.payload_type) {
      throw std::invalid_argument(fmt::format("topic '{}' carries {}, not {}", topic,
                                              it->second.payload_type,
                                              payload.GetDescriptor()->full_name()));
    }
    event_store::AppendToOutbox(
        session, {module_, std::string(topic), aggregate_id, it->second.payload_type,
                  payload.SerializeAsString(), bus_.clock_.Now(), ActorUserId(actor)});
  }

  void PublishMany(soci::session& session, std::string_view topic, const Batch& events,
                   const Caller& actor) override {
    const auto it = bus_.topics_.find(std::string(topic));
    if (it == bus_.topics_.end() || it->second.module != module_) {
      throw std::invalid_argument(
          fmt::format("module {} did not declare the event topic '{}'", module_, topic));
    }
    if (!InTransaction(session)) {
      throw std::logic_error(fmt::format(
          "module {} published '{}' outside a transaction: publish inside the change's own",
          module_, topic));
    }
    const std::int64_t actor_user_id = ActorUserId(actor);
    std::vector<event_store::OutboxEntry> entries;
    entries.reserve(events.size());
    const TimePoint now = bus_.clock_.Now();
    for (const auto& [aggregate_id, payload] : events) {
      if (payload->GetDescriptor()->full_name() != it->second.payload_type) {
        throw std::invalid_argument(fmt::format("topic '{}' carries {}, not {}", topic,
                                                it->second.payload_type,
                                                payload->GetDescriptor()->full_name()));
      }
      entries.push_back({module_, std::string(topic), aggregate_id, it->second.payload_type,
                         payload->SerializeAsString(), now, actor_user_id});
    }
    event_store::AppendManyToOutbox(session, entries);
  }

  void ErasePayloads(soci::session& session, const std::vector<std::string>& topics,
                     std::int64_t aggregate_id) override {
    for (const auto& topic : topics) {
      const auto it = bus_.topics_.find(topic);
      if (it == bus_.topics_.end() || it->second.module != module_) {
        throw std::invalid_argument(
            fmt::format("module {} did not declare the event topic '{}'", module_, topic));
      }
    }
    event_store::ErasePayloads(session, module_, topics, aggregate_id);
  }

  void Subscribe(std::string name, std::vector<std::string> topics, EventHandler handler,
                 SubscriptionOptions options) override {
    if (!handler) throw std::invalid_argument("an event subscription needs a handler");
    auto subscription = std::make_shared<Subscription>();
    subscription->handler = std::move(handler);
    subscription->prepare_run = options.prepare_run;
    Add(std::move(subscription), std::move(name), std::move(topics), options);
  }

  void SubscribeCalling(std::string name, std::vector<std::string> topics,
                        CallingEventHandler handler, SubscriptionOptions options) override {
    if (!handler) throw std::invalid_argument("an event subscription needs a handler");
    auto subscription = std::make_shared<Subscription>();
    subscription->calling_handler = std::move(handler);
    AddCalling(std::move(subscription), std::move(name), std::move(topics), options);
  }

  void SubscribeCallingRuns(std::string name, std::vector<std::string> topics,
                            CallingRunHandler handler, SubscriptionOptions options) override {
    if (!handler) throw std::invalid_argument("an event subscription needs a handler");
    auto subscription = std::make_shared<Subscription>();
    subscription->calling_handler = [handler](const Event& event) {
      handler(std::span(&event, 1));
    };
    subscription->run_handler = std::move(handler);
    AddCalling(std::move(subscription), std::move(name), std::move(topics), options);
  }

 private:
  void AddCalling(std::shared_ptr<Subscription> subscription, std::string name,
                  std::vector<std::string> topics, SubscriptionOptions options) {
    if (options.prepare_run) {
      throw std::invalid_argument(
          fmt::format("subscription '{}': prepare_run is for handlers that run in the delivery's "
                      "transaction (Subscribe), not for calling handlers",
                      name));
    }
    Add(std::move(subscription), std::move(name), std::move(topics), options);
  }

  void Add(std::shared_ptr<Subscription> subscription, std::string name,
           std::vector<std::string> topics, SubscriptionOptions options) {
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
    subscription->from_oldest = options.from_oldest;
    if (options.calling_concurrency < 1 || options.calling_concurrency > 16) {
      throw std::invalid_argument(fmt::format(
          "subscription '{}': calling_concurrency must be 1 to 16", subscription->name));
    }
    if (options.calling_concurrency > 1 && !subscription->calling_handler) {
      throw std::invalid_argument(fmt::format(
          "subscription '{}': calling_concurrency is for SubscribeCalling", subscription->name));
    }
    subscription->calling_concurrency = options.calling_concurrency;
    bus_.module_subscriptions_.push_back(std::move(subscription));
  }

  EventBus& bus_;
  std::string module_;
};

EventBus::EventBus(Database& database, std::string connection_string, const Clock& clock,
                   std::string node_id, EventBusOptions options)
    : database_(database),
      connection_string_(std::move(connection_string)),
      clock_(clock),
      node_id_(std::move(node_id)),
      options_(options),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (wake_fd_ < 0) throw std::runtime_error("cannot create the event bus's eventfd");
}

EventBus::~EventBus() {
  Stop();
  ::close(wake_fd_);
}

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
  sequencer_wakeup_.emplace([this] {
    sequence_requested_ = true;
    WakeListener();
  });
  listener_ = std::thread([this] { ListenLoop(); });
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] { WorkerLoop(Lane::kInProcess); });
  }
  // A deliverer per calling subscription: they spend their time waiting on
  // other modules, and one that waits must not hold up the others (or the
  // in-process handlers, which shared two deliverers with them and fell
  // minutes behind a burst of web-form leads).
  for (const auto& subscription : module_subscriptions_) {
    if (subscription->calling_handler) {
      workers_.emplace_back([this] { WorkerLoop(Lane::kCalling); });
    }
  }
  for (int i = 0; i < options_.webhook_workers; ++i) {
    workers_.emplace_back([this] { WorkerLoop(Lane::kWebhook); });
  }
}

void EventBus::CloseStreams() {
  streams_closing_ = true;
  std::lock_guard lock(mutex_);
  changed_.notify_all();
}

void EventBus::Stop() {
  sequencer_wakeup_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  streams_closing_ = true;
  changed_.notify_all();
  WakeListener();
  if (listener_.joinable()) listener_.join();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void EventBus::WakeListener() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

void EventBus::Refresh() {
  {
    std::lock_guard lock(mutex_);
    reload_requested_ = true;
  }
  changed_.notify_all();
  WakeListener();
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
  constexpr int kDeleteBatch = 10000;
  const TimePoint cutoff = clock_.Now() - std::chrono::days(options_.retention_days);
  auto lease = database_.Acquire();
  // The horizon is recorded first, so readers learn of the gap even if the
  // deletion below stops half-way; the rows go in batches of bounded size.
  const std::int64_t horizon =
      event_store::AdvanceRetentionHorizon(lease.Session(), cutoff, options_.retention_days);
  long long deleted = 0;
  while (true) {
    const long long batch =
        event_store::DeleteEventsThrough(lease.Session(), horizon, kDeleteBatch);
    deleted += batch;
    if (batch < kDeleteBatch || Stopping()) break;
  }
  if (deleted > 0) spdlog::info("event retention deleted={} through={}", deleted, horizon);
  return deleted;
}

void EventBus::RaiseHead(std::int64_t head) {
  std::lock_guard lock(mutex_);
  if (head > head_) {
    head_ = head;
    changed_.notify_all();
  }
}

bool EventBus::Sequence() {
  auto lease = database_.Acquire();
  while (true) {
    const auto result = event_store::MoveOutboxToLog(lease.Session(), kSequenceBatch);
    // Locked out: another kartond is numbering events. Its move may have
    // begun before our rows committed, so the listener tries again shortly.
    if (result.locked_out) return true;
    if (result.moved > 0) {
      std::lock_guard lock(mutex_);
      if (result.head - result.moved <= matched_through_) {
        // Only these events are new: their topics are all there is to match.
        NoteNewEvents(result.head, result.topics);
      }
    }
    // Anything else in between (sequenced elsewhere) is matched here.
    RaiseHeadTo(lease.Session(), result.head);
    if (result.moved < kSequenceBatch) return false;
  }
}

void EventBus::RaiseHeadTo(soci::session& session, std::int64_t head) {
  std::int64_t matched_through = 0;
  {
    std::lock_guard lock(mutex_);
    matched_through = matched_through_;
  }
  if (head > matched_through) {
    const auto topics = event_store::TopicsBetween(session, matched_through, head);
    std::lock_guard lock(mutex_);
    NoteNewEvents(head, topics);
  }
  RaiseHead(head);
}

void EventBus::NoteNewEvents(std::int64_t head, const std::vector<std::string>& topics) {
  if (head <= matched_through_) return;
  for (const auto& subscription : subscriptions_) {
    const bool wanted = std::any_of(topics.begin(), topics.end(), [&](const std::string& topic) {
      return std::any_of(subscription->topics.begin(), subscription->topics.end(),
                         [&](const std::string& pattern) { return TopicMatches(pattern, topic); });
    });
    if (wanted) {
      subscription->wanted_through = std::max(subscription->wanted_through, head);
      // The news a subscription without progress last time waits for. A
      // round can find nothing after all (a reload read its cursor before
      // the round that moved it committed, say); the next reload is up to a
      // poll interval away.
      subscription->skip_until_reload = false;
    }
  }
  matched_through_ = head;
  changed_.notify_all();
}

void EventBus::ReloadSubscriptions() {
  std::vector<event_store::SubscriptionRow> rows;
  std::int64_t head = 0;
  {
    auto lease = database_.Acquire();
    rows = event_store::LoadSubscriptions(lease.Session(), module_subscription_names_);
    head = event_store::Head(lease.Session());
    // Events sequenced by another kartond since: whom they are for.
    std::int64_t matched_through = 0;
    {
      std::lock_guard lock(mutex_);
      matched_through = matched_through_;
    }
    if (matched_through > 0 && head > matched_through) {
      const auto topics = event_store::TopicsBetween(lease.Session(), matched_through, head);
      std::lock_guard lock(mutex_);
      NoteNewEvents(head, topics);
    }
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
    // New to this process: whatever lies after its cursor may be for it.
    if (subscription->wanted_through == 0) subscription->wanted_through = head;
    subscription->active = row.active;
    subscription->retry_at = row.retry_at;
    subscription->retrying = row.retrying_count;
    subscription->skip_until_reload = false;
    next.push_back(std::move(subscription));
  }
  subscriptions_ = std::move(next);
  if (matched_through_ == 0) matched_through_ = head;  // the first load
  head_ = std::max(head_, head);
  changed_.notify_all();
}

void EventBus::ListenLoop() {
  Connection connection(nullptr, &PQfinish);
  bool sequence_now = true;
  constexpr auto kNever = std::chrono::steady_clock::time_point::max();
  auto sequence_again_at = kNever;  // after a lock-out
  bool read_head_now = false;
  bool database_down = false;
  auto next_poll = std::chrono::steady_clock::now();
  auto next_connect = next_poll;
  auto last_touch = next_poll;
  const auto retry_pause =
      std::max<std::chrono::milliseconds>(options_.poll_interval, std::chrono::seconds(1));
  while (!Stopping()) {
    auto now = std::chrono::steady_clock::now();
    if (!connection && now >= next_connect) {
      std::string error;
      connection = ConnectListener(connection_string_, error);
      if (connection) {
        sequence_now = true;  // anything published while we were deaf
        if (credentials_changed_) credentials_changed_();
        spdlog::info("events: listening for notifications");
      } else {
        // Polling goes on meanwhile; try LISTEN again after a pause.
        next_connect = std::chrono::steady_clock::now() + retry_pause;
        if (!database_down) spdlog::warn("events: cannot LISTEN, polling meanwhile: {}", error);
      }
      now = std::chrono::steady_clock::now();
    }
    const bool poll_due = now >= next_poll;
    // Set before the work below, so a database outage costs one attempt
    // per poll interval instead of a busy loop.
    if (poll_due) next_poll = now + options_.poll_interval;
    if (sequence_requested_.exchange(false)) sequence_now = true;
    if (now >= sequence_again_at) sequence_now = true;
    bool reload = poll_due;
    {
      std::lock_guard lock(mutex_);
      reload = reload || reload_requested_;
      reload_requested_ = false;
    }
    try {
      if (sequence_now || poll_due) {
        sequence_now = false;
        sequence_again_at = kNever;
        if (Sequence()) sequence_again_at = std::chrono::steady_clock::now() + kLockedOutPause;
      }
      if (reload) {
        ReloadSubscriptions();
      } else if (read_head_now) {
        // A notification says the log moved. Its text is not trusted (any
        // database role may NOTIFY); the head is read from the table.
        auto lease = database_.Acquire();
        RaiseHeadTo(lease.Session(), event_store::Head(lease.Session()));
      }
      read_head_now = false;
      if (now - last_touch >= kTouchInterval && !module_subscription_names_.empty()) {
        auto lease = database_.Acquire();
        event_store::TouchModuleSubscriptions(lease.Session(), module_subscription_names_);
        last_touch = now;
      }
      if (database_down) {
        spdlog::info("events: the database answers again");
        database_down = false;
      }
    } catch (const std::exception& error) {
      if (!database_down) spdlog::warn("events: {}", DescribeDatabaseError(error));
      database_down = true;
      sequence_now = true;  // at the next poll
    }

    auto wake_at = next_poll;
    if (!connection) wake_at = std::min(wake_at, next_connect);
    wake_at = std::min(wake_at, sequence_again_at);
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        wake_at - std::chrono::steady_clock::now());
    pollfd waits[2] = {{wake_fd_, POLLIN, 0},
                       {connection ? PQsocket(connection.get()) : -1, POLLIN, 0}};
    ::poll(waits, 2, static_cast<int>(std::clamp<long long>(timeout.count(), 0, 60000)));
    if ((waits[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto got = ::read(wake_fd_, &count, sizeof count);
    }
    if (connection && waits[1].revents != 0) {
      if (PQconsumeInput(connection.get()) == 0) {
        spdlog::warn("events: the LISTEN connection broke: {}", PQerrorMessage(connection.get()));
        connection.reset();
        next_connect = std::chrono::steady_clock::now();
        continue;
      }
      while (PGnotify* notification = PQnotifies(connection.get())) {
        const std::string kind = notification->extra;
        PQfreemem(notification);
        if (kind == "outbox") {
          sequence_now = true;
        } else if (kind == event_store::kCredentialsChangedNotification) {
          if (credentials_changed_) credentials_changed_();
        } else {
          read_head_now = true;
        }
      }
    }
  }
}

EventBus::Lane EventBus::LaneOf(const Subscription& subscription) {
  if (subscription.kind == "webhook") return Lane::kWebhook;
  return subscription.calling_handler ? Lane::kCalling : Lane::kInProcess;
}

std::shared_ptr<EventBus::Subscription> EventBus::TakeDueSubscription(
    Lane lane, std::chrono::milliseconds& wait) {
  const TimePoint now = clock_.Now();
  const std::size_t count = subscriptions_.size();
  for (std::size_t i = 0; i < count; ++i) {
    auto& subscription = subscriptions_[(next_pick_ + i) % count];
    if (LaneOf(*subscription) != lane || !subscription->active || subscription->busy ||
        subscription->skip_until_reload || subscription->id == 0) {
      continue;
    }
    if (subscription->cursor >= head_ && subscription->retrying == 0) continue;
    // Behind the head only with events it does not want: a catch-up round
    // now and then, not one per event.
    const bool has_work = subscription->cursor < subscription->wanted_through ||
                          subscription->retrying > 0 ||
                          std::chrono::steady_clock::now() >= subscription->catch_up_at;
    if (!has_work) continue;
    if (subscription->retry_at && *subscription->retry_at > now) {
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                *subscription->retry_at - now) +
                                std::chrono::milliseconds(1));
      continue;
    }
    next_pick_ = (next_pick_ + i + 1) % count;
    subscription->busy = true;
    subscription->catch_up_at = std::chrono::steady_clock::now() + kCatchUpInterval;
    return subscription;
  }
  return nullptr;
}

void EventBus::WorkerLoop(Lane lane) {
  while (true) {
    std::shared_ptr<Subscription> due;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      auto wait = options_.poll_interval;
      due = TakeDueSubscription(lane, wait);
      if (!due) {
        changed_.wait_for(lock, wait);
        continue;
      }
    }
    bool progressed = false;
    try {
      progressed = RunRound(*due);
    } catch (const std::exception& error) {
      spdlog::warn("events: delivering {}: {}", due->name, DescribeDatabaseError(error));
    }
    std::lock_guard lock(mutex_);
    due->busy = false;
    // Nothing moved (claimed elsewhere, backing off, failed, or nothing to
    // do after all): look again after the next reload, not in a hot loop.
    if (!progressed) due->skip_until_reload = true;
  }
}

void EventBus::Note(Subscription& subscription, std::int64_t cursor,
                    std::optional<TimePoint> retry_at) {
  std::lock_guard lock(mutex_);
  subscription.cursor = cursor;
  subscription.retry_at = retry_at;
}

bool EventBus::RunRound(Subscription& subscription) {
  std::optional<event_store::SubscriptionRow> claimed;
  {
    auto lease = database_.Acquire();
    claimed = event_store::Claim(lease.Session(), subscription.id, node_id_,
                                 options_.claim_lease_seconds, clock_.Now());
  }
  // Not claimed: another kartond delivers it, or it backs off or was
  // disabled there. The next reload tells.
  if (!claimed) return false;
  {
    std::lock_guard lock(mutex_);
    subscription.cursor = claimed->cursor;
    subscription.retrying = 0;
  }
  bool progressed = false;
  try {
    progressed = subscription.kind == "module" ? DeliverToModule(subscription, *claimed)
                                               : DeliverToWebhook(subscription, *claimed);
  } catch (...) {
    try {
      auto lease = database_.Acquire();
      event_store::Release(lease.Session(), subscription.id, node_id_);
    } catch (const std::exception&) {
      // The claim runs out by itself.
    }
    throw;
  }
  auto lease = database_.Acquire();
  event_store::Release(lease.Session(), subscription.id, node_id_);
  return progressed;
}

bool EventBus::RetryParked(Subscription& subscription, std::optional<Database::Lease>& lease) {
  bool progressed = false;
  auto session = [&]() -> soci::session& { return SessionOf(database_, lease); };
  // Aggregates whose earlier event failed again in this pass -> that event.
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> failed;
  for (const auto& retrying : event_store::RetryingEvents(session(), subscription.id)) {
    if (Stopping()) break;
    const Event& event = retrying.event;
    const std::pair key{AggregateTypeOf(event.topic), event.aggregate_id};
    std::int64_t blocked_by = retrying.blocked_by;
    if (const auto it = failed.find(key); it != failed.end()) blocked_by = it->second;
    if (blocked_by != 0) {
      // Keep the aggregate's order: an earlier event of it is still parked.
      soci::transaction transaction(session());
      if (!event_store::RenewClaim(session(), subscription.id, node_id_,
                                   options_.claim_lease_seconds)) {
        return progressed;
      }
      event_store::Repark(session(), subscription.id, event.id, "", blocked_by);
      transaction.commit();
      failed.emplace(key, blocked_by);
      continue;
    }
    std::exception_ptr failure;
    if (subscription.calling_handler) {
      // Nothing held while it calls; then unparked if the claim is still ours.
      lease.reset();
      failure = RunHandler(subscription.calling_handler, event);
      if (!failure) {
        soci::transaction transaction(session());
        if (!event_store::RenewClaim(session(), subscription.id, node_id_,
                                     options_.claim_lease_seconds)) {
          return progressed;
        }
        if (!event_store::Unpark(session(), subscription.id, event.id)) continue;  // rolls back
        transaction.commit();
      }
    } else {
      soci::transaction transaction(session());
      // Renewing locks the subscription row until this transaction ends:
      // no other kartond can claim it and run this handler meanwhile.
      if (!event_store::RenewClaim(session(), subscription.id, node_id_,
                                   options_.claim_lease_seconds)) {
        return progressed;
      }
      failure = PrepareRun(subscription, std::span(&event, 1), session());
      if (!failure) failure = RunHandler(subscription.handler, event, session());
      if (!failure) {
        if (!event_store::Unpark(session(), subscription.id, event.id)) continue;  // rolls back
        transaction.commit();
      }
    }
    if (!failure) {
      progressed = true;
      spdlog::info("parked event delivered subscription={} event={}", subscription.name, event.id);
      continue;
    }
    if (Stopping()) break;  // a failure during shutdown is not the handler's
    const std::string error = DescribeFailure(failure);
    spdlog::warn("parked event failed again subscription={} event={} attempts={} error=\"{}\"",
                 subscription.name, event.id, retrying.attempts + 1, error);
    soci::transaction transaction(session());
    if (!event_store::RenewClaim(session(), subscription.id, node_id_,
                                 options_.claim_lease_seconds)) {
      return progressed;
    }
    event_store::Repark(session(), subscription.id, event.id, error, 0);
    transaction.commit();
    failed.emplace(key, event.id);
  }
  return progressed;
}

bool EventBus::DeliverToModule(Subscription& subscription,
                               const event_store::SubscriptionRow& claimed) {
  // Taken again after a calling handler, which runs with no connection held.
  std::optional<Database::Lease> lease(database_.Acquire());
  auto session = [&]() -> soci::session& { return SessionOf(database_, lease); };
  std::int64_t cursor = claimed.cursor;
  int failures = claimed.consecutive_failures;
  bool progressed = false;
  if (cursor < claimed.purged_through) {
    // Away longer than retention keeps events: what was deleted is gone.
    // Say so loudly and go on from what is kept.
    const std::string note =
        fmt::format("events {} to {} were deleted by retention before this subscriber read them",
                    cursor + 1, claimed.purged_through);
    if (!event_store::SkipDeletedEvents(session(), subscription.id, node_id_, cursor,
                                        claimed.purged_through, note)) {
      return false;
    }
    spdlog::error("event subscription {}: {}", subscription.name, note);
    cursor = claimed.purged_through;
    progressed = true;
  }
  if (claimed.retrying_count > 0) progressed = RetryParked(subscription, lease) || progressed;
  auto parked = claimed.parked_count > 0 || claimed.retrying_count > 0
                    ? event_store::ParkedAggregates(session(), subscription.id)
                    : std::map<std::pair<std::string, std::int64_t>, std::int64_t>{};

  const auto batch =
      event_store::ReadBatch(session(), cursor, subscription.like_patterns, kDeliveryBatch);
  const std::vector<Event>& events = batch.events;
  // A short batch read everything that matched up to the head it saw: the
  // last commit of the round may move the cursor to that head.
  const bool batch_reaches_head = events.size() < static_cast<std::size_t>(kDeliveryBatch);
  std::size_t next = 0;  // the first event of the batch not yet delivered
  while (next < events.size()) {
    if (Stopping()) {
      Note(subscription, cursor);
      return progressed;
    }
    std::exception_ptr failure;
    if (subscription.run_handler && failures == 0) {
      // The whole rest of the batch as one run; if the handler throws, the
      // same events go one at a time below.
      const auto run = DeliverCallingRun(subscription, events, parked, lease, cursor, next);
      if (run == RunOutcome::kClaimLost) return progressed;
      if (run == RunOutcome::kDelivered) {
        progressed = true;
        continue;
      }
    }
    if (subscription.calling_handler) {
      const std::size_t from = next;
      if (!DeliverCalling(subscription, events, parked, lease, cursor, next, failure)) {
        return progressed || next > from;  // the claim was lost
      }
      if (next > from) {
        failures = 0;
        progressed = true;
      }
      if (!failure) continue;  // the batch is done, or the bus stops (checked above)
    } else {
      // In-process handlers: a run of events in one transaction, the
      // handlers' writes and the cursor committed together (exactly once),
      // one commit and one WAL flush for up to kDeliveryBatch events.
      // When a handler fails, its transaction is rolled back and the events
      // before it run again in a transaction of their own; the failing
      // event is then retried alone, so it is counted and parked by itself.
      // No savepoints: a run of writing subtransactions overflows
      // PostgreSQL's per-backend cache of 64 and slows every snapshot.
      std::size_t limit = events.size();
      while (true) {
        soci::transaction transaction(session());
        // Locks the subscription row: while the handlers run, no other
        // kartond can claim the subscription, even if the lease runs out.
        if (!event_store::LockClaimed(session(), subscription.id, node_id_, cursor)) {
          return progressed;  // the claim was lost; the other kartond carries on
        }
        std::size_t position = next;
        failure =
            PrepareRun(subscription, std::span(events).subspan(next, limit - next), session());
        const bool preparation_failed = failure != nullptr;
        while (!failure && position < limit) {
          const Event& event = events[position];
          const std::pair key{AggregateTypeOf(event.topic), event.aggregate_id};
          if (const auto blocking = parked.find(key); blocking != parked.end()) {
            event_store::Park(session(), subscription.id, event, 0, "", blocking->second,
                              clock_.Now());
          } else {
            failure = RunHandler(subscription.handler, event, session());
            if (failure) break;
          }
          ++position;
          if (Stopping()) break;  // commit what ran
        }
        if (!failure) {
          const std::int64_t to = position == events.size() && batch_reaches_head
                                      ? std::max(batch.head, events.back().id)
                                      : events[position - 1].id;
          event_store::AdvanceCursor(session(), subscription.id, node_id_, cursor, to, clock_.Now(),
                                     options_.claim_lease_seconds);
          transaction.commit();
          cursor = to;
          failures = 0;
          progressed = true;
          next = position;
          break;
        }
        transaction.rollback();
        if (preparation_failed && limit > next + 1) {
          // Which event the preparation tripped on is not known: the first
          // alone, then the rest, so only an event it fails on by itself
          // is counted (and in the end parked).
          limit = next + 1;
          failure = nullptr;
          continue;
        }
        if (position == next) break;  // the run's first event failed: counted below
        limit = position;             // the events before it succeeded: again, without it
        failure = nullptr;
      }
      if (!failure) continue;
    }
    const Event& event = events[next];
    const std::pair key{AggregateTypeOf(event.topic), event.aggregate_id};
    if (Stopping()) break;  // a failure during shutdown is not the handler's

    const std::string error = DescribeFailure(failure);
    ++failures;
    if (failures >= options_.max_attempts) {
      soci::transaction transaction(session());
      if (!event_store::LockClaimed(session(), subscription.id, node_id_, cursor)) {
        return progressed;
      }
      event_store::Park(session(), subscription.id, event, failures, error, 0, clock_.Now());
      event_store::AdvanceCursor(session(), subscription.id, node_id_, cursor, event.id,
                                 clock_.Now(), options_.claim_lease_seconds);
      transaction.commit();
      spdlog::error("event parked subscription={} event={} topic={} attempts={} error=\"{}\"",
                    subscription.name, event.id, event.topic, failures, error);
      parked[key] = event.id;
      cursor = event.id;
      failures = 0;
      progressed = true;
      ++next;
      continue;
    }
    const TimePoint retry_at = clock_.Now() + RetryDelay(failures);
    spdlog::warn("event handler failed subscription={} event={} attempt={} error=\"{}\"",
                 subscription.name, event.id, failures, error);
    event_store::RecordFailure(session(), subscription.id, node_id_, failures, error, retry_at);
    Note(subscription, cursor, retry_at);
    return progressed;
  }
  // Nothing matching lies between the last event and the head this batch
  // saw: move past it, so the next read starts there (a run of in-process
  // handlers did so in its own commit already).
  if (!Stopping() && batch_reaches_head && batch.head > cursor &&
      event_store::AdvanceCursor(session(), subscription.id, node_id_, cursor, batch.head,
                                 clock_.Now(), options_.claim_lease_seconds)) {
    cursor = batch.head;
    progressed = true;
  }
  Note(subscription, cursor);
  return progressed;
}

EventBus::RunOutcome EventBus::DeliverCallingRun(
    Subscription& subscription, const std::vector<Event>& events,
    const std::map<std::pair<std::string, std::int64_t>, std::int64_t>& parked,
    std::optional<Database::Lease>& lease, std::int64_t& cursor, std::size_t& next) {
  // Events behind a parked event of their aggregate are parked, not run,
  // as DeliverCalling does; the others are the run.
  const auto behind_parked = [&](const Event& event) {
    return parked.contains({AggregateTypeOf(event.topic), event.aggregate_id});
  };
  std::vector<std::size_t> to_park;
  for (std::size_t i = next; i < events.size(); ++i) {
    if (behind_parked(events[i])) to_park.push_back(i);
  }
  std::span<const Event> run = std::span(events).subspan(next);
  std::vector<Event> others;  // the run when some of the batch is parked
  if (!to_park.empty()) {
    for (const Event& event : run) {
      if (!behind_parked(event)) others.push_back(event);
    }
    run = others;
  }
  if (!run.empty()) {
    lease.reset();  // nothing held while it calls
    if (const auto failure = RunHandler(subscription.run_handler, run)) {
      spdlog::info(
          "event run failed, its events go one at a time subscription={} events={} error=\"{}\"",
          subscription.name, run.size(), DescribeFailure(failure));
      return RunOutcome::kFailed;
    }
  }
  if (!CommitCalled(subscription, events, to_park, parked, SessionOf(database_, lease), cursor,
                    events.back().id)) {
    return RunOutcome::kClaimLost;
  }
  next = events.size();
  return RunOutcome::kDelivered;
}

bool EventBus::CommitCalled(
    const Subscription& subscription, const std::vector<Event>& events,
    const std::vector<std::size_t>& to_park,
    const std::map<std::pair<std::string, std::int64_t>, std::int64_t>& parked,
    soci::session& session, std::int64_t& cursor, std::int64_t to) {
  soci::transaction transaction(session);
  if (!event_store::LockClaimed(session, subscription.id, node_id_, cursor)) return false;
  for (const std::size_t index : to_park) {
    const Event& event = events[index];
    event_store::Park(session, subscription.id, event, 0, "",
                      parked.at({AggregateTypeOf(event.topic), event.aggregate_id}), clock_.Now());
  }
  event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, to, clock_.Now(),
                             options_.claim_lease_seconds);
  transaction.commit();
  cursor = to;
  return true;
}

bool EventBus::DeliverCalling(
    Subscription& subscription, const std::vector<Event>& events,
    const std::map<std::pair<std::string, std::int64_t>, std::int64_t>& parked,
    std::optional<Database::Lease>& lease, std::int64_t& cursor, std::size_t& next,
    std::exception_ptr& failure) {
  // A sliding window over the batch: up to calling_concurrency events run at
  // once, each on a thread of its own, started in the log's order; when any
  // finishes, the next starts, so one slow call holds up only its own slot
  // (up to the lookahead below). An event waits while an earlier event of
  // its aggregate has not finished, and the events after it wait with it,
  // so each aggregate's events run one after another, in order.
  // The cursor moves past the longest run of finished events at the front,
  // in one commit per window's worth of them and at the end. Nothing is
  // held while they call. After a failure nothing new starts; the cursor
  // stops before the first failed event, and the events after it that
  // finished run again with it (at least once, as a kartond taking over
  // may also run them again).
  struct Slot {
    bool behind_parked = false;  // not run: parked behind its aggregate's event
    bool done = false;
    std::exception_ptr failure;
  };
  std::vector<Slot> slots(events.size());
  std::mutex mutex;  // guards slots, in_flight, completions and failed
  std::condition_variable finished_one;
  int in_flight = 0;
  std::uint64_t completions = 0;
  bool failed = false;
  const auto window = subscription.calling_concurrency;
  std::size_t start = next;              // the next event to start
  std::size_t finished = next;           // the events before it finished without failure
  std::vector<std::size_t> to_park;      // finished behind a parked event, not yet committed
  std::vector<std::future<void>> calls;  // joined on the way out, whatever happens
  calls.reserve(events.size());          // no reallocation that could throw with the lock held
  // Starts are bounded by distance too: while the first unfinished event
  // waits on a slow call, the others may run ahead by at most this many, so
  // that its failure makes at most that many finished events run again.
  const std::size_t lookahead = 2 * static_cast<std::size_t>(window);
  lease.reset();

  // Moves the cursor past the finished events (parking those behind a
  // parked event of their aggregate). False when the claim was lost.
  const auto commit = [&]() -> bool {
    if (finished == next) return true;
    if (!CommitCalled(subscription, events, to_park, parked, SessionOf(database_, lease), cursor,
                      events[finished - 1].id)) {
      return false;
    }
    lease.reset();
    next = finished;
    to_park.clear();
    return true;
  };
  // Declared after `calls`, so on the way out (a return, or commit()
  // throwing) the connection goes back and the lock is released before the
  // calls still running are waited for: they may need both.
  struct GiveBackLease {
    std::optional<Database::Lease>& lease;
    ~GiveBackLease() { lease.reset(); }
  } give_back{lease};
  std::unique_lock lock(mutex);
  const auto earlier_of_aggregate_unfinished = [&](const Event& event) {
    for (std::size_t i = finished; i < start; ++i) {
      if (!slots[i].done && events[i].aggregate_id == event.aggregate_id &&
          AggregateTypeOf(events[i].topic) == AggregateTypeOf(event.topic)) {
        return true;
      }
    }
    return false;
  };
  while (true) {
    while (!failed && !Stopping() && start < events.size() && in_flight < window &&
           start - finished < lookahead) {
      const Event& event = events[start];
      if (earlier_of_aggregate_unfinished(event)) break;
      Slot& slot = slots[start];
      slot.behind_parked = parked.contains({AggregateTypeOf(event.topic), event.aggregate_id});
      if (slot.behind_parked) {
        slot.done = true;
      } else {
        ++in_flight;
        calls.push_back(std::async(std::launch::async, [&, &event = event, &slot = slot] {
          std::exception_ptr thrown = RunHandler(subscription.calling_handler, event);
          std::lock_guard finishing(mutex);
          if (thrown) failed = true;  // nothing new starts from now on
          slot.failure = thrown;
          slot.done = true;
          --in_flight;
          ++completions;
          finished_one.notify_all();
        }));
      }
      ++start;
    }
    while (finished < start && slots[finished].done && !slots[finished].failure) {
      if (slots[finished].behind_parked) to_park.push_back(finished);
      ++finished;
    }
    if (in_flight == 0 && (failed || Stopping() || start == events.size())) break;
    // Counted before the commit: a call that finishes during it wakes the
    // wait below at once.
    const std::uint64_t seen = completions;
    if (finished - next >= static_cast<std::size_t>(window)) {
      lock.unlock();
      if (!commit()) return false;
      lock.lock();
    }
    finished_one.wait(lock, [&] { return completions != seen || in_flight == 0; });
  }
  // `finished` stopped at the first failed event, if any.
  if (finished < start && slots[finished].failure) failure = slots[finished].failure;
  lock.unlock();
  return commit();
}

bool EventBus::DeliverToWebhook(Subscription& subscription,
                                const event_store::SubscriptionRow& claimed) {
  std::int64_t cursor = claimed.cursor;
  int failures = claimed.consecutive_failures;
  bool progressed = false;
  // The claim must outlast one POST: renewed before each, for the timeout
  // plus the usual lease.
  const int post_lease =
      options_.claim_lease_seconds + static_cast<int>(options_.webhook_timeout.count());
  // No database connection is held during a POST: a slow endpoint must not
  // take one from everybody else.
  auto disable = [&](soci::session& session, const std::string& reason, const std::string& error) {
    event_store::DisableSubscription(session, subscription.id, node_id_, reason, failures, error);
    // The URL stays out of the log: its path or query often is the secret
    // (GetWebhook shows it to admins).
    spdlog::error("webhook disabled subscription={} reason=\"{}\" last_error=\"{}\"",
                  subscription.name, reason, error);
    std::lock_guard lock(mutex_);
    subscription.active = false;
    subscription.cursor = cursor;
  };
  if (cursor < claimed.purged_through) {
    auto lease = database_.Acquire();
    disable(lease.Session(),
            fmt::format("events {} to {} were deleted by retention before they were delivered; "
                        "ReplayWebhook from {} to go on without them",
                        cursor + 1, claimed.purged_through, claimed.purged_through),
            "");
    return false;
  }
  event_store::Batch batch;
  {
    auto lease = database_.Acquire();
    batch =
        event_store::ReadBatch(lease.Session(), cursor, subscription.like_patterns, kDeliveryBatch);
  }
  for (const Event& event : batch.events) {
    if (Stopping()) break;
    {
      auto lease = database_.Acquire();
      if (!event_store::RenewClaim(lease.Session(), subscription.id, node_id_, post_lease)) {
        return progressed;
      }
    }
    WebhookOutcome outcome;
    try {
      outcome = PostWebhook({claimed.url, claimed.secret, ToJson(event), event.id, event.topic, ""},
                            options_.webhook_timeout, options_.webhook_allowed_networks);
    } catch (const std::exception& error) {
      outcome.error = error.what();
    }
    auto lease = database_.Acquire();
    soci::session& session = lease.Session();
    if (outcome.delivered) {
      if (!event_store::AdvanceCursor(session, subscription.id, node_id_, cursor, event.id,
                                      clock_.Now(), options_.claim_lease_seconds)) {
        return progressed;
      }
      cursor = event.id;
      failures = 0;
      progressed = true;
      continue;
    }
    if (Stopping()) break;  // the POST was cut short by the shutdown
    ++failures;
    if (outcome.gone || failures >= options_.webhook_max_failures) {
      disable(session,
              outcome.gone ? "the endpoint answered 410 Gone"
                           : fmt::format("{} failed deliveries in a row", failures),
              outcome.error);
      return progressed;
    }
    const TimePoint retry_at = clock_.Now() + RetryDelay(failures);
    spdlog::warn("webhook delivery failed subscription={} event={} attempt={} error=\"{}\"",
                 subscription.name, event.id, failures, outcome.error);
    event_store::RecordFailure(session, subscription.id, node_id_, failures, outcome.error,
                               retry_at);
    Note(subscription, cursor, retry_at);
    return progressed;
  }
  if (!Stopping() && batch.events.size() < static_cast<std::size_t>(kDeliveryBatch) &&
      batch.head > cursor) {
    auto lease = database_.Acquire();
    if (event_store::AdvanceCursor(lease.Session(), subscription.id, node_id_, cursor, batch.head,
                                   clock_.Now(), options_.claim_lease_seconds)) {
      cursor = batch.head;
      progressed = true;
    }
  }
  Note(subscription, cursor);
  return progressed;
}

}  // namespace karton::kernel
