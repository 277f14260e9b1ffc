// Black-box tests of kartond: the real binary on a throwaway PostgreSQL,
// reached over real gRPC and HTTP sockets.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "karton/kernel/module_api.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/notes/v1/notes_service.grpc.pb.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

using kernel::v1::KernelService;
using notes::v1::NotesService;
using notes::v1::NoteStatsService;

std::shared_ptr<grpc::Channel> Connect(const KartondProcess& kartond) {
  return grpc::CreateChannel(kartond.GrpcAddress(), grpc::InsecureChannelCredentials());
}

// A call context with a deadline and, when given, a bearer token.
std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

// As the admin user kartond created at its first start.
std::unique_ptr<grpc::ClientContext> Context(const KartondProcess& kartond) {
  return Context(kartond.AdminToken());
}

class KartondTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }
  std::vector<std::string> Arguments(std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--database-url", conninfo_,
                                          "--data-dir",     data_dir_.Path().string(),
                                          "--modules-dir",  TestModulesDirectory("good").string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
};

TEST_F(KartondTest, ListsModulesInDependencyOrder) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  auto stub = KernelService::NewStub(Connect(kartond));
  kernel::v1::ListModulesResponse response;
  ASSERT_TRUE(stub->ListModules(Context(kartond).get(), {}, &response).ok());
  ASSERT_EQ(response.modules_size(), 3);
  EXPECT_EQ(response.modules(0).name(), "alpha");
  EXPECT_EQ(response.modules(1).name(), "notes");
  EXPECT_EQ(response.modules(1).version(), "1.2.0");
  EXPECT_EQ(response.modules(2).name(), "note_stats");
  ASSERT_EQ(response.modules(2).depends_size(), 1);
  EXPECT_EQ(response.modules(2).depends(0).name(), "notes");
  EXPECT_EQ(response.modules(2).depends(0).min_version(), "1.1.0");
  for (const auto& module : response.modules()) {
    EXPECT_EQ(module.state(), kernel::v1::MODULE_STATE_STARTED) << module.name();
    EXPECT_EQ(module.kernel_api_version(), KARTON_KERNEL_API_VERSION);
  }
}

TEST_F(KartondTest, ServesModuleServicesAndCallsBetweenModulesInProcess) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  auto notes = NotesService::NewStub(Connect(kartond));
  notes::v1::CreateNoteRequest request;
  request.mutable_note()->set_text("Hívja vissza Szegedről");
  notes::v1::Note created;
  ASSERT_TRUE(notes->CreateNote(Context(kartond).get(), request, &created).ok());
  EXPECT_GT(created.id(), 0);

  notes::v1::Note refused;
  request.mutable_note()->clear_text();
  const grpc::Status invalid = notes->CreateNote(Context(kartond).get(), request, &refused);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(invalid.error_message().find("note.text"), std::string::npos);

  // note_stats answers by calling NotesService through the in-process channel.
  auto stats = NoteStatsService::NewStub(Connect(kartond));
  notes::v1::CountNotesResponse counted;
  ASSERT_TRUE(stats->CountNotes(Context(kartond).get(), {}, &counted).ok());
  EXPECT_EQ(counted.count(), 1);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT text FROM notes.note"), "Hívja vissza Szegedről");
}

