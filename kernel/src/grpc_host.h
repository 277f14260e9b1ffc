// The one gRPC server of a kartond process: modules add services to it, the
// kernel adds health, reflection and KernelService, and every call is logged
// and measured by an interceptor.
#pragma once

#include <grpcpp/support/status.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grpc {
class AuthMetadataProcessor;
class CallbackGenericService;
class Channel;
class Server;
class Service;
}  // namespace grpc

namespace karton::kernel {

class Metrics;

class GrpcHost {
 public:
  explicit GrpcHost(Metrics& metrics);
  ~GrpcHost();
  GrpcHost(const GrpcHost&) = delete;
  GrpcHost& operator=(const GrpcHost&) = delete;

  // Before Start() only. The caller keeps `service` alive until Shutdown().
  void AddService(grpc::Service& service, std::string full_name);
  // The service for calls no registered service takes (the relay of remote
  // modules' calls, remote_modules.h). Before Start(); it outlives this.
  void SetFallbackService(grpc::CallbackGenericService* service) { fallback_service_ = service; }
  // Binds "host:port" (port 0 picks a free one) and starts serving; every
  // call from the network passes `authenticator` first. Without TLS the
  // port accepts loopback peers only (gRPC local credentials), so bearer
  // tokens never cross a network in clear text. Throws std::runtime_error
  // naming the address when it cannot be bound, or is not a loopback
  // address and there is no TLS.
  //
  // `caller_for_token` hands the verdict `authenticator` reached for a
  // network call (its `authorization` value and method path) to the
  // handler, as the karton-caller metadata that CallerOf reads. When it has
  // no caller, the call runs as nobody (no rights); it is cancelled, unless
  // it comes with a refusal, which is then the call's answer whatever the
  // handler returns (the processor cannot send details; this can).
  struct HandOff {
    std::optional<std::string> caller;
    grpc::Status refusal;
  };
  using CallerResolver = std::function<HandOff(std::string_view, const std::string&)>;
  // TLS for the port: PEM file paths, all empty for none. With a
  // certificate and key any listen address is allowed; with a client CA,
  // peers must present a certificate it signed. The files are watched and
  // re-read when they change (kTlsRefreshSeconds), so a renewed certificate
  // takes over without a restart or a dropped call.
  struct Tls {
    std::string cert_file;
    std::string key_file;
    std::string client_ca_file;
  };
  static constexpr unsigned kTlsRefreshSeconds = 5;
  void Start(const std::string& listen_address,
             std::shared_ptr<grpc::AuthMetadataProcessor> authenticator,
             CallerResolver caller_for_token, const Tls& tls = {});
  // "host:port" with the port actually bound.
  std::string BoundAddress() const;
  // An in-process channel to this server (no socket, same services, same
  // interceptors). Set by Start() and kept until the host is destroyed, so
  // it is safe to use from any thread; after Shutdown() calls on it fail
  // with UNAVAILABLE.
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // Health for the whole server and every service: NOT_SERVING from Start()
  // until the kernel says every module has started.
  void SetServing(bool serving);
  // Marks everything NOT_SERVING, refuses new network calls (UNAVAILABLE;
  // in-process ones are still taken, so module-to-module calls of a
  // draining call succeed), waits up to `grace` for the calls accepted
  // before to finish, then stops the server and cancels whatever still
  // runs. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);
  // Calls being handled right now.
  int InFlightCalls() const { return calls_.in_flight.load(); }

  // Shared with the per-call interceptors.
  struct CallCounters {
    std::atomic<int> in_flight{0};
    // Network calls that arrived during the drain and are being refused.
    std::atomic<int> refused_in_flight{0};
    std::atomic<bool> draining{false};
  };
  // In-process calls started by a thread that held a pooled database
  // connection (a connection hazard, database.h), since start.
  std::uint64_t ConnectionHazards() const { return connection_hazards_.load(); }

 private:
  Metrics& metrics_;
  CallCounters calls_;
  std::atomic<std::uint64_t> connection_hazards_{0};
  CallerResolver caller_for_token_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  grpc::CallbackGenericService* fallback_service_ = nullptr;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
  std::string bound_address_;
  std::shared_ptr<grpc::Channel> in_process_channel_;
};

}  // namespace karton::kernel
