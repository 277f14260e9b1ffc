// What a module implements, and what the kernel hands it.
//
// Lifecycle, driven by the kernel in dependency order (reverse order for Stop):
//   1. the kernel applies the module's migrations (schema/<module>/*.sql);
//   2. construct: `create` from the generated entry point;
//   3. Register(): add gRPC services and HTTP routes; the servers are not
//      listening yet;
//   4. Start(): the servers are listening; the module may call other modules
//      through context.Channel();
//   5. PrepareDemoData(), then LoadDemoData(): only with `kartond --demo`,
//      once per database;
//   6. Stop(): new calls have been refused and in-flight calls drained.
//   7. destroyed, before the library is unloaded.
// A module keeps no global or static state that outlives Stop().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/events.h"
#include "karton/kernel/http.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/module_api.h"

namespace grpc {
class Channel;
class Service;
}  // namespace grpc

namespace spdlog {
class logger;
}  // namespace spdlog

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

class Database;

// One JSON POST to an outside system on a module's behalf (an automation
// rule's webhook action), made the way kartond delivers webhooks.
struct OutboundPost {
  std::string url;
  std::string body;  // JSON
  // Sent as Karton-Event-Id and Karton-Event-Topic, as webhooks send them.
  std::int64_t event_id = 0;
  std::string topic;
  // Signs the body like webhooks (Karton-Signature) when not empty.
  std::string secret;
  // Sent as Idempotency-Key when not empty: a retry carries the same one.
  std::string idempotency_key;
};

struct OutboundPostResult {
  bool delivered = false;  // a 2xx answer
  long http_status = 0;    // 0 when no answer came
  std::string error;       // why it was not delivered
};

// What the kernel owns and lends to a module for its whole life. Every
// reference stays valid until the module's Stop() returns.
class ModuleContext {
 public:
  virtual ~ModuleContext() = default;

  // The module's own name (also its schema and config section).
  virtual std::string_view ModuleName() const = 0;
  // The shared PostgreSQL pool. Blocking: call it from gRPC handler threads or
  // HTTP handlers (both run on worker threads), never from an event loop.
  virtual Database& Db() = 0;
  // A channel to the kernel's own gRPC server, in process: the way a module
  // calls another module's service. Valid from Start() on.
  virtual std::shared_ptr<grpc::Channel> Channel() = 0;
  // A logger named after the module.
  virtual spdlog::logger& Log() = 0;
  // The kernel clock: the only source of business time.
  virtual const Clock& Time() = 0;
  // The durable job queue, for this module's jobs.
  virtual Jobs& JobQueue() = 0;
  // The audit trail: record every create, update and delete (audit.h).
  virtual AuditLog& Audit() = 0;
  // Domain events: declare and publish this module's topics, subscribe to
  // others' (events.h).
  virtual DomainEvents& Events() = 0;
  // A setting given to kartond as --module-option <module>.<key>=<value>
  // (or KARTON_MODULE_OPTION, or module-option in the config file, or the
  // option's own flag), nullopt when not given. `key` must be one of the
  // module class's kOptions (module_api.h), else std::logic_error; kartond
  // has already checked the value against the declared type.
  virtual std::optional<std::string> Option(std::string_view key) = 0;
  // Where people and other systems reach kartond's HTTP side, without a
  // trailing slash: kartond's --public-url, or http://<bound HTTP address>.
  // For links that leave the server (unsubscribe links, calendar feeds, web
  // forms). Valid from Start() on.
  virtual std::string PublicUrl() const = 0;
  // Every offer made at extension point `point`, in module start order.
  // Complete from Start() on; a module that is not loaded offers nothing.
  virtual std::vector<ExtensionOffer> Extensions(std::string_view point) const = 0;
  // Blocking: POSTs `post` under kartond's webhook rules: http and https
  // only, no redirects, no proxy, every address checked as it is connected
  // to (loopback and private networks only where --webhook-allow-cidr
  // allows them), at most --webhook-timeout-seconds. Call it without
  // holding a database connection.
  virtual OutboundPostResult PostJson(const OutboundPost& post) = 0;
  // "" when PostJson would try `url`; otherwise why not, for a person (for
  // checking a URL when it is saved; names are resolved only when posting).
  virtual std::string OutboundUrlProblem(const std::string& url) const = 0;
};

// Passed to Module::Register(): where services and routes are added.
class Registrar {
 public:
  virtual ~Registrar() = default;
  // Adds a gRPC service implementation. The module owns `service` and keeps it
  // alive until Stop() returns. `full_name` is the proto service name
  // ("karton.partners.v1.PartnerService"). `roles` says which roles may call
  // each of its methods; every method must be listed (see access.h), and the
  // kernel enforces it before any handler runs.
  virtual void AddGrpcService(grpc::Service& service, std::string_view full_name,
                              const MethodRoles& roles) = 0;
  // Adds an HTTP route; see http.h for the pattern syntax and the limits
  // (body size, worker pool, loopback only). Without limits: a body of at
  // most 64 KiB, on the pages pool.
  virtual void AddHttpRoute(HttpMethod method, std::string pattern, HttpHandler handler,
                            HttpRouteLimits limits) = 0;
  void AddHttpRoute(HttpMethod method, std::string pattern, HttpHandler handler) {
    AddHttpRoute(method, std::move(pattern), std::move(handler), HttpRouteLimits{});
  }
  // Offers `method` (a unary method of one of this module's services, in
  // gRPC's "/package.Service/Method" form) at the extension point `point`,
  // so that another module can call it without knowing this one: the
  // module that owns the point reads the offers with
  // ModuleContext::Extensions() and calls each over Channel() (a generic
  // call with the point's request and response messages). The point's
  // owner documents those messages, e.g. "customer_overview.section" in
  // proto/karton/common/v1/customer_overview.proto.
  virtual void OfferExtension(std::string point, std::string method) = 0;
};

// A module class is a Module; it may declare its settings as
//
//   static constexpr KartonModuleOption kOptions[] = {
//       {"smtp_url", "url", "The SMTP server, smtp://host:port", "", "smtp-url"},
//   };
//
// which karton_add_module's generated entry point hands to the kernel: kartond
// --help lists them, and kartond refuses a key not declared or a value not of
// its type before anything starts (module_api.h).
class Module {
 public:
  virtual ~Module() = default;

  // Adds the module's gRPC services and HTTP routes.
  virtual void Register(ModuleContext& context, Registrar& registrar) = 0;
  // Starts background work. Throwing aborts the server's start cleanly.
  virtual void Start(ModuleContext& /*context*/) {}
  // With `kartond --demo`, when this module's demo data is not there yet,
  // before LoadDemoData and with no connection held: the place to call
  // other modules (users, templates, reading partners), which need
  // connections of their own. Keep what LoadDemoData needs in the module.
  // It may run again if kartond stops before LoadDemoData commits: make its
  // calls idempotent (request ids).
  virtual void PrepareDemoData(ModuleContext& /*context*/) {}
  // Loads the module's demo data inside `session`'s open transaction; the
  // kernel commits it and records that this module's demo data is present.
  // Calls to other modules belong in PrepareDemoData: here the transaction
  // holds a connection while they would wait for theirs.
  virtual void LoadDemoData(ModuleContext& /*context*/, soci::session& /*session*/) {}
  // Stops background work. Must not throw.
  virtual void Stop() noexcept {}
};

}  // namespace karton::kernel
