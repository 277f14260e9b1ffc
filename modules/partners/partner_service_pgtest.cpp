// PartnerServiceImpl built directly from what it uses (issue 21): partners'
// real SQL on a throwaway database, with a FakeModuleContext's clock, audit
// trail and event bus, and no other module loaded. A create writes the row,
// its audit entry and its event; an update with a stale etag is refused and
// changes nothing.
#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "karton/kernel/errors.h"
#include "module_database_test.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "round_trips.h"
#include "throwaway_postgres.h"

namespace karton::partners {
namespace {

using karton::testing::PoolRoundTrips;

class PartnerServiceTest : public karton::testing::ModuleDatabaseTest {
 protected:
  PartnerServiceTest() : ModuleDatabaseTest("partners", {"partners"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    PartnerServiceImpl::DeclareTopics(context_.Events());
    seller_ = NewUser("anna", "sales");
    service_ =
        std::make_unique<PartnerServiceImpl>(kernel::PartsOf(context_), PartnerServiceOptions{});
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

  v1::Contact CreateContactOf(std::int64_t partner_id, const std::string& name) {
    v1::CreateContactRequest request;
    request.set_partner_id(partner_id);
    request.mutable_contact()->set_name(name);
    v1::Contact created;
    const auto status = service_->CreateContact(&AsSeller()->context, &request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status TryCreate(const v1::Partner& partner, v1::Partner* created) {
    v1::CreatePartnerRequest request;
    *request.mutable_partner() = partner;
    return service_->CreatePartner(&AsSeller()->context, &request, created);
  }

  v1::Partner CreateCard(const v1::Partner& partner) {
    v1::Partner created;
    const auto status = TryCreate(partner, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Partner Organization(const std::string& name, std::int64_t parent = 0) {
    v1::Partner partner;
    partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
    partner.set_display_name(name);
    partner.set_parent_partner_id(parent);
    return CreateCard(partner);
  }

  // Changes the fields `paths` names to `change`'s values.
  grpc::Status Update(std::int64_t id, v1::Partner change, const std::vector<std::string>& paths,
                      v1::Partner* updated) {
    v1::UpdatePartnerRequest request;
    change.set_id(id);
    *request.mutable_partner() = change;
    for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
    return service_->UpdatePartner(&AsSeller()->context, &request, updated);
  }

  v1::Partner Get(std::int64_t id) {
    v1::GetPartnerRequest request;
    request.set_id(id);
    v1::Partner partner;
    EXPECT_TRUE(
        service_->GetPartnerFor(kernel::CallerOf(AsSeller()->context), request, &partner).ok());
    return partner;
  }

  std::vector<std::string> ListNames(const std::string& filter) {
    v1::ListPartnersRequest request;
    request.set_filter(filter);
    v1::ListPartnersResponse response;
    const auto status = service_->ListPartners(&AsSeller()->context, &request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& partner : response.partners()) names.push_back(partner.display_name());
    return names;
  }

  std::string Column(const std::string& column, std::int64_t id) {
    return karton::testing::QueryScalar(
        conninfo_, "SELECT " + column + " FROM partners.partner WHERE id = " + std::to_string(id));
  }

  static std::vector<std::string> ViolatedFields(const grpc::Status& status) {
    std::vector<std::string> fields;
    for (const auto& violation : kernel::FieldViolationsOf(status)) {
      fields.push_back(violation.field);
    }
    return fields;
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
  ASSERT_TRUE(service_->GetPartnerFor(kernel::CallerOf(AsSeller()->context), get, &found).ok());
  EXPECT_EQ(found.SerializeAsString(), created.SerializeAsString());
}

TEST_F(PartnerServiceTest, APlainCreateMakesTwoRoundTripsAndNeverMissesAChangedDefinition) {
  const auto round_trips = karton::testing::CountRoundTrips;
  Create("Első Kft.");  // reads the custom field definitions
  {
    PoolRoundTrips trips(*database_);
    Create("Második Kft.");
    // BEGIN with the INSERT (which checks the definitions read before), then
    // the COMMIT, with the audit entry and the event in kartond (this test's
    // audit trail and event bus keep them in memory).
    const std::string ends = trips.Stop();
    EXPECT_EQ(round_trips(ends), 2) << ends;
  }
  {
    v1::CreatePartnerRequest request;
    request.set_request_id("crm-sync-7");
    request.mutable_partner()->set_kind(v1::PARTNER_KIND_ORGANIZATION);
    request.mutable_partner()->set_display_name("Harmadik Kft.");
    v1::Partner first;
    v1::Partner again;
    PoolRoundTrips trips(*database_);
    ASSERT_TRUE(service_->CreatePartner(&AsSeller()->context, &request, &first).ok());
    // The request id is claimed by the INSERT itself.
    const std::string ends = trips.Stop();
    EXPECT_EQ(round_trips(ends), 2) << ends;
    ASSERT_TRUE(service_->CreatePartner(&AsSeller()->context, &request, &again).ok());
    EXPECT_EQ(again.id(), first.id());
    EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM partners.partner"),
              "3");
  }

  // Another kartond defines a required field: this service's copy of the
  // definitions does not know it, and the INSERT notices.
  karton::testing::QueryScalar(
      conninfo_,
      "INSERT INTO partners.custom_field_definition (key, label, type, required, create_time, "
      "update_time) VALUES ('industry', 'Iparág', 'text', true, now(), now()) RETURNING key");
  const auto organization = [](const std::string& name) {
    v1::Partner partner;
    partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
    partner.set_display_name(name);
    return partner;
  };
  v1::Partner created;
  const auto refused = TryCreate(organization("Negyedik Kft."), &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_EQ(ViolatedFields(refused), std::vector<std::string>{"partner.custom_fields[industry]"});
  v1::Partner with_industry = organization("Negyedik Kft.");
  (*with_industry.mutable_custom_fields())["industry"] = "gépipar";
  EXPECT_EQ(CreateCard(with_industry).custom_fields().at("industry"), "gépipar");

  // ...and makes it optional again: the copy, which says required, is not
  // trusted with a refusal.
  karton::testing::QueryScalar(
      conninfo_,
      "UPDATE partners.custom_field_definition SET required = false WHERE key = 'industry' "
      "RETURNING key");  // the table bumps the version itself (schema/partners/0017)
  EXPECT_TRUE(TryCreate(organization("Ötödik Kft."), &created).ok());
  // Definitions stay, so that a key cannot come back at an old version.
  EXPECT_THROW(karton::testing::QueryScalar(
                   conninfo_, "DELETE FROM partners.custom_field_definition RETURNING key"),
               std::exception);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM partners.partner"), "5");
}

// UpdatePartner checks the card the same way: against the kept copy of the
// definitions, which its UPDATE confirms.
TEST_F(PartnerServiceTest, APlainUpdateMakesThreeRoundTripsAndNeverMissesAChangedDefinition) {
  const v1::Partner partner = Create("Első Kft.");  // reads the custom field definitions
  const auto update_website = [&](const std::string& website) {
    v1::UpdatePartnerRequest update;
    update.mutable_partner()->set_id(partner.id());
    update.mutable_partner()->set_website(website);
    update.mutable_update_mask()->add_paths("website");
    v1::Partner updated;
    return service_->UpdatePartner(&AsSeller()->context, &update, &updated);
  };
  const auto stored_website = [&] {
    return karton::testing::QueryScalar(
        conninfo_,
        "SELECT website FROM partners.partner WHERE id = " + std::to_string(partner.id()));
  };
  // The first update prepares its statement on the connection.
  ASSERT_TRUE(update_website("https://nulla.example").ok());
  {
    PoolRoundTrips trips(*database_);
    const auto status = update_website("https://elso.example");
    ASSERT_TRUE(status.ok()) << status.error_message();
    // BEGIN with the locked read, the UPDATE (which checks the definitions
    // read before), then the COMMIT with the audit entry and the event.
    const std::string ends = trips.Stop();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 3) << ends;
  }

  // Another kartond defines a required field, which this service's copy
  // does not know: the UPDATE notices, and the card is refused.
  karton::testing::QueryScalar(
      conninfo_,
      "INSERT INTO partners.custom_field_definition (key, label, type, required, create_time, "
      "update_time) VALUES ('industry', 'Iparág', 'text', true, now(), now()) RETURNING key");
  const auto refused = update_website("https://masodik.example");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_EQ(ViolatedFields(refused), std::vector<std::string>{"partner.custom_fields[industry]"});
  EXPECT_EQ(stored_website(), "https://elso.example");

  // ...and makes it optional again: the copy, which says required, is not
  // trusted with a refusal.
  karton::testing::QueryScalar(
      conninfo_,
      "UPDATE partners.custom_field_definition SET required = false WHERE key = 'industry' "
      "RETURNING key");
  const auto accepted = update_website("https://harmadik.example");
  EXPECT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(stored_website(), "https://harmadik.example");
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics(),
            (std::vector<std::string>{"partners.partner.created", "partners.partner.updated",
                                      "partners.partner.updated", "partners.partner.updated"}));
}

// LogInteraction is on the path of every email sent to a partner (messaging
// logs it on the timeline). In a kernel::Transaction: BEGIN with the lock on
// the source reference, the look for an entry already logged under it, the
// partner's read, the INSERT answering the entry, and the COMMIT with the
// audit entry and the event. A retried delivery answers the first entry.
TEST_F(PartnerServiceTest, ALoggedInteractionIsFiveRoundTripsAndARetryAnswersTheFirst) {
  const v1::Partner partner = Create("Levelező Kft.");
  const auto log = [&](const std::string& reference, v1::Interaction& logged) {
    v1::LogInteractionRequest request;
    auto& interaction = *request.mutable_interaction();
    interaction.set_partner_id(partner.id());
    interaction.set_channel(v1::INTERACTION_CHANNEL_EMAIL);
    interaction.set_direction(v1::INTERACTION_DIRECTION_OUTBOUND);
    interaction.set_subject("Ajánlatunk");
    interaction.set_source_module("messaging");
    interaction.set_source_reference(reference);
    return service_->LogInteraction(&AsSeller()->context, &request, &logged);
  };
  v1::Interaction warm;  // each statement's first use on a connection prepares it
  ASSERT_TRUE(log("message/1", warm).ok());

  v1::Interaction logged;
  const auto traced =
      karton::testing::TraceRoundTrips(*database_, [&] { return log("message/2", logged); });
  ASSERT_TRUE(traced.result.ok()) << traced.result.error_message();
  EXPECT_EQ(traced.round_trips, 5) << traced.ends;
  EXPECT_EQ(logged.subject(), "Ajánlatunk");
  EXPECT_EQ(logged.source_reference(), "message/2");
  v1::ListTimelineRequest list;
  list.set_partner_id(partner.id());
  v1::ListTimelineResponse timeline;
  ASSERT_TRUE(service_->ListTimeline(&AsSeller()->context, &list, &timeline).ok());
  ASSERT_EQ(timeline.interactions_size(), 2);
  EXPECT_EQ(timeline.interactions(0).SerializeAsString(), logged.SerializeAsString());

  const auto published = context_.RecordedEvents().Published().size();
  v1::Interaction again;
  ASSERT_TRUE(log("message/2", again).ok());
  EXPECT_EQ(again.SerializeAsString(), logged.SerializeAsString());
  EXPECT_EQ(context_.RecordedEvents().Published().size(), published);
}

// BatchLogInteractions (messaging logs each run of sent messages with it):
// the entries in one transaction whose round trips do not grow with the
// batch (BEGIN with the look at the partners, contacts and users named, the
// one INSERT, and the COMMIT with the audit entries and events), answered
// in the order asked. A reference logged before, or twice in one batch,
// answers its first entry and is not logged again.
TEST_F(PartnerServiceTest, ABatchOfInteractionsIsOneTransactionAndAnswersEachEntryInOrder) {
  const v1::Partner partner = Create("Tömeges Kft.");
  const v1::Partner other = Create("Második Bt.");
  const v1::Contact contact = CreateContactOf(other.id(), "Kiss Éva");
  const auto entry = [](std::int64_t partner_id, const std::string& reference) {
    v1::LogInteractionRequest request;
    auto& interaction = *request.mutable_interaction();
    interaction.set_partner_id(partner_id);
    interaction.set_channel(v1::INTERACTION_CHANNEL_EMAIL);
    interaction.set_direction(v1::INTERACTION_DIRECTION_OUTBOUND);
    interaction.set_subject("Hírlevél " + reference);
    interaction.set_body("Kedves \"Ügyfelünk\",\n{akció}, 50% \\ kedvezmény");
    interaction.set_source_module("messaging");
    interaction.set_source_reference(reference);
    return request;
  };
  const auto log_batch = [&](std::vector<v1::LogInteractionRequest> requests,
                             v1::BatchLogInteractionsResponse& logged) {
    v1::BatchLogInteractionsRequest batch;
    for (auto& request : requests) *batch.add_requests() = std::move(request);
    return service_->BatchLogInteractions(&AsSeller()->context, &batch, &logged);
  };
  v1::LogInteractionRequest single = entry(partner.id(), "m1");
  v1::Interaction first;
  ASSERT_TRUE(service_->LogInteraction(&AsSeller()->context, &single, &first).ok());
  v1::BatchLogInteractionsResponse warm;  // each statement's first use prepares it
  ASSERT_TRUE(log_batch({entry(partner.id(), "m1"), entry(partner.id(), "warm")}, warm).ok());

  // m1 was logged before; m3 comes twice; the note has no reference.
  auto note = entry(other.id(), "");
  note.mutable_interaction()->set_source_module("");
  note.mutable_interaction()->set_contact_id(contact.id());
  note.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_NOTE);
  note.mutable_interaction()->set_direction(v1::INTERACTION_DIRECTION_INTERNAL);
  const auto published_before = context_.RecordedEvents().Published().size();
  const auto audited_before = context_.RecordedAudit().Recorded().size();
  v1::BatchLogInteractionsResponse logged;
  const auto traced = karton::testing::TraceRoundTrips(*database_, [&] {
    return log_batch({entry(partner.id(), "m2"), entry(partner.id(), "m1"), note,
                      entry(other.id(), "m3"), entry(other.id(), "m3")},
                     logged);
  });
  ASSERT_TRUE(traced.result.ok()) << traced.result.error_message();
  ASSERT_EQ(logged.interactions_size(), 5);
  EXPECT_EQ(logged.interactions(0).source_reference(), "m2");
  EXPECT_EQ(logged.interactions(0).body(), "Kedves \"Ügyfelünk\",\n{akció}, 50% \\ kedvezmény");
  EXPECT_EQ(logged.interactions(1).SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(logged.interactions(2).source_module(), "partners");
  EXPECT_EQ(logged.interactions(2).contact_id(), contact.id());
  EXPECT_EQ(logged.interactions(2).channel(), v1::INTERACTION_CHANNEL_NOTE);
  EXPECT_EQ(logged.interactions(2).user_id(), seller_);
  EXPECT_EQ(logged.interactions(3).source_reference(), "m3");
  EXPECT_EQ(logged.interactions(4).SerializeAsString(), logged.interactions(3).SerializeAsString());
  // Three new entries: three events and three audit entries.
  EXPECT_EQ(context_.RecordedEvents().Published().size(), published_before + 3);
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), audited_before + 3);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM partners.interaction"),
            "5");
  // Entries without a reference come back in the order asked.
  v1::BatchLogInteractionsResponse notes;
  std::vector<v1::LogInteractionRequest> many;
  for (int i = 0; i < 20; ++i) {
    auto& request = many.emplace_back(entry(partner.id(), ""));
    request.mutable_interaction()->set_source_module("");
    request.mutable_interaction()->set_subject("jegyzet " + std::to_string(i));
  }
  const auto traced_many =
      karton::testing::TraceRoundTrips(*database_, [&] { return log_batch(many, notes); });
  ASSERT_TRUE(traced_many.result.ok()) << traced_many.result.error_message();
  ASSERT_EQ(notes.interactions_size(), 20);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(notes.interactions(i).subject(), "jegyzet " + std::to_string(i));
  }
  // BEGIN with the look, the INSERT, the look for m1, the COMMIT; twenty
  // entries without references need no look for earlier ones.
  EXPECT_EQ(traced.round_trips, 4) << traced.ends;
  EXPECT_EQ(traced_many.round_trips, 3) << traced_many.ends;

  // Asked again, the whole first batch answers the same entries.
  v1::BatchLogInteractionsResponse again;
  ASSERT_TRUE(log_batch({entry(partner.id(), "m2"), entry(other.id(), "m3")}, again).ok());
  EXPECT_EQ(again.interactions(0).SerializeAsString(), logged.interactions(0).SerializeAsString());
  EXPECT_EQ(again.interactions(1).SerializeAsString(), logged.interactions(3).SerializeAsString());
}

// All or nothing: an entry LogInteraction would refuse refuses the batch,
// named by its place, and nothing of it is logged.
TEST_F(PartnerServiceTest, ABatchOfInteractionsWithABadEntryNamesItAndLogsNothing) {
  const v1::Partner partner = Create("Egész Kft.");
  const v1::Partner other = Create("Más Kft.");
  const v1::Contact contact = CreateContactOf(other.id(), "Nagy Béla");
  const auto entry = [](std::int64_t partner_id) {
    v1::LogInteractionRequest request;
    request.mutable_interaction()->set_partner_id(partner_id);
    request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_CALL);
    request.mutable_interaction()->set_direction(v1::INTERACTION_DIRECTION_INBOUND);
    return request;
  };
  const auto published_before = context_.RecordedEvents().Published().size();
  v1::BatchLogInteractionsResponse logged;

