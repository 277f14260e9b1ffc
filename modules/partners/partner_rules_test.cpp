#include "partner_rules.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace karton::partners {
namespace {

Definitions SomeDefinitions() {
  Definitions definitions;
  v1::CustomFieldDefinition industry;
  industry.set_key("industry");
  industry.set_label("Iparág");
  industry.set_type(v1::CUSTOM_FIELD_TYPE_CHOICE);
  industry.add_choices("retail");
  industry.add_choices("it");
  industry.set_required(true);
  definitions["industry"] = industry;
  v1::CustomFieldDefinition employees;
  employees.set_key("employees");
  employees.set_label("Létszám");
  employees.set_type(v1::CUSTOM_FIELD_TYPE_NUMBER);
  definitions["employees"] = employees;
  return definitions;
}

TEST(NormalizePartner, PutsAValidPartnerIntoNormalForm) {
  v1::Partner partner;
  partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
  partner.set_display_name("  Kovács Kft. ");
  partner.set_tax_number("12345676242");
  partner.add_emails("Info@Kovacs.hu");
  partner.add_emails("info@kovacs.hu");
  partner.add_phones("06 30 123 4567");
  partner.add_tags(" VIP");
  partner.add_tags("vip");
  partner.add_addresses()->set_country("hu");
  (*partner.mutable_custom_fields())["industry"] = "it";
  (*partner.mutable_custom_fields())["employees"] = "";
  partner.set_etag("whatever the client sent");
  std::vector<kernel::FieldViolation> violations;
  NormalizePartner(partner, SomeDefinitions(), "partner", violations);
  ASSERT_TRUE(violations.empty()) << violations.front().field << ": "
                                  << violations.front().description;
  EXPECT_EQ(partner.display_name(), "Kovács Kft.");
  EXPECT_EQ(partner.tax_number(), "12345676-2-42");
  EXPECT_EQ(partner.emails_size(), 1);
  EXPECT_EQ(partner.phones(0), "+36301234567");
  EXPECT_EQ(partner.tags_size(), 1);
  EXPECT_EQ(partner.tags(0), "vip");
  EXPECT_EQ(partner.addresses(0).country(), "HU");
  EXPECT_EQ(partner.custom_fields().count("employees"), 0u);  // empty means none
  EXPECT_TRUE(partner.etag().empty());
}

TEST(NormalizePartner, NamesEveryProblem) {
  v1::Partner partner;
  partner.set_display_name(std::string(300, 'x'));
  partner.mutable_birthday()->set_year(1980);
  partner.add_bank_accounts()->set_iban("HU00 1234");
  (*partner.mutable_custom_fields())["industry"] = "mining";
  (*partner.mutable_custom_fields())["colour"] = "red";
  std::vector<kernel::FieldViolation> violations;
  NormalizePartner(partner, SomeDefinitions(), "partner", violations);
  std::vector<std::string> fields;
  for (const auto& violation : violations) fields.push_back(violation.field);
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"partner.bank_accounts[0].iban", "partner.birthday",
                                              "partner.custom_fields[colour]",
                                              "partner.custom_fields[industry]",
                                              "partner.display_name", "partner.kind"}));
}

TEST(DiffPartners, ListsChangedFieldsWithJsonValues) {
  v1::Partner before;
  before.set_display_name("Old");
  before.add_tags("a");
  before.set_etag("1");
  v1::Partner after = before;
  after.set_display_name("New");
  after.clear_tags();
  after.set_website("https://example.hu");
  after.set_etag("2");
  const auto diffs = DiffPartners(&before, after);
  ASSERT_EQ(diffs.size(), 3u);
  EXPECT_EQ(diffs[0].field, "display_name");
  EXPECT_EQ(*diffs[0].old_json, "\"Old\"");
  EXPECT_EQ(*diffs[0].new_json, "\"New\"");
  EXPECT_EQ(diffs[1].field, "website");
  EXPECT_FALSE(diffs[1].old_json);
  EXPECT_EQ(diffs[2].field, "tags");
  EXPECT_FALSE(diffs[2].new_json);
  EXPECT_TRUE(DiffPartners(&before, before).empty());
}

TEST(DiffPartners, LeavesOutWhatOnlyArchivingAndMergingChange) {
  v1::Partner before;
  before.set_display_name("Same");
  before.set_archived(true);
  before.set_merged_into_id(7);
  v1::Partner after;
  after.set_display_name("Same");
  EXPECT_TRUE(DiffPartners(&before, after).empty());
}

