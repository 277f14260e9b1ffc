// The orders services against their real SQL on a throwaway database, with
// a FakeModuleContext's clock, audit trail, events and jobs, and a partner
// directory and credit exposure answered in memory: the money written and
// read back, expiry, acceptance into an order, the state machine and the
// credit check. The services are called over an in-process gRPC server, so
// each call carries its caller the way the kernel forwards it.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>

#include "catalogue/product_service.h"
#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/partners/v1/partner.pb.h"
#include "module_database_test.h"
#include "orders/order_service.h"
#include "partner_directory.h"
#include "partner_events.h"
#include "pricing/price_list_service.h"
#include "quotations/quotation_mail.h"
#include "quotations/quotation_service.h"
#include "throwaway_postgres.h"

namespace karton::orders {
namespace {

using karton::testing::QueryScalar;

class MemoryPartners final : public PartnerDirectory {
 public:
  std::map<std::int64_t, PartnerFacts> partners;
  grpc::Status FindPartner(const grpc::ServerContext*, std::int64_t partner_id,
                           PartnerFacts& facts) override {
    const auto found = partners.find(partner_id);
    if (found == partners.end()) return {grpc::StatusCode::NOT_FOUND, "no such partner"};
    facts = found->second;
    return grpc::Status::OK;
  }
  grpc::Status CheckContact(const grpc::ServerContext*, std::int64_t, std::int64_t) override {
    return grpc::Status::OK;
  }
  grpc::Status FindContact(const grpc::ServerContext*, std::int64_t, std::int64_t contact_id,
                           ContactFacts& facts) override {
    facts.id = contact_id;
    return grpc::Status::OK;
  }
};

// What SendQuotation asked messaging to send; `answer` is what messaging
// says.
class MemoryMailer final : public MessageSender {
 public:
  std::vector<messaging::v1::SendMessageRequest> sent;
  grpc::Status answer = grpc::Status::OK;
  grpc::Status Send(const grpc::ServerContext&, const messaging::v1::SendMessageRequest& request,
                    std::int64_t& message_id) override {
    if (!answer.ok()) return answer;
    sent.push_back(request);
    message_id = 9000 + static_cast<std::int64_t>(sent.size());
    return grpc::Status::OK;
  }
};

class MemoryExposure final : public CreditExposureSource {
 public:
  std::int64_t owed = 0;
  grpc::Status Ask(const grpc::ServerContext&, std::int64_t, const std::string&,
                   std::vector<ExposureAnswer>& answers) override {
    if (owed != 0) answers.push_back({"invoicing", owed, "unpaid invoices", ""});
    return grpc::Status::OK;
  }
};

class OrdersServicesTest : public karton::testing::ModuleDatabaseTest {
 protected:
  OrdersServicesTest() : ModuleDatabaseTest("orders", {"partners", "orders"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    // 2026-06-10 10:00 UTC (12:00 in Budapest).
    context_.Clock().Set(
        std::chrono::system_clock::time_point(std::chrono::seconds(1'781'085'600)));
    partner_ = InsertReturningId(
        "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
        "('organization', 'Fűtés Kft.', now(), now()) RETURNING id");
    PartnerFacts facts;
    facts.id = partner_;
    facts.display_name = "Fűtés Kft.";
    facts.tax_number = "12345676-2-41";
    partners_.partners[partner_] = facts;
    settings_.company.name = "Karton Fűtésszerviz Kft.";
    settings_.company.email = "ajanlat@karton.example";
    parts_ = std::make_unique<kernel::ServiceParts>(kernel::PartsOf(context_));
    ProductServiceImpl::DeclareTopics(context_.Events());
    PriceListServiceImpl::DeclareTopics(context_.Events());
    QuotationServiceImpl::DeclareTopics(context_.Events());
    OrderServiceImpl::DeclareTopics(context_.Events());
    products_ = std::make_unique<ProductServiceImpl>(*parts_);
    price_lists_ = std::make_unique<PriceListServiceImpl>(*parts_, partners_, settings_);
    quotations_ = std::make_unique<QuotationServiceImpl>(*parts_, context_.JobQueue(), partners_,
                                                         mailer_, settings_);
    orders_ = std::make_unique<OrderServiceImpl>(*parts_, partners_, exposure_, settings_);
    grpc::ServerBuilder builder;
    builder.RegisterService(products_.get());
    builder.RegisterService(price_lists_.get());
    builder.RegisterService(quotations_.get());
    builder.RegisterService(orders_.get());
    server_ = builder.BuildAndStart();
    auto channel = server_->InProcessChannel(grpc::ChannelArguments());
    product_stub_ = v1::ProductService::NewStub(channel);
    price_list_stub_ = v1::PriceListService::NewStub(channel);
    quotation_stub_ = v1::QuotationService::NewStub(channel);
    order_stub_ = v1::OrderService::NewStub(channel);
    manager_.user_id = NewUser("gabor", "sales_manager");
    manager_.roles = {"sales_manager"};
    salesperson_.user_id = NewUser("anna", "sales");
    salesperson_.roles = {"sales"};
    context_.JobQueue().Handle(QuotationServiceImpl::kExpireJob,
                               [this](const kernel::JobRun& run) { quotations_->Expire(run); });
    context_.JobQueue().Handle(
        QuotationServiceImpl::kExpiringJob,
        [this](const kernel::JobRun& run) { quotations_->AnnounceExpiring(run); });
  }

  std::int64_t NewProduct(const std::string& sku, std::int64_t huf,
                          common::v1::VatCategory vat = common::v1::VAT_CATEGORY_STANDARD_27) {
    v1::CreateProductRequest request;
    request.mutable_product()->set_sku(sku);
    request.mutable_product()->set_name("Termék " + sku);
    request.mutable_product()->set_vat_category(vat);
    request.mutable_product()->mutable_list_price()->set_currency_code("HUF");
    request.mutable_product()->mutable_list_price()->set_minor_units(huf * 100);
    v1::Product product;
    const auto status = product_stub_->CreateProduct(Call().get(), request, &product);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return product.id();
  }

  v1::Quotation NewQuotation(std::int64_t product, const std::string& quantity,
                             int valid_until_day = 30) {
    v1::CreateQuotationRequest request;
    auto& quotation = *request.mutable_quotation();
    quotation.set_partner_id(partner_);
    quotation.mutable_valid_until()->set_year(2026);
    quotation.mutable_valid_until()->set_month(6);
    quotation.mutable_valid_until()->set_day(valid_until_day);
    auto* line = quotation.add_lines();
    line->set_product_id(product);
    line->set_quantity(quantity);
    v1::Quotation created;
    const auto status = quotation_stub_->CreateQuotation(Call().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Order NewOrder(std::int64_t product, const std::string& quantity) {
    v1::CreateOrderRequest request;
    request.mutable_order()->set_partner_id(partner_);
    auto* line = request.mutable_order()->add_lines();
    line->set_product_id(product);
    line->set_quantity(quantity);
    v1::Order created;
    const auto status = order_stub_->CreateOrder(Call().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status Confirm(std::int64_t id, const std::string& override_reason = "",
                       const kernel::Caller* caller = nullptr) {
    v1::ConfirmOrderRequest request;
    request.set_id(id);
    request.set_credit_override_reason(override_reason);
    v1::Order confirmed;
    return order_stub_->ConfirmOrder(As(caller ? *caller : manager_).get(), request, &confirmed);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // A call as `caller` (the sales manager unless told otherwise).
  std::unique_ptr<grpc::ClientContext> As(const kernel::Caller& caller) {
    auto context = std::make_unique<grpc::ClientContext>();
    kernel::ForwardCaller(caller, *context);
    return context;
  }
  std::unique_ptr<grpc::ClientContext> Call() { return As(manager_); }

  std::int64_t partner_ = 0;
  kernel::Caller manager_;
  kernel::Caller salesperson_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ProductService::Stub> product_stub_;
  std::unique_ptr<v1::PriceListService::Stub> price_list_stub_;
  std::unique_ptr<v1::QuotationService::Stub> quotation_stub_;
  std::unique_ptr<v1::OrderService::Stub> order_stub_;
  MemoryPartners partners_;
  MemoryExposure exposure_;
  MemoryMailer mailer_;
  OrdersSettings settings_;
  std::unique_ptr<kernel::ServiceParts> parts_;
  std::unique_ptr<ProductServiceImpl> products_;
  std::unique_ptr<PriceListServiceImpl> price_lists_;
  std::unique_ptr<QuotationServiceImpl> quotations_;
  std::unique_ptr<OrderServiceImpl> orders_;
};

TEST_F(OrdersServicesTest, AQuotationIsPricedStoredAndReadBackExactly) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto created = NewQuotation(boiler, "2");
  EXPECT_EQ(created.number(), "AJ-2026-" +
                                  std::string(6 - std::to_string(created.id()).size(), '0') +
                                  std::to_string(created.id()));
  EXPECT_EQ(created.state(), v1::QUOTATION_STATE_DRAFT);
  EXPECT_EQ(created.totals().net_amount().minor_units(), 97'800'000);
  EXPECT_EQ(created.totals().vat_amount().minor_units(), 26'406'000);
  v1::GetQuotationRequest get;
  get.set_id(created.id());
  v1::Quotation found;
  ASSERT_TRUE(quotation_stub_->GetQuotation(Call().get(), get, &found).ok());
  EXPECT_EQ(found.lines_size(), 1);
  EXPECT_EQ(found.lines(0).quantity(), "2");
  EXPECT_EQ(found.lines(0).description(), "Termék KAZ-24");
  EXPECT_EQ(found.totals().SerializeAsString(), created.totals().SerializeAsString());
  EXPECT_EQ(found.lines(0).SerializeAsString(), created.lines(0).SerializeAsString());

  EXPECT_EQ(context_.RecordedEvents().PublishedTopics(),
            (std::vector<std::string>{"orders.product.created", "orders.quotation.created"}));
  // Its expiry at the end of 30 June in Budapest (22:00 UTC, summer time),
  // its notice three days before, at the start of 27 June.
  const auto jobs = context_.RecordedJobs().Scheduled();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(kernel::ToEpochMicros(jobs[0].run_at), 1'782'856'800'000'000LL);
  EXPECT_EQ(kernel::ToEpochMicros(jobs[1].run_at), 1'782'511'200'000'000LL);
}

// Past the six digits the number is padded to, it grows a digit instead of
// losing one (lpad cuts a longer text: order 1,000,000 was "100000",
// which order 100,000 already had).
TEST_F(OrdersServicesTest, NumbersPastSixDigitsKeepEveryDigit) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  QueryScalar(conninfo_, "SELECT setval('orders.quotation_id_seq', 999999)");
  QueryScalar(conninfo_, "SELECT setval('orders.sales_order_id_seq', 999999)");
  EXPECT_EQ(NewQuotation(boiler, "1").number(), "AJ-2026-1000000");
  EXPECT_EQ(NewQuotation(boiler, "1").number(), "AJ-2026-1000001");
  EXPECT_EQ(NewOrder(boiler, "1").number().substr(8), "1000000");
}

TEST_F(OrdersServicesTest, APartnersOwnPriceListBeatsTheGeneralOneAndTheListPrice) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  for (const std::int64_t partner : {std::int64_t{0}, partner_}) {
    v1::CreatePriceListRequest request;
    request.mutable_price_list()->set_name(partner == 0 ? "Általános" : "Partnerár");
    request.mutable_price_list()->set_currency_code("HUF");
    request.mutable_price_list()->set_partner_id(partner);
    auto* item = request.mutable_price_list()->add_items();
    item->set_product_id(boiler);
    item->mutable_unit_price()->set_minor_units(partner == 0 ? 47'000'000 : 45'000'000);
    v1::PriceList list;
    const auto status = price_list_stub_->CreatePriceList(Call().get(), request, &list);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::ResolvePriceRequest resolve;
  resolve.set_partner_id(partner_);
  resolve.set_product_id(boiler);
  resolve.set_currency_code("HUF");
  v1::ResolvePriceResponse price;
  ASSERT_TRUE(price_list_stub_->ResolvePrice(Call().get(), resolve, &price).ok());
  EXPECT_EQ(price.unit_price().minor_units(), 45'000'000);
  resolve.set_partner_id(0);
  ASSERT_TRUE(price_list_stub_->ResolvePrice(Call().get(), resolve, &price).ok());
  EXPECT_EQ(price.unit_price().minor_units(), 47'000'000);
  resolve.set_currency_code("EUR");
  EXPECT_EQ(price_list_stub_->ResolvePrice(Call().get(), resolve, &price).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(NewQuotation(boiler, "1").lines(0).unit_price().minor_units(), 45'000'000);
}

TEST_F(OrdersServicesTest, ABadQuotationNamesItsFieldsAndWritesNothing) {
  v1::CreateQuotationRequest request;
  request.mutable_quotation()->set_partner_id(partner_);
  request.mutable_quotation()->mutable_valid_until()->set_year(2026);
  request.mutable_quotation()->mutable_valid_until()->set_month(6);
  request.mutable_quotation()->mutable_valid_until()->set_day(1);  // in the past
  auto* line = request.mutable_quotation()->add_lines();
  line->set_description("Kiszállás");
  line->set_quantity("1");
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  line->mutable_unit_price()->set_minor_units(1'000'000);
  v1::Quotation created;
  auto status = quotation_stub_->CreateQuotation(Call().get(), request, &created);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "quotation.valid_until");

  request.mutable_quotation()->mutable_valid_until()->set_day(31);  // June has 30
  status = quotation_stub_->CreateQuotation(Call().get(), request, &created);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "quotation.valid_until");

  request.mutable_quotation()->mutable_valid_until()->set_day(20);
  request.mutable_quotation()->set_partner_id(partner_ + 1000);
  status = quotation_stub_->CreateQuotation(Call().get(), request, &created);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "quotation.partner_id");

  request.mutable_quotation()->set_partner_id(partner_);
  request.mutable_quotation()->mutable_lines(0)->set_quantity("-1");
  status = quotation_stub_->CreateQuotation(Call().get(), request, &created);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "quotation.lines[0].quantity");

  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM orders.quotation"), "0");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM orders.sales_line"), "0");
  EXPECT_TRUE(context_.RecordedJobs().Scheduled().empty());
}

TEST_F(OrdersServicesTest, AcceptingAQuotationMakesADraftOrderWithItsLinesInOneGo) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto quotation = NewQuotation(boiler, "1.5");
  v1::AcceptQuotationRequest accept;
  accept.set_id(quotation.id());
  accept.set_etag(quotation.etag());
  v1::AcceptQuotationResponse accepted;
  const auto status = quotation_stub_->AcceptQuotation(Call().get(), accept, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(accepted.quotation().state(), v1::QUOTATION_STATE_ACCEPTED);
  EXPECT_EQ(accepted.quotation().order_id(), accepted.order().id());
  EXPECT_EQ(accepted.order().state(), v1::ORDER_STATE_DRAFT);
  EXPECT_EQ(accepted.order().quotation_id(), quotation.id());
  EXPECT_EQ(accepted.order().totals().gross_amount().minor_units(),
            quotation.totals().gross_amount().minor_units());
  v1::GetOrderRequest get;
  get.set_id(accepted.order().id());
  v1::Order order;
  ASSERT_TRUE(order_stub_->GetOrder(Call().get(), get, &order).ok());
  ASSERT_EQ(order.lines_size(), 1);
  EXPECT_EQ(order.lines(0).quantity(), "1.5");

  // Accepting twice: the quotation is no longer open.
  accept.clear_etag();
  EXPECT_EQ(quotation_stub_->AcceptQuotation(Call().get(), accept, &accepted).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(OrdersServicesTest, TheExpiryJobExpiresAnOpenQuotationOnceAndNothingElse) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto open = NewQuotation(boiler, "1", 20);
  const auto payload = context_.RecordedJobs().Scheduled().at(0).payload;
  EXPECT_EQ(payload, std::to_string(open.id()) + " 2026-06-20");

  context_.RecordedJobs().Run(QuotationServiceImpl::kExpiringJob, payload);
  context_.RecordedJobs().Run(QuotationServiceImpl::kExpiringJob, payload);
  context_.RecordedJobs().Run(QuotationServiceImpl::kExpireJob, payload);
  context_.RecordedJobs().Run(QuotationServiceImpl::kExpireJob, payload);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT state FROM orders.quotation WHERE id = " +
                                       std::to_string(open.id())),
            "expired");
  const auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(std::count(topics.begin(), topics.end(), "orders.quotation.expiring"), 1);
  EXPECT_EQ(std::count(topics.begin(), topics.end(), "orders.quotation.expired"), 1);

  // A job for a valid_until the quotation no longer has does nothing.
  const auto moved = NewQuotation(boiler, "1", 25);
  context_.RecordedJobs().Run(QuotationServiceImpl::kExpireJob,
                              std::to_string(moved.id()) + " 2026-06-24");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT state FROM orders.quotation WHERE id = " +
                                       std::to_string(moved.id())),
            "draft");
}

TEST_F(OrdersServicesTest, AnOrderMovesOnlyAlongItsStates) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto order = NewOrder(boiler, "1");
  v1::MarkShippedRequest ship;
  ship.set_id(order.id());
  v1::Order moved;
  auto status = order_stub_->MarkShipped(Call().get(), ship, &moved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("is draft"), std::string::npos);
  ASSERT_TRUE(Confirm(order.id()).ok());
  ASSERT_TRUE(order_stub_->MarkShipped(Call().get(), ship, &moved).ok());
  EXPECT_EQ(moved.state(), v1::ORDER_STATE_SHIPPED);
  EXPECT_TRUE(moved.has_ship_time());
  v1::CancelOrderRequest cancel;
  cancel.set_id(order.id());
  EXPECT_EQ(order_stub_->CancelOrder(Call().get(), cancel, &moved).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  cancel.set_reason("A vevő visszalépett");
  ASSERT_TRUE(order_stub_->CancelOrder(Call().get(), cancel, &moved).ok());
  EXPECT_EQ(moved.cancel_reason(), "A vevő visszalépett");
  v1::MarkDeliveredRequest deliver;
  deliver.set_id(order.id());
  EXPECT_EQ(order_stub_->MarkDelivered(Call().get(), deliver, &moved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  const auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(std::vector<std::string>(topics.end() - 3, topics.end()),
            (std::vector<std::string>{"orders.order.confirmed", "orders.order.shipped",
                                      "orders.order.cancelled"}));
}

TEST_F(OrdersServicesTest, TheCreditCheckCountsOpenOrdersWhatIsOwedAndThisOrder) {
  // A limit of 1,000,000 Ft; 300,000 Ft owed on invoices.
  partners_.partners[partner_].credit_limit.set_currency_code("HUF");
  partners_.partners[partner_].credit_limit.set_minor_units(100'000'000);
  exposure_.owed = 30'000'000;
  const auto part = NewProduct("ALK", 100'000, common::v1::VAT_CATEGORY_ZERO);
  const auto first = NewOrder(part, "4");   // 400,000 Ft
  ASSERT_TRUE(Confirm(first.id()).ok());    // 700,000 of 1,000,000
  const auto second = NewOrder(part, "3");  // 300,000 Ft: exactly the limit
  ASSERT_TRUE(Confirm(second.id()).ok());
  const auto third = NewOrder(part, "1");  // 100,000 Ft over
  const auto refused = Confirm(third.id());
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const auto violations = kernel::FieldViolationsOf(refused);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "credit_limit");
  EXPECT_NE(violations[0].description.find("exceeded by 100,000 HUF"), std::string::npos)
      << violations[0].description;
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT state FROM orders.sales_order WHERE id = " +
                                       std::to_string(third.id())),
            "draft");

  // A salesperson may not override; a sales manager may, and it is kept.
  EXPECT_EQ(Confirm(third.id(), "Bankgarancia érkezett", &salesperson_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Confirm(third.id(), "Bankgarancia érkezett").ok());
  EXPECT_EQ(
      QueryScalar(conninfo_, "SELECT credit_override_reason FROM orders.sales_order WHERE id = " +
                                 std::to_string(third.id())),
      "Bankgarancia érkezett");
  const auto audited = context_.RecordedAudit().Recorded();
  EXPECT_EQ(audited.back().changes.size(), 2u);
  EXPECT_EQ(audited.back().changes[1].field, "credit_override_reason");
}

TEST_F(OrdersServicesTest, ProductsKeepTheirSkuUniqueAndUpdatesDiffTheirFields) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  v1::CreateProductRequest duplicate;
  duplicate.mutable_product()->set_sku("kaz-24");
  duplicate.mutable_product()->set_name("Másik");
  duplicate.mutable_product()->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  v1::Product product;
  EXPECT_EQ(product_stub_->CreateProduct(Call().get(), duplicate, &product).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::UpdateProductRequest update;
  update.mutable_product()->set_id(boiler);
  update.mutable_product()->set_name("Kondenzációs kazán 24 kW");
  update.mutable_update_mask()->add_paths("name");
  update.mutable_update_mask()->add_paths("active");
  ASSERT_TRUE(product_stub_->UpdateProduct(Call().get(), update, &product).ok());
  EXPECT_EQ(product.name(), "Kondenzációs kazán 24 kW");
  EXPECT_FALSE(product.active());
  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.back().changes.size(), 2u);
  // An inactive product cannot go on a new document.
  v1::CreateOrderRequest request;
  request.mutable_order()->set_partner_id(partner_);
  request.mutable_order()->add_lines()->set_product_id(boiler);
  request.mutable_order()->mutable_lines(0)->set_quantity("1");
  v1::Order order;
  const auto status = order_stub_->CreateOrder(Call().get(), request, &order);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "order.lines[0].product_id");
}

TEST_F(OrdersServicesTest, AnExternalPartnerSeesOnlyTheOrdersSharedWithThem) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto order = NewOrder(boiler, "1");
  kernel::Caller outsider;
  outsider.user_id = NewUser("kulso", "external_partner");
  outsider.roles = {"external_partner"};
  v1::GetOrderRequest get;
  get.set_id(order.id());
  v1::Order found;
  EXPECT_EQ(order_stub_->GetOrder(As(outsider).get(), get, &found).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListOrdersRequest list;
  v1::ListOrdersResponse listed;
  ASSERT_TRUE(order_stub_->ListOrders(As(outsider).get(), list, &listed).ok());
  EXPECT_EQ(listed.orders_size(), 0);
  v1::ShareOrderRequest share;
  share.set_id(order.id());
  share.set_user_id(outsider.user_id);
  v1::Order shared;
  ASSERT_TRUE(order_stub_->ShareOrder(Call().get(), share, &shared).ok());
  ASSERT_TRUE(order_stub_->ShareOrder(Call().get(), share, &shared).ok());  // idempotent
  EXPECT_EQ(context_.RecordedAudit().Recorded().back().changes.at(0).field, "shared_with_user");
  share.set_user_id(987654);
  const auto refused = order_stub_->ShareOrder(Call().get(), share, &shared);
  EXPECT_EQ(kernel::FieldViolationsOf(refused).at(0).field, "user_id");
  ASSERT_TRUE(order_stub_->GetOrder(As(outsider).get(), get, &found).ok());
  EXPECT_EQ(found.lines_size(), 1);
  ASSERT_TRUE(order_stub_->ListOrders(As(outsider).get(), list, &listed).ok());
  EXPECT_EQ(listed.orders_size(), 1);
  v1::UnshareOrderRequest unshare;
  unshare.set_id(order.id());
  unshare.set_user_id(outsider.user_id);
  ASSERT_TRUE(order_stub_->UnshareOrder(Call().get(), unshare, &shared).ok());
  EXPECT_EQ(order_stub_->GetOrder(As(outsider).get(), get, &found).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(OrdersServicesTest, APartnerMergeMovesItsQuotationsAndOrdersToThePartnerKept) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto quotation = NewQuotation(boiler, "1");
  const auto order = NewOrder(boiler, "1");
  const auto kept = InsertReturningId(
      "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
      "('organization', 'Fűtés és Hűtés Kft.', now(), now()) RETURNING id");
  partners::v1::PartnersMerged merged;
  merged.set_kept_partner_id(kept);
  merged.set_merged_partner_id(partner_);
  kernel::Event event;
  event.topic = "partners.partner.merged";
  event.aggregate_id = kept;
  event.module = "partners";
  event.payload_type = partners::v1::PartnersMerged::descriptor()->full_name();
  event.payload = merged.SerializeAsString();
  {
    auto lease = database_->Acquire();
    FollowPartnerMerge(event, lease.Session());
  }
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT partner_id FROM orders.quotation WHERE id = " +
                                       std::to_string(quotation.id())),
            std::to_string(kept));
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT partner_id FROM orders.sales_order WHERE id = " +
                                       std::to_string(order.id())),
            std::to_string(kept));
}

}  // namespace
}  // namespace karton::orders

