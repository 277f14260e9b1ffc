// Marketing consent in the partners module (issue 16): recorded by hand and
// by an import's consent columns, kept as a history whose latest entry per
// channel is the card's current state, exported and erased with the
// person's data, and out of an external partner's reach.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "json_fields.h"
#include "karton/kernel/errors.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "partners_fixture.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;

class PartnersConsentTest : public PartnersTest {
 protected:
  std::vector<pv1::MarketingConsent> History(std::int64_t partner_id) {
    pv1::ListMarketingConsentsRequest request;
    request.set_partner_id(partner_id);
    pv1::ListMarketingConsentsResponse response;
    const auto status = partners_->ListMarketingConsents(As(admin_).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.consents().begin(), response.consents().end()};
  }

  pv1::Partner Get(std::int64_t id) {
    pv1::GetPartnerRequest request;
    request.set_id(id);
    pv1::Partner partner;
    EXPECT_TRUE(partners_->GetPartner(As(admin_).get(), request, &partner).ok());
    return partner;
  }

  grpc::Status Record(std::int64_t partner_id, bool granted, const std::string& token,
                      pv1::MarketingConsent* recorded) {
    pv1::RecordMarketingConsentRequest request;
    request.set_partner_id(partner_id);
    request.set_channel(pv1::MARKETING_CHANNEL_EMAIL);
    request.set_granted(granted);
    request.set_source(pv1::CONSENT_SOURCE_IN_PERSON);
    request.set_evidence("a kiállításon, 2026-11-20");
    return partners_->RecordMarketingConsent(As(token).get(), request, recorded);
  }
};

TEST_F(PartnersConsentTest, AnImportsConsentColumnsAreRecordedOnceWithTheImportAsEvidence) {
  const std::string csv =
      "Név;Email;Hírlevél;SMS\n"
      "Kiss Anna;anna@kiss.example;igen;\n"
      "Nagy Béla;bela@nagy.example;nem;yes\n"
      "Tóth Éva;eva@toth.example;;\n";
  pv1::ImportSettings settings;
  settings.set_delimiter(";");
  settings.set_default_kind(pv1::PARTNER_KIND_PERSON);
  auto& mapping = *settings.mutable_column_mapping();
  mapping["Név"] = "display_name";
  mapping["Email"] = "email";
  mapping["Hírlevél"] = "consent.email";
  mapping["SMS"] = "consent.sms";
  const auto first = RunImport(csv, settings);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  ASSERT_EQ(first.import.partners_created(), 3) << first.import.error();

  std::map<std::string, pv1::Partner> by_name;
  pv1::ListPartnersResponse listed;
  ASSERT_TRUE(partners_->ListPartners(As(admin_).get(), {}, &listed).ok());
  for (const auto& partner : listed.partners()) by_name[partner.display_name()] = partner;
  const pv1::Partner anna = by_name.at("Kiss Anna");
  ASSERT_EQ(anna.marketing_consents_size(), 1);
  EXPECT_EQ(anna.marketing_consents(0).channel(), pv1::MARKETING_CHANNEL_EMAIL);
  EXPECT_TRUE(anna.marketing_consents(0).granted());
  EXPECT_EQ(anna.marketing_consents(0).source(), pv1::CONSENT_SOURCE_IMPORT);
  EXPECT_EQ(anna.marketing_consents(0).evidence(), fmt::format("import {}", first.import.id()));
  const pv1::Partner bela = by_name.at("Nagy Béla");
  ASSERT_EQ(bela.marketing_consents_size(), 2);  // by channel: email, sms
  EXPECT_FALSE(bela.marketing_consents(0).granted());
  EXPECT_EQ(bela.marketing_consents(1).channel(), pv1::MARKETING_CHANNEL_SMS);
  EXPECT_TRUE(bela.marketing_consents(1).granted());
  EXPECT_EQ(by_name.at("Tóth Éva").marketing_consents_size(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                  "'partners.marketing_consent'"),
            "3");

  // The same file again changes nobody's consent: nothing new is recorded.
  const auto again = RunImport(csv, settings);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(History(anna.id()).size(), 1u);
  EXPECT_EQ(History(bela.id()).size(), 2u);

  // A cell that is no yes or no is the row's error.
  const auto bad =
      RunImport("Név;Email;Hírlevél;SMS\nKovács Ede;ede@kovacs.example;talán;\n", settings);
  ASSERT_TRUE(bad.status.ok()) << bad.status.error_message();
  EXPECT_EQ(bad.import.rows_invalid(), 1);
}

