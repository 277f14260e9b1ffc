// The fixture of the sales modules' end-to-end tests (orders, invoicing):
// the real kartond with the modules asked for on a fresh database, tokens
// for users of each role, partners, the command line.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "karton/orders/v1/product_service.grpc.pb.h"
#include "karton/orders/v1/quotation_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "temporary_directory.h"
#include "throwaway_postgres.h"

namespace karton::testing {

namespace ov1 = orders::v1;
namespace kv1 = kernel::v1;

class SalesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }

  // kartond with `modules` (and what they depend on) and `extra` options.
  void Start(std::vector<std::string> extra = {}, const std::string& modules = "orders") {
    std::vector<std::string> arguments = {"--database-url", conninfo_,
                                          "--data-dir",     data_dir_.Path().string(),
                                          "--modules-dir",  ProductModulesDirectory().string(),
                                          "--modules",      modules};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    kartond_ = std::make_unique<KartondProcess>(arguments);
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    channel_ = grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials());
    admin_ = kartond_->AdminToken();
    products_ = ov1::ProductService::NewStub(channel_);
    quotations_ = ov1::QuotationService::NewStub(channel_);
    orders_ = ov1::OrderService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  // A user with one role; their token.
  std::string User(const std::string& email, kv1::Role role) {
    auto identity = kv1::IdentityService::NewStub(channel_);
    kv1::CreateUserRequest create;
    create.mutable_user()->set_name(email);
    create.mutable_user()->set_email(email);
    create.mutable_user()->add_roles(role);
    kv1::User user;
    EXPECT_TRUE(identity->CreateUser(As(admin_).get(), create, &user).ok());
    last_user_id_ = user.id();
    kv1::CreateApiTokenRequest request;
    request.set_user_id(user.id());
    kv1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity->CreateApiToken(As(admin_).get(), request, &token).ok());
    return token.token();
  }

  std::int64_t Partner(const std::string& name, std::int64_t credit_limit_huf) {
    auto partners = partners::v1::PartnerService::NewStub(channel_);
    partners::v1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
    request.mutable_partner()->set_display_name(name);
    // Where invoices go: an invoice reported to NAV needs the buyer's address.
    auto* address = request.mutable_partner()->add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_BILLING);
    address->set_country("HU");
    address->set_postal_code("2040");
    address->set_city("Budaörs");
    address->set_street("Szabadság út 7.");
    if (credit_limit_huf > 0) {
      request.mutable_partner()->mutable_credit_limit()->set_currency_code("HUF");
      request.mutable_partner()->mutable_credit_limit()->set_minor_units(credit_limit_huf * 100);
    }
    partners::v1::Partner partner;
    const auto status = partners->CreatePartner(As(admin_).get(), request, &partner);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return partner.id();
  }

  std::string Karton() const { return KartonCommand(*kartond_, data_dir_.Path()) + " "; }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
  std::unique_ptr<KartondProcess> kartond_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string admin_;
  // The id of the user User() made last.
  std::int64_t last_user_id_ = 0;
  std::unique_ptr<ov1::ProductService::Stub> products_;
  std::unique_ptr<ov1::QuotationService::Stub> quotations_;
  std::unique_ptr<ov1::OrderService::Stub> orders_;
};

}  // namespace karton::testing
