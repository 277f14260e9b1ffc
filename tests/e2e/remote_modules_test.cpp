// Modules in more than one kartond (--remote-module; docs/scaling.md):
// partners runs in the front kartond, messaging in another on the same
// database, and each relays calls of the other's module there. The
// messaging tests run across such a pair as MessagingAcrossTwoKartonds
// (messaging_fixture.h); these check what is particular to the relay: how
// it shows, who may call through it, TLS and mutual TLS between the
// kartonds, a relayed caller nobody vouched for, and a remote kartond that
// is gone.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "temporary_directory.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace kv1 = kernel::v1;
namespace mv1 = messaging::v1;
namespace pv1 = partners::v1;

void RunIn(const std::filesystem::path& directory, const std::string& command) {
  const std::string line =
      fmt::format("cd '{}' && {} >/dev/null 2>&1", directory.string(), command);
  ASSERT_EQ(std::system(line.c_str()), 0) << line;
}

class RemoteModulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    secret_ = files_.Path() / "cluster.secret";
    std::ofstream(secret_) << "the secret both kartonds of this test share\n";
  }

  // A certificate for 127.0.0.1 named `name` (name.key, name.crt), signed by
  // the test's throwaway CA (made on first use).
  void MakeCertificate(const std::string& name) {
    const auto& directory = files_.Path();
    if (!std::filesystem::exists(directory / "ca.crt")) {
      ASSERT_NO_FATAL_FAILURE(RunIn(directory,
                                    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
                                    "'/CN=ca' -keyout ca.key -out ca.crt"));
    }
    ASSERT_NO_FATAL_FAILURE(RunIn(directory, fmt::format("openssl req -newkey rsa:2048 -nodes "
                                                         "-subj '/CN={0}' -keyout {0}.key -out "
                                                         "{0}.csr",
                                                         name)));
    ASSERT_NO_FATAL_FAILURE(
        RunIn(directory, fmt::format("printf 'subjectAltName=IP:127.0.0.1' > {0}.ext && openssl "
                                     "x509 -req -in {0}.csr -CA ca.crt -CAkey ca.key "
                                     "-CAcreateserial -days 2 -extfile {0}.ext -out {0}.crt",
                                     name)));
  }
  std::string File(const std::string& name) const { return (files_.Path() / name).string(); }

  enum class Link {
    kPlain,      // plaintext gRPC on loopback
    kTls,        // the messaging kartond serves TLS; the front trusts its CA
    kMutualTls,  // both serve TLS, and the messaging kartond admits only
                 // callers with a certificate its CA signed (--tls-client-ca)
  };

  // The front (partners, relaying messaging) and the messaging kartond
  // (relaying partners), linked as `link` says.
  void StartPair(Link link = Link::kPlain) {
    front_address_ = fmt::format("127.0.0.1:{}", FreeLoopbackPort());
    messaging_address_ = fmt::format("127.0.0.1:{}", FreeLoopbackPort());
    std::vector<std::string> front_tls;
    std::vector<std::string> messaging_tls_options;
    if (link != Link::kPlain) {
      ASSERT_NO_FATAL_FAILURE(MakeCertificate("messaging"));
      front_tls = {"--remote-ca", File("ca.crt")};
      messaging_tls_options = {"--tls-cert", File("messaging.crt"), "--tls-key",
                               File("messaging.key")};
    }
    if (link == Link::kMutualTls) {
      // The front's certificate is its client identity towards messaging
      // (and its own server's); messaging relays partners back over TLS.
      ASSERT_NO_FATAL_FAILURE(MakeCertificate("front"));
      front_tls.insert(front_tls.end(),
                       {"--tls-cert", File("front.crt"), "--tls-key", File("front.key")});
      messaging_tls_options.insert(messaging_tls_options.end(), {"--tls-client-ca", File("ca.crt"),
                                                                 "--remote-ca", File("ca.crt")});
    }
    std::vector<std::string> front_arguments{"--database-url",
                                             conninfo_,
                                             "--data-dir",
                                             front_dir_.Path().string(),
                                             "--modules-dir",
                                             ProductModulesDirectory().string(),
                                             "--modules",
                                             "partners",
                                             "--grpc-listen",
                                             front_address_,
                                             "--remote-module",
                                             "messaging=" + messaging_address_,
                                             "--cluster-secret-file",
                                             secret_.string()};
    front_arguments.insert(front_arguments.end(), front_tls.begin(), front_tls.end());
    front_ = std::make_unique<KartondProcess>(front_arguments);
    ASSERT_TRUE(front_->WaitUntilReady()) << front_->Stderr();
    admin_ = front_->AdminToken();
    if (link == Link::kMutualTls) {
      grpc::SslCredentialsOptions trust;
      std::ifstream ca(File("ca.crt"));
      trust.pem_root_certs.assign(std::istreambuf_iterator<char>(ca), {});
      channel_ = grpc::CreateChannel(front_->GrpcAddress(), grpc::SslCredentials(trust));
    } else {
      channel_ = grpc::CreateChannel(front_->GrpcAddress(), grpc::InsecureChannelCredentials());
    }
    StartMessaging(messaging_tls_options);
  }

  void StartMessaging(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> arguments{"--database-url",
                                       conninfo_,
                                       "--data-dir",
                                       messaging_dir_.Path().string(),
                                       "--modules-dir",
                                       ProductModulesDirectory().string(),
                                       "--modules",
                                       "messaging",
                                       "--grpc-listen",
                                       messaging_address_,
                                       "--remote-module",
                                       "partners=" + front_address_,
                                       "--cluster-secret-file",
                                       secret_.string(),
                                       "--smtp-url",
                                       "smtp://127.0.0.1:1",
                                       "--mail-from",
                                       "noreply@karton.example"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    messaging_ = std::make_unique<KartondProcess>(arguments);
    ASSERT_TRUE(messaging_->WaitUntilReady()) << messaging_->Stderr();
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& token) const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  std::string TokenFor(const std::string& email, kv1::Role role) {
    auto identity = kv1::IdentityService::NewStub(channel_);
    kv1::CreateUserRequest create;
    create.mutable_user()->set_name(email);
    create.mutable_user()->set_email(email);
    create.mutable_user()->add_roles(role);
    kv1::User user;
    EXPECT_TRUE(identity->CreateUser(As(admin_).get(), create, &user).ok());
    kv1::CreateApiTokenRequest request;
    request.set_user_id(user.id());
    kv1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity->CreateApiToken(As(admin_).get(), request, &token).ok());
    return token.token();
  }

  grpc::Status Send(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context,
                    mv1::Message& message) {
    mv1::SendMessageRequest request;
    request.set_channel(mv1::CHANNEL_EMAIL);
    request.set_category(mv1::CATEGORY_TRANSACTIONAL);
    request.mutable_recipient()->set_address("anna@example.com");
    request.set_subject("Számla");
    request.set_text_body("Mellékelve.");
    return mv1::MessagingService::NewStub(channel)->SendMessage(&context, request, &message);
  }

  std::string conninfo_;
  TemporaryDirectory files_;
  TemporaryDirectory front_dir_;
  TemporaryDirectory messaging_dir_;
  std::filesystem::path secret_;
  std::string front_address_;
  std::string messaging_address_;
  std::unique_ptr<KartondProcess> front_;
  std::unique_ptr<KartondProcess> messaging_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string admin_;
};

