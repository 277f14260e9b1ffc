// The `karton` commands added for issue 20 ("the command line covers
// everything") end to end: the real karton binary against a real kartond,
// one server per group of commands. Every command runs with
// KARTON_CHECK_RPC_DECLARATIONS=1, so one that calls an RPC it does not
// declare (tools/karton/rpc_registry.h) exits 70 and fails its test; the
// declarations are what cli_coverage_test.cpp checks against the protos.
#include <fmt/format.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "crm_fixture.h"
#include "json_fields.h"

namespace karton::testing {
namespace {

class CliCommandsTest : public CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    ::setenv("KARTON_CHECK_RPC_DECLARATIONS", "1", 1);
  }
  void TearDown() override {
    ::unsetenv("KARTON_CHECK_RPC_DECLARATIONS");
    CrmTest::TearDown();
  }

  std::string Karton() const { return KartonCommand(*kartond_, data_dir_.Path()) + " "; }

  // `karton ARGUMENTS`: exit code and stdout, stderr too.
  std::pair<int, std::string> Command(const std::string& arguments) const {
    return RunCommand(Karton() + arguments + " 2>&1");
  }

  // `karton --output json ARGUMENTS`, which must succeed, as an object.
  boost::json::object Json(const std::string& arguments) const {
    const auto [exit_code, output] = RunCommand(Karton() + "--output json " + arguments);
    EXPECT_EQ(exit_code, 0) << arguments << ":\n" << output;
    return exit_code == 0 ? ParseObject(output) : boost::json::object{};
  }

