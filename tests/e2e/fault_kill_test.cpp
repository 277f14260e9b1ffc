// Fault tests (issue 20, docs/reliability.md "Fault tests"): kartond is
// killed with SIGKILL in the middle of work that others rely on, then
// started again on the same database. Nothing accepted may be lost and
// nothing applied twice, except in the windows the docs name.
//
// The email batch is messaging_crash_test.cpp; a module subscriber killed
// between commit and delivery is events_test.cpp. Here: a partner import
// being applied and a burst of web form posts.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crm_fixture.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;

// A transaction of the test's own on the database, for holding locks.
class HeldTransaction {
 public:
  explicit HeldTransaction(const std::string& conninfo)
      : connection_(PQconnectdb(conninfo.c_str()), &PQfinish) {
    if (PQstatus(connection_.get()) != CONNECTION_OK) {
      throw std::runtime_error(PQerrorMessage(connection_.get()));
    }
    Run("BEGIN");
  }
  void Run(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection_.get(), sql.c_str()),
                                                         &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      throw std::runtime_error(sql + ": " + PQresultErrorMessage(result.get()));
    }
  }
  void Commit() { Run("COMMIT"); }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection_;
};

// --- 1. An import killed while it is being applied ------------------------

// A valid Hungarian tax number for `n` (its törzsszám's check digit).
std::string TaxNumber(int n) {
  const std::string seven = fmt::format("{:07d}", 1000000 + n);
  static constexpr int kWeights[] = {9, 7, 3, 1, 9, 7, 3};
  int sum = 0;
  for (std::size_t i = 0; i < 7; ++i) sum += (seven[i] - '0') * kWeights[i];
  return fmt::format("{}{}-2-41", seven, (10 - sum % 10) % 10);
}

class ImportKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    Start();
  }
  void TearDown() override {
    if (HasFailure() && kartond_) std::cerr << "kartond's log:\n" << kartond_->Stderr();
  }

  void Start() {
    kartond_.reset();
    kartond_ = std::make_unique<KartondProcess>(std::vector<std::string>{
        "--database-url", conninfo_, "--data-dir", data_dir_.Path().string(), "--modules-dir",
        ProductModulesDirectory().string(), "--modules", "partners"});
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    partners_ = pv1::PartnerService::NewStub(
        grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials()));
    admin_ = kartond_->AdminToken();
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    context->AddMetadata("authorization", "Bearer " + admin_);
    return context;
  }

  std::string Query(const std::string& sql) const { return QueryScalar(conninfo_, sql); }

  // Starts an import of `csv` and sends the whole file; the stream is left
  // open for the caller to read.
  struct RunningImport {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<
        grpc::ClientReaderWriter<pv1::ImportPartnersRequest, pv1::ImportPartnersResponse>>
        stream;
  };
  RunningImport Send(const std::string& csv, const std::string& request_id) {
    RunningImport running{Context(), nullptr};
    running.stream = partners_->ImportPartners(running.context.get());
    pv1::ImportPartnersRequest message;
    message.mutable_settings()->set_request_id(request_id);
    EXPECT_TRUE(running.stream->Write(message));
    for (std::size_t at = 0; at < csv.size(); at += 64 * 1024) {
      message.Clear();
      message.set_csv_chunk(csv.substr(at, 64 * 1024));
      EXPECT_TRUE(running.stream->Write(message));
    }
    running.stream->WritesDone();
    return running;
  }

  // The import's state once no kartond runs it any more (GetImport fails an
  // interrupted one as soon as its lock is free).
  pv1::Import Settled(std::int64_t id) {
    pv1::GetImportRequest get;
    get.set_id(id);
    pv1::Import import;
    for (int attempt = 0; attempt < 600; ++attempt) {
      const auto status = partners_->GetImport(Context().get(), get, &import);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (import.state() == pv1::IMPORT_STATE_DONE || import.state() == pv1::IMPORT_STATE_FAILED) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return import;
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
  std::unique_ptr<KartondProcess> kartond_;
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
  std::string admin_;
};

// Killed while applying (held there by a lock, so the kill cannot miss the
// moment), the import leaves nothing and is FAILED as interrupted after the
// restart; the file run again creates each row's partner once. Then a third
// run is killed at whatever point it has reached, and a fourth completes it:
// whatever the point, every row (ERP id, tax number) is a partner exactly
// once.
TEST_F(ImportKillTest, AnImportKilledWhileApplyingLeavesNothingAndEveryRowEndsUpOnce) {
  constexpr int kRows = 3000;
  std::string csv = "external_id.erp,display_name,tax_number\n";
  for (int i = 0; i < kRows; ++i) {
    csv += fmt::format("ERP-{:05d},Ügyfél {} Kft.,{}\n", i, i, TaxNumber(i));
  }

  // The test holds partners.partner in SHARE mode: the import reads and
  // stages its rows, then waits to write the first partner.
  auto lock = std::make_unique<HeldTransaction>(conninfo_);
  lock->Run("LOCK TABLE partners.partner IN SHARE MODE");
  auto first = Send(csv, "first");
  pv1::ImportPartnersResponse reply;
  std::int64_t id = 0;
  while (first.stream->Read(&reply)) {
    id = reply.import().id();
    if (reply.import().state() == pv1::IMPORT_STATE_APPLYING) break;
  }
  ASSERT_EQ(reply.import().state(), pv1::IMPORT_STATE_APPLYING);
  EXPECT_EQ(reply.import().rows_valid(), kRows);
  // Its transaction is waiting for the lock: applying has begun.
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (Query("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
              "'partners.partner'::regclass") == "1") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(Query("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                  "'partners.partner'::regclass"),
            "1");
  EXPECT_EQ(kartond_->StopWith(SIGKILL), 128 + SIGKILL);
  first = {};
  Start();
  // The killed kartond's session lives on in PostgreSQL until it next talks
  // to its (gone) client; let it, and it rolls back.
  lock->Commit();
  lock.reset();
  const pv1::Import interrupted = Settled(id);
  EXPECT_EQ(interrupted.state(), pv1::IMPORT_STATE_FAILED);
  EXPECT_NE(interrupted.error().find("interrupted"), std::string::npos) << interrupted.error();
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "0");

  // The same request_id answers with the failed import (the docs: a new
  // id runs the file again).
  {
    auto again = Send("", "first");
    ASSERT_TRUE(again.stream->Read(&reply));
    EXPECT_EQ(reply.import().id(), id);
    EXPECT_EQ(reply.import().state(), pv1::IMPORT_STATE_FAILED);
    again.stream->Finish();
  }
  {
    auto second = Send(csv, "second");
    while (second.stream->Read(&reply)) {
    }
    const auto status = second.stream->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.import().state(), pv1::IMPORT_STATE_DONE);
    EXPECT_EQ(reply.import().partners_created(), kRows);
  }

  // More rows; this run is killed wherever it has got to after the first
  // progress message, and the file is sent once more.
  constexpr int kMore = 2000;
  for (int i = kRows; i < kRows + kMore; ++i) {
    csv += fmt::format("ERP-{:05d},Ügyfél {} Kft.,{}\n", i, i, TaxNumber(i));
  }
  pv1::ImportState third_state = pv1::IMPORT_STATE_UNSPECIFIED;
  {
    auto third = Send(csv, "third");
    ASSERT_TRUE(third.stream->Read(&reply));
    const std::int64_t third_id = reply.import().id();
    std::random_device random;
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 1500));
    EXPECT_EQ(kartond_->StopWith(SIGKILL), 128 + SIGKILL);
    third = {};
    Start();
    const pv1::Import settled = Settled(third_id);
    std::cout << "third run at the kill: " << pv1::ImportState_Name(settled.state()) << ", "
              << Query("SELECT count(*) FROM partners.partner") << " partners" << std::endl;
    third_state = settled.state();
    ASSERT_TRUE(third_state == pv1::IMPORT_STATE_DONE || third_state == pv1::IMPORT_STATE_FAILED)
        << pv1::ImportState_Name(third_state);
    // Whole or nothing.
    EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"),
              std::to_string(third_state == pv1::IMPORT_STATE_DONE ? kRows + kMore : kRows));
  }
  {
    auto fourth = Send(csv, "fourth");
    while (fourth.stream->Read(&reply)) {
    }
    const auto status = fourth.stream->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.import().state(), pv1::IMPORT_STATE_DONE);
    // Rows already there change nothing (matched by their ERP id).
    EXPECT_EQ(reply.import().partners_created(), third_state == pv1::IMPORT_STATE_DONE ? 0 : kMore);
    EXPECT_EQ(reply.import().partners_updated(), 0);
  }

  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), std::to_string(kRows + kMore));
  EXPECT_EQ(Query("SELECT count(DISTINCT tax_number) FROM partners.partner"),
            std::to_string(kRows + kMore));
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner_external_id WHERE source = 'erp'"),
            std::to_string(kRows + kMore));
}

// --- 2. A burst of web form posts, killed ----------------------------------

class WebFormKillTest : public CrmTest {};

