#include "grpc_host.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <thread>

#include "database_unavailable.h"
#include "karton/kernel/callback_calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "metrics.h"

namespace karton::kernel {
namespace {

std::optional<std::chrono::system_clock::time_point> DeadlineOf(
    const grpc::ServerContextBase& context) {
  const auto deadline = context.deadline();
  // gRPC reports "no deadline" as the largest time point.
  return deadline == std::chrono::system_clock::time_point::max() ? std::nullopt
                                                                  : std::optional(deadline);
}

// Tells the database pool the deadline of the call a handler thread serves,
// so that a call waiting for a connection gives up in time to answer
// RESOURCE_EXHAUSTED itself (database.h). gRPC runs these right before and
// after each synchronous handler, on the handler's thread, for network and
// in-process calls alike.
class ServedCallHooks : public grpc::Server::GlobalCallbacks {
 public:
  void PreSynchronousRequest(grpc::ServerContext* context) override {
    SetServedCallDeadline(DeadlineOf(*context));
  }
  void PostSynchronousRequest(grpc::ServerContext*) override {
    SetServedCallDeadline(std::nullopt);
  }
};

// gRPC takes the global callbacks once, when the process's first server is
// built, and aborts if they are set twice or after that: so they are set
// when this library loads, before any server of any test or program using
// it exists.
[[maybe_unused]] const bool kServedCallHooksInstalled = [] {
  grpc::Server::SetGlobalCallbacks(new ServedCallHooks);  // gRPC owns it
  return true;
}();

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

// One instance per call: the constructor runs when the call arrives, the
// status hook when its answer leaves, so together they time the call.
class CallLogInterceptor : public grpc::experimental::Interceptor {
 public:
  CallLogInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics& metrics,
                     GrpcHost::CallCounters& calls,
                     const GrpcHost::CallerResolver& caller_for_token)
      : caller_for_token_(caller_for_token),
        info_(info),
        method_(info->method()),
        stats_(metrics.GrpcMethod(method_)),
        calls_(calls),
        started_(std::chrono::steady_clock::now()) {
    calls_.in_flight.fetch_add(1);
  }
  // gRPC destroys the interceptor when the call is over.
  ~CallLogInterceptor() override {
    if (refused_while_draining_) calls_.refused_in_flight.fetch_sub(1);
    calls_.in_flight.fetch_sub(1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      AttachCaller(methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      // A refused call's handler ran as nobody; its answer is the refusal.
      if (refusal_) methods->ModifySendStatus(*refusal_);
      const grpc::Status status = methods->GetSendStatus();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      stats_.Observe(static_cast<int>(status.error_code()), seconds);
      Log(status, seconds);
    }
    methods->Proceed();
  }

 private:
  // The server context is attached only after the interceptor is created,
  // so the peer is read when the call ends.
  std::string Peer() const {
    return info_->server_context() != nullptr ? info_->server_context()->peer() : "";
  }

  // A network call that the token processor admitted gets the caller of
  // that verdict as karton-caller metadata, which is where CallerOf reads
  // it. (The auth context cannot carry it: gRPC shares that per
  // connection.) Fail closed: a call with no verdict to hand on keeps no
  // caller, so its handler sees nobody, which has no rights, and the call is
  // cancelled so that no answer leaves.
  void AttachCaller(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    if (metadata == nullptr || info_->server_context() == nullptr) return;
    const auto network =
        info_->server_context()->auth_context()->FindPropertyValues("karton.network");
    if (network.empty()) return;  // in-process: the forwarded caller stays
    // Health and reflection pass the processor without a token.
    if (method_.rfind("/grpc.health.v1.", 0) == 0 || method_.rfind("/grpc.reflection.", 0) == 0) {
      return;
    }
    if (calls_.draining.load()) {
      // Shutting down: a network call that arrives now is not accepted. It
      // runs as nobody (so its handler writes nothing) and is answered
      // UNAVAILABLE, which clients retry, and the drain waits only for the
      // calls accepted before. In-process calls (above) still go through:
      // a draining call may need another module.
      refusal_ = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "kartond is shutting down; call again (another replica, or this "
                              "one once it has restarted)");
      refused_while_draining_ = true;
      calls_.refused_in_flight.fetch_add(1);
      return;
    }
    const auto authorization = metadata->find("authorization");
    std::optional<std::string> caller;
    if (authorization != metadata->end()) {
      auto hand_off = caller_for_token_(
          std::string_view(authorization->second.data(), authorization->second.size()), method_);
      if (!hand_off.refusal.ok()) {
        // Answered with the refusal, details and all; the handler cannot
        // be skipped from here, so it runs as nobody, which has no rights.
        refusal_ = std::move(hand_off.refusal);
        return;
      }
      caller = std::move(hand_off.caller);
    }
    if (!caller) {
      spdlog::warn(
          "grpc method={} peer={}: no admitted caller to hand on; the call runs as "
          "nobody and is cancelled",
          method_, Peer());
      info_->server_context()->TryCancel();
      return;
    }
    caller_value_ = std::move(*caller);
    metadata->emplace(grpc::string_ref(kCallerKey), grpc::string_ref(caller_value_));
    user_ = caller_value_.substr(0, caller_value_.find(';'));
  }