  // `karton ARGUMENTS` (a table or card), which must succeed.
  std::string Table(const std::string& arguments) const {
    const auto [exit_code, output] = Command(arguments);
    EXPECT_EQ(exit_code, 0) << arguments << ":\n" << output;
    return output;
  }
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(CliCommandsTest, AdministersUsersTeamsTokensAuditJobsAndTheClock) {
  Start({"--test-clock"});

  // users
  const auto user = Json(
      "users create --name 'Kiss Péter' --email kiss@karton.example --role sales "
      "--password 'titok-123-titok'");
  ASSERT_FALSE(Field(user, "id").empty());
  EXPECT_EQ(user.at("roles").as_array().at(0).as_string(), "ROLE_SALES");
  const std::string id = Field(user, "id");
  EXPECT_TRUE(Contains(Table("users get " + id), "Kiss Péter <kiss@karton.example>"));
  const auto updated =
      Json(fmt::format("users update {} --etag '{}' --name 'Kiss Péter Pál' --role sales_manager",
                       id, Field(user, "etag")));
  EXPECT_EQ(Field(updated, "name"), "Kiss Péter Pál");
  EXPECT_EQ(updated.at("roles").as_array().at(0).as_string(), "ROLE_SALES_MANAGER");
  EXPECT_EQ(Field(updated, "email"), "kiss@karton.example");  // not named: kept
  const auto [stale_exit, stale] =
      Command(fmt::format("users update {} --etag '{}' --disabled true", id, Field(user, "etag")));
  EXPECT_EQ(stale_exit, 1) << stale;
  EXPECT_TRUE(Contains(stale, "ABORTED")) << stale;
  EXPECT_TRUE(Contains(Table("users list"), "Kiss Péter Pál"));

  // teams
  const auto team = Json("teams create --name Szerviz");
  const std::string team_id = Field(team, "id");
  const auto joined = Json(fmt::format("teams add-member {} {}", team_id, id));
  ASSERT_EQ(Count(joined, "member_user_ids"), 1u);
  EXPECT_EQ(joined.at("member_user_ids").as_array().at(0).as_string(), id);
  EXPECT_TRUE(Contains(Table("teams list"), "Szerviz"));
  EXPECT_EQ(Count(Json(fmt::format("teams remove-member {} {}", team_id, id)), "member_user_ids"),
            0u);

  // tokens: the secret works until revoked
  const auto token = Json(fmt::format("tokens create --name 'ERP import' --user {} --ttl 30d", id));
  const std::string secret = Field(token, "token");
  ASSERT_FALSE(secret.empty());
  EXPECT_FALSE(Field(Object(token, "api_token"), "expire_time").empty());
  const auto [whoami_exit, whoami] = Command("--token '" + secret + "' whoami");
  EXPECT_EQ(whoami_exit, 0) << whoami;
  EXPECT_TRUE(Contains(whoami, "Kiss Péter Pál")) << whoami;
  const auto [set_exit, set_output] =
      Command(fmt::format("users set-password {} --new-password 'Tavaszi-szél-2026'", id));
  EXPECT_EQ(set_exit, 0) << set_output;
  EXPECT_TRUE(Contains(set_output, "Password set")) << set_output;
  const auto listed = Json(fmt::format("tokens list --user {} --kind api", id));
  ASSERT_EQ(Count(listed, "api_tokens"), 1u) << boost::json::serialize(listed);
  EXPECT_EQ(Field(listed.at("api_tokens").as_array().at(0).as_object(), "display_name"),
            "ERP import");
  EXPECT_TRUE(Contains(Table(fmt::format("tokens list --user {}", id)), "API token"));
  const auto revoked = Json("tokens revoke " + Field(Object(token, "api_token"), "id"));
  EXPECT_FALSE(Field(revoked, "revoke_time").empty());
  EXPECT_EQ(Count(Json(fmt::format("tokens list --user {}", id)), "api_tokens"), 0u);
  EXPECT_EQ(Count(Json(fmt::format("tokens list --user {} --all", id)), "api_tokens"), 1u);
  const auto [refused_exit, refused] = Command("--token '" + secret + "' whoami");
  EXPECT_EQ(refused_exit, 1) << refused;
  EXPECT_TRUE(Contains(refused, "UNAUTHENTICATED")) << refused;

  // audit: the user's create and update, by the admin
  const auto audit = Json("audit list --resource kernel.user --id " + id);
  ASSERT_GE(Count(audit, "audit_entries"), 2u) << boost::json::serialize(audit);
  EXPECT_EQ(Field(audit.at("audit_entries").as_array().at(0).as_object(), "action"),
            "AUDIT_ACTION_UPDATE");
  EXPECT_TRUE(Contains(Table("audit list --resource kernel.team"), "kernel.team " + team_id));

  // jobs and the test clock: the CRM's daily job is queued, and runs when
  // the clock passes it
  const auto jobs = Json("jobs list --module crm --state scheduled");
  ASSERT_GE(Count(jobs, "jobs"), 1u) << boost::json::serialize(jobs);
  const auto advance = Json("clock advance 2d");
  EXPECT_FALSE(Field(advance, "now").empty());
  const auto [retry_exit, retry] = Command("jobs retry 987654");
  EXPECT_EQ(retry_exit, 1) << retry;
  EXPECT_TRUE(Contains(retry, "NOT_FOUND")) << retry;
}

TEST_F(CliCommandsTest, ChangesContactsCustomFieldsPartnersAndCrmRecords) {
  Start();
  TemporaryDirectory files;

  // partners: a contact's life, custom fields, an import's status, delete
  const auto partner =
      Json("partners create --kind organization --display-name 'Fekete és Fia Kft.'");
  const std::string partner_id = Field(partner, "id");
  const auto contact =
      Json(fmt::format("contacts create --partner {} --name 'Fekete Anna' --role Beszerző --email "
                       "anna@fekete.example --birthday 1980-02-29 --primary true",
                       partner_id));
  const std::string contact_id = Field(contact, "id");
  EXPECT_EQ(Field(contact, "partner_id"), partner_id);
  EXPECT_TRUE(Contains(Table("contacts get " + contact_id), "birthday     1980-02-29"));
  // several at once, in the order asked; a missing id is left out, not an error
  const auto other = Json("partners create --kind organization --display-name 'Fehér Kft.'");
  const auto many =
      Json(fmt::format("partners get-many {} 999999 {}", Field(other, "id"), partner_id));
  ASSERT_EQ(Count(many, "partners"), 2u) << boost::json::serialize(many);
  EXPECT_EQ(boost::json::value_to<std::string>(many.at("partners").as_array()[0].at("id")),
            Field(other, "id"));
  EXPECT_TRUE(Contains(
      Table(fmt::format("partners get-many {} {}", partner_id, Field(other, "id"))), "Fehér Kft."));
  const auto many_contacts = Json(fmt::format("contacts get-many 999999 {}", contact_id));
  ASSERT_EQ(Count(many_contacts, "contacts"), 1u) << boost::json::serialize(many_contacts);
  EXPECT_TRUE(Contains(Table("contacts get-many " + contact_id), "Fekete Anna"));
  const auto changed = Json(fmt::format("contacts update {} --etag '{}' --role Ügyvezető",
                                        contact_id, Field(contact, "etag")));
  EXPECT_EQ(Field(changed, "role"), "Ügyvezető");
  EXPECT_EQ(Field(changed, "name"), "Fekete Anna");
  EXPECT_TRUE(Contains(
      Table(fmt::format("contacts delete {} --etag '{}'", contact_id, Field(changed, "etag"))),
      "deleted"));
  EXPECT_EQ(Command("contacts get " + contact_id).first, 1);

  const auto field =
      Json("partners field-add industry --label Iparág --type choice --choice retail --choice it");
  EXPECT_EQ(Field(field, "type"), "CUSTOM_FIELD_TYPE_CHOICE");
  const auto relabelled = Json(fmt::format(
      "partners field-update industry --etag '{}' --label Ágazat --choice retail --choice it "
      "--choice bau",
      Field(field, "etag")));
  EXPECT_EQ(Field(relabelled, "label"), "Ágazat");
  EXPECT_EQ(Count(relabelled, "choices"), 3u);

  const auto csv = files.Path() / "partners.csv";
  std::ofstream(csv) << "display_name\nKék Kft.\nZöld Bt.\n";
  const auto import = Json(fmt::format("partners import '{}' --dry-run", csv.string()));
  const auto status = Table("partners import-status " + Field(import, "id"));
  EXPECT_TRUE(Contains(status, "rows 2 read, 2 valid, 0 invalid")) << status;
  EXPECT_TRUE(Contains(status, "(dry run: nothing written)")) << status;

  // the timeline, many entries from a file at once, all or none
  const auto entries = files.Path() / "entries.json";
  std::ofstream(entries) << fmt::format(
      R"({{"requests": [{{"interaction": {{"partnerId": "{0}", "channel":
      "INTERACTION_CHANNEL_CALL", "direction": "INTERACTION_DIRECTION_INBOUND", "subject":
      "Visszahívást kért"}}}}, {{"interaction": {{"partnerId": "{0}", "channel":
      "INTERACTION_CHANNEL_NOTE", "subject": "Ajánlatot küldünk"}}}}]}})",
      partner_id);
  const auto logged = Table(fmt::format("partners log-batch '{}'", entries.string()));
  EXPECT_TRUE(Contains(logged, "1\tlogged (id ")) << logged;
  EXPECT_TRUE(Contains(Table("partners timeline " + partner_id), "Ajánlatot küldünk"));
  std::ofstream(entries) << R"({"requests": [{"interaction": {"partnerId": "999999",
      "channel": "INTERACTION_CHANNEL_CALL", "direction": "INTERACTION_DIRECTION_INBOUND"}}]})";
  const auto [refused_exit, refused] =
      Command(fmt::format("partners log-batch '{}'", entries.string()));
  EXPECT_EQ(refused_exit, 1) << refused;
  EXPECT_TRUE(Contains(refused, "requests[0].interaction.partner_id")) << refused;

  const auto spare = Json("partners create --kind organization --display-name 'Törlendő Kft.'");
  EXPECT_TRUE(Contains(Table(fmt::format("partners delete {} --etag '{}'", Field(spare, "id"),
                                         Field(spare, "etag"))),
                       "deleted"));
  EXPECT_EQ(Command("partners get " + Field(spare, "id")).first, 1);

  // pipelines: made from flags; an update keeps the stages it names
  const auto pipeline = Json(
      "pipelines create --name Értékesítés --stage New:10 --stage Offer:40 --stage Won:100:won "
      "--stage Lost:0:lost");
  ASSERT_EQ(Count(pipeline, "stages"), 4u) << boost::json::serialize(pipeline);
  const auto stage_id = [](const boost::json::object& of, std::size_t at) {
    return Field(of.at("stages").as_array().at(at).as_object(), "id");
  };
  const auto renamed = Json(
      fmt::format("pipelines update {} --etag '{}' --stage new:20 --stage Demo:30 --stage Offer:40 "
                  "--stage Won:100:won --stage Lost:0:lost",
                  Field(pipeline, "id"), Field(pipeline, "etag")));
  ASSERT_EQ(Count(renamed, "stages"), 5u) << boost::json::serialize(renamed);
  EXPECT_EQ(stage_id(renamed, 0), stage_id(pipeline, 0));
  EXPECT_EQ(stage_id(renamed, 2), stage_id(pipeline, 1));
  EXPECT_EQ(Field(renamed, "name"), "Értékesítés");
  EXPECT_TRUE(Contains(Table("pipelines get " + Field(pipeline, "id")), "Demo 30%"));

  // opportunities: an update by flags; stale without a next step
  const auto deal = Json(fmt::format(
      "opps create --name Ablakcsere --partner {} --pipeline {} --revenue '1000000 HUF'",
      partner_id, Field(pipeline, "id")));
  const auto repriced = Json(fmt::format(
      "opps update {} --etag '{}' --name 'Ablakcsere és redőny' --revenue '1 250 000 HUF' "
      "--close-date 2027-03-31",
      Field(deal, "id"), Field(deal, "etag")));
  EXPECT_EQ(Field(repriced, "name"), "Ablakcsere és redőny");
  EXPECT_EQ(Field(Object(repriced, "expected_revenue"), "minor_units"), "125000000");
  EXPECT_TRUE(Contains(Table("opps stale"), "Ablakcsere és redőny"));
  const auto [no_change_exit, no_change] = Command(
      fmt::format("opps update {} --etag '{}'", Field(deal, "id"), Field(repriced, "etag")));
  EXPECT_EQ(no_change_exit, 2) << no_change;

  // activities: an update of the fields given
  const auto call = Json(fmt::format(
      "activities create --type call --subject Hívás --start 2027-01-10T09:00:00Z --opportunity {}",
      Field(deal, "id")));
  const auto moved = Json(fmt::format(
      "activities update {} --etag '{}' --subject 'Hívás: ajánlat' --start 2027-01-11T10:00:00Z "
      "--duration 30m --type meeting",
      Field(call, "id"), Field(call, "etag")));
  EXPECT_EQ(Field(moved, "subject"), "Hívás: ajánlat");
  EXPECT_EQ(Field(moved, "type"), "ACTIVITY_TYPE_MEETING");
  EXPECT_EQ(Field(moved, "start_time"), "2027-01-11T10:00:00Z");
  EXPECT_EQ(Field(moved, "duration"), "1800s");
  EXPECT_EQ(Field(moved, "opportunity_id"), Field(deal, "id"));

  // next steps (C8): once the pipeline requires one, the last planned
  // activity completes only with the next task
  const auto strict = Json(fmt::format("pipelines update {} --etag '{}' --require-next-step true",
                                       Field(pipeline, "id"), Field(renamed, "etag")));
  ASSERT_TRUE(strict.contains("require_next_step")) << boost::json::serialize(strict);
  EXPECT_TRUE(strict.at("require_next_step").as_bool());
  EXPECT_EQ(Count(strict, "stages"), 5u);
  const auto [lonely_exit, lonely] = Command(
      fmt::format("activities complete {} --etag '{}'", Field(moved, "id"), Field(moved, "etag")));
  EXPECT_EQ(lonely_exit, 1) << lonely;
  EXPECT_TRUE(Contains(lonely, "next_activity")) << lonely;
  const auto completed = Json(fmt::format(
      "activities complete {} --etag '{}' --outcome Megbeszélve --next-task 'Ajánlat küldése' "
      "--next-due 2027-01-20T09:00:00Z",
      Field(moved, "id"), Field(moved, "etag")));
  EXPECT_EQ(Field(completed, "status"), "ACTIVITY_STATUS_DONE");
  EXPECT_TRUE(Contains(Table(fmt::format("activities list --opportunity {}", Field(deal, "id"))),
                       "Ajánlat küldése"));

  // forms: the fields a file sets, and switched off
  const auto form_file = files.Path() / "form.json";
  std::ofstream(form_file) << R"({"slug": "cli-form", "title": "Kapcsolat",
      "fields": [{"name": "email", "label": "E-mail", "type": "WEB_FORM_FIELD_TYPE_EMAIL",
                  "required": true}]})";
  const auto form = Json(fmt::format("forms create --file '{}'", form_file.string()));
  const auto title_file = files.Path() / "title.json";
  std::ofstream(title_file) << R"({"title": "Írjon nekünk"})";
  const auto retitled =
      Json(fmt::format("forms update {} --etag '{}' --file '{}'", Field(form, "id"),
                       Field(form, "etag"), title_file.string()));
  EXPECT_EQ(Field(retitled, "title"), "Írjon nekünk");
  EXPECT_EQ(Count(retitled, "fields"), 1u);
  const auto off = Table(fmt::format("forms update {} --disabled true", Field(form, "id")));
  EXPECT_TRUE(Contains(off, "form " + Field(form, "id") + ": Írjon nekünk (disabled)")) << off;
}