  v1::BatchLogInteractionsRequest unknown_partner;
  *unknown_partner.add_requests() = entry(partner.id());
  *unknown_partner.add_requests() = entry(partner.id() + 1000);
  auto status = service_->BatchLogInteractions(&AsSeller()->context, &unknown_partner, &logged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::vector<std::string>{"requests[1].interaction.partner_id"}));

  v1::BatchLogInteractionsRequest wrong_contact_and_user;
  *wrong_contact_and_user.add_requests() = entry(partner.id());
  wrong_contact_and_user.mutable_requests(0)->mutable_interaction()->set_contact_id(contact.id());
  *wrong_contact_and_user.add_requests() = entry(other.id());
  wrong_contact_and_user.mutable_requests(1)->mutable_interaction()->set_user_id(987654);
  status = service_->BatchLogInteractions(&AsSeller()->context, &wrong_contact_and_user, &logged);
  EXPECT_EQ(ViolatedFields(status), (std::vector<std::string>{"requests[0].interaction.contact_id",
                                                              "requests[1].interaction.user_id"}));

  v1::BatchLogInteractionsRequest bad_fields;
  *bad_fields.add_requests() = entry(partner.id());
  *bad_fields.add_requests() = entry(partner.id());
  bad_fields.mutable_requests(1)->mutable_interaction()->set_source_module("Nem Modul");
  bad_fields.mutable_requests(1)->mutable_interaction()->set_resource_id(5);
  status = service_->BatchLogInteractions(&AsSeller()->context, &bad_fields, &logged);
  EXPECT_EQ(ViolatedFields(status),
            (std::vector<std::string>{"requests[1].interaction.source_module",
                                      "requests[1].interaction.resource_id"}));