  // "-" for calls with no user (health, in-process calls of kartond itself).
  std::string User() const { return user_.empty() ? "-" : user_; }

  // One line per call that failed or took long (info; warn for the codes
  // that mean a fault of ours), and per successful call at debug level.
  // Nothing is formatted for a line the level leaves out: at the default
  // level a successful call costs the log nothing.
  void Log(const grpc::Status& status, double seconds) const {
    const auto code = status.error_code();
    const bool fault = code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
                       code == grpc::StatusCode::DATA_LOSS;
    spdlog::level::level_enum level = spdlog::level::debug;
    if (fault) {
      level = spdlog::level::warn;
    } else if (!status.ok() || seconds >= kSlowCallSeconds) {
      level = spdlog::level::info;
    }
    // Health checks are polled constantly; logging each would drown the log.
    if (!spdlog::default_logger_raw()->should_log(level) ||
        method_.rfind("/grpc.health.v1.", 0) == 0) {
      return;
    }
    spdlog::log(level, "grpc method={} status={} duration_ms={:.3f} user={} peer={}{}", method_,
                StatusCodeName(code), seconds * 1000, User(), Peer(), ErrorForLog(status));
  }

  // What the log keeps of a failed call's answer. The messages of refusals
  // about the request (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
  // FAILED_PRECONDITION, OUT_OF_RANGE) may quote what the caller sent: an
  // email address, an external id, a phone number. The caller has them in
  // the answer; the log gets the fields an INVALID_ARGUMENT named, never the
  // text. The other codes' messages are the kernel's or a fault's own words.
  static std::string ErrorForLog(const grpc::Status& status) {
    switch (status.error_code()) {
      case grpc::StatusCode::OK:
        return "";
      case grpc::StatusCode::INVALID_ARGUMENT: {
        const auto violations = FieldViolationsOf(status);
        if (violations.empty()) return "";
        // A plain loop, not views::transform: clang 14 (the fuzz build)
        // cannot compile libstdc++ 12's ranges.
        std::vector<std::string> fields;
        for (const auto& violation : violations) fields.push_back(violation.field);
        return fmt::format(" fields=\"{}\"", fmt::join(fields, ","));
      }
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::ALREADY_EXISTS:
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::OUT_OF_RANGE:
        return "";
      default:
        return fmt::format(" error=\"{}\"", status.error_message());
    }
  }

  static constexpr double kSlowCallSeconds = 1.0;

  static constexpr const char* kCallerKey = "karton-caller";
  const GrpcHost::CallerResolver& caller_for_token_;
  // Owned here: the metadata map only refers to it, for the call's life.
  std::string caller_value_;
  std::string user_;
  std::optional<grpc::Status> refusal_;