TEST_F(RemoteModulesTest, TheFrontRelaysAModuleItDoesNotRunWithTheCallersRights) {
  ASSERT_NO_FATAL_FAILURE(StartPair());

  // The front lists messaging as run elsewhere, and where.
  kv1::ListModulesResponse modules;
  ASSERT_TRUE(kv1::KernelService::NewStub(channel_)
                  ->ListModules(As(admin_).get(), kv1::ListModulesRequest(), &modules)
                  .ok());
  bool listed = false;
  for (const auto& module : modules.modules()) {
    if (module.name() != "messaging") continue;
    listed = true;
    EXPECT_EQ(module.state(), kv1::MODULE_STATE_REMOTE);
    EXPECT_EQ(module.remote_address(), messaging_address_);
  }
  EXPECT_TRUE(listed);

  // A message sent through the front is the messaging kartond's, recorded
  // as sent by the caller; the front's partners answer the partner card.
  mv1::Message message;
  const auto sent = Send(channel_, *As(admin_), message);
  ASSERT_TRUE(sent.ok()) << sent.error_message();
  auto direct = grpc::CreateChannel(messaging_->GrpcAddress(), grpc::InsecureChannelCredentials());
  mv1::GetMessageRequest get;
  get.set_id(message.id());
  mv1::Message read;
  ASSERT_TRUE(
      mv1::MessagingService::NewStub(direct)->GetMessage(As(admin_).get(), get, &read).ok());
  EXPECT_EQ(read.address(), "anna@example.com");

  // Roles hold through the relay as in one process: an external partner
  // may not send, and the answer names the method and the roles.
  const std::string external = TokenFor("viszontelado@example.com", kv1::ROLE_EXTERNAL_PARTNER);
  const auto refused = Send(channel_, *As(external), message);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("SendMessage"), std::string::npos)
      << refused.error_message();

  // Bad input comes back with the callee's field violations intact.
  mv1::SendMessageRequest bad;
  bad.set_channel(mv1::CHANNEL_EMAIL);
  bad.set_category(mv1::CATEGORY_TRANSACTIONAL);
  bad.mutable_recipient()->set_address("not an address");
  bad.set_subject("s");
  bad.set_text_body("b");
  const auto invalid =
      mv1::MessagingService::NewStub(channel_)->SendMessage(As(admin_).get(), bad, &message);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(invalid.error_message().find("recipient.address"), std::string::npos)
      << invalid.error_message();
  EXPECT_FALSE(invalid.error_details().empty());
}