namespace karton::orders {
namespace {

TEST_F(OrdersServicesTest, SendingAQuotationEmailsItsPdfAndMarksItSentOnce) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto draft = NewQuotation(boiler, "2");
  v1::SendQuotationRequest request;
  request.set_id(draft.id());
  request.set_etag(draft.etag());
  request.set_message("A beszerelést is vállaljuk.");
  v1::SendQuotationResponse response;
  auto status = quotation_stub_->SendQuotation(As(salesperson_).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(mailer_.sent.size(), 1u);
  // A copy: the second sending below grows the vector.
  const messaging::v1::SendMessageRequest mail = mailer_.sent[0];
  EXPECT_EQ(mail.channel(), messaging::v1::CHANNEL_EMAIL);
  EXPECT_EQ(mail.category(), messaging::v1::CATEGORY_TRANSACTIONAL);
  EXPECT_EQ(mail.recipient().partner_id(), partner_);
  EXPECT_EQ(mail.reply_to(), "ajanlat@karton.example");
  EXPECT_EQ(mail.language(), "hu");
  EXPECT_EQ(mail.subject(), "Árajánlat " + draft.number() + " – Karton Fűtésszerviz Kft.");
  EXPECT_NE(mail.text_body().find("Tisztelt Fűtés Kft.!"), std::string::npos) << mail.text_body();
  EXPECT_NE(mail.text_body().find("A beszerelést is vállaljuk."), std::string::npos);
  // 2 × 489,000 Ft + 27% VAT.
  EXPECT_NE(mail.text_body().find("1,242,060 HUF"), std::string::npos) << mail.text_body();
  ASSERT_EQ(mail.attachments_size(), 1);
  EXPECT_EQ(mail.attachments(0).file_name(), "Arajanlat-" + draft.number() + ".pdf");
  EXPECT_EQ(mail.attachments(0).media_type(), "application/pdf");
  EXPECT_EQ(mail.attachments(0).content().substr(0, 5), "%PDF-");
  EXPECT_FALSE(mail.idempotency_key().empty());

  EXPECT_EQ(response.message_id(), 9001);
  EXPECT_EQ(response.quotation().state(), v1::QUOTATION_STATE_SENT);
  EXPECT_EQ(response.quotation().sent_message_id(), 9001);
  EXPECT_TRUE(response.quotation().has_sent_time());
  EXPECT_EQ(response.quotation().lines_size(), 1);
  const auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(std::count(topics.begin(), topics.end(), "orders.quotation.sent"), 1);
  const auto audit = context_.RecordedAudit().Recorded();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().resource_type, "orders.quotation");
  EXPECT_EQ(audit.back().resource_id, draft.id());
  ASSERT_EQ(audit.back().changes.size(), 2u);
  EXPECT_EQ(audit.back().changes[0].field, "state");
  EXPECT_EQ(audit.back().changes[1].field, "sent_message_id");

