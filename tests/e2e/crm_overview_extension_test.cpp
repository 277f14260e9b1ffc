// The customer overview's extension point end to end (A6, docs/crm.md
// "Customer overview"): a module the CRM knows nothing about — the "loyalty"
// fixture (tests/modules/loyalty) — adds its section just by being in the
// modules directory, a failing section is listed in unavailable_sections
// while the rest of the overview is still answered, and without the module
// there is no section at all.
//
// kartond runs without --smtp-url (messaging starts without email). The
// scenario directory build/tests/modules/overview holds loyalty.so and
// symlinks to the product modules of this build.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "karton/common/v1/customer_overview.pb.h"
#include "karton/crm/v1/customer_overview_service.grpc.pb.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/loyalty/v1/loyalty_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace cv1 = crm::v1;
namespace kv1 = kernel::v1;
namespace pv1 = partners::v1;

class CrmOverviewExtensionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }

  // A failed test shows what kartond logged.
  void TearDown() override {
    if (HasFailure() && kartond_) std::cerr << "kartond's log:\n" << kartond_->Stderr();
  }

  // The CRM (and loyalty, when `modules_dir` has it) from `modules_dir`, on
  // the test's fresh database. Named, not "every module there": the
  // product's other modules (orders) add sections of their own.
  void Start(const std::filesystem::path& modules_dir) {
    const bool with_loyalty = std::filesystem::exists(modules_dir / "loyalty.so");
    kartond_ = std::make_unique<KartondProcess>(std::vector<std::string>{
        "--database-url", conninfo_, "--data-dir", data_dir_.Path().string(), "--modules-dir",
        modules_dir.string(), "--modules", with_loyalty ? "crm,loyalty" : "crm", "--job-poll-ms",
        "100", "--event-poll-ms", "200"});
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    channel_ = grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials());
    admin_ = kartond_->AdminToken();
    partners_ = pv1::PartnerService::NewStub(channel_);
    overviews_ = cv1::CustomerOverviewService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& token = "") const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context->AddMetadata("authorization", "Bearer " + (token.empty() ? admin_ : token));
    return context;
  }

  // A sales colleague's token: the overview of an ordinary user, not only the
  // admin's (loyalty refuses a call that has no user, so its section also
  // proves that the CRM forwards its caller).
  std::string SalesToken() {
    auto identity = kv1::IdentityService::NewStub(channel_);
    kv1::CreateUserRequest create;
    create.mutable_user()->set_name("Kiss Anna");
    create.mutable_user()->set_email("anna@karton.example");
    create.mutable_user()->add_roles(kv1::ROLE_SALES);
    kv1::User user;
    EXPECT_TRUE(identity->CreateUser(As().get(), create, &user).ok());
    kv1::CreateApiTokenRequest token_request;
    token_request.set_user_id(user.id());
    token_request.set_display_name("test");
    kv1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity->CreateApiToken(As().get(), token_request, &token).ok());
    return token.token();
  }

  // A partner with one contact.
  pv1::Partner NewPartner(const std::string& name) {
    pv1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
    request.mutable_partner()->set_display_name(name);
    pv1::Partner partner;
    auto status = partners_->CreatePartner(As().get(), request, &partner);
    EXPECT_TRUE(status.ok()) << status.error_message();
    pv1::CreateContactRequest contact;
    contact.set_partner_id(partner.id());
    contact.mutable_contact()->set_name("Kapcsolattartó " + name);
    pv1::Contact stored;
    status = partners_->CreateContact(As().get(), contact, &stored);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return partner;
  }

  // Partners until there is one with an odd id (loyalty answers) and one
  // with an even id (loyalty fails with UNAVAILABLE): {odd, even}.
  std::pair<pv1::Partner, pv1::Partner> OddAndEvenPartner() {
    pv1::Partner odd, even;
    for (int i = 1; (odd.id() == 0 || even.id() == 0) && i <= 10; ++i) {
      auto partner = NewPartner("Ügyfél " + std::to_string(i) + " Kft.");
      if (partner.id() == 0) break;
      (partner.id() % 2 == 0 ? even : odd) = partner;
    }
    EXPECT_NE(odd.id(), 0);
    EXPECT_NE(even.id(), 0);
    return {odd, even};
  }

  cv1::CustomerOverview Overview(std::int64_t partner_id, const std::string& token = "") {
    cv1::GetCustomerOverviewRequest request;
    request.set_partner_id(partner_id);
    cv1::CustomerOverview overview;
    const auto status = overviews_->GetCustomerOverview(As(token).get(), request, &overview);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return overview;
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
  std::unique_ptr<KartondProcess> kartond_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string admin_;
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
  std::unique_ptr<cv1::CustomerOverviewService::Stub> overviews_;
};

