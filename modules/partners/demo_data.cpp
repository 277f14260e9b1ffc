#include "demo_data.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <array>
#include <map>
#include <stdexcept>

#include "consent/consent_repository.h"
#include "contacts/contact_repository.h"
#include "karton/kernel/module.h"
#include "partner_repository.h"
#include "partner_rules.h"
#include "timeline/timeline_repository.h"
#include "visibility.h"

namespace karton::partners {
namespace {

// A fixed-seed generator: the same demo data on every machine.
class Dice {
 public:
  std::uint64_t Next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 33;
  }
  std::size_t Below(std::size_t bound) { return static_cast<std::size_t>(Next() % bound); }
  template <class List>
  const auto& Pick(const List& list) {
    return list[Below(std::size(list))];
  }
  std::string Digits(int count) {
    std::string digits;
    for (int i = 0; i < count; ++i) digits += static_cast<char>('0' + Below(10));
    return digits;
  }

 private:
  std::uint64_t state_ = 20261125;
};

struct City {
  const char* country;
  const char* postal_code;
  const char* name;
};

constexpr City kHungarianCities[] = {
    {"HU", "1051", "Budapest"},       {"HU", "1117", "Budapest"},    {"HU", "1134", "Budapest"},
    {"HU", "6720", "Szeged"},         {"HU", "4024", "Debrecen"},    {"HU", "7621", "Pécs"},
    {"HU", "9021", "Győr"},           {"HU", "3525", "Miskolc"},     {"HU", "6000", "Kecskemét"},
    {"HU", "8000", "Székesfehérvár"}, {"HU", "3300", "Eger"},        {"HU", "9400", "Sopron"},
    {"HU", "8200", "Veszprém"},       {"HU", "4400", "Nyíregyháza"}, {"HU", "5000", "Szolnok"},
    {"HU", "3910", "Tokaj"},          {"HU", "8600", "Siófok"},      {"HU", "2000", "Szentendre"},
};

constexpr const char* kStreets[] = {
    "Kossuth Lajos utca",
    "Petőfi Sándor utca",
    "Rákóczi út",
    "Széchenyi tér",
    "Ady Endre utca",
    "Arany János utca",
    "Dózsa György út",
    "Bajcsy-Zsilinszky út",
    "Fő utca",
    "Jókai Mór utca",
    "Váci út",
    "Árpád fejedelem útja",
};

constexpr const char* kCompanyStems[] = {
    "Kovács és Társa",    "Tisza Fém",          "Balaton Vendéglátó",     "Duna Logisztika",
    "Mátra Építő",        "Pannon Szoftver",    "Alföldi Mezőgép",        "Szegedi Paprika",
    "Hegyvidék Borászat", "Zöldfa Bútor",       "Fehérvári Autóház",      "Napfény Energia",
    "Kék Madár Nyomda",   "Rábai Acél",         "Bakony Erdészeti",       "Hajdú Tejüzem",
    "Körös Vízgép",       "Tokaji Szőlőbirtok", "Győri Gépgyártó",        "Pécsi Kerámia",
    "Miskolci Vasáru",    "Debreceni Patika",   "Soproni Textil",         "Egri Csillag Turisztika",
    "Kecskeméti Barack",  "Szolnoki Papír",     "Veszprémi Üveg",         "Zalai Olaj",
    "Nyírségi Alma",      "Óbudai Könyvelő",    "Árvíztűrő Tükörfúrógép", "Ősz Utca Pékség",
};
constexpr const char* kCompanyKinds[] = {"Kereskedelmi", "Szolgáltató", "Gyártó", "Trade"};
constexpr const char* kCompanyForms[] = {"Kft.", "Zrt.", "Bt.", "Kft."};

constexpr const char* kSurnames[] = {"Nagy",   "Kovács", "Tóth",   "Szabó",  "Horváth",
                                     "Varga",  "Kiss",   "Molnár", "Németh", "Farkas",
                                     "Balogh", "Papp",   "Takács", "Juhász", "Mészáros",
                                     "Simon",  "Rácz",   "Fekete", "Török",  "Fehér"};
struct GivenName {
  const char* name;
  const char* name_day;
};
constexpr GivenName kGivenNames[] = {
    {"Anna", "07-26"},   {"Éva", "12-24"},    {"Katalin", "11-25"}, {"Zsófia", "05-15"},
    {"Eszter", "11-24"}, {"László", "06-27"}, {"István", "08-20"},  {"József", "03-19"},
    {"Gábor", "03-16"},  {"Péter", "06-29"},  {"Ádám", "12-24"},    {"Bence", "06-21"},
    {"Dóra", "02-06"},   {"Réka", "12-01"},   {"Tamás", "12-21"},   {"Zoltán", "03-18"},
    {"Ágnes", "01-21"},  {"Judit", "05-07"},  {"Attila", "01-07"},  {"Krisztina", "12-15"},
};

struct Foreign {
  const char* name;
  City city;
  const char* street;
  const char* vat_prefix;  // the VAT number is the prefix plus digits
  int vat_digits;
  const char* phone_prefix;  // a mobile range, plus digits
  int phone_digits;
  const char* domain;
};
constexpr Foreign kForeign[] = {
    {"Alpenblick Handels GmbH",
     {"AT", "1010", "Wien"},
     "Kärntner Straße 12",
     "ATU",
     8,
     "+43664",
     7,
     "alpenblick.at"},
    {"Donau Maschinenbau GmbH",
     {"AT", "4020", "Linz"},
     "Landstraße 44",
     "ATU",
     8,
     "+43676",
     7,
     "donau-maschinen.at"},
    {"Steirische Holz GmbH",
     {"AT", "8010", "Graz"},
     "Herrengasse 3",
     "ATU",
     8,
     "+43664",
     7,
     "steirische-holz.at"},
    {"Weber & Söhne KG",
     {"DE", "80331", "München"},
     "Marienplatz 8",
     "DE",
     9,
     "+49151",
     8,
     "weber-soehne.de"},
    {"Nordlicht Software GmbH",
     {"DE", "10115", "Berlin"},
     "Invalidenstraße 117",
     "DE",
     9,
     "+49160",
     8,
     "nordlicht.de"},
    {"Rheinwerk Logistik GmbH",
     {"DE", "50667", "Köln"},
     "Hohe Straße 21",
     "DE",
     9,
     "+49170",
     8,
     "rheinwerk-logistik.de"},
    {"Tatra Trade s.r.o.",
     {"SK", "81101", "Bratislava"},
     "Obchodná 15",
     "SK",
     10,
     "+421905",
     6,
     "tatratrade.sk"},
    {"Carpatica Distribuție SRL",
     {"RO", "400001", "Cluj-Napoca"},
     "Strada Memorandumului 7",
     "RO",
     8,
     "+40722",
     6,
     "carpatica.ro"},
    {"Adria Foods d.o.o.",
     {"HR", "10000", "Zagreb"},
     "Ilica 52",
     "HR",
     11,
     "+38591",
     7,
     "adriafoods.hr"},
    {"Vltava Glass s.r.o.",
     {"CZ", "11000", "Praha"},
     "Národní 28",
     "CZ",
     8,
     "+420603",
     6,
     "vltavaglass.cz"},
};

constexpr const char* kTags[] = {"customer", "prospect",    "vip",        "supplier",
                                 "reseller", "key-account", "newsletter", "export"};
constexpr const char* kIndustries[] = {"retail",     "manufacturing", "agriculture",  "hospitality",
                                       "it",         "logistics",     "construction", "energy",
                                       "healthcare", "services"};
constexpr const char* kCounties[] = {"02", "03", "05", "06", "07", "08", "09", "10", "11",
                                     "13", "14", "15", "16", "17", "18", "19", "20", "22",
                                     "24", "33", "41", "42", "43", "44", "51"};
constexpr const char* kMobilePrefixes[] = {"+3620", "+3630", "+3670", "+3631"};
constexpr const char* kRoles[] = {"Ügyvezető",    "Beszerző",  "Pénzügy",       "Értékesítés",
                                  "Raktárvezető", "Titkárság", "Műszaki vezető"};
struct DemoInteraction {
  v1::InteractionChannel channel;
  v1::InteractionDirection direction;
  const char* subject;
};
constexpr DemoInteraction kInteractions[] = {
    {v1::INTERACTION_CHANNEL_CALL, v1::INTERACTION_DIRECTION_OUTBOUND, "Bemutatkozó hívás"},
    {v1::INTERACTION_CHANNEL_EMAIL, v1::INTERACTION_DIRECTION_OUTBOUND, "Árajánlat elküldve"},
    {v1::INTERACTION_CHANNEL_MEETING, v1::INTERACTION_DIRECTION_OUTBOUND, "Személyes egyeztetés"},
    {v1::INTERACTION_CHANNEL_EMAIL, v1::INTERACTION_DIRECTION_INBOUND,
     "Kérdés a szállítási határidőről"},
    {v1::INTERACTION_CHANNEL_NOTE, v1::INTERACTION_DIRECTION_INTERNAL, "Nyári szünet augusztusban"},
    {v1::INTERACTION_CHANNEL_CALL, v1::INTERACTION_DIRECTION_INBOUND, "Reklamáció: sérült csomag"},
    {v1::INTERACTION_CHANNEL_LETTER, v1::INTERACTION_DIRECTION_OUTBOUND, "Szerződés postázva"},
};

std::string Ascii(std::string text) {
  // Good enough for the demo's email addresses: the accents of the lists.
  static const std::pair<const char*, const char*> kFolds[] = {
      {"á", "a"}, {"é", "e"}, {"í", "i"}, {"ó", "o"}, {"ö", "o"}, {"ő", "o"},
      {"ú", "u"}, {"ü", "u"}, {"ű", "u"}, {"Á", "a"}, {"É", "e"}, {"Ó", "o"},
      {"Ö", "o"}, {"Ő", "o"}, {"Ú", "u"}, {"Ü", "u"}, {"ä", "a"}, {"ț", "t"},
      {"ș", "s"}, {" ", ""},  {"&", ""},  {".", ""},  {"-", ""}};
  for (const auto& [from, to] : kFolds) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
      text.replace(at, std::string_view(from).size(), to);
    }
  }
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string TaxNumber(Dice& dice) {
  const std::string seven = dice.Digits(7);
  static constexpr int kWeights[] = {9, 7, 3, 1, 9, 7, 3};
  int sum = 0;
  for (int i = 0; i < 7; ++i) sum += (seven[i] - '0') * kWeights[i];
  return fmt::format("{}{}-{}-{}", seven, (10 - sum % 10) % 10, 1 + dice.Below(3),
                     dice.Pick(kCounties));
}

