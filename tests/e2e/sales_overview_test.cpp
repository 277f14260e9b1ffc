// The sales modules' sections of the customer overview (A6, docs/crm.md
// "Customer overview"): orders and invoicing answer alike for a partner the
// caller cannot see. The card decides, as in the CRM's overview: a partner
// out of the caller's sight, or one that does not exist, is NOT_FOUND in
// both sections (not an empty section in one and NOT_FOUND in the other).
#include <gtest/gtest.h>

#include <string>

#include "karton/invoicing/v1/invoicing.pb.h"
#include "karton/invoicing/v1/invoicing_overview_service.grpc.pb.h"
#include "karton/orders/v1/orders_overview_service.grpc.pb.h"
#include "sales_fixture.h"

namespace karton::testing {
namespace {

class SalesOverviewTest : public SalesTest {};

TEST_F(SalesOverviewTest, BothSectionsAnswerNotFoundForAPartnerTheCallerCannotSee) {
  Start({"--module-option", "invoicing.seller_name=Őrség Hőtechnika Kft."}, "invoicing");
  auto orders_sections = ov1::OrdersOverviewService::NewStub(channel_);
  auto invoicing_sections = invoicing::v1::InvoicingOverviewService::NewStub(channel_);
  const auto external = User("partner@example.com", kv1::ROLE_EXTERNAL_PARTNER);
  const auto accountant = User("kata@karton.example", kv1::ROLE_ACCOUNTING);
  const auto customer = Partner("Fűtés Kft.", 0);

  common::v1::CustomerOverviewSectionRequest request;
  request.set_partner_id(customer);
  common::v1::CustomerOverviewSection section;
  // Staff see the partner: both sections answer.
  auto status = orders_sections->CustomerOverviewSection(As(accountant).get(), request, &section);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(section.module(), "orders");
  status = invoicing_sections->CustomerOverviewSection(As(accountant).get(), request, &section);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(section.module(), "invoicing");

  // An external partner the partner was not shared with: NOT_FOUND in both.
  status = orders_sections->CustomerOverviewSection(As(external).get(), request, &section);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  status = invoicing_sections->CustomerOverviewSection(As(external).get(), request, &section);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();

  // A partner that does not exist: the same answer, even for staff.
  request.set_partner_id(customer + 1000);
  status = orders_sections->CustomerOverviewSection(As(accountant).get(), request, &section);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  status = invoicing_sections->CustomerOverviewSection(As(accountant).get(), request, &section);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

}  // namespace
}  // namespace karton::testing