  v1::BatchLogInteractionsRequest none;
  EXPECT_EQ(ViolatedFields(service_->BatchLogInteractions(&AsSeller()->context, &none, &logged)),
            (std::vector<std::string>{"requests"}));
  v1::BatchLogInteractionsRequest too_many;
  for (int i = 0; i < 1001; ++i) *too_many.add_requests() = entry(partner.id());
  EXPECT_EQ(
      ViolatedFields(service_->BatchLogInteractions(&AsSeller()->context, &too_many, &logged)),
      (std::vector<std::string>{"requests"}));

  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM partners.interaction"),
            "0");
  EXPECT_EQ(context_.RecordedEvents().Published().size(), published_before);
}

// CreateContact in a kernel::Transaction: BEGIN with the partner's locked
// read, the INSERT, the external ids replaced, the contact read back, and
// the COMMIT with the audit entry and the event.
TEST_F(PartnerServiceTest, ACreatedContactIsFiveRoundTripsAndReadsBackAsAnswered) {
  const v1::Partner partner = Create("Kapcsolatos Kft.");
  const auto create = [&](const std::string& name, v1::Contact& created) {
    v1::CreateContactRequest request;
    request.set_partner_id(partner.id());
    request.mutable_contact()->set_name(name);
    request.mutable_contact()->add_emails("kiss.anna@kapcsolatos.hu");
    return service_->CreateContact(&AsSeller()->context, &request, &created);
  };
  v1::Contact warm;  // each statement's first use on a connection prepares it
  ASSERT_TRUE(create("Nagy Béla", warm).ok());

  v1::Contact created;
  const auto traced =
      karton::testing::TraceRoundTrips(*database_, [&] { return create("Kiss Anna", created); });
  ASSERT_TRUE(traced.result.ok()) << traced.result.error_message();
  EXPECT_EQ(traced.round_trips, 5) << traced.ends;
  v1::GetContactRequest get;
  get.set_id(created.id());
  v1::Contact read;
  ASSERT_TRUE(service_->GetContact(&AsSeller()->context, &get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics().back(), "partners.contact.created");
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

// A person displayed otherwise than by the names on the card (Western
// order, a nickname) is still found by those names.
TEST_F(PartnerServiceTest, SearchFindsAPersonByTheFirstAndLastNameOnTheCard) {
  v1::Partner input;
  input.set_kind(v1::PARTNER_KIND_PERSON);
  input.set_display_name("Öcsi");
  input.set_last_name("Szőke-Kovács");
  input.set_first_name("Gábor");
  const v1::Partner person = CreateCard(input);
  const auto found = [&](const std::string& query) {
    v1::SearchPartnersRequest request;
    request.set_query(query);
    v1::SearchPartnersResponse response;
    EXPECT_TRUE(service_->SearchPartners(&AsSeller()->context, &request, &response).ok());
    return response.partners_size() == 1 && response.partners(0).id() == person.id();
  };
  EXPECT_TRUE(found("szoke-kov"));
  EXPECT_TRUE(found("Gábor"));
  EXPECT_TRUE(found("öcsi"));
  // Renamed: the new name is found, the old one no more.
  v1::Partner renamed = person;
  renamed.set_first_name("Tibor");
  v1::Partner updated;
  v1::UpdatePartnerRequest update;
  *update.mutable_partner() = renamed;
  update.mutable_update_mask()->add_paths("first_name");
  ASSERT_TRUE(service_->UpdatePartner(&AsSeller()->context, &update, &updated).ok());
  EXPECT_TRUE(found("tibor"));
  EXPECT_FALSE(found("gabor"));
}

// CreatePartner and UpdatePartner write each column from a typed parameter:
// every stored field reads back as written, arrays keep the characters
// PostgreSQL's array syntax quotes, and the search text is what the import
// (partners.search_source) makes of the same row.
TEST_F(PartnerServiceTest, EveryStoredFieldReadsBackAsWrittenAndTheSearchTextMatchesTheImports) {
  const v1::Partner group = Organization("Kovács Csoport Zrt.");
  v1::Partner input;
  input.set_kind(v1::PARTNER_KIND_ORGANIZATION);
  input.set_display_name("Kovács \"Pék\" Kft.");
  input.set_legal_name("Kovács Pékség Korlátolt Felelősségű Társaság");
  input.set_tax_number("12345676-2-42");
  input.set_registration_number("01-09-123456");
  auto* address = input.add_addresses();
  address->set_type(karton::common::v1::ADDRESS_TYPE_BILLING);
  address->set_country("HU");
  address->set_postal_code("6720");
  address->set_city("Szeged");
  address->set_street("Kárász utca 1. \"B\" épület");
  input.add_emails("pek@example.hu");
  input.add_phones("+36 30 123 4567");
  input.set_website("https://pek.example.hu");
  input.add_tags("{b} \"c\" \\ d");
  input.add_tags("kenyér");
  input.mutable_credit_limit()->set_currency_code("HUF");
  input.mutable_credit_limit()->set_minor_units(50'000'000);
  input.set_risk_class(v1::RISK_CLASS_MEDIUM);
  auto* account = input.add_bank_accounts();
  account->set_iban("HU42 1177 3016 1111 1018 0000 0000");
  account->set_bank_name("OTP");
  input.set_payment_terms_days(15);
  input.set_parent_partner_id(group.id());
  const v1::Partner created = CreateCard(input);
  EXPECT_EQ(created.tags(0), "{b} \"c\" \\ d");
  EXPECT_EQ(created.addresses(0).street(), "Kárász utca 1. \"B\" épület");
  EXPECT_EQ(created.credit_limit().minor_units(), 50'000'000);
  EXPECT_EQ(created.risk_class(), v1::RISK_CLASS_MEDIUM);
  EXPECT_EQ(created.bank_accounts(0).iban(), "HU42117730161111101800000000");
  EXPECT_EQ(created.parent_partner_id(), group.id());
  EXPECT_EQ(Get(created.id()).SerializeAsString(), created.SerializeAsString());
  const std::string mismatched =
      "SELECT count(*) FROM partners.partner p "
      "WHERE p.search_text <> kernel.fold(partners.search_source(p))";
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, mismatched), "0");
  EXPECT_NE(Column("search_text", created.id()).find("pek@example.hu"), std::string::npos);

  v1::Partner change;
  change.set_etag(created.etag());
  change.add_tags("rozs");
  change.add_emails("rendeles@example.hu");
  change.set_legal_name("");
  change.set_risk_class(v1::RISK_CLASS_UNSPECIFIED);
  v1::Partner updated;
  ASSERT_TRUE(Update(created.id(), change,
                     {"tags", "emails", "legal_name", "risk_class", "credit_limit"}, &updated)
                  .ok());
  EXPECT_EQ(updated.tags_size(), 1);
  EXPECT_EQ(updated.emails(0), "rendeles@example.hu");
  EXPECT_FALSE(updated.has_credit_limit());
  EXPECT_EQ(Get(created.id()).SerializeAsString(), updated.SerializeAsString());
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, mismatched), "0");
  EXPECT_EQ(Column("search_text", created.id()).find("pek@example.hu"), std::string::npos);
}

