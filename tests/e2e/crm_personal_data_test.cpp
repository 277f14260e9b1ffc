// Personal data across modules (A10): partners' ExportPersonalData and
// ErasePersonalData reach the CRM's leads and activities and messaging's
// messages and suppressions through the extension points
// "personal_data_export" and "personal_data_erase", a prospect known only
// by an address included.
#include <fmt/format.h>

#include <ctime>

#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"

namespace karton::testing {
namespace {

class CrmPersonalDataTest : public CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    if (HasFatalFailure()) return;
    Start();
  }

  cv1::Lead NewLead(const std::string& email, const std::string& message) {
    cv1::CreateLeadRequest create;
    create.mutable_lead()->set_title("Érdeklődés");
    create.mutable_lead()->set_contact_name("Nagy Éva");
    create.mutable_lead()->set_email(email);
    create.mutable_lead()->set_message(message);
    cv1::Lead lead;
    const auto status = leads_->CreateLead(As().get(), create, &lead);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return lead;
  }

  // The records of `module`'s section: "type id outcome", in order.
  static std::vector<std::string> Records(
      const google::protobuf::RepeatedPtrField<common::v1::PersonalDataSection>& sections,
      const std::string& module) {
    std::vector<std::string> records;
    for (const auto& section : sections) {
      if (section.module() != module) continue;
      for (const auto& record : section.records()) {
        records.push_back(record.resource_type() + " " + std::to_string(record.resource_id()) +
                          (record.outcome().empty() ? "" : " " + record.outcome().substr(0, 5)));
      }
    }
    return records;
  }

  static std::string JsonOf(
      const google::protobuf::RepeatedPtrField<common::v1::PersonalDataSection>& sections,
      const std::string& resource_type) {
    std::string json;
    for (const auto& section : sections) {
      for (const auto& record : section.records()) {
        if (record.resource_type() == resource_type) json += record.json();
      }
    }
    return json;
  }
};