TEST_F(CliCommandsTest, ChangesSalesDocumentsInvoicesAndJourneys) {
  modules_ = "orders,invoicing,automation";
  std::vector<std::string> extra;
  for (const char* option :
       {"orders.company_name=Karton Fűtésszerviz Kft.",
        "orders.company_address=1132 Budapest, Váci út 18.",
        "orders.company_tax_number=12345676-2-41", "orders.company_email=ajanlat@karton.example",
        "invoicing.seller_name=Karton Fűtésszerviz Kft.",
        "invoicing.seller_tax_number=12345676-2-41", "invoicing.seller_postal_code=1132",
        "invoicing.seller_city=Budapest", "invoicing.seller_street=Váci út 18."}) {
    extra.insert(extra.end(), {"--module-option", option});
  }
  Start(extra);
  const auto reseller = NewColleague("viszontelado@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto customer = Json(
      R"(partners create '{"kind": "PARTNER_KIND_ORGANIZATION", "displayName": "Fűtés Kft.",
          "addresses": [{"type": "ADDRESS_TYPE_BILLING", "country": "HU", "postalCode": "2040",
                         "city": "Budaörs", "street": "Szabadság út 7."}]}')");
  const std::string customer_id = Field(customer, "id");
  const auto product =
      Json("products create --sku SZ-1 --name Szerviz --vat standard_27 --price '45000 HUF'");
  const std::string product_id = Field(product, "id");

  // price lists, quotations and orders: updates of drafts
  const auto list = Json(fmt::format(
      "pricelists create --name Alap --currency HUF --item '{}=45000 HUF'", product_id));
  const auto relisted =
      Json(fmt::format("pricelists update {} --etag '{}' --name Kedvezményes "
                       "--item '{}=40000 HUF'",
                       Field(list, "id"), Field(list, "etag"), product_id));
  EXPECT_EQ(Field(relisted, "name"), "Kedvezményes");
  ASSERT_EQ(Count(relisted, "items"), 1u);
  EXPECT_EQ(
      Field(Object(relisted.at("items").as_array().at(0).as_object(), "unit_price"), "minor_units"),
      "4000000");

  const auto quote = Json(fmt::format(
      "quotes create --partner {} --valid-until 2027-12-31 --line {}:1", customer_id, product_id));
  const auto requoted = Json(fmt::format("quotes update {} --etag '{}' --line {}:3 --note Sürgős",
                                         Field(quote, "id"), Field(quote, "etag"), product_id));
  EXPECT_EQ(Field(requoted, "note"), "Sürgős");
  ASSERT_EQ(Count(requoted, "lines"), 1u);
  EXPECT_EQ(Field(requoted.at("lines").as_array().at(0).as_object(), "quantity"), "3");

  const auto order =
      Json(fmt::format("orders create --partner {} --line {}:1", customer_id, product_id));
  const auto reordered = Json(fmt::format("orders update {} --etag '{}' --line {}:2 --note Kapukód",
                                          Field(order, "id"), Field(order, "etag"), product_id));
  EXPECT_EQ(Field(reordered, "note"), "Kapukód");
  EXPECT_EQ(Field(reordered.at("lines").as_array().at(0).as_object(), "quantity"), "2");
  EXPECT_TRUE(Contains(Table("orders purchasers --product " + product_id), "PARTNER\n"));
  Json(fmt::format("orders confirm {} --etag '{}'", Field(order, "id"), Field(reordered, "etag")));
  const auto purchasers = Json("orders purchasers --product " + product_id);
  ASSERT_EQ(Count(purchasers, "partner_ids"), 1u) << boost::json::serialize(purchasers);
  EXPECT_EQ(purchasers.at("partner_ids").as_array().at(0).as_string(), customer_id);

  // invoices: a draft of free lines, shared and unshared
  const auto invoice = Json(fmt::format(
      "invoices create --partner {} --line '2;45000 HUF;standard_27;Kazán karbantartás' "
      "--method cash --note 'Munkalap 17'",
      customer_id));
  EXPECT_EQ(Field(invoice, "state"), "INVOICE_STATE_DRAFT");
  EXPECT_EQ(Field(invoice, "payment_method"), "PAYMENT_METHOD_CASH");
  EXPECT_EQ(Count(invoice, "lines"), 1u);
  Table(fmt::format("invoices share {} --user {}", Field(invoice, "id"), reseller.id));
  const auto [seen_exit, seen] = RunCommand(fmt::format(
      "{} --token '{}' invoices get {} 2>&1", Karton(), reseller.token, Field(invoice, "id")));
  EXPECT_EQ(seen_exit, 0) << seen;
  Table(fmt::format("invoices unshare {} --user {}", Field(invoice, "id"), reseller.id));
  const auto [hidden_exit, hidden] = RunCommand(fmt::format(
      "{} --token '{}' invoices get {} 2>&1", Karton(), reseller.token, Field(invoice, "id")));
  EXPECT_EQ(hidden_exit, 1) << hidden;

  // journeys: switched off, then renamed from a file
  TemporaryDirectory files;
  const auto journey_file = files.Path() / "journey.json";
  std::ofstream(journey_file) << R"({"name": "Welcome", "enabled": true,
      "steps": [{"offset": "3600s", "create_activity": {"subject": "Welcome call",
                                                        "assigned_user_ids": ["1"]}}]})";
  const auto journey =
      Json(fmt::format("automation journeys create --file '{}'", journey_file.string()));
  const auto off = Json("automation journeys update " + Field(journey, "id") + " --enabled false");
  EXPECT_EQ(off.if_contains("enabled"), nullptr) << boost::json::serialize(off);  // false
  const auto name_file = files.Path() / "name.json";
  std::ofstream(name_file) << R"({"name": "Welcome new customers"})";
  const auto renamed =
      Json(fmt::format("automation journeys update {} --etag '{}' --file '{}'",
                       Field(journey, "id"), Field(off, "etag"), name_file.string()));
  EXPECT_EQ(Field(renamed, "name"), "Welcome new customers");
  EXPECT_EQ(Count(renamed, "steps"), 1u);
}

