#include "karton/kernel/testing/fake_module_context.h"

#include <fmt/format.h>
#include <google/protobuf/message.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "karton/kernel/v1/audit_service.pb.h"

namespace karton::kernel::testing {

FakeClock::FakeClock()
    : now_(std::chrono::sys_days{std::chrono::January / 5 / 2026} + std::chrono::hours(9)) {}

TimePoint FakeClock::Now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void FakeClock::Set(TimePoint now) {
  std::lock_guard lock(mutex_);
  now_ = now;
}

void FakeClock::Advance(std::chrono::microseconds by) {
  std::lock_guard lock(mutex_);
  now_ += by;
}

void RecordingEvents::DeclareTopic(std::string topic, std::string payload_type) {
  if (topic.compare(0, module_.size() + 1, module_ + ".") != 0) {
    throw std::invalid_argument(
        fmt::format("module {} may only declare topics starting with '{}.', not '{}'", module_,
                    module_, topic));
  }
  std::lock_guard lock(mutex_);
  topics_[std::move(topic)] = std::move(payload_type);
}

void RecordingEvents::Publish(soci::session&, std::string_view topic, std::int64_t aggregate_id,
                              const google::protobuf::Message& payload, const Caller& actor) {
  std::lock_guard lock(mutex_);
  const auto declared = topics_.find(std::string(topic));
  if (declared == topics_.end()) {
    throw std::invalid_argument(
        fmt::format("module {} did not declare the event topic '{}'", module_, topic));
  }
  if (declared->second != payload.GetDescriptor()->full_name()) {
    throw std::invalid_argument(fmt::format("topic '{}' carries {}, not {}", topic,
                                            declared->second,
                                            payload.GetDescriptor()->full_name()));
  }
  // The kernel's bus refuses an event by nobody (NoCallerError), and so
  // does this one: a test must call as a user or as kartond.
  ActorUserId(actor);
  published_.push_back(PublishedEvent{std::string(topic), aggregate_id, declared->second,
                                      payload.SerializeAsString(), actor});
}

void RecordingEvents::PublishMany(soci::session& session, std::string_view topic,
                                  const Batch& events, const Caller& actor) {
  {
    // As the kernel's: the topic, then the caller, before any event (even
    // for an empty batch).
    std::lock_guard lock(mutex_);
    if (topics_.count(std::string(topic)) == 0) {
      throw std::invalid_argument(
          fmt::format("module {} did not declare the event topic '{}'", module_, topic));
    }
  }
  ActorUserId(actor);
  for (const auto& [aggregate_id, payload] : events) {
    Publish(session, topic, aggregate_id, *payload, actor);
  }
}

void RecordingEvents::ErasePayloads(soci::session&, const std::vector<std::string>& topics,
                                    std::int64_t aggregate_id) {
  std::lock_guard lock(mutex_);
  for (auto& event : published_) {
    for (const auto& topic : topics) {
      if (event.topic == topic && event.aggregate_id == aggregate_id) event.payload.clear();
    }
  }
}

void RecordingEvents::Subscribe(std::string name, std::vector<std::string>, EventHandler handler,
                                SubscriptionOptions) {
  std::lock_guard lock(mutex_);
  handlers_[std::move(name)] = std::move(handler);
}

void RecordingEvents::SubscribeCalling(std::string name, std::vector<std::string>,
                                       CallingEventHandler handler, SubscriptionOptions) {
  std::lock_guard lock(mutex_);
  calling_handlers_[std::move(name)] = std::move(handler);
}

void RecordingEvents::SubscribeCallingRuns(std::string name, std::vector<std::string> topics,
                                           CallingRunHandler handler, SubscriptionOptions options) {
  SubscribeCalling(
      std::move(name), std::move(topics),
      [handler = std::move(handler)](const Event& event) { handler(std::span(&event, 1)); },
      std::move(options));
}

std::vector<PublishedEvent> RecordingEvents::Published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::vector<std::string> RecordingEvents::PublishedTopics() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> topics;
  for (const auto& event : published_) topics.push_back(event.topic);
  return topics;
}

void RecordingEvents::Deliver(const std::string& name, const Event& event, soci::session* session) {
  EventHandler handler;
  CallingEventHandler calling;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = handlers_.find(name); it != handlers_.end()) handler = it->second;
    if (const auto it = calling_handlers_.find(name); it != calling_handlers_.end()) {
      calling = it->second;
    }
  }
  if (calling) return calling(event);
  if (!handler) throw std::out_of_range("no event subscription named " + name);
  if (session == nullptr) {
    throw std::logic_error("subscription " + name + " runs in a session: pass one");
  }
  handler(event, *session);
}