// Eight visitors post a form as fast as kartond takes them; kartond is
// killed in the middle. After the restart every post that was answered 201
// is a lead, once; a post the kill cut off before it was answered may be a
// lead or not (its transaction committed or not), but never twice.
TEST_F(WebFormKillTest, EveryPostAnsweredBeforeAKillIsALeadOnce) {
  // No rate limit: the visitors all come from 127.0.0.1.
  const std::vector<std::string> options = {"--module-option", "crm.form_posts_per_minute=0"};
  Start(options);
  cv1::CreateWebFormRequest create;
  auto* form = create.mutable_web_form();
  form->set_slug("burst");
  form->set_title("Ajánlatkérés");
  for (const char* name : {"name", "email"}) {
    auto* field = form->add_fields();
    field->set_name(name);
    field->set_label(name);
    field->set_type(std::string_view(name) == "email" ? cv1::WEB_FORM_FIELD_TYPE_EMAIL
                                                      : cv1::WEB_FORM_FIELD_TYPE_TEXT);
    field->set_required(true);
  }
  cv1::WebForm created;
  ASSERT_TRUE(forms_->CreateWebForm(As().get(), create, &created).ok());

  constexpr int kVisitors = 8;
  constexpr int kAnsweredBeforeKill = 150;
  std::mutex mutex;
  std::map<std::string, int> answered;  // email -> HTTP status
  std::set<std::string> cut_off;        // no answer: the connection broke
  std::atomic<int> created_leads{0};
  const std::string http = kartond_->HttpAddress();
  std::vector<std::thread> visitors;
  for (int visitor = 0; visitor < kVisitors; ++visitor) {
    visitors.emplace_back([&, visitor] {
      for (int post = 0;; ++post) {
        const std::string email = fmt::format("visitor{}.post{}@example.hu", visitor, post);
        std::string body;
        try {
          const int status = HttpCall(
              http, "POST", "/forms/burst", {{"Content-Type", "application/json"}},
              fmt::format(R"({{"name":"Látogató {}","email":"{}"}})", visitor, email), body);
          std::lock_guard lock(mutex);
          answered[email] = status;
          if (status == 201) ++created_leads;
        } catch (const std::runtime_error&) {
          std::lock_guard lock(mutex);
          cut_off.insert(email);
          return;  // kartond is gone
        }
      }
    });
  }
  while (created_leads.load() < kAnsweredBeforeKill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(kartond_->StopWith(SIGKILL), 128 + SIGKILL);
  for (auto& visitor : visitors) visitor.join();
  Start(options);

  std::map<std::string, int> leads_of;  // email -> leads with it
  const std::string rows =
      QueryScalar(conninfo_,
                  "SELECT string_agg(email || '=' || n, ',') FROM (SELECT email, "
                  "count(*) AS n FROM crm.lead GROUP BY email) l");
  for (std::size_t at = 0; at < rows.size();) {
    const auto end = std::min(rows.find(',', at), rows.size());
    const std::string pair = rows.substr(at, end - at);
    const auto equals = pair.rfind('=');
    leads_of[pair.substr(0, equals)] = std::stoi(pair.substr(equals + 1));
    at = end + 1;
  }
  int answered_created = 0;
  for (const auto& [email, status] : answered) {
    EXPECT_EQ(status, 201) << email;
    if (status == 201) {
      ++answered_created;
      EXPECT_EQ(leads_of[email], 1) << email << " was answered 201";
    } else {
      EXPECT_EQ(leads_of[email], 0) << email << " was answered " << status;
    }
  }
  int cut_off_stored = 0;
  for (const auto& email : cut_off) {
    EXPECT_LE(leads_of[email], 1) << email;
    cut_off_stored += leads_of[email];
  }
  EXPECT_GE(answered_created, kAnsweredBeforeKill);
  EXPECT_EQ(cut_off.size(), static_cast<std::size_t>(kVisitors));
  // Nothing else became a lead.
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM crm.lead"),
            std::to_string(answered_created + cut_off_stored));
  std::cout << answered_created << " posts answered 201 before the kill; of the " << cut_off.size()
            << " cut off, " << cut_off_stored << " became leads" << std::endl;

  // A visitor whose post got no answer sends it again: one lead either way
  // (the same person posting again within crm.form_repost_window_hours adds
  // to the lead the first post made, docs/crm.md "Posting again").
  for (const auto& email : cut_off) {
    std::string body;
    EXPECT_EQ(HttpCall(kartond_->HttpAddress(), "POST", "/forms/burst",
                       {{"Content-Type", "application/json"}},
                       fmt::format(R"({{"name":"Látogató","email":"{}"}})", email), body),
              201)
        << body;
    EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM crm.lead WHERE email = '" + email + "'"),
              "1")
        << email;
  }
}

}  // namespace
}  // namespace karton::testing