TEST_F(KartondTest, AnswersHealthOverallAndPerService) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  auto health = grpc::health::v1::Health::NewStub(Connect(kartond));
  for (const std::string service :
       {"", "karton.kernel.v1.KernelService", "karton.notes.v1.NotesService"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(Context(kartond).get(), request, &response).ok()) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  grpc::health::v1::HealthCheckRequest unknown;
  unknown.set_service("karton.nothing.v1.NothingService");
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_EQ(health->Check(Context(kartond).get(), unknown, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(KartondTest, OffersServerReflection) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(Connect(kartond));
  auto context = Context(kartond);
  auto stream = reflection->ServerReflectionInfo(context.get());
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("*");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "karton.kernel.v1.KernelService"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "karton.notes.v1.NotesService"), names.end());
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(KartondTest, ServesHealthzMetricsAndModuleRoutesOverHttp) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  std::string body;
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/healthz", body), 200);
  EXPECT_NE(body.find("\"status\":\"ok\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"note_stats\":\"started\""), std::string::npos) << body;
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/notes/count", body), 200);
  EXPECT_EQ(body, "{\"count\":0}");
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/no/such/page", body), 404);

  auto stub = KernelService::NewStub(Connect(kartond));
  kernel::v1::ListModulesResponse response;
  ASSERT_TRUE(stub->ListModules(Context(kartond).get(), {}, &response).ok());
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/metrics", body), 200);
  EXPECT_NE(body.find("karton_grpc_calls_total{method=\"/karton.kernel.v1.KernelService/"
                      "ListModules\",code=\"OK\"} 1"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("karton_http_requests_total{method=\"GET\",route=\"/notes/count\","
                      "status=\"200\"} 1"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("karton_db_pool_connections_idle"), std::string::npos) << body;
}

// A loopback port nobody listens on right now, for a test that must know
// kartond's HTTP address before kartond says it is ready.
int UnusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// The start-up window: HTTP listens (module routes included) before the
// demo data is in. /readyz and /healthz say 503 all through it, /livez 200;
// the first 200 of /readyz comes with the demo data there.
TEST_F(KartondTest, ReadyzIs503UntilDemoDataIsLoadedWhileLivezAnswersThroughout) {
  const std::string http = fmt::format("127.0.0.1:{}", UnusedLoopbackPort());
  const std::string grpc_address = fmt::format("127.0.0.1:{}", UnusedLoopbackPort());
  ::setenv("KARTON_TEST_NOTES_DEMO_DELAY_MS", "1500", 1);
  KartondProcess kartond(
      Arguments({"--demo", "--http-listen", http, "--grpc-listen", grpc_address}));
  ::unsetenv("KARTON_TEST_NOTES_DEMO_DELAY_MS");
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials()));
  int not_ready = 0, live_while_not_ready = 0, grpc_not_serving = 0;
  std::string ready_body, count_when_ready, healthz_when_not_ready;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string body;
    int status = 0;
    try {
      status = HttpGet(http, "/readyz", body);
    } catch (const std::runtime_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // not listening yet
      continue;
    }
    if (status == 200) {
      ready_body = body;
      HttpGet(http, "/notes/count", count_when_ready);
      break;
    }
    ASSERT_EQ(status, 503) << body;
    ++not_ready;
    std::string live;
    if (HttpGet(http, "/livez", live) == 200) ++live_while_not_ready;
    if (HttpGet(http, "/healthz", body) == 503) healthz_when_not_ready = body;
    grpc::health::v1::HealthCheckResponse serving;
    if (health->Check(Context().get(), {}, &serving).ok() &&
        serving.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING) {
      ++grpc_not_serving;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  EXPECT_GT(not_ready, 0);
  EXPECT_EQ(live_while_not_ready, not_ready);
  EXPECT_GT(grpc_not_serving, 0);
  EXPECT_NE(healthz_when_not_ready.find("not ready"), std::string::npos) << healthz_when_not_ready;
  EXPECT_NE(ready_body.find("\"status\":\"ok\""), std::string::npos) << ready_body;
  EXPECT_EQ(count_when_ready, "{\"count\":3}");
  std::string body;
  EXPECT_EQ(HttpGet(http, "/healthz", body), 200) << body;
  EXPECT_EQ(HttpGet(http, "/livez", body), 200) << body;
}

TEST_F(KartondTest, HealthzIs503WhenTheDatabaseIsGone) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  // The database goes away: new connections are refused and kartond's are
  // cut off from the server side. (Refusing new ones matters: kartond's
  // background work would otherwise heal the pool before /healthz looks.)
  const std::string admin = SharedPostgres().AdminConnectionString();
  const std::string database = DatabaseNameForCurrentTest();
  QueryScalar(admin, "ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
  QueryScalar(admin,
              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                  database + "' AND application_name LIKE 'kartond%'");
  std::string body;
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/healthz", body), 503);
  EXPECT_NE(body.find("\"reason\":\"the database does not answer\""), std::string::npos) << body;
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/readyz", body), 503);
  // Alive all the same: a restart would not bring the database back.
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/livez", body), 200);
  // Broken connections are replaced on their next use: the server recovers.
  QueryScalar(admin, "ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
  std::string recovered;
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    status = HttpGet(kartond.HttpAddress(), "/healthz", recovered);
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200) << recovered;
}

TEST_F(KartondTest, StopsModulesInReverseOrderOnSigtermAndExitsZero) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  EXPECT_EQ(kartond.StopWith(SIGTERM), 0) << kartond.Stderr();
  const std::string log = kartond.Stderr();
  const auto note_stats = log.find("module stopped name=note_stats");
  const auto notes = log.find("module stopped name=notes");
  const auto alpha = log.find("module stopped name=alpha");
  ASSERT_NE(note_stats, std::string::npos) << log;
  ASSERT_NE(notes, std::string::npos) << log;
  ASSERT_NE(alpha, std::string::npos) << log;
  EXPECT_LT(note_stats, notes);
  EXPECT_LT(notes, alpha);
  EXPECT_NE(log.find("shutdown complete"), std::string::npos) << log;
}

