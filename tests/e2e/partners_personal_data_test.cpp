// Personal data export and erasure (A10) end to end: the real kartond and
// PostgreSQL, and what is left in the database afterwards.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "karton/kernel/errors.h"
#include "partners_fixture.h"

namespace karton::testing {
namespace {

class PersonalDataTest : public PartnersTest {
 protected:
  // A person with a history: an update, a contact, a timeline entry, a
  // document on the card and one on the contact, and a duplicate merged in.
  void SetUp() override {
    PartnersTest::SetUp();
    Partner input;
    input.set_kind(partners::v1::PARTNER_KIND_PERSON);
    input.set_display_name("Kiss Anna");
    input.set_first_name("Anna");
    input.set_last_name("Kiss");
    input.set_salutation("Dr. habil.");
    input.add_emails("anna@kiss.hu");
    input.add_phones("+36301112233");
    input.mutable_birthday()->set_year(1985);
    input.mutable_birthday()->set_month(4);
    input.mutable_birthday()->set_day(12);
    auto* address = input.add_addresses();
    address->set_country("HU");
    address->set_city("Szeged");
    address->set_street("Tisza Lajos körút 12.");
    input.add_tags("customer");
    (*input.mutable_external_ids())["webshop"] = "U-77";
    anna_ = Create(input);
    Partner changed = anna_;
    changed.add_emails("anna.kiss@mail.hu");
    ASSERT_TRUE(Update(changed, {"emails"}, &anna_).ok());

    partners::v1::CreateContactRequest contact;
    contact.set_partner_id(anna_.id());
    contact.mutable_contact()->set_name("Kiss Béla");
    contact.mutable_contact()->add_emails("bela@kiss.hu");
    ASSERT_TRUE(partners_->CreateContact(As(admin_).get(), contact, &bela_).ok());

    partners::v1::LogInteractionRequest log;
    log.mutable_interaction()->set_partner_id(anna_.id());
    log.mutable_interaction()->set_channel(partners::v1::INTERACTION_CHANNEL_CALL);
    log.mutable_interaction()->set_direction(partners::v1::INTERACTION_DIRECTION_INBOUND);
    log.mutable_interaction()->set_subject("Kiss Anna asked about her order");
    log.mutable_interaction()->set_body("She lives at Tisza Lajos körút 12.");
    partners::v1::Interaction logged;
    ASSERT_TRUE(partners_->LogInteraction(As(admin_).get(), log, &logged).ok());

    partners::v1::Document document;
    ASSERT_TRUE(
        Upload("partners.partner", anna_.id(), "kiss-anna-id-card.pdf", "ID card", &document).ok());
    ASSERT_TRUE(
        Upload("partners.contact", bela_.id(), "bela-contract.pdf", "contract", &document).ok());

    Partner duplicate_input;
    duplicate_input.set_kind(partners::v1::PARTNER_KIND_PERSON);
    duplicate_input.set_display_name("Anna Kiss");
    duplicate_input.add_emails("anna@kiss.hu");
    duplicate_input.add_phones("+36209998877");
    duplicate_ = Create(duplicate_input);
    partners::v1::MergePartnersRequest merge;
    merge.set_keep_partner_id(anna_.id());
    merge.set_merge_partner_id(duplicate_.id());
    ASSERT_TRUE(partners_->MergePartners(As(admin_).get(), merge, &anna_).ok());
  }

  partners::v1::PersonalData Export(std::int64_t partner_id, std::int64_t contact_id = 0) {
    partners::v1::ExportPersonalDataRequest request;
    if (partner_id != 0) request.set_partner_id(partner_id);
    if (contact_id != 0) request.set_contact_id(contact_id);
    partners::v1::PersonalData data;
    const grpc::Status status = partners_->ExportPersonalData(As(admin_).get(), request, &data);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return data;
  }

  grpc::Status Erase(std::int64_t partner_id, std::int64_t contact_id, const std::string& reason,
                     partners::v1::ErasePersonalDataResponse* response) {
    partners::v1::ErasePersonalDataRequest request;
    if (partner_id != 0) request.set_partner_id(partner_id);
    if (contact_id != 0) request.set_contact_id(contact_id);
    request.set_reason(reason);
    return partners_->ErasePersonalData(As(admin_).get(), request, response);
  }

