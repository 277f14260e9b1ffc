// Sending invoices to NAV Online Számla end to end: kartond with the
// invoicing module pointed at a local NAV stand-in (nav_stand_in.h, real
// HTTP, checking requests as NAV does), the jobs run by moving the test
// clock. An invoice and its storno are accepted; a rejection is recorded
// with NAV's message and announced, and is sent again once fixed; an
// outage (500s, then nobody listening) is retried and nothing is lost.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <string>

#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "nav_stand_in.h"
#include "sales_fixture.h"

namespace karton::testing {
namespace {

namespace iv1 = invoicing::v1;
using google::protobuf::util::TimeUtil;

const NavStandInUser kNavUser{.login = "kartontest1",
                              .password = "Nagyon titkos jelszó",
                              .signature_key = "ce-8f5e-215119fa7dd621DLMRHRLH2S",
                              .exchange_key = "4a1c9e77b2d3f06a"};

class InvoicingNavTest : public SalesTest {
 protected:
  void TearDown() override {
    // What kartond logged (the jobs' warnings) when something went wrong.
    if (HasFailure() && kartond_) std::cerr << kartond_->Stderr();
  }

  void StartSending(NavStandIn& nav) {
    std::vector<std::string> extra = {"--test-clock"};
    for (const std::string& option :
         {std::string("invoicing.seller_name=Őrség Hőtechnika Kft."),
          std::string("invoicing.seller_tax_number=12345676-2-41"),
          std::string("invoicing.seller_postal_code=9941"),
          std::string("invoicing.seller_city=Őriszentpéter"),
          std::string("invoicing.seller_street=Kovácsszer 2."),
          "invoicing.nav_base_url=" + nav.BaseUrl(), "invoicing.nav_login=" + kNavUser.login,
          "invoicing.nav_password=" + kNavUser.password,
          "invoicing.nav_signature_key=" + kNavUser.signature_key,
          "invoicing.nav_exchange_key=" + kNavUser.exchange_key,
          std::string("invoicing.nav_software_id=HU12345676KARTON01"),
          std::string("invoicing.nav_software_dev_name=Karton Kft."),
          std::string("invoicing.nav_software_dev_contact=dev@karton.example")}) {
      extra.insert(extra.end(), {"--module-option", option});
    }
    Start(std::move(extra), "invoicing");
    invoices_ = iv1::InvoiceService::NewStub(channel_);
    accountant_ = User("kata@karton.example", kv1::ROLE_ACCOUNTING);
    customer_ = Partner("Fűtés Kft.", 0);
  }

  iv1::Invoice Issue() {
    iv1::CreateInvoiceRequest create;
    create.mutable_invoice()->set_partner_id(customer_);
    auto* line = create.mutable_invoice()->add_lines();
    line->set_description("Radiátor csere");
    line->set_quantity("2");
    line->set_unit("db");
    line->mutable_unit_price()->set_minor_units(4'850'000);
    line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
    iv1::Invoice invoice;
    EXPECT_TRUE(invoices_->CreateInvoice(As(accountant_).get(), create, &invoice).ok());
    iv1::IssueInvoiceRequest issue;
    issue.set_id(invoice.id());
    const auto status = invoices_->IssueInvoice(As(accountant_).get(), issue, &invoice);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return invoice;
  }

  // Moves the clock (running every job due) by `step` at a time, at most
  // `steps` times, until the report is in `state`; the submission then.
  iv1::NavSubmission AdvanceUntil(std::int64_t invoice_id, iv1::NavSubmissionState state,
                                  std::chrono::seconds step = std::chrono::hours(1),
                                  int steps = 8) {
    iv1::NavSubmission submission;
    for (int i = 0; i <= steps; ++i) {
      submission = Submission(invoice_id);
      if (submission.state() == state || i == steps) break;
      Advance(step);
    }
    return submission;
  }

  iv1::NavSubmission Submission(std::int64_t invoice_id) {
    iv1::GetNavSubmissionRequest request;
    request.set_invoice_id(invoice_id);
    iv1::NavSubmission submission;
    const auto status = invoices_->GetNavSubmission(As(accountant_).get(), request, &submission);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return submission;
  }

