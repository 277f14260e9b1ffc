// Fault tests of the database (issue 20, docs/reliability.md "Fault
// tests"): PostgreSQL stopped and started again under load, an embedded
// cluster restarting itself after a crashed backend, and every pooled
// connection held by calls waiting on a lock. kartond must answer with a
// status that says what happened (UNAVAILABLE, RESOURCE_EXHAUSTED) instead
// of hanging, DEADLINE_EXCEEDED or INTERNAL, report itself not ready while
// the database is gone (/readyz and gRPC health), and recover by itself
// without losing a write it acknowledged or keeping one it refused.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;
using grpc::health::v1::HealthCheckResponse;

std::unique_ptr<grpc::ClientContext> Context(const std::string& token,
                                             std::chrono::seconds deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + deadline);
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

// Every value of the first column of `sql`'s rows.
std::set<std::string> Column(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(conninfo.c_str()), &PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()),
                                                       &PQclear);
  EXPECT_EQ(PQresultStatus(result.get()), PGRES_TUPLES_OK) << PQerrorMessage(connection.get());
  std::set<std::string> values;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    values.insert(PQgetvalue(result.get(), row, 0));
  }
  return values;
}

// Writers creating partners from several threads until told to stop, each
// call with a generous deadline (so a hang would fail the test instead of
// stalling it), every outcome kept.
class Writers {
 public:
  struct Outcome {
    std::string name;
    grpc::StatusCode code;
    std::string message;
  };

