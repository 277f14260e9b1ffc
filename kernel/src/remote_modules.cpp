#include "remote_modules.h"

#include <fmt/format.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/server_callback.h>
#include <sodium.h>

#include <charconv>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "access_control.h"

namespace karton::kernel {
namespace {

constexpr std::string_view kVersion = "v1";

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

std::string ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{} {}: cannot read the file", what, path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = text.find(' ', start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// Metadata a relayed call does not carry over: gRPC's own and the
// transport's (":path", "grpc-timeout", "content-type", ...), and who the
// call is from, which the peer credential states instead.
bool IsRelayedMetadata(std::string_view key) {
  return !key.empty() && key.front() != ':' && key.rfind("grpc-", 0) != 0 &&
         key != "authorization" && key != "karton-caller" && key != "content-type" && key != "te" &&
         key != "user-agent" && key != "host";
}

// One relayed call: the server side (a call this kartond received) and the
// client side (the same call to the kartond that serves the module), with
// messages passed on as they come. Each side has at most one read and one
// write outstanding: a message read on one side is written to the other,
// and the next is read once that write is done, so gRPC's flow control
// reaches from the caller to the callee.
//
// Lifetime. gRPC's callback API owns a reactor from CreateReactor() to
// OnDone(); the object deletes itself once both sides are done, and the
// server side is finished only from the client side's end. So a client
// operation started after the client side's OnDone would touch a deleted
// object. The client reactor is therefore held (gRPC defers its OnDone)
// for as long as the relay may start client operations: until the
// callee's stream has ended and no start is under way. Without the hold, a
// callee answering while the caller's copy of the answer was still being
// written let the client side end between that write's completion and the
// next client read, and the read ran on a freed relay ("pure virtual
// method called" under load).
class RelayedCall final : public grpc::ServerGenericBidiReactor {
 public:
  RelayedCall(grpc::GenericCallbackServerContext& server_context,
              const std::shared_ptr<grpc::Channel>& channel, std::string authorization)
      : client_(*this) {
    // gRPC reports "no deadline" as a time far in the future.
    if (server_context.deadline() <
        std::chrono::system_clock::now() + std::chrono::hours(24 * 365)) {
      client_context_.set_deadline(server_context.deadline());
    }
    for (const auto& [key, value] : server_context.client_metadata()) {
      const std::string_view name(key.data(), key.size());
      if (IsRelayedMetadata(name)) {
        client_context_.AddMetadata(std::string(name), std::string(value.data(), value.size()));
      }
    }
    client_context_.AddMetadata("authorization", authorization);
    grpc::GenericStub stub(channel);
    stub.PrepareBidiStreamingCall(&client_context_, server_context.method(), grpc::StubOptions(),
                                  &client_);
    client_.AddHold();
    client_.StartRead(&response_);
    client_.StartCall();
    StartRead(&request_);
  }

  // Server side: a message from the caller, or its half-close.
  void OnReadDone(bool ok) override {
    if (!BeginClientOperation()) return;  // the callee has answered: nothing more to pass on
    if (ok) {
      client_.StartWrite(&request_);
    } else {
      client_.StartWritesDone();
    }
    EndClientOperation();
  }
  // Server side: a message from the callee has reached the caller.
  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    {
      std::lock_guard lock(mutex_);
      server_write_pending_ = false;
      if (client_done_) finish = final_status_;
    }
    if (finish) {
      Finish(*finish);
      return;
    }
    if (!ok) client_context_.TryCancel();  // the caller is gone; the read below ends the call
    // The callee's stream cannot have ended while its last message was
    // being written here (no client read was outstanding), so the hold
    // still stands.
    if (BeginClientOperation()) {
      client_.StartRead(&response_);
      EndClientOperation();
    }
  }
  void OnCancel() override { client_context_.TryCancel(); }
  void OnDone() override { Release(); }