std::string HungarianIban(Dice& dice) {
  const std::string account = dice.Digits(24);
  // Check digits: 98 - (account + "HU00", letters as numbers) mod 97.
  const std::string rearranged = account + "173000";  // H=17, U=30, then 00
  int remainder = 0;
  for (char c : rearranged) remainder = (remainder * 10 + (c - '0')) % 97;
  return fmt::format("HU{:02}{}", 98 - remainder, account);
}

void Define(kernel::ModuleContext& context, soci::session& session, const char* key,
            const char* label, v1::CustomFieldType type, std::vector<std::string> choices) {
  if (repository::FindDefinition(session, key, false)) return;
  v1::CustomFieldDefinition definition;
  definition.set_key(key);
  definition.set_label(label);
  definition.set_type(type);
  for (auto& choice : choices) definition.add_choices(std::move(choice));
  repository::InsertDefinition(session, definition, context.Time().Now());
}

// One to three contacts (the first primary) and up to three timeline
// entries from the last year. Written through the repository directly:
// demo contacts carry no events of their own, the partner's is enough.
void AddContactsAndTimeline(kernel::ModuleContext& context, soci::session& session, Dice& dice,
                            const v1::Partner& partner) {
  const auto now = context.Time().Now();
  std::vector<std::int64_t> contact_ids;
  const std::size_t contacts = 1 + dice.Below(3);
  for (std::size_t i = 0; i < contacts; ++i) {
    const char* surname = dice.Pick(kSurnames);
    const GivenName& given = dice.Pick(kGivenNames);
    v1::Contact contact;
    contact.set_name(fmt::format("{} {}", surname, given.name));
    contact.set_role(dice.Pick(kRoles));
    const std::string domain = partner.emails().empty()
                                   ? std::string("example.hu")
                                   : partner.emails(0).substr(partner.emails(0).find('@') + 1);
    contact.add_emails(fmt::format("{}.{}@{}", Ascii(given.name), Ascii(surname), domain));
    if (partner.addresses(0).country() == "HU") {
      contact.add_phones(dice.Pick(kMobilePrefixes) + dice.Digits(7));
    }
    contact.set_name_day(given.name_day);
    contact.set_primary(i == 0);
    std::vector<kernel::FieldViolation> violations;
    NormalizeContact(contact, "contact", violations);
    if (!violations.empty()) {
      throw std::runtime_error(fmt::format("demo contact '{}' is invalid: {}: {}", contact.name(),
                                           violations.front().field,
                                           violations.front().description));
    }
    contact_ids.push_back(repository::InsertContact(session, partner.id(), contact, "", now));
  }
  const std::size_t entries = dice.Below(4);
  for (std::size_t i = 0; i < entries; ++i) {
    const DemoInteraction& demo = dice.Pick(kInteractions);
    v1::Interaction interaction;
    interaction.set_partner_id(partner.id());
    interaction.set_contact_id(contact_ids[dice.Below(contact_ids.size())]);
    interaction.set_channel(demo.channel);
    interaction.set_direction(demo.direction);
    interaction.set_subject(demo.subject);
    interaction.set_source_module("partners");
    interaction.mutable_occur_time()->set_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() -
        static_cast<std::int64_t>(dice.Below(365 * 24)) * 3600);
    repository::InsertInteraction(session, interaction, now);
  }
}

}  // namespace