  grpc::experimental::ServerRpcInfo* info_;
  std::string method_;
  Metrics::GrpcMethodStats& stats_;
  GrpcHost::CallCounters& calls_;
  bool refused_while_draining_ = false;
  std::chrono::steady_clock::time_point started_;
};

// Watches the in-process channel for connection hazards (database.h): a
// call started by a thread that holds a pooled connection, which the callee
// may need. It looks at each call as it starts and adds no interceptor.
class ConnectionHazardDetector : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  ConnectionHazardDetector(std::atomic<std::uint64_t>& hazards, bool abort_on_hazard)
      : hazards_(hazards), abort_on_hazard_(abort_on_hazard) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    const int held = ConnectionsHeldByThisThread();
    if (held == 0) return nullptr;
    hazards_.fetch_add(1);
    const std::string message = fmt::format(
        "connection hazard: {} was called by a thread that holds {} database connection(s); "
        "release the lease before calling another module (karton/kernel/database.h)",
        info->method(), held);
    if (abort_on_hazard_) {
      spdlog::critical("{}", message);
      spdlog::default_logger()->flush();
      std::fprintf(stderr, "%s\n", message.c_str());  // wherever the log goes
      std::abort();
    }
    spdlog::error("{}", message);
    return nullptr;
  }

 private:
  std::atomic<std::uint64_t>& hazards_;
  const bool abort_on_hazard_;
};

// Debug builds abort on a connection hazard; release builds count and log
// it. KARTON_ABORT_ON_CONNECTION_HAZARD=1 aborts in any build (the test
// suites set it), =0 only counts and logs.
bool AbortOnConnectionHazard() {
  const char* setting = std::getenv("KARTON_ABORT_ON_CONNECTION_HAZARD");
  if (setting != nullptr && *setting != '\0') return std::string_view(setting) == "1";
#ifndef NDEBUG
  return true;
#else
  return false;
#endif
}

class CallLogInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallLogInterceptorFactory(Metrics& metrics, GrpcHost::CallCounters& calls,
                            const GrpcHost::CallerResolver& caller_for_token)
      : metrics_(metrics), calls_(calls), caller_for_token_(caller_for_token) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // gRPC takes ownership of the returned interceptor.
    return std::make_unique<CallLogInterceptor>(info, metrics_, calls_, caller_for_token_)
        .release();
  }

 private:
  Metrics& metrics_;
  GrpcHost::CallCounters& calls_;
  const GrpcHost::CallerResolver& caller_for_token_;
};

}  // namespace

ServedCallDeadline::ServedCallDeadline(const grpc::ServerContextBase& context) {
  SetServedCallDeadline(DeadlineOf(context));
}

ServedCallDeadline::~ServedCallDeadline() { SetServedCallDeadline(std::nullopt); }

GrpcHost::GrpcHost(Metrics& metrics) : metrics_(metrics) {}

GrpcHost::~GrpcHost() { Shutdown(std::chrono::milliseconds(0)); }

void GrpcHost::AddService(grpc::Service& service, std::string full_name) {
  if (server_) throw std::logic_error("gRPC services must be added before the server starts");
  services_.emplace_back(&service, std::move(full_name));
}

