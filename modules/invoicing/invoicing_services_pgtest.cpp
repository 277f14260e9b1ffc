// The invoicing services against their real SQL on a throwaway database,
// called over an in-process gRPC server so each call carries its caller:
// gap-free numbering under 16 concurrent issuers with rolled-back issues,
// billing an order once, immutability once issued, payments, balances and
// the answer to orders' credit check.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

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
#include "other_modules.h"
#include "payments/payment_service.h"
#include "throwaway_postgres.h"

namespace karton::invoicing {
namespace {

using karton::testing::QueryScalar;

class MemoryModules final : public OtherModules {
 public:
  std::set<std::int64_t> partners;
  std::map<std::int64_t, orders::v1::Order> orders;
  grpc::Status FindPartner(const grpc::ServerContext*, std::int64_t id) override {
    return partners.count(id) ? grpc::Status::OK
                              : grpc::Status(grpc::StatusCode::NOT_FOUND, "no such partner");
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
    modules_.partners.insert(partner_);
    parts_ = std::make_unique<ServiceParts>(ServiceParts{
        *database_, context_.Time(), context_.Audit(), context_.Events(), context_.Log()});
    InvoiceServiceImpl::DeclareTopics(context_.Events());
    PaymentServiceImpl::DeclareTopics(context_.Events());
    invoices_ = std::make_unique<InvoiceServiceImpl>(*parts_, modules_, settings_);
    payments_ = std::make_unique<PaymentServiceImpl>(*parts_, settings_);
    grpc::ServerBuilder builder;
    builder.RegisterService(invoices_.get());
    builder.RegisterService(payments_.get());
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
    invoice_stub_ = v1::InvoiceService::NewStub(channel_);
    payment_stub_ = v1::PaymentService::NewStub(channel_);
    accountant_.user_id = NewUser("kata", "accounting");
    accountant_.roles = {"accounting"};
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<grpc::ClientContext> Call() {
    auto context = std::make_unique<grpc::ClientContext>();
    kernel::ForwardCaller(accountant_, *context);
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
  std::unique_ptr<ServiceParts> parts_;
  std::unique_ptr<InvoiceServiceImpl> invoices_;
  std::unique_ptr<PaymentServiceImpl> payments_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InvoiceService::Stub> invoice_stub_;
  std::unique_ptr<v1::PaymentService::Stub> payment_stub_;
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

TEST(RiskClass, FollowsLatenessAndTheOldestOverdueInvoice) {
  EXPECT_EQ(RiskClassOf(0, 0), v1::RISK_CLASS_LOW);
  EXPECT_EQ(RiskClassOf(8, 30), v1::RISK_CLASS_LOW);
  EXPECT_EQ(RiskClassOf(9, 0), v1::RISK_CLASS_MEDIUM);
  EXPECT_EQ(RiskClassOf(0, 61), v1::RISK_CLASS_HIGH);
}

}  // namespace
}  // namespace karton::invoicing