void LoadPartnerDemoData(kernel::ModuleContext& context, soci::session& session) {
  Define(context, session, "industry", "Iparág", v1::CUSTOM_FIELD_TYPE_CHOICE,
         {std::begin(kIndustries), std::end(kIndustries)});
  Define(context, session, "employees", "Létszám", v1::CUSTOM_FIELD_TYPE_NUMBER, {});
  Define(context, session, "customer_since", "Ügyfél óta", v1::CUSTOM_FIELD_TYPE_DATE, {});
  // The automation demo's rule calls before a demo licence ends.
  Define(context, session, "demo_expires", "Demó licenc lejár", v1::CUSTOM_FIELD_TYPE_DATE, {});
  Define(context, session, "newsletter", "Hírlevél", v1::CUSTOM_FIELD_TYPE_BOOL, {});
  Definitions definitions;
  for (auto& definition : repository::ListDefinitions(session)) {
    definitions.emplace(definition.key(), std::move(definition));
  }

  Dice dice;
  std::vector<v1::Partner> partners;
  // Position in `partners` -> the position of its parent company.
  std::map<std::size_t, int> parent_of;
  // Hungarian organisations: every stem in two kinds of business.
  for (std::size_t i = 0; i < std::size(kCompanyStems) * 4; ++i) {
    const char* stem = kCompanyStems[i % std::size(kCompanyStems)];
    const char* kind = kCompanyKinds[i / std::size(kCompanyStems)];
    const City& city = dice.Pick(kHungarianCities);
    v1::Partner partner;
    partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
    partner.set_display_name(fmt::format("{} {} {}", stem, kind, dice.Pick(kCompanyForms)));
    partner.set_legal_name(partner.display_name());
    partner.set_tax_number(TaxNumber(dice));
    partner.set_eu_vat_number("HU" + partner.tax_number().substr(0, 8));
    partner.set_registration_number(
        fmt::format("{:02}-{:02}-{}", 1 + dice.Below(20), 9 + dice.Below(2), dice.Digits(6)));
    auto* address = partner.add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_BILLING);
    address->set_country(city.country);
    address->set_postal_code(city.postal_code);
    address->set_city(city.name);
    address->set_street(fmt::format("{} {}.", dice.Pick(kStreets), 1 + dice.Below(120)));
    const std::string domain = fmt::format("{}{}.hu", Ascii(stem), i / std::size(kCompanyStems));
    partner.add_emails("info@" + domain);
    partner.add_phones(dice.Pick(kMobilePrefixes) + dice.Digits(7));
    partner.set_website("https://www." + domain);
    partner.add_tags(dice.Pick(kTags));
    if (dice.Below(3) == 0) partner.add_tags(dice.Pick(kTags));
    (*partner.mutable_custom_fields())["industry"] = dice.Pick(kIndustries);
    (*partner.mutable_custom_fields())["employees"] = std::to_string(2 + dice.Below(800));
    (*partner.mutable_custom_fields())["customer_since"] = fmt::format(
        "{}-{:02}-{:02}", 2005 + dice.Below(20), 1 + dice.Below(12), 1 + dice.Below(28));
    partner.mutable_credit_limit()->set_currency_code("HUF");
    partner.mutable_credit_limit()->set_minor_units(static_cast<std::int64_t>(dice.Below(50)) *
                                                    100000 * 100);
    partner.set_risk_class(static_cast<v1::RiskClass>(1 + dice.Below(3)));
    auto* account = partner.add_bank_accounts();
    account->set_iban(HungarianIban(dice));
    account->set_bank_name(dice.Below(2) == 0 ? "OTP Bank" : "K&H Bank");
    account->set_currency_code("HUF");
    (*partner.mutable_external_ids())["legacy_erp"] = fmt::format("C-{:05}", 1000 + i);
    // Terms and roles, fixed by position (no dice: the rest of the data
    // stays as it was). Most are customers on 8, 15 or 30 days; every
    // seventh also sells to us, every sixteenth only does.
    partner.set_customer(i % 16 != 5);
    partner.set_supplier(i % 7 == 3 || i % 16 == 5);
    constexpr int kTerms[] = {0, 8, 15, 30, 0};
    partner.set_payment_terms_days(kTerms[i % std::size(kTerms)]);
    // The second to fourth business of the first two stems belong to the
    // first: Kovács és Társa and Tisza Fém are groups.
    if (i >= std::size(kCompanyStems) && i % std::size(kCompanyStems) < 2) {
      parent_of[partners.size()] = static_cast<int>(i % std::size(kCompanyStems));
    }
    partners.push_back(std::move(partner));
  }
  // International organisations.
  for (const auto& foreign : kForeign) {
    v1::Partner partner;
    partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
    partner.set_display_name(foreign.name);
    partner.set_legal_name(foreign.name);
    partner.set_eu_vat_number(foreign.vat_prefix + dice.Digits(foreign.vat_digits));
    if (std::string_view(foreign.vat_prefix) == "RO") {
      partner.set_eu_vat_number(fmt::format("RO{}{}", 1 + dice.Below(9), dice.Digits(7)));
    }
    auto* address = partner.add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_BILLING);
    address->set_country(foreign.city.country);
    address->set_postal_code(foreign.city.postal_code);
    address->set_city(foreign.city.name);
    address->set_street(foreign.street);
    partner.add_emails(std::string("office@") + foreign.domain);
    partner.add_phones(foreign.phone_prefix + dice.Digits(foreign.phone_digits));
    partner.set_website(std::string("https://www.") + foreign.domain);
    partner.add_tags("export");
    (*partner.mutable_custom_fields())["industry"] = dice.Pick(kIndustries);
    partner.mutable_credit_limit()->set_currency_code("EUR");
    partner.mutable_credit_limit()->set_minor_units(static_cast<std::int64_t>(1 + dice.Below(20)) *
                                                    1000 * 100);
    // Abroad: invoiced in euro, in English, on 30 days; the machine and
    // wood makers supply us too.
    partner.set_default_currency_code("EUR");
    partner.set_preferred_language("en");
    partner.set_payment_terms_days(30);
    partner.set_customer(true);
    partner.set_supplier(std::string_view(foreign.name).find("Maschinenbau") !=
                             std::string_view::npos ||
                         std::string_view(foreign.name).find("Holz") != std::string_view::npos);
    partners.push_back(std::move(partner));
  }
  // Private persons.
  for (int i = 0; i < 62; ++i) {
    const char* surname = dice.Pick(kSurnames);
    const GivenName& given = dice.Pick(kGivenNames);
    const City& city = dice.Pick(kHungarianCities);
    v1::Partner partner;
    partner.set_kind(v1::PARTNER_KIND_PERSON);
    // Named by first and last name: the display name is derived from them,
    // family name first ("Nagy Anna").
    partner.set_first_name(given.name);
    partner.set_last_name(surname);
    if (i % 10 == 4) partner.set_salutation("Dr.");
    partner.set_customer(i % 3 != 0);  // the others are prospects
    auto* address = partner.add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_HOME);
    address->set_country(city.country);
    address->set_postal_code(city.postal_code);
    address->set_city(city.name);
    address->set_street(fmt::format("{} {}.", dice.Pick(kStreets), 1 + dice.Below(80)));
    partner.add_emails(fmt::format("{}.{}{}@example.hu", Ascii(given.name), Ascii(surname), i));
    partner.add_phones(dice.Pick(kMobilePrefixes) + dice.Digits(7));
    partner.add_tags(i % 3 == 0 ? "prospect" : "customer");
    partner.mutable_birthday()->set_year(static_cast<int>(1950 + dice.Below(50)));
    partner.mutable_birthday()->set_month(static_cast<int>(1 + dice.Below(12)));
    partner.mutable_birthday()->set_day(static_cast<int>(1 + dice.Below(28)));
    partner.set_name_day(given.name_day);
    (*partner.mutable_custom_fields())["newsletter"] = dice.Below(2) == 0 ? "true" : "false";
    partners.push_back(std::move(partner));
  }

  const kernel::Caller kartond = kernel::Caller::Internal();  // demo data is kartond's own work
  for (std::size_t position = 0; position < partners.size(); ++position) {
    v1::Partner& partner = partners[position];
    // Parents come first in the list, so their ids are known.
    if (const auto parent = parent_of.find(position); parent != parent_of.end()) {
      partner.set_parent_partner_id(partners[static_cast<std::size_t>(parent->second)].id());
    }
    std::vector<kernel::FieldViolation> violations;
    NormalizePartner(partner, definitions, "partner", violations);
    if (!violations.empty()) {
      throw std::runtime_error(fmt::format("demo partner '{}' is invalid: {}: {}",
                                           partner.display_name(), violations.front().field,
                                           violations.front().description));
    }
    partner.set_id(repository::InsertPartner(session, partner, "", context.Time().Now())->id());
    repository::ReplaceExternalIds(session, partner.id(), partner.external_ids());
    // The newsletter's readers opted in to marketing email (docs/partners.md,
    // "Marketing consent"), so the demo's newsletter and greetings reach them.
    if (const auto newsletter = partner.custom_fields().find("newsletter");
        newsletter != partner.custom_fields().end() && newsletter->second == "true") {
      v1::MarketingConsent consent;
      consent.set_partner_id(partner.id());
      consent.set_channel(v1::MARKETING_CHANNEL_EMAIL);
      consent.set_granted(true);
      consent.set_source(v1::CONSENT_SOURCE_IMPORT);
      consent.set_evidence("demo data");
      const auto recorded = repository::InsertConsent(session, consent, 0, context.Time().Now());
      context.Audit().Record(session, kartond, kernel::AuditAction::kCreate,
                             "partners.marketing_consent", recorded.id(),
                             {{"partner_id", std::nullopt, std::to_string(partner.id())},
                              {"contact_id", std::nullopt, "0"},
                              kernel::FieldChange::Created("channel", "email"),
                              {"granted", std::nullopt, "true"},
                              kernel::FieldChange::Created("source", "import"),
                              kernel::FieldChange::Created("evidence", "demo data")});
      context.Events().Publish(session, "partners.consent.recorded", partner.id(), recorded,
                               kartond);
    }
    const v1::Partner stored =
        *repository::FindPartner(session, partner.id(), repository::Visibility::Everyone());
    const auto diffs = DiffPartners(nullptr, stored);
    std::vector<kernel::FieldChange> changes;
    v1::PartnerChanged payload;
    *payload.mutable_partner() = stored;
    for (const auto& diff : diffs) {
      changes.push_back({diff.field, diff.old_json, diff.new_json});
      payload.add_changed_fields(diff.field);
    }
    context.Audit().Record(session, kartond, kernel::AuditAction::kCreate, "partners.partner",
                           stored.id(), changes);
    context.Events().Publish(session, "partners.partner.created", stored.id(), payload, kartond);
    if (stored.kind() == v1::PARTNER_KIND_ORGANIZATION)
      AddContactsAndTimeline(context, session, dice, stored);
  }
}

}  // namespace karton::partners