TEST_F(CrmPersonalDataTest, AProspectKnownOnlyByAnAddressIsExportedAndErasedInEveryModule) {
  const auto lead = NewLead("Eva.Nagy@Example.hu", "Hívjanak vissza, Petőfi utca 3.");
  messaging::v1::SendMessageRequest send;
  send.set_channel(messaging::v1::CHANNEL_EMAIL);
  send.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_address("eva.nagy@example.hu");
  send.set_subject("Visszahívás");
  send.set_text_body("Kedves Éva, holnap hívjuk.");
  messaging::v1::Message sent;
  const auto sent_status = messaging_->SendMessage(As().get(), send, &sent);
  ASSERT_TRUE(sent_status.ok()) << sent_status.error_message();
  // Delivered first: a delivery under way during the erasure publishes its
  // sent event, address and all, afterwards (docs/partners.md says so; an
  // erasure by address has no erased event to catch it).
  for (int attempt = 0; attempt < 100 && sent.status() != messaging::v1::MESSAGE_STATUS_SENT;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    messaging::v1::GetMessageRequest get;
    get.set_id(sent.id());
    ASSERT_TRUE(messaging_->GetMessage(As().get(), get, &sent).ok());
  }
  ASSERT_EQ(sent.status(), messaging::v1::MESSAGE_STATUS_SENT);
  messaging::v1::CreateSuppressionRequest suppress;
  suppress.mutable_suppression()->set_channel(messaging::v1::CHANNEL_EMAIL);
  suppress.mutable_suppression()->set_address("eva.nagy@example.hu");
  suppress.mutable_suppression()->set_reason("asked on the phone");
  messaging::v1::Suppression suppression;
  const auto suppressed = messaging_->CreateSuppression(As().get(), suppress, &suppression);
  ASSERT_TRUE(suppressed.ok()) << suppressed.error_message();

  partners::v1::ExportPersonalDataRequest export_request;
  export_request.set_email("  EVA.NAGY@example.hu ");
  partners::v1::PersonalData data;
  const auto exported = partners_->ExportPersonalData(As().get(), export_request, &data);
  ASSERT_TRUE(exported.ok()) << exported.error_message();
  EXPECT_EQ(data.email(), "eva.nagy@example.hu");
  EXPECT_FALSE(data.has_partner());
  EXPECT_EQ(Records(data.sections(), "crm"),
            std::vector<std::string>{"crm.lead " + std::to_string(lead.id())});
  ASSERT_EQ(Records(data.sections(), "messaging").size(), 2u);
  EXPECT_EQ(Records(data.sections(), "messaging")[0],
            "messaging.message " + std::to_string(sent.id()));
  EXPECT_NE(JsonOf(data.sections(), "crm.lead").find("Petőfi utca 3."), std::string::npos);
  EXPECT_NE(JsonOf(data.sections(), "messaging.message").find("holnap hívjuk"), std::string::npos);
  EXPECT_NE(JsonOf(data.sections(), "messaging.suppression").find("asked on the phone"),
            std::string::npos);

  // Only an administrator asks; a bad address names the field.
  const auto seller = NewColleague("seller@karton.example", kv1::ROLE_SALES_MANAGER);
  EXPECT_EQ(
      partners_->ExportPersonalData(As(seller.token).get(), export_request, &data).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  export_request.set_email("nem-cím");
  const auto bad = partners_->ExportPersonalData(As().get(), export_request, &data);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(bad).at(0).field, "email");

  partners::v1::ErasePersonalDataRequest erase;
  erase.set_email("eva.nagy@example.hu");
  erase.set_reason("DSR-2026-17");
  partners::v1::ErasePersonalDataResponse erased;
  const auto erase_status = partners_->ErasePersonalData(As().get(), erase, &erased);
  ASSERT_TRUE(erase_status.ok()) << erase_status.error_message();
  EXPECT_EQ(Records(erased.sections(), "crm"),
            std::vector<std::string>{"crm.lead " + std::to_string(lead.id()) + " erase"});
  EXPECT_EQ(Records(erased.sections(), "messaging"),
            (std::vector<std::string>{
                "messaging.message " + std::to_string(sent.id()) + " erase",
                "messaging.suppression " +
                    QueryScalar(conninfo_, "SELECT id FROM messaging.suppression") + " kept:"}));

  cv1::GetLeadRequest get_lead;
  get_lead.set_id(lead.id());
  cv1::Lead after;
  ASSERT_TRUE(leads_->GetLead(As().get(), get_lead, &after).ok());
  EXPECT_EQ(after.email(), "");
  EXPECT_EQ(after.contact_name(), "");
  EXPECT_EQ(after.message(), "");
  messaging::v1::GetMessageRequest get_message;
  get_message.set_id(sent.id());
  messaging::v1::Message message_after;
  ASSERT_TRUE(messaging_->GetMessage(As().get(), get_message, &message_after).ok());
  EXPECT_EQ(message_after.address(), "[erased]");
  EXPECT_EQ(message_after.text_body(), "");
  // Nothing of her is left in the CRM's tables, the trail or the events;
  // the suppression keeps her address from being written to again.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM crm.lead WHERE email ILIKE '%nagy%' "
                        "OR message LIKE '%Petőfi%' OR contact_name <> ''"),
            "0");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.audit_entry WHERE resource_type "
                        "<> 'messaging.suppression' AND (changes::text ILIKE "
                        "'%eva.nagy%' OR changes::text LIKE '%Petőfi%')"),
            "0");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.audit_entry WHERE action = "
                        "'erase' AND changes::text LIKE '%DSR-2026-17%'"),
            "2");
  // (The withdrawn-consent event is the kept suppression's own.)
  for (const char* table : {"kernel.event", "kernel.event_outbox"}) {
    EXPECT_EQ(QueryScalar(conninfo_,
                          fmt::format("SELECT count(*) FROM {} WHERE topic <> "
                                      "'messaging.consent.withdrawn' AND (position(convert_to("
                                      "'eva.nagy', 'UTF8') IN payload) > 0 OR position(convert_to("
                                      "'Petőfi', 'UTF8') IN payload) > 0)",
                                      table)),
              "0")
        << table;
  }
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM messaging.suppression"), "1");

  // Erasing again finds nothing more to erase and is fine.
  ASSERT_TRUE(partners_->ErasePersonalData(As().get(), erase, &erased).ok());
  EXPECT_TRUE(Records(erased.sections(), "crm").empty());
}