TEST_F(CrmOverviewExtensionTest, AModuleAddsItsSectionWithoutAnyChangeToTheCrm) {
  ASSERT_NO_FATAL_FAILURE(Start(TestModulesDirectory("overview")));
  const auto [odd, even] = OddAndEvenPartner();
  ASSERT_FALSE(HasFailure());
  const std::string sales = SalesToken();

  const auto overview = Overview(odd.id(), sales);
  EXPECT_EQ(overview.partner().id(), odd.id());
  EXPECT_EQ(overview.partner().display_name(), odd.display_name());
  EXPECT_EQ(overview.contacts_size(), 1);
  EXPECT_TRUE(overview.unavailable_sections().empty());
  ASSERT_EQ(overview.sections_size(), 1);
  const auto& section = overview.sections(0);
  EXPECT_EQ(section.module(), "loyalty");
  EXPECT_EQ(section.title(), "Hűségpontok");
  ASSERT_TRUE(section.content().Is<loyalty::v1::LoyaltyOverview>()) << section.content().type_url();
  loyalty::v1::LoyaltyOverview loyalty;
  ASSERT_TRUE(section.content().UnpackTo(&loyalty));
  EXPECT_EQ(loyalty.partner_id(), odd.id());
  EXPECT_EQ(loyalty.points(), odd.id() * 10);

  // The admin sees the same section.
  const auto as_admin = Overview(odd.id());
  ASSERT_EQ(as_admin.sections_size(), 1);
  EXPECT_EQ(as_admin.sections(0).module(), "loyalty");
}

TEST_F(CrmOverviewExtensionTest, AFailingSectionIsListedAndTheRestOfTheOverviewStillAnswered) {
  ASSERT_NO_FATAL_FAILURE(Start(TestModulesDirectory("overview")));
  const auto [odd, even] = OddAndEvenPartner();
  ASSERT_FALSE(HasFailure());

  const auto overview = Overview(even.id(), SalesToken());
  EXPECT_EQ(overview.partner().id(), even.id());
  EXPECT_EQ(overview.partner().display_name(), even.display_name());
  ASSERT_EQ(overview.contacts_size(), 1);
  EXPECT_EQ(overview.contacts(0).name(), "Kapcsolattartó " + even.display_name());
  EXPECT_EQ(overview.sections_size(), 0);
  EXPECT_EQ(std::vector<std::string>(overview.unavailable_sections().begin(),
                                     overview.unavailable_sections().end()),
            std::vector<std::string>{"loyalty"});
  EXPECT_TRUE(kartond_->LogShows("loyalty's section left out"));

  // One failure is not remembered: the next partner's section is there.
  const auto next = Overview(odd.id());
  EXPECT_EQ(next.sections_size(), 1);
  EXPECT_TRUE(next.unavailable_sections().empty());
}

TEST_F(CrmOverviewExtensionTest, TheSectionIsAnOrdinaryMethodReachableFromOutside) {
  ASSERT_NO_FATAL_FAILURE(Start(TestModulesDirectory("overview")));
  auto loyalty = loyalty::v1::LoyaltyService::NewStub(channel_);
  common::v1::CustomerOverviewSectionRequest request;
  request.set_partner_id(7);
  common::v1::CustomerOverviewSection section;
  auto status = loyalty->GetOverviewSection(As(SalesToken()).get(), request, &section);
  ASSERT_TRUE(status.ok()) << status.error_message();
  loyalty::v1::LoyaltyOverview content;
  ASSERT_TRUE(section.content().UnpackTo(&content));
  EXPECT_EQ(content.points(), 70);
  // Unauthenticated callers are refused before the handler, as everywhere.
  auto anonymous = std::make_unique<grpc::ClientContext>();
  anonymous->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  status = loyalty->GetOverviewSection(anonymous.get(), request, &section);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CrmOverviewExtensionTest, WithoutTheModuleThereIsNoSectionAndNothingUnavailable) {
  ASSERT_NO_FATAL_FAILURE(Start(ProductModulesDirectory()));
  const auto [odd, even] = OddAndEvenPartner();
  ASSERT_FALSE(HasFailure());
  for (const auto& partner : {odd, even}) {
    const auto overview = Overview(partner.id());
    EXPECT_EQ(overview.partner().id(), partner.id());
    EXPECT_EQ(overview.contacts_size(), 1);
    EXPECT_EQ(overview.sections_size(), 0);
    EXPECT_TRUE(overview.unavailable_sections().empty());
  }
}

}  // namespace
}  // namespace karton::testing
