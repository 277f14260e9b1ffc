#include "server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>

#include "access_control.h"
#include "audit_log.h"
#include "event_bus.h"
#include "event_service.h"
#include "file_bridge.h"
#include "grpc_host.h"
#include "http_server.h"
#include "identity_service.h"
#include "job_queue.h"
#include "node_identity.h"
#include "job_service.h"
#include "json_gateway.h"
#include "karton/kernel/database.h"
#include "karton/kernel/secrets.h"
#include "kernel_migrations.h"
#include "kernel_service.h"
#include "metrics.h"
#include "migrator.h"
#include "module_host.h"
#include "module_loader.h"
#include "postgres_cluster.h"
#include "remote_modules.h"
#include "web_app.h"
#include "web_sessions.h"
#include "webhook_sender.h"

namespace karton::kernel {
namespace {

// Connections of the token checks' own pool (see auth_database).
constexpr std::size_t kAuthPoolSize = 2;

// Holds an exclusive lock on <data-dir>/kartond.lock for the process's life:
// two kartond on one data directory would fight over the embedded cluster.
class DataDirectoryLock {
 public:
  explicit DataDirectoryLock(const std::filesystem::path& data_dir) {
    std::error_code error;
    std::filesystem::create_directories(data_dir, error);
    if (error) {
      throw std::runtime_error(
          fmt::format("cannot create data directory {}: {}", data_dir.string(), error.message()));
    }
    const auto path = data_dir / "kartond.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      throw std::runtime_error(fmt::format("data directory {} is not writable: {}",
                                           data_dir.string(), std::strerror(errno)));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw std::runtime_error(
          fmt::format("data directory {} is in use by another kartond (lock file {})",
                      data_dir.string(), path.string()));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::write(fd_, pid.data(), pid.size()) < 0) {
      spdlog::warn("cannot write the pid into {}", path.string());
    }
  }
  ~DataDirectoryLock() { ::close(fd_); }
  DataDirectoryLock(const DataDirectoryLock&) = delete;
  DataDirectoryLock& operator=(const DataDirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// `conninfo` (a postgresql:// URL or key=value pairs) with `password` set,
// as key=value pairs: a URL and pairs cannot be mixed, so libpq parses it.
std::string ConnectionStringWithPassword(const std::string& conninfo, const std::string& password) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> parsed(
      PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
  if (!parsed) {
    const std::string reason = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw ConfigError("--database-url: " + reason);
  }
  const auto quoted = [](std::string_view value) {
    std::string text = "'";
    for (const char c : value) {
      if (c == '\\' || c == '\'') text += '\\';
      text += c;
    }
    return text + "'";
  };
  std::string pairs;
  for (const PQconninfoOption* option = parsed.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || std::string_view(option->keyword) == "password") continue;
    pairs += fmt::format("{}={} ", option->keyword, quoted(option->val));
  }
  return pairs + "password=" + quoted(password);
}

// The database's part of readiness, the same for /readyz and gRPC health:
// it answers a trivial query (kAnswers), or no pooled connection is free
// because calls hold them all (kBusy: the pool is exhausted, the database is
// not gone; such calls answer RESOURCE_EXHAUSTED, and a replica that is
// merely busy stays ready), or it does not answer (kGone).
enum class DatabaseReadiness { kAnswers, kBusy, kGone };

DatabaseReadiness CheckDatabase(Database& database) {
  const auto all_leased = [&database] {
    const auto stats = database.CurrentStats();
    return stats.in_use >= stats.size;
  };
  if (all_leased()) return DatabaseReadiness::kBusy;
  if (database.Ping()) return DatabaseReadiness::kAnswers;
  // Ping waits 2 s for a connection: the pool may have filled meanwhile.
  return all_leased() ? DatabaseReadiness::kBusy : DatabaseReadiness::kGone;
}