TEST(MergeCards, KeepsKeptValuesFillsGapsAndUnitesLists) {
  v1::Partner keep;
  keep.set_id(1);
  keep.set_kind(v1::PARTNER_KIND_ORGANIZATION);
  keep.set_display_name("Példa Kft.");
  keep.set_website("https://pelda.hu");
  keep.add_emails("a@pelda.hu");
  keep.add_bank_accounts()->set_iban("HU42117730161111101800000000");
  keep.add_addresses()->set_city("Szeged");
  (*keep.mutable_custom_fields())["industry"] = "it";
  (*keep.mutable_external_ids())["erp"] = "K-1";
  v1::Partner merged;
  merged.set_id(2);
  merged.set_kind(v1::PARTNER_KIND_PERSON);
  merged.set_display_name("Pelda");
  merged.set_website("https://other.hu");
  merged.set_tax_number("12345676-2-42");
  merged.set_owner_user_id(5);
  merged.set_risk_class(v1::RISK_CLASS_HIGH);
  merged.mutable_birthday()->set_year(1980);  // a person's, and keep is no person
  merged.set_name_day("03-15");
  merged.add_emails("b@pelda.hu");
  merged.add_emails("a@pelda.hu");
  merged.add_bank_accounts()->set_iban("HU42117730161111101800000000");
  merged.add_bank_accounts()->set_iban("HU90101000000000000000000000");
  merged.add_addresses()->set_city("Szeged");
  merged.add_addresses()->set_city("Pécs");
  (*merged.mutable_custom_fields())["industry"] = "retail";
  (*merged.mutable_custom_fields())["size"] = "12";
  (*merged.mutable_external_ids())["erp"] = "M-1";
  (*merged.mutable_external_ids())["shop"] = "W-1";

  const v1::Partner card = MergeCards(keep, merged);
  EXPECT_EQ(card.id(), 1);
  EXPECT_EQ(card.kind(), v1::PARTNER_KIND_ORGANIZATION);
  EXPECT_EQ(card.display_name(), "Példa Kft.");
  EXPECT_EQ(card.website(), "https://pelda.hu");
  EXPECT_EQ(card.tax_number(), "12345676-2-42");
  EXPECT_EQ(card.owner_user_id(), 5);
  EXPECT_EQ(card.risk_class(), v1::RISK_CLASS_HIGH);
  EXPECT_FALSE(card.has_birthday());
  EXPECT_TRUE(card.name_day().empty());
  EXPECT_EQ(std::vector<std::string>(card.emails().begin(), card.emails().end()),
            (std::vector<std::string>{"a@pelda.hu", "b@pelda.hu"}));
  ASSERT_EQ(card.bank_accounts_size(), 2);
  EXPECT_EQ(card.bank_accounts(1).iban(), "HU90101000000000000000000000");
  ASSERT_EQ(card.addresses_size(), 2);
  EXPECT_EQ(card.addresses(1).city(), "Pécs");
  EXPECT_EQ(card.custom_fields().at("industry"), "it");
  EXPECT_EQ(card.custom_fields().at("size"), "12");
  EXPECT_EQ(card.external_ids().at("erp"), "K-1");
  EXPECT_EQ(card.external_ids().at("shop"), "W-1");
}

TEST(AnonymisePartner, ClearsEveryPersonalFieldAndKeepsTheRest) {
  v1::Partner partner;
  partner.set_id(9);
  partner.set_kind(v1::PARTNER_KIND_PERSON);
  partner.set_display_name("Kiss Anna");
  partner.set_legal_name("Kiss Anna e.v.");
  partner.set_tax_number("12345676-2-42");
  partner.set_eu_vat_number("HU12345676");
  partner.set_registration_number("ev-123");
  partner.set_website("https://kissanna.hu");
  partner.add_emails("anna@kiss.hu");
  partner.add_phones("+36301112233");
  partner.add_addresses()->set_city("Szeged");
  partner.mutable_birthday()->set_year(1985);
  partner.set_name_day("07-26");
  partner.add_bank_accounts()->set_iban("HU42117730161111101800000000");
  (*partner.mutable_custom_fields())["note"] = "likes tea";
  partner.add_tags("vip");
  partner.set_owner_user_id(3);
  (*partner.mutable_external_ids())["shop"] = "U-1";
  partner.set_first_name("Anna");
  partner.set_last_name("Kiss");
  partner.set_salutation("Dr.");
  partner.set_payment_terms_days(30);
  partner.set_default_currency_code("EUR");
  partner.set_preferred_language("en");
  partner.set_customer(true);
  partner.set_parent_partner_id(4);
  v1::Partner before = partner;
  AnonymisePartner(partner);
  EXPECT_EQ(partner.display_name(), "Erased partner 9");
  // Exactly the fields PersonalPartnerFields names changed.
  std::vector<std::string> changed;
  for (const auto& diff : DiffPartners(&before, partner)) changed.push_back(diff.field);
  std::vector<std::string> personal = PersonalPartnerFields();
  std::sort(changed.begin(), changed.end());
  std::sort(personal.begin(), personal.end());
  EXPECT_EQ(changed, personal);
  EXPECT_EQ(partner.tags(0), "vip");
  EXPECT_EQ(partner.owner_user_id(), 3);
  EXPECT_EQ(partner.external_ids().at("shop"), "U-1");
  // The business relation stays: terms, currency, language, roles, group.
  EXPECT_EQ(partner.payment_terms_days(), 30);
  EXPECT_EQ(partner.default_currency_code(), "EUR");
  EXPECT_EQ(partner.preferred_language(), "en");
  EXPECT_TRUE(partner.customer());
  EXPECT_EQ(partner.parent_partner_id(), 4);

  v1::Contact contact;
  contact.set_id(4);
  contact.set_name("Kiss Béla");
  contact.set_role("husband");
  contact.add_emails("bela@kiss.hu");
  contact.set_primary(true);
  AnonymiseContact(contact);
  EXPECT_EQ(contact.name(), "Erased contact 4");
  EXPECT_TRUE(contact.role().empty());
  EXPECT_TRUE(contact.emails().empty());
  EXPECT_TRUE(contact.primary());
}