 private:
  class Client final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    explicit Client(RelayedCall& call) : call_(call) {}
    // A message from the caller has reached the callee: read the next.
    void OnWriteDone(bool ok) override {
      if (ok) call_.StartRead(&call_.request_);
    }
    // A message from the callee: pass it on. Or the end of its stream: no
    // client operation is needed any more, so the hold goes.
    void OnReadDone(bool ok) override {
      if (!ok) {
        call_.CalleeStreamEnded();
        return;  // OnDone brings the callee's status
      }
      {
        std::lock_guard lock(call_.mutex_);
        call_.server_write_pending_ = true;
      }
      call_.StartWrite(&call_.response_);
    }
    void OnDone(const grpc::Status& status) override {
      bool finish_now = false;
      {
        std::lock_guard lock(call_.mutex_);
        call_.client_done_ = true;
        call_.final_status_ = status;
        finish_now = !call_.server_write_pending_;
      }
      // A write to the caller still under way finishes the call when done.
      if (finish_now) call_.Finish(status);
      call_.Release();
    }

   private:
    RelayedCall& call_;
  };

  // A client operation may start only between these two, and only when
  // BeginClientOperation() says so (the hold still stands).
  bool BeginClientOperation() {
    std::lock_guard lock(mutex_);
    if (client_hold_released_) return false;
    ++client_operations_starting_;
    return true;
  }
  void EndClientOperation() {
    bool release = false;
    {
      std::lock_guard lock(mutex_);
      --client_operations_starting_;
      release = ReleaseClientHoldIfDoneLocked();
    }
    if (release) client_.RemoveHold();
  }
  void CalleeStreamEnded() {
    bool release = false;
    {
      std::lock_guard lock(mutex_);
      callee_stream_ended_ = true;
      release = ReleaseClientHoldIfDoneLocked();
    }
    if (release) client_.RemoveHold();
  }
  bool ReleaseClientHoldIfDoneLocked() {
    if (client_hold_released_ || !callee_stream_ended_ || client_operations_starting_ > 0) {
      return false;
    }
    client_hold_released_ = true;
    return true;
  }

  void Release() {
    bool last = false;
    {
      std::lock_guard lock(mutex_);
      last = ++sides_done_ == 2;
    }
    if (last) delete this;
  }

  grpc::ClientContext client_context_;
  Client client_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::mutex mutex_;
  bool server_write_pending_ = false;
  bool client_done_ = false;
  bool callee_stream_ended_ = false;
  bool client_hold_released_ = false;
  int client_operations_starting_ = 0;
  grpc::Status final_status_;
  int sides_done_ = 0;
};

// A call answered at once, without relaying.
class Refusal final : public grpc::ServerGenericBidiReactor {
 public:
  explicit Refusal(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

RemoteModule ParseRemoteModule(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == text.size()) {
    throw std::invalid_argument(fmt::format(
        "--remote-module '{}' is not NAME=HOST:PORT (e.g. messaging=10.0.0.5:50051)", text));
  }
  RemoteModule remote{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
  const auto colon = remote.address.rfind(':');
  int port = 0;
  const char* port_begin = remote.address.data() + colon + 1;
  const char* port_end = remote.address.data() + remote.address.size();
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(port_begin, port_end, port).ptr != port_end || port <= 0 || port > 65535) {
    throw std::invalid_argument(
        fmt::format("--remote-module {}: '{}' is not HOST:PORT with a port from 1 to 65535",
                    remote.name, remote.address));
  }
  return remote;
}

PeerCredentials::PeerCredentials(std::string_view secret) {
  if (secret.size() < 32) {
    throw std::invalid_argument(
        "the cluster secret must be at least 32 characters (e.g. `openssl rand -hex 32`)");
  }
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  // The key is a hash of the secret's text, so any length of it serves.
  key_.resize(crypto_auth_hmacsha256_KEYBYTES);
  crypto_generichash(key_.data(), key_.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr,
                     0);
}

std::string PeerCredentials::Mac(std::string_view method, std::string_view expiry,
                                 std::string_view caller) const {
  // Each part on a line of its own: none of them contains a newline.
  const std::string signed_text = fmt::format("{}\n{}\n{}\n{}", kVersion, method, expiry, caller);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key_.data(), key_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_text.data()),
                                signed_text.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

std::string PeerCredentials::Sign(const Caller& caller, std::string_view method,
                                  std::chrono::system_clock::time_point now) const {
  const auto expiry = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>((now + kLifetime).time_since_epoch())
          .count());
  const std::string serialized = SerializeCaller(caller);
  return fmt::format("{}{} {} {} {}", kScheme, kVersion, expiry, serialized,
                     Mac(method, expiry, serialized));
}