// karton tickets: a phone call logged for a known contact, worked, handed
// over with its note kept in the history, merged, shared with a
// subcontractor and taken back, resolved and reopened.
TEST_F(CliCommandsTest, WorksTicketsFromTheCommandLine) {
  modules_ = "crm,helpdesk";
  Start();
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  const auto subcontractor = NewColleague("szerviz@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto partner = Json("partners create --kind organization --display-name 'Fűtés Kft.'");
  const auto contact = Json(
      fmt::format("contacts create --partner {} --name 'Kiss János' --email kiss@futes.example",
                  Field(partner, "id")));

  const auto type = Json(
      "tickettypes create --name Javítás --step Hibafelvétel:support:8h --step Kiszállás "
      "--step Lezárás");
  ASSERT_EQ(Count(type, "steps"), 3u) << boost::json::serialize(type);
  EXPECT_TRUE(Contains(Table("tickettypes get " + Field(type, "id")), "Hibafelvétel"));
  const auto ticket = Json(
      "tickets create --subject 'Nem indul a kazán' --email Kiss@Futes.Example --source phone "
      "--priority high --name 'Kiss János' --type " +
      Field(type, "id"));
  const std::string id = Field(ticket, "id");
  EXPECT_EQ(Field(ticket, "partner_id"), Field(partner, "id"));
  EXPECT_EQ(Field(ticket, "contact_id"), Field(contact, "id"));
  EXPECT_EQ(Field(ticket, "state"), "TICKET_STATE_NEW");
  EXPECT_EQ(Field(ticket, "source"), "TICKET_SOURCE_PHONE");
  const auto [bad_exit, bad] = Command("tickets create --subject Hiba --email 'nem cím'");
  EXPECT_EQ(bad_exit, 1) << bad;
  EXPECT_TRUE(Contains(bad, "ticket.requester_email")) << bad;

  const auto updated = Json(fmt::format("tickets update {} --etag '{}' --description 'E03 hibakód'",
                                        id, Field(ticket, "etag")));
  EXPECT_EQ(Field(updated, "description"), "E03 hibakód");
  EXPECT_EQ(Field(updated, "priority"), "TICKET_PRIORITY_HIGH");
  Json(fmt::format("tickets assign {} --user {}", id, agent.id));
  const auto handed = Json(fmt::format(
      "tickets hand-over {} --user {} --note 'Kulcs a szomszédnál'", id, subcontractor.id));
  EXPECT_EQ(Field(handed, "assignee_user_id"), std::to_string(subcontractor.id));
  // Handed to a subcontractor, the ticket is shared with them.
  const auto [seen_exit, seen] = RunCommand(
      fmt::format("{} --token '{}' tickets get {} 2>&1", Karton(), subcontractor.token, id));
  EXPECT_EQ(seen_exit, 0) << seen;
  Json(fmt::format("tickets unshare {} --user {}", id, subcontractor.id));
  const auto [hidden_exit, hidden] = RunCommand(
      fmt::format("{} --token '{}' tickets get {} 2>&1", Karton(), subcontractor.token, id));
  EXPECT_EQ(hidden_exit, 1) << hidden;
  Json(fmt::format("tickets share {} --user {}", id, subcontractor.id));

  const auto comment =
      Json(fmt::format("tickets comment {} --public --text 'Holnap megyünk.'", id));
  EXPECT_EQ(Field(comment, "visibility"), "COMMENT_VISIBILITY_PUBLIC");
  const auto duplicate =
      Json("tickets create --subject 'Kazán megint' --partner " + Field(partner, "id"));
  const auto merged = Json(fmt::format("tickets merge {} --from {}", id, Field(duplicate, "id")));
  EXPECT_EQ(Count(merged, "merged_ticket_ids"), 1u);
  Json(fmt::format("tickets state {} --to resolved --reason 'Nyomás beállítva'", id));
  const auto reopened = Json(fmt::format("tickets state {} --to open", id));
  ASSERT_NE(reopened.if_contains("reopen_count"), nullptr) << boost::json::serialize(reopened);
  EXPECT_EQ(reopened.at("reopen_count").to_number<int>(), 1);
  const auto [refused_exit, refused] = Command(fmt::format("tickets state {} --to new", id));
  EXPECT_EQ(refused_exit, 1) << refused;
  EXPECT_TRUE(Contains(refused, "FAILED_PRECONDITION")) << refused;

  const auto stepped = Json(fmt::format("tickets step-done {} --note 'Hibakód E03'", id));
  ASSERT_NE(stepped.if_contains("current_step"), nullptr) << boost::json::serialize(stepped);
  EXPECT_EQ(stepped.at("current_step").to_number<int>(), 2);
  const auto [no_reason_exit, no_reason] = Command("tickets step-skip " + id);
  EXPECT_EQ(no_reason_exit, 2) << no_reason;  // --reason is required
  Json(fmt::format("tickets step-skip {} --reason 'Távolról megoldva'", id));
  const auto retired = Json(fmt::format("tickettypes update {} --active false", Field(type, "id")));
  EXPECT_EQ(retired.if_contains("active"), nullptr) << boost::json::serialize(retired);  // false
  EXPECT_FALSE(Contains(Table("tickettypes list"), "Javítás"));
  EXPECT_TRUE(Contains(Table("tickettypes list --inactive"), "Javítás"));
  const auto calendar = Json(
      "sla calendar-create --name Ügyelet --hours 1=07:00-19:00 --hours 6=08:00-12:00 --closed "
      "2027-12-31");
  EXPECT_EQ(Count(calendar, "hours"), 2u) << boost::json::serialize(calendar);
  const auto calendar_id = Field(calendar, "id");
  Json(fmt::format("sla calendar-update {} --holidays none", calendar_id));
  EXPECT_TRUE(Contains(Table("sla calendars"), "Sat 08:00-12:00"));
  const auto policy = Json(fmt::format(
      "sla policy-create --name Sürgős --priority urgent --calendar {} --first-response 30 "
      "--resolution 240 --escalate-to {}",
      calendar_id, agent.id));
  Json(fmt::format("sla policy-update {} --warn 90", Field(policy, "id")));
  EXPECT_TRUE(Contains(Table("sla policies"), "warning at 90%"));
  const auto card = Table("tickets get " + id);
  EXPECT_TRUE(Contains(card, "Távolról megoldva")) << card;
  EXPECT_TRUE(Contains(card, "handed_over by user")) << card;
  EXPECT_TRUE(Contains(card, "Kulcs a szomszédnál")) << card;
  EXPECT_TRUE(Contains(card, "Holnap megyünk.")) << card;
  const auto open = Json("tickets list --open --priority high");
  ASSERT_EQ(Count(open, "tickets"), 1u) << boost::json::serialize(open);
  EXPECT_TRUE(Contains(Table("tickets list --state closed"), "Kazán megint"));

  // The helpdesk report: the one ticket (the merged duplicate is left
  // out), reopened once, of type Javítás, by phone.
  const auto report = Json("tickets report --from 2000-01-01 --to 2100-12-31");
  const auto& total = report.at("total").as_object();
  EXPECT_EQ(total.at("tickets").as_string(), "1") << boost::json::serialize(report);
  EXPECT_EQ(total.at("reopened_tickets").as_string(), "1");
  EXPECT_EQ(total.at("reopen_rate_bp").to_number<int>(), 10000);
  EXPECT_EQ(report.at("by_type").as_array().at(0).at("name").as_string(), "Javítás");
  EXPECT_EQ(report.at("by_source").as_array().at(0).at("name").as_string(), "phone");
  const auto table = Table(fmt::format("tickets report --team 0 --assignee {}", subcontractor.id));
  EXPECT_TRUE(Contains(table, "BY COLLEAGUE")) << table;
  EXPECT_TRUE(Contains(table, "100.00%")) << table;  // reopened
  const auto [bad_range_exit, bad_range] = Command("tickets report --from 2026-02-30");
  EXPECT_EQ(bad_range_exit, 2) << bad_range;  // not a date: bad usage
}

}  // namespace
}  // namespace karton::testing