  void Advance(std::chrono::seconds by) {
    auto kernel = kv1::KernelService::NewStub(channel_);
    kv1::AdvanceClockRequest request;
    *request.mutable_duration() = TimeUtil::SecondsToDuration(by.count());
    kv1::AdvanceClockResponse response;
    const auto status = kernel->AdvanceClock(As(admin_).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string Events(const std::string& topic) {
    return QueryScalar(conninfo_,
                       "SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL "
                       "SELECT topic FROM kernel.event_outbox) e WHERE topic = '" +
                           topic + "'");
  }

  std::unique_ptr<iv1::InvoiceService::Stub> invoices_;
  std::string accountant_;
  std::int64_t customer_ = 0;
};

std::string Joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += problem + "\n";
  return text;
}

TEST_F(InvoicingNavTest, AnInvoiceAndItsStornoAreReportedAndAccepted) {
  NavStandIn nav(kNavUser);
  nav.SetProcessingPolls(1);  // NAV takes a poll to process it
  StartSending(nav);
  const auto invoice = Issue();
  const auto accepted = AdvanceUntil(invoice.id(), iv1::NAV_SUBMISSION_STATE_ACCEPTED);
  ASSERT_EQ(accepted.state(), iv1::NAV_SUBMISSION_STATE_ACCEPTED) << accepted.DebugString();
  EXPECT_EQ(accepted.invoice_number(), invoice.number());
  EXPECT_FALSE(accepted.transaction_id().empty());
  EXPECT_EQ(accepted.round(), 1);
  EXPECT_TRUE(accepted.has_finish_time());

  // The storno of it, the same way.
  iv1::CreateCreditNoteRequest storno_request;
  storno_request.set_invoice_id(invoice.id());
  storno_request.set_kind(iv1::INVOICE_KIND_STORNO);
  storno_request.set_reason("Téves számla");
  iv1::Invoice storno;
  ASSERT_TRUE(invoices_->CreateCreditNote(As(accountant_).get(), storno_request, &storno).ok());
  EXPECT_EQ(AdvanceUntil(storno.id(), iv1::NAV_SUBMISSION_STATE_ACCEPTED).state(),
            iv1::NAV_SUBMISSION_STATE_ACCEPTED);

  const auto reports = nav.Reports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].operation, "CREATE");
  EXPECT_EQ(reports[0].invoice_number, invoice.number());
  EXPECT_EQ(reports[1].operation, "STORNO");
  EXPECT_EQ(reports[1].invoice_number, storno.number());
  EXPECT_NE(reports[1].invoice_data.find("<originalInvoiceNumber>" + invoice.number()),
            std::string::npos);
  EXPECT_TRUE(nav.Problems().empty()) << Joined(nav.Problems());
  EXPECT_EQ(Events("invoicing.invoice.nav_accepted"), "2");

  // A job run again (a kartond that died after NAV answered) reports
  // nothing twice: the submission moved on.
  QueryScalar(conninfo_,
              "UPDATE kernel.job SET state = 'scheduled', claimed_by = NULL, claim_until = NULL "
              "WHERE module = 'invoicing' AND kind IN ('nav_submit', 'nav_poll') RETURNING 1");
  Advance(std::chrono::hours(1));
  EXPECT_EQ(nav.Requests("manageInvoice"), 2);
  EXPECT_EQ(Events("invoicing.invoice.nav_accepted"), "2");
  EXPECT_EQ(nav.Reports().size(), 2u);