// Issue 15: terms, currency, language, roles, the group and a person's
// names, through create and update, stored, audited and published like
// every other field.
TEST_F(PartnerServiceTest, TheCardsTermsRolesAndNamesAreCreatedUpdatedAuditedAndPublished) {
  const v1::Partner group = Organization("Kovács Csoport Zrt.");
  v1::Partner input;
  input.set_kind(v1::PARTNER_KIND_PERSON);
  input.set_first_name(" Anna ");
  input.set_last_name("Kovács");
  input.set_salutation("Dr.");
  input.set_payment_terms_days(30);
  input.set_default_currency_code("eur");
  input.set_preferred_language("EN");
  input.set_customer(true);
  input.set_supplier(true);
  input.set_parent_partner_id(group.id());
  const v1::Partner anna = CreateCard(input);
  // No display name given: family name first.
  EXPECT_EQ(anna.display_name(), "Kovács Anna");
  EXPECT_EQ(anna.first_name(), "Anna");
  EXPECT_EQ(anna.last_name(), "Kovács");
  EXPECT_EQ(anna.salutation(), "Dr.");
  EXPECT_EQ(anna.payment_terms_days(), 30);
  EXPECT_EQ(anna.default_currency_code(), "EUR");
  EXPECT_EQ(anna.preferred_language(), "en");
  EXPECT_TRUE(anna.customer());
  EXPECT_TRUE(anna.supplier());
  EXPECT_EQ(anna.parent_partner_id(), group.id());
  EXPECT_EQ(Get(anna.id()).SerializeAsString(), anna.SerializeAsString());
  EXPECT_EQ(Column("concat_ws('|', payment_terms_days, default_currency_code, preferred_language, "
                   "customer, supplier, parent_partner_id, first_name, last_name, salutation)",
                   anna.id()),
            fmt::format("30|EUR|en|t|t|{}|Anna|Kovács|Dr.", group.id()));
  const auto created_event = context_.RecordedEvents().Published().back();
  const auto created_fields = created_event.Payload<v1::PartnerChanged>().changed_fields();
  for (const char* field :
       {"payment_terms_days", "default_currency_code", "preferred_language", "customer", "supplier",
        "parent_partner_id", "first_name", "last_name", "salutation", "display_name"}) {
    EXPECT_NE(std::find(created_fields.begin(), created_fields.end(), field), created_fields.end())
        << field;
  }

  // Each field by the mask, one update each: a new version, an audit entry
  // naming the field with its old and new value, an event naming it.
  const v1::Partner other_group = Organization("Nagy Holding Kft.");
  struct Change {
    std::string field;
    std::function<void(v1::Partner&)> set;
    std::string old_json, new_json;
  };
  const std::vector<Change> changes = {
      {"payment_terms_days", [](v1::Partner& p) { p.set_payment_terms_days(8); }, "30", "8"},
      {"default_currency_code", [](v1::Partner& p) { p.set_default_currency_code("HUF"); },
       "\"EUR\"", "\"HUF\""},
      {"preferred_language", [](v1::Partner& p) { p.set_preferred_language("hu"); }, "\"en\"",
       "\"hu\""},
      {"customer", [](v1::Partner& p) { p.set_customer(false); }, "true", ""},
      {"supplier", [](v1::Partner& p) { p.set_supplier(false); }, "true", ""},
      {"parent_partner_id", [&](v1::Partner& p) { p.set_parent_partner_id(other_group.id()); },
       fmt::format("\"{}\"", group.id()), fmt::format("\"{}\"", other_group.id())},
      {"first_name", [](v1::Partner& p) { p.set_first_name("Anikó"); }, "\"Anna\"", "\"Anikó\""},
      {"last_name", [](v1::Partner& p) { p.set_last_name("Kovácsné"); }, "\"Kovács\"",
       "\"Kovácsné\""},
      {"salutation", [](v1::Partner& p) { p.set_salutation(""); }, "\"Dr.\"", ""},
  };
  std::string etag = anna.etag();
  for (const auto& change : changes) {
    v1::Partner request;
    request.set_etag(etag);
    change.set(request);
    v1::Partner updated;
    const auto status = Update(anna.id(), request, {change.field}, &updated);
    ASSERT_TRUE(status.ok()) << change.field << ": " << status.error_message();
    EXPECT_EQ(std::stoi(updated.etag()), std::stoi(etag) + 1) << change.field;
    etag = updated.etag();
    const auto audited = context_.RecordedAudit().Recorded().back();
    ASSERT_EQ(audited.changes.size(), 1u) << change.field;
    EXPECT_EQ(audited.changes[0].field, change.field);
    EXPECT_EQ(audited.changes[0].old_json.value_or(""), change.old_json) << change.field;
    EXPECT_EQ(audited.changes[0].new_json.value_or(""), change.new_json) << change.field;
    const auto event = context_.RecordedEvents().Published().back();
    EXPECT_EQ(event.topic, "partners.partner.updated");
    const auto payload = event.Payload<v1::PartnerChanged>();
    ASSERT_EQ(payload.changed_fields_size(), 1);
    EXPECT_EQ(payload.changed_fields(0), change.field);
  }
  const v1::Partner after = Get(anna.id());
  EXPECT_EQ(after.payment_terms_days(), 8);
  EXPECT_FALSE(after.customer());
  EXPECT_EQ(after.parent_partner_id(), other_group.id());
  // The display name stays as it was made: names change, the name shown
  // only when asked.
  EXPECT_EQ(after.display_name(), "Kovács Anna");
  // Clearing the display name names the person again.
  v1::Partner rename;
  v1::Partner renamed;
  ASSERT_TRUE(Update(anna.id(), rename, {"display_name"}, &renamed).ok());
  EXPECT_EQ(renamed.display_name(), "Kovácsné Anikó");
  // Terms 0 and empty codes are "not set": the installation's defaults.
  ASSERT_TRUE(Update(anna.id(), rename,
                     {"payment_terms_days", "default_currency_code", "preferred_language",
                      "parent_partner_id"},
                     &renamed)
                  .ok());
  EXPECT_EQ(Column("concat_ws('|', payment_terms_days, default_currency_code, preferred_language, "
                   "coalesce(parent_partner_id, 0))",
                   anna.id()),
            "0|||0");
}