// Why kartond should not be sent work now, "" when it should: every module
// started, background work running, demo data loaded, and the database
// answers. Migrations are applied before any of this starts (a failed one
// ends the start).
std::string NotReadyReason(const ModuleHost& modules, const std::atomic<bool>& ready,
                           DatabaseReadiness database, boost::json::object* module_states) {
  std::string reason;
  for (const auto& status : modules.Snapshot()) {
    const char* state = status.state == ModuleState::kStarted   ? "started"
                        : status.state == ModuleState::kStopped ? "stopped"
                        : status.state == ModuleState::kFailed  ? "failed"
                        : status.state == ModuleState::kRemote  ? "remote"
                                                                : "loaded";
    if (module_states != nullptr) (*module_states)[status.info.name] = state;
    // A remote module's readiness is its own kartond's: calls to it while
    // that one is away fail UNAVAILABLE, and this kartond serves the rest.
    if (status.state != ModuleState::kStarted && status.state != ModuleState::kRemote &&
        reason.empty()) {
      reason = fmt::format("module {} is {}", status.info.name, state);
    }
  }
  if (reason.empty() && !ready.load()) {
    reason = "not ready: starting (modules, background work, demo data) or shutting down";
  }
  if (database == DatabaseReadiness::kGone) reason = "the database does not answer";
  return reason;
}

// /healthz and /readyz: 200 when NotReadyReason has none, 503 naming it
// otherwise.
HttpResponse HealthResponse(Database& database, const ModuleHost& modules,
                            const std::atomic<bool>& ready) {
  boost::json::object body;
  boost::json::object module_states;
  const DatabaseReadiness database_state = CheckDatabase(database);
  const std::string reason = NotReadyReason(modules, ready, database_state, &module_states);
  body["status"] = reason.empty() ? "ok" : "unavailable";
  body["database"] = database_state == DatabaseReadiness::kAnswers ? "ok"
                     : database_state == DatabaseReadiness::kBusy  ? "busy"
                                                                   : "unavailable";
  body["modules"] = std::move(module_states);
  if (!reason.empty()) body["reason"] = reason;
  return HttpResponse::Json(reason.empty() ? 200 : 503, boost::json::serialize(body) + "\n");
}

// gRPC health (grpc.health.v1) follows the same readiness as /readyz: once
// kartond is ready, this thread checks it every kInterval and says
// NOT_SERVING while there is a reason, SERVING again when it has gone.
class GrpcHealthFollower {
 public:
  static constexpr std::chrono::seconds kInterval{1};

  GrpcHealthFollower(Database& database, const ModuleHost& modules, const std::atomic<bool>& ready,
                     GrpcHost& grpc_host)
      : thread_([&database, &modules, &ready, &grpc_host, this](std::stop_token stop) {
          bool serving = true;  // what kartond says at the moment it is ready
          while (!stop.stop_requested()) {
            {
              std::unique_lock lock(mutex_);
              wake_.wait_for(lock, stop, kInterval, [] { return false; });
            }
            if (stop.stop_requested()) break;
            const std::string reason =
                NotReadyReason(modules, ready, CheckDatabase(database), nullptr);
            if (reason.empty() == serving) continue;
            serving = reason.empty();
            // Stop() holds the mutex while it asks this thread to end, so a
            // status set here never lands after the shutdown's NOT_SERVING.
            std::lock_guard lock(mutex_);
            if (stop.stop_requested()) break;
            grpc_host.SetServing(serving);
            if (serving) {
              spdlog::info("gRPC health: SERVING again");
            } else {
              spdlog::warn("gRPC health: NOT_SERVING: {}", reason);
            }
          }
        }) {}
  ~GrpcHealthFollower() { Stop(); }

  void Stop() {
    std::lock_guard lock(mutex_);
    thread_.request_stop();
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // not a shutdown: certificates (below)
  return signals;
}

}  // namespace

