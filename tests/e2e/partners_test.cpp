// The partners module end to end: the real kartond with the product
// modules on a fresh database, over gRPC.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "karton/kernel/errors.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "partners_fixture.h"

namespace karton::testing {
namespace {

extern const char* const kProspects;

TEST_F(PartnersTest, CreatesNormalisedPartnersAndUpdatesThemByMaskAndEtag) {
  Partner input = Organization(" Kovács és Társa Kft. ");
  input.set_tax_number("12345676242");
  input.add_emails("Info@Kovacs.HU");
  input.add_phones("06 30 123 4567");
  input.add_tags("VIP");
  input.add_tags("vip");
  auto* address = input.add_addresses();
  address->set_country("hu");
  address->set_city("Szeged");
  address->set_postal_code("6720");
  input.add_bank_accounts()->set_iban("HU42 1177 3016 1111 1018 0000 0000");
  (*input.mutable_external_ids())["legacy_erp"] = "C-1";
  input.set_etag("ignored");
  const Partner created = Create(input);
  EXPECT_GT(created.id(), 0);
  EXPECT_EQ(created.display_name(), "Kovács és Társa Kft.");
  EXPECT_EQ(created.tax_number(), "12345676-2-42");
  EXPECT_EQ(created.emails(0), "info@kovacs.hu");
  EXPECT_EQ(created.phones(0), "+36301234567");
  ASSERT_EQ(created.tags_size(), 1);
  EXPECT_EQ(created.addresses(0).country(), "HU");
  EXPECT_EQ(created.bank_accounts(0).iban(), "HU42117730161111101800000000");
  EXPECT_EQ(created.external_ids().at("legacy_erp"), "C-1");
  EXPECT_EQ(created.etag(), "1");
  EXPECT_TRUE(created.has_create_time());

  partners::v1::GetPartnerRequest get;
  get.set_id(created.id());
  Partner fetched;
  ASSERT_TRUE(partners_->GetPartner(As(admin_).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());

  // Only the masked fields change; the others stay though the request
  // leaves them empty.
  Partner change;
  change.set_id(created.id());
  change.set_etag(created.etag());
  change.set_website("https://kovacs.hu");
  Partner updated;
  ASSERT_TRUE(Update(change, {"website"}, &updated).ok());
  EXPECT_EQ(updated.website(), "https://kovacs.hu");
  EXPECT_EQ(updated.tax_number(), "12345676-2-42");
  EXPECT_EQ(updated.etag(), "2");

  // A stale etag changes nothing.
  change.set_website("https://stale.example");
  const grpc::Status stale = Update(change, {"website"}, &updated);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Query(fmt::format("SELECT website FROM partners.partner WHERE id = {}", created.id())),
            "https://kovacs.hu");

  // Without a mask, what the request sets; clearing a list through the mask.
  change.set_etag("2");
  change.set_website("");
  change.set_legal_name("Kovács és Társa Kereskedelmi Kft.");
  ASSERT_TRUE(Update(change, {}, &updated).ok());
  EXPECT_EQ(updated.legal_name(), "Kovács és Társa Kereskedelmi Kft.");
  EXPECT_EQ(updated.website(), "https://kovacs.hu");
  change.set_etag(updated.etag());
  ASSERT_TRUE(Update(change, {"tags"}, &updated).ok());
  EXPECT_EQ(updated.tags_size(), 0);
  // The same values again: no new version, no event.
  const std::string etag = updated.etag();
  change.set_etag(etag);
  ASSERT_TRUE(Update(change, {"tags"}, &updated).ok());
  EXPECT_EQ(updated.etag(), etag);

  EXPECT_EQ(Update(change, {"archived"}, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Query("SELECT string_agg(topic, ',' ORDER BY log, id) FROM (SELECT topic, 0 AS log, "
                  "id FROM kernel.event UNION ALL SELECT topic, 1, id FROM kernel.event_outbox) e"),
            "partners.partner.created,partners.partner.updated,partners.partner.updated,"
            "partners.partner.updated");
  EXPECT_EQ(Query("SELECT changes::text FROM kernel.audit_entry WHERE resource_type = "
                  "'partners.partner' AND action = 'update' ORDER BY id LIMIT 1"),
            R"([{"new": "https://kovacs.hu", "field": "website"}])");
}

TEST_F(PartnersTest, BadInputNamesEveryFieldAndWritesNothing) {
  Partner input = Organization("");
  input.set_tax_number("12345678-2-42");
  input.set_eu_vat_number("HU1234");
  input.add_emails("not-an-email");
  input.add_phones("12");
  input.add_addresses()->set_country("XX");
  input.add_bank_accounts()->set_iban("HU43117730161111101800000000");
  input.set_name_day("03-15");  // organisations have none
  partners::v1::CreatePartnerRequest request;
  *request.mutable_partner() = input;
  Partner created;
  const grpc::Status status = partners_->CreatePartner(As(admin_).get(), request, &created);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& violation : kernel::FieldViolationsOf(status)) fields.push_back(violation.field);
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "partner.display_name", "partner.tax_number", "partner.eu_vat_number",
                        "partner.addresses[0].country", "partner.emails[0]", "partner.phones[0]",
                        "partner.name_day", "partner.bank_accounts[0].iban"}));
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event_outbox"), "0");
}

TEST_F(PartnersTest, RequestIdAndExternalIdsMakeCreatesSafeToRepeat) {
  std::vector<std::thread> clients;
  std::vector<std::int64_t> ids(4);
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] { ids[i] = Create(Organization("Once"), "import-42").id(); });
  }
  for (auto& client : clients) client.join();
  EXPECT_TRUE(std::all_of(ids.begin(), ids.end(), [&](auto id) { return id == ids[0]; }));
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "1");

  Partner first = Organization("First");
  (*first.mutable_external_ids())["crm"] = "A-1";
  Create(first);
  Partner second = Organization("Second");
  (*second.mutable_external_ids())["crm"] = "A-1";
  partners::v1::CreatePartnerRequest request;
  *request.mutable_partner() = second;
  Partner created;
  const grpc::Status taken = partners_->CreatePartner(As(admin_).get(), request, &created);
  EXPECT_EQ(taken.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(taken.error_message().find("partner.external_ids[crm]"), std::string::npos);
}

