// kartond through PgBouncer in session mode (docs/scaling.md, "A connection
// pooler"): Debian's pgbouncer, started by the test in front of the shared
// throwaway PostgreSQL, is the only database address kartond gets. Proves
// the recipe the docs give: the `options` startup parameter ignored by
// PgBouncer and the same settings put on the role instead; migrations
// (advisory locks) at start and at a restart; prepared statements on the
// hot paths on every pooled connection; LISTEN for the event bus, with the
// fallback poll set to ten minutes so that only a notification can have
// woken delivery; a restart that reuses PgBouncer's server connections.
#include <fcntl.h>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "http_recorder.h"
#include "karton/kernel/v1/webhook_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "temporary_directory.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace pv1 = karton::partners::v1;

constexpr const char* kPgBouncer = "/usr/sbin/pgbouncer";

// "key=value key=value" (a throwaway cluster's conninfo) as a map.
std::map<std::string, std::string> ConninfoFields(const std::string& conninfo) {
  std::map<std::string, std::string> fields;
  std::istringstream words(conninfo);
  for (std::string word; words >> word;) {
    const auto equals = word.find('=');
    if (equals != std::string::npos) fields[word.substr(0, equals)] = word.substr(equals + 1);
  }
  return fields;
}

// A PgBouncer of the test's own in session mode, in front of one database.
// PgBouncer will not run as root: a test running as root hands it to the
// postgres user (the package's), as the throwaway cluster does.
class PgBouncer {
 public:
  explicit PgBouncer(const std::map<std::string, std::string>& server) : port_(FreeLoopbackPort()) {
    if (::access(kPgBouncer, X_OK) != 0) {
      throw std::runtime_error("no /usr/sbin/pgbouncer: install pgbouncer (tools/setup)");
    }
    database_ = server.at("dbname");
    const auto config_path = directory_.Path() / "pgbouncer.ini";
    std::ofstream(config_path) << fmt::format(
        R"([databases]
{database} = host=127.0.0.1 port={server_port} dbname={database} user={user} password={password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
; Loopback only, and the server login is in [databases]: any client name.
auth_type = any
pool_mode = session
; kartond's connections (8 pooled, 2 for tokens, 1 listener) and more.
default_pool_size = 30
max_client_conn = 100
; libpq sends options=-c TimeZone=UTC -c jit=off for kartond; PgBouncer
; refuses unknown startup parameters, so the role carries them instead.
ignore_startup_parameters = options
server_reset_query = DISCARD ALL
)",
        fmt::arg("database", database_), fmt::arg("server_port", server.at("port")),
        fmt::arg("user", server.at("user")), fmt::arg("password", server.at("password")),
        fmt::arg("port", port_));
    std::filesystem::permissions(directory_.Path(), std::filesystem::perms::others_read |
                                                        std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    std::filesystem::permissions(config_path, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    const std::string log_path = (directory_.Path() / "pgbouncer.log").string();
    log_path_ = log_path;
    std::vector<std::string> arguments = {kPgBouncer};
    if (::geteuid() == 0) {
      if (::getpwnam("postgres") == nullptr) throw std::runtime_error("no postgres user");
      arguments.insert(arguments.end(), {"-u", "postgres"});
    }
    arguments.push_back(config_path.string());
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Gone with the test, whatever ends it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log_fd >= 0) {
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!AcceptsOnLoopback(port_)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("pgbouncer exited at start:\n" + Log());
      }
      if (std::chrono::steady_clock::now() > give_up) {
        throw std::runtime_error("pgbouncer did not listen within 30 s:\n" + Log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  ~PgBouncer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);  // PgBouncer's immediate shutdown
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;

  // What kartond gets: PgBouncer's address, never the server's.
  std::string ConnectionString() const {
    return fmt::format("host=127.0.0.1 port={} dbname={} user=kartond password=unused", port_,
                       database_);
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

 private:
  TemporaryDirectory directory_;
  int port_;
  std::string database_;
  std::string log_path_;
  pid_t pid_ = -1;
};

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

TEST(PgBouncerTest, KartondWorksThroughPgBouncerInSessionMode) {
  const std::string conninfo = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  const auto server = ConninfoFields(conninfo);
  // The settings kartond otherwise sends as startup options, on its role in
  // this database (docs/scaling.md).
  QueryScalar(SharedPostgres().AdminConnectionString(),
              fmt::format("ALTER ROLE {} IN DATABASE \"{}\" SET timezone = 'UTC'",
                          server.at("user"), server.at("dbname")));
  QueryScalar(SharedPostgres().AdminConnectionString(),
              fmt::format("ALTER ROLE {} IN DATABASE \"{}\" SET jit = off", server.at("user"),
                          server.at("dbname")));
  PgBouncer bouncer(server);
  HttpRecorder receiver;
  TemporaryDirectory data_dir;
  const std::vector<std::string> arguments = {
      "--database-url", bouncer.ConnectionString(), "--data-dir", data_dir.Path().string(),
      "--modules-dir", ProductModulesDirectory().string(), "--modules", "partners",
      // Only a notification (LISTEN through PgBouncer) wakes delivery in
      // time: the fallback poll is ten minutes away.
      "--event-poll-ms", "600000", "--webhook-allow-cidr", "127.0.0.1/32"};
  auto kartond = std::make_unique<KartondProcess>(arguments);
  ASSERT_TRUE(kartond->WaitUntilReady()) << kartond->Stderr() << "\n" << bouncer.Log();
  const std::string admin = kartond->AdminToken();
  auto channel = grpc::CreateChannel(kartond->GrpcAddress(), grpc::InsecureChannelCredentials());

  kernel::v1::CreateWebhookRequest hook;
  hook.mutable_webhook()->set_url(receiver.Url());
  hook.mutable_webhook()->add_topics("partners.partner.created");
  kernel::v1::Webhook webhook;
  const auto hooked =
      kernel::v1::WebhookService::NewStub(channel)->CreateWebhook(As(admin).get(), hook, &webhook);
  ASSERT_TRUE(hooked.ok()) << hooked.error_message();

  // Three callers at once: creates and prepared reads on several pooled
  // connections, each read checked against what was written.
  constexpr int kCallers = 3;
  constexpr int kEach = 20;
  std::atomic<int> failures{0};
  std::vector<std::int64_t> ids[kCallers];
  std::vector<std::thread> callers;
  for (int caller = 0; caller < kCallers; ++caller) {
    callers.emplace_back([&, caller] {
      auto partners = pv1::PartnerService::NewStub(channel);
      for (int i = 0; i < kEach; ++i) {
        pv1::CreatePartnerRequest create;
        create.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
        create.mutable_partner()->set_display_name(fmt::format("Pooler {} Kft. {}", caller, i));
        pv1::Partner created;
        if (!partners->CreatePartner(As(admin).get(), create, &created).ok()) {
          ++failures;
          continue;
        }
        ids[caller].push_back(created.id());
        pv1::GetPartnerRequest get;
        get.set_id(created.id());
        pv1::Partner read;
        if (!partners->GetPartner(As(admin).get(), get, &read).ok() ||
            read.display_name() != created.display_name()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : callers) thread.join();
  EXPECT_EQ(failures.load(), 0) << kartond->PostMortem(40);

  // Every creation reached the webhook, woken by NOTIFY.
  EXPECT_TRUE(receiver.WaitForRequests(kCallers * kEach, std::chrono::seconds(60)))
      << receiver.Requests().size() << " of " << kCallers * kEach << "\n"
      << kartond->PostMortem(40);
  std::set<std::string> delivered;
  for (const auto& request : receiver.Requests()) {
    delivered.insert(request.headers.at("karton-event-id"));
  }
  EXPECT_EQ(delivered.size(), static_cast<std::size_t>(kCallers * kEach));

  // A restart through the same PgBouncer: the migrations' advisory lock
  // again, and prepared statements on server connections PgBouncer reset
  // (DISCARD ALL) and hands out again.
  ASSERT_EQ(kartond->StopWith(SIGTERM), 0) << kartond->Stderr();
  kartond = std::make_unique<KartondProcess>(arguments);
  ASSERT_TRUE(kartond->WaitUntilReady()) << kartond->Stderr() << "\n" << bouncer.Log();
  channel = grpc::CreateChannel(kartond->GrpcAddress(), grpc::InsecureChannelCredentials());
  auto partners = pv1::PartnerService::NewStub(channel);
  for (int caller = 0; caller < kCallers; ++caller) {
    for (const auto id : ids[caller]) {
      pv1::GetPartnerRequest get;
      get.set_id(id);
      pv1::Partner read;
      const auto status = partners->GetPartner(As(admin).get(), get, &read);
      ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << kartond->PostMortem(40);
    }
  }
  pv1::ListPartnersRequest list;
  list.set_filter("display_name = \"Pooler 1 Kft. 3\"");
  pv1::ListPartnersResponse listed;
  const auto found = partners->ListPartners(As(admin).get(), list, &listed);
  ASSERT_TRUE(found.ok()) << found.error_message();
  ASSERT_EQ(listed.partners_size(), 1);

  EXPECT_EQ(kartond->StopWith(SIGTERM), 0) << kartond->Stderr();
  EXPECT_EQ(bouncer.Log().find("FATAL"), std::string::npos) << bouncer.Log();
}

}  // namespace
}  // namespace karton::testing
