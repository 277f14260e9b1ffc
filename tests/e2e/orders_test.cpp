// The orders module end to end: the real kartond with the orders module (and
// partners, which it depends on) on a fresh database, over gRPC with real
// tokens and roles, and through the karton command line.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "json_fields.h"
#include "karton/crm/v1/customer_overview_service.grpc.pb.h"
#include "karton/crm/v1/opportunity_service.grpc.pb.h"
#include "karton/crm/v1/pipeline_service.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "karton/orders/v1/orders_overview_service.grpc.pb.h"
#include "karton/orders/v1/product_service.grpc.pb.h"
#include "karton/orders/v1/quotation_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "sales_fixture.h"
#include "temporary_directory.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

class OrdersTest : public SalesTest {};

TEST_F(OrdersTest, AQuotationBecomesAnOrderThatPassesTheCreditCheckOnlyWithAnOverride) {
  Start();
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  const auto manager = User("gabor@karton.example", kv1::ROLE_SALES_MANAGER);
  const auto customer = Partner("Fűtés Kft.", 1'000'000);
  const std::string karton = Karton();

  // The catalogue is the sales managers' and accounting's: a salesperson
  // may read it, not change it.
  ov1::CreateProductRequest product_request;
  product_request.mutable_product()->set_sku("KAZ-24");
  product_request.mutable_product()->set_name("Kondenzációs gázkazán 24 kW");
  product_request.mutable_product()->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  ov1::Product product;
  EXPECT_EQ(products_->CreateProduct(As(salesperson).get(), product_request, &product).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const auto [product_exit, product_json] =
      RunCommand(karton +
                 "--output json products create --sku KAZ-24 --name 'Kondenzációs gázkazán 24 kW' "
                 "--vat standard_27 --price '489000 HUF'");
  ASSERT_EQ(product_exit, 0) << product_json;
  const auto product_id = Field(ParseObject(product_json), "id");

  // A quotation for two boilers, 10% off: 880,200 Ft net, 1,117,854 Ft gross.
  const auto [quote_exit, quote_json] = RunCommand(fmt::format(
      "{}--output json quotes create --partner {} --valid-until 2099-12-31 --line {}:2:10", karton,
      customer, product_id));
  ASSERT_EQ(quote_exit, 0) << quote_json;
  const auto quote = ParseObject(quote_json);
  EXPECT_EQ(Field(quote, "state"), "QUOTATION_STATE_DRAFT");
  EXPECT_EQ(Field(Object(Object(quote, "totals"), "net_amount"), "minor_units"), "88020000");
  EXPECT_EQ(Field(Object(Object(quote, "totals"), "gross_amount"), "minor_units"), "111785400");

  const auto [accept_exit, accepted] = RunCommand(karton + "quotes accept " + Field(quote, "id"));
  ASSERT_EQ(accept_exit, 0) << accepted;
  EXPECT_NE(accepted.find("accepted"), std::string::npos) << accepted;
  ov1::ListOrdersRequest list;
  list.set_partner_id(customer);
  ov1::ListOrdersResponse listed;
  ASSERT_TRUE(orders_->ListOrders(As(salesperson).get(), list, &listed).ok());
  ASSERT_EQ(listed.orders_size(), 1);
  const auto order_id = listed.orders(0).id();
  EXPECT_EQ(listed.orders(0).state(), ov1::ORDER_STATE_DRAFT);

  // 1,117,854 Ft against a 1,000,000 Ft limit.
  ov1::ConfirmOrderRequest confirm;
  confirm.set_id(order_id);
  ov1::Order order;
  auto status = orders_->ConfirmOrder(As(salesperson).get(), confirm, &order);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const auto violations = kernel::FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "credit_limit");
  EXPECT_NE(violations[0].description.find("exceeded by 117,854 HUF"), std::string::npos)
      << violations[0].description;
  confirm.set_credit_override_reason("Előleg beérkezett");
  EXPECT_EQ(orders_->ConfirmOrder(As(salesperson).get(), confirm, &order).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = orders_->ConfirmOrder(As(manager).get(), confirm, &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(order.state(), ov1::ORDER_STATE_CONFIRMED);
  EXPECT_EQ(order.credit_override_reason(), "Előleg beérkezett");

  // Delivered through the command line; a wrong step names the state.
  const auto [complete_exit, complete_out] =
      RunCommand(karton + "orders complete " + std::to_string(order_id) + " 2>&1");
  EXPECT_EQ(complete_exit, 1);
  EXPECT_NE(complete_out.find("is confirmed"), std::string::npos) << complete_out;
  for (const char* step : {"ship", "deliver", "complete"}) {
    const auto [exit, out] = RunCommand(fmt::format("{}orders {} {}", karton, step, order_id));
    ASSERT_EQ(exit, 0) << step << ": " << out;
  }
  const auto [get_exit, got] = RunCommand(karton + "orders get " + std::to_string(order_id));
  ASSERT_EQ(get_exit, 0) << got;
  EXPECT_NE(got.find(": completed"), std::string::npos) << got;
  EXPECT_NE(got.find("gross        1 117 854,00 HUF"), std::string::npos) << got;
}

TEST_F(OrdersTest, AnExternalPartnerSeesAnOrderOnlyOnceItIsSharedWithThem) {
  Start();
  const auto outsider = User("kulso@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto customer = Partner("Fűtés Kft.", 0);
  ov1::CreateOrderRequest create;
  create.mutable_order()->set_partner_id(customer);
  auto* line = create.mutable_order()->add_lines();
  line->set_description("Kiszállás");
  line->set_quantity("1");
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  line->mutable_unit_price()->set_minor_units(1'500'000);
  ov1::Order order;
  ASSERT_TRUE(orders_->CreateOrder(As(admin_).get(), create, &order).ok());
  ov1::GetOrderRequest get;
  get.set_id(order.id());
  EXPECT_EQ(orders_->GetOrder(As(outsider).get(), get, &order).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ov1::ListOrdersResponse listed;
  ASSERT_TRUE(orders_->ListOrders(As(outsider).get(), {}, &listed).ok());
  EXPECT_EQ(listed.orders_size(), 0);
  // Shared with them by a salesperson, it is theirs to read, not to change.
  const auto outsider_id = last_user_id_;
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  ov1::ShareOrderRequest share;
  share.set_id(order.id());
  share.set_user_id(outsider_id);
  ov1::Order shared;
  ASSERT_TRUE(orders_->ShareOrder(As(salesperson).get(), share, &shared).ok());
  EXPECT_EQ(orders_->ShareOrder(As(outsider).get(), share, &shared).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(orders_->GetOrder(As(outsider).get(), get, &order).ok());
  EXPECT_EQ(order.lines_size(), 1);
  ov1::ConfirmOrderRequest confirm;
  confirm.set_id(order.id());
  EXPECT_EQ(orders_->ConfirmOrder(As(outsider).get(), confirm, &order).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Nor may they write or read the catalogue.
  EXPECT_EQ(orders_->CreateOrder(As(outsider).get(), create, &order).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ov1::ListProductsResponse products;
  EXPECT_EQ(products_->ListProducts(As(outsider).get(), {}, &products).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(OrdersTest, DemoDataHasOrdersInEveryStateAndAQuotationAboutToExpire) {
  Start({"--demo"});
  ov1::ListOrdersResponse orders;
  ASSERT_TRUE(orders_->ListOrders(As(admin_).get(), {}, &orders).ok());
  std::set<int> states;
  for (const auto& order : orders.orders()) states.insert(order.state());
  EXPECT_EQ(states, (std::set<int>{ov1::ORDER_STATE_DRAFT, ov1::ORDER_STATE_CONFIRMED,
                                   ov1::ORDER_STATE_SHIPPED, ov1::ORDER_STATE_COMPLETED,
                                   ov1::ORDER_STATE_CANCELLED}));
  ov1::ListQuotationsRequest sent;
  sent.set_state(ov1::QUOTATION_STATE_SENT);
  ov1::ListQuotationsResponse quotations;
  ASSERT_TRUE(quotations_->ListQuotations(As(admin_).get(), sent, &quotations).ok());
  ASSERT_EQ(quotations.quotations_size(), 1);
  ov1::GetQuotationRequest get;
  get.set_id(quotations.quotations(0).id());
  ov1::Quotation quotation;
  ASSERT_TRUE(quotations_->GetQuotation(As(admin_).get(), get, &quotation).ok());
  EXPECT_EQ(quotation.lines_size(), 2);
  EXPECT_GT(quotation.totals().gross_amount().minor_units(), 0);
}

TEST_F(OrdersTest, ThePartnerCardShowsTheOpenQuotationsAndOrdersThroughTheCrm) {
  Start({"--smtp-url", "smtp://127.0.0.1:9", "--mail-from", "noreply@karton.example"},
        "crm,orders");
  const auto customer = Partner("Fűtés Kft.", 0);
  ov1::CreateOrderRequest create;
  create.mutable_order()->set_partner_id(customer);
  auto* line = create.mutable_order()->add_lines();
  line->set_description("Kiszállás");
  line->set_quantity("2");
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  line->mutable_unit_price()->set_minor_units(1'500'000);
  ov1::Order order;
  ASSERT_TRUE(orders_->CreateOrder(As(admin_).get(), create, &order).ok());

  auto overviews = crm::v1::CustomerOverviewService::NewStub(channel_);
  crm::v1::GetCustomerOverviewRequest request;
  request.set_partner_id(customer);
  crm::v1::CustomerOverview overview;
  const auto status = overviews->GetCustomerOverview(As(admin_).get(), request, &overview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(overview.unavailable_sections().empty());
  ov1::OrdersOverview section;
  for (const auto& candidate : overview.sections()) {
    if (candidate.module() == "orders") {
      ASSERT_TRUE(candidate.content().UnpackTo(&section));
    }
  }
  ASSERT_EQ(section.open_orders_size(), 1);
  EXPECT_EQ(section.open_orders(0).id(), order.id());
  ASSERT_EQ(section.open_orders_gross_size(), 1);
  EXPECT_EQ(section.open_orders_gross(0).minor_units(), 3'810'000);  // 2 × 15,000 Ft + 27%
}

TEST_F(OrdersTest, AnAcceptedQuotationWinsTheDealItBelongsTo) {
  Start({"--smtp-url", "smtp://127.0.0.1:9", "--mail-from", "noreply@karton.example",
         "--event-poll-ms", "100"},
        "crm,orders");
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  const auto customer = Partner("Fűtés Kft.", 0);
  crm::v1::CreatePipelineRequest create_pipeline;
  create_pipeline.mutable_pipeline()->set_name("Értékesítés");
  create_pipeline.mutable_pipeline()->add_stages()->set_name("Ajánlat");
  auto* won = create_pipeline.mutable_pipeline()->add_stages();
  won->set_name("Megnyert");
  won->set_won(true);
  auto* lost = create_pipeline.mutable_pipeline()->add_stages();
  lost->set_name("Elveszett");
  lost->set_lost(true);
  crm::v1::Pipeline pipeline;
  ASSERT_TRUE(crm::v1::PipelineService::NewStub(channel_)
                  ->CreatePipeline(As(admin_).get(), create_pipeline, &pipeline)
                  .ok());
  auto deals = crm::v1::OpportunityService::NewStub(channel_);
  crm::v1::CreateOpportunityRequest create_deal;
  create_deal.mutable_opportunity()->set_name("Kazáncsere, 3 lakás");
  create_deal.mutable_opportunity()->set_partner_id(customer);
  crm::v1::Opportunity deal;
  auto status = deals->CreateOpportunity(As(salesperson).get(), create_deal, &deal);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(deal.status(), crm::v1::OPPORTUNITY_STATUS_OPEN);

  ov1::CreateQuotationRequest create_quote;
  auto& quote = *create_quote.mutable_quotation();
  quote.set_partner_id(customer);
  quote.set_opportunity_id(deal.id());
  quote.mutable_valid_until()->set_year(2099);
  quote.mutable_valid_until()->set_month(12);
  quote.mutable_valid_until()->set_day(31);
  auto* line = quote.add_lines();
  line->set_description("Kondenzációs gázkazán 24 kW");
  line->set_quantity("3");
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  line->mutable_unit_price()->set_minor_units(48'900'000);
  ov1::Quotation created;
  status = quotations_->CreateQuotation(As(salesperson).get(), create_quote, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto [exit_code, accepted] =
      RunCommand(fmt::format("{}quotes accept {}", Karton(), created.id()));
  ASSERT_EQ(exit_code, 0) << accepted;

  // The crm follows orders.quotation.accepted: the deal is won shortly.
  crm::v1::GetOpportunityRequest get;
  get.set_id(deal.id());
  for (int wait = 0; wait < 100 && deal.status() == crm::v1::OPPORTUNITY_STATUS_OPEN; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(deals->GetOpportunity(As(admin_).get(), get, &deal).ok());
  }
  EXPECT_EQ(deal.status(), crm::v1::OPPORTUNITY_STATUS_WON);
}

}  // namespace
}  // namespace karton::testing
