// Who sees what across modules (security review): files on a deal follow the
// deal's scope, however they are reached, and an activity cannot be linked
// to a record its author cannot see.
#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/crm/v1/customer_overview_service.grpc.pb.h"

namespace karton::testing {
namespace {

class CrmAccessTest : public CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    if (HasFatalFailure()) return;
    Start();
    activities_ = cv1::ActivityService::NewStub(channel_);
    NewSalesPipeline({"New", "Offer"});
  }

  grpc::Status Upload(const std::string& token, const std::string& resource_type,
                      std::int64_t resource_id, partners::v1::Document* uploaded) {
    auto context = As(token);
    auto writer = partners_->UploadDocument(context.get(), uploaded);
    partners::v1::UploadDocumentRequest message;
    message.mutable_document()->set_resource_type(resource_type);
    message.mutable_document()->set_resource_id(resource_id);
    message.mutable_document()->set_name("ajánlat.pdf");
    message.mutable_document()->set_content_type("application/pdf");
    if (writer->Write(message)) {
      message.Clear();
      message.set_chunk("%PDF-1.4 offer");
      writer->Write(message);
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status Download(const std::string& token, std::int64_t id, std::string* content) {
    auto context = As(token);
    partners::v1::DownloadDocumentRequest request;
    request.set_id(id);
    auto reader = partners_->DownloadDocument(context.get(), request);
    partners::v1::DownloadDocumentResponse message;
    content->clear();
    while (reader->Read(&message)) *content += message.chunk();
    return reader->Finish();
  }

  int Listed(const std::string& token, std::int64_t deal_id) {
    partners::v1::ListDocumentsRequest request;
    request.set_resource_type("crm.opportunity");
    request.set_resource_id(deal_id);
    partners::v1::ListDocumentsResponse response;
    const auto status = partners_->ListDocuments(As(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.documents_size();
  }

  std::unique_ptr<cv1::ActivityService::Stub> activities_;
};

TEST_F(CrmAccessTest, FilesOnADealAreSeenOnlyByThoseWhoSeeTheDeal) {
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto bela = NewColleague("bela@karton.example", kv1::ROLE_SALES);
  const auto manager = NewColleague("boss@karton.example", kv1::ROLE_SALES_MANAGER);
  const auto reseller = NewColleague("reseller@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto deal = NewDeal(anna.token, "Anna's deal");

  partners::v1::Document offer;
  ASSERT_TRUE(Upload(anna.token, "crm.opportunity", deal.id(), &offer).ok());
  std::string content;
  ASSERT_TRUE(Download(anna.token, offer.id(), &content).ok());
  EXPECT_EQ(content, "%PDF-1.4 offer");
  EXPECT_EQ(Listed(anna.token, deal.id()), 1);
  EXPECT_EQ(Listed(manager.token, deal.id()), 1);

  // Another salesperson does not see Anna's deal, so not its files either:
  // not listed, not downloaded, not deleted, and nothing added to it.
  EXPECT_EQ(Listed(bela.token, deal.id()), 0);
  EXPECT_EQ(Download(bela.token, offer.id(), &content).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(content.empty());
  partners::v1::DeleteDocumentRequest remove;
  remove.set_id(offer.id());
  partners::v1::DeleteDocumentResponse removed;
  EXPECT_EQ(partners_->DeleteDocument(As(bela.token).get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  partners::v1::Document sneaked;
  const auto refused = Upload(bela.token, "crm.opportunity", deal.id(), &sneaked);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(refused).at(0).field, "document.resource_id");

  // An external partner sees them once the deal is shared.
  EXPECT_EQ(Download(reseller.token, offer.id(), &content).error_code(),
            grpc::StatusCode::NOT_FOUND);
  cv1::ShareOpportunityRequest share;
  share.set_id(deal.id());
  share.set_user_id(reseller.id);
  cv1::Opportunity shared;
  ASSERT_TRUE(opportunities_->ShareOpportunity(As().get(), share, &shared).ok());
  EXPECT_TRUE(Download(reseller.token, offer.id(), &content).ok());
  EXPECT_EQ(Listed(reseller.token, deal.id()), 1);

  // Records that do not exist, and types no loaded module keeps.
  const auto missing = Upload(anna.token, "crm.opportunity", 987654, &sneaked);
  EXPECT_EQ(kernel::FieldViolationsOf(missing).at(0).field, "document.resource_id");
  const auto unknown = Upload(anna.token, "orders.order", 1, &sneaked);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(unknown).at(0).field, "document.resource_type");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM partners.document"), "1");
}

// The security review: a refused delete answered with the database's own
// text (table and constraint names).
TEST_F(CrmAccessTest, DeletingAPartnerThatADealReferencesSaysWhatToDoNotWhatTheDatabaseSaid) {
  const auto deal = NewDeal("", "Hivatkozott");
  partners::v1::DeletePartnerRequest remove;
  remove.set_id(deal.partner_id());
  partners::v1::DeletePartnerResponse removed;
  const auto status = partners_->DeletePartner(As().get(), remove, &removed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(),
            "partner " + std::to_string(deal.partner_id()) +
                " is still referred to by other records (deals, leads, other modules' records); "
                "archive it instead");
}

TEST_F(CrmAccessTest, AnActivityCannotBeLinkedToADealOrLeadItsAuthorCannotSee) {
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto bela = NewColleague("bela@karton.example", kv1::ROLE_SALES);
  const auto deal = NewDeal(anna.token, "Anna's deal");
  cv1::CreateActivityRequest create;
  create.mutable_activity()->set_type(cv1::ACTIVITY_TYPE_CALL);
  create.mutable_activity()->set_subject("Call about Anna's deal");
  create.mutable_activity()->set_opportunity_id(deal.id());
  create.mutable_activity()->mutable_due_time()->set_seconds(2000000000);
  cv1::Activity created;
  const auto refused = activities_->CreateActivity(As(bela.token).get(), create, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(refused).at(0).field, "activity.opportunity_id");
  const auto allowed = activities_->CreateActivity(As(anna.token).get(), create, &created);
  EXPECT_TRUE(allowed.ok()) << allowed.error_message();
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM crm.activity"), "1");
}

// The security review: completed activities and sent message bodies are
// copied to the timeline, and an external partner who could see the partner
// read all of them, through ListTimeline and GetCustomerOverview alike.
TEST_F(CrmAccessTest, AnExternalPartnerSeesOnlyTheTimelineEntriesOfWhatIsSharedWithThem) {
  const auto reseller = NewColleague("reseller@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto shared_deal = NewDeal("", "Közös ajánlat");
  const auto other_deal = NewDeal("", "Belső ajánlat");
  const std::int64_t partner = shared_deal.partner_id();
  const auto log = [&](const char* subject, partners::v1::InteractionDirection direction,
                       const std::string& module, std::int64_t deal_id) {
    partners::v1::LogInteractionRequest request;
    auto* entry = request.mutable_interaction();
    entry->set_partner_id(partner);
    entry->set_channel(partners::v1::INTERACTION_CHANNEL_CALL);
    entry->set_direction(direction);
    entry->set_subject(subject);
    entry->set_source_module(module);
    if (deal_id != 0) {
      entry->set_resource_type("crm.opportunity");
      entry->set_resource_id(deal_id);
    }
    partners::v1::Interaction logged;
    const auto status = partners_->LogInteraction(As().get(), request, &logged);
    EXPECT_TRUE(status.ok()) << status.error_message();
  };
  log("call about the shared deal", partners::v1::INTERACTION_DIRECTION_OUTBOUND, "crm",
      shared_deal.id());
  log("margin talk on the shared deal", partners::v1::INTERACTION_DIRECTION_INTERNAL, "crm",
      shared_deal.id());
  log("call about another deal", partners::v1::INTERACTION_DIRECTION_OUTBOUND, "crm",
      other_deal.id());
  log("an email's body", partners::v1::INTERACTION_DIRECTION_OUTBOUND, "messaging", 0);
  log("a colleague's note", partners::v1::INTERACTION_DIRECTION_INTERNAL, "partners", 0);

  QueryScalar(conninfo_,
              "INSERT INTO kernel.record_grant (resource_type, resource_id, user_id) VALUES "
              "('partners.partner', " +
                  std::to_string(partner) + ", " + std::to_string(reseller.id) +
                  ") RETURNING resource_id");
  cv1::ShareOpportunityRequest share;
  share.set_id(shared_deal.id());
  share.set_user_id(reseller.id);
  cv1::Opportunity shared;
  ASSERT_TRUE(opportunities_->ShareOpportunity(As().get(), share, &shared).ok());

  partners::v1::ListTimelineRequest timeline;
  timeline.set_partner_id(partner);
  partners::v1::ListTimelineResponse seen;
  ASSERT_TRUE(partners_->ListTimeline(As(reseller.token).get(), timeline, &seen).ok());
  ASSERT_EQ(seen.interactions_size(), 1);
  EXPECT_EQ(seen.interactions(0).subject(), "call about the shared deal");
  partners::v1::ListTimelineResponse everything;
  ASSERT_TRUE(partners_->ListTimeline(As().get(), timeline, &everything).ok());
  EXPECT_EQ(everything.interactions_size(), 5);

  auto overview_service = cv1::CustomerOverviewService::NewStub(channel_);
  cv1::GetCustomerOverviewRequest get;
  get.set_partner_id(partner);
  cv1::CustomerOverview overview;
  const auto status =
      overview_service->GetCustomerOverview(As(reseller.token).get(), get, &overview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(overview.recent_timeline_size(), 1);
  EXPECT_EQ(overview.recent_timeline(0).subject(), "call about the shared deal");
}

}  // namespace
}  // namespace karton::testing
