// The invoicing services against their real SQL on a throwaway database,
// called over an in-process gRPC server so each call carries its caller:
// gap-free numbering under 16 concurrent issuers with rolled-back issues,
// billing an order once, immutability once issued, payments, balances and
// the answer to orders' credit check.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "invoices/invoice_service.h"
#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "module_database_test.h"
#include "nav/nav_schemas.h"
#include "other_modules.h"
#include "overview_service.h"
#include "payments/payment_service.h"
#include "throwaway_postgres.h"

namespace karton::invoicing {
namespace {

using karton::testing::QueryScalar;

class MemoryModules final : public OtherModules {
 public:
  std::map<std::int64_t, partners::v1::Partner> partners;
  std::map<std::int64_t, orders::v1::Order> orders;
  grpc::Status GetPartner(const grpc::ServerContext*, std::int64_t id,
                          partners::v1::Partner& partner) override {
    const auto found = partners.find(id);
    if (found == partners.end()) return {grpc::StatusCode::NOT_FOUND, "no such partner"};
    partner = found->second;
    return grpc::Status::OK;
  }
  grpc::Status GetOrder(const grpc::ServerContext*, std::int64_t id,
                        orders::v1::Order& order) override {
    const auto found = orders.find(id);
    if (found == orders.end()) return {grpc::StatusCode::NOT_FOUND, "no such order"};
    order = found->second;
    return grpc::Status::OK;
  }
};

class InvoicingServicesTest : public karton::testing::ModuleDatabaseTest {
 protected:
  InvoicingServicesTest() : ModuleDatabaseTest("invoicing", {"partners", "orders", "invoicing"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    // 2026-06-10 10:00 UTC.
    context_.Clock().Set(
        std::chrono::system_clock::time_point(std::chrono::seconds(1'781'085'600)));
    partner_ = InsertReturningId(
        "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
        "('organization', 'Fűtés Kft.', now(), now()) RETURNING id");
    auto& card = modules_.partners[partner_];
    card.set_id(partner_);
    card.set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
    card.set_display_name("Fűtés Kft.");
    card.set_legal_name("Fűtés Szolgáltató Kft.");
    card.set_tax_number("24680242-2-13");
    auto* address = card.add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_BILLING);
    address->set_country("HU");
    address->set_postal_code("2040");
    address->set_city("Budaörs");
    address->set_street("Szabadság út 7.");
    settings_.seller.set_name("Őrség Hőtechnika Kft.");
    settings_.seller.set_tax_number("12345676-2-41");
    settings_.seller.mutable_address()->set_country("HU");
    settings_.seller.mutable_address()->set_postal_code("9941");
    settings_.seller.mutable_address()->set_city("Őriszentpéter");
    settings_.seller.mutable_address()->set_street("Kovácsszer 2.");
    parts_ = std::make_unique<kernel::ServiceParts>(kernel::PartsOf(context_));
    InvoiceServiceImpl::DeclareTopics(context_.Events());
    PaymentServiceImpl::DeclareTopics(context_.Events());
    invoices_ =
        std::make_unique<InvoiceServiceImpl>(*parts_, context_.JobQueue(), modules_, settings_);
    context_.JobQueue().Handle(InvoiceServiceImpl::kOverdueJob, [this](const kernel::JobRun& run) {
      invoices_->AnnounceOverdue(run);
    });
    payments_ = std::make_unique<PaymentServiceImpl>(*parts_, settings_);
    overview_ = std::make_unique<InvoicingOverviewServiceImpl>(*parts_, modules_, settings_);
    grpc::ServerBuilder builder;
    builder.RegisterService(invoices_.get());
    builder.RegisterService(payments_.get());
    builder.RegisterService(overview_.get());
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
    invoice_stub_ = v1::InvoiceService::NewStub(channel_);
    payment_stub_ = v1::PaymentService::NewStub(channel_);
    overview_stub_ = v1::InvoicingOverviewService::NewStub(channel_);
    accountant_.user_id = NewUser("kata", "accounting");
    accountant_.roles = {"accounting"};
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<grpc::ClientContext> Call() { return CallAs(accountant_); }
  static std::unique_ptr<grpc::ClientContext> CallAs(const kernel::Caller& caller) {
    auto context = std::make_unique<grpc::ClientContext>();
    kernel::ForwardCaller(caller, *context);
    return context;
  }

  static v1::InvoiceLine Line(const std::string& quantity, std::int64_t minor,
                              common::v1::VatCategory vat = common::v1::VAT_CATEGORY_STANDARD_27) {
    v1::InvoiceLine line;
    line.set_description("Szerelés");
    line.set_quantity(quantity);
    line.mutable_unit_price()->set_minor_units(minor);
    line.set_vat_category(vat);
    return line;
  }

  v1::Invoice Draft(const std::string& currency = "HUF", const std::string& rate = "") {
    v1::CreateInvoiceRequest request;
    request.mutable_invoice()->set_partner_id(partner_);
    request.mutable_invoice()->set_currency_code(currency);
    request.mutable_invoice()->set_exchange_rate(rate);
    *request.mutable_invoice()->add_lines() = Line("2", currency == "HUF" ? 1'450'000 : 3'999);
    v1::Invoice invoice;
    const auto status = invoice_stub_->CreateInvoice(Call().get(), request, &invoice);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return invoice;
  }

  grpc::Status Issue(std::int64_t id, v1::Invoice* issued) {
    v1::IssueInvoiceRequest request;
    request.set_id(id);
    return invoice_stub_->IssueInvoice(Call().get(), request, issued);
  }

  std::int64_t partner_ = 0;
  kernel::Caller accountant_;
  MemoryModules modules_;
  InvoicingSettings settings_;
  std::unique_ptr<kernel::ServiceParts> parts_;
  std::unique_ptr<InvoiceServiceImpl> invoices_;
  std::unique_ptr<PaymentServiceImpl> payments_;
  std::unique_ptr<InvoicingOverviewServiceImpl> overview_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InvoiceService::Stub> invoice_stub_;
  std::unique_ptr<v1::PaymentService::Stub> payment_stub_;
  std::unique_ptr<v1::InvoicingOverviewService::Stub> overview_stub_;
};

TEST_F(InvoicingServicesTest, SixteenIssuersTakeAThousandNumbersWithoutAGapOrADuplicate) {
  // 1,000 drafts; every tenth cannot be issued: a constraint refuses it
  // after its number was taken, so its transaction rolls back.
  QueryScalar(conninfo_,
              "INSERT INTO invoicing.invoice (partner_id, currency_code, rate_millionths, note, "
              "net_minor, vat_minor, gross_minor, create_time, update_time) SELECT " +
                  std::to_string(partner_) +
                  ", 'HUF', 1000000, CASE WHEN n % 10 = 0 THEN 'refuse' ELSE '' END, 10000, "
                  "2700, 12700, now(), now() FROM generate_series(1, 1000) AS n RETURNING 1");
  QueryScalar(conninfo_,
              "ALTER TABLE invoicing.invoice ADD CONSTRAINT refuse_marked "
              "CHECK (note <> 'refuse' OR state = 'draft')");
  const auto first = std::stoll(QueryScalar(conninfo_, "SELECT min(id) FROM invoicing.invoice"));
  std::atomic<int> next{0}, issued{0}, refused{0};
  std::vector<std::thread> issuers;
  for (int t = 0; t < 16; ++t) {
    issuers.emplace_back([&] {
      for (int i; (i = next++) < 1000;) {
        v1::Invoice invoice;
        const auto status = Issue(first + i, &invoice);
        (status.ok() ? issued : refused)++;
      }
    });
  }
  for (auto& issuer : issuers) issuer.join();
  EXPECT_EQ(issued.load(), 900);
  EXPECT_EQ(refused.load(), 100);
  // Numbers KRT-2026-000001 .. KRT-2026-000900, each once.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(DISTINCT number) || ' ' || min(number) || ' ' || max(number) "
                        "FROM invoicing.invoice WHERE state = 'issued'"),
            "900 KRT-2026-000001 KRT-2026-000900");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT last_number FROM invoicing.number_series"), "900");
}

TEST_F(InvoicingServicesTest, AnIssuedInvoiceIsNumberedDatedAndCannotChange) {
  const auto draft = Draft();
  EXPECT_EQ(draft.state(), v1::INVOICE_STATE_DRAFT);
  EXPECT_EQ(draft.number(), "");
  EXPECT_EQ(draft.totals().gross_amount().minor_units(), 3'683'000);  // 29,000 Ft + 27%
  v1::Invoice issued;
  ASSERT_TRUE(Issue(draft.id(), &issued).ok());
  EXPECT_EQ(issued.number(), "KRT-2026-000001");
  EXPECT_EQ(issued.issue_date().day(), 10);
  EXPECT_EQ(issued.due_date().day(), 18);  // 8 days' terms
  EXPECT_EQ(issued.totals().vat_amount_huf().minor_units(), 783'000);
  EXPECT_EQ(issued.open_amount().minor_units(), 3'683'000);

  v1::UpdateInvoiceRequest update;
  update.mutable_invoice()->set_id(draft.id());
  update.mutable_invoice()->set_note("javítás");
  v1::Invoice updated;
  const auto refused = invoice_stub_->UpdateInvoice(Call().get(), update, &updated);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("credit note"), std::string::npos);
  EXPECT_EQ(Issue(draft.id(), &updated).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(InvoicingServicesTest, AEuroInvoiceNeedsItsRateAndShowsItsVatInForints) {
  const auto draft = Draft("EUR");
  v1::Invoice issued;
  const auto status = Issue(draft.id(), &issued);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "exchange_rate");
  const auto with_rate = Draft("EUR", "395.12");
  ASSERT_TRUE(Issue(with_rate.id(), &issued).ok());
  // 2 × 39.99 EUR = 79.98 EUR net, 21.59 EUR VAT = 8,530.64 Ft -> 8,531 Ft.
  EXPECT_EQ(issued.totals().vat_amount().minor_units(), 2'159);
  EXPECT_EQ(issued.totals().vat_amount_huf().minor_units(), 853'100);
  EXPECT_EQ(issued.exchange_rate(), "395.12");
}

TEST_F(InvoicingServicesTest, AnOrderIsBilledOnceWithItsLines) {
  orders::v1::Order order;
  order.set_id(77);
  order.set_partner_id(partner_);
  order.set_currency_code("HUF");
  order.set_state(orders::v1::ORDER_STATE_DRAFT);
  auto* line = order.add_lines();
  line->set_description("Kondenzációs gázkazán 24 kW");
  line->set_quantity("1");
  line->set_unit("db");
  line->mutable_unit_price()->set_currency_code("HUF");
  line->mutable_unit_price()->set_minor_units(48'900'000);
  line->set_discount_percent("10");
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  modules_.orders[77] = order;
  QueryScalar(conninfo_,
              "INSERT INTO orders.sales_order (id, number, partner_id, currency_code, net_minor, "
              "vat_minor, gross_minor, create_time, update_time) VALUES (77, 'RE-2026-000077', " +
                  std::to_string(partner_) + ", 'HUF', 0, 0, 0, now(), now()) RETURNING id");
  v1::CreateInvoiceFromOrderRequest request;
  request.set_order_id(77);
  v1::Invoice invoice;
  EXPECT_EQ(invoice_stub_->CreateInvoiceFromOrder(Call().get(), request, &invoice).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // a draft order
  modules_.orders[77].set_state(orders::v1::ORDER_STATE_COMPLETED);
  const auto status = invoice_stub_->CreateInvoiceFromOrder(Call().get(), request, &invoice);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(invoice.order_id(), 77);
  ASSERT_EQ(invoice.lines_size(), 1);
  EXPECT_EQ(invoice.lines(0).net_amount().minor_units(), 44'010'000);
  EXPECT_EQ(invoice_stub_->CreateInvoiceFromOrder(Call().get(), request, &invoice).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(InvoicingServicesTest, PaymentsSettleAnInvoiceAndTheBalanceAndCreditExposureFollow) {
  v1::Invoice first, second;
  ASSERT_TRUE(Issue(Draft().id(), &first).ok());   // 36,830 Ft
  ASSERT_TRUE(Issue(Draft().id(), &second).ok());  // 36,830 Ft
  v1::RecordPaymentRequest pay;
  pay.mutable_payment()->set_invoice_id(first.id());
  pay.mutable_payment()->mutable_amount()->set_minor_units(3'683'100);
  v1::Payment payment;
  auto status = payment_stub_->RecordPayment(Call().get(), pay, &payment);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "payment.amount");
  pay.mutable_payment()->mutable_amount()->set_minor_units(1'000'000);
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());
  pay.mutable_payment()->mutable_amount()->set_minor_units(2'683'000);
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());
  const auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(topics.back(), "invoicing.invoice.paid");

  // Ten days later the second is overdue by two days.
  context_.Clock().Advance(std::chrono::hours(24 * 10));
  v1::GetPartnerBalanceRequest balance_request;
  balance_request.set_partner_id(partner_);
  v1::PartnerBalance balance;
  ASSERT_TRUE(payment_stub_->GetPartnerBalance(Call().get(), balance_request, &balance).ok());
  EXPECT_EQ(balance.open_amount().minor_units(), 3'683'000);
  EXPECT_EQ(balance.overdue_amount().minor_units(), 3'683'000);
  EXPECT_EQ(balance.open_invoice_count(), 1);
  EXPECT_EQ(balance.risk_class(), v1::RISK_CLASS_LOW);

  common::v1::CreditExposureRequest exposure_request;
  exposure_request.set_partner_id(partner_);
  exposure_request.set_currency_code("HUF");
  common::v1::CreditExposure exposure;
  ASSERT_TRUE(payment_stub_->CreditExposure(Call().get(), exposure_request, &exposure).ok());
  EXPECT_EQ(exposure.open_amount().minor_units(), 3'683'000);
}

v1::InvoiceLine Less(const std::string& quantity, std::int64_t minor) {
  v1::InvoiceLine line;
  line.set_description("Engedmény");
  line.set_quantity(quantity);
  line.mutable_unit_price()->set_minor_units(minor);
  line.set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  return line;
}

TEST_F(InvoicingServicesTest, IssuingKeepsTheSellerAndTheBuyerAsTheyWere) {
  v1::Invoice issued;
  ASSERT_TRUE(Issue(Draft().id(), &issued).ok());
  EXPECT_EQ(issued.seller().name(), "Őrség Hőtechnika Kft.");
  EXPECT_EQ(issued.seller().tax_number(), "12345676-2-41");
  EXPECT_EQ(issued.buyer().name(), "Fűtés Szolgáltató Kft.");
  EXPECT_EQ(issued.buyer().tax_number(), "24680242-2-13");
  EXPECT_EQ(issued.buyer().address().city(), "Budaörs");
  EXPECT_FALSE(issued.buyer().private_person());
  // The card changes afterwards; the invoice does not.
  modules_.partners[partner_].set_legal_name("Új Név Kft.");
  v1::GetInvoiceRequest get;
  get.set_id(issued.id());
  v1::Invoice read;
  ASSERT_TRUE(invoice_stub_->GetInvoice(Call().get(), get, &read).ok());
  EXPECT_EQ(read.buyer().name(), "Fűtés Szolgáltató Kft.");
  EXPECT_EQ(read.seller().address().city(), "Őriszentpéter");
}

TEST_F(InvoicingServicesTest, NothingIsIssuedWhileTheSellerIsNotConfigured) {
  InvoicingSettings unconfigured;
  InvoiceServiceImpl service(*parts_, context_.JobQueue(), modules_, unconfigured);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  auto stub = v1::InvoiceService::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  const auto draft = Draft();
  v1::IssueInvoiceRequest request;
  request.set_id(draft.id());
  v1::Invoice issued;
  const auto status = stub->IssueInvoice(Call().get(), request, &issued);
  server->Shutdown();
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "seller");
  EXPECT_NE(status.error_message().find("invoicing.seller_name"), std::string::npos);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM invoicing.invoice WHERE state = 'issued'"),
            "0");
}

TEST_F(InvoicingServicesTest, AStornoTakesBackEveryLineAndSettlesWhatWasOpen) {
  v1::Invoice original;
  ASSERT_TRUE(Issue(Draft().id(), &original).ok());  // 36,830 Ft
  v1::RecordPaymentRequest pay;
  pay.mutable_payment()->set_invoice_id(original.id());
  pay.mutable_payment()->mutable_amount()->set_minor_units(1'000'000);
  v1::Payment payment;
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());

  v1::CreateCreditNoteRequest request;
  request.set_invoice_id(original.id());
  request.set_kind(v1::INVOICE_KIND_STORNO);
  request.set_reason("Téves számlázás");
  v1::Invoice storno;
  const auto status = invoice_stub_->CreateCreditNote(Call().get(), request, &storno);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(storno.state(), v1::INVOICE_STATE_ISSUED);  // issued at once
  EXPECT_EQ(storno.kind(), v1::INVOICE_KIND_STORNO);
  EXPECT_EQ(storno.number(), "KRT-2026-000002");
  EXPECT_EQ(storno.original_number(), "KRT-2026-000001");
  EXPECT_EQ(storno.modification_index(), 1);
  EXPECT_EQ(storno.reason(), "Téves számlázás");
  EXPECT_EQ(storno.buyer().name(), "Fűtés Szolgáltató Kft.");
  ASSERT_EQ(storno.lines_size(), 1);
  EXPECT_EQ(storno.lines(0).quantity(), "-2");
  EXPECT_EQ(storno.lines(0).line_number_reference(), 2);  // after the original's one line
  EXPECT_EQ(storno.totals().gross_amount().minor_units(), -3'683'000);
  EXPECT_EQ(storno.totals().vat_amount_huf().minor_units(), -783'000);
  // 26,830 Ft were open on the original: settled; the 10,000 Ft paid is
  // the buyer's credit.
  EXPECT_EQ(storno.open_amount().minor_units(), -1'000'000);
  v1::GetInvoiceRequest get;
  get.set_id(original.id());
  v1::Invoice settled;
  ASSERT_TRUE(invoice_stub_->GetInvoice(Call().get(), get, &settled).ok());
  EXPECT_EQ(settled.open_amount().minor_units(), 0);
  v1::GetPartnerBalanceRequest balance_request;
  balance_request.set_partner_id(partner_);
  v1::PartnerBalance balance;
  ASSERT_TRUE(payment_stub_->GetPartnerBalance(Call().get(), balance_request, &balance).ok());
  EXPECT_EQ(balance.open_amount().minor_units(), -1'000'000);
  const auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(std::count(topics.begin(), topics.end(), "invoicing.invoice.credited"), 1);

  // Cancelled once: no second storno, no modification, no payment of the
  // storno.
  auto again = invoice_stub_->CreateCreditNote(Call().get(), request, &storno);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(kernel::FieldViolationsOf(again).at(0).field, "invoice_id");
  request.set_kind(v1::INVOICE_KIND_MODIFICATION);
  *request.add_lines() = Less("-1", 100'000);
  EXPECT_EQ(invoice_stub_->CreateCreditNote(Call().get(), request, &storno).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  pay.mutable_payment()->set_invoice_id(storno.id() ? storno.id() : original.id() + 1);
  EXPECT_EQ(payment_stub_->RecordPayment(Call().get(), pay, &payment).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// A storno of an invoice the buyer paid 10,000 Ft of: that much stays open
// on the storno as the buyer's credit, for RecordRefund to pay back.
TEST_F(InvoicingServicesTest, ARefundPaysBackACreditNotesCreditAndSettlesIt) {
  v1::Invoice original;
  ASSERT_TRUE(Issue(Draft().id(), &original).ok());  // 36,830 Ft
  v1::RecordPaymentRequest pay;
  pay.mutable_payment()->set_invoice_id(original.id());
  pay.mutable_payment()->mutable_amount()->set_minor_units(1'000'000);
  pay.set_request_id("bank-1");
  v1::Payment payment;
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());
  EXPECT_EQ(payment.kind(), v1::PAYMENT_KIND_PAYMENT);
  v1::CreateCreditNoteRequest cancel;
  cancel.set_invoice_id(original.id());
  cancel.set_kind(v1::INVOICE_KIND_STORNO);
  cancel.set_reason("Téves számlázás");
  v1::Invoice storno;
  ASSERT_TRUE(invoice_stub_->CreateCreditNote(Call().get(), cancel, &storno).ok());
  ASSERT_EQ(storno.open_amount().minor_units(), -1'000'000);

  v1::RecordRefundRequest refund;
  refund.mutable_refund()->set_invoice_id(storno.id());
  refund.mutable_refund()->mutable_amount()->set_minor_units(400'000);
  refund.mutable_refund()->set_method(v1::PAYMENT_METHOD_CASH);
  refund.mutable_refund()->set_reference("Pénztár K-0042");
  v1::Payment refunded;
  const auto audited_before = context_.RecordedAudit().Recorded().size();
  const auto events_before = context_.RecordedEvents().PublishedTopics().size();

  // Bad requests name their field and write nothing.
  const auto refused_on = [&](const v1::RecordRefundRequest& bad) {
    const auto status = payment_stub_->RecordRefund(Call().get(), bad, &refunded);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    const auto violations = kernel::FieldViolationsOf(status);
    return violations.empty() ? std::string("(none)") : violations.at(0).field;
  };
  auto bad = refund;
  bad.mutable_refund()->set_invoice_id(0);
  EXPECT_EQ(refused_on(bad), "refund.invoice_id");
  bad.mutable_refund()->set_invoice_id(storno.id() + 100);
  EXPECT_EQ(refused_on(bad), "refund.invoice_id");
  bad = refund;
  bad.mutable_refund()->mutable_amount()->set_minor_units(0);
  EXPECT_EQ(refused_on(bad), "refund.amount");
  bad.mutable_refund()->mutable_amount()->set_minor_units(-400'000);
  EXPECT_EQ(refused_on(bad), "refund.amount");
  bad = refund;
  bad.mutable_refund()->mutable_amount()->set_minor_units(1'000'001);  // more than the credit
  EXPECT_EQ(refused_on(bad), "refund.amount");
  bad = refund;
  bad.mutable_refund()->mutable_amount()->set_currency_code("EUR");
  EXPECT_EQ(refused_on(bad), "refund.amount.currency_code");
  bad = refund;
  bad.mutable_refund()->set_method(static_cast<v1::PaymentMethod>(42));
  EXPECT_EQ(refused_on(bad), "refund.method");
  bad = refund;
  bad.mutable_refund()->mutable_paid_on()->set_year(2026);
  bad.mutable_refund()->mutable_paid_on()->set_month(2);
  bad.mutable_refund()->mutable_paid_on()->set_day(30);
  EXPECT_EQ(refused_on(bad), "refund.paid_on");
  bad = refund;
  bad.mutable_refund()->set_reference(std::string(201, 'x'));
  EXPECT_EQ(refused_on(bad), "refund.reference");
  bad = refund;
  bad.set_request_id("bank-1");  // a payment's
  EXPECT_EQ(refused_on(bad), "request_id");
  // The original has no credit on it: nothing to refund.
  bad = refund;
  bad.mutable_refund()->set_invoice_id(original.id());
  EXPECT_EQ(payment_stub_->RecordRefund(Call().get(), bad, &refunded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM invoicing.payment"), "1");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT paid_minor FROM invoicing.invoice WHERE id = " +
                                       std::to_string(storno.id())),
            "0");
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), audited_before);
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics().size(), events_before);

  // 4,000 Ft paid back in cash: 6,000 Ft of credit stays open.
  refund.set_request_id("refund-1");
  auto status = payment_stub_->RecordRefund(Call().get(), refund, &refunded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(refunded.kind(), v1::PAYMENT_KIND_REFUND);
  EXPECT_EQ(refunded.invoice_id(), storno.id());
  EXPECT_EQ(refunded.amount().minor_units(), 400'000);
  EXPECT_EQ(refunded.amount().currency_code(), "HUF");
  EXPECT_EQ(refunded.method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(refunded.reference(), "Pénztár K-0042");
  EXPECT_EQ(refunded.paid_on().day(), 10);  // today, 2026-06-10
  // The same request again: the same refund, once.
  v1::Payment again;
  ASSERT_TRUE(payment_stub_->RecordRefund(Call().get(), refund, &again).ok());
  EXPECT_EQ(again.id(), refunded.id());
  v1::GetInvoiceRequest get;
  get.set_id(storno.id());
  v1::Invoice note;
  ASSERT_TRUE(invoice_stub_->GetInvoice(Call().get(), get, &note).ok());
  EXPECT_EQ(note.paid_amount().minor_units(), -400'000);
  EXPECT_EQ(note.open_amount().minor_units(), -600'000);
  v1::GetPartnerBalanceRequest balance_request;
  balance_request.set_partner_id(partner_);
  v1::PartnerBalance balance;
  ASSERT_TRUE(payment_stub_->GetPartnerBalance(Call().get(), balance_request, &balance).ok());
  EXPECT_EQ(balance.open_amount().minor_units(), -600'000);
  EXPECT_EQ(balance.open_invoice_count(), 1);
  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), audited_before + 2);
  EXPECT_EQ(audited.at(audited_before).resource_type, "invoicing.payment");
  EXPECT_EQ(audited.at(audited_before).action, kernel::AuditAction::kCreate);
  const auto& changed = audited.at(audited_before + 1);
  EXPECT_EQ(changed.resource_type, "invoicing.invoice");
  EXPECT_EQ(changed.resource_id, storno.id());
  ASSERT_EQ(changed.changes.size(), 2u);
  EXPECT_EQ(changed.changes.at(1).field, "open_amount");
  EXPECT_NE(changed.changes.at(1).old_json.value_or("").find("-10"), std::string::npos);
  EXPECT_NE(changed.changes.at(1).new_json.value_or("").find("-6"), std::string::npos);
  auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(topics.back(), "invoicing.invoice.refunded");
  EXPECT_EQ(std::count(topics.begin(), topics.end(), "invoicing.payment.recorded"), 1);

  // The rest by transfer three days later: no credit is left, the storno
  // settles on the day the money left.
  refund.set_request_id("");
  refund.mutable_refund()->mutable_amount()->set_minor_units(600'000);
  refund.mutable_refund()->set_method(v1::PAYMENT_METHOD_TRANSFER);
  refund.mutable_refund()->mutable_paid_on()->set_year(2026);
  refund.mutable_refund()->mutable_paid_on()->set_month(6);
  refund.mutable_refund()->mutable_paid_on()->set_day(13);
  ASSERT_TRUE(payment_stub_->RecordRefund(Call().get(), refund, &refunded).ok());
  ASSERT_TRUE(invoice_stub_->GetInvoice(Call().get(), get, &note).ok());
  EXPECT_EQ(note.paid_amount().minor_units(), -1'000'000);
  EXPECT_EQ(note.open_amount().minor_units(), 0);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT paid_date FROM invoicing.invoice WHERE id = " +
                                       std::to_string(storno.id())),
            "2026-06-13");
  ASSERT_TRUE(payment_stub_->GetPartnerBalance(Call().get(), balance_request, &balance).ok());
  EXPECT_EQ(balance.open_amount().minor_units(), 0);
  EXPECT_EQ(balance.open_invoice_count(), 0);
  EXPECT_EQ(balance.risk_class(), v1::RISK_CLASS_LOW);
  topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(std::count(topics.begin(), topics.end(), "invoicing.invoice.refunded"), 2);
  // Nothing more to pay back, nor to pay.
  refund.mutable_refund()->mutable_amount()->set_minor_units(1);
  EXPECT_EQ(payment_stub_->RecordRefund(Call().get(), refund, &refunded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  pay.set_request_id("");
  pay.mutable_payment()->set_invoice_id(storno.id());
  EXPECT_EQ(payment_stub_->RecordPayment(Call().get(), pay, &payment).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // ListPayments tells the payment from the refunds.
  v1::ListPaymentsRequest list;
  list.set_partner_id(partner_);
  v1::ListPaymentsResponse listed;
  ASSERT_TRUE(payment_stub_->ListPayments(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.payments_size(), 3);
  EXPECT_EQ(listed.payments(0).kind(), v1::PAYMENT_KIND_PAYMENT);
  EXPECT_EQ(listed.payments(1).kind(), v1::PAYMENT_KIND_REFUND);
  EXPECT_EQ(listed.payments(2).kind(), v1::PAYMENT_KIND_REFUND);
  EXPECT_EQ(listed.payments(2).method(), v1::PAYMENT_METHOD_TRANSFER);

  // The card section: the refunds among the latest payments, newest first,
  // and a balance with nothing open.
  common::v1::CustomerOverviewSectionRequest section_request;
  section_request.set_partner_id(partner_);
  common::v1::CustomerOverviewSection section;
  ASSERT_TRUE(
      overview_stub_->CustomerOverviewSection(Call().get(), section_request, &section).ok());
  v1::InvoicingOverview overview;
  ASSERT_TRUE(section.content().UnpackTo(&overview));
  ASSERT_EQ(overview.recent_payments_size(), 3);
  EXPECT_EQ(overview.recent_payments(0).kind(), v1::PAYMENT_KIND_REFUND);
  EXPECT_EQ(overview.recent_payments(0).amount().minor_units(), 600'000);
  EXPECT_EQ(overview.balance().open_amount().minor_units(), 0);
  EXPECT_EQ(overview.open_invoices_size(), 0);
}

TEST_F(InvoicingServicesTest, ARefundIsOnlyOfCreditAndTwoAtOnceNeverPayBackMoreThanItIs) {
  v1::Invoice original;
  ASSERT_TRUE(Issue(Draft().id(), &original).ok());  // 36,830 Ft
  v1::RecordPaymentRequest pay;
  pay.mutable_payment()->set_invoice_id(original.id());
  pay.mutable_payment()->mutable_amount()->set_minor_units(3'683'000);
  v1::Payment payment;
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());
  // An open invoice is paid, not refunded; a draft has nothing.
  v1::Invoice unpaid;
  ASSERT_TRUE(Issue(Draft().id(), &unpaid).ok());
  v1::RecordRefundRequest refund;
  refund.mutable_refund()->set_invoice_id(unpaid.id());
  refund.mutable_refund()->mutable_amount()->set_minor_units(100);
  v1::Payment refunded;
  auto status = payment_stub_->RecordRefund(Call().get(), refund, &refunded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("RecordPayment"), std::string::npos)
      << status.error_message();
  refund.mutable_refund()->set_invoice_id(Draft().id());
  EXPECT_EQ(payment_stub_->RecordRefund(Call().get(), refund, &refunded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Paid in full, then cancelled: all 36,830 Ft are the buyer's credit.
  v1::CreateCreditNoteRequest cancel;
  cancel.set_invoice_id(original.id());
  cancel.set_kind(v1::INVOICE_KIND_STORNO);
  cancel.set_reason("Elállás");
  v1::Invoice storno;
  ASSERT_TRUE(invoice_stub_->CreateCreditNote(Call().get(), cancel, &storno).ok());
  ASSERT_EQ(storno.open_amount().minor_units(), -3'683'000);
  // Eight accountants pay back 20,000 Ft each at once: the credit holds
  // one of them, and the refunds queue on the locked credit note, so the
  // other seven find too little left.
  refund.mutable_refund()->set_invoice_id(storno.id());
  refund.mutable_refund()->mutable_amount()->set_minor_units(2'000'000);
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> accountants;
  for (int i = 0; i < 8; ++i) {
    accountants.emplace_back([&] {
      v1::Payment answer;
      const auto result = payment_stub_->RecordRefund(Call().get(), refund, &answer);
      if (result.ok()) {
        ++ok;
      } else if (result.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        ++refused;
      }
    });
  }
  for (auto& accountant : accountants) accountant.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT gross_minor - paid_minor - credited_minor FROM "
                        "invoicing.invoice WHERE id = " +
                            std::to_string(storno.id())),
            "-1683000");
}

// Beszámítás: the buyer's credit on a storno settles part of another open
// invoice of theirs; no money moves.
TEST_F(InvoicingServicesTest, AnOffsetSetsACreditOffAgainstAnotherOpenInvoice) {
  v1::Invoice original, open_invoice;
  ASSERT_TRUE(Issue(Draft().id(), &original).ok());      // 36,830 Ft
  ASSERT_TRUE(Issue(Draft().id(), &open_invoice).ok());  // 36,830 Ft, unpaid
  v1::RecordPaymentRequest pay;
  pay.mutable_payment()->set_invoice_id(original.id());
  pay.mutable_payment()->mutable_amount()->set_minor_units(1'000'000);
  v1::Payment payment;
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());
  v1::CreateCreditNoteRequest cancel;
  cancel.set_invoice_id(original.id());
  cancel.set_kind(v1::INVOICE_KIND_STORNO);
  cancel.set_reason("Téves számlázás");
  v1::Invoice storno;
  ASSERT_TRUE(invoice_stub_->CreateCreditNote(Call().get(), cancel, &storno).ok());
  ASSERT_EQ(storno.open_amount().minor_units(), -1'000'000);
  // Another partner's invoice, and one in euro.
  const std::int64_t other = InsertReturningId(
      "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
      "('organization', 'Más Kft.', now(), now()) RETURNING id");
  modules_.partners[other] = modules_.partners[partner_];
  modules_.partners[other].set_id(other);
  v1::CreateInvoiceRequest create;
  create.mutable_invoice()->set_partner_id(other);
  *create.mutable_invoice()->add_lines() = Line("1", 1'000'000);
  v1::Invoice others, euro;
  ASSERT_TRUE(invoice_stub_->CreateInvoice(Call().get(), create, &others).ok());
  ASSERT_TRUE(Issue(others.id(), &others).ok());
  ASSERT_TRUE(Issue(Draft("EUR", "395.12").id(), &euro).ok());
  const auto draft = Draft();

  v1::RecordOffsetRequest offset;
  offset.set_credit_note_id(storno.id());
  offset.set_invoice_id(open_invoice.id());
  offset.mutable_amount()->set_minor_units(400'000);
  offset.set_reference("Beszámítási megállapodás 2026/3");
  v1::Payment recorded;
  const auto payments_before = QueryScalar(conninfo_, "SELECT count(*) FROM invoicing.payment");
  const auto audited_before = context_.RecordedAudit().Recorded().size();
  const auto refused = [&](const v1::RecordOffsetRequest& bad) {
    const auto status = payment_stub_->RecordOffset(Call().get(), bad, &recorded);
    const auto violations = kernel::FieldViolationsOf(status);
    return fmt::format("{} {}", static_cast<int>(status.error_code()),
                       violations.empty() ? std::string("(none)") : violations.at(0).field);
  };
  const auto invalid = [](const std::string& field) { return "3 " + field; };
  const auto precondition = [](const std::string& field) { return "9 " + field; };
  auto bad = offset;
  bad.set_credit_note_id(0);
  EXPECT_EQ(refused(bad), invalid("credit_note_id"));
  bad.set_credit_note_id(storno.id() + 100);
  EXPECT_EQ(refused(bad), invalid("credit_note_id"));
  bad = offset;
  bad.set_invoice_id(0);
  EXPECT_EQ(refused(bad), invalid("invoice_id"));
  bad.set_invoice_id(storno.id());
  EXPECT_EQ(refused(bad), invalid("invoice_id"));
  bad.set_invoice_id(others.id());  // another partner's
  EXPECT_EQ(refused(bad), invalid("invoice_id"));
  bad.set_invoice_id(euro.id());  // another currency
  EXPECT_EQ(refused(bad), invalid("invoice_id"));
  bad.set_invoice_id(original.id());  // settled by the storno: nothing open
  EXPECT_EQ(refused(bad), precondition("invoice_id"));
  bad.set_invoice_id(draft.id());
  EXPECT_EQ(payment_stub_->RecordOffset(Call().get(), bad, &recorded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  bad = offset;
  bad.set_credit_note_id(open_invoice.id());  // owed, not a credit
  bad.set_invoice_id(storno.id());
  EXPECT_EQ(refused(bad), precondition("credit_note_id"));
  bad = offset;
  bad.mutable_amount()->set_minor_units(0);
  EXPECT_EQ(refused(bad), invalid("amount"));
  bad.mutable_amount()->set_minor_units(1'000'001);  // more than the credit
  EXPECT_EQ(refused(bad), invalid("amount"));
  bad = offset;
  bad.mutable_amount()->set_currency_code("EUR");
  EXPECT_EQ(refused(bad), invalid("amount.currency_code"));
  bad = offset;
  bad.mutable_offset_on()->set_year(2026);
  bad.mutable_offset_on()->set_month(13);
  bad.mutable_offset_on()->set_day(1);
  EXPECT_EQ(refused(bad), invalid("offset_on"));
  bad = offset;
  bad.set_reference(std::string(201, 'x'));
  EXPECT_EQ(refused(bad), invalid("reference"));
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM invoicing.payment"), payments_before);
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), audited_before);

  // 4,000 Ft of the credit set off: both open amounts shrink by it.
  auto status = payment_stub_->RecordOffset(Call().get(), offset, &recorded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(recorded.kind(), v1::PAYMENT_KIND_OFFSET);
  EXPECT_EQ(recorded.invoice_id(), open_invoice.id());
  EXPECT_EQ(recorded.credit_note_id(), storno.id());
  EXPECT_EQ(recorded.method(), v1::PAYMENT_METHOD_UNSPECIFIED);
  EXPECT_EQ(recorded.amount().minor_units(), 400'000);
  const auto open_of = [&](std::int64_t id) {
    v1::GetInvoiceRequest get;
    get.set_id(id);
    v1::Invoice read;
    EXPECT_TRUE(invoice_stub_->GetInvoice(Call().get(), get, &read).ok());
    return read.open_amount().minor_units();
  };
  EXPECT_EQ(open_of(storno.id()), -600'000);
  EXPECT_EQ(open_of(open_invoice.id()), 3'283'000);
  auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), audited_before + 3);  // the offset, and each invoice's open amount
  EXPECT_EQ(audited.at(audited_before + 1).resource_id, open_invoice.id());
  EXPECT_EQ(audited.at(audited_before + 2).resource_id, storno.id());
  auto topics = context_.RecordedEvents().PublishedTopics();
  ASSERT_GE(topics.size(), 2u);
  EXPECT_EQ(topics.at(topics.size() - 2), "invoicing.invoice.credited");
  EXPECT_EQ(topics.back(), "invoicing.invoice.offset");

  // The rest of the credit, on a day agreed: the storno settles that day,
  // the invoice stays open for the rest.
  offset.mutable_amount()->set_minor_units(600'000);
  offset.mutable_offset_on()->set_year(2026);
  offset.mutable_offset_on()->set_month(6);
  offset.mutable_offset_on()->set_day(12);
  offset.set_request_id("offset-2");
  ASSERT_TRUE(payment_stub_->RecordOffset(Call().get(), offset, &recorded).ok());
  v1::Payment again;
  ASSERT_TRUE(payment_stub_->RecordOffset(Call().get(), offset, &again).ok());
  EXPECT_EQ(again.id(), recorded.id());  // the same request once
  EXPECT_EQ(open_of(storno.id()), 0);
  EXPECT_EQ(open_of(open_invoice.id()), 2'683'000);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT paid_date FROM invoicing.invoice WHERE id = " +
                                       std::to_string(storno.id())),
            "2026-06-12");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT paid_date IS NULL FROM invoicing.invoice WHERE id = " +
                                       std::to_string(open_invoice.id())),
            "t");
  offset.set_request_id("");
  offset.mutable_amount()->set_minor_units(1);
  EXPECT_EQ(payment_stub_->RecordOffset(Call().get(), offset, &recorded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // no credit left
  v1::GetPartnerBalanceRequest balance_request;
  balance_request.set_partner_id(partner_);
  v1::PartnerBalance balance;
  ASSERT_TRUE(payment_stub_->GetPartnerBalance(Call().get(), balance_request, &balance).ok());
  EXPECT_EQ(balance.open_amount().minor_units(), 2'683'000);
  EXPECT_EQ(balance.open_invoice_count(), 1);

  // Both invoices list the offsets; the partner's list has them once.
  v1::ListPaymentsRequest list;
  list.set_invoice_id(storno.id());
  v1::ListPaymentsResponse listed;
  ASSERT_TRUE(payment_stub_->ListPayments(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.payments_size(), 2);
  EXPECT_EQ(listed.payments(0).kind(), v1::PAYMENT_KIND_OFFSET);
  list.set_invoice_id(open_invoice.id());
  ASSERT_TRUE(payment_stub_->ListPayments(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.payments_size(), 2);
  EXPECT_EQ(listed.payments(1).credit_note_id(), storno.id());
  list.set_invoice_id(0);
  list.set_partner_id(partner_);
  ASSERT_TRUE(payment_stub_->ListPayments(Call().get(), list, &listed).ok());
  EXPECT_EQ(listed.payments_size(), 3);  // the payment and the two offsets
}

TEST_F(InvoicingServicesTest, ModificationsFollowOnAndAStornoTakesThemBackToo) {
  v1::Invoice original;
  ASSERT_TRUE(Issue(Draft().id(), &original).ok());  // 2 × 14,500 Ft + 27% = 36,830 Ft
  v1::CreateCreditNoteRequest request;
  request.set_invoice_id(original.id());
  request.set_kind(v1::INVOICE_KIND_MODIFICATION);
  request.set_reason("Egy tétel elmaradt");
  *request.add_lines() = Line("-1", 1'450'000);
  v1::Invoice modification;
  ASSERT_TRUE(invoice_stub_->CreateCreditNote(Call().get(), request, &modification).ok());
  EXPECT_EQ(modification.state(), v1::INVOICE_STATE_DRAFT);
  EXPECT_EQ(modification.original_invoice_id(), original.id());

  // A credit note keeps its original's currency.
  v1::UpdateInvoiceRequest update;
  update.mutable_invoice()->set_id(modification.id());
  update.mutable_invoice()->set_currency_code("EUR");
  update.mutable_update_mask()->add_paths("currency_code");
  v1::Invoice updated;
  auto status = invoice_stub_->UpdateInvoice(Call().get(), update, &updated);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "invoice.currency_code");

  v1::Invoice issued;
  ASSERT_TRUE(Issue(modification.id(), &issued).ok());
  EXPECT_EQ(issued.modification_index(), 1);
  EXPECT_EQ(issued.lines(0).line_number_reference(), 2);
  EXPECT_EQ(issued.totals().gross_amount().minor_units(), -1'841'500);
  EXPECT_EQ(issued.open_amount().minor_units(), 0);  // all of it taken off the original
  v1::GetInvoiceRequest get;
  get.set_id(original.id());
  v1::Invoice corrected;
  ASSERT_TRUE(invoice_stub_->GetInvoice(Call().get(), get, &corrected).ok());
  EXPECT_EQ(corrected.open_amount().minor_units(), 1'841'500);

  request.set_kind(v1::INVOICE_KIND_STORNO);
  request.clear_lines();
  v1::Invoice storno;
  status = invoice_stub_->CreateCreditNote(Call().get(), request, &storno);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(storno.modification_index(), 2);
  ASSERT_EQ(storno.lines_size(), 2);
  EXPECT_EQ(storno.lines(0).quantity(), "-2");
  EXPECT_EQ(storno.lines(1).quantity(), "1");
  EXPECT_EQ(storno.lines(0).line_number_reference(), 3);
  EXPECT_EQ(storno.lines(1).line_number_reference(), 4);
  EXPECT_EQ(storno.totals().gross_amount().minor_units(), -1'841'500);
  ASSERT_TRUE(invoice_stub_->GetInvoice(Call().get(), get, &corrected).ok());
  EXPECT_EQ(corrected.open_amount().minor_units(), 0);
}

TEST_F(InvoicingServicesTest, ABadCreditNoteNamesItsFieldAndWritesNothing) {
  v1::Invoice original;
  ASSERT_TRUE(Issue(Draft().id(), &original).ok());
  const auto draft = Draft();
  const auto count = [&] {
    return QueryScalar(conninfo_, "SELECT count(*) FROM invoicing.invoice");
  };
  const auto before = count();
  const auto field_of = [&](v1::CreateCreditNoteRequest request) {
    v1::Invoice note;
    const auto status = invoice_stub_->CreateCreditNote(Call().get(), request, &note);
    const auto violations = kernel::FieldViolationsOf(status);
    return std::to_string(status.error_code()) + " " +
           (violations.empty() ? std::string("-") : violations.at(0).field);
  };
  v1::CreateCreditNoteRequest request;
  request.set_invoice_id(original.id());
  request.set_kind(v1::INVOICE_KIND_STORNO);
  request.set_reason("Hiba");
  auto without_kind = request;
  without_kind.clear_kind();
  EXPECT_EQ(field_of(without_kind), "3 kind");
  auto without_reason = request;
  without_reason.clear_reason();
  EXPECT_EQ(field_of(without_reason), "3 reason");
  auto storno_with_lines = request;
  *storno_with_lines.add_lines() = Less("-1", 1'000);
  EXPECT_EQ(field_of(storno_with_lines), "3 lines");
  auto empty_modification = request;
  empty_modification.set_kind(v1::INVOICE_KIND_MODIFICATION);
  EXPECT_EQ(field_of(empty_modification), "3 lines");
  auto bad_line = empty_modification;
  *bad_line.add_lines() = Less("abc", 1'000);
  EXPECT_EQ(field_of(bad_line), "3 invoice.lines[0].quantity");
  auto of_a_draft = request;
  of_a_draft.set_invoice_id(draft.id());
  EXPECT_EQ(field_of(of_a_draft), "9 invoice_id");
  auto of_nothing = request;
  of_nothing.set_invoice_id(999'999);
  EXPECT_EQ(field_of(of_nothing), "3 invoice_id");
  EXPECT_EQ(count(), before);
}

TEST_F(InvoicingServicesTest, TheOverdueNoticeComesOnceAtTheEndOfTheDueDateInBudapest) {
  v1::Invoice open, paid;
  ASSERT_TRUE(Issue(Draft().id(), &open).ok());
  ASSERT_TRUE(Issue(Draft().id(), &paid).ok());
  const auto jobs = context_.RecordedJobs().Scheduled();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].kind, InvoiceServiceImpl::kOverdueJob);
  EXPECT_EQ(jobs[0].payload, std::to_string(open.id()) + " 2026-06-18");
  // Midnight after 2026-06-18 in Budapest (summer time, UTC+2) is
  // 2026-06-18 22:00 UTC.
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::seconds>(jobs[0].run_at.time_since_epoch()).count(),
      1'781'085'600 + 8 * 86'400 + 12 * 3'600);
  v1::RecordPaymentRequest pay;
  pay.mutable_payment()->set_invoice_id(paid.id());
  pay.mutable_payment()->mutable_amount()->set_minor_units(3'683'000);
  v1::Payment payment;
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());

  for (int run = 0; run < 2; ++run) {
    context_.RecordedJobs().Run(InvoiceServiceImpl::kOverdueJob, jobs[0].payload);
    context_.RecordedJobs().Run(InvoiceServiceImpl::kOverdueJob, jobs[1].payload);
  }
  const auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(std::count(topics.begin(), topics.end(), "invoicing.invoice.overdue"), 1);
}

TEST_F(InvoicingServicesTest, AnExternalPartnerSeesAndPrintsOnlyTheInvoicesSharedWithThem) {
  v1::Invoice shared, kept;
  ASSERT_TRUE(Issue(Draft().id(), &shared).ok());
  ASSERT_TRUE(Issue(Draft().id(), &kept).ok());
  kernel::Caller installer;
  installer.user_id = NewUser("szerelo", "external_partner");
  installer.roles = {"external_partner"};
  const auto listed = [&] {
    v1::ListInvoicesResponse response;
    EXPECT_TRUE(invoice_stub_->ListInvoices(CallAs(installer).get(), {}, &response).ok());
    return response.invoices_size();
  };
  const auto printable = [&](std::int64_t id) {
    v1::RenderInvoicePdfRequest request;
    request.set_id(id);
    auto context = CallAs(installer);
    auto reader = invoice_stub_->RenderInvoicePdf(context.get(), request);
    std::string pdf;
    for (v1::RenderInvoicePdfResponse part; reader->Read(&part);) pdf += part.chunk();
    const auto status = reader->Finish();
    return status.ok() ? pdf.substr(0, 5) : std::to_string(status.error_code());
  };
  EXPECT_EQ(listed(), 0);
  EXPECT_EQ(printable(shared.id()), "5");  // NOT_FOUND: out of sight

  v1::ShareInvoiceRequest share;
  share.set_id(shared.id());
  share.set_user_id(installer.user_id);
  v1::Invoice answer;
  ASSERT_TRUE(invoice_stub_->ShareInvoice(Call().get(), share, &answer).ok());
  EXPECT_EQ(listed(), 1);
  EXPECT_EQ(printable(shared.id()), "%PDF-");
  EXPECT_EQ(printable(kept.id()), "5");
  v1::GetInvoiceRequest get;
  get.set_id(kept.id());
  EXPECT_EQ(invoice_stub_->GetInvoice(CallAs(installer).get(), get, &answer).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::UnshareInvoiceRequest unshare;
  unshare.set_id(shared.id());
  unshare.set_user_id(installer.user_id);
  ASSERT_TRUE(invoice_stub_->UnshareInvoice(Call().get(), unshare, &answer).ok());
  EXPECT_EQ(listed(), 0);
  const auto audited = context_.RecordedAudit().Recorded();
  EXPECT_EQ(std::count_if(audited.begin(), audited.end(),
                          [](const auto& entry) {
                            return entry.changes.size() == 1 &&
                                   entry.changes.at(0).field == "shared_with_user";
                          }),
            2);
}

TEST_F(InvoicingServicesTest, TheCardSectionShowsWhatIsOwedHowItIsPaidAndTheLimit) {
  modules_.partners[partner_].mutable_credit_limit()->set_currency_code("HUF");
  modules_.partners[partner_].mutable_credit_limit()->set_minor_units(50'000'000);
  v1::Invoice first, second;
  ASSERT_TRUE(Issue(Draft().id(), &first).ok());  // 36,830 Ft each
  ASSERT_TRUE(Issue(Draft().id(), &second).ok());
  v1::RecordPaymentRequest pay;
  pay.mutable_payment()->set_invoice_id(first.id());
  pay.mutable_payment()->mutable_amount()->set_minor_units(1'000'000);
  v1::Payment payment;
  ASSERT_TRUE(payment_stub_->RecordPayment(Call().get(), pay, &payment).ok());
  context_.Clock().Advance(std::chrono::hours(24 * 10));  // both 2 days overdue

  common::v1::CustomerOverviewSectionRequest request;
  request.set_partner_id(partner_);
  common::v1::CustomerOverviewSection section;
  ASSERT_TRUE(overview_stub_->CustomerOverviewSection(Call().get(), request, &section).ok());
  EXPECT_EQ(section.module(), "invoicing");
  v1::InvoicingOverview overview;
  ASSERT_TRUE(section.content().UnpackTo(&overview));
  ASSERT_EQ(overview.open_invoices_size(), 2);
  EXPECT_EQ(overview.open_invoices(0).id(), first.id());
  EXPECT_EQ(overview.overdue_invoice_count(), 2);
  ASSERT_EQ(overview.recent_payments_size(), 1);
  EXPECT_EQ(overview.balance().open_amount().minor_units(), 2 * 3'683'000 - 1'000'000);
  EXPECT_EQ(overview.credit_limit().minor_units(), 50'000'000);

  // An external partner: only what is shared, and no balance.
  kernel::Caller installer;
  installer.user_id = NewUser("szerelo", "external_partner");
  installer.roles = {"external_partner"};
  ASSERT_TRUE(
      overview_stub_->CustomerOverviewSection(CallAs(installer).get(), request, &section).ok());
  ASSERT_TRUE(section.content().UnpackTo(&overview));
  EXPECT_EQ(overview.open_invoices_size(), 0);
  EXPECT_FALSE(overview.has_balance());
  EXPECT_FALSE(overview.has_credit_limit());
}

TEST_F(InvoicingServicesTest, TheNavExportOfAnInvoiceAndItsStornoValidatesAgainstNavsSchema) {
  v1::Invoice original;
  ASSERT_TRUE(Issue(Draft().id(), &original).ok());
  v1::ExportNavXmlRequest request;
  request.set_id(original.id());
  v1::ExportNavXmlResponse exported;
  auto status = invoice_stub_->ExportNavXml(Call().get(), request, &exported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(exported.file_name(), "KRT-2026-000001.xml");
  EXPECT_TRUE(nav::ValidateInvoiceData(exported.invoice_data_xml()).empty());
  EXPECT_NE(exported.invoice_data_xml().find("KRT-2026-000001"), std::string::npos);
  EXPECT_NE(exported.invoice_data_xml().find("24680242"), std::string::npos);  // the buyer

  v1::CreateCreditNoteRequest cancel;
  cancel.set_invoice_id(original.id());
  cancel.set_kind(v1::INVOICE_KIND_STORNO);
  cancel.set_reason("Téves számlázás");
  v1::Invoice storno;
  ASSERT_TRUE(invoice_stub_->CreateCreditNote(Call().get(), cancel, &storno).ok());
  request.set_id(storno.id());
  status = invoice_stub_->ExportNavXml(Call().get(), request, &exported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(nav::ValidateInvoiceData(exported.invoice_data_xml()).empty());
  EXPECT_NE(exported.invoice_data_xml().find("KRT-2026-000001</"), std::string::npos);
  EXPECT_NE(exported.invoice_data_xml().find("modificationIndex>1<"), std::string::npos);

  // A draft is not reported.
  request.set_id(Draft().id());
  EXPECT_EQ(invoice_stub_->ExportNavXml(Call().get(), request, &exported).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(InvoicingServicesTest, ThePartnerCardGivesTheTermsAndTheCurrency) {
  modules_.partners[partner_].set_payment_terms_days(30);
  modules_.partners[partner_].set_default_currency_code("EUR");
  v1::CreateInvoiceRequest request;
  request.mutable_invoice()->set_partner_id(partner_);
  *request.mutable_invoice()->add_lines() = Line("1", 10'000);
  v1::Invoice draft;
  ASSERT_TRUE(invoice_stub_->CreateInvoice(Call().get(), request, &draft).ok());
  EXPECT_EQ(draft.currency_code(), "EUR");
  const auto huf = Draft();  // names HUF itself
  v1::Invoice issued;
  ASSERT_TRUE(Issue(huf.id(), &issued).ok());
  EXPECT_EQ(issued.due_date().month(), 7);  // 2026-06-10 + 30 days
  EXPECT_EQ(issued.due_date().day(), 10);
}

TEST(RiskClass, FollowsLatenessAndTheOldestOverdueInvoice) {
  EXPECT_EQ(RiskClassOf(0, 0), v1::RISK_CLASS_LOW);
  EXPECT_EQ(RiskClassOf(8, 30), v1::RISK_CLASS_LOW);
  EXPECT_EQ(RiskClassOf(9, 0), v1::RISK_CLASS_MEDIUM);
  EXPECT_EQ(RiskClassOf(0, 61), v1::RISK_CLASS_HIGH);
}

}  // namespace
}  // namespace karton::invoicing