TEST_F(CrmPersonalDataTest, APartnersExportAndErasureTakeInItsLeadsAndActivities) {
  partners::v1::CreatePartnerRequest create;
  create.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_PERSON);
  create.mutable_partner()->set_display_name("Szabó Tibor");
  create.mutable_partner()->add_emails("tibor@szabo.hu");
  partners::v1::Partner tibor;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), create, &tibor).ok());
  // A lead he left before he was a customer, found by his address.
  const auto lead = NewLead("TIBOR@szabo.hu", "Kazáncsere érdekelne");
  auto activities = cv1::ActivityService::NewStub(channel_);
  cv1::CreateActivityRequest call;
  call.mutable_activity()->set_type(cv1::ACTIVITY_TYPE_CALL);
  call.mutable_activity()->set_subject("Szabó Tibor visszahívása");
  call.mutable_activity()->set_description("A felesége veszi fel");
  call.mutable_activity()->set_partner_id(tibor.id());
  call.mutable_activity()->mutable_due_time()->set_seconds(std::time(nullptr) + 86400);
  cv1::Activity planned;
  const auto planned_status = activities->CreateActivity(As().get(), call, &planned);
  ASSERT_TRUE(planned_status.ok()) << planned_status.error_message();

  // An address on a card belongs to the card: asked by it alone, the
  // answer names the partner.
  partners::v1::ExportPersonalDataRequest by_address;
  by_address.set_email("tibor@szabo.hu");
  partners::v1::PersonalData data;
  const auto refused = partners_->ExportPersonalData(As().get(), by_address, &data);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("partner " + std::to_string(tibor.id())),
            std::string::npos)
      << refused.error_message();

  partners::v1::ExportPersonalDataRequest by_partner;
  by_partner.set_partner_id(tibor.id());
  ASSERT_TRUE(partners_->ExportPersonalData(As().get(), by_partner, &data).ok());
  EXPECT_EQ(data.partner().id(), tibor.id());
  EXPECT_EQ(Records(data.sections(), "crm"),
            (std::vector<std::string>{"crm.lead " + std::to_string(lead.id()),
                                      "crm.activity " + std::to_string(planned.id())}));
  EXPECT_NE(JsonOf(data.sections(), "crm.activity").find("A felesége veszi fel"),
            std::string::npos);

  partners::v1::ErasePersonalDataRequest erase;
  erase.set_partner_id(tibor.id());
  erase.set_reason("DSR-2026-18");
  partners::v1::ErasePersonalDataResponse erased;
  const auto erase_status = partners_->ErasePersonalData(As().get(), erase, &erased);
  ASSERT_TRUE(erase_status.ok()) << erase_status.error_message();
  EXPECT_EQ(Records(erased.sections(), "crm"),
            (std::vector<std::string>{"crm.lead " + std::to_string(lead.id()) + " erase",
                                      "crm.activity " + std::to_string(planned.id()) + " erase"}));
  EXPECT_EQ(erased.partner().display_name().find("Szabó"), std::string::npos);
  cv1::GetActivityRequest get;
  get.set_id(planned.id());
  cv1::Activity after;
  ASSERT_TRUE(activities->GetActivity(As().get(), get, &after).ok());
  EXPECT_EQ(after.subject(), "[erased]");
  EXPECT_EQ(after.description(), "");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM crm.lead WHERE message <> ''"), "0");
}

