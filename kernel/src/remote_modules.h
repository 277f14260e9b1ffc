// Modules served by another kartond (--remote-module NAME=HOST:PORT): the
// same binaries, split over processes that share one PostgreSQL.
//
// This kartond loads the module's library but does not run it: the module
// registers as usual (its services' roles, its event topics, its extension
// offers), and every call to one of its services, from a network client or
// from another module over the in-process channel, is relayed to the
// kartond that runs it (RemoteModuleProxy). Its jobs, event subscriptions,
// HTTP routes, migrations and demo data belong to that kartond alone.
//
// The relayed call acts for the same caller. The serving kartond cannot
// check the caller's bearer token (the call arrives from this kartond, and
// in-process calls have none), so this kartond states the caller in a
// peer credential: the caller, the method, and an expiry a minute away,
// signed with HMAC-SHA-256 under the secret both kartonds are given
// (--cluster-secret-file). docs/scaling.md, "Modules in more than one process".
#pragma once

#include <grpcpp/generic/async_generic_service.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/access.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace karton::kernel {

// "NAME=HOST:PORT" of --remote-module.
struct RemoteModule {
  std::string name;
  std::string address;
};
// Throws std::invalid_argument naming what is wrong.
RemoteModule ParseRemoteModule(std::string_view text);

// Signs and checks the callers relayed between kartonds.
class PeerCredentials {
 public:
  // How long a signed caller is believed, and how far in the future an
  // expiry may lie (clock skew between machines) before it is refused.
  static constexpr std::chrono::seconds kLifetime{60};
  static constexpr std::chrono::seconds kMaxSkew{60};
  // The authorization scheme: "Karton-Peer v1 <expiry> <caller> <mac>".
  static constexpr std::string_view kScheme = "Karton-Peer ";

  // `secret`: the shared secret's text, at least 32 characters.
  explicit PeerCredentials(std::string_view secret);

  // The authorization value for calling `method` ("/pkg.Service/Method")
  // as `caller`, valid for kLifetime from `now`.
  std::string Sign(const Caller& caller, std::string_view method,
                   std::chrono::system_clock::time_point now) const;
  // The caller of a peer authorization for `method`, or why it is refused.
  struct Verdict {
    std::optional<Caller> caller;
    std::string refusal;
  };
  Verdict Verify(std::string_view authorization, std::string_view method,
                 std::chrono::system_clock::time_point now) const;

  static bool IsPeerAuthorization(std::string_view authorization) {
    return authorization.substr(0, kScheme.size()) == kScheme;
  }

 private:
  std::string Mac(std::string_view method, std::string_view expiry, std::string_view caller) const;

  std::vector<unsigned char> key_;
};

// How this kartond reaches the kartonds that serve its remote modules.
struct RemoteChannelOptions {
  // PEM roots that sign the remote kartonds' certificates: TLS. Empty:
  // plaintext gRPC, which kartond allows to loopback addresses only.
  std::string ca_file;
  // This kartond's own certificate and key, presented when the remote one
  // asks for a client certificate (mutual TLS).
  std::string cert_file;
  std::string key_file;
};
// Throws std::runtime_error naming the address when plaintext is asked for
// a non-loopback one or a file cannot be read.
std::shared_ptr<grpc::Channel> MakeRemoteChannel(const std::string& address,
                                                 const RemoteChannelOptions& options);

// The generic gRPC service that relays calls of remote modules' services.
// gRPC hands it every call no registered service takes; it relays those of
// the services Route()d and answers UNIMPLEMENTED to the rest. Unary and
// streaming calls alike: messages are relayed as they come, in both
// directions, with the callee's status, details and all.
class RemoteModuleProxy final : public grpc::CallbackGenericService {
 public:
  explicit RemoteModuleProxy(const PeerCredentials& credentials) : credentials_(credentials) {}

  // Routes every method of `service_full_name` ("karton.messaging.v1.
  // MessagingService") to `channel`. Before the gRPC server starts.
  void Route(const std::string& service_full_name, std::shared_ptr<grpc::Channel> channel);
  bool Empty() const { return channels_by_service_.empty(); }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  const PeerCredentials& credentials_;
  std::map<std::string, std::shared_ptr<grpc::Channel>, std::less<>> channels_by_service_;
};

}  // namespace karton::kernel