TEST_F(PartnerServiceTest, EachBadNewFieldIsNamedAndNothingIsWritten) {
  const v1::Partner group = Organization("Csoport Zrt.");
  v1::Partner person;
  person.set_kind(v1::PARTNER_KIND_PERSON);
  person.set_display_name("Nagy Éva");
  const v1::Partner eva = CreateCard(person);
  struct Bad {
    std::string field;
    std::function<void(v1::Partner&)> set;
  };
  const std::vector<Bad> bad = {
      {"partner.payment_terms_days", [](v1::Partner& p) { p.set_payment_terms_days(366); }},
      {"partner.payment_terms_days", [](v1::Partner& p) { p.set_payment_terms_days(-1); }},
      {"partner.default_currency_code", [](v1::Partner& p) { p.set_default_currency_code("USD"); }},
      {"partner.default_currency_code", [](v1::Partner& p) { p.set_default_currency_code("X"); }},
      {"partner.preferred_language", [](v1::Partner& p) { p.set_preferred_language("de"); }},
      {"partner.first_name", [](v1::Partner& p) { p.set_first_name("Éva"); }},
      {"partner.last_name", [](v1::Partner& p) { p.set_last_name("Nagy"); }},
      {"partner.salutation", [](v1::Partner& p) { p.set_salutation("Dr."); }},
      {"partner.parent_partner_id", [](v1::Partner& p) { p.set_parent_partner_id(999999); }},
      {"partner.parent_partner_id", [](v1::Partner& p) { p.set_parent_partner_id(-3); }},
      {"partner.parent_partner_id",
       [&](v1::Partner& p) { p.set_parent_partner_id(eva.id()); }},  // a person
  };
  const auto count = [&] {
    return karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM partners.partner");
  };
  const std::string partners_before = count();
  const std::size_t events_before = context_.RecordedEvents().Published().size();
  for (const auto& each : bad) {
    // On create (an organisation: the person's fields are refused on one).
    v1::Partner input;
    input.set_kind(v1::PARTNER_KIND_ORGANIZATION);
    input.set_display_name("Rossz Kft.");
    each.set(input);
    v1::Partner created;
    auto status = TryCreate(input, &created);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << each.field;
    EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{each.field})
        << status.error_message();
    // On update: the stored card stays as it was.
    v1::Partner change;
    each.set(change);
    v1::Partner updated;
    const std::string path = each.field.substr(8);
    status = Update(group.id(), change, {path}, &updated);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << each.field;
    EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{each.field})
        << status.error_message();
    EXPECT_EQ(Get(group.id()).etag(), group.etag());
  }
  EXPECT_EQ(count(), partners_before);
  EXPECT_EQ(context_.RecordedEvents().Published().size(), events_before);
  // Persons' names are fine on a person.
  v1::Partner names;
  names.set_first_name("Éva");
  names.set_salutation("Dr.");
  v1::Partner updated;
  EXPECT_TRUE(Update(eva.id(), names, {"first_name", "salutation"}, &updated).ok());
}