TEST_F(PartnersConsentTest, TheHistoryIsExportedAndErasureKeepsOnlyTheWithdrawals) {
  Partner person;
  person.set_kind(pv1::PARTNER_KIND_PERSON);
  person.set_display_name("Fehér Judit");
  person.add_emails("judit@feher.example");
  const Partner judit = Create(person);
  pv1::MarketingConsent granted, withdrawn, again;
  ASSERT_TRUE(Record(judit.id(), true, admin_, &granted).ok());
  ASSERT_TRUE(Record(judit.id(), false, admin_, &withdrawn).ok());
  ASSERT_TRUE(Record(judit.id(), true, admin_, &again).ok());
  EXPECT_TRUE(Get(judit.id()).marketing_consents(0).granted());

  pv1::ExportPersonalDataRequest export_request;
  export_request.set_partner_id(judit.id());
  pv1::PersonalData data;
  ASSERT_TRUE(partners_->ExportPersonalData(As(admin_).get(), export_request, &data).ok());
  ASSERT_EQ(data.marketing_consents_size(), 3);  // oldest first
  EXPECT_EQ(data.marketing_consents(0).id(), granted.id());
  EXPECT_EQ(data.marketing_consents(2).id(), again.id());

  pv1::ErasePersonalDataRequest erase;
  erase.set_partner_id(judit.id());
  erase.set_reason("GDPR kérés 2026/7");
  pv1::ErasePersonalDataResponse erased;
  const auto status = partners_->ErasePersonalData(As(admin_).get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto left = History(judit.id());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id(), withdrawn.id());
  EXPECT_FALSE(left[0].granted());
  EXPECT_EQ(left[0].evidence(), "");
  // Nobody erased is opted in again.
  pv1::MarketingConsent refused;
  EXPECT_EQ(Record(judit.id(), true, admin_, &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// `karton partners consent record|list`: the real karton binary against
// kartond.
TEST_F(PartnersConsentTest, CommandLineClientRecordsAndListsConsent) {
  Partner organization = Organization("Zöld Levél Kft.");
  const Partner partner = Create(organization);
  pv1::CreateContactRequest create_contact;
  create_contact.set_partner_id(partner.id());
  create_contact.mutable_contact()->set_name("Varga Réka");
  create_contact.mutable_contact()->add_emails("reka@zoldlevel.example");
  pv1::Contact contact;
  const auto created = partners_->CreateContact(As(admin_).get(), create_contact, &contact);
  ASSERT_TRUE(created.ok()) << created.error_message();
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path()) + " ";

  // A contact's grant, as JSON; then its withdrawal, as a table.
  const auto [grant_exit, granted] = RunCommand(
      fmt::format("{} --output json partners consent record --contact {} --channel email --grant "
                  "--source phone --evidence 'telefonon, 2026-11-20'",
                  karton, contact.id()));
  ASSERT_EQ(grant_exit, 0) << granted;
  const auto grant = ParseObject(granted);
  EXPECT_EQ(Field(grant, "contact_id"), std::to_string(contact.id()));
  EXPECT_EQ(Field(grant, "partner_id"), std::to_string(partner.id()));
  EXPECT_EQ(Field(grant, "channel"), "MARKETING_CHANNEL_EMAIL");
  EXPECT_EQ(Field(grant, "source"), "CONSENT_SOURCE_PHONE");
  EXPECT_EQ(Field(grant, "evidence"), "telefonon, 2026-11-20");
  ASSERT_NE(grant.if_contains("granted"), nullptr) << granted;
  EXPECT_TRUE(grant.at("granted").as_bool());
  const auto [withdraw_exit, withdrawn] = RunCommand(fmt::format(
      "{} partners consent record --contact {} --channel email --withdraw --source letter "
      "--evidence 'levélben'",
      karton, contact.id()));
  ASSERT_EQ(withdraw_exit, 0) << withdrawn;
  EXPECT_NE(withdrawn.find("withdrawn"), std::string::npos) << withdrawn;
  EXPECT_NE(withdrawn.find("letter"), std::string::npos) << withdrawn;
  EXPECT_NE(withdrawn.find("levélben"), std::string::npos) << withdrawn;

  // The history, newest first; the partner's own is apart from its contact's.
  const auto [list_exit, listed] = RunCommand(
      fmt::format("{} --output json partners consent list --contact {}", karton, contact.id()));
  ASSERT_EQ(list_exit, 0) << listed;
  const auto history = ParseObject(listed);
  ASSERT_EQ(Count(history, "consents"), 2u) << listed;
  const auto newest = history.at("consents").as_array().at(0).as_object();
  EXPECT_EQ(Field(newest, "source"), "CONSENT_SOURCE_LETTER");
  EXPECT_EQ(newest.if_contains("granted"), nullptr) << listed;  // false: left out of the JSON
  EXPECT_EQ(Field(history.at("consents").as_array().at(1).as_object(), "id"), Field(grant, "id"));
  const auto [table_exit, table] =
      RunCommand(fmt::format("{} partners consent list --contact {}", karton, contact.id()));
  ASSERT_EQ(table_exit, 0) << table;
  EXPECT_NE(table.find("telefonon, 2026-11-20"), std::string::npos) << table;
  EXPECT_LT(table.find("levélben"), table.find("telefonon")) << table;
  const auto [own_exit, own] = RunCommand(
      fmt::format("{} --output json partners consent list --partner {}", karton, partner.id()));
  ASSERT_EQ(own_exit, 0) << own;
  EXPECT_EQ(Count(ParseObject(own), "consents"), 0u) << own;
  ASSERT_EQ(Get(partner.id()).marketing_consents_size(), 0);

  // Bad usage is exit code 2 and records nothing; the server's refusal is 1.
  const auto [nobody_exit, nobody] = RunCommand(
      karton + "partners consent record --channel sms --grant --source api --evidence x 2>&1");
  EXPECT_EQ(nobody_exit, 2) << nobody;
  EXPECT_NE(nobody.find("--partner ID or --contact ID"), std::string::npos) << nobody;
  const auto [neither_exit, neither] = RunCommand(fmt::format(
      "{} partners consent record --partner {} --channel sms --source api --evidence x 2>&1",
      karton, partner.id()));
  EXPECT_EQ(neither_exit, 2) << neither;
  EXPECT_NE(neither.find("--grant or --withdraw"), std::string::npos) << neither;
  const auto [bad_channel_exit, bad_channel] = RunCommand(fmt::format(
      "{} partners consent record --partner {} --channel fax --grant --source api --evidence x "
      "2>&1",
      karton, partner.id()));
  EXPECT_EQ(bad_channel_exit, 2) << bad_channel;
  const auto [unsubscribe_exit, unsubscribe] = RunCommand(fmt::format(
      "{} partners consent record --partner {} --channel sms --grant --source unsubscribe "
      "--evidence x 2>&1",
      karton, partner.id()));
  EXPECT_EQ(unsubscribe_exit, 1) << unsubscribe;
  EXPECT_NE(unsubscribe.find("source"), std::string::npos) << unsubscribe;
  EXPECT_EQ(History(partner.id()).size(), 0u);
}

TEST_F(PartnersConsentTest, AnExternalPartnerNeitherRecordsNorReadsConsent) {
  const Partner shared = Create(Organization("Megosztott Kft."));
  const Partner hidden = Create(Organization("Titkos Kft."));
  const auto [reseller_id, reseller] =
      User("reseller@example.com", kernel::v1::ROLE_EXTERNAL_PARTNER);
  Query(
      fmt::format("INSERT INTO kernel.record_grant (resource_type, resource_id, user_id) "
                  "VALUES ('partners.partner', {}, {})",
                  shared.id(), reseller_id));
  pv1::MarketingConsent recorded;
  EXPECT_EQ(Record(shared.id(), true, reseller, &recorded).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  pv1::ListMarketingConsentsRequest list;
  list.set_partner_id(hidden.id());
  pv1::ListMarketingConsentsResponse history;
  EXPECT_EQ(partners_->ListMarketingConsents(As(reseller).get(), list, &history).error_code(),
            grpc::StatusCode::NOT_FOUND);
  list.set_partner_id(shared.id());
  EXPECT_TRUE(partners_->ListMarketingConsents(As(reseller).get(), list, &history).ok());
}

}  // namespace
}  // namespace karton::testing