  // How many stored rows still hold `text`: audit values, event payloads
  // (log and outbox), partners, contacts, timeline, documents.
  std::string Traces(const std::string& text) {
    return Query(fmt::format(
        "SELECT (SELECT count(*) FROM kernel.audit_entry WHERE changes::text LIKE '%{0}%') + "
        "(SELECT count(*) FROM (SELECT payload FROM kernel.event UNION ALL SELECT payload FROM "
        "kernel.event_outbox) e WHERE position(convert_to('{0}', 'UTF8') IN payload) > 0) + "
        "(SELECT count(*) FROM partners.partner p WHERE p::text LIKE '%{0}%') + "
        "(SELECT count(*) FROM partners.contact c WHERE c::text LIKE '%{0}%') + "
        "(SELECT count(*) FROM partners.interaction i WHERE i::text LIKE '%{0}%') + "
        "(SELECT count(*) FROM partners.document d WHERE d::text LIKE '%{0}%')",
        text));
  }

  static std::string Json(const google::protobuf::Message& message) {
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json).ok());
    return json;
  }

  Partner anna_, duplicate_;
  partners::v1::Contact bela_;
};

TEST_F(PersonalDataTest, ExportHoldsEverythingAboutThePersonInOneDocument) {
  const auto data = Export(anna_.id());
  EXPECT_TRUE(data.has_export_time());
  EXPECT_EQ(data.partner().display_name(), "Kiss Anna");
  EXPECT_EQ(data.partner().emails_size(), 2);
  ASSERT_EQ(data.contacts_size(), 1);
  EXPECT_EQ(data.contacts(0).name(), "Kiss Béla");
  ASSERT_EQ(data.interactions_size(), 1);
  EXPECT_EQ(data.interactions(0).subject(), "Kiss Anna asked about her order");
  std::set<std::string> documents;
  for (const auto& document : data.documents()) documents.insert(document.name());
  EXPECT_EQ(documents, (std::set<std::string>{"kiss-anna-id-card.pdf", "bela-contract.pdf"}));
  ASSERT_EQ(data.merged_partners_size(), 1);
  EXPECT_EQ(data.merged_partners(0).display_name(), "Anna Kiss");
  // The trail of the card, its contact and the merged duplicate, oldest
  // first per record.
  std::vector<std::string> history;
  for (const auto& entry : data.history()) {
    history.push_back(fmt::format("{} {} {}", entry.resource_type(), entry.resource_id(),
                                  kernel::v1::AuditAction_Name(entry.action())));
  }
  const std::string anna = std::to_string(anna_.id());
  const std::string bela = std::to_string(bela_.id());
  const std::string duplicate = std::to_string(duplicate_.id());
  EXPECT_EQ(history, (std::vector<std::string>{
                         "partners.partner " + anna + " AUDIT_ACTION_CREATE",
                         "partners.partner " + anna + " AUDIT_ACTION_UPDATE",
                         "partners.partner " + anna + " AUDIT_ACTION_UPDATE",  // the merge
                         "partners.contact " + bela + " AUDIT_ACTION_CREATE",
                         "partners.partner " + duplicate + " AUDIT_ACTION_CREATE",
                         "partners.partner " + duplicate + " AUDIT_ACTION_UPDATE"}));
  // One JSON document.
  EXPECT_NE(Json(data).find("\"anna.kiss@mail.hu\""), std::string::npos);

  // A contact's export: its own data; of its partner only id and name.
  const Partner company = Create(Organization("Példa Kft."));
  partners::v1::CreateContactRequest contact_request;
  contact_request.set_partner_id(company.id());
  contact_request.mutable_contact()->set_name("Tóth Béla");
  partners::v1::Contact toth;
  ASSERT_TRUE(partners_->CreateContact(As(admin_).get(), contact_request, &toth).ok());
  for (const std::int64_t contact_id : {toth.id(), std::int64_t{0}}) {
    partners::v1::LogInteractionRequest log;
    log.mutable_interaction()->set_partner_id(company.id());
    log.mutable_interaction()->set_contact_id(contact_id);
    log.mutable_interaction()->set_channel(partners::v1::INTERACTION_CHANNEL_MEETING);
    log.mutable_interaction()->set_direction(partners::v1::INTERACTION_DIRECTION_OUTBOUND);
    log.mutable_interaction()->set_subject(contact_id != 0 ? "Met Béla" : "Company meeting");
    partners::v1::Interaction logged;
    ASSERT_TRUE(partners_->LogInteraction(As(admin_).get(), log, &logged).ok());
  }
  const auto of_contact = Export(0, toth.id());
  EXPECT_EQ(of_contact.contact().name(), "Tóth Béla");
  EXPECT_EQ(of_contact.contact_partner().display_name(), "Példa Kft.");
  EXPECT_EQ(of_contact.contact_partner().id(), company.id());
  ASSERT_EQ(of_contact.interactions_size(), 1);
  EXPECT_EQ(of_contact.interactions(0).subject(), "Met Béla");
  EXPECT_FALSE(of_contact.has_partner());

  // Administrators only; bad requests name their field.
  const auto [sales_id, sales] = User("sales@karton.test", kernel::v1::ROLE_SALES);
  (void)sales_id;
  partners::v1::ExportPersonalDataRequest request;
  request.set_partner_id(anna_.id());
  partners::v1::PersonalData unused;
  EXPECT_EQ(partners_->ExportPersonalData(As(sales).get(), request, &unused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.Clear();
  grpc::Status status = partners_->ExportPersonalData(As(admin_).get(), request, &unused);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "subject");
  request.set_contact_id(999999);
  EXPECT_EQ(partners_->ExportPersonalData(As(admin_).get(), request, &unused).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PersonalDataTest, ErasureAnonymisesKeepsIdsAndLeavesNoTraceInTrailOrEvents) {
  for (const char* text : {"anna@kiss.hu", "Kiss Anna", "Tisza Lajos", "bela@kiss.hu",
                           "kiss-anna-id-card", "+36209998877", "Dr. habil."}) {
    EXPECT_NE(Traces(text), "0") << text << " should be stored before the erasure";
  }
  partners::v1::ErasePersonalDataResponse erased;
  grpc::Status status = Erase(anna_.id(), 0, "  ", &erased);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "reason");
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner WHERE erase_time IS NOT NULL"), "0");

  status = Erase(anna_.id(), 0, "GDPR request 2026/17", &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const Partner& card = erased.partner();
  EXPECT_EQ(card.id(), anna_.id());
  EXPECT_EQ(card.display_name(), fmt::format("Erased partner {}", anna_.id()));
  EXPECT_EQ(card.kind(), partners::v1::PARTNER_KIND_PERSON);
  EXPECT_TRUE(card.emails().empty());
  EXPECT_TRUE(card.phones().empty());
  EXPECT_TRUE(card.addresses().empty());
  EXPECT_FALSE(card.has_birthday());
  EXPECT_TRUE(card.first_name().empty());
  EXPECT_TRUE(card.last_name().empty());
  EXPECT_TRUE(card.salutation().empty());
  EXPECT_TRUE(card.archived());
  EXPECT_TRUE(card.has_erase_time());
  EXPECT_EQ(card.tags(0), "customer");                   // not personal
  EXPECT_EQ(card.external_ids().at("webshop"), "U-77");  // other systems' key stays

  // Nothing identifying is left anywhere: not on the cards, not in the
  // timeline or documents, not in the audit trail's old values, not in the
  // payloads of events already published.
  for (const char* text : {"anna@kiss.hu", "anna.kiss@mail.hu", "Kiss Anna", "Anna Kiss",
                           "Tisza Lajos", "Kiss Béla", "bela@kiss.hu", "kiss-anna-id-card",
                           "bela-contract", "+36301112233", "+36209998877", "Dr. habil."}) {
    EXPECT_EQ(Traces(text), "0") << text;
  }
  EXPECT_EQ(Query("SELECT count(*) FROM partners.document_chunk"), "0");
  EXPECT_EQ(Query(fmt::format("SELECT subject || '|' || body || '|' || channel FROM "
                              "partners.interaction WHERE partner_id = {}",
                              anna_.id())),
            "[erased]||call");
  EXPECT_EQ(Query(fmt::format("SELECT name FROM partners.contact WHERE id = {}", bela_.id())),
            fmt::format("Erased contact {}", bela_.id()));
  // The duplicate merged into her is her record too.
  EXPECT_EQ(Query(fmt::format("SELECT display_name FROM partners.partner WHERE id = {}",
                              duplicate_.id())),
            fmt::format("Erased partner {}", duplicate_.id()));
  // The trail says who erased what and why, and keeps which fields changed
  // when.
  EXPECT_EQ(Query(fmt::format("SELECT changes::text FROM kernel.audit_entry WHERE action = "
                              "'erase' AND resource_type = 'partners.partner' AND resource_id = {}",
                              anna_.id())),
            R"([{"new": "GDPR request 2026/17", "field": "reason"}])");
  EXPECT_EQ(Query(fmt::format("SELECT string_agg(c->>'field' || '=' || (c->>'new'), ',' "
                              "ORDER BY c->>'field') FROM kernel.audit_entry, "
                              "jsonb_array_elements(changes) c WHERE resource_type = "
                              "'partners.partner' AND resource_id = {} AND action = 'create' "
                              "AND c->>'field' IN ('display_name', 'kind')",
                              anna_.id())),
            "display_name=[erased],kind=PARTNER_KIND_PERSON");
  EXPECT_EQ(Query("SELECT string_agg(topic, ',' ORDER BY topic) FROM (SELECT topic FROM "
                  "kernel.event UNION ALL SELECT topic FROM kernel.event_outbox) e "
                  "WHERE topic LIKE '%.erased'"),
            "partners.contact.erased,partners.partner.erased,partners.partner.erased");
  EXPECT_TRUE(Search("kiss", true).empty());

  // The export now shows what is left.
  const auto data = Export(anna_.id());
  EXPECT_EQ(Json(data).find("anna@kiss.hu"), std::string::npos);
  EXPECT_TRUE(data.documents().empty());
}

TEST_F(PersonalDataTest, ErasingAContactLeavesItsPartnerAlone) {
  // Béla's consent and Anna's own, each with evidence that names its person.
  const auto record = [&](std::int64_t partner_id, std::int64_t contact_id, bool granted,
                          const std::string& evidence) {
    partners::v1::RecordMarketingConsentRequest request;
    request.set_partner_id(partner_id);
    request.set_contact_id(contact_id);
    request.set_channel(partners::v1::MARKETING_CHANNEL_EMAIL);
    request.set_granted(granted);
    request.set_source(partners::v1::CONSENT_SOURCE_PHONE);
    request.set_evidence(evidence);
    partners::v1::MarketingConsent recorded;
    const auto status = partners_->RecordMarketingConsent(As(admin_).get(), request, &recorded);
    EXPECT_TRUE(status.ok()) << status.error_message();
  };
  record(0, bela_.id(), true, "Kiss Béla said yes on the phone");
  record(0, bela_.id(), false, "Kiss Béla said no after all");
  record(anna_.id(), 0, true, "Anna's own yes");
  EXPECT_NE(Traces("Kiss Béla said"), "0");

  partners::v1::ErasePersonalDataResponse erased;
  const grpc::Status status = Erase(0, bela_.id(), "asked by phone, ticket 4411", &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The payloads of the events of Béla's consent are gone with the records'
  // evidence and the audit values; his withdrawal stays, blank.
  EXPECT_EQ(Traces("Kiss Béla said"), "0");
  partners::v1::ListMarketingConsentsRequest history;
  history.set_contact_id(bela_.id());
  partners::v1::ListMarketingConsentsResponse left;
  ASSERT_TRUE(partners_->ListMarketingConsents(As(admin_).get(), history, &left).ok());
  ASSERT_EQ(left.consents_size(), 1);
  EXPECT_FALSE(left.consents(0).granted());
  EXPECT_EQ(left.consents(0).evidence(), "");
  // Anna's own record is untouched (its event, filed under the same
  // partner, lost its payload with Béla's: docs/partners.md).
  history.set_contact_id(0);
  history.set_partner_id(anna_.id());
  ASSERT_TRUE(partners_->ListMarketingConsents(As(admin_).get(), history, &left).ok());
  ASSERT_EQ(left.consents_size(), 1);
  EXPECT_EQ(left.consents(0).evidence(), "Anna's own yes");
  EXPECT_EQ(erased.contact().name(), fmt::format("Erased contact {}", bela_.id()));
  EXPECT_TRUE(erased.contact().emails().empty());
  EXPECT_TRUE(erased.contact().has_erase_time());
  EXPECT_EQ(erased.contact().partner_id(), anna_.id());
  EXPECT_EQ(Traces("bela@kiss.hu"), "0");
  EXPECT_EQ(Traces("bela-contract"), "0");
  EXPECT_NE(Traces("anna@kiss.hu"), "0");
  EXPECT_EQ(Search("kiss").size(), 1u);
  partners::v1::ErasePersonalDataResponse unused;
  EXPECT_EQ(Erase(0, 999999, "x", &unused).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PersonalDataTest, CommandLineClientExportsAndErases) {
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path());
  const auto [export_exit, exported] =
      RunCommand(fmt::format("{} partners personal-data export --partner {}", karton, anna_.id()));
  EXPECT_EQ(export_exit, 0) << exported;
  EXPECT_NE(exported.find("\"anna@kiss.hu\""), std::string::npos) << exported;
  const auto [missing_exit, missing] =
      RunCommand(karton + " partners personal-data erase --partner 1 2>&1");
  EXPECT_NE(missing_exit, 0);
  EXPECT_NE(missing.find("--reason"), std::string::npos) << missing;
  const auto [neither_exit, neither] = RunCommand(karton + " partners personal-data export 2>&1");
  EXPECT_NE(neither_exit, 0);
  EXPECT_NE(neither.find("--partner ID, --contact ID or --email ADDRESS"), std::string::npos)
      << neither;
  const auto [erase_exit, erased] = RunCommand(fmt::format(
      "{} partners personal-data erase --contact {} --reason 'ticket 4411'", karton, bela_.id()));
  EXPECT_EQ(erase_exit, 0) << erased;
  EXPECT_NE(erased.find(fmt::format("Erased contact {} (contact {} of partner {}): erased",
                                    bela_.id(), bela_.id(), anna_.id())),
            std::string::npos)
      << erased;
}

}  // namespace
}  // namespace karton::testing
