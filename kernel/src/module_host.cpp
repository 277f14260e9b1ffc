#include "module_host.h"

#include <fmt/format.h>
#include <grpcpp/channel.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "access_control.h"
#include "event_bus.h"
#include "grpc_host.h"
#include "http_server.h"
#include "job_queue.h"
#include "karton/kernel/database.h"
#include "migrator.h"
#include "remote_modules.h"
#include "webhook_sender.h"

namespace karton::kernel {

namespace {
// Demo data bookkeeping lives in the kernel schema (schema/kernel).
constexpr const char* kSelectDemoLoaded = "SELECT count(*) FROM kernel.demo_data WHERE module = :m";
constexpr const char* kInsertDemoLoaded = "INSERT INTO kernel.demo_data (module) VALUES (:m)";
}  // namespace

namespace {

// What a remote module's Register() gets for its jobs: it may schedule
// (the rows are shared, and the kartond that runs the module runs them),
// but its handlers are not kept, so this kartond never claims its jobs.
class JobsRunElsewhere final : public Jobs {
 public:
  explicit JobsRunElsewhere(std::unique_ptr<Jobs> jobs) : jobs_(std::move(jobs)) {}
  void Handle(std::string /*kind*/, JobHandler /*handler*/) override {}
  void HandleBatch(std::string /*kind*/, int /*max_batch*/, JobBatchHandler /*handler*/) override {}
  std::int64_t Schedule(soci::session& session, const JobSpec& spec) override {
    return jobs_->Schedule(session, spec);
  }

 private:
  std::unique_ptr<Jobs> jobs_;
};

// The same for its events: its topics are declared here too (webhooks and
// subscribers of this kartond may name them), its subscriptions are not.
class EventsHandledElsewhere final : public DomainEvents {
 public:
  explicit EventsHandledElsewhere(std::unique_ptr<DomainEvents> events)
      : events_(std::move(events)) {}
  void DeclareTopic(std::string topic, std::string payload_type) override {
    events_->DeclareTopic(std::move(topic), std::move(payload_type));
  }
  void Publish(soci::session& session, std::string_view topic, std::int64_t aggregate_id,
               const google::protobuf::Message& payload, const Caller& actor) override {
    events_->Publish(session, topic, aggregate_id, payload, actor);
  }
  void PublishMany(soci::session& session, std::string_view topic, const Batch& events,
                   const Caller& actor) override {
    events_->PublishMany(session, topic, events, actor);
  }
  void ErasePayloads(soci::session& session, const std::vector<std::string>& topics,
                     std::int64_t aggregate_id) override {
    events_->ErasePayloads(session, topics, aggregate_id);
  }
  void Subscribe(std::string /*name*/, std::vector<std::string> /*topics*/,
                 EventHandler /*handler*/, SubscriptionOptions /*options*/) override {}
  void SubscribeCalling(std::string /*name*/, std::vector<std::string> /*topics*/,
                        CallingEventHandler /*handler*/, SubscriptionOptions /*options*/) override {
  }
  void SubscribeCallingRuns(std::string /*name*/, std::vector<std::string> /*topics*/,
                            CallingRunHandler /*handler*/,
                            SubscriptionOptions /*options*/) override {}

 private:
  std::unique_ptr<DomainEvents> events_;
};

}  // namespace

class ModuleHost::Context : public ModuleContext {
 public:
  Context(std::string name, Database& database, GrpcHost& grpc_host, const Clock& clock,
          kernel::JobQueue& jobs, EventBus& events, AuditLog& audit,
          std::map<std::string, std::string> options, std::vector<ModuleOptionInfo> declared,
          const std::string& public_url,
          const std::multimap<std::string, ExtensionOffer>& extensions, bool remote)
      : options_(std::move(options)),
        declared_(std::move(declared)),
        public_url_(public_url),
        extensions_(extensions),
        name_(std::move(name)),
        database_(database),
        grpc_host_(grpc_host),
        clock_(clock),
        jobs_(remote ? std::make_unique<JobsRunElsewhere>(jobs.ForModule(name_))
                     : jobs.ForModule(name_)),
        events_(remote ? std::make_unique<EventsHandledElsewhere>(events.ForModule(name_))
                       : events.ForModule(name_)),
        event_bus_(events),
        audit_(audit),
        logger_(spdlog::default_logger()->clone(name_)) {}