TEST_F(RemoteModulesTest, ARelayedCallerNobodyVouchesForIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartPair());
  auto direct = grpc::CreateChannel(messaging_->GrpcAddress(), grpc::InsecureChannelCredentials());
  // Claiming to be kartond itself, with a signature made up.
  grpc::ClientContext forged;
  forged.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  forged.AddMetadata("authorization", "Karton-Peer v1 4102444800 internal " + std::string(64, '0'));
  mv1::Message message;
  const auto status = Send(direct, forged, message);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_NE(status.error_message().find("signature"), std::string::npos) << status.error_message();
}

// Many callers at once, some giving up after a millisecond or two, keep
// every relayed call's two sides in flight together. The relay once freed
// itself while it was still starting a read (the callee answered between
// the caller receiving the answer and the relay reading on): under load the
// front died with "pure virtual method called".
TEST_F(RemoteModulesTest, ManyCallersAndCancellationsAtOnceLeaveTheRelayStanding) {
  ASSERT_NO_FATAL_FAILURE(StartPair());
  mv1::Message message;
  ASSERT_TRUE(Send(channel_, *As(admin_), message).ok());
  constexpr int kCallers = 8;
  constexpr int kCallsEach = 250;
  std::atomic<int> answered{0};
  std::atomic<int> failed_otherwise{0};
  std::vector<std::thread> callers;
  for (int caller = 0; caller < kCallers; ++caller) {
    callers.emplace_back([&, caller] {
      auto stub = mv1::MessagingService::NewStub(channel_);
      mv1::GetMessageRequest get;
      get.set_id(message.id());
      for (int i = 0; i < kCallsEach; ++i) {
        auto context = As(admin_);
        const bool impatient = (i + caller) % 5 == 0;  // gives up within 0-2 ms
        if (impatient) {
          context->set_deadline(std::chrono::system_clock::now() +
                                std::chrono::microseconds(1000 * (i % 3)));
        }
        mv1::Message read;
        const auto status = stub->GetMessage(context.get(), get, &read);
        if (status.ok()) {
          ++answered;
        } else if (!impatient || (status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
                                  status.error_code() != grpc::StatusCode::CANCELLED &&
                                  // no time left to wait for a pooled connection
                                  status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED)) {
          ++failed_otherwise;
          ADD_FAILURE() << status.error_code() << ": " << status.error_message();
          return;
        }
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(failed_otherwise.load(), 0) << "front kartond: " << front_->PostMortem();
  EXPECT_GE(answered.load(), kCallers * kCallsEach * 4 / 5);
  EXPECT_EQ(front_->PostMortem().rfind("still running", 0), 0u) << front_->PostMortem();
  EXPECT_EQ(messaging_->PostMortem().rfind("still running", 0), 0u) << messaging_->PostMortem();
}

TEST_F(RemoteModulesTest, TheKartondsTalkOverTlsAndAGoneOneFailsOnlyItsOwnCalls) {
  ASSERT_NO_FATAL_FAILURE(StartPair(Link::kTls));
  mv1::Message message;
  const auto sent = Send(channel_, *As(admin_), message);
  ASSERT_TRUE(sent.ok()) << sent.error_message();

  // The messaging kartond stops: its calls through the front are
  // UNAVAILABLE, the front's own go on, and the front stays ready.
  messaging_.reset();
  auto context = As(admin_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const auto gone = Send(channel_, *context, message);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::UNAVAILABLE) << gone.error_message();
  pv1::CreatePartnerRequest create;
  create.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  create.mutable_partner()->set_display_name("Kék Kft.");
  pv1::Partner partner;
  const auto created =
      pv1::PartnerService::NewStub(channel_)->CreatePartner(As(admin_).get(), create, &partner);
  EXPECT_TRUE(created.ok()) << created.error_message();
  std::string body;
  EXPECT_EQ(HttpGet(front_->HttpAddress(), "/readyz", body), 200) << body;
  EXPECT_NE(body.find("\"messaging\":\"remote\""), std::string::npos) << body;
}

TEST_F(RemoteModulesTest, OverMutualTlsOnlyAKartondWithACertificateTheCaSignedIsServed) {
  ASSERT_NO_FATAL_FAILURE(StartPair(Link::kMutualTls));
  // The front relays with its certificate; messaging relays partners back
  // (the recipient check) over TLS too.
  mv1::Message message;
  const auto sent = Send(channel_, *As(admin_), message);
  ASSERT_TRUE(sent.ok()) << sent.error_message();

  // A kartond that trusts messaging's CA but has no certificate of its own
  // (and so presents none) gets no further than the handshake, although it
  // knows the cluster secret.
  const std::string stranger_address = fmt::format("127.0.0.1:{}", FreeLoopbackPort());
  TemporaryDirectory stranger_dir;
  KartondProcess stranger({"--database-url", conninfo_, "--data-dir", stranger_dir.Path().string(),
                           "--modules-dir", ProductModulesDirectory().string(), "--modules",
                           "partners", "--grpc-listen", stranger_address, "--remote-module",
                           "messaging=" + messaging_address_, "--cluster-secret-file",
                           secret_.string(), "--remote-ca", File("ca.crt")});
  ASSERT_TRUE(stranger.WaitUntilReady()) << stranger.Stderr();
  auto context = As(admin_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const auto refused = Send(
      grpc::CreateChannel(stranger_address, grpc::InsecureChannelCredentials()), *context, message);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM messaging.message"), "1");
}

TEST_F(RemoteModulesTest, ARemoteModuleWithoutTheSharedSecretIsAStartError) {
  KartondProcess refused({"--database-url", conninfo_, "--data-dir", front_dir_.Path().string(),
                          "--modules-dir", ProductModulesDirectory().string(), "--modules",
                          "partners", "--remote-module", "messaging=127.0.0.1:1"});
  EXPECT_NE(refused.WaitForExit(), 0);
  EXPECT_NE(refused.Stderr().find("--cluster-secret-file"), std::string::npos) << refused.Stderr();
  KartondProcess plaintext_far(
      {"--database-url", conninfo_, "--data-dir", front_dir_.Path().string(), "--modules-dir",
       ProductModulesDirectory().string(), "--modules", "partners", "--remote-module",
       "messaging=10.1.2.3:50051", "--cluster-secret-file", secret_.string()});
  EXPECT_NE(plaintext_far.WaitForExit(), 0);
  EXPECT_NE(plaintext_far.Stderr().find("--remote-ca"), std::string::npos)
      << plaintext_far.Stderr();
}

}  // namespace
}  // namespace karton::testing