TEST_F(KartondTest, DrainsCallsInFlightOnSigterm) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  // A slow call that, after its delay, calls the notes module in process.
  auto stats = NoteStatsService::NewStub(Connect(kartond));
  notes::v1::CountNotesRequest request;
  request.set_delay_ms(1500);
  notes::v1::CountNotesResponse counted;
  auto context = Context(kartond);
  std::future<grpc::Status> call = std::async(
      std::launch::async, [&] { return stats->CountNotes(context.get(), request, &counted); });
  // Wait until kartond reports the call in flight, then ask it to stop.
  std::string metrics;
  for (int attempt = 0; attempt < 500; ++attempt) {
    HttpGet(kartond.HttpAddress(), "/metrics", metrics);
    if (metrics.find("karton_grpc_calls_in_flight 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(metrics.find("karton_grpc_calls_in_flight 1"), std::string::npos) << metrics;
  ::kill(kartond.Pid(), SIGTERM);
  const grpc::Status status = call.get();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(counted.count(), 0);
  EXPECT_EQ(kartond.WaitForExit(), 0) << kartond.Stderr();
}

// SIGTERM under load at concurrency 16: every call either succeeded, and
// its note is in the database, or was not accepted and wrote nothing: one
// that arrived during the drain is refused UNAVAILABLE, one still queued
// inside gRPC when the server stops (its handler never started) ends
// CANCELLED. No accepted call fails.
TEST_F(KartondTest, SigtermUnderLoadFailsNoCallItAccepted) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  const std::string token = kartond.AdminToken();
  const auto channel = Connect(kartond);
  struct Outcome {
    std::string text;
    grpc::StatusCode code;
    std::string message;
  };
  std::mutex mutex;
  std::vector<Outcome> outcomes;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < 16; ++client) {
    clients.emplace_back([&, client] {
      auto notes = NotesService::NewStub(channel);
      // Until the first refusal: by then kartond is going or gone.
      for (int call = 0;; ++call) {
        notes::v1::CreateNoteRequest request;
        request.mutable_note()->set_text(fmt::format("client {} call {}", client, call));
        notes::v1::Note created;
        const grpc::Status status = notes->CreateNote(Context(token).get(), request, &created);
        std::lock_guard lock(mutex);
        outcomes.push_back({request.note().text(), status.error_code(), status.error_message()});
        if (!status.ok()) return;
        ++succeeded;
      }
    });
  }
  while (succeeded.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(kartond.Pid(), SIGTERM);
  for (auto& client : clients) client.join();
  EXPECT_EQ(kartond.WaitForExit(), 0) << kartond.Stderr();

  std::set<std::string> stored;
  {
    const std::string texts =
        QueryScalar(conninfo_, "SELECT string_agg(text, '|') FROM notes.note");
    std::size_t start = 0;
    while (start <= texts.size()) {
      const auto end = std::min(texts.find('|', start), texts.size());
      if (end > start) stored.insert(texts.substr(start, end - start));
      start = end + 1;
    }
  }
  int ok = 0, refused = 0;
  for (const auto& outcome : outcomes) {
    if (outcome.code == grpc::StatusCode::OK) {
      ++ok;
      EXPECT_TRUE(stored.contains(outcome.text)) << outcome.text << " succeeded but is not stored";
      continue;
    }
    ++refused;
    EXPECT_TRUE(outcome.code == grpc::StatusCode::UNAVAILABLE ||
                outcome.code == grpc::StatusCode::CANCELLED)
        << outcome.text << ": " << outcome.code << " " << outcome.message;
    EXPECT_FALSE(stored.contains(outcome.text)) << outcome.text << " failed but was stored";
  }
  EXPECT_GE(ok, 200);
  EXPECT_EQ(refused, 16);
  EXPECT_EQ(stored.size(), static_cast<std::size_t>(ok));
}

TEST_F(KartondTest, SigintIsACleanShutdownToo) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  EXPECT_EQ(kartond.StopWith(SIGINT), 0) << kartond.Stderr();
}