  // An accepted report is not sent again: a credit note corrects it.
  iv1::ResubmitToNavRequest resubmit;
  resubmit.set_invoice_id(invoice.id());
  iv1::NavSubmission refused;
  EXPECT_EQ(invoices_->ResubmitToNav(As(accountant_).get(), resubmit, &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(InvoicingNavTest, ARejectionIsRecordedWithNavsMessageAndSentAgainOnceFixed) {
  NavStandIn nav(kNavUser);
  nav.RejectReports("INVALID_CUSTOMER_TAX_NUMBER", "A vevő adószáma érvénytelen");
  StartSending(nav);
  const auto invoice = Issue();
  const auto rejected = AdvanceUntil(invoice.id(), iv1::NAV_SUBMISSION_STATE_REJECTED);
  ASSERT_EQ(rejected.state(), iv1::NAV_SUBMISSION_STATE_REJECTED) << rejected.DebugString();
  ASSERT_EQ(rejected.messages_size(), 1);
  EXPECT_EQ(rejected.messages(0).result_code(), "ERROR");
  EXPECT_EQ(rejected.messages(0).error_code(), "INVALID_CUSTOMER_TAX_NUMBER");
  EXPECT_EQ(rejected.messages(0).message(), "A vevő adószáma érvénytelen");
  EXPECT_EQ(Events("invoicing.invoice.nav_rejected"), "1");
  EXPECT_EQ(Events("invoicing.invoice.nav_accepted"), "0");

  // The command line shows it.
  const auto [status_exit, status_text] =
      RunCommand(fmt::format("{}invoices nav-status {}", Karton(), invoice.id()));
  ASSERT_EQ(status_exit, 0) << status_text;
  EXPECT_NE(status_text.find("A vevő adószáma érvénytelen"), std::string::npos) << status_text;

  // Only accounting sends it again; then NAV takes it (round 2).
  nav.RejectReports("", "");
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  iv1::ResubmitToNavRequest resubmit;
  resubmit.set_invoice_id(invoice.id());
  iv1::NavSubmission again;
  EXPECT_EQ(invoices_->ResubmitToNav(As(salesperson).get(), resubmit, &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const auto [resubmit_exit, resubmitted] =
      RunCommand(fmt::format("{}invoices nav-resubmit {}", Karton(), invoice.id()));
  ASSERT_EQ(resubmit_exit, 0) << resubmitted;
  const auto accepted = AdvanceUntil(invoice.id(), iv1::NAV_SUBMISSION_STATE_ACCEPTED);
  ASSERT_EQ(accepted.state(), iv1::NAV_SUBMISSION_STATE_ACCEPTED) << accepted.DebugString();
  EXPECT_EQ(accepted.round(), 2);
  EXPECT_EQ(accepted.messages_size(), 0);
  EXPECT_NE(accepted.transaction_id(), rejected.transaction_id());
  EXPECT_EQ(nav.Reports().size(), 2u);
  EXPECT_TRUE(nav.Problems().empty()) << Joined(nav.Problems());
}

TEST_F(InvoicingNavTest, AnOutageIsRetriedAndNothingIsLost) {
  NavStandIn nav(kNavUser);
  nav.SetOutage(500);
  StartSending(nav);
  const auto invoice = Issue();
  // NAV answers 500: the attempts fail, are counted and retried.
  auto waiting = Submission(invoice.id());
  for (int i = 0; i < 8 && waiting.failed_attempts() < 2; ++i) {
    Advance(std::chrono::seconds(30));
    waiting = Submission(invoice.id());
  }
  EXPECT_EQ(waiting.state(), iv1::NAV_SUBMISSION_STATE_PENDING) << waiting.DebugString();
  EXPECT_GE(waiting.failed_attempts(), 2);
  EXPECT_NE(waiting.last_error().find("500"), std::string::npos) << waiting.last_error();

  // Then nobody listens at all.
  nav.SetOutage(0);
  nav.SetListening(false);
  const int failed_before = waiting.failed_attempts();
  for (int i = 0; i < 8 && waiting.failed_attempts() <= failed_before; ++i) {
    Advance(std::chrono::minutes(5));
    waiting = Submission(invoice.id());
  }
  EXPECT_EQ(waiting.state(), iv1::NAV_SUBMISSION_STATE_PENDING) << waiting.DebugString();
  EXPECT_NE(waiting.last_error().find("CONNECT"), std::string::npos) << waiting.last_error();
  EXPECT_EQ(nav.Reports().size(), 0u);

  // NAV is back: the report goes through, once.
  nav.SetListening(true);
  const auto accepted = AdvanceUntil(invoice.id(), iv1::NAV_SUBMISSION_STATE_ACCEPTED);
  ASSERT_EQ(accepted.state(), iv1::NAV_SUBMISSION_STATE_ACCEPTED) << accepted.DebugString();
  EXPECT_EQ(nav.Reports().size(), 1u);
  EXPECT_TRUE(nav.Problems().empty()) << Joined(nav.Problems());
}

TEST_F(InvoicingNavTest, WithoutNavOptionsInvoicesIssueAndNothingIsSent) {
  Start({"--test-clock", "--module-option", "invoicing.seller_name=Őrség Hőtechnika Kft.",
         "--module-option", "invoicing.seller_tax_number=12345676-2-41", "--module-option",
         "invoicing.seller_postal_code=9941", "--module-option",
         "invoicing.seller_city=Őriszentpéter", "--module-option",
         "invoicing.seller_street=Kovácsszer 2."},
        "invoicing");
  invoices_ = iv1::InvoiceService::NewStub(channel_);
  accountant_ = User("kata@karton.example", kv1::ROLE_ACCOUNTING);
  customer_ = Partner("Fűtés Kft.", 0);
  const auto invoice = Issue();
  EXPECT_EQ(invoice.state(), iv1::INVOICE_STATE_ISSUED);
  iv1::GetNavSubmissionRequest request;
  request.set_invoice_id(invoice.id());
  iv1::NavSubmission submission;
  EXPECT_EQ(invoices_->GetNavSubmission(As(accountant_).get(), request, &submission).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.job WHERE kind IN ('nav_submit', 'nav_poll')"),
            "0");
  iv1::ResubmitToNavRequest resubmit;
  resubmit.set_invoice_id(invoice.id());
  EXPECT_EQ(invoices_->ResubmitToNav(As(accountant_).get(), resubmit, &submission).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(InvoicingNavTest, ABadNavOptionStopsTheStartNamingIt) {
  NavStandIn nav(kNavUser);
  KartondProcess kartond(
      {"--database-url",  conninfo_,
       "--data-dir",      data_dir_.Path().string(),
       "--modules-dir",   ProductModulesDirectory().string(),
       "--modules",       "invoicing",
       "--module-option", "invoicing.seller_tax_number=12345676-2-41",
       "--module-option", "invoicing.nav_base_url=" + nav.BaseUrl(),
       "--module-option", "invoicing.nav_login=no!",
       "--module-option", "invoicing.nav_password=x",
       "--module-option", "invoicing.nav_signature_key=y",
       "--module-option", "invoicing.nav_exchange_key=" + kNavUser.exchange_key,
       "--module-option", "invoicing.nav_software_id=HU12345676KARTON01",
       "--module-option", "invoicing.nav_software_dev_name=Karton Kft.",
       "--module-option", "invoicing.nav_software_dev_contact=dev@karton.example"});
  EXPECT_FALSE(kartond.WaitUntilReady());
  EXPECT_NE(kartond.Stderr().find("invoicing.nav_login must be 6 to 15 letters and digits"),
            std::string::npos)
      << kartond.Stderr();
}

}  // namespace
}  // namespace karton::testing