v1::Partner Person(const std::string& first, const std::string& last) {
  v1::Partner partner;
  partner.set_kind(v1::PARTNER_KIND_PERSON);
  partner.set_first_name(first);
  partner.set_last_name(last);
  return partner;
}

TEST(PersonDisplayName, IsHungarianOrderFamilyNameFirst) {
  EXPECT_EQ(PersonDisplayName("Anna", "Kovács"), "Kovács Anna");
  EXPECT_EQ(PersonDisplayName(" Anna Mária ", "Kovácsné Nagy"), "Kovácsné Nagy Anna Mária");
  EXPECT_EQ(PersonDisplayName("", "Kovács"), "Kovács");
  EXPECT_EQ(PersonDisplayName("Anna", ""), "Anna");
  EXPECT_EQ(PersonDisplayName("", ""), "");
}

TEST(NormalizePartner, NamesAPersonWithoutADisplayNameFamilyNameFirst) {
  std::vector<kernel::FieldViolation> violations;
  v1::Partner anna = Person(" Anna ", "Kovács");
  anna.set_salutation(" Dr. ");
  NormalizePartner(anna, {}, "partner", violations);
  EXPECT_TRUE(violations.empty());
  EXPECT_EQ(anna.display_name(), "Kovács Anna");  // the salutation is not part of it
  EXPECT_EQ(anna.first_name(), "Anna");
  EXPECT_EQ(anna.salutation(), "Dr.");
  // A display name given stays as given.
  v1::Partner named = Person("Anna", "Kovács");
  named.set_display_name("Kovács Anna (Szeged)");
  NormalizePartner(named, {}, "partner", violations);
  EXPECT_EQ(named.display_name(), "Kovács Anna (Szeged)");
  // Rows an import may match are checked for what they have: no name is
  // made up for them.
  v1::Partner partial = Person("Anna", "Kovács");
  NormalizePartner(partial, {}, "partner", violations, /*partial=*/true);
  EXPECT_TRUE(partial.display_name().empty());
  EXPECT_TRUE(violations.empty());
  // Without any name, the display name is still required.
  v1::Partner nameless = Person("", "");
  NormalizePartner(nameless, {}, "partner", violations);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "partner.display_name");
}

TEST(NormalizePartner, RefusesPersonsNamesOnOrganizations) {
  v1::Partner partner;
  partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
  partner.set_display_name("Kovács Kft.");
  partner.set_first_name("Anna");
  partner.set_last_name("Kovács");
  partner.set_salutation("Dr.");
  std::vector<kernel::FieldViolation> violations;
  NormalizePartner(partner, {}, "partner", violations);
  std::vector<std::string> fields;
  for (const auto& violation : violations) fields.push_back(violation.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"partner.first_name", "partner.last_name",
                                              "partner.salutation"}));
  // Too long for a person too.
  v1::Partner long_names = Person(std::string(101, 'a'), "Kovács");
  long_names.set_salutation(std::string(31, 'D'));
  violations.clear();
  NormalizePartner(long_names, {}, "partner", violations);
  fields.clear();
  for (const auto& violation : violations) fields.push_back(violation.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"partner.first_name", "partner.salutation",
                                              "partner.display_name"}));
}