  // Sent again (a reminder, in English): the state stays, a new message
  // under a new key (the quotation's version moved on).
  request.set_etag(response.quotation().etag());
  request.set_language("en");
  request.clear_message();
  v1::SendQuotationResponse again;
  status = quotation_stub_->SendQuotation(As(salesperson_).get(), request, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(mailer_.sent.size(), 2u);
  EXPECT_EQ(mailer_.sent[1].subject(),
            "Quotation " + draft.number() + " – Karton Fűtésszerviz Kft.");
  EXPECT_EQ(mailer_.sent[1].attachments(0).file_name(), "Quotation-" + draft.number() + ".pdf");
  EXPECT_NE(mailer_.sent[1].idempotency_key(), mail.idempotency_key());
  EXPECT_EQ(again.quotation().state(), v1::QUOTATION_STATE_SENT);
  EXPECT_EQ(again.quotation().sent_message_id(), 9002);

  // A stale etag is refused before anything is sent.
  status = quotation_stub_->SendQuotation(As(salesperson_).get(), request, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
  EXPECT_EQ(mailer_.sent.size(), 2u);
}

TEST_F(OrdersServicesTest, AQuotationThatCannotBeSentStaysAsItWasAndNothingGoesOut) {
  const auto boiler = NewProduct("KAZ-24", 489'000);
  const auto draft = NewQuotation(boiler, "1");
  v1::SendQuotationRequest request;
  request.set_id(draft.id());
  v1::SendQuotationResponse response;

  request.set_language("de");
  auto status = quotation_stub_->SendQuotation(Call().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "language");
  request.clear_language();

  // Messaging refuses (no address): its answer comes back, nothing changes.
  mailer_.answer = kernel::InvalidField("recipient", "partner has no email address");
  status = quotation_stub_->SendQuotation(Call().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  mailer_.answer = grpc::Status::OK;
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT state || ':' || coalesce(sent_message_id, 0) FROM "
                        "orders.quotation WHERE id = " +
                            std::to_string(draft.id())),
            "draft:0");

  // Rejected, and past its valid_until: FAILED_PRECONDITION.
  v1::RejectQuotationRequest reject;
  reject.set_id(draft.id());
  reject.set_reason("too expensive");
  v1::Quotation rejected;
  ASSERT_TRUE(quotation_stub_->RejectQuotation(Call().get(), reject, &rejected).ok());
  status = quotation_stub_->SendQuotation(Call().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("rejected"), std::string::npos) << status.error_message();
  const auto stale = NewQuotation(boiler, "1", 12);
  context_.Clock().Set(context_.Clock().Now() + std::chrono::hours(24 * 5));
  request.set_id(stale.id());
  status = quotation_stub_->SendQuotation(Call().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("valid until"), std::string::npos)
      << status.error_message();
  EXPECT_TRUE(mailer_.sent.empty());

  // Without the company making the offer, nothing is sent.
  OrdersSettings unnamed = settings_;
  unnamed.company.name.clear();
  QuotationServiceImpl service(*parts_, context_.JobQueue(), partners_, mailer_, unnamed);
  grpc::ServerContext server_context;
  request.set_id(draft.id());
  status = service.SendQuotation(&server_context, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("orders.company_name"), std::string::npos);
}

}  // namespace
}  // namespace karton::orders