PeerCredentials::Verdict PeerCredentials::Verify(std::string_view authorization,
                                                 std::string_view method,
                                                 std::chrono::system_clock::time_point now) const {
  if (!IsPeerAuthorization(authorization)) return {std::nullopt, "not a peer credential"};
  const auto parts = SplitSpaces(authorization.substr(kScheme.size()));
  if (parts.size() != 4 || parts[0] != kVersion) {
    return {std::nullopt, "a malformed peer credential"};
  }
  const std::string expected = Mac(method, parts[1], parts[2]);
  if (parts[3].size() != expected.size() ||
      sodium_memcmp(parts[3].data(), expected.data(), expected.size()) != 0) {
    return {std::nullopt,
            "the peer credential's signature does not match: the two kartonds must share "
            "--cluster-secret-file"};
  }
  long long expiry = 0;
  if (std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), expiry).ptr !=
      parts[1].data() + parts[1].size()) {
    return {std::nullopt, "a malformed peer credential"};
  }
  const auto now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (expiry <= now_seconds) {
    return {std::nullopt, "the peer credential has expired (are the two machines' clocks apart?)"};
  }
  if (expiry > now_seconds + (kLifetime + kMaxSkew).count()) {
    return {std::nullopt,
            "the peer credential expires too far ahead (are the two machines' clocks apart?)"};
  }
  auto caller = ParseCaller(parts[2]);
  if (!caller) return {std::nullopt, "a malformed peer credential"};
  return {std::move(caller), {}};
}

std::shared_ptr<grpc::Channel> MakeRemoteChannel(const std::string& address,
                                                 const RemoteChannelOptions& options) {
  grpc::ChannelArguments arguments;
  // As large as what kartond itself accepts (grpc_host.cpp).
  arguments.SetMaxSendMessageSize(32 * 1024 * 1024);
  arguments.SetMaxReceiveMessageSize(-1);
  if (options.ca_file.empty()) {
    const std::string host = address.substr(0, address.rfind(':'));
    if (!IsLoopbackHost(host)) {
      throw std::runtime_error(fmt::format(
          "--remote-module ...={}: plaintext gRPC goes to loopback addresses only; give "
          "--remote-ca (the CA that signed the remote kartond's --tls-cert) to reach another "
          "machine over TLS",
          address));
    }
    // Plaintext on the wire, like the local credentials the remote kartond
    // serves without TLS (which refuse anything but this machine).
    return grpc::CreateCustomChannel(address, grpc::experimental::LocalCredentials(LOCAL_TCP),
                                     arguments);
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(options.ca_file, "--remote-ca");
  if (!options.cert_file.empty()) {
    tls.pem_cert_chain = ReadFile(options.cert_file, "--tls-cert");
    tls.pem_private_key = ReadFile(options.key_file, "--tls-key");
  }
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(tls), arguments);
}

void RemoteModuleProxy::Route(const std::string& service_full_name,
                              std::shared_ptr<grpc::Channel> channel) {
  channels_by_service_[service_full_name] = std::move(channel);
}

grpc::ServerGenericBidiReactor* RemoteModuleProxy::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  // "/karton.messaging.v1.MessagingService/SendMessage"
  const std::string& method = context->method();
  const auto slash = method.find('/', 1);
  const auto it = slash == std::string::npos
                      ? channels_by_service_.end()
                      : channels_by_service_.find(std::string_view(method).substr(1, slash - 1));
  // gRPC's callback API takes ownership of the reactor until its OnDone(),
  // which deletes it: the one place kartond hands gRPC a raw new.
  if (it == channels_by_service_.end()) {
    return new Refusal(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                    fmt::format("{} is not a method this kartond serves", method)));
  }
  // The caller as this kartond's admission (network calls) or the calling
  // module (in-process calls) established it.
  const Caller caller = CallerOfMetadata(context->client_metadata());
  if (caller.IsNobody()) {
    return new Refusal(
        grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the call has no verified caller"));
  }
  return new RelayedCall(*context, it->second,
                         credentials_.Sign(caller, method, std::chrono::system_clock::now()));
}

}  // namespace karton::kernel