TEST(NormalizePartner, ChecksTermsCurrencyLanguageAndParent) {
  v1::Partner partner;
  partner.set_id(7);
  partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
  partner.set_display_name("Kovács Kft.");
  partner.set_payment_terms_days(365);
  partner.set_default_currency_code(" eur ");
  partner.set_preferred_language("EN");
  partner.set_parent_partner_id(3);
  std::vector<kernel::FieldViolation> violations;
  NormalizePartner(partner, {}, "partner", violations);
  EXPECT_TRUE(violations.empty()) << violations.front().field;
  EXPECT_EQ(partner.default_currency_code(), "EUR");
  EXPECT_EQ(partner.preferred_language(), "en");

  for (const int days : {-1, 366}) {
    v1::Partner bad = partner;
    bad.set_payment_terms_days(days);
    violations.clear();
    NormalizePartner(bad, {}, "partner", violations);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field, "partner.payment_terms_days");
  }
  v1::Partner bad = partner;
  bad.set_default_currency_code("USD");  // ISO 4217, but not one Karton prices in
  bad.set_preferred_language("de");
  bad.set_parent_partner_id(7);
  violations.clear();
  NormalizePartner(bad, {}, "partner", violations);
  std::vector<std::string> fields;
  for (const auto& violation : violations) fields.push_back(violation.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"partner.default_currency_code", "partner.preferred_language",
                                      "partner.parent_partner_id"}));
  bad.set_parent_partner_id(-2);
  violations.clear();
  NormalizePartner(bad, {}, "partner", violations);
  EXPECT_EQ(violations.back().field, "partner.parent_partner_id");
  // Empty means the defaults: HUF, hu.
  v1::Partner defaults = partner;
  defaults.clear_default_currency_code();
  defaults.clear_preferred_language();
  violations.clear();
  NormalizePartner(defaults, {}, "partner", violations);
  EXPECT_TRUE(violations.empty());
  for (const char* path :
       {"payment_terms_days", "default_currency_code", "preferred_language", "customer", "supplier",
        "parent_partner_id", "first_name", "last_name", "salutation"}) {
    EXPECT_TRUE(IsUpdatableField(path)) << path;
  }
}

TEST(MergeCards, FillsTermsAndNamesAndUnitesRoles) {
  v1::Partner keep = Person("", "Kovács");
  keep.set_id(1);
  keep.set_display_name("Kovács");
  keep.set_customer(true);
  keep.set_payment_terms_days(15);
  v1::Partner merged = Person("Anna", "Kovacs");
  merged.set_id(2);
  merged.set_salutation("Dr.");
  merged.set_supplier(true);
  merged.set_payment_terms_days(30);
  merged.set_default_currency_code("EUR");
  merged.set_preferred_language("en");
  merged.set_parent_partner_id(9);
  v1::Partner card = MergeCards(keep, merged);
  EXPECT_EQ(card.first_name(), "Anna");
  EXPECT_EQ(card.last_name(), "Kovács");
  EXPECT_EQ(card.salutation(), "Dr.");
  EXPECT_TRUE(card.customer());
  EXPECT_TRUE(card.supplier());
  EXPECT_EQ(card.payment_terms_days(), 15);
  EXPECT_EQ(card.default_currency_code(), "EUR");
  EXPECT_EQ(card.preferred_language(), "en");
  EXPECT_EQ(card.parent_partner_id(), 9);
  // The merged partner's parent is never the kept one's: it would be itself.
  merged.set_parent_partner_id(1);
  EXPECT_EQ(MergeCards(keep, merged).parent_partner_id(), 0);
  // An organization takes no person's names.
  keep.set_kind(v1::PARTNER_KIND_ORGANIZATION);
  keep.clear_last_name();
  card = MergeCards(keep, merged);
  EXPECT_TRUE(card.first_name().empty());
  EXPECT_TRUE(card.salutation().empty());
}

TEST(CheckDefinition, ChoicesBelongToChoiceFields) {
  std::vector<kernel::FieldViolation> violations;
  v1::CustomFieldDefinition definition;
  definition.set_key("Bad Key");
  definition.set_type(v1::CUSTOM_FIELD_TYPE_CHOICE);
  definition.add_choices("a");
  definition.add_choices("a");
  CheckDefinition(definition, "definition", violations);
  ASSERT_EQ(violations.size(), 3u);
  EXPECT_EQ(violations[0].field, "definition.key");
  EXPECT_EQ(violations[1].field, "definition.label");
  EXPECT_EQ(violations[2].field, "definition.choices[1]");
}

}  // namespace
}  // namespace karton::partners