TEST_F(KartondTest, LogsOneLinePerCall) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  auto notes = NotesService::NewStub(Connect(kartond));
  notes::v1::CreateNoteRequest request;
  notes::v1::Note note;
  (void)notes->CreateNote(Context(kartond).get(), request, &note);
  kartond.StopWith(SIGTERM);
  const std::string log = kartond.Stderr();
  const auto line_start = log.find(
      "grpc method=/karton.notes.v1.NotesService/CreateNote "
      "status=INVALID_ARGUMENT duration_ms=");
  ASSERT_NE(line_start, std::string::npos) << log;
  const std::string line = log.substr(line_start, log.find('\n', line_start) - line_start);
  EXPECT_NE(line.find(" peer=ipv4:127.0.0.1:"), std::string::npos) << line;
  // The field it named, not the message: a refusal's text may quote what
  // the caller sent (an address, an external id), which the log must not.
  EXPECT_NE(line.find(" fields=\"note.text\""), std::string::npos) << line;
  EXPECT_EQ(line.find("must not be empty"), std::string::npos) << line;
}

TEST_F(KartondTest, LoadsASubsetWithItsDependencies) {
  KartondProcess kartond(Arguments({"--modules", "note_stats"}));
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  kernel::v1::ListModulesResponse response;
  ASSERT_TRUE(KernelService::NewStub(Connect(kartond))
                  ->ListModules(Context(kartond).get(), {}, &response)
                  .ok());
  ASSERT_EQ(response.modules_size(), 2);
  EXPECT_EQ(response.modules(0).name(), "notes");
  EXPECT_EQ(response.modules(1).name(), "note_stats");
}

TEST_F(KartondTest, LoadsDemoDataOnlyOnce) {
  for (int start = 0; start < 2; ++start) {
    KartondProcess kartond(Arguments({"--demo"}));
    ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
    EXPECT_EQ(kartond.StopWith(SIGTERM), 0);
  }
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM notes.note"), "3");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT string_agg(module, ',' ORDER BY module) "
                        "FROM kernel.demo_data"),
            "alpha,note_stats,notes");
}

TEST_F(KartondTest, TwoServersStartingAtOnceMigrateOnce) {
  TemporaryDirectory second_data_dir;
  KartondProcess first(Arguments());
  auto second_arguments = Arguments();
  second_arguments[3] = second_data_dir.Path().string();
  KartondProcess second(second_arguments);
  ASSERT_TRUE(first.WaitUntilReady()) << first.Stderr();
  ASSERT_TRUE(second.WaitUntilReady()) << second.Stderr();
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.schema_migration "
                        "WHERE module = 'notes'"),
            "1");
}

TEST_F(KartondTest, RefusesToStartWhenAnAppliedMigrationChanged) {
  {
    KartondProcess kartond(Arguments());
    ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  }
  // As if schema/notes/0001_create_note.sql had been edited after release.
  QueryScalar(conninfo_,
              "UPDATE kernel.schema_migration SET checksum = 'abc' WHERE module = 'notes'");
  KartondProcess kartond(Arguments());
  EXPECT_EQ(kartond.WaitForExit(), 1);
  EXPECT_NE(kartond.Stderr().find("kartond: error: migration schema/notes/0001_create_note.sql "
                                  "was changed after it was applied"),
            std::string::npos)
      << kartond.Stderr();
}

TEST_F(KartondTest, FailedMigrationIsRolledBackAndNamed) {
  auto arguments = Arguments();
  arguments[5] = TestModulesDirectory("badmigration").string();
  KartondProcess kartond(arguments);
  EXPECT_EQ(kartond.WaitForExit(), 1);
  const std::string log = kartond.Stderr();
  EXPECT_NE(log.find("kartond: error: migration schema/broken/0002_fail_half_way.sql failed and "
                     "was rolled back: ERROR:  duplicate key"),
            std::string::npos)
      << log;
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT to_regclass('broken.first_table') IS NOT NULL"), "t");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT to_regclass('broken.second_table') IS NULL"), "t");
}