void GrpcHost::Start(const std::string& listen_address,
                     std::shared_ptr<grpc::AuthMetadataProcessor> authenticator,
                     CallerResolver caller_for_token, const Tls& tls) {
  caller_for_token_ = std::move(caller_for_token);
  const auto colon_at = listen_address.rfind(':');
  const std::string host = listen_address.substr(0, colon_at);
  const bool with_tls = !tls.cert_file.empty();
  if (!with_tls && host != "127.0.0.1" && host != "localhost" && host != "[::1]" &&
      host.rfind("127.", 0) != 0) {
    throw std::runtime_error(fmt::format(
        "--grpc-listen {}: without TLS kartond serves gRPC on loopback addresses only, so bearer "
        "tokens never cross a network in clear text; give --tls-cert and --tls-key (and "
        "--tls-client-ca for mutual TLS) to listen on other addresses",
        listen_address));
  }
  grpc::EnableDefaultHealthCheckService(true);
  // Server reflection is added by linking gRPC's reflection library into
  // kartond (it registers itself at load time). The kernel library does not
  // link it, so test programs can define their own reflection client types
  // without clashing descriptors.

  grpc::ServerBuilder builder;
  // gRPC enables SO_REUSEPORT by default, which would let a second kartond
  // bind the same port silently and steal half the calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The largest request one unary call may carry; gRPC's default is 4 MiB.
  // MessagingService/SendMessage takes an email's attachments in the
  // request (up to messaging.attachments_max_mib, at most 20 MiB) beside
  // its texts. Files larger than that travel in streams of 1 MiB chunks
  // (PartnerService/UploadDocument).
  constexpr int kMaxRequestBytes = 32 * 1024 * 1024;
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  int bound_port = 0;
  // Local credentials: plaintext on the wire like insecure ones (any plain
  // gRPC client connects), but unlike them they run an auth metadata
  // processor, and they refuse peers that are not on this machine.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (with_tls) {
    // gRPC's file watcher re-reads the files every kTlsRefreshSeconds and
    // swaps them in for new handshakes when they changed; connections
    // already open keep theirs.
    auto certificates = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        tls.key_file, tls.cert_file, tls.client_ca_file, kTlsRefreshSeconds);
    grpc::experimental::TlsServerCredentialsOptions options(certificates);
    options.watch_identity_key_cert_pairs();
    if (tls.client_ca_file.empty()) {
      options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    } else {
      options.watch_root_certs();
      options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    }
    credentials = grpc::experimental::TlsServerCredentials(options);
  } else {
    credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  }
  credentials->SetAuthMetadataProcessor(std::move(authenticator));
  builder.AddListeningPort(listen_address, credentials, &bound_port);
  for (auto& [service, name] : services_) builder.RegisterService(service);
  if (fallback_service_ != nullptr) builder.RegisterCallbackGenericService(fallback_service_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(
      std::make_unique<CallLogInterceptorFactory>(metrics_, calls_, caller_for_token_));
  builder.experimental().SetInterceptorCreators(std::move(factories));

  server_ = builder.BuildAndStart();
  if (!server_ || bound_port == 0) {
    server_.reset();
    throw std::runtime_error(
        fmt::format("cannot listen for gRPC on {}: the address is in use or not available here",
                    listen_address));
  }
  const auto colon = listen_address.rfind(':');
  bound_address_ = fmt::format("{}:{}", listen_address.substr(0, colon), bound_port);

  SetServing(false);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> watchers;
  watchers.push_back(
      std::make_unique<ConnectionHazardDetector>(connection_hazards_, AbortOnConnectionHazard()));
  in_process_channel_ = server_->experimental().InProcessChannelWithInterceptors(
      grpc::ChannelArguments(), std::move(watchers));
}

void GrpcHost::SetServing(bool serving) {
  if (!server_) return;
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(serving);
  for (const auto& [service, name] : services_) health->SetServingStatus(name, serving);
}

std::string GrpcHost::BoundAddress() const { return bound_address_; }

std::shared_ptr<grpc::Channel> GrpcHost::InProcessChannel() { return in_process_channel_; }

void GrpcHost::Shutdown(std::chrono::milliseconds grace) {
  if (!server_ || shut_down_) return;
  shut_down_ = true;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  server_->GetHealthCheckService()->Shutdown();
  // grpc::Server::Shutdown cancels in-process calls at once (the in-process
  // transport treats the server's GOAWAY as a close), so drain first: a call
  // in flight may itself be waiting on a call to another module. New network
  // calls are refused meanwhile (UNAVAILABLE): under steady load the calls
  // in flight would otherwise never reach zero, and the final Shutdown
  // below would cancel calls that had been accepted.
  calls_.draining = true;
  while (calls_.in_flight.load() - calls_.refused_in_flight.load() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The drain above was the grace period. What runs now is cancelled at
  // once: gRPC would otherwise keep waiting on idle client connections too
  // (seen: up to 5 s per open channel).
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  server_->Wait();
}

}  // namespace karton::kernel
