// A ModuleContext for unit and database tests of a module's services, rules
// and repositories, without a kartond: the clock is set by hand, and what
// the code publishes, audits and schedules is recorded for the test to read.
//
//   karton::kernel::testing::FakeModuleContext context("crm");
//   context.UseDatabase(database);                 // a throwaway one (pg tests)
//   context.SetOption("form_posts_per_minute", "0");
//   ... call the code under test with `context` ...
//   EXPECT_EQ(context.RecordedEvents().Published().at(0).topic, "crm.lead.created");
//   EXPECT_EQ(context.RecordedAudit().Recorded().at(0).resource_type, "crm.lead");
//
// Everything is in memory except Db(): the database tests give it one, and
// then the code's SQL runs for real. Events are recorded, not delivered;
// a test that wants a handler to run calls Deliver(). Channel() exists only
// when the test gives one (module-to-module calls are end-to-end tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/module.h"

namespace karton::kernel::testing {

// A clock that moves only when the test moves it.
class FakeClock final : public Clock {
 public:
  // 2026-01-05 09:00:00 UTC, a Monday, unless told otherwise.
  FakeClock();
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override;
  void Set(TimePoint now);
  void Advance(std::chrono::microseconds by);

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

// One Publish (or one event of a PublishMany).
struct PublishedEvent {
  std::string topic;
  std::int64_t aggregate_id = 0;
  std::string payload_type;  // full protobuf name
  std::string payload;       // serialized
  Caller actor;

  template <class Message>
  Message Payload() const {
    Message message;
    if (payload_type != Message::descriptor()->full_name() || !message.ParseFromString(payload)) {
      throw std::logic_error("event " + topic + " carries " + payload_type);
    }
    return message;
  }
};

// Declared topics, published events and subscriptions, in memory. Publish
// checks what the kernel checks (declared topic, declared payload type, a
// caller: an event by nobody throws NoCallerError, as the kernel's bus does).
class RecordingEvents final : public DomainEvents {
 public:
  explicit RecordingEvents(std::string module) : module_(std::move(module)) {}
  void DeclareTopic(std::string topic, std::string payload_type) override;
  void Publish(soci::session& session, std::string_view topic, std::int64_t aggregate_id,
               const google::protobuf::Message& payload, const Caller& actor) override;
  void PublishMany(soci::session& session, std::string_view topic, const Batch& events,
                   const Caller& actor) override;
  void ErasePayloads(soci::session& session, const std::vector<std::string>& topics,
                     std::int64_t aggregate_id) override;
  void Subscribe(std::string name, std::vector<std::string> topics, EventHandler handler,
                 SubscriptionOptions options) override;
  void SubscribeCalling(std::string name, std::vector<std::string> topics,
                        CallingEventHandler handler, SubscriptionOptions options) override;
  // Recorded as a calling handler that gets a run of one (Deliver).
  void SubscribeCallingRuns(std::string name, std::vector<std::string> topics,
                            CallingRunHandler handler, SubscriptionOptions options) override;

  std::vector<PublishedEvent> Published() const;
  // Topics of the events published so far, in order.
  std::vector<std::string> PublishedTopics() const;
  // Runs subscription `name`'s handler with `event`, as the kernel would
  // (a session handler in `session`, which the test opened a transaction
  // on; a calling handler without one). Throws std::out_of_range for an
  // unknown name.
  void Deliver(const std::string& name, const Event& event, soci::session* session = nullptr);

 private:
  std::string module_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> topics_;  // topic -> payload type
  std::vector<PublishedEvent> published_;
  std::map<std::string, EventHandler> handlers_;
  std::map<std::string, CallingEventHandler> calling_handlers_;
};

struct AuditRecord {
  Caller actor;
  AuditAction action = AuditAction::kCreate;
  std::string resource_type;
  std::int64_t resource_id = 0;
  std::vector<FieldChange> changes;
};

// The audit trail, in memory: what the code recorded, in order. An update
// with no change records nothing, and a change by nobody throws
// NoCallerError, as the kernel's does.
class RecordingAudit final : public AuditLog {
 public:
  void Record(soci::session& session, const Caller& actor, AuditAction action,
              std::string_view resource_type, std::int64_t resource_id,
              const std::vector<FieldChange>& changes) override;
  void RecordMany(soci::session& session, const Caller& actor, AuditAction action,
                  std::string_view resource_type, const Entries& entries) override;
  // Empty: the recorded entries are read with Recorded().
  std::vector<v1::AuditEntry> History(soci::session& session, std::string_view resource_type,
                                      std::int64_t resource_id) override;
  void EraseValues(soci::session& session, std::string_view resource_type, std::int64_t resource_id,
                   const std::vector<std::string>& fields) override;

