// PartnerServiceImpl built directly from what it uses (issue 21): partners'
// real SQL on a throwaway database, with a FakeModuleContext's clock, audit
// trail and event bus, and no other module loaded. A create writes the row,
// its audit entry and its event; an update with a stale etag is refused and
// changes nothing.
#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "module_database_test.h"
#include "partner_service.h"
#include "throwaway_postgres.h"

namespace karton::partners {
namespace {

class PartnerServiceTest : public karton::testing::ModuleDatabaseTest {
 protected:
  PartnerServiceTest() : ModuleDatabaseTest("partners", {"partners"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    PartnerServiceImpl::DeclareTopics(context_.Events());
    seller_ = NewUser("anna", "sales");
    service_ = std::make_unique<PartnerServiceImpl>(
        PartnersServices{
            *database_, context_.Time(), context_.Audit(), context_.Events(), context_.Log(),
            OtherModules{[this] { return context_.Channel(); },
                         [this](std::string_view point) { return context_.Extensions(point); }}},
        PartnerServiceOptions{});
  }

  // A call from the seller. kartond's interceptor puts the verified caller
  // in the karton-caller metadata ("user;roles;teams;token"); the test puts
  // it there itself.
  struct Call {
    grpc::ServerContext context;
    grpc::testing::ServerContextTestSpouse spouse{&context};
  };
  std::unique_ptr<Call> AsSeller() const {
    auto call = std::make_unique<Call>();
    call->spouse.AddClientMetadata("karton-caller", std::to_string(seller_) + ";sales;;0");
    return call;
  }

  v1::Partner Create(const std::string& display_name) {
    v1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(v1::PARTNER_KIND_ORGANIZATION);
    request.mutable_partner()->set_display_name(display_name);
    request.mutable_partner()->add_emails("Info@Kovacs.HU");
    v1::Partner created;
    const auto status = service_->CreatePartner(&AsSeller()->context, &request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  std::int64_t seller_ = 0;
  std::unique_ptr<PartnerServiceImpl> service_;
};

TEST_F(PartnerServiceTest, ACreatedPartnerIsStoredAuditedAndPublished) {
  context_.Clock().Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000)));
  const v1::Partner created = Create(" Kovács és Társa Kft. ");
  ASSERT_GT(created.id(), 0);
  EXPECT_EQ(created.display_name(), "Kovács és Társa Kft.");
  EXPECT_EQ(created.emails(0), "info@kovacs.hu");
  EXPECT_EQ(created.etag(), "1");
  // Business time is the clock the service was given, not the database's.
  EXPECT_EQ(created.create_time().seconds(), 1'780'000'000);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_,
                                         "SELECT display_name FROM partners.partner WHERE id = " +
                                             std::to_string(created.id())),
            "Kovács és Társa Kft.");

  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].action, kernel::AuditAction::kCreate);
  EXPECT_EQ(audited[0].resource_type, "partners.partner");
  EXPECT_EQ(audited[0].resource_id, created.id());
  EXPECT_EQ(audited[0].actor.user_id, seller_);

  const auto published = context_.RecordedEvents().Published();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].topic, "partners.partner.created");
  EXPECT_EQ(published[0].aggregate_id, created.id());
  EXPECT_EQ(published[0].Payload<v1::PartnerChanged>().partner().display_name(),
            "Kovács és Társa Kft.");

  v1::GetPartnerRequest get;
  get.set_id(created.id());
  v1::Partner found;
  ASSERT_TRUE(service_->GetPartner(&AsSeller()->context, &get, &found).ok());
  EXPECT_EQ(found.SerializeAsString(), created.SerializeAsString());
}

TEST_F(PartnerServiceTest, AnUpdateWithAStaleEtagIsRefusedAndChangesNothing) {
  const v1::Partner created = Create("Nagy Kft.");
  v1::UpdatePartnerRequest update;
  update.mutable_partner()->set_id(created.id());
  update.mutable_partner()->set_etag(created.etag());
  update.mutable_partner()->set_website("https://nagy.example");
  update.mutable_update_mask()->add_paths("website");
  v1::Partner updated;
  auto status = service_->UpdatePartner(&AsSeller()->context, &update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.etag(), "2");

  // The same change again, still with the first etag: someone else's
  // update came in between.
  update.mutable_partner()->set_website("https://regi.example");
  v1::Partner refused;
  status = service_->UpdatePartner(&AsSeller()->context, &update, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_NE(status.error_message().find("etag 1 is stale"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(
      karton::testing::QueryScalar(conninfo_, "SELECT website FROM partners.partner WHERE id = " +
                                                  std::to_string(created.id())),
      "https://nagy.example");
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics(),
            (std::vector<std::string>{"partners.partner.created", "partners.partner.updated"}));
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), 2u);
}

}  // namespace
}  // namespace karton::partners
