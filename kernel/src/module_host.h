// Runs the loaded modules through their lifecycle and knows each one's state.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "karton/kernel/module.h"
#include "module_loader.h"

namespace karton::kernel {

class AccessControl;
class Clock;
class Database;
class EventBus;
class GrpcHost;
class JobQueue;
class HttpRouter;
struct ModuleMigrations;
class RemoteModuleProxy;

enum class ModuleState { kLoaded, kStarted, kStopped, kFailed, kRemote };

struct ModuleStatus {
  ModuleInfo info;
  ModuleState state = ModuleState::kLoaded;
  std::string remote_address;  // kRemote: the kartond that runs it
};

class ModuleHost {
 public:
  // `ordered` is the start order from ResolveStartOrder.
  ModuleHost(std::vector<FoundModule> ordered, Database& database, GrpcHost& grpc_host,
             HttpRouter& http_router, const Clock& clock, JobQueue& jobs, EventBus& events,
             AuditLog& audit,
             std::map<std::string, std::map<std::string, std::string>> module_options = {});
  // Destroys the instances in reverse order, before their libraries unload.
  ~ModuleHost();
  ModuleHost(const ModuleHost&) = delete;
  ModuleHost& operator=(const ModuleHost&) = delete;

  // The migrations every module ships, in start order.
  std::vector<ModuleMigrations> Migrations() const;
  // Creates every module instance and lets it register services (with the
  // roles allowed per method, recorded in `access`) and routes.
  // Marks modules as run by another kartond: module -> its HOST:PORT
  // (remote_modules.h). Before CreateAndRegister; throws for a module not
  // among those loaded.
  void RunRemotely(const std::map<std::string, std::string>& address_by_module);
  // What registering remote modules takes: the relay their calls go
  // through, and a channel to a remote kartond's address.
  struct RemoteParts {
    RemoteModuleProxy* proxy = nullptr;
    std::function<std::shared_ptr<grpc::Channel>(const std::string& address)> channel_to;
  };
  void CreateAndRegister(AccessControl& access, const RemoteParts& remote_parts);
  void CreateAndRegister(AccessControl& access) { CreateAndRegister(access, RemoteParts{}); }
  // What ModuleContext::PublicUrl() answers; set once the HTTP server is
  // bound, before StartAll().
  void SetPublicUrl(std::string url) { public_url_ = std::move(url); }
  // Starts every module in order. If one throws, it is marked failed and the
  // error rethrown naming it; the caller then stops the servers and calls
  // StopAll(), which stops the modules already started, in reverse.
  void StartAll();
  // For `kartond --demo`: each module whose demo data is not yet in the
  // database loads it, in one transaction per module.
  void LoadDemoData();
  // Stops the started modules in reverse order. Idempotent.
  void StopAll() noexcept;

  std::vector<ModuleStatus> Snapshot() const;

 private:
  class Context;
  struct Entry;

  void SetState(Entry& entry, ModuleState state);

  Database& database_;
  GrpcHost& grpc_host_;
  HttpRouter& http_router_;
  const Clock& clock_;
  JobQueue& jobs_;
  EventBus& events_;
  AuditLog& audit_;
  std::map<std::string, std::map<std::string, std::string>> module_options_;
  std::string public_url_;
  // Extension offers, filled while modules register (read-only after).
  std::multimap<std::string, ExtensionOffer> extensions_;
  std::vector<std::unique_ptr<Entry>> entries_;
  mutable std::mutex state_mutex_;
};

}  // namespace karton::kernel