  std::vector<AuditRecord> Recorded() const;

 private:
  mutable std::mutex mutex_;
  std::vector<AuditRecord> entries_;
};

// Job handlers and scheduled jobs, in memory; a test runs a job with Run().
class RecordingJobs final : public Jobs {
 public:
  void Handle(std::string kind, JobHandler handler) override;
  // Run() runs a batch handler with a batch of one, and throws what it
  // put in the run's failure.
  void HandleBatch(std::string kind, int max_batch, JobBatchHandler handler) override;
  std::int64_t Schedule(soci::session& session, const JobSpec& spec) override;

  std::vector<JobSpec> Scheduled() const;
  // Runs the handler of `kind` with `payload`, as a job worker would.
  void Run(const std::string& kind, const std::string& payload, int attempt = 1);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, JobHandler> handlers_;
  std::vector<JobSpec> scheduled_;
};

class FakeModuleContext final : public ModuleContext {
 public:
  explicit FakeModuleContext(std::string module_name);
  ~FakeModuleContext() override;

  // What the test wires in; all optional.
  void UseDatabase(Database& database) { database_ = &database; }
  void UseChannel(std::shared_ptr<grpc::Channel> channel) { channel_ = std::move(channel); }
  void SetOption(std::string key, std::string value) {
    options_[std::move(key)] = std::move(value);
  }
  void SetPublicUrl(std::string url) { public_url_ = std::move(url); }
  void AddExtension(std::string point, ExtensionOffer offer) {
    extensions_.emplace(std::move(point), std::move(offer));
  }

  // What the code under test did, and the clock it reads.
  FakeClock& Clock() { return clock_; }
  RecordingEvents& RecordedEvents() { return events_; }
  RecordingAudit& RecordedAudit() { return audit_; }
  RecordingJobs& RecordedJobs() { return jobs_; }

  std::string_view ModuleName() const override { return name_; }
  // Throws std::logic_error unless the test gave a database.
  Database& Db() override;
  // Throws std::logic_error unless the test gave a channel.
  std::shared_ptr<grpc::Channel> Channel() override;
  spdlog::logger& Log() override { return *logger_; }
  const kernel::Clock& Time() override { return clock_; }
  Jobs& JobQueue() override { return jobs_; }
  AuditLog& Audit() override { return audit_; }
  DomainEvents& Events() override { return events_; }
  std::optional<std::string> Option(std::string_view key) override;
  std::string PublicUrl() const override { return public_url_; }
  std::vector<ExtensionOffer> Extensions(std::string_view point) const override;
  // Records the post and answers `post_result` (delivered by default).
  OutboundPostResult PostJson(const OutboundPost& post) override {
    posts_.push_back(post);
    return post_result_;
  }
  std::string OutboundUrlProblem(const std::string& url) const override {
    return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0
               ? ""
               : "only http:// and https:// URLs are posted to";
  }
  const std::vector<OutboundPost>& Posts() const { return posts_; }
  void SetPostResult(OutboundPostResult result) { post_result_ = std::move(result); }

 private:
  std::string name_;
  Database* database_ = nullptr;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<spdlog::logger> logger_;
  FakeClock clock_;
  RecordingEvents events_;
  RecordingAudit audit_;
  RecordingJobs jobs_;
  std::map<std::string, std::string> options_;
  std::string public_url_ = "http://karton.test";
  std::multimap<std::string, ExtensionOffer> extensions_;
  std::vector<OutboundPost> posts_;
  OutboundPostResult post_result_{true, 200, ""};
};

}  // namespace karton::kernel::testing