TEST_F(PartnerServiceTest, TheGroupHasNoCyclesAndOnlyOrganizationsAsParents) {
  const v1::Partner top = Organization("Holding Zrt.");
  const v1::Partner middle = Organization("Kereskedő Kft.", top.id());
  const v1::Partner bottom = Organization("Bolt Bt.", middle.id());
  v1::Partner updated;
  // Above itself, at any depth: refused, naming the field.
  for (const auto& below : {middle, bottom}) {
    v1::Partner change;
    change.set_parent_partner_id(below.id());
    const auto status = Update(top.id(), change, {"parent_partner_id"}, &updated);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"partner.parent_partner_id"});
    EXPECT_NE(status.error_message().find("cycle"), std::string::npos) << status.error_message();
  }
  v1::Partner itself;
  itself.set_parent_partner_id(top.id());
  EXPECT_EQ(ViolatedFields(Update(top.id(), itself, {"parent_partner_id"}, &updated)),
            std::vector<std::string>{"partner.parent_partner_id"});
  EXPECT_EQ(Column("coalesce(parent_partner_id, 0)", top.id()), "0");
  // A parent stays an organization while it has subsidiaries.
  v1::Partner person;
  person.set_kind(v1::PARTNER_KIND_PERSON);
  auto status = Update(middle.id(), person, {"kind"}, &updated);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"partner.kind"});
  EXPECT_TRUE(Update(bottom.id(), person, {"kind"}, &updated).ok());  // it has none
  // Moving a subsidiary within the group is fine; the lists follow.
  v1::Partner move;
  move.set_parent_partner_id(top.id());
  ASSERT_TRUE(Update(bottom.id(), move, {"parent_partner_id"}, &updated).ok());
  EXPECT_EQ(ListNames(fmt::format("parent_partner_id = {}", top.id())),
            (std::vector<std::string>{"Kereskedő Kft.", "Bolt Bt."}));
  EXPECT_EQ(ListNames("parent_partner_id = 0"), (std::vector<std::string>{"Holding Zrt."}));
  // A parent with subsidiaries is not deleted: archive it instead.
  v1::DeletePartnerRequest remove;
  remove.set_id(top.id());
  v1::DeletePartnerResponse removed;
  EXPECT_EQ(service_->DeletePartner(&AsSeller()->context, &remove, &removed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(PartnerServiceTest, ListsFilterCustomersSuppliersAndTerms) {
  v1::Partner buyer;
  buyer.set_kind(v1::PARTNER_KIND_ORGANIZATION);
  buyer.set_display_name("Vevő Kft.");
  buyer.set_customer(true);
  buyer.set_payment_terms_days(30);
  CreateCard(buyer);
  v1::Partner seller = buyer;
  seller.set_display_name("Szállító Kft.");
  seller.set_customer(false);
  seller.set_supplier(true);
  seller.set_payment_terms_days(8);
  seller.set_default_currency_code("EUR");
  CreateCard(seller);
  EXPECT_EQ(ListNames("customer = true"), std::vector<std::string>{"Vevő Kft."});
  EXPECT_EQ(ListNames("supplier = true AND customer = false"),
            std::vector<std::string>{"Szállító Kft."});
  EXPECT_EQ(ListNames("payment_terms_days >= 15"), std::vector<std::string>{"Vevő Kft."});
  EXPECT_EQ(ListNames("default_currency_code = \"EUR\""),
            std::vector<std::string>{"Szállító Kft."});
}

TEST_F(PartnerServiceTest, AMergeGivesTheMergedPartnersSubsidiariesToTheKeptOne) {
  const v1::Partner kept = Organization("Kovács és Társa Kft.");
  const v1::Partner duplicate = Organization("Kovács és Társa Bt.");
  const v1::Partner first = Organization("Kovács Bolt Szeged Kft.", duplicate.id());
  const v1::Partner second = Organization("Kovács Bolt Pécs Kft.", duplicate.id());
  const std::size_t events_before = context_.RecordedEvents().Published().size();
  v1::MergePartnersRequest merge;
  merge.set_keep_partner_id(kept.id());
  merge.set_merge_partner_id(duplicate.id());
  v1::Partner merged;
  const auto status = service_->MergePartners(&AsSeller()->context, &merge, &merged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const auto& child : {first, second}) {
    const v1::Partner now = Get(child.id());
    EXPECT_EQ(now.parent_partner_id(), kept.id());
    EXPECT_EQ(now.etag(), "2");
  }
  EXPECT_EQ(ListNames(fmt::format("parent_partner_id = {}", kept.id())).size(), 2u);
  EXPECT_TRUE(ListNames(fmt::format("parent_partner_id = {}", duplicate.id())).empty());
  // Each re-pointed subsidiary is published and audited as updated.
  std::vector<std::int64_t> updated_ids;
  const auto published = context_.RecordedEvents().Published();
  for (std::size_t i = events_before; i < published.size(); ++i) {
    if (published[i].topic != "partners.partner.updated") continue;
    const auto payload = published[i].Payload<v1::PartnerChanged>();
    if (payload.partner().id() == kept.id()) continue;
    updated_ids.push_back(payload.partner().id());
    EXPECT_EQ(
        std::vector<std::string>(payload.changed_fields().begin(), payload.changed_fields().end()),
        std::vector<std::string>{"parent_partner_id"});
  }
  EXPECT_EQ(updated_ids, (std::vector<std::int64_t>{first.id(), second.id()}));
  const auto audited = context_.RecordedAudit().Recorded();
  EXPECT_EQ(std::count_if(audited.begin(), audited.end(),
                          [&](const auto& entry) {
                            return entry.resource_id == first.id() && !entry.changes.empty() &&
                                   entry.changes[0].field == "parent_partner_id";
                          }),
            1);
}

TEST_F(PartnerServiceTest, AMergedParentsSubsidiaryKeptInItsPlaceClosesNoCycle) {
  // Holding <- Duplicate <- Branch: Branch is kept and Duplicate merged
  // into it. Branch takes Duplicate's place under Holding, and Duplicate's
  // other subsidiary comes under Branch.
  const v1::Partner holding = Organization("Holding Zrt.");
  const v1::Partner duplicate = Organization("Fióktelep Kft.", holding.id());
  const v1::Partner branch = Organization("Fióktelep Kft. Szeged", duplicate.id());
  const v1::Partner sibling = Organization("Raktár Kft.", duplicate.id());
  v1::MergePartnersRequest merge;
  merge.set_keep_partner_id(branch.id());
  merge.set_merge_partner_id(duplicate.id());
  v1::Partner merged;
  const auto status = service_->MergePartners(&AsSeller()->context, &merge, &merged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(merged.parent_partner_id(), holding.id());
  EXPECT_EQ(Get(sibling.id()).parent_partner_id(), branch.id());
  // A person kept cannot take over subsidiaries.
  const v1::Partner parent = Organization("Anya Kft.");
  Organization("Leány Kft.", parent.id());
  v1::Partner person;
  person.set_kind(v1::PARTNER_KIND_PERSON);
  person.set_display_name("Anya Éva");
  const v1::Partner eva = CreateCard(person);
  merge.set_keep_partner_id(eva.id());
  merge.set_merge_partner_id(parent.id());
  EXPECT_EQ(service_->MergePartners(&AsSeller()->context, &merge, &merged).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Column("coalesce(merged_into_id, 0)", parent.id()), "0");
}

}  // namespace

// An import's events read their partners thousands at a time
// (FindPartners: the external ids and consents gathered once for the batch
// and joined): the same partners, field for field, as the single partner's
// read gives them, in the order asked.
TEST_F(PartnerServiceTest, TheBatchReadGivesEachPartnerAsTheOneByOneReadDoes) {
  const auto plain = Create("Egyszerű Kft.");
  const auto keyed = Create("Kulcsos Kft.");
  const auto consenting = Create("Hozzájáruló Kft.");
  for (const auto& [source, key] : {std::pair{"erp", "E-1"}, std::pair{"crm", "C-9"}}) {
    InsertReturningId(fmt::format(
        "INSERT INTO partners.partner_external_id (source, key, partner_id) VALUES ('{}', '{}', "
        "{}) RETURNING partner_id",
        source, key, keyed.id()));
  }
  v1::CreateContactRequest add;
  add.set_partner_id(consenting.id());
  add.mutable_contact()->set_name("Kiss Éva");
  v1::Contact contact;
  ASSERT_TRUE(service_->CreateContact(&AsSeller()->context, &add, &contact).ok());
  // Email given, then withdrawn (the later one counts); SMS given; and the
  // contact's own, which is not the partner's.
  const auto consent = [&](const std::string& channel, bool granted, const std::string& time,
                           std::int64_t contact_id) {
    InsertReturningId(fmt::format(
        "INSERT INTO partners.marketing_consent (partner_id, contact_id, channel, granted, "
        "source, evidence, record_time) VALUES ({}, {}, '{}', {}, 'api', 'test', '{}') "
        "RETURNING id",
        consenting.id(), contact_id == 0 ? "NULL" : std::to_string(contact_id), channel,
        granted ? "true" : "false", time));
  };
  consent("email", true, "2026-01-05 10:00:00+00", 0);
  consent("email", false, "2026-03-01 09:00:00+00", 0);
  consent("sms", true, "2026-02-01 08:00:00+00", 0);
  consent("letter", true, "2026-02-01 08:00:00+00", contact.id());

  const std::vector<std::int64_t> ids{consenting.id(), 999999, plain.id(), keyed.id()};
  auto lease = database_->Acquire();
  const auto batch = repository::FindPartners(lease.Session(), ids);
  std::vector<v1::Partner> one_by_one;
  for (const auto id : ids) {
    auto partner = repository::FindPartner(lease.Session(), id, repository::Visibility::Everyone());
    if (partner) one_by_one.push_back(std::move(*partner));
  }
  ASSERT_EQ(one_by_one.size(), 3u);
  ASSERT_EQ(batch.size(), 3u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(batch[i], one_by_one[i]))
        << batch[i].DebugString() << "\n"
        << one_by_one[i].DebugString();
  }
  EXPECT_EQ(batch[0].id(), consenting.id());
  ASSERT_EQ(batch[0].marketing_consents_size(), 2);
  EXPECT_FALSE(batch[0].marketing_consents(0).granted());  // email, withdrawn last
  EXPECT_TRUE(batch[0].marketing_consents(1).granted());   // sms
  EXPECT_EQ(batch[1].id(), plain.id());
  EXPECT_TRUE(batch[1].external_ids().empty());
  EXPECT_EQ(batch[2].external_ids().at("erp"), "E-1");
  EXPECT_EQ(batch[2].external_ids().at("crm"), "C-9");
  EXPECT_TRUE(repository::FindPartners(lease.Session(), {}).empty());
}

// BatchGetPartners and BatchGetContacts (what messaging reads a batch of
// recipients with): the order asked, a missing id left out, and an
// external partner given only what is shared with them.
TEST_F(PartnerServiceTest, BatchReadsKeepTheOrderAskedAndLeaveOutWhatTheCallerMayNotSee) {
  const auto first = Create("Első Kft.");
  const auto second = Create("Második Kft.");
  v1::CreateContactRequest add;
  add.set_partner_id(second.id());
  add.mutable_contact()->set_name("Kiss Éva");
  add.mutable_contact()->add_emails("eva@masodik.example");
  v1::Contact contact;
  ASSERT_TRUE(service_->CreateContact(&AsSeller()->context, &add, &contact).ok());

  v1::BatchGetPartnersRequest partners;
  for (const auto id : {second.id(), std::int64_t{999999}, first.id()}) partners.add_ids(id);
  v1::BatchGetPartnersResponse found;
  ASSERT_TRUE(service_->BatchGetPartners(&AsSeller()->context, &partners, &found).ok());
  ASSERT_EQ(found.partners_size(), 2);
  EXPECT_EQ(found.partners(0).display_name(), "Második Kft.");
  EXPECT_EQ(found.partners(1).display_name(), "Első Kft.");
  EXPECT_EQ(found.partners(0).etag(), Get(second.id()).etag());

  v1::BatchGetContactsRequest contacts;
  contacts.add_ids(contact.id());
  contacts.add_ids(999999);
  v1::BatchGetContactsResponse contacts_found;
  ASSERT_TRUE(service_->BatchGetContacts(&AsSeller()->context, &contacts, &contacts_found).ok());
  ASSERT_EQ(contacts_found.contacts_size(), 1);
  EXPECT_EQ(contacts_found.contacts(0).name(), "Kiss Éva");
  EXPECT_EQ(contacts_found.contacts(0).partner_id(), second.id());
  EXPECT_EQ(contacts_found.contacts(0).emails(0), "eva@masodik.example");
  EXPECT_TRUE(contacts_found.contacts(0).has_create_time());

  // An external partner with the second partner shared: only that one,
  // and its contact.
  const auto installer = NewUser("szerelo", "external_partner");
  InsertReturningId(
      "INSERT INTO kernel.record_grant (resource_type, resource_id, user_id) VALUES "
      "('partners.partner', " +
      std::to_string(second.id()) + ", " + std::to_string(installer) + ") RETURNING resource_id");
  Call external;
  external.spouse.AddClientMetadata("karton-caller",
                                    std::to_string(installer) + ";external_partner;;0");
  v1::BatchGetPartnersResponse shared;
  ASSERT_TRUE(service_->BatchGetPartners(&external.context, &partners, &shared).ok());
  ASSERT_EQ(shared.partners_size(), 1);
  EXPECT_EQ(shared.partners(0).id(), second.id());
  Call external_again;
  external_again.spouse.AddClientMetadata("karton-caller",
                                          std::to_string(installer) + ";external_partner;;0");
  v1::BatchGetContactsResponse shared_contacts;
  ASSERT_TRUE(
      service_->BatchGetContacts(&external_again.context, &contacts, &shared_contacts).ok());
  EXPECT_EQ(shared_contacts.contacts_size(), 1);

  // Bad ids are named.
  v1::BatchGetPartnersRequest none;
  EXPECT_EQ(
      kernel::FieldViolationsOf(service_->BatchGetPartners(&AsSeller()->context, &none, &found))[0]
          .field,
      "ids");
  v1::BatchGetPartnersRequest negative;
  negative.add_ids(first.id());
  negative.add_ids(-4);
  EXPECT_EQ(kernel::FieldViolationsOf(
                service_->BatchGetPartners(&AsSeller()->context, &negative, &found))[0]
                .field,
            "ids[1]");
  v1::BatchGetPartnersRequest too_many;
  for (int i = 1; i <= 1001; ++i) too_many.add_ids(i);
  EXPECT_EQ(service_->BatchGetPartners(&AsSeller()->context, &too_many, &found).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace karton::partners