  Writers(const std::string& grpc_address, const std::string& token, int threads) {
    const auto channel = grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials());
    for (int writer = 0; writer < threads; ++writer) {
      threads_.emplace_back([this, channel, token, writer] {
        auto partners = pv1::PartnerService::NewStub(channel);
        for (int call = 0; !stop_.load(); ++call) {
          pv1::CreatePartnerRequest request;
          request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
          request.mutable_partner()->set_display_name(fmt::format("Író {} hívás {}", writer, call));
          pv1::Partner created;
          const grpc::Status status = partners->CreatePartner(
              Context(token, std::chrono::seconds(30)).get(), request, &created);
          {
            std::lock_guard lock(mutex_);
            outcomes_.push_back(
                {request.partner().display_name(), status.error_code(), status.error_message()});
            (status.ok() ? ok_ : failed_)++;
          }
          // Failing fast is the point; no need to spin on it.
          if (!status.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    }
  }
  ~Writers() { Stop(); }

  void Stop() {
    stop_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  // Waits until `count` more calls than now have ended with `ok` (true) or
  // not (false); false after two minutes.
  bool WaitForMore(bool ok, int count) {
    const int target = (ok ? ok_.load() : failed_.load()) + count;
    for (int i = 0; i < 12000; ++i) {
      if ((ok ? ok_.load() : failed_.load()) >= target) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::vector<Outcome> Outcomes() {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::mutex mutex_;
  std::vector<Outcome> outcomes_;
  std::vector<std::thread> threads_;
};

// Asks `kartond`'s gRPC health service until it says `wanted` (true) or a
// minute passed (false).
bool HealthBecomes(const KartondProcess& kartond, HealthCheckResponse::ServingStatus wanted) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(kartond.GrpcAddress(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 600; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckResponse response;
    if (health->Check(&context, {}, &response).ok() && response.status() == wanted) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// /readyz until it answers `wanted`; false after a minute.
bool ReadyzBecomes(const KartondProcess& kartond, int wanted) {
  for (int i = 0; i < 600; ++i) {
    std::string body;
    if (HttpGet(kartond.HttpAddress(), "/readyz", body) == wanted) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// What the writers saw: every call that succeeded is stored, every one that
// failed failed UNAVAILABLE. Returns how many failed.
int CheckOutcomes(Writers& writers, const std::string& conninfo) {
  const std::set<std::string> stored =
      Column(conninfo, "SELECT display_name FROM partners.partner");
  int failed = 0, ok = 0;
  for (const auto& outcome : writers.Outcomes()) {
    if (outcome.code == grpc::StatusCode::OK) {
      ++ok;
      EXPECT_TRUE(stored.contains(outcome.name)) << outcome.name << " was acknowledged, then lost";
      continue;
    }
    ++failed;
    EXPECT_EQ(outcome.code, grpc::StatusCode::UNAVAILABLE)
        << outcome.name << ": " << outcome.code << " " << outcome.message;
  }
  // Nothing twice (the names are unique), nothing that nobody sent.
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT count(*) - count(DISTINCT display_name) FROM "
                        "partners.partner"),
            "0");
  EXPECT_LE(stored.size(), static_cast<std::size_t>(ok + failed));
  std::cout << ok << " writes acknowledged, " << failed << " refused" << std::endl;
  return failed;
}

// PostgreSQL (a cluster of the test's own, as an external database) is
// stopped while four clients write, and started again.
TEST(DatabaseOutageTest, APostgresRestartUnderLoadIsUnavailableMeanwhileAndLosesNothing) {
  ThrowawayPostgres postgres;
  const std::string conninfo = postgres.CreateDatabase("outage");
  TemporaryDirectory data_dir;
  KartondProcess kartond({"--database-url", conninfo, "--data-dir", data_dir.Path().string(),
                          "--modules-dir", ProductModulesDirectory().string(), "--modules",
                          "partners", "--event-poll-ms", "200", "--job-poll-ms", "200"});
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  const std::string token = kartond.AdminToken();
  auto partners = pv1::PartnerService::NewStub(
      grpc::CreateChannel(kartond.GrpcAddress(), grpc::InsecureChannelCredentials()));
  Writers writers(kartond.GrpcAddress(), token, 4);
  ASSERT_TRUE(writers.WaitForMore(true, 40));

  postgres.Stop();
  // Calls fail, fast enough that each ends well inside its deadline, and
  // say why: UNAVAILABLE, which clients retry.
  for (int i = 0; i < 5; ++i) {
    pv1::CreatePartnerRequest create;
    create.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
    create.mutable_partner()->set_display_name(fmt::format("Kiesés alatt {}", i));
    pv1::Partner created;
    auto status =
        partners->CreatePartner(Context(token, std::chrono::seconds(30)).get(), create, &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    pv1::ListPartnersRequest list;
    pv1::ListPartnersResponse listed;
    status = partners->ListPartners(Context(token, std::chrono::seconds(30)).get(), list, &listed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  ASSERT_TRUE(writers.WaitForMore(false, 8));
  std::string body;
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/readyz", body), 503);
  EXPECT_NE(body.find("the database does not answer"), std::string::npos) << body;
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/livez", body), 200);
  // gRPC health follows the same readiness: load balancers that ask it
  // stop sending work, and send it again once the database is back.
  EXPECT_TRUE(HealthBecomes(kartond, HealthCheckResponse::NOT_SERVING)) << kartond.Stderr();
  EXPECT_TRUE(kartond.LogShows("gRPC health: NOT_SERVING: the database does not answer"));

  postgres.Start();
  // Back by itself: ready, serving, writing.
  EXPECT_TRUE(ReadyzBecomes(kartond, 200)) << kartond.Stderr();
  EXPECT_TRUE(HealthBecomes(kartond, HealthCheckResponse::SERVING));
  EXPECT_TRUE(kartond.LogShows("gRPC health: SERVING again"));
  ASSERT_TRUE(writers.WaitForMore(true, 40)) << kartond.Stderr();
  writers.Stop();
  EXPECT_GE(CheckOutcomes(writers, conninfo), 8);
  EXPECT_EQ(kartond.StopWith(SIGTERM), 0) << kartond.Stderr();
}

// kartond's embedded PostgreSQL loses a backend to SIGKILL (as the
// out-of-memory killer would do); the postmaster ends every session and
// restarts. kartond goes on by itself, and every acknowledged write stays.
TEST(DatabaseOutageTest, TheEmbeddedPostgresRestartingAfterACrashedBackendLosesNothing) {
  TemporaryDirectory data_dir;
  KartondProcess kartond({"--data-dir", data_dir.Path().string(), "--modules-dir",
                          ProductModulesDirectory().string(), "--modules", "partners",
                          "--event-poll-ms", "200", "--job-poll-ms", "200"});
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  const std::string marker = "embedded PostgreSQL on 127.0.0.1:";
  const auto at = kartond.Stdout().find(marker);
  ASSERT_NE(at, std::string::npos) << kartond.Stdout();
  const int port = std::stoi(kartond.Stdout().substr(at + marker.size()));
  std::string password;
  std::ifstream(data_dir.Path() / "postgres.password") >> password;
  const std::string conninfo =
      fmt::format("host=127.0.0.1 port={} dbname=karton user=karton password={}", port, password);

  Writers writers(kartond.GrpcAddress(), kartond.AdminToken(), 4);
  ASSERT_TRUE(writers.WaitForMore(true, 40));
  const std::string backend = QueryScalar(
      conninfo, "SELECT pid FROM pg_stat_activity WHERE application_name = 'kartond' LIMIT 1");
  ASSERT_FALSE(backend.empty());
  ASSERT_EQ(::kill(std::stoi(backend), SIGKILL), 0);
  // The postmaster noticed: it ended every session and started over.
  std::string log;
  for (int i = 0;
       i < 600 && log.find("all server processes terminated; reinitializing") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(data_dir.Path() / "postgres.log");
    log.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(log.find("all server processes terminated; reinitializing"), std::string::npos) << log;
  ASSERT_TRUE(writers.WaitForMore(true, 40)) << kartond.Stderr();
  EXPECT_TRUE(ReadyzBecomes(kartond, 200));
  writers.Stop();
  CheckOutcomes(writers, conninfo);
  EXPECT_EQ(kartond.StopWith(SIGTERM), 0) << kartond.Stderr();
}

// The value of the metric line starting with `name ` in `kartond`'s
// /metrics, -1 when there is none.
double Metric(const KartondProcess& kartond, const std::string& name) {
  std::string body;
  if (HttpGet(kartond.HttpAddress(), "/metrics", body) != 200) return -1;
  const auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

pv1::CreatePartnerRequest NewPartner(const std::string& name) {
  pv1::CreatePartnerRequest request;
  request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  request.mutable_partner()->set_display_name(name);
  return request;
}

// kartond with a pool of two connections; the test's own connection locks
// the partner table, and two writes take both connections and wait on the
// lock. Further calls find no connection: they answer RESOURCE_EXHAUSTED
// before their deadline (when it is nearer than --db-acquire-timeout-ms)
// or after the acquire timeout (when it is nearer), say that the pool is
// exhausted and its size, and write nothing. kartond stays ready meanwhile
// (busy, not broken), counts and logs it, and serves as before once the
// lock is gone.
TEST(DatabasePoolTest, CallsThatFindEveryConnectionHeldAnswerResourceExhaustedAndWriteNothing) {
  ThrowawayPostgres postgres;
  const std::string conninfo = postgres.CreateDatabase("pool");
  TemporaryDirectory data_dir;
  KartondProcess kartond({"--database-url", conninfo, "--data-dir", data_dir.Path().string(),
                          "--modules-dir", ProductModulesDirectory().string(), "--modules",
                          "partners", "--db-pool-size", "2", "--event-workers", "1",
                          "--db-acquire-timeout-ms", "4000"});
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  const std::string token = kartond.AdminToken();
  auto channel = grpc::CreateChannel(kartond.GrpcAddress(), grpc::InsecureChannelCredentials());
  auto partners = pv1::PartnerService::NewStub(channel);
  pv1::Partner created;
  ASSERT_TRUE(partners
                  ->CreatePartner(Context(token, std::chrono::seconds(30)).get(),
                                  NewPartner("Előtte"), &created)
                  .ok());
  EXPECT_EQ(Metric(kartond, "karton_db_pool_exhausted_total"), 0);

  std::unique_ptr<PGconn, decltype(&PQfinish)> locker(PQconnectdb(conninfo.c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(locker.get()), CONNECTION_OK) << PQerrorMessage(locker.get());
  PQclear(PQexec(locker.get(), "BEGIN"));
  {
    std::unique_ptr<PGresult, decltype(&PQclear)> locked(
        PQexec(locker.get(), "LOCK TABLE partners.partner IN ACCESS EXCLUSIVE MODE"), &PQclear);
    ASSERT_EQ(PQresultStatus(locked.get()), PGRES_COMMAND_OK) << PQerrorMessage(locker.get());
  }
  // Two writes, each holding a connection while it waits on the lock.
  std::vector<grpc::Status> held_outcomes(2);
  std::vector<std::thread> holders;
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back([&, i] {
      pv1::Partner partner;
      held_outcomes[static_cast<std::size_t>(i)] =
          partners->CreatePartner(Context(token, std::chrono::seconds(120)).get(),
                                  NewPartner(fmt::format("Várakozó {}", i)), &partner);
    });
  }
  const auto waiting_on_lock = [&] {
    return QueryScalar(conninfo,
                       "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kartond' "
                       "AND wait_event_type = 'Lock'");
  };
  for (int i = 0; i < 600 && waiting_on_lock() != "2"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(waiting_on_lock(), "2") << kartond.Stderr();

  // A deadline nearer than the acquire timeout: answered before it, not
  // DEADLINE_EXCEEDED at the client.
  pv1::ListPartnersResponse listed;
  grpc::Status status = partners->ListPartners(Context(token, std::chrono::seconds(2)).get(),
                                               pv1::ListPartnersRequest(), &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("the database pool is exhausted: all 2 connections"),
            std::string::npos)
      << status.error_message();
  // A deadline farther than the acquire timeout: answered after it.
  status = partners->CreatePartner(Context(token, std::chrono::seconds(60)).get(),
                                   NewPartner("Elutasított"), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("the database pool is exhausted: all 2 connections"),
            std::string::npos)
      << status.error_message();

  // Counted and logged; still ready (the database answers, the pool is busy).
  EXPECT_GE(Metric(kartond, "karton_db_pool_exhausted_total"), 2);
  EXPECT_TRUE(kartond.LogShows("database pool exhausted: all 2 connections in use"))
      << kartond.Stderr();
  std::string body;
  EXPECT_EQ(HttpGet(kartond.HttpAddress(), "/readyz", body), 200) << body;
  EXPECT_NE(body.find("\"database\":\"busy\""), std::string::npos) << body;

  // The lock goes: the held writes finish, and kartond serves as before.
  PQclear(PQexec(locker.get(), "COMMIT"));
  for (auto& holder : holders) holder.join();
  for (const auto& outcome : held_outcomes) {
    EXPECT_TRUE(outcome.ok()) << outcome.error_code() << " " << outcome.error_message();
  }
  status = partners->ListPartners(Context(token, std::chrono::seconds(30)).get(),
                                  pv1::ListPartnersRequest(), &listed);
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = partners->CreatePartner(Context(token, std::chrono::seconds(30)).get(),
                                   NewPartner("Utána"), &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Column(conninfo, "SELECT display_name FROM partners.partner"),
            (std::set<std::string>{"Előtte", "Várakozó 0", "Várakozó 1", "Utána"}));
  EXPECT_TRUE(HealthBecomes(kartond, HealthCheckResponse::SERVING));
  EXPECT_EQ(kartond.StopWith(SIGTERM), 0) << kartond.Stderr();
}

}  // namespace
}  // namespace karton::testing
