// gRPC over TLS and mutual TLS, against the real kartond with certificates
// of a throwaway CA made by openssl for each test: a client that trusts the
// CA gets through, one that does not (or speaks plain gRPC) does not; with
// --tls-client-ca only callers with a certificate the CA signed get in; a
// renewed certificate takes over without a restart; without TLS a
// non-loopback address is still refused, saying how to enable TLS.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "kartond_process.h"
#include "temporary_directory.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

using kernel::v1::KernelService;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a shell command in `directory`; the test fails if it does.
void Run(const std::filesystem::path& directory, const std::string& command) {
  const std::string line =
      fmt::format("cd '{}' && {} >/dev/null 2>&1", directory.string(), command);
  ASSERT_EQ(std::system(line.c_str()), 0) << line;
}

// A CA named `name` (name.key, name.crt).
void MakeCa(const std::filesystem::path& directory, const std::string& name) {
  Run(directory, fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN={0}' "
                             "-keyout {0}.key -out {0}.crt",
                             name));
}

// Signed by the CA `name`: a certificate `leaf` for 127.0.0.1 (leaf.key,
// leaf.crt).
void MakeLeaf(const std::filesystem::path& directory, const std::string& name,
              const std::string& leaf) {
  Run(directory, fmt::format("openssl req -newkey rsa:2048 -nodes -subj '/CN={0}' "
                             "-keyout {0}.key -out {0}.csr",
                             leaf));
  Run(directory,
      fmt::format("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > {0}.ext && "
                  "openssl x509 -req -in {0}.csr -CA {1}.crt -CAkey {1}.key -CAcreateserial "
                  "-days 2 -extfile {0}.ext -out {0}.crt",
                  leaf, name));
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    const auto& directory = certificates_.Path();
    ASSERT_NO_FATAL_FAILURE(MakeCa(directory, "ca"));
    ASSERT_NO_FATAL_FAILURE(MakeLeaf(directory, "ca", "server"));
    ASSERT_NO_FATAL_FAILURE(MakeLeaf(directory, "ca", "client"));
    ASSERT_NO_FATAL_FAILURE(MakeCa(directory, "other_ca"));
    ASSERT_NO_FATAL_FAILURE(MakeLeaf(directory, "other_ca", "stranger"));
  }

  std::vector<std::string> Arguments(std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"--database-url", conninfo_,
                                          "--data-dir",     data_dir_.Path().string(),
                                          "--modules-dir",  TestModulesDirectory("good").string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }
  std::string File(const std::string& name) const { return (certificates_.Path() / name).string(); }

  // ListModules over TLS to 127.0.0.1:<port of `kartond`>, trusting
  // `root` (a CA file name, or "" for the system's roots), presenting
  // `identity` (a leaf name) when given.
  grpc::Status ListModules(const KartondProcess& kartond, const std::string& root,
                           const std::string& identity = "") {
    grpc::SslCredentialsOptions options;
    if (!root.empty()) options.pem_root_certs = ReadFile(File(root + ".crt"));
    if (!identity.empty()) {
      options.pem_private_key = ReadFile(File(identity + ".key"));
      options.pem_cert_chain = ReadFile(File(identity + ".crt"));
    }
    return Call(kartond, grpc::SslCredentials(options));
  }

  // curl's answer for GET https://127.0.0.1:<port><path>, trusting `root`
  // (a CA file name): the HTTP status, or "curl exit N" when it got none.
  std::string Https(const KartondProcess& kartond, const std::string& root,
                    const std::string& path) {
    const std::string port = kartond.HttpAddress().substr(kartond.HttpAddress().rfind(':') + 1);
    const auto [exit_code, output] = RunCommand(fmt::format(
        "curl -sS --max-time 5 -o /dev/null -w '%{{http_code}}' --cacert {} https://127.0.0.1:{}{}",
        File(root + ".crt"), port, path));
    return exit_code == 0 ? output : fmt::format("curl exit {}: {}", exit_code, output);
  }

  grpc::Status Call(const KartondProcess& kartond,
                    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
    const std::string port = kartond.GrpcAddress().substr(kartond.GrpcAddress().rfind(':') + 1);
    // A channel of its own each time: no connection (or handshake) reused.
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto stub = KernelService::NewStub(
        grpc::CreateCustomChannel("127.0.0.1:" + port, credentials, arguments));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    context.AddMetadata("authorization", "Bearer " + kartond.AdminToken());
    kernel::v1::ListModulesResponse response;
    return stub->ListModules(&context, {}, &response);
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
  TemporaryDirectory certificates_;
};