int RunServer(const ServerOptions& options, const std::filesystem::path& executable,
              std::ostream& out, std::vector<FoundModule> scanned) {
  // Block the shutdown signals before any thread exists (kartond's main
  // blocks them before its log writer starts, too), so every thread
  // inherits the mask and only the sigwait() below receives them. A signal
  // that arrives during start-up waits, and shutdown begins right after.
  const sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // libcurl's global state (webhook deliveries), before any thread exists.
  CurlGlobalScope curl;
  // Declared in start order; destroyed in reverse, so any failure unwinds
  // exactly what was started: modules, servers, pool, embedded PostgreSQL.
  std::optional<DataDirectoryLock> data_lock;
  std::optional<PostgresCluster> embedded;
  std::optional<Database> database;
  // Token checks have connections of their own: however many slow calls
  // hold the main pool, a new call can still be let in or turned away.
  std::optional<Database> auth_database;
  Metrics metrics;
  KernelClock clock(options.test_clock);
  KernelAuditLog audit(clock);
  // Destruction runs bottom-up, which encodes three rules: the services
  // (owned by modules and kernel_service) outlive the gRPC server; the HTTP
  // handlers outlive the HTTP server; and the router, whose handlers hold
  // code from module libraries, is gone before those libraries unload.
  std::optional<ModuleHost> modules;
  // Holds job handlers (code from module libraries) and runs them: it is
  // destroyed before the modules, like the router.
  std::optional<JobQueue> job_queue;
  // Holds event handlers (module code) too, and uses the job queue's node id.
  std::optional<EventBus> event_bus;
  // The kernel's own jobs (event retention).
  std::unique_ptr<Jobs> kernel_jobs;
  // Relayed callers (--cluster-secret-file) and the relay of remote
  // modules' calls (--remote-module): both outlive the gRPC server and
  // the access control that use them.
  std::optional<PeerCredentials> peer_credentials;
  std::optional<RemoteModuleProxy> remote_proxy;
  std::map<std::string, std::shared_ptr<grpc::Channel>> remote_channels;
  std::optional<AccessControl> access;
  std::optional<KernelServiceImpl> kernel_service;
  std::optional<IdentityServiceImpl> identity_service;
  std::optional<JobServiceImpl> job_service;
  std::optional<AuditServiceImpl> audit_service;
  std::optional<EventServiceImpl> event_service;
  std::optional<WebhookServiceImpl> webhook_service;
  std::optional<JsonGateway> gateway;
  std::optional<FileBridge> file_bridge;
  std::optional<WebSignIn> web_sign_in;
  std::optional<WebApp> web_app;
  // Set once everything has started (demo data included); read by /readyz.
  // Declared before the router, so it outlives every HTTP handler.
  std::atomic<bool> ready{false};
  std::optional<HttpRouter> router_storage{std::in_place};
  HttpRouter& router = *router_storage;
  std::optional<GrpcHost> grpc_host;
  std::optional<HttpServer> http_server;
  // Ends before the gRPC server and the modules it reads.
  std::optional<GrpcHealthFollower> health_follower;

  const auto grace =
      std::chrono::milliseconds(static_cast<long long>(options.shutdown_grace_seconds * 1000));
  // Stop taking work, drain what is in flight, then stop the modules in
  // reverse order: module Stop() runs only after calls are refused, on a
  // failed start exactly as on a normal shutdown.
  auto stop_serving = [&] {
    // Subscribe streams never end by themselves: close them first, so the
    // gRPC server can drain the other calls.
    if (event_bus) event_bus->CloseStreams();
    if (http_server) {
      http_server->Stop(options.shutdown_grace_seconds);
      spdlog::info("HTTP server stopped");
    }
    // Background work ends while the gRPC server still answers, since a job
    // or an event handler may call another module over the in-process
    // channel; they finish what they run and take nothing new.
    if (job_queue) job_queue->Stop();
    if (event_bus) event_bus->Stop();
    if (grpc_host) {
      grpc_host->Shutdown(grace);
      spdlog::info("gRPC server stopped");
    }
    if (modules) modules->StopAll();
  };

  try {
    // Modules first: a broken module set is reported before anything starts.
    const auto modules_dir =
        options.modules_dir.empty() ? DefaultModulesDirectory(executable) : options.modules_dir;
    auto found = scanned.empty() ? ScanModulesDirectory(modules_dir) : std::move(scanned);
    std::vector<ModuleInfo> infos;
    for (const auto& module : found) infos.push_back(module.info);
    // A remote module is loaded too (its library declares its services,
    // roles, topics and offers), and run by the kartond named.
    std::vector<std::string> wanted = options.modules;
    if (!wanted.empty()) {
      for (const auto& [module, address] : options.remote_modules) wanted.push_back(module);
    }
    const auto order = ResolveStartOrder(infos, wanted);
    std::vector<FoundModule> ordered;
    for (const auto& info : order) {
      auto it = std::find_if(found.begin(), found.end(),
                             [&](const FoundModule& f) { return f.info.name == info.name; });
      ordered.push_back(std::move(*it));
    }
    found.clear();  // unselected modules are closed here (they stay mapped: RTLD_NODELETE)
    for (const auto& [module, unused] : options.module_options) {
      if (std::none_of(order.begin(), order.end(),
                       [&name = module](const ModuleInfo& info) { return info.name == name; })) {
        throw std::runtime_error(
            fmt::format("--module-option {}.*: no module '{}' is loaded", module, module));
      }
    }
    // The roles the loaded modules add: one name, one module.
    std::map<std::string, std::string> module_of_role;
    for (const auto& info : order) {
      for (const auto& role : info.roles) {
        const auto [it, added] = module_of_role.emplace(role.name, info.name);
        if (!added) {
          throw ModuleError(fmt::format("modules '{}' and '{}' both declare the role '{}'",
                                        it->second, info.name, role.name));
        }
      }
    }
    std::vector<std::string> names;  // not views::transform: see grpc_host.cpp
    for (const auto& module : order) names.push_back(module.name);
    spdlog::info("modules resolved dir={} order=[{}]", modules_dir.string(), fmt::join(names, ","));

    data_lock.emplace(options.data_dir);
    std::string connection_string = options.database_url;
    if (!options.database_password_file.empty()) {
      if (connection_string.empty()) {
        throw ConfigError(
            "--database-password-file needs --database-url: the embedded PostgreSQL uses the "
            "password kartond generated for it in the data directory");
      }
      connection_string = ConnectionStringWithPassword(
          connection_string, ReadSecretFile(options.database_password_file));
    }
    if (connection_string.empty()) {
      embedded.emplace(PostgresClusterOptions{std::filesystem::absolute(options.data_dir),
                                              options.postgres_bin_dir, true, "karton"});
      embedded->Start();
      connection_string = embedded->ConnectionString();
      spdlog::info("embedded PostgreSQL started port={} log={}", embedded->Port(),
                   embedded->LogFile().string());
    }
    database.emplace(connection_string, static_cast<std::size_t>(options.db_pool_size),
                     std::chrono::milliseconds(options.db_acquire_timeout_ms));
    // A superuser can read the server's files and run programs on it: one
    // injected statement would own the machine. The embedded cluster uses
    // its application role; an external database should get one too.
    bool connected_as_superuser = false;
    {
      auto lease = database->Acquire();
      const char* superuser = PQparameterStatus(lease.RawConnection(), "is_superuser");
      connected_as_superuser = superuser != nullptr && std::string_view(superuser) == "on";
    }
    if (connected_as_superuser) {
      spdlog::warn(
          "kartond is connected to PostgreSQL as a superuser: give it a role that owns the "
          "database and nothing more (docs/operations.md, \"Embedded or external database\")");
    }
    metrics.AddGauge("karton_db_pool_connections_in_use", "Database connections lent out now.",
                     [&database] { return static_cast<double>(database->CurrentStats().in_use); });
    metrics.AddGauge("karton_db_pool_connections_idle", "Database connections free now.",
                     [&database] {
                       const auto stats = database->CurrentStats();
                       return static_cast<double>(stats.size - stats.in_use);
                     });
    metrics.AddCounter(
        "karton_db_pool_exhausted_total",
        "Waits for a database connection that gave up because every pooled connection stayed "
        "in use (--db-acquire-timeout-ms or the call's deadline); such calls answer "
        "RESOURCE_EXHAUSTED.",
        [&database] { return static_cast<double>(database->CurrentStats().exhausted); });

    job_queue.emplace(
        *database, clock,
        JobQueueOptions{options.job_workers, std::chrono::milliseconds(options.job_poll_ms),
                        std::chrono::seconds(options.job_claim_seconds), options.time_zone,
                        options.job_retention_days,
                        PersistentNodeId(std::filesystem::absolute(options.data_dir))});
    event_bus.emplace(*database, connection_string, clock, job_queue->NodeId(),
                      EventBusOptions{options.event_workers, options.webhook_workers,
                                      std::chrono::milliseconds(options.event_poll_ms),
                                      options.event_max_attempts, options.webhook_max_failures,
                                      std::chrono::seconds(options.webhook_timeout_seconds),
                                      options.event_retention_days, options.event_claim_seconds,
                                      options.webhook_allow_cidrs});
    kernel_jobs = job_queue->ForModule("kernel");
    kernel_jobs->Handle("purge_events", [&event_bus](const JobRun&) { event_bus->PurgeExpired(); });
    kernel_jobs->Handle("purge_jobs", [&job_queue, &web_sign_in, &options](const JobRun&) {
      job_queue->PurgeFinished();
      // Sign-in attempts and ended web sessions are kept as long as jobs.
      if (web_sign_in) web_sign_in->Purge(options.job_retention_days);
    });
    grpc_host.emplace(metrics);
    metrics.AddGauge("karton_grpc_calls_in_flight", "gRPC calls being handled now.",
                     [&grpc_host] { return static_cast<double>(grpc_host->InFlightCalls()); });
    metrics.AddGauge(
        "karton_connection_hazards",
        "In-process calls started while the calling thread held a database connection, since "
        "start (karton/kernel/database.h); anything above 0 is a bug to fix.",
        [&grpc_host] { return static_cast<double>(grpc_host->ConnectionHazards()); });
    modules.emplace(std::move(ordered), *database, *grpc_host, router, clock, *job_queue,
                    *event_bus, audit, options.module_options);

    modules->RunRemotely(options.remote_modules);

    std::vector<ModuleMigrations> migrations{KernelMigrations()};
    for (auto& module : modules->Migrations()) migrations.push_back(std::move(module));
    const int applied = Migrator(*database).Apply(migrations);
    spdlog::info("migrations up to date applied_now={}", applied);
    {
      // A zone the database does not know would fail every daily job
      // later; stop here, by name.
      auto lease = database->Acquire();
      int known = 0;
      lease.Session() << "SELECT count(*) FROM pg_timezone_names WHERE name = :zone",
          soci::use(options.time_zone), soci::into(known);
      if (known == 0) {
        throw ConfigError(fmt::format(
            "--time-zone '{}' is not a time zone PostgreSQL knows (e.g. Europe/Budapest)",
            options.time_zone));
      }
    }

    const auto admin_token_file = std::filesystem::absolute(options.data_dir) / "admin.token";
    if (BootstrapAdmin(*database, audit, admin_token_file)) {
      spdlog::info("first start: created the admin user; its API token is in {}",
                   admin_token_file.string());
    }

    {
      // The kernel's housekeeping: hourly, once across every kartond on the
      // database (unique key).
      auto lease = database->Acquire();
      for (const std::string kind : {"purge_events", "purge_jobs"}) {
        kernel_jobs->Schedule(lease.Session(),
                              JobSpec{.kind = kind,
                                      .payload = "",
                                      .run_at = clock.Now() + std::chrono::hours(1),
                                      .recurrence = "every 3600s",
                                      .max_attempts = 5,
                                      .unique_key = "kernel." + kind});
      }
    }

    auth_database.emplace(connection_string, kAuthPoolSize);
    access.emplace(*auth_database);
    {
      std::set<std::string> module_roles;
      for (const auto& [role, module] : module_of_role) module_roles.insert(role);
      access->DeclareModuleRoles(std::move(module_roles));
    }
    access->SetCallRateLimits(options.calls_per_minute_by_role);
    kernel_service.emplace(*modules, clock, *job_queue, *event_bus);
    access->DeclareService(
        v1::KernelService::service_full_name(),
        {{"ListModules", {std::string(kAnyRole)}}, {"AdvanceClock", {std::string(kRoleAdmin)}}});
    grpc_host->AddService(*kernel_service, v1::KernelService::service_full_name());
    // Changes made here take effect at once; changes made by another kartond
    // arrive as a notification through the event bus's listener.
    identity_service.emplace(*database, audit, access->ModuleRoles(),
                             [&access] { access->ForgetVerifiedCallers(); });
    event_bus->OnCredentialsChanged([&access] { access->ForgetVerifiedCallers(); });
    access->DeclareService(v1::IdentityService::service_full_name(), IdentityServiceImpl::Roles());
    grpc_host->AddService(*identity_service, v1::IdentityService::service_full_name());
    audit_service.emplace(*database);
    access->DeclareService(v1::AuditService::service_full_name(), AuditServiceImpl::Roles());
    grpc_host->AddService(*audit_service, v1::AuditService::service_full_name());
    job_service.emplace(*database, clock);
    access->DeclareService(v1::JobService::service_full_name(), JobServiceImpl::Roles());
    grpc_host->AddService(*job_service, v1::JobService::service_full_name());
    event_service.emplace(*database, *event_bus);
    access->DeclareService(v1::EventService::service_full_name(), EventServiceImpl::Roles());
    grpc_host->AddService(*event_service, v1::EventService::service_full_name());
    webhook_service.emplace(*database, *event_bus, audit, clock);
    access->DeclareService(v1::WebhookService::service_full_name(), WebhookServiceImpl::Roles());
    grpc_host->AddService(*webhook_service, v1::WebhookService::service_full_name());
    gateway.emplace(*access, [&grpc_host] { return grpc_host->InProcessChannel(); });
    // Bearer tokens and internals stay on this machine while kartond
    // serves plain HTTP (the gRPC port refuses other peers the same way).
    router.Add(
        HttpMethod::kPost, "/api/{service}/{method}",
        [&gateway](const HttpRequest& request) { return gateway->Handle(request); },
        {.max_body_bytes = 1024 * 1024, .pool = HttpPool::kApi, .loopback_only_without_tls = true});
    // Files for browsers (docs/api.md, "Files over HTTP"): the streaming
    // methods that carry a file, as multipart uploads and plain downloads,
    // with the gateway's authentication.
    file_bridge.emplace(*access, [&grpc_host] { return grpc_host->InProcessChannel(); });
    const HttpRouteLimits file_limits{.max_body_bytes = FileBridge::kMaxFileBytes + 64 * 1024,
                                      .pool = HttpPool::kApi,
                                      .loopback_only_without_tls = true};
    router.Add(
        HttpMethod::kPost, "/files/{service}/{method}",
        [&file_bridge](const HttpRequest& request) { return file_bridge->Upload(request); },
        file_limits);
    router.Add(
        HttpMethod::kGet, "/files/{service}/{method}",
        [&file_bridge](const HttpRequest& request) { return file_bridge->Download(request); },
        {.max_body_bytes = 0, .pool = HttpPool::kApi, .loopback_only_without_tls = true});
    // People sign in to the web client here (docs/web.md, "Sign-in"); like
    // the gateway, on this machine only while kartond serves plain HTTP.
    web_sign_in.emplace(
        *database, audit, *access, [&access] { access->ForgetVerifiedCallers(); },
        WebSignInOptions{.session_lifetime = std::chrono::hours(options.web_session_hours),
                         .secure_cookie = !options.tls_cert.empty()});
    const HttpRouteLimits sign_in_limits{
        .max_body_bytes = 4096, .pool = HttpPool::kApi, .loopback_only_without_tls = true};
    router.Add(
        HttpMethod::kPost, "/auth/sign-in",
        [&web_sign_in](const HttpRequest& request) { return web_sign_in->SignIn(request); },
        sign_in_limits);
    router.Add(
        HttpMethod::kPost, "/auth/sign-out",
        [&web_sign_in](const HttpRequest& request) { return web_sign_in->SignOut(request); },
        sign_in_limits);
    router.Add(
        HttpMethod::kGet, "/auth/session",
        [&web_sign_in](const HttpRequest& request) { return web_sign_in->CurrentSession(request); },
        {.max_body_bytes = 0, .pool = HttpPool::kApi, .loopback_only_without_tls = true});
    // The web client for people (docs/web.md): / leads to it.
    web_app.emplace(options.web_dir.empty() ? DefaultWebDirectory() : options.web_dir);
    web_app->AddRoutes(router);
    // Kubernetes-style probes (docs/operations.md): /livez says the process
    // runs and answers; /readyz (and /healthz, for what already watches it)
    // says it should be sent work.
    router.Add(HttpMethod::kGet, "/livez", [](const HttpRequest&) {
      return HttpResponse::Json(200, "{\"status\":\"live\"}\n");
    });
    for (const char* probe : {"/readyz", "/healthz"}) {
      router.Add(HttpMethod::kGet, probe,
                 [&](const HttpRequest&) { return HealthResponse(*database, *modules, ready); });
    }
    router.Add(
        HttpMethod::kGet, "/metrics",
        [&](const HttpRequest&) {
          return HttpResponse{
              200, "text/plain; version=0.0.4; charset=utf-8", metrics.RenderPrometheusText(), {}};
        },
        {.max_body_bytes = 0, .loopback_only = true});
    if (!options.cluster_secret_file.empty()) {
      peer_credentials.emplace(ReadSecretFile(options.cluster_secret_file));
      access->AcceptPeerCallers(&*peer_credentials);
    }
    ModuleHost::RemoteParts remote_parts;
    if (!options.remote_modules.empty()) {
      remote_proxy.emplace(*peer_credentials);
      grpc_host->SetFallbackService(&*remote_proxy);
      const RemoteChannelOptions channel_options{
          options.remote_ca.string(), options.tls_cert.string(), options.tls_key.string()};
      remote_parts.proxy = &*remote_proxy;
      // One channel (one connection, multiplexed) per remote kartond.
      remote_parts.channel_to = [&remote_channels, channel_options](const std::string& address) {
        auto& channel = remote_channels[address];
        if (!channel) channel = MakeRemoteChannel(address, channel_options);
        return channel;
      };
    }
    modules->CreateAndRegister(*access, remote_parts);

    grpc_host->Start(
        options.grpc_listen, access->MakeProcessor(),
        [&access](std::string_view authorization, const std::string& path) {
          auto hand_off = access->HandOffFor(authorization, path);
          return GrpcHost::HandOff{std::move(hand_off.caller), std::move(hand_off.refusal)};
        },
        GrpcHost::Tls{options.tls_cert.string(), options.tls_key.string(),
                      options.tls_client_ca.string()});
    http_server.emplace(
        options.http_listen, router, metrics,
        HttpServerLimits{.page_threads = static_cast<std::size_t>(options.http_threads),
                         .api_threads = static_cast<std::size_t>(options.http_api_threads),
                         .page_queue = static_cast<std::size_t>(options.http_page_queue),
                         .api_queue = static_cast<std::size_t>(options.http_api_queue),
                         .max_connections = static_cast<std::size_t>(options.http_max_connections),
                         .max_connections_per_address =
                             static_cast<std::size_t>(options.http_max_connections_per_address),
                         .trusted_proxies = options.http_trusted_proxies},
        HttpTls{options.tls_cert.string(), options.tls_key.string()});
    http_server->Start();
    modules->SetPublicUrl(options.public_url.empty()
                              ? (http_server->Tls() ? "https://" : "http://") +
                                    http_server->BoundAddress()
                              : options.public_url);
    modules->StartAll();
    event_bus->Start();
    job_queue->Start();
    if (options.demo) modules->LoadDemoData();
    grpc_host->SetServing(true);
    ready = true;
    health_follower.emplace(*database, *modules, ready, *grpc_host);
  } catch (const std::exception& error) {
    spdlog::critical("start failed: {}", error.what());
    stop_serving();
    // One write of the whole line: the log thread writes to stderr too, and
    // a line written in pieces could be split by one of its own.
    const std::string line = std::string("kartond: error: ") + error.what() + "\n";
    std::cerr.write(line.data(), static_cast<std::streamsize>(line.size()));
    std::cerr.flush();
    return 1;
  }

  out << "kartond is ready\n"
      << "  gRPC:      " << grpc_host->BoundAddress()
      << (options.tls_cert.empty()        ? ""
          : options.tls_client_ca.empty() ? " (TLS)"
                                          : " (mutual TLS)")
      << "\n"
      << "  HTTP:      " << (http_server->Tls() ? "https://" : "http://")
      << http_server->BoundAddress() << "\n"
      << (web_app->FileCount() > 0
              ? "  web app:   " + std::string(http_server->Tls() ? "https://" : "http://") +
                    http_server->BoundAddress() + "/app/\n"
              : std::string())
      << "  modules:   " << modules->Snapshot().size() << " started\n"
      << "  data dir:  " << std::filesystem::absolute(options.data_dir).string() << "\n"
      << "  admin token: "
      << (std::filesystem::exists(std::filesystem::absolute(options.data_dir) / "admin.token")
              ? (std::filesystem::absolute(options.data_dir) / "admin.token").string()
              : std::string(
                    "(not in this data dir: the admin user was created by another kartond)"))
      << "\n"
      << "  database:  "
      << (embedded ? fmt::format("embedded PostgreSQL on 127.0.0.1:{}", embedded->Port())
                   : std::string("external (--database-url)"))
      << "\n"
      << "Stop with Ctrl-C (SIGINT) or SIGTERM." << std::endl;
  spdlog::info("ready grpc={} http={}{}", grpc_host->BoundAddress(), http_server->BoundAddress(),
               options.test_clock ? " test_clock=on" : "");

  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    // gRPC's certificate watcher re-reads --tls-cert, --tls-key and
    // --tls-client-ca by itself when they change; SIGHUP, the signal
    // certificate tools send after a renewal, only must not end kartond.
    if (options.tls_cert.empty()) {
      spdlog::info("SIGHUP: nothing to reload (no TLS configured)");
    } else {
      http_server->ReloadTls();
      spdlog::info(
          "SIGHUP: HTTPS re-read its certificate; gRPC re-reads it within {} s of a change",
          GrpcHost::kTlsRefreshSeconds);
    }
  }
  spdlog::info("shutting down signal={}", strsignal(received));
  // Load balancers stop sending work while the calls in progress drain.
  health_follower.reset();
  ready = false;
  grpc_host->SetServing(false);

  stop_serving();
  // Then release in the order the destructors would, logging the last steps.
  http_server.reset();
  grpc_host.reset();
  router_storage.reset();
  event_bus.reset();
  job_queue.reset();
  modules.reset();
  database.reset();
  if (embedded) {
    embedded->Stop();
    spdlog::info("embedded PostgreSQL stopped");
  }
  spdlog::info("shutdown complete");
  return 0;
}

}  // namespace karton::kernel