TEST_F(KartondTest, RefusesAPortInUse) {
  KartondProcess first(Arguments());
  ASSERT_TRUE(first.WaitUntilReady()) << first.Stderr();
  TemporaryDirectory other_data_dir;
  auto grpc_clash = Arguments({"--grpc-listen", first.GrpcAddress()});
  grpc_clash[3] = other_data_dir.Path().string();
  KartondProcess second(grpc_clash);
  EXPECT_EQ(second.WaitForExit(), 1);
  EXPECT_NE(
      second.Stderr().find("kartond: error: cannot listen for gRPC on " + first.GrpcAddress()),
      std::string::npos)
      << second.Stderr();

  auto http_clash = Arguments({"--http-listen", first.HttpAddress()});
  http_clash[3] = other_data_dir.Path().string();
  KartondProcess third(http_clash);
  EXPECT_EQ(third.WaitForExit(), 1);
  EXPECT_NE(third.Stderr().find("kartond: error: cannot listen for HTTP on " + first.HttpAddress()),
            std::string::npos)
      << third.Stderr();
}

TEST_F(KartondTest, RefusesATimeZoneTheDatabaseDoesNotKnow) {
  auto arguments = Arguments();
  arguments.insert(arguments.end(), {"--time-zone", "Europe/Budapesht"});
  KartondProcess kartond(arguments);
  EXPECT_EQ(kartond.WaitForExit(), 1);
  EXPECT_NE(kartond.Stderr().find("--time-zone 'Europe/Budapesht' is not a time zone"),
            std::string::npos)
      << kartond.Stderr();
}

TEST_F(KartondTest, RefusesAnUnreachableDatabase) {
  KartondProcess kartond({"--database-url", "host=127.0.0.1 port=1 dbname=x connect_timeout=2",
                          "--data-dir", data_dir_.Path().string(), "--modules-dir",
                          TestModulesDirectory("good").string()});
  EXPECT_EQ(kartond.WaitForExit(), 1);
  EXPECT_NE(kartond.Stderr().find("kartond: error: cannot connect to PostgreSQL"),
            std::string::npos)
      << kartond.Stderr();
}

TEST_F(KartondTest, RefusesAnUnwritableDataDirectory) {
  KartondProcess kartond({"--database-url", conninfo_, "--data-dir", "/proc/karton-cannot-be-here",
                          "--modules-dir", TestModulesDirectory("good").string()});
  EXPECT_EQ(kartond.WaitForExit(), 1);
  EXPECT_NE(kartond.Stderr().find("kartond: error: cannot create data directory /proc/karton"),
            std::string::npos)
      << kartond.Stderr();
}

TEST_F(KartondTest, TheAdminTokenFileIsPrivateAndALinkInItsPlaceIsNotFollowed) {
  // A file left in the data dir with wider permissions is narrowed first.
  const auto token_file = data_dir_.Path() / "admin.token";
  { std::ofstream(token_file) << "stale\n"; }
  std::filesystem::permissions(token_file, std::filesystem::perms(0644));
  {
    KartondProcess kartond(Arguments());
    ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  }
  EXPECT_EQ(std::filesystem::status(token_file).permissions(), std::filesystem::perms(0600));
  std::string token;
  std::getline(std::ifstream(token_file), token);
  EXPECT_NE(token, "stale");

  // A symbolic link planted where the token goes: kartond does not write
  // through it, and no admin is created whose token nobody has.
  TemporaryDirectory elsewhere;
  const auto target = elsewhere.Path() / "stolen";
  { std::ofstream(target) << "untouched\n"; }
  TemporaryDirectory data_dir;
  std::filesystem::create_symlink(target, data_dir.Path() / "admin.token");
  KartondProcess kartond({"--database-url",
                          SharedPostgres().CreateDatabase("t_kartond_admin_token_link"),
                          "--data-dir", data_dir.Path().string(), "--modules-dir",
                          TestModulesDirectory("good").string()});
  EXPECT_EQ(kartond.WaitForExit(), 1);
  EXPECT_NE(kartond.Stderr().find("kartond: error: cannot write the admin token"),
            std::string::npos)
      << kartond.Stderr();
  std::string content;
  std::getline(std::ifstream(target), content);
  EXPECT_EQ(content, "untouched");
}