  std::string_view ModuleName() const override { return name_; }
  Database& Db() override { return database_; }
  std::shared_ptr<grpc::Channel> Channel() override {
    auto channel = grpc_host_.InProcessChannel();
    if (!channel) throw std::logic_error("the in-process channel exists only from Start() on");
    return channel;
  }
  spdlog::logger& Log() override { return *logger_; }
  const Clock& Time() override { return clock_; }
  Jobs& JobQueue() override { return *jobs_; }
  AuditLog& Audit() override { return audit_; }
  DomainEvents& Events() override { return *events_; }
  std::optional<std::string> Option(std::string_view key) override {
    if (!Declares(key)) {
      throw std::logic_error(fmt::format(
          "module {} reads the option '{}', which its kOptions do not declare", name_, key));
    }
    const auto it = options_.find(std::string(key));
    if (it == options_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<ExtensionOffer> Extensions(std::string_view point) const override {
    std::vector<ExtensionOffer> offers;
    const auto [first, last] = extensions_.equal_range(std::string(point));
    for (auto it = first; it != last; ++it) offers.push_back(it->second);
    return offers;
  }
  std::string PublicUrl() const override {
    if (public_url_.empty()) throw std::logic_error("the public URL is known only from Start() on");
    return public_url_;
  }
  OutboundPostResult PostJson(const OutboundPost& post) override {
    const EventBusOptions& options = event_bus_.Options();
    const WebhookOutcome outcome = PostWebhook(
        {post.url, post.secret, post.body, post.event_id, post.topic, post.idempotency_key},
        options.webhook_timeout, options.webhook_allowed_networks);
    return {outcome.delivered, outcome.http_status, outcome.error};
  }
  std::string OutboundUrlProblem(const std::string& url) const override {
    return WebhookUrlProblem(url, event_bus_.Options().webhook_allowed_networks);
  }
  // Options given for this module that it does not declare.
  std::vector<std::string> UnknownOptions() const {
    std::vector<std::string> unknown;
    for (const auto& [key, value] : options_) {
      if (!Declares(key)) unknown.push_back(key);
    }
    return unknown;
  }

 private:
  bool Declares(std::string_view key) const {
    return std::any_of(declared_.begin(), declared_.end(),
                       [&](const ModuleOptionInfo& option) { return option.key == key; });
  }

  std::map<std::string, std::string> options_;
  std::vector<ModuleOptionInfo> declared_;
  const std::string& public_url_;  // ModuleHost's, set before StartAll()
  const std::multimap<std::string, ExtensionOffer>& extensions_;  // ModuleHost's
  std::string name_;
  Database& database_;
  GrpcHost& grpc_host_;
  const Clock& clock_;
  std::unique_ptr<Jobs> jobs_;
  std::unique_ptr<DomainEvents> events_;
  const EventBus& event_bus_;
  AuditLog& audit_;
  std::shared_ptr<spdlog::logger> logger_;
};

// The instance was allocated by the module's code, so the module's own
// destroy function frees it (see module_api.h).
struct ModuleDeleter {
  void (*destroy)(void*) noexcept = nullptr;
  void operator()(Module* module) const noexcept { destroy(module); }
};

struct ModuleHost::Entry {
  FoundModule found;
  ModuleState state = ModuleState::kLoaded;
  // Set for a module another kartond runs (--remote-module).
  std::string remote_address;
  std::unique_ptr<Context> context;
  std::unique_ptr<Module, ModuleDeleter> instance;
};

namespace {

class RegistrarImpl : public Registrar {
 public:
  RegistrarImpl(GrpcHost& grpc_host, HttpRouter& router, AccessControl& access,
                std::multimap<std::string, ExtensionOffer>& extensions)
      : grpc_host_(grpc_host), router_(router), access_(access), extensions_(extensions) {}
  // The module whose Register() runs now: offers are made in its name.
  void SetModule(std::string module) { module_ = std::move(module); }
  void AddGrpcService(grpc::Service& service, std::string_view full_name,
                      const MethodRoles& roles) override {
    access_.DeclareService(std::string(full_name), roles);
    grpc_host_.AddService(service, std::string(full_name));
  }
  using Registrar::AddHttpRoute;
  void AddHttpRoute(HttpMethod method, std::string pattern, HttpHandler handler,
                    HttpRouteLimits limits) override {
    router_.Add(method, std::move(pattern), std::move(handler), limits);
  }
  void OfferExtension(std::string point, std::string method) override {
    if (point.empty() || method.size() < 4 || method.front() != '/' ||
        method.find('/', 1) == std::string::npos) {
      throw std::invalid_argument(
          fmt::format("extension offer '{}' at '{}': the method is \"/package.Service/Method\"",
                      method, point));
    }
    extensions_.emplace(std::move(point), ExtensionOffer{module_, std::move(method)});
  }

 private:
  GrpcHost& grpc_host_;
  HttpRouter& router_;
  AccessControl& access_;
  std::multimap<std::string, ExtensionOffer>& extensions_;
  std::string module_;
};

// A remote module's Register(): its services' roles are declared here
// (this kartond admits network calls to them as to its own) and their calls
// relayed; its offers stand, reached through the relay; its HTTP routes are
// served by the kartond that runs it.
class RemoteRegistrar : public Registrar {
 public:
  RemoteRegistrar(AccessControl& access, RemoteModuleProxy& proxy, RegistrarImpl& local)
      : access_(access), proxy_(proxy), local_(local) {}
  void SetRemote(std::string module, std::shared_ptr<grpc::Channel> channel) {
    module_ = std::move(module);
    channel_ = std::move(channel);
  }
  void AddGrpcService(grpc::Service& /*service*/, std::string_view full_name,
                      const MethodRoles& roles) override {
    access_.DeclareService(std::string(full_name), roles);
    proxy_.Route(std::string(full_name), channel_);
  }
  using Registrar::AddHttpRoute;
  void AddHttpRoute(HttpMethod /*method*/, std::string /*pattern*/, HttpHandler /*handler*/,
                    HttpRouteLimits /*limits*/) override {}
  void OfferExtension(std::string point, std::string method) override {
    local_.SetModule(module_);
    local_.OfferExtension(std::move(point), std::move(method));
  }

 private:
  AccessControl& access_;
  RemoteModuleProxy& proxy_;
  RegistrarImpl& local_;
  std::string module_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace

ModuleHost::ModuleHost(std::vector<FoundModule> ordered, Database& database, GrpcHost& grpc_host,
                       HttpRouter& http_router, const Clock& clock, JobQueue& jobs,
                       EventBus& events, AuditLog& audit,
                       std::map<std::string, std::map<std::string, std::string>> module_options)
    : database_(database),
      grpc_host_(grpc_host),
      http_router_(http_router),
      clock_(clock),
      jobs_(jobs),
      events_(events),
      audit_(audit),
      module_options_(std::move(module_options)) {
  for (auto& found : ordered) {
    auto entry = std::make_unique<Entry>();
    entry->found = std::move(found);
    entries_.push_back(std::move(entry));
  }
}

ModuleHost::~ModuleHost() {
  StopAll();
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) (*it)->instance.reset();
}

std::vector<ModuleMigrations> ModuleHost::Migrations() const {
  std::vector<ModuleMigrations> all;
  for (const auto& entry : entries_) {
    // A remote module's too: its Register() may read its tables, and the
    // migrator applies each file once whichever kartond starts first.
    ModuleMigrations module{entry->found.info.name, {}};
    const auto& descriptor = *entry->found.descriptor;
    for (std::size_t i = 0; i < descriptor.migrations_count; ++i) {
      module.files.push_back(
          MigrationFile{descriptor.migrations[i].file_name, descriptor.migrations[i].sql});
    }
    all.push_back(std::move(module));
  }
  return all;
}

void ModuleHost::RunRemotely(const std::map<std::string, std::string>& address_by_module) {
  for (const auto& [module, address] : address_by_module) {
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&name = module](const auto& e) {
      return e->found.info.name == name;
    });
    if (it == entries_.end()) {
      throw std::runtime_error(fmt::format(
          "--remote-module {}={}: no module '{}' is among those loaded", module, address, module));
    }
    (*it)->remote_address = address;
  }
}

void ModuleHost::CreateAndRegister(AccessControl& access, const RemoteParts& remote_parts) {
  RegistrarImpl registrar(grpc_host_, http_router_, access, extensions_);
  std::optional<RemoteRegistrar> remote_registrar;
  if (remote_parts.proxy != nullptr) {
    remote_registrar.emplace(access, *remote_parts.proxy, registrar);
  }
  for (auto& entry : entries_) {
    const auto& descriptor = *entry->found.descriptor;
    const std::string& name = entry->found.info.name;
    void* created = descriptor.create();
    if (created == nullptr) {
      SetState(*entry, ModuleState::kFailed);
      throw std::runtime_error(fmt::format("module '{}' could not be created", name));
    }
    // The generated entry point returns the Module* as void* (module_api.h).
    entry->instance = std::unique_ptr<Module, ModuleDeleter>(static_cast<Module*>(created),
                                                             ModuleDeleter{descriptor.destroy});
    const bool remote = !entry->remote_address.empty();
    entry->context = std::make_unique<Context>(
        name, database_, grpc_host_, clock_, jobs_, events_, audit_, module_options_[name],
        entry->found.info.options, public_url_, extensions_, remote);
    if (const auto unknown = entry->context->UnknownOptions(); !unknown.empty()) {
      SetState(*entry, ModuleState::kFailed);
      throw std::runtime_error(fmt::format("--module-option {}.{}: module '{}' has no such option",
                                           name, unknown.front(), name));
    }
    registrar.SetModule(name);
    Registrar* registering = &registrar;
    if (remote) {
      if (!remote_registrar) {
        throw std::logic_error("a remote module needs the relay (ModuleHost::RemoteParts)");
      }
      remote_registrar->SetRemote(name, remote_parts.channel_to(entry->remote_address));
      registering = &*remote_registrar;
    }
    try {
      entry->instance->Register(*entry->context, *registering);
    } catch (const std::exception& error) {
      SetState(*entry, ModuleState::kFailed);
      throw std::runtime_error(
          fmt::format("module '{}' failed to register its services: {}", name, error.what()));
    }
  }
}

void ModuleHost::StartAll() {
  for (auto& entry : entries_) {
    if (!entry->remote_address.empty()) {
      SetState(*entry, ModuleState::kRemote);
      spdlog::info("module relayed name={} version={} remote={}", entry->found.info.name,
                   entry->found.info.version, entry->remote_address);
      continue;
    }
    try {
      entry->instance->Start(*entry->context);
      SetState(*entry, ModuleState::kStarted);
      spdlog::info("module started name={} version={}", entry->found.info.name,
                   entry->found.info.version);
    } catch (const std::exception& error) {
      // The caller stops the servers first, then the modules already started.
      SetState(*entry, ModuleState::kFailed);
      throw std::runtime_error(
          fmt::format("module '{}' failed to start: {}", entry->found.info.name, error.what()));
    }
  }
}

void ModuleHost::LoadDemoData() {
  for (auto& entry : entries_) {
    const std::string& name = entry->found.info.name;
    if (!entry->remote_address.empty()) continue;  // its own kartond loads them
    try {
      {
        // Looked at first without a lock (checked again under it below):
        // a module whose demo data is there prepares nothing.
        auto lease = database_.Acquire();
        long long loaded = 0;
        lease.Session() << kSelectDemoLoaded, soci::use(name), soci::into(loaded);
        if (loaded > 0) continue;
      }
      entry->instance->PrepareDemoData(*entry->context);
      auto lease = database_.Acquire();
      soci::session& session = lease.Session();
      soci::transaction transaction(session);
      // Serialises concurrent --demo starts on one database per module.
      session << "SELECT pg_advisory_xact_lock(hashtext('karton.demo.' || :m))", soci::use(name);
      long long loaded = 0;
      session << kSelectDemoLoaded, soci::use(name), soci::into(loaded);
      if (loaded > 0) continue;
      entry->instance->LoadDemoData(*entry->context, session);
      session << kInsertDemoLoaded, soci::use(name);
      transaction.commit();
      spdlog::info("demo data loaded module={}", name);
    } catch (const std::exception& error) {
      throw std::runtime_error(fmt::format("module '{}' failed to load its demo data: {}", name,
                                           DescribeDatabaseError(error)));
    }
  }
}

void ModuleHost::StopAll() noexcept {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    Entry& entry = **it;
    if (entry.state != ModuleState::kStarted) continue;
    entry.instance->Stop();
    SetState(entry, ModuleState::kStopped);
    spdlog::info("module stopped name={}", entry.found.info.name);
  }
}

void ModuleHost::SetState(Entry& entry, ModuleState state) {
  std::lock_guard lock(state_mutex_);
  entry.state = state;
}

std::vector<ModuleStatus> ModuleHost::Snapshot() const {
  std::lock_guard lock(state_mutex_);
  std::vector<ModuleStatus> statuses;
  for (const auto& entry : entries_)
    statuses.push_back(ModuleStatus{entry->found.info, entry->state, entry->remote_address});
  return statuses;
}

}  // namespace karton::kernel