void RecordingAudit::Record(soci::session&, const Caller& actor, AuditAction action,
                            std::string_view resource_type, std::int64_t resource_id,
                            const std::vector<FieldChange>& changes) {
  // The kernel's audit log refuses a change by nobody (NoCallerError)
  // before anything else, even an update that changed nothing.
  ActorUserId(actor);
  if (action == AuditAction::kUpdate && changes.empty()) return;
  std::lock_guard lock(mutex_);
  entries_.push_back(AuditRecord{actor, action, std::string(resource_type), resource_id, changes});
}

void RecordingAudit::RecordMany(soci::session& session, const Caller& actor, AuditAction action,
                                std::string_view resource_type, const Entries& entries) {
  ActorUserId(actor);  // as the kernel's: even for no entries
  for (const auto& [resource_id, changes] : entries) {
    Record(session, actor, action, resource_type, resource_id, changes);
  }
}

std::vector<v1::AuditEntry> RecordingAudit::History(soci::session&, std::string_view,
                                                    std::int64_t) {
  return {};
}

void RecordingAudit::EraseValues(soci::session&, std::string_view resource_type,
                                 std::int64_t resource_id, const std::vector<std::string>& fields) {
  std::lock_guard lock(mutex_);
  for (auto& entry : entries_) {
    if (entry.resource_type != resource_type || entry.resource_id != resource_id) continue;
    for (auto& change : entry.changes) {
      if (!fields.empty() && std::find(fields.begin(), fields.end(), change.field) == fields.end())
        continue;
      if (change.old_json) change.old_json = "\"[erased]\"";
      if (change.new_json) change.new_json = "\"[erased]\"";
    }
  }
}

std::vector<AuditRecord> RecordingAudit::Recorded() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

void RecordingJobs::Handle(std::string kind, JobHandler handler) {
  std::lock_guard lock(mutex_);
  handlers_[std::move(kind)] = std::move(handler);
}

void RecordingJobs::HandleBatch(std::string kind, int /*max_batch*/, JobBatchHandler handler) {
  Handle(std::move(kind), [handler = std::move(handler)](const JobRun& run) {
    std::vector<std::string> failures(1);
    handler({run}, failures);
    if (!failures[0].empty()) throw std::runtime_error(failures[0]);
  });
}

std::int64_t RecordingJobs::Schedule(soci::session&, const JobSpec& spec) {
  std::lock_guard lock(mutex_);
  if (handlers_.count(spec.kind) == 0) {
    throw std::invalid_argument("no job handler named " + spec.kind);
  }
  scheduled_.push_back(spec);
  return static_cast<std::int64_t>(scheduled_.size());
}

std::vector<JobSpec> RecordingJobs::Scheduled() const {
  std::lock_guard lock(mutex_);
  return scheduled_;
}

void RecordingJobs::Run(const std::string& kind, const std::string& payload, int attempt) {
  JobHandler handler;
  {
    std::lock_guard lock(mutex_);
    const auto it = handlers_.find(kind);
    if (it == handlers_.end()) throw std::out_of_range("no job handler named " + kind);
    handler = it->second;
  }
  handler(
      JobRun{.id = 0, .kind = kind, .payload = payload, .attempt = attempt, .scheduled_for = {}});
}

FakeModuleContext::FakeModuleContext(std::string module_name)
    : name_(std::move(module_name)),
      logger_(std::make_shared<spdlog::logger>(
          name_, std::make_shared<spdlog::sinks::stderr_color_sink_mt>())),
      events_(name_) {}

FakeModuleContext::~FakeModuleContext() = default;

Database& FakeModuleContext::Db() {
  if (database_ == nullptr) {
    throw std::logic_error("this test gave the FakeModuleContext no database (UseDatabase)");
  }
  return *database_;
}

std::shared_ptr<grpc::Channel> FakeModuleContext::Channel() {
  if (!channel_) {
    throw std::logic_error("this test gave the FakeModuleContext no channel (UseChannel)");
  }
  return channel_;
}

std::optional<std::string> FakeModuleContext::Option(std::string_view key) {
  const auto it = options_.find(std::string(key));
  if (it == options_.end()) return std::nullopt;
  return it->second;
}

std::vector<ExtensionOffer> FakeModuleContext::Extensions(std::string_view point) const {
  std::vector<ExtensionOffer> offers;
  const auto [first, last] = extensions_.equal_range(std::string(point));
  for (auto it = first; it != last; ++it) offers.push_back(it->second);
  return offers;
}

}  // namespace karton::kernel::testing