TEST_F(KartondTest, TheDatabasePasswordMayComeFromAFile) {
  // The throwaway cluster's conninfo ends in "password=<hex> dbname=<name>":
  // take the password out of it and into a file.
  const std::size_t at = conninfo_.find(" password=");
  ASSERT_NE(at, std::string::npos) << conninfo_;
  const std::size_t end = conninfo_.find(' ', at + 1);
  const std::string password = conninfo_.substr(at + 10, end - at - 10);
  const std::string without_password = conninfo_.substr(0, at) + conninfo_.substr(end);
  const auto password_file = data_dir_.Path() / "db.password";
  const auto start = [&](const std::string& url) {
    return std::make_unique<KartondProcess>(std::vector<std::string>{
        "--database-url", url, "--data-dir", data_dir_.Path().string(), "--modules-dir",
        TestModulesDirectory("good").string(), "--database-password-file", password_file.string()});
  };
  { std::ofstream(password_file) << password << "\n"; }
  {
    auto kartond = start(without_password);
    ASSERT_TRUE(kartond->WaitUntilReady()) << kartond->Stderr();
  }
  // The file's password wins over one in the URL, and shows nowhere.
  { std::ofstream(password_file, std::ios::trunc) << "wrong-'pass\\word\n"; }
  auto wrong = start(conninfo_);
  EXPECT_EQ(wrong->WaitForExit(), 1);
  EXPECT_NE(wrong->Stderr().find("password authentication failed"), std::string::npos)
      << wrong->Stderr();
  EXPECT_EQ(wrong->Stderr().find("wrong-"), std::string::npos) << wrong->Stderr();
  EXPECT_EQ(wrong->Stderr().find(password), std::string::npos) << wrong->Stderr();

  { std::ofstream(password_file, std::ios::trunc) << "\n"; }
  auto empty = start(without_password);
  EXPECT_EQ(empty->WaitForExit(), 1);
  EXPECT_NE(empty->Stderr().find("the secret file " + password_file.string() + " is empty"),
            std::string::npos)
      << empty->Stderr();
  TemporaryDirectory embedded_dir;
  KartondProcess embedded({"--data-dir", embedded_dir.Path().string(), "--modules-dir",
                           TestModulesDirectory("good").string(), "--database-password-file",
                           password_file.string()});
  EXPECT_EQ(embedded.WaitForExit(), 1);
  EXPECT_NE(embedded.Stderr().find("--database-password-file needs --database-url"),
            std::string::npos)
      << embedded.Stderr();
}

TEST_F(KartondTest, RefusesAnUnknownOption) {
  KartondProcess kartond({"--colour", "blue"});
  EXPECT_EQ(kartond.WaitForExit(), 2);
  EXPECT_NE(kartond.Stderr().find("--colour"), std::string::npos) << kartond.Stderr();
}

TEST_F(KartondTest, RefusesModuleOptionsNoLoadedModuleDeclares) {
  // Refused while reading the options, before anything starts.
  KartondProcess unknown_key(Arguments({"--module-option", "notes.colour=blue"}));
  EXPECT_EQ(unknown_key.WaitForExit(), 2);
  EXPECT_NE(unknown_key.Stderr().find(
                "--module-option notes.colour: the module notes has no option 'colour' (it has: "
                "none)"),
            std::string::npos)
      << unknown_key.Stderr();
  KartondProcess unknown_module(Arguments({"--module-option", "billing.rate=5"}));
  EXPECT_EQ(unknown_module.WaitForExit(), 1);
  EXPECT_NE(unknown_module.Stderr().find("no module 'billing' is loaded"), std::string::npos)
      << unknown_module.Stderr();
  KartondProcess malformed(Arguments({"--module-option", "notes"}));
  EXPECT_EQ(malformed.WaitForExit(), 2);
}