// An invitee is the person's data in someone else's activity: erasing the
// contact (or its address) takes the invitation out of the activity, its
// audit entries and its events' payloads, and leaves the activity.
TEST_F(CrmPersonalDataTest, ErasingAContactTakesItsInvitationsOutOfOthersActivities) {
  partners::v1::CreatePartnerRequest create;
  create.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
  create.mutable_partner()->set_display_name("Zöld Levél Kft.");
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), create, &partner).ok());
  const auto contact = [&](const std::string& name, const std::string& email) {
    partners::v1::CreateContactRequest request;
    request.set_partner_id(partner.id());
    request.mutable_contact()->set_name(name);
    request.mutable_contact()->add_emails(email);
    partners::v1::Contact stored;
    EXPECT_TRUE(partners_->CreateContact(As().get(), request, &stored).ok());
    return stored.id();
  };
  const auto reka = contact("Varga Réka", "reka@zoldlevel.example");
  const auto bela = contact("Zöld Béla", "bela@zoldlevel.example");

  // A meeting with Béla; Réka is invited, and a guest by address; then
  // the guest is dropped (the audit entry names both lists).
  auto activities = cv1::ActivityService::NewStub(channel_);
  cv1::CreateActivityRequest meeting;
  auto* activity = meeting.mutable_activity();
  activity->set_type(cv1::ACTIVITY_TYPE_MEETING);
  activity->set_subject("Éves egyeztetés");
  activity->set_partner_id(partner.id());
  activity->set_contact_id(bela);
  activity->mutable_start_time()->set_seconds(std::time(nullptr) + 3 * 86400);
  activity->mutable_duration()->set_seconds(3600);
  activity->add_invitees()->set_contact_id(reka);
  auto* guest = activity->add_invitees();
  guest->set_email("vera@vendeg.example");
  guest->set_name("Vendég Vera");
  cv1::Activity planned;
  auto status = activities->CreateActivity(As().get(), meeting, &planned);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(planned.invitees_size(), 2);
  cv1::UpdateActivityRequest drop;
  drop.mutable_activity()->set_id(planned.id());
  drop.mutable_activity()->set_etag(planned.etag());
  drop.mutable_activity()->add_invitees()->set_contact_id(reka);
  drop.mutable_update_mask()->add_paths("invitees");
  status = activities->UpdateActivity(As().get(), drop, &planned);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Where crm keeps copies of `text`: invitee rows, audit values, events.
  const auto traces = [&](const std::string& text) {
    return QueryScalar(
        conninfo_,
        fmt::format("SELECT (SELECT count(*) FROM crm.activity_invitee i WHERE i::text LIKE "
                    "'%{0}%') + (SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                    "'crm.activity' AND changes::text LIKE '%{0}%') + (SELECT count(*) FROM "
                    "(SELECT payload FROM kernel.event WHERE module = 'crm' UNION ALL SELECT "
                    "payload FROM kernel.event_outbox WHERE module = 'crm') e WHERE "
                    "position(convert_to('{0}', 'UTF8') IN payload) > 0)",
                    text));
  };
  for (const char* text : {"reka@zoldlevel.example", "Varga Réka"}) {
    EXPECT_NE(traces(text), "0") << text << " should be stored before the erasure";
  }

  partners::v1::ErasePersonalDataRequest erase;
  erase.set_contact_id(reka);
  erase.set_reason("DSR-2026-31");
  partners::v1::ErasePersonalDataResponse erased;
  status = partners_->ErasePersonalData(As().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Records(erased.sections(), "crm"),
            (std::vector<std::string>{"crm.activity " + std::to_string(planned.id()) + " erase"}));
  for (const char* text : {"reka@zoldlevel.example", "Varga Réka"}) {
    EXPECT_EQ(traces(text), "0") << text;
  }
  // The activity is Béla's and stays as it was, without Réka.
  cv1::GetActivityRequest get;
  get.set_id(planned.id());
  cv1::Activity after;
  ASSERT_TRUE(activities->GetActivity(As().get(), get, &after).ok());
  EXPECT_EQ(after.subject(), "Éves egyeztetés");
  EXPECT_EQ(after.contact_id(), bela);
  for (const auto& invitee : after.invitees()) EXPECT_NE(invitee.contact_id(), reka);
  EXPECT_NE(after.etag(), planned.etag());
  EXPECT_EQ(QueryScalar(conninfo_,
                        fmt::format("SELECT count(*) FROM kernel.audit_entry WHERE resource_type "
                                    "= 'crm.activity' AND resource_id = {} AND action = 'erase'",
                                    planned.id())),
            "1");

  // An address invited alone is the person's too: erased by the address.
  cv1::CreateActivityRequest call = meeting;
  call.mutable_activity()->clear_invitees();
  auto* alone = call.mutable_activity()->add_invitees();
  alone->set_email("Vera@Vendeg.example");
  alone->set_name("Vendég Vera");
  cv1::Activity second;
  status = activities->CreateActivity(As().get(), call, &second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  partners::v1::ErasePersonalDataRequest by_address;
  by_address.set_email("vera@vendeg.example");
  by_address.set_reason("DSR-2026-32");
  status = partners_->ErasePersonalData(As().get(), by_address, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(traces("Vendég Vera"), "0");
  EXPECT_EQ(traces("endeg.example"), "0");
}

}  // namespace
}  // namespace karton::testing