TEST_F(TlsTest, ServesClientsThatTrustItsCaOnAnyAddressAndNoOthers) {
  // 0.0.0.0: allowed with TLS only.
  KartondProcess kartond(Arguments({"--grpc-listen", "0.0.0.0:0", "--tls-cert", File("server.crt"),
                                    "--tls-key", File("server.key")}));
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  EXPECT_NE(kartond.Stdout().find("(TLS)"), std::string::npos) << kartond.Stdout();

  const grpc::Status trusted = ListModules(kartond, "ca");
  EXPECT_TRUE(trusted.ok()) << trusted.error_message();
  // A client that does not trust the CA refuses the handshake.
  EXPECT_EQ(ListModules(kartond, "other_ca").error_code(), grpc::StatusCode::UNAVAILABLE);
  // Plain gRPC gets nothing from a TLS port.
  EXPECT_EQ(Call(kartond, grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // HTTP is HTTPS with the same certificate.
  EXPECT_NE(kartond.Stdout().find("HTTP:      https://"), std::string::npos) << kartond.Stdout();
  EXPECT_EQ(Https(kartond, "ca", "/livez"), "200");
  EXPECT_EQ(Https(kartond, "ca", "/notes/count"), "200");
  EXPECT_NE(Https(kartond, "other_ca", "/livez").find("curl exit"), std::string::npos);
  std::string body;
  EXPECT_THROW(HttpGet(kartond.HttpAddress(), "/livez", body), std::runtime_error)
      << "plain HTTP on the HTTPS port answered: " << body;
}

TEST_F(TlsTest, MutualTlsLetsInOnlyCallersWithACertificateTheClientCaSigned) {
  KartondProcess kartond(Arguments({"--tls-cert", File("server.crt"), "--tls-key",
                                    File("server.key"), "--tls-client-ca", File("ca.crt")}));
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  EXPECT_NE(kartond.Stdout().find("(mutual TLS)"), std::string::npos) << kartond.Stdout();

  const grpc::Status with_certificate = ListModules(kartond, "ca", "client");
  EXPECT_TRUE(with_certificate.ok()) << with_certificate.error_message();
  EXPECT_EQ(ListModules(kartond, "ca").error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListModules(kartond, "ca", "stranger").error_code(), grpc::StatusCode::UNAVAILABLE);

  // The command line speaks it too (127.0.0.1: the name the certificate has).
  const std::string port = kartond.GrpcAddress().substr(kartond.GrpcAddress().rfind(':') + 1);
  const std::string karton =
      fmt::format("{} --server 127.0.0.1:{} --data-dir {} --timeout 5",
                  KARTON_TEST_BINARY_DIR "/bin/karton", port, data_dir_.Path().string());
  const auto [mutual_exit, modules] =
      RunCommand(fmt::format("{} --tls-ca {} --tls-cert {} --tls-key {} modules", karton,
                             File("ca.crt"), File("client.crt"), File("client.key")));
  EXPECT_EQ(mutual_exit, 0) << modules;
  EXPECT_NE(modules.find("notes"), std::string::npos) << modules;
  const auto [no_certificate_exit, refused] =
      RunCommand(fmt::format("{} --tls-ca {} modules", karton, File("ca.crt")));
  EXPECT_EQ(no_certificate_exit, 3) << refused;  // unreachable: the handshake fails
  const auto [plain_exit, plain] = RunCommand(karton + " modules");
  EXPECT_EQ(plain_exit, 3) << plain;
}

TEST_F(TlsTest, ARenewedCertificateTakesOverWithoutARestart) {
  const std::filesystem::path live = certificates_.Path() / "live";
  std::filesystem::create_directory(live);
  std::filesystem::copy_file(File("server.crt"), live / "server.crt");
  std::filesystem::copy_file(File("server.key"), live / "server.key");
  KartondProcess kartond(Arguments(
      {"--tls-cert", (live / "server.crt").string(), "--tls-key", (live / "server.key").string()}));
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  ASSERT_TRUE(ListModules(kartond, "ca").ok());
  ASSERT_EQ(Https(kartond, "ca", "/livez"), "200");

  // The operator puts a certificate from another CA in place (key first,
  // then the chain, each by rename, as certificate tools do) and sends
  // SIGHUP; new handshakes present it within a few seconds.
  std::filesystem::copy_file(File("stranger.key"), live / "server.key.new");
  std::filesystem::rename(live / "server.key.new", live / "server.key");
  std::filesystem::copy_file(File("stranger.crt"), live / "server.crt.new");
  std::filesystem::rename(live / "server.crt.new", live / "server.crt");
  ::kill(kartond.Pid(), SIGHUP);
  bool renewed = false;
  for (int attempt = 0; attempt < 60 && !renewed; ++attempt) {
    renewed = ListModules(kartond, "other_ca").ok();
    if (!renewed) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(renewed) << kartond.Stderr();
  EXPECT_EQ(ListModules(kartond, "ca").error_code(), grpc::StatusCode::UNAVAILABLE);
  // HTTPS took the new certificate at the SIGHUP.
  EXPECT_EQ(Https(kartond, "other_ca", "/livez"), "200");
  EXPECT_NE(Https(kartond, "ca", "/livez").find("curl exit"), std::string::npos);
  // Still the same process, still serving.
  EXPECT_EQ(::kill(kartond.Pid(), 0), 0);
}

// Over HTTPS the web client's session cookie is Secure, and the routes that
// plain HTTP keeps to this machine because they take secrets (the gateway,
// sign-in) answer other machines too; /metrics stays on this machine.
TEST_F(TlsTest, OverHttpsTheSessionCookieIsSecureAndTheGatewayServesOtherMachines) {
  KartondProcess kartond(
      Arguments({"--grpc-listen", "0.0.0.0:0", "--http-listen", "0.0.0.0:0", "--tls-cert",
                 File("server.crt"), "--tls-key", File("server.key")}));
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = ReadFile(File("ca.crt"));
  const std::string grpc_port = kartond.GrpcAddress().substr(kartond.GrpcAddress().rfind(':') + 1);
  auto identity = kernel::v1::IdentityService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + grpc_port, grpc::SslCredentials(trust)));
  kernel::v1::CreateUserRequest create;
  create.mutable_user()->set_name("Kiss Réka");
  create.mutable_user()->set_email("reka@example.com");
  create.mutable_user()->add_roles(kernel::v1::ROLE_SALES);
  create.set_password("jelszó-Tavasz-2026");
  kernel::v1::User user;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("authorization", "Bearer " + kartond.AdminToken());
  const grpc::Status created = identity->CreateUser(&context, create, &user);
  ASSERT_TRUE(created.ok()) << created.error_message();

  const std::string port = kartond.HttpAddress().substr(kartond.HttpAddress().rfind(':') + 1);
  const auto [signed_in, headers] = RunCommand(fmt::format(
      "curl -sS --max-time 10 -D - -o /dev/null --cacert {} -H 'Content-Type: application/json' "
      "-d '{{\"email\": \"reka@example.com\", \"password\": \"jelszó-Tavasz-2026\"}}' "
      "https://127.0.0.1:{}/auth/sign-in",
      File("ca.crt"), port));
  ASSERT_EQ(signed_in, 0) << headers;
  EXPECT_NE(headers.find(" 200"), std::string::npos) << headers;
  EXPECT_NE(headers.find("; HttpOnly; SameSite=Strict; Secure"), std::string::npos) << headers;

  // From this machine's own non-loopback address, as another machine would
  // come: the certificate names 127.0.0.1 only, so curl is told not to check
  // it here (the handshake and the route are what is under test).
  const auto [found, addresses] = RunCommand("hostname -I");
  std::istringstream words(addresses);
  std::string outside;
  while (words >> outside &&
         (outside.find(':') != std::string::npos || outside.rfind("127.", 0) == 0)) {
    outside.clear();
  }
  if (found != 0 || outside.empty()) GTEST_SKIP() << "no non-loopback IPv4 address: " << addresses;
  const auto [called, status] = RunCommand(
      fmt::format("curl -sS -k --max-time 10 -o /dev/null -w '%{{http_code}}' "
                  "-H 'Content-Type: application/json' -H 'Authorization: Bearer {}' -d '{{}}' "
                  "https://{}:{}/api/karton.kernel.v1.KernelService/ListModules",
                  kartond.AdminToken(), outside, port));
  EXPECT_EQ(called, 0) << status;
  EXPECT_EQ(status, "200") << "from " << outside;
  // Internals stay on this machine whatever the transport.
  const auto [scraped, metrics_status] = RunCommand(fmt::format(
      "curl -sS -k --max-time 10 -o /dev/null -w '%{{http_code}}' https://{}:{}/metrics", outside,
      port));
  EXPECT_EQ(scraped, 0) << metrics_status;
  EXPECT_EQ(metrics_status, "403");
}

TEST_F(TlsTest, WithoutTlsANonLoopbackAddressIsRefusedSayingHowToEnableIt) {
  KartondProcess kartond(Arguments({"--grpc-listen", "0.0.0.0:0"}));
  EXPECT_NE(kartond.WaitForExit(), 0);
  EXPECT_NE(kartond.Stderr().find("--tls-cert and --tls-key"), std::string::npos)
      << kartond.Stderr();
}

TEST_F(TlsTest, RefusesHalfATlsConfiguration) {
  KartondProcess key_missing(Arguments({"--tls-cert", File("server.crt")}));
  EXPECT_EQ(key_missing.WaitForExit(), 2);
  EXPECT_NE(key_missing.Stderr().find("--tls-cert and --tls-key go together"), std::string::npos)
      << key_missing.Stderr();
  KartondProcess unreadable(
      Arguments({"--tls-cert", File("server.crt"), "--tls-key", File("no-such.key")}));
  EXPECT_EQ(unreadable.WaitForExit(), 2);
  EXPECT_NE(unreadable.Stderr().find("--tls-key"), std::string::npos) << unreadable.Stderr();
}

}  // namespace
}  // namespace karton::testing