TEST_F(KartondTest, CommandLineClientListsModules) {
  KartondProcess kartond(Arguments());
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  const std::string karton = std::string(KARTON_TEST_BINARY_DIR) + "/bin/karton --server " +
                             kartond.GrpcAddress() + " --data-dir " +
                             data_dir_.Path().string();  // where it finds the admin token

  const auto [table_exit, table] = RunCommand(karton + " modules");
  EXPECT_EQ(table_exit, 0);
  EXPECT_NE(table.find("NAME"), std::string::npos) << table;
  EXPECT_NE(table.find("note_stats"), std::string::npos) << table;
  EXPECT_NE(table.find("notes>=1.1.0"), std::string::npos) << table;

  const auto [json_exit, json] = RunCommand(karton + " --output json modules");
  EXPECT_EQ(json_exit, 0);
  EXPECT_NE(json.find("\"name\": \"notes\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"state\": \"MODULE_STATE_STARTED\""), std::string::npos) << json;

  const auto [whoami_exit, whoami] = RunCommand(karton + " whoami");
  EXPECT_EQ(whoami_exit, 0);
  EXPECT_NE(whoami.find("user:  Administrator <admin@localhost> (id 1)"), std::string::npos)
      << whoami;
  EXPECT_NE(whoami.find("roles: admin"), std::string::npos) << whoami;

  const auto [bad_exit, bad] = RunCommand(karton + " --token nope whoami 2>&1");
  EXPECT_EQ(bad_exit, 1);
  EXPECT_NE(bad.find("karton: UNAUTHENTICATED from"), std::string::npos) << bad;

  kartond.StopWith(SIGTERM);
  const auto [down_exit, down] = RunCommand(karton + " --timeout 2 modules 2>&1");
  EXPECT_EQ(down_exit, 3) << down;
}

TEST(KartonCli, RefusesBadUsage) {
  const std::string karton = std::string(KARTON_TEST_BINARY_DIR) + "/bin/karton";
  EXPECT_EQ(RunCommand(karton + " --output yaml modules 2>&1").first, 2);
  EXPECT_EQ(RunCommand(karton + " no-such-command 2>&1").first, 2);
}

TEST(KartondEmbedded, RunsItsOwnPostgresAndStopsItOnShutdown) {
  TemporaryDirectory data_dir;
  int port = 0;
  {
    KartondProcess kartond({"--data-dir", data_dir.Path().string(), "--modules-dir",
                            TestModulesDirectory("good").string(), "--demo"});
    ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
    const std::string out = kartond.Stdout();
    const auto at = out.find("embedded PostgreSQL on 127.0.0.1:");
    ASSERT_NE(at, std::string::npos) << out;
    port = std::stoi(out.substr(at + std::string("embedded PostgreSQL on 127.0.0.1:").size()));
    kernel::v1::ListModulesResponse response;
    ASSERT_TRUE(KernelService::NewStub(Connect(kartond))
                    ->ListModules(Context(kartond).get(), {}, &response)
                    .ok());
    EXPECT_EQ(response.modules_size(), 3);
    EXPECT_EQ(kartond.StopWith(SIGTERM), 0) << kartond.Stderr();
    EXPECT_NE(kartond.Stderr().find("embedded PostgreSQL stopped"), std::string::npos);
  }
  const std::string conninfo = fmt::format("host=127.0.0.1 port={} dbname=postgres", port);
  EXPECT_EQ(PQping(conninfo.c_str()), PQPING_NO_RESPONSE);

  // The second start reuses the cluster: the demo notes are still there.
  KartondProcess again({"--data-dir", data_dir.Path().string(), "--modules-dir",
                        TestModulesDirectory("good").string(), "--demo"});
  ASSERT_TRUE(again.WaitUntilReady()) << again.Stderr();
  auto stats = NoteStatsService::NewStub(Connect(again));
  notes::v1::CountNotesResponse counted;
  ASSERT_TRUE(stats->CountNotes(Context(again).get(), {}, &counted).ok());
  EXPECT_EQ(counted.count(), 3);
  EXPECT_EQ(again.StopWith(SIGTERM), 0);
}

TEST(KartondEmbedded, RefusesASecondServerOnTheSameDataDirectory) {
  TemporaryDirectory data_dir;
  KartondProcess first({"--data-dir", data_dir.Path().string(), "--modules-dir",
                        TestModulesDirectory("good").string()});
  ASSERT_TRUE(first.WaitUntilReady()) << first.Stderr();
  KartondProcess second({"--data-dir", data_dir.Path().string(), "--modules-dir",
                         TestModulesDirectory("good").string()});
  EXPECT_EQ(second.WaitForExit(), 1);
  EXPECT_NE(second.Stderr().find("is in use by another kartond"), std::string::npos)
      << second.Stderr();
}

}  // namespace
}  // namespace karton::testing