TEST_F(PartnersTest, CustomFieldsAreDefinedByAdminsValidatedAndFilterable) {
  Define("industry", partners::v1::CUSTOM_FIELD_TYPE_CHOICE, {"retail", "it"});
  Define("employees", partners::v1::CUSTOM_FIELD_TYPE_NUMBER);
  const auto [sales_id, sales] = User("sales@example.com", kernel::v1::ROLE_SALES);
  partners::v1::CreateCustomFieldDefinitionRequest define;
  define.mutable_definition()->set_key("colour");
  define.mutable_definition()->set_label("Colour");
  define.mutable_definition()->set_type(partners::v1::CUSTOM_FIELD_TYPE_TEXT);
  partners::v1::CustomFieldDefinition definition;
  EXPECT_EQ(
      partners_->CreateCustomFieldDefinition(As(sales).get(), define, &definition).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  Partner shop = Organization("Shop");
  (*shop.mutable_custom_fields())["industry"] = "retail";
  (*shop.mutable_custom_fields())["employees"] = "12";
  shop = Create(shop);
  Partner studio = Organization("Studio");
  (*studio.mutable_custom_fields())["industry"] = "it";
  (*studio.mutable_custom_fields())["employees"] = "3";
  Create(studio);

  Partner bad = Organization("Bad");
  (*bad.mutable_custom_fields())["employees"] = "a dozen";
  (*bad.mutable_custom_fields())["industry"] = "mining";
  partners::v1::CreatePartnerRequest request;
  *request.mutable_partner() = bad;
  Partner created;
  const grpc::Status refused = partners_->CreatePartner(As(sales).get(), request, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(refused).size(), 2u);

  EXPECT_EQ(List("custom.industry = \"retail\""), std::vector<std::string>{"Shop"});
  EXPECT_EQ(List("custom.employees > 5"), std::vector<std::string>{"Shop"});
  EXPECT_EQ(List("custom.employees <= 5 AND custom.industry != \"retail\""),
            std::vector<std::string>{"Studio"});

  // A choice still in use cannot go; an unused one can.
  partners::v1::UpdateCustomFieldDefinitionRequest update;
  update.mutable_definition()->set_key("industry");
  update.mutable_definition()->add_choices("it");
  update.mutable_update_mask()->add_paths("choices");
  EXPECT_EQ(
      partners_->UpdateCustomFieldDefinition(As(admin_).get(), update, &definition).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  update.mutable_definition()->add_choices("retail");
  update.mutable_definition()->add_choices("services");
  ASSERT_TRUE(partners_->UpdateCustomFieldDefinition(As(admin_).get(), update, &definition).ok());
  EXPECT_EQ(definition.choices_size(), 3);
  update.mutable_update_mask()->set_paths(0, "type");
  EXPECT_EQ(
      partners_->UpdateCustomFieldDefinition(As(admin_).get(), update, &definition).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  // Updating one custom key leaves the others.
  Partner change;
  change.set_id(shop.id());
  (*change.mutable_custom_fields())["employees"] = "40";
  Partner updated;
  ASSERT_TRUE(Update(change, {"custom_fields.employees"}, &updated).ok());
  EXPECT_EQ(updated.custom_fields().at("employees"), "40");
  EXPECT_EQ(updated.custom_fields().at("industry"), "retail");
}

TEST_F(PartnersTest, ListsFilterSortTheHungarianWayAndPageWithoutGapsOrRepeats) {
  std::vector<std::string> vip_in_szeged;
  for (const char* name : {"Ősz Pékség Kft.", "Oszlop Bt.", "Zala Kft.", "Cukor Zrt.", "Csiga Kft.",
                           "Ábel és Fiai Kft.", "Abroncs Kft."}) {
    const bool szeged = std::string(name).find("Kft.") != std::string::npos;
    const bool vip = std::string(name).find('a') != std::string::npos;
    Partner partner = Organization(name);
    auto* address = partner.add_addresses();
    address->set_country("HU");
    address->set_city(szeged ? "Szeged" : "Pécs");
    partner.add_tags(vip ? "vip" : "prospect");
    Create(partner);
    if (szeged && vip) vip_in_szeged.push_back(name);
  }
  // Hungarian order: A/Á together, C before Cs, O before Ő.
  EXPECT_EQ(List("", "display_name"),
            (std::vector<std::string>{"Ábel és Fiai Kft.", "Abroncs Kft.", "Cukor Zrt.",
                                      "Csiga Kft.", "Oszlop Bt.", "Ősz Pékség Kft.", "Zala Kft."}));
  EXPECT_EQ(List("city = \"Pécs\"", "display_name desc"),
            (std::vector<std::string>{"Oszlop Bt.", "Cukor Zrt."}));
  EXPECT_EQ(List("city = \"Szeged\" AND tag = \"vip\" AND kind = \"organization\""), vip_in_szeged);
  EXPECT_EQ(vip_in_szeged.size(), 3u);

  // Page by page, two at a time, while a partner is added in between.
  std::vector<std::string> seen;
  std::string a_token;
  partners::v1::ListPartnersRequest request;
  request.set_page_size(2);
  request.set_order_by("display_name");
  do {
    partners::v1::ListPartnersResponse response;
    ASSERT_TRUE(partners_->ListPartners(As(admin_).get(), request, &response).ok());
    for (const auto& partner : response.partners()) seen.push_back(partner.display_name());
    request.set_page_token(response.next_page_token());
    if (a_token.empty()) a_token = response.next_page_token();
    if (seen.size() == 2) Create(Organization("Aaron Kft."));  // sorts before the cursor
  } while (!request.page_token().empty());
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);

  request.set_order_by("create_time");
  request.set_page_token(a_token);
  partners::v1::ListPartnersResponse response;
  const grpc::Status foreign = partners_->ListPartners(As(admin_).get(), request, &response);
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // token of another order
  request.clear_page_token();
  request.set_filter("tag = vip");
  const grpc::Status bad = partners_->ListPartners(As(admin_).get(), request, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(), "filter: 'vip' at 7 is not a value: quote strings");
  request.set_filter("");
  request.set_order_by("tax_number");
  EXPECT_EQ(partners_->ListPartners(As(admin_).get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PartnersTest, SearchIgnoresAccentsAndCaseMatchesPhonesAndTaxNumbers) {
  Partner kovacs = Organization("Kovács és Társa Kft.");
  kovacs.set_tax_number("12345676-2-42");
  kovacs.add_phones("+36 30 123 4567");
  Create(kovacs);
  Create(Organization("Árvíztűrő Tükörfúrógép Zrt."));
  Partner person;
  person.set_kind(partners::v1::PARTNER_KIND_PERSON);
  person.set_display_name("Kovacsics Anna");
  person.add_emails("anna@example.hu");
  Create(person);

  EXPECT_EQ(Search("kovacs").size(), 2u);
  EXPECT_EQ(Search("KOVÁCS ÉS").front(), "Kovács és Társa Kft.");
  // Several words: each must appear, in any order and place.
  EXPECT_EQ(Search("kovacs tars"), std::vector<std::string>{"Kovács és Társa Kft."});
  EXPECT_EQ(Search("  tarsa   KOVACS "), std::vector<std::string>{"Kovács és Társa Kft."});
  EXPECT_EQ(Search("kovacs anna"), std::vector<std::string>{"Kovacsics Anna"});
  EXPECT_TRUE(Search("kovacs zrt").empty());
  EXPECT_EQ(Search("+36 30 123"), std::vector<std::string>{"Kovács és Társa Kft."});
  EXPECT_EQ(Search("arvizturo"), std::vector<std::string>{"Árvíztűrő Tükörfúrógép Zrt."});
  EXPECT_EQ(Search("30/123-45"), std::vector<std::string>{"Kovács és Társa Kft."});
  EXPECT_EQ(Search("12345676"), std::vector<std::string>{"Kovács és Társa Kft."});
  EXPECT_EQ(Search("anna@example"), std::vector<std::string>{"Kovacsics Anna"});
  EXPECT_TRUE(Search("50%_off").empty());  // wildcards are just characters

  partners::v1::SearchPartnersRequest request;
  request.set_query("ko");
  partners::v1::SearchPartnersResponse response;
  const grpc::Status status = partners_->SearchPartners(As(admin_).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "query: must be at least 3 characters");
}

// A page token as the server makes it (page_token.cpp), for tokens a client
// could forge.
// A token as a client could forge one: well-formed, bound to the search for
// `query`, with any key.
std::string HandMadeSearchToken(const std::string& key, const std::string& query) {
  partners::v1::SearchPartnersRequest request;
  request.set_query(query);
  kernel::Page page;
  EXPECT_TRUE(kernel::ReadPage(request, page).ok());
  return kernel::NextPageToken(page, {key, 1});
}

TEST_F(PartnersTest, SearchesTooBroadToRankListRecentlyChangedFirstAcrossEveryPage) {
  Restart({"--module-option", "partners.search_ranked_matches=5"});
  std::vector<Partner> shops;
  for (int i = 1; i <= 12; ++i)
    shops.push_back(Create(Organization(fmt::format("Bolt {:02} Kft.", i))));
  Create(Organization("Kertész Bt."));
  Create(Organization("Kertépítő Kft."));
  Partner archived = Create(Organization("Bolt Archív Kft."));
  partners::v1::ArchivePartnerRequest archive;
  archive.set_id(archived.id());
  ASSERT_TRUE(partners_->ArchivePartner(As(admin_).get(), archive, &archived).ok());
  // Bolt 03 changes last: it comes first.
  Partner change;
  change.set_id(shops[2].id());
  change.set_etag(shops[2].etag());
  change.set_website("https://bolt03.example");
  Partner changed;
  ASSERT_TRUE(Update(change, {"website"}, &changed).ok());

  auto search = [&](const std::string& query, const std::string& page_token,
                    const std::string& token = "") {
    partners::v1::SearchPartnersRequest request;
    request.set_query(query);
    request.set_page_size(5);
    request.set_page_token(page_token);
    partners::v1::SearchPartnersResponse response;
    const grpc::Status status =
        partners_->SearchPartners(As(token.empty() ? admin_ : token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };

  // Two matches: ranked by similarity.
  EXPECT_EQ(search("kert", "").ranking(), partners::v1::SEARCH_RANKING_SIMILARITY);
  EXPECT_EQ(search("kert", "").partners_size(), 2);

  // Twelve matches (the archived one is left out) are more than the five
  // the server ranks: most recently changed first, every page the same way,
  // each match exactly once.
  std::vector<std::string> names;
  std::string page_token;
  int pages = 0;
  do {
    const auto response = search("bolt", page_token);
    EXPECT_EQ(response.ranking(), partners::v1::SEARCH_RANKING_RECENTLY_CHANGED);
    for (const auto& partner : response.partners()) names.push_back(partner.display_name());
    page_token = response.next_page_token();
  } while (!page_token.empty() && ++pages < 10);
  std::vector<std::string> expected = {"Bolt 03 Kft."};
  for (int i = 12; i >= 1; --i) {
    if (i != 3) expected.push_back(fmt::format("Bolt {:02} Kft.", i));
  }
  EXPECT_EQ(names, expected);

  // An external partner's search is always ranked: they see few partners.
  const auto [reseller_id, reseller] =
      User("bolt-reseller@example.com", kernel::v1::ROLE_EXTERNAL_PARTNER);
  Query(
      fmt::format("INSERT INTO kernel.record_grant (resource_type, resource_id, user_id) "
                  "VALUES ('partners.partner', {}, {})",
                  shops[0].id(), reseller_id));
  const auto external = search("bolt", "", reseller);
  EXPECT_EQ(external.ranking(), partners::v1::SEARCH_RANKING_SIMILARITY);
  ASSERT_EQ(external.partners_size(), 1);
  EXPECT_EQ(external.partners(0).display_name(), "Bolt 01 Kft.");

  // Page tokens are not signed: a forged key is refused, never run.
  for (const std::string key :
       {"recent:'; DROP TABLE x; --", "recent:2026-12-01 10:00:00+00", "0.5 OR 1=1", ""}) {
    partners::v1::SearchPartnersRequest request;
    request.set_query("bolt");
    request.set_page_token(HandMadeSearchToken(key, "bolt"));
    partners::v1::SearchPartnersResponse response;
    const grpc::Status status = partners_->SearchPartners(As(admin_).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << key;
    EXPECT_EQ(status.error_message(), "page_token: is not a token of this search") << key;
  }
  // A well-formed hand-made one pages like the server's own.
  partners::v1::SearchPartnersRequest request;
  request.set_query("bolt");
  request.set_page_token(HandMadeSearchToken("recent:32503680000000000", "bolt"));  // 3000
  partners::v1::SearchPartnersResponse response;
  ASSERT_TRUE(partners_->SearchPartners(As(admin_).get(), request, &response).ok());
  EXPECT_EQ(response.partners_size(), 12);
}

TEST_F(PartnersTest, ArchiveHidesRestoreShowsAndDeleteIsRefusedWhileReferenced) {
  const Partner kept = Create(Organization("Archivált Kft."));
  const Partner other = Create(Organization("Másik Kft."));
  partners::v1::ArchivePartnerRequest archive;
  archive.set_id(kept.id());
  Partner archived;
  ASSERT_TRUE(partners_->ArchivePartner(As(admin_).get(), archive, &archived).ok());
  EXPECT_TRUE(archived.archived());
  EXPECT_EQ(List(""), std::vector<std::string>{"Másik Kft."});
  EXPECT_EQ(List("archived = true"), std::vector<std::string>{"Archivált Kft."});
  EXPECT_TRUE(Search("archivalt").empty());
  EXPECT_EQ(Search("archivalt", true).size(), 1u);
  partners::v1::RestorePartnerRequest restore;
  restore.set_id(kept.id());
  Partner restored;
  ASSERT_TRUE(partners_->RestorePartner(As(admin_).get(), restore, &restored).ok());
  EXPECT_FALSE(restored.archived());

  // Another module's table refers to the partner: the delete is refused.
  Query("CREATE TABLE public.invoice (partner_id bigint REFERENCES partners.partner (id))");
  Query(fmt::format("INSERT INTO public.invoice VALUES ({})", kept.id()));
  partners::v1::DeletePartnerRequest remove;
  remove.set_id(kept.id());
  partners::v1::DeletePartnerResponse removed;
  const grpc::Status refused = partners_->DeletePartner(As(admin_).get(), remove, &removed);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("archive it instead"), std::string::npos);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "2");
  remove.set_id(other.id());
  ASSERT_TRUE(partners_->DeletePartner(As(admin_).get(), remove, &removed).ok());
  EXPECT_EQ(partners_->DeletePartner(As(admin_).get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Query("SELECT string_agg(action, ',' ORDER BY id) FROM kernel.audit_entry "
                  "WHERE resource_type = 'partners.partner'"),
            "create,create,update,update,delete");
}

TEST_F(PartnersTest, ExternalPartnersSeeOnlySharedPartnersAndCannotWrite) {
  const Partner shared = Create(Organization("Megosztott Kft."));
  Create(Organization("Titkos Kft."));
  const auto [reseller_id, reseller] =
      User("reseller@example.com", kernel::v1::ROLE_EXTERNAL_PARTNER);
  Query(
      fmt::format("INSERT INTO kernel.record_grant (resource_type, resource_id, user_id) "
                  "VALUES ('partners.partner', {}, {})",
                  shared.id(), reseller_id));
  EXPECT_EQ(List("", "", reseller), std::vector<std::string>{"Megosztott Kft."});
  EXPECT_EQ(Search("kft", false, reseller), std::vector<std::string>{"Megosztott Kft."});
  partners::v1::GetPartnerRequest get;
  get.set_id(shared.id() + 1);
  Partner hidden;
  EXPECT_EQ(partners_->GetPartner(As(reseller).get(), get, &hidden).error_code(),
            grpc::StatusCode::NOT_FOUND);
  partners::v1::CreatePartnerRequest create;
  *create.mutable_partner() = Organization("Nope");
  EXPECT_EQ(partners_->CreatePartner(As(reseller).get(), create, &hidden).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// The security review's attack on the caller hand-off, replayed: an
// external partner with nothing shared hammers ListPartners from 8 threads
// with 1-second tokens it makes itself, so tokens keep expiring between the
// token check and the handler. Before the fix such calls ran with an empty
// caller, which partners treated as staff (800 rows in 20,870 calls).
TEST_F(PartnersTest, AnExternalPartnerRacingItsOwnShortLivedTokensNeverSeesAnUnsharedPartner) {
  // Unthrottled: the per-user call budget would otherwise stop the racers
  // long before a token expires under them.
  Restart({"--calls-per-minute", "external_partner=0"});
  for (const char* name : {"Titkos Kft.", "Bizalmas Bt.", "Belső Zrt."}) Create(Organization(name));
  const auto [reseller_id, reseller] = User("racer@example.com", kernel::v1::ROLE_EXTERNAL_PARTNER);
  std::atomic<int> calls{0}, expired{0}, rows{0}, other_errors{0};
  const auto stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  std::vector<std::thread> racers;
  for (int thread = 0; thread < 8; ++thread) {
    racers.emplace_back([&, reseller = reseller] {
      auto identity = kernel::v1::IdentityService::NewStub(channel_);
      auto partners = PartnerService::NewStub(channel_);
      while (std::chrono::steady_clock::now() < stop_at) {
        kernel::v1::CreateApiTokenRequest mint;
        mint.mutable_ttl()->set_seconds(1);
        kernel::v1::CreateApiTokenResponse minted;
        if (!identity->CreateApiToken(As(reseller).get(), mint, &minted).ok()) {
          ++other_errors;
          return;
        }
        for (;;) {
          partners::v1::ListPartnersResponse listed;
          const auto status = partners->ListPartners(As(minted.token()).get(), {}, &listed);
          ++calls;
          rows += listed.partners_size();
          if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
            ++expired;
            break;
          }
          // A call cancelled because its verdict could not be handed on, or
          // refused while the token could not be checked, is fail-closed
          // too; anything else is a failure of its own.
          if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
              status.error_code() != grpc::StatusCode::UNAVAILABLE) {
            ++other_errors;
          }
          if (std::chrono::steady_clock::now() >= stop_at) break;
        }
      }
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(rows.load(), 0) << "an external partner received unshared partners";
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_GT(expired.load(), 8) << "tokens should have expired under the racers";
  EXPECT_GT(calls.load(), 100);
}

TEST_F(PartnersTest, CommandLineClientCreatesSearchesListsAndShowsPartners) {
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path());
  const auto [create_exit, created] = RunCommand(
      karton + R"( partners create '{"kind":"PARTNER_KIND_ORGANIZATION","displayName":"Kovács )"
               R"(Kft.","taxNumber":"12345676242","tags":["VIP"]}')");
  EXPECT_EQ(create_exit, 0) << created;
  EXPECT_NE(created.find("tax number     12345676-2-42"), std::string::npos) << created;
  const auto [search_exit, found] = RunCommand(karton + " partners search kovacs");
  EXPECT_EQ(search_exit, 0);
  EXPECT_NE(found.find("Kovács Kft."), std::string::npos) << found;
  const auto [list_exit, listed] =
      RunCommand(karton + " --output json partners list --filter 'tag = \"vip\"'");
  EXPECT_EQ(list_exit, 0);
  EXPECT_NE(listed.find("\"display_name\": \"Kovács Kft.\""), std::string::npos) << listed;
  const auto [log_exit, logged] = RunCommand(
      karton +
      " partners log 1 --channel call --direction outbound --subject 'Hívás az ajánlatról'");
  EXPECT_EQ(log_exit, 0) << logged;
  const auto [timeline_exit, timeline] = RunCommand(karton + " partners timeline 1");
  EXPECT_EQ(timeline_exit, 0);
  EXPECT_NE(timeline.find("call     outbound  Hívás az ajánlatról"), std::string::npos) << timeline;
  TemporaryDirectory files;
  const auto original = files.Path() / "ajánlat.pdf";
  std::ofstream(original, std::ios::binary) << RandomBytes(1'234'567);
  const auto [upload_exit, uploaded] =
      RunCommand(karton + " documents upload partners.partner:1 '" + original.string() + "'");
  EXPECT_EQ(upload_exit, 0) << uploaded;
  EXPECT_NE(uploaded.find("ajánlat.pdf version 1, 1234567 bytes"), std::string::npos) << uploaded;
  const auto copy = files.Path() / "copy.pdf";
  const auto [download_exit, downloaded] =
      RunCommand(karton + " documents download 1 -o '" + copy.string() + "'");
  EXPECT_EQ(download_exit, 0) << downloaded;
  EXPECT_EQ(RunCommand("cmp '" + original.string() + "' '" + copy.string() + "'").first, 0);
  const auto prospects = files.Path() / "prospects.csv";
  std::ofstream(prospects) << kProspects;
  const auto [import_exit, imported] =
      RunCommand(karton + " partners import '" + prospects.string() +
                 "' --delimiter ';' --map 'ERP kód=external_id.erp' --map 'Cégnév=display_name' "
                 "--map 'Adószám=tax_number' --map 'Város=address.city' 2>/dev/null");
  EXPECT_EQ(import_exit, 0) << imported;
  EXPECT_NE(imported.find("rows 5 read, 4 valid, 1 invalid"), std::string::npos) << imported;
  EXPECT_NE(imported.find("karton partners import-errors"), std::string::npos) << imported;
  const auto [errors_exit, errors] = RunCommand(karton + " partners import-errors 1");
  EXPECT_EQ(errors_exit, 0);
  EXPECT_NE(errors.find("4,\"Adószám\",\"partner.tax_number\""), std::string::npos) << errors;
  const auto [export_exit, exported] =
      RunCommand(karton + " partners export --filter 'city = \"Szeged\"'");
  EXPECT_EQ(export_exit, 0);
  EXPECT_NE(exported.find("Tisza Fém Kft."), std::string::npos) << exported;
  const auto [bad_log_exit, bad_log] =
      RunCommand(karton + " partners log 1 --channel fax --subject x 2>&1");
  EXPECT_EQ(bad_log_exit, 2) << bad_log;
  const auto [bad_exit, bad] =
      RunCommand(karton + R"( partners create '{"kind":"PARTNER_KIND_PERSON"}' 2>&1)");
  EXPECT_EQ(bad_exit, 1);
  EXPECT_NE(bad.find("INVALID_ARGUMENT"), std::string::npos) << bad;
  EXPECT_NE(bad.find("partner.display_name: is required"), std::string::npos) << bad;
}

TEST_F(PartnersTest, ContactsBelongToTheirPartnerWithOnePrimaryPagedAndAudited) {
  const Partner partner = Create(Organization("Kontakt Kft."));
  auto create_contact = [&](const std::string& name, bool primary,
                            const std::string& email = "") -> partners::v1::Contact {
    partners::v1::CreateContactRequest request;
    request.set_partner_id(partner.id());
    request.mutable_contact()->set_name(name);
    request.mutable_contact()->set_primary(primary);
    if (!email.empty()) request.mutable_contact()->add_emails(email);
    partners::v1::Contact contact;
    const grpc::Status status = partners_->CreateContact(As(admin_).get(), request, &contact);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return contact;
  };
  const auto zoltan = create_contact("Zoltán Kiss", true, "Zoltan@Kontakt.hu");
  EXPECT_EQ(zoltan.emails(0), "zoltan@kontakt.hu");
  EXPECT_EQ(zoltan.partner_id(), partner.id());
  create_contact("Anna Nagy", false);
  const auto eva = create_contact("Éva Tóth", true);  // takes the primary flag over

  // Primary first, then by name; one at a time without gaps or repeats.
  std::vector<std::string> names;
  partners::v1::ListContactsRequest list;
  list.set_partner_id(partner.id());
  list.set_page_size(1);
  do {
    partners::v1::ListContactsResponse page;
    ASSERT_TRUE(partners_->ListContacts(As(admin_).get(), list, &page).ok());
    for (const auto& contact : page.contacts()) {
      names.push_back(contact.name() + (contact.primary() ? "*" : ""));
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(names, (std::vector<std::string>{"Éva Tóth*", "Anna Nagy", "Zoltán Kiss"}));

  partners::v1::UpdateContactRequest update;
  update.mutable_contact()->set_id(zoltan.id());
  update.mutable_contact()->set_role("Beszerző");
  update.mutable_contact()->set_etag(zoltan.etag());  // stale: losing primary changed it
  update.mutable_update_mask()->add_paths("role");
  partners::v1::Contact updated;
  EXPECT_EQ(partners_->UpdateContact(As(admin_).get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.mutable_contact()->clear_etag();
  ASSERT_TRUE(partners_->UpdateContact(As(admin_).get(), update, &updated).ok());
  EXPECT_EQ(updated.role(), "Beszerző");
  EXPECT_EQ(updated.emails(0), "zoltan@kontakt.hu");

  partners::v1::CreateContactRequest bad;
  bad.set_partner_id(partner.id());
  bad.mutable_contact()->add_emails("nope");
  partners::v1::Contact unused;
  const grpc::Status refused = partners_->CreateContact(As(admin_).get(), bad, &unused);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(refused).size(), 2u);  // contact.name, contact.emails[0]
  bad.set_partner_id(987654);
  bad.mutable_contact()->set_name("Nobody");
  bad.mutable_contact()->clear_emails();
  EXPECT_EQ(partners_->CreateContact(As(admin_).get(), bad, &unused).error_code(),
            grpc::StatusCode::NOT_FOUND);

  partners::v1::DeleteContactRequest remove;
  remove.set_id(eva.id());
  partners::v1::DeleteContactResponse removed;
  ASSERT_TRUE(partners_->DeleteContact(As(admin_).get(), remove, &removed).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM partners.contact"), "2");
  EXPECT_EQ(Query("SELECT string_agg(action, ',' ORDER BY id) FROM kernel.audit_entry "
                  "WHERE resource_type = 'partners.contact'"),
            "create,create,create,update,delete");
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT topic "
                  "FROM kernel.event_outbox) e WHERE topic LIKE 'partners.contact.%'"),
            "5");

  // Deleting the partner takes its contacts with it.
  partners::v1::DeletePartnerRequest delete_partner;
  delete_partner.set_id(partner.id());
  partners::v1::DeletePartnerResponse deleted;
  ASSERT_TRUE(partners_->DeletePartner(As(admin_).get(), delete_partner, &deleted).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM partners.contact"), "0");
}

TEST_F(PartnersTest, TimelineIsNewestFirstAndOneEntryPerSourceReference) {
  const Partner partner = Create(Organization("Idővonal Kft."));
  const Partner other = Create(Organization("Másik Kft."));
  auto log = [&](partners::v1::InteractionChannel channel, std::int64_t seconds_ago,
                 const std::string& subject, const std::string& module = "",
                 const std::string& reference = "") {
    partners::v1::LogInteractionRequest request;
    auto* interaction = request.mutable_interaction();
    interaction->set_partner_id(partner.id());
    interaction->set_channel(channel);
    interaction->set_direction(partners::v1::INTERACTION_DIRECTION_OUTBOUND);
    interaction->set_subject(subject);
    interaction->set_source_module(module);
    interaction->set_source_reference(reference);
    interaction->mutable_occur_time()->set_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count() -
        seconds_ago);
    partners::v1::Interaction logged;
    const grpc::Status status = partners_->LogInteraction(As(admin_).get(), request, &logged);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return logged;
  };
  log(partners::v1::INTERACTION_CHANNEL_CALL, 3600, "Called about the offer");
  const auto email =
      log(partners::v1::INTERACTION_CHANNEL_EMAIL, 60, "Offer sent", "messaging", "msg-17");
  log(partners::v1::INTERACTION_CHANNEL_MEETING, 86400, "First meeting");
  // The messaging module retries its delivery report: still one entry.
  const auto again =
      log(partners::v1::INTERACTION_CHANNEL_EMAIL, 60, "Offer sent", "messaging", "msg-17");
  EXPECT_EQ(again.id(), email.id());
  EXPECT_EQ(email.source_module(), "messaging");
  EXPECT_EQ(email.user_id(), 1);  // the caller, the first admin

  partners::v1::ListTimelineRequest list;
  list.set_partner_id(partner.id());
  list.set_page_size(2);
  partners::v1::ListTimelineResponse page;
  ASSERT_TRUE(partners_->ListTimeline(As(admin_).get(), list, &page).ok());
  ASSERT_EQ(page.interactions_size(), 2);
  EXPECT_EQ(page.interactions(0).subject(), "Offer sent");
  EXPECT_EQ(page.interactions(1).subject(), "Called about the offer");
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(partners_->ListTimeline(As(admin_).get(), list, &page).ok());
  ASSERT_EQ(page.interactions_size(), 1);
  EXPECT_EQ(page.interactions(0).subject(), "First meeting");
  EXPECT_TRUE(page.next_page_token().empty());

  // A contact of another partner, or no channel: refused, naming the field.
  partners::v1::CreateContactRequest create_contact;
  create_contact.set_partner_id(other.id());
  create_contact.mutable_contact()->set_name("Idegen Ilona");
  partners::v1::Contact stranger;
  ASSERT_TRUE(partners_->CreateContact(As(admin_).get(), create_contact, &stranger).ok());
  partners::v1::LogInteractionRequest wrong;
  wrong.mutable_interaction()->set_partner_id(partner.id());
  wrong.mutable_interaction()->set_contact_id(stranger.id());
  wrong.mutable_interaction()->set_channel(partners::v1::INTERACTION_CHANNEL_NOTE);
  partners::v1::Interaction unused;
  grpc::Status refused = partners_->LogInteraction(As(admin_).get(), wrong, &unused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("interaction.contact_id"), std::string::npos);
  wrong.mutable_interaction()->clear_contact_id();
  wrong.mutable_interaction()->clear_channel();
  refused = partners_->LogInteraction(As(admin_).get(), wrong, &unused);
  EXPECT_EQ(refused.error_message().rfind("interaction.channel", 0), 0u);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.interaction"), "3");
}

TEST_F(PartnersTest, DocumentsStreamInAndOutVersionedAndChecksummed) {
  const Partner partner = Create(Organization("Dokumentum Kft."));
  const std::string first = RandomBytes(2'500'000), second = RandomBytes(300'000);
  partners::v1::Document v1_doc, v2_doc;
  ASSERT_TRUE(Upload("partners.partner", partner.id(), "szerződés.pdf", first, &v1_doc).ok());
  EXPECT_EQ(v1_doc.version(), 1);
  EXPECT_EQ(v1_doc.size_bytes(), 2'500'000);
  EXPECT_EQ(v1_doc.sha256(), Sha256Hex(first));
  EXPECT_EQ(v1_doc.uploaded_by_user_id(), 1);
  // Stored in 1 MiB chunks whatever the client sent.
  EXPECT_EQ(Query(fmt::format("SELECT count(*) FROM partners.document_chunk WHERE document_id = {}",
                              v1_doc.id())),
            "3");
  ASSERT_TRUE(
      Upload("partners.partner", partner.id(), "szerződés.pdf", second, &v2_doc, 7777).ok());
  EXPECT_EQ(v2_doc.version(), 2);

  partners::v1::ListDocumentsRequest list;
  list.set_resource_type("partners.partner");
  list.set_resource_id(partner.id());
  partners::v1::ListDocumentsResponse listed;
  ASSERT_TRUE(partners_->ListDocuments(As(admin_).get(), list, &listed).ok());
  ASSERT_EQ(listed.documents_size(), 1);
  EXPECT_EQ(listed.documents(0).version(), 2);
  list.set_all_versions(true);
  ASSERT_TRUE(partners_->ListDocuments(As(admin_).get(), list, &listed).ok());
  EXPECT_EQ(listed.documents_size(), 2);

  partners::v1::Document downloaded;
  std::string content;
  ASSERT_TRUE(Download(v1_doc.id(), &downloaded, &content).ok());
  EXPECT_EQ(downloaded.name(), "szerződés.pdf");
  EXPECT_EQ(content.size(), first.size());
  EXPECT_TRUE(content == first);

  // Any module's record may carry documents, but only a loaded module
  // can say the record exists and who may see it (crm_access_test.cpp).
  partners::v1::Document other;
  const auto no_crm = Upload("crm.opportunity", 5, "ajánlat.docx", "offer", &other);
  EXPECT_EQ(no_crm.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(no_crm.error_message(),
            "document.resource_type: no loaded module keeps crm.opportunity records");

  partners::v1::DeleteDocumentRequest remove;
  remove.set_id(v2_doc.id());
  partners::v1::DeleteDocumentResponse removed;
  ASSERT_TRUE(partners_->DeleteDocument(As(admin_).get(), remove, &removed).ok());
  EXPECT_EQ(Download(v2_doc.id(), &downloaded, &content).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Query("SELECT string_agg(action, ',' ORDER BY id) FROM kernel.audit_entry WHERE "
                  "resource_type = 'partners.document'"),
            "create,create,delete");

  // The partner's documents go with it.
  partners::v1::DeletePartnerRequest delete_partner;
  delete_partner.set_id(partner.id());
  partners::v1::DeletePartnerResponse deleted;
  ASSERT_TRUE(partners_->DeletePartner(As(admin_).get(), delete_partner, &deleted).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM partners.document"), "0");
}

TEST_F(PartnersTest, DocumentUploadsAreCheckedAndAnOversizedOneLeavesNoTrace) {
  Restart({"--module-option", "partners.document_max_mib=1"});
  const Partner partner = Create(Organization("Limit Kft."));
  partners::v1::Document uploaded;
  const grpc::Status too_big =
      Upload("partners.partner", partner.id(), "big.bin", RandomBytes(1'500'000), &uploaded);
  EXPECT_EQ(too_big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(too_big.error_message(), "chunk: the document is larger than the limit of 1 MiB");
  EXPECT_EQ(Query("SELECT count(*) FROM partners.document"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM partners.document_chunk"), "0");

  EXPECT_EQ(Upload("partners.partner", 987654, "a.pdf", "x", &uploaded).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload("partners.partner", partner.id(), "../etc/passwd", "x", &uploaded).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload("Partners", partner.id(), "a.pdf", "x", &uploaded).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // The security review's crash: a 100 KB resource type made GCC's
  // std::regex recurse per character until kartond died of SIGSEGV.
  const grpc::Status huge_type =
      Upload("partners." + std::string(100'000, 'a'), partner.id(), "a.pdf", "x", &uploaded);
  EXPECT_EQ(huge_type.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(huge_type.error_message().find("document.resource_type"), std::string::npos);
  ASSERT_TRUE(Upload("partners.partner", partner.id(), "empty.txt", "", &uploaded).ok());
  EXPECT_EQ(uploaded.size_bytes(), 0);

  // External partners see no documents of partners not shared with them.
  const auto [reseller_id, reseller] =
      User("reseller@example.com", kernel::v1::ROLE_EXTERNAL_PARTNER);
  partners::v1::Document downloaded;
  std::string content;
  EXPECT_EQ(Download(uploaded.id(), &downloaded, &content, reseller).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Query(
      fmt::format("INSERT INTO kernel.record_grant (resource_type, resource_id, user_id) "
                  "VALUES ('partners.partner', {}, {})",
                  partner.id(), reseller_id));
  EXPECT_TRUE(Download(uploaded.id(), &downloaded, &content, reseller).ok());

  kartond_.reset();
  KartondProcess refused({"--database-url", conninfo_, "--data-dir", data_dir_.Path().string(),
                          "--modules-dir", ProductModulesDirectory().string(), "--module-option",
                          "partners.document_max_mib=0"});
  EXPECT_EQ(refused.WaitForExit(), 1);
  EXPECT_NE(refused.Stderr().find("partners.document_max_mib must be 1 to 1024"), std::string::npos)
      << refused.Stderr();
}

// A Hungarian spreadsheet export: semicolons, its own column names, a row
// per contact (two for Tisza Fém), one bad tax number.
extern const char* const kProspects;
const char* const kProspects =
    "ERP kód;Cégnév;Adószám;Város;Email;Kapcsolattartó;Telefon\n"
    "E-1;Tisza Fém Kft.;12345676-2-42;Szeged;info@tiszafem.hu;Kiss Anna;06 30 111 2222\n"
    "E-1;Tisza Fém Kft.;12345676-2-42;Szeged;;Nagy Béla;06 30 333 4444\n"
    "E-2;Duna Logisztika Zrt.;;Budapest;iroda@duna.hu;;\n"
    "E-3;Rossz Adó Bt.;12345678-2-42;Pécs;;;\n"
    "E-4;Mátra Építő Kft.;;Eger;;Tóth Éva;\n";

partners::v1::ImportSettings ProspectSettings() {
  partners::v1::ImportSettings settings;
  settings.set_delimiter(";");
  auto& mapping = *settings.mutable_column_mapping();
  mapping["ERP kód"] = "external_id.erp";
  mapping["Cégnév"] = "display_name";
  mapping["Adószám"] = "tax_number";
  mapping["Város"] = "address.city";
  mapping["Email"] = "email";
  mapping["Kapcsolattartó"] = "contact.name";
  mapping["Telefon"] = "contact.phone";
  return settings;
}

TEST_F(PartnersTest, ImportCreatesOncePerKeyAndRunningItAgainChangesNothing) {
  const auto first = RunImport(kProspects, ProspectSettings(), 50);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_GE(first.messages, 3);  // the id at once, applying, the outcome
  EXPECT_EQ(first.import.state(), partners::v1::IMPORT_STATE_DONE);
  EXPECT_EQ(first.import.rows_read(), 5);
  EXPECT_EQ(first.import.rows_valid(), 4);
  EXPECT_EQ(first.import.rows_invalid(), 1);
  EXPECT_EQ(first.import.partners_created(), 3);
  EXPECT_EQ(first.import.duplicates(), 1);  // Tisza Fém's second row
  EXPECT_EQ(first.import.contacts_created(), 3);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "3");
  EXPECT_EQ(Query("SELECT string_agg(c.name, ',' ORDER BY c.name) FROM partners.contact c "
                  "JOIN partners.partner p ON p.id = c.partner_id "
                  "WHERE p.display_name = 'Tisza Fém Kft.'"),
            "Kiss Anna,Nagy Béla");

  partners::v1::ListImportErrorsRequest list;
  list.set_import_id(first.import.id());
  partners::v1::ListImportErrorsResponse errors;
  ASSERT_TRUE(partners_->ListImportErrors(As(admin_).get(), list, &errors).ok());
  ASSERT_EQ(errors.errors_size(), 1);
  EXPECT_EQ(errors.errors(0).row(), 4);
  EXPECT_EQ(errors.errors(0).column(), "Adószám");
  EXPECT_EQ(errors.errors(0).field(), "partner.tax_number");

  // Every created partner and contact has its event and its audit entry.
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT topic "
                  "FROM kernel.event_outbox) e WHERE topic = 'partners.partner.created'"),
            "3");
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                  "'partners.contact' AND changes @> '[{\"field\": \"import\"}]'"),
            "3");
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT topic, aggregate_id FROM kernel.event UNION ALL "
                  "SELECT topic, aggregate_id FROM kernel.event_outbox) e "
                  "JOIN partners.contact c ON c.id = e.aggregate_id "
                  "WHERE topic = 'partners.contact.created'"),
            "3");

  // The same file again: everything matches, nothing is added or changed.
  const auto again = RunImport(kProspects, ProspectSettings(), 4096);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.import.partners_created(), 0);
  EXPECT_EQ(again.import.partners_updated(), 0);
  EXPECT_EQ(again.import.contacts_created(), 0);
  EXPECT_EQ(again.import.duplicates(), 4);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "3");

  // A changed file updates what changed, matched by the ERP key.
  std::string changed = kProspects;
  changed.replace(changed.find("iroda@duna.hu"), 13, "info@duna.hu");
  const auto update = RunImport(changed, ProspectSettings());
  EXPECT_EQ(update.import.partners_updated(), 1);
  EXPECT_EQ(Query("SELECT array_to_string(emails, ',') FROM partners.partner "
                  "WHERE display_name = 'Duna Logisztika Zrt.'"),
            "iroda@duna.hu,info@duna.hu");  // emails are added to, not replaced
}

TEST_F(PartnersTest, ImportModesDryRunsAndBadFilesWriteNothingTheyShouldNot) {
  auto settings = ProspectSettings();
  settings.set_dry_run(true);
  const auto dry = RunImport(kProspects, settings);
  ASSERT_TRUE(dry.status.ok()) << dry.status.error_message();
  EXPECT_EQ(dry.import.partners_created(), 3);
  EXPECT_TRUE(dry.import.dry_run());
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event_outbox"), "0");

  settings.set_dry_run(false);
  settings.set_mode(partners::v1::IMPORT_MODE_UPDATE_ONLY);
  const auto update_only = RunImport(kProspects, settings);
  EXPECT_EQ(update_only.import.partners_created(), 0);
  EXPECT_EQ(update_only.import.rows_skipped(), 4);
  settings.set_mode(partners::v1::IMPORT_MODE_UPSERT);
  RunImport(kProspects, settings);
  settings.set_mode(partners::v1::IMPORT_MODE_CREATE_ONLY);
  const auto create_only = RunImport(kProspects, settings);
  EXPECT_EQ(create_only.import.partners_created(), 0);
  EXPECT_EQ(create_only.import.rows_skipped(), 4);

  // A column nobody knows: refused, the import is FAILED, nothing written.
  const auto unknown = RunImport("display_name,colour\nX Kft.,red\n", {});
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(unknown.status.error_message().find("column 'colour'"), std::string::npos);
  partners::v1::GetImportRequest get;
  get.set_id(unknown.import.id());
  partners::v1::Import failed;
  ASSERT_TRUE(partners_->GetImport(As(admin_).get(), get, &failed).ok());
  EXPECT_EQ(failed.state(), partners::v1::IMPORT_STATE_FAILED);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner WHERE display_name = 'X Kft.'"), "0");

  // A row without any key can only create: it needs a name.
  const auto nameless = RunImport("display_name,email\n,a@b.hu\n", {});
  EXPECT_EQ(nameless.import.rows_invalid(), 1);
}

// Issue 16: a purchased list whose persons are known only by email or
// phone. Running it twice adds nobody the second time; its rows that share
// an email or phone are one partner; the import's match order is honoured.
TEST_F(PartnersTest, AListWithoutOurIdsImportsTwiceWithNothingNewTheSecondTime) {
  const std::string list =
      "display_name;kind;email;phone\n"
      "Kiss Anna;person;Anna.Kiss@Pelda.HU;\n"
      "Nagy Béla;person;bela@pelda.hu;06 30 111 2222\n"
      "Kiss Anna;person;anna.kiss@pelda.hu;\n"  // the first row again
      "Nagy B.;person;;+36 30 111 2222\n";      // the second, by phone
  partners::v1::ImportSettings settings;
  settings.set_delimiter(";");
  const auto first = RunImport(list, settings);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_EQ(first.import.rows_valid(), 4);
  EXPECT_EQ(first.import.partners_created(), 2);
  EXPECT_EQ(first.import.duplicates(), 2);
  EXPECT_EQ(
      Query("SELECT string_agg(display_name || ' ' || array_to_string(emails || phones, ' '), "
            "', ' ORDER BY id) FROM partners.partner"),
      "Kiss Anna anna.kiss@pelda.hu, Nagy Béla bela@pelda.hu +36301112222");

  const auto again = RunImport(list, settings);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.import.partners_created(), 0);
  EXPECT_EQ(again.import.partners_updated(), 0);
  EXPECT_EQ(again.import.duplicates(), 4);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "2");
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT topic "
                  "FROM kernel.event_outbox) e WHERE topic = 'partners.partner.created'"),
            "2");

  // A partner with a tax number and another with an email; a row with both
  // goes to the one whose key comes first in the order.
  RunImport("display_name,tax_number\nAdós Kft.,12345676-2-42\n", {});
  auto email_first = settings;
  email_first.set_delimiter(",");
  email_first.add_match_order(partners::v1::IMPORT_MATCH_KEY_EMAIL);
  email_first.add_match_order(partners::v1::IMPORT_MATCH_KEY_TAX_NUMBER);
  const auto by_email =
      RunImport("tax_number,email,tag\n12345676-2-42,bela@pelda.hu,by-email\n", email_first);
  ASSERT_TRUE(by_email.status.ok()) << by_email.status.error_message();
  EXPECT_EQ(by_email.import.partners_updated(), 1);
  EXPECT_EQ(Query("SELECT display_name FROM partners.partner WHERE 'by-email' = ANY (tags)"),
            "Nagy Béla");
  // Phone left out: a row known by its phone alone is not matched.
  auto no_phone = email_first;
  no_phone.clear_match_order();
  no_phone.add_match_order(partners::v1::IMPORT_MATCH_KEY_EMAIL);
  const auto unmatched = RunImport("display_name,phone\nNagy B.,06301112222\n", no_phone);
  EXPECT_EQ(unmatched.import.partners_created(), 1);

  // ID anywhere but first, or a key twice: refused, naming the entry.
  auto bad = email_first;
  bad.add_match_order(partners::v1::IMPORT_MATCH_KEY_ID);
  bad.add_match_order(partners::v1::IMPORT_MATCH_KEY_EMAIL);
  const auto refused = RunImport(list, bad);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& violation : kernel::FieldViolationsOf(refused.status)) {
    fields.push_back(violation.field);
  }
  EXPECT_EQ(fields,
            (std::vector<std::string>{"settings.match_order[2]", "settings.match_order[3]"}));
}

TEST_F(PartnersTest, AnImportInterruptedByAKillIsFailedWholeAfterTheRestart) {
  auto context = As(admin_);
  auto stream = partners_->ImportPartners(context.get());
  partners::v1::ImportPartnersRequest message;
  *message.mutable_settings() = ProspectSettings();
  ASSERT_TRUE(stream->Write(message));
  message.Clear();
  message.set_csv_chunk(std::string(kProspects).substr(0, 120));
  ASSERT_TRUE(stream->Write(message));
  partners::v1::ImportPartnersResponse first;
  ASSERT_TRUE(stream->Read(&first));
  const std::int64_t id = first.import().id();
  EXPECT_EQ(first.import().state(), partners::v1::IMPORT_STATE_RECEIVING);

  EXPECT_EQ(kartond_->StopWith(SIGKILL), 128 + SIGKILL);
  stream.reset();
  context.reset();
  Restart();
  partners::v1::GetImportRequest get;
  get.set_id(id);
  partners::v1::Import import;
  ASSERT_TRUE(partners_->GetImport(As(admin_).get(), get, &import).ok());
  EXPECT_EQ(import.state(), partners::v1::IMPORT_STATE_FAILED);
  EXPECT_NE(import.error().find("interrupted"), std::string::npos) << import.error();
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM partners.import_row"), "0");
}

TEST_F(PartnersTest, CommandLineClientSetsTermsRolesGroupAndNames) {
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path());
  const auto [group_exit, group] = RunCommand(
      karton + R"( partners create '{"kind":"PARTNER_KIND_ORGANIZATION","displayName":"Kovács )"
               R"(Csoport Zrt."}' --supplier true)");
  ASSERT_EQ(group_exit, 0) << group;
  EXPECT_NE(group.find("roles          supplier\n"), std::string::npos) << group;
  // A person from flags alone: named family name first.
  const auto [create_exit, created] = RunCommand(
      karton +
      " partners create --kind person --first-name Anna --last-name 'Kovács' --salutation Dr."
      " --payment-terms-days 30 --currency eur --language en --customer true --parent 1");
  ASSERT_EQ(create_exit, 0) << created;
  EXPECT_NE(created.find("Kovács Anna (id 2, person)"), std::string::npos) << created;
  for (const char* line :
       {"  salutation     Dr.\n", "  last name      Kovács\n", "  first name     Anna\n",
        "  roles          customer\n", "  payment terms  30 days\n", "  currency       EUR\n",
        "  language       en\n", "  parent         1\n"}) {
    EXPECT_NE(created.find(line), std::string::npos) << line << created;
  }
  // Update by flags: each names its field, so false and 0 clear.
  const auto [update_exit, updated] = RunCommand(
      karton + " partners update 2 --customer false --supplier true --payment-terms-days 0");
  ASSERT_EQ(update_exit, 0) << updated;
  EXPECT_NE(updated.find("  roles          supplier\n"), std::string::npos) << updated;
  EXPECT_NE(updated.find("  payment terms  the default\n"), std::string::npos) << updated;
  // JSON and flags together: the JSON's fields and the flags'.
  const auto [both_exit, both] =
      RunCommand(karton + R"( partners update 2 '{"website":"https://anna.example"}' --parent 0)");
  ASSERT_EQ(both_exit, 0) << both;
  EXPECT_NE(both.find("https://anna.example"), std::string::npos) << both;
  EXPECT_EQ(both.find("  parent "), std::string::npos) << both;
  const auto [show_exit, shown] = RunCommand(karton + " --output json partners show 2");
  ASSERT_EQ(show_exit, 0) << shown;
  for (const char* field : {R"("first_name": "Anna")", R"("last_name": "Kovács")",
                            R"("salutation": "Dr.")", R"("supplier": true)",
                            R"("default_currency_code": "EUR")", R"("preferred_language": "en")"}) {
    EXPECT_NE(shown.find(field), std::string::npos) << field << shown;
  }
  const auto [list_exit, listed] =
      RunCommand(karton + " partners list --filter 'supplier = true AND kind = \"person\"'");
  ASSERT_EQ(list_exit, 0) << listed;
  EXPECT_NE(listed.find("Kovács Anna"), std::string::npos) << listed;
  EXPECT_EQ(listed.find("Kovács Csoport"), std::string::npos) << listed;
  // Refusals name the field.
  const auto [language_exit, language] =
      RunCommand(karton + " partners update 2 --language de 2>&1");
  EXPECT_EQ(language_exit, 1) << language;
  EXPECT_NE(language.find("partner.preferred_language"), std::string::npos) << language;
  const auto [parent_exit, parent] = RunCommand(karton + " partners update 1 --parent 2 2>&1");
  EXPECT_EQ(parent_exit, 1) << parent;
  EXPECT_NE(parent.find("partner.parent_partner_id"), std::string::npos) << parent;
  const auto [empty_exit, empty] = RunCommand(karton + " partners update 2 2>&1");
  EXPECT_EQ(empty_exit, 2) << empty;
}

TEST_F(PartnersTest, AnExportImportsBackUnchanged) {
  Define("industry", partners::v1::CUSTOM_FIELD_TYPE_CHOICE, {"retail", "it"});
  Partner kovacs = Organization("Kovács, \"Társa\" Kft.");
  kovacs.set_tax_number("12345676-2-42");
  kovacs.add_emails("info@kovacs.hu");
  kovacs.add_emails("sales@kovacs.hu");
  kovacs.add_tags("vip");
  auto* address = kovacs.add_addresses();
  address->set_type(common::v1::ADDRESS_TYPE_BILLING);
  address->set_country("HU");
  address->set_city("Szeged");
  address->set_street("Kossuth utca 1.\nII. emelet");
  (*kovacs.mutable_custom_fields())["industry"] = "retail";
  (*kovacs.mutable_external_ids())["erp"] = "K-1";
  kovacs.mutable_credit_limit()->set_currency_code("HUF");
  kovacs.mutable_credit_limit()->set_minor_units(150000050);
  kovacs.set_customer(true);
  kovacs.set_payment_terms_days(30);
  kovacs.set_default_currency_code("EUR");
  kovacs.set_preferred_language("en");
  const Partner group = Create(kovacs);
  Partner person;
  person.set_kind(partners::v1::PARTNER_KIND_PERSON);
  person.set_display_name("Nagy Anna");
  person.set_first_name("Anna");
  person.set_last_name("Nagy");
  person.set_salutation("Dr.");
  person.set_supplier(true);
  person.mutable_birthday()->set_year(1980);
  person.mutable_birthday()->set_month(3);
  person.mutable_birthday()->set_day(15);
  person.set_name_day("07-26");
  person.set_parent_partner_id(group.id());  // the parent exports by its id
  Create(person);

  const std::string csv = Export();
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
            "id,kind,display_name,legal_name,tax_number,eu_vat_number,registration_number,email,"
            "phone,website,tag,address.country,address.postal_code,address.city,address.street,"
            "address.extra,address.region,owner_user_id,risk_class,credit_limit,"
            "credit_limit_currency,birthday,name_day,first_name,last_name,salutation,customer,"
            "supplier,payment_terms_days,default_currency_code,preferred_language,parent.id,"
            "custom.industry,external_id.erp");
  EXPECT_NE(csv.find("\"Kovács, \"\"Társa\"\" Kft.\""), std::string::npos) << csv;
  EXPECT_NE(csv.find("info@kovacs.hu;sales@kovacs.hu"), std::string::npos) << csv;
  EXPECT_NE(csv.find("1500000.50,HUF"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",,,true,false,30,EUR,en,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(fmt::format(",Anna,Nagy,Dr.,false,true,,,,{},", group.id())),
            std::string::npos)
      << csv;

  const auto back = RunImport(csv, {});
  ASSERT_TRUE(back.status.ok()) << back.status.error_message();
  EXPECT_EQ(back.import.rows_invalid(), 0) << back.import.ShortDebugString();
  EXPECT_EQ(back.import.partners_created(), 0);
  EXPECT_EQ(back.import.partners_updated(), 0);
  EXPECT_EQ(back.import.duplicates(), 2);
  EXPECT_EQ(Export(), csv);
  EXPECT_EQ(Export("tag = \"vip\"").find("Nagy Anna"), std::string::npos);
}

TEST_F(PartnersTest, ImportSetsTermsAndNamesButNeverMakesAParentAPerson) {
  const Partner parent = Create(Organization("Anya Kft."));
  Partner child_input = Organization("Leány Kft.");
  child_input.set_parent_partner_id(parent.id());
  const Partner child = Create(child_input);
  const std::string csv = fmt::format(
      "id,kind,first_name,last_name,payment_terms_days,supplier\n"
      "{},person,,,,\n"
      "{},,,,15,igen\n"
      ",person,Anna,Kovács,30,\n",
      parent.id(), child.id());
  const auto run = RunImport(csv, {});
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.import.state(), partners::v1::IMPORT_STATE_DONE);
  EXPECT_EQ(run.import.rows_invalid(), 1);
  EXPECT_EQ(run.import.partners_created(), 1);
  EXPECT_EQ(run.import.partners_updated(), 1);
  // The parent stays an organization, and the refusal names the field.
  EXPECT_EQ(Query(fmt::format("SELECT kind FROM partners.partner WHERE id = {}", parent.id())),
            "organization");
  partners::v1::ListImportErrorsRequest list;
  list.set_import_id(run.import.id());
  partners::v1::ListImportErrorsResponse errors;
  ASSERT_TRUE(partners_->ListImportErrors(As(admin_).get(), list, &errors).ok());
  ASSERT_EQ(errors.errors_size(), 1);
  EXPECT_EQ(errors.errors(0).row(), 1);
  EXPECT_EQ(errors.errors(0).field(), "partner.kind");
  // The subsidiary's terms and role, the new person named family name first.
  EXPECT_EQ(Query(fmt::format("SELECT payment_terms_days || '|' || supplier || '|' || "
                              "parent_partner_id FROM partners.partner WHERE id = {}",
                              child.id())),
            fmt::format("15|true|{}", parent.id()));
  EXPECT_EQ(Query("SELECT display_name || '|' || first_name || '|' || payment_terms_days FROM "
                  "partners.partner WHERE kind = 'person'"),
            "Kovács Anna|Anna|30");
  EXPECT_EQ(
      Query(fmt::format("SELECT count(*) FROM kernel.audit_entry WHERE action = 'update' AND "
                        "resource_id = {} AND changes @> '[{{\"field\": \"payment_terms_days\", "
                        "\"new\": 15}}, {{\"field\": \"supplier\", \"new\": true}}]'",
                        child.id())),
      "1");
}

// Parents by id, by external key (a partner later in the same file too)
// and by tax number; each wrong parent is its row's error, and the rest of
// the file is applied.
TEST_F(PartnersTest, ImportSetsParentsFromKartonAndFromTheFileAndRefusesWrongOnes) {
  Partner anya_input = Organization("Anya Zrt.");
  anya_input.set_tax_number("12345676-2-41");
  const Partner anya = Create(anya_input);
  Partner person_input;
  person_input.set_kind(partners::v1::PARTNER_KIND_PERSON);
  person_input.set_display_name("Kovács Anna");
  const Partner person = Create(person_input);
  Partner old_input = Organization("Régi Kft.");
  old_input.set_tax_number("24680242-2-13");
  const Partner old = Create(old_input);
  const std::string csv = fmt::format(
      "external_id.erp,display_name,tax_number,parent.id,parent.external_id.erp,"
      "parent.tax_number\n"
      "L1,Leány Egy Kft.,,{0},,\n"            // 1: a partner there is, by id
      "L2,Unoka Kft.,,,L3,\n"                 // 2: a partner later in this file
      "L3,Leány Kettő Kft.,,,,12345676241\n"  // 3: by tax number
      "L4,Árva Kft.,,,NINCS,\n"               // 4: nobody has that key
      "L5,Személy Kft.,,{1},,\n"              // 5: a person cannot be a parent
      "L6,Kör A Kft.,,,L7,\n"                 // 6 and 7: a cycle
      "L7,Kör B Kft.,,,L6,\n"
      "L8,Önmaga Kft.,,,L8,\n"             // 8: itself
      "L9,Unoka Kettő Kft.,,,L4,\n"        // 9: its parent's row was refused
      ",Régi Kft.,24680242-2-13,{0},,\n",  // 10: the parent is all that changes
      anya.id(), person.id());
  const auto run = RunImport(csv, {});
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.import.state(), partners::v1::IMPORT_STATE_DONE);
  EXPECT_EQ(run.import.rows_read(), 10);
  EXPECT_EQ(run.import.rows_invalid(), 6);
  EXPECT_EQ(run.import.partners_created(), 3);
  EXPECT_EQ(run.import.partners_updated(), 1);
  const auto parent_of = [&](const std::string& name) {
    return Query(
        "SELECT coalesce(p.display_name, '-') FROM partners.partner c LEFT JOIN "
        "partners.partner p ON p.id = c.parent_partner_id WHERE c.display_name = '" +
        name + "'");
  };
  EXPECT_EQ(parent_of("Leány Egy Kft."), "Anya Zrt.");
  EXPECT_EQ(parent_of("Unoka Kft."), "Leány Kettő Kft.");
  EXPECT_EQ(parent_of("Leány Kettő Kft."), "Anya Zrt.");
  EXPECT_EQ(parent_of("Régi Kft."), "Anya Zrt.");
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "6");  // 3 before, 3 new

  partners::v1::ListImportErrorsRequest list;
  list.set_import_id(run.import.id());
  partners::v1::ListImportErrorsResponse errors;
  ASSERT_TRUE(partners_->ListImportErrors(As(admin_).get(), list, &errors).ok());
  std::map<std::int64_t, partners::v1::ImportError> by_row;
  for (const auto& error : errors.errors()) by_row[error.row()] = error;
  ASSERT_EQ(by_row.size(), 6u);
  for (const auto& [row, error] : by_row) {
    EXPECT_EQ(error.field(), "partner.parent_partner_id") << row;
    EXPECT_EQ(error.column(), row == 5 ? "parent.id" : "parent.external_id.erp") << row;
  }
  EXPECT_NE(by_row[4].problem().find("erp key NINCS"), std::string::npos) << by_row[4].problem();
  EXPECT_NE(by_row[5].problem().find("is a person"), std::string::npos) << by_row[5].problem();
  EXPECT_NE(by_row[6].problem().find("cycle"), std::string::npos) << by_row[6].problem();
  EXPECT_NE(by_row[7].problem().find("cycle"), std::string::npos) << by_row[7].problem();
  EXPECT_NE(by_row[8].problem().find("own partner"), std::string::npos) << by_row[8].problem();
  EXPECT_NE(by_row[9].problem().find("refused"), std::string::npos) << by_row[9].problem();

  // The update of the old partner is audited and published like any: the
  // parent and the import, nothing it had before.
  EXPECT_EQ(
      Query(fmt::format("SELECT count(*) FROM kernel.audit_entry WHERE action = 'update' AND "
                        "resource_id = {} AND changes @> '[{{\"field\": \"parent_partner_id\"}}, "
                        "{{\"field\": \"import\"}}]' AND jsonb_array_length(changes) = 2",
                        old.id())),
      "1");
  EXPECT_EQ(Query(fmt::format("SELECT count(*) FROM (SELECT topic, aggregate_id FROM kernel.event "
                              "UNION ALL SELECT topic, aggregate_id FROM kernel.event_outbox) e "
                              "WHERE topic = 'partners.partner.updated' AND aggregate_id = {}",
                              old.id())),
            "1");
  EXPECT_EQ(Query(fmt::format("SELECT version FROM partners.partner WHERE id = {}", old.id())),
            "2");
  // The same file again changes nothing.
  const auto again = RunImport(csv, {});
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.import.partners_created(), 0);
  EXPECT_EQ(again.import.partners_updated(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "6");
}

TEST(PartnersDemo, LoadsTwoHundredValidPartners) {
  const std::string conninfo = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  TemporaryDirectory data_dir;
  KartondProcess kartond({"--database-url", conninfo, "--data-dir", data_dir.Path().string(),
                          "--modules-dir", ProductModulesDirectory().string(), "--modules",
                          "partners", "--demo"});
  ASSERT_TRUE(kartond.WaitUntilReady()) << kartond.Stderr();
  EXPECT_EQ(QueryScalar(conninfo, "SELECT count(*) FROM partners.partner"), "200");
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT count(*) FROM partners.partner WHERE kind = 'person' "
                        "AND name_day <> '' AND birthday IS NOT NULL"),
            "62");
  // industry, employees, customer_since, newsletter and demo_expires (the
  // automation demo's rule reads it).
  EXPECT_EQ(QueryScalar(conninfo, "SELECT count(*) FROM partners.custom_field_definition"), "5");
  // Every organisation has contacts, exactly one of them primary.
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT count(DISTINCT partner_id) FROM partners.contact "
                        "WHERE is_primary"),
            "138");
  EXPECT_NE(QueryScalar(conninfo, "SELECT count(*) FROM partners.interaction"), "0");
  // What invoicing and sales read: persons by first and last name, named
  // family name first; terms, roles, foreign partners in euro and English,
  // and two groups of three subsidiaries' parents.
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT count(*) FROM partners.partner WHERE kind = 'person' AND "
                        "first_name <> '' AND display_name = last_name || ' ' || first_name"),
            "62");
  EXPECT_EQ(QueryScalar(conninfo, "SELECT count(*) FROM partners.partner WHERE salutation <> ''"),
            "6");
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT count(*) FROM partners.partner WHERE "
                        "default_currency_code = 'EUR' AND preferred_language = 'en'"),
            "10");
  EXPECT_EQ(QueryScalar(conninfo, "SELECT count(*) FROM partners.partner WHERE supplier"), "27");
  EXPECT_EQ(QueryScalar(conninfo, "SELECT count(*) FROM partners.partner WHERE customer"), "171");
  EXPECT_EQ(
      QueryScalar(conninfo, "SELECT count(*) FROM partners.partner WHERE payment_terms_days > 0"),
      "87");
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT count(*) || ':' || count(DISTINCT c.parent_partner_id) FROM "
                        "partners.partner c JOIN partners.partner p ON p.id = c.parent_partner_id "
                        "WHERE p.kind = 'organization'"),
            "6:2");
  // The newsletter's readers opted in to marketing email, so the demo's
  // newsletter reaches them (issue 16).
  const std::string readers = QueryScalar(
      conninfo,
      "SELECT count(*) FROM partners.partner WHERE custom_fields->>'newsletter' = 'true'");
  EXPECT_NE(readers, "0");
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT count(*) FROM partners.marketing_consent WHERE granted AND "
                        "channel = 'email' AND source = 'import' AND evidence = 'demo data'"),
            readers);
  // One event per partner and per consent.
  EXPECT_EQ(QueryScalar(conninfo,
                        "SELECT (SELECT count(*) FROM kernel.event_outbox) + "
                        "(SELECT count(*) FROM kernel.event) - "
                        "(SELECT count(*) FROM partners.marketing_consent)"),
            "200");
}

}  // namespace
}  // namespace karton::testing
