#include "partner_rules.h"

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>
#include <re2/re2.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "karton/kernel/proto_json.h"
#include "karton/kernel/updates.h"
#include "validation.h"

namespace karton::partners {
namespace {

constexpr int kMaxRepeated = 50;  // addresses, emails, phones, tags, accounts

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

class Checker {
 public:
  Checker(std::string prefix, std::vector<kernel::FieldViolation>& violations)
      : prefix_(std::move(prefix)), violations_(violations) {}

  void Fail(const std::string& path, std::string problem) {
    violations_.push_back({prefix_ + "." + path, std::move(problem)});
  }

  // Trims and bounds a text field; false when it failed.
  bool Text(const std::string& path, std::string* value, std::size_t max, bool required = false) {
    *value = Trim(*value);
    if (required && value->empty()) {
      Fail(path, "is required");
      return false;
    }
    if (!IsAcceptableText(*value, max)) {
      Fail(path, fmt::format("must be valid UTF-8 of at most {} bytes", max));
      return false;
    }
    return true;
  }

  template <class Normalizer>
  void Normalize(const std::string& path, std::string* value, Normalizer normalize) {
    if (value->empty()) return;
    std::string problem;
    if (auto normal = normalize(*value, problem)) {
      *value = *normal;
    } else {
      Fail(path, problem);
    }
  }

 private:
  std::string prefix_;
  std::vector<kernel::FieldViolation>& violations_;
};

// Normalises each element, drops empties and duplicates (keeping order).
template <class Normalizer>
void NormalizeList(Checker& check, const std::string& name,
                   google::protobuf::RepeatedPtrField<std::string>* values, Normalizer normalize) {
  if (values->size() > kMaxRepeated) {
    check.Fail(name, fmt::format("at most {} entries", kMaxRepeated));
    return;
  }
  std::vector<std::string> kept;
  for (int i = 0; i < values->size(); ++i) {
    std::string problem;
    const std::string trimmed = Trim(values->Get(i));
    if (trimmed.empty()) continue;
    if (auto normal = normalize(trimmed, problem)) {
      if (std::find(kept.begin(), kept.end(), *normal) == kept.end()) kept.push_back(*normal);
    } else {
      check.Fail(fmt::format("{}[{}]", name, i), problem);
    }
  }
  values->Clear();
  for (auto& value : kept) values->Add(std::move(value));
}

void CheckCustomValue(Checker& check, const std::string& key, std::string* value,
                      const v1::CustomFieldDefinition& definition) {
  const std::string path = fmt::format("custom_fields[{}]", key);
  *value = Trim(*value);
  switch (definition.type()) {
    case v1::CUSTOM_FIELD_TYPE_NUMBER: {
      static const RE2 kNumber(R"(-?\d{1,18}(\.\d{1,12})?)");
      if (!RE2::FullMatch(*value, kNumber)) check.Fail(path, "must be a number, e.g. 42 or -3.5");
      break;
    }
    case v1::CUSTOM_FIELD_TYPE_DATE: {
      static const RE2 kDate(R"((\d{4})-(\d{2})-(\d{2}))");
      int year = 0, month = 0, day = 0;
      if (!RE2::FullMatch(*value, kDate, &year, &month, &day) || !IsValidDate(year, month, day)) {
        check.Fail(path, "must be a date, YYYY-MM-DD");
      }
      break;
    }
    case v1::CUSTOM_FIELD_TYPE_BOOL:
      if (*value != "true" && *value != "false") check.Fail(path, "must be true or false");
      break;
    case v1::CUSTOM_FIELD_TYPE_CHOICE:
      if (std::find(definition.choices().begin(), definition.choices().end(), *value) ==
          definition.choices().end()) {
        std::string choices;
        for (const auto& choice : definition.choices()) {
          choices += (choices.empty() ? "" : ", ") + choice;
        }
        check.Fail(path, fmt::format("'{}' is not one of: {}", *value, choices));
      }
      break;
    default:
      check.Text(path, value, kMaxLongText);
      break;
  }
}

const std::set<std::string> kUpdatable = {"kind",          "display_name",  "legal_name",
                                          "tax_number",    "eu_vat_number", "registration_number",
                                          "addresses",     "emails",        "phones",
                                          "website",       "tags",          "owner_user_id",
                                          "custom_fields", "credit_limit",  "risk_class",
                                          "birthday",      "name_day",      "bank_accounts",
                                          "external_ids"};
// What invoicing and sales read (issue 15), and a person's names.
const std::set<std::string> kUpdatableTerms = {
    "payment_terms_days", "default_currency_code", "preferred_language", "customer",
    "supplier",           "parent_partner_id",     "first_name",         "last_name",
    "salutation"};

}  // namespace

bool IsUpdatableContactField(const std::string& path) {
  static const std::set<std::string> kContactFields = {
      "name", "role", "emails", "phones", "birthday", "name_day", "primary", "external_ids"};
  return kContactFields.count(path) > 0;
}

void NormalizeContact(v1::Contact& contact, const std::string& prefix,
                      std::vector<kernel::FieldViolation>& violations) {
  Checker check(prefix, violations);
  contact.clear_create_time();
  contact.clear_update_time();
  contact.clear_etag();
  contact.clear_erase_time();
  contact.clear_marketing_consents();
  check.Text("name", contact.mutable_name(), kMaxShortText, true);
  check.Text("role", contact.mutable_role(), kMaxShortText);
  NormalizeList(check, "emails", contact.mutable_emails(),
                [](const std::string& email, std::string& problem) {
                  return NormalizeEmail(email, problem);
                });
  NormalizeList(check, "phones", contact.mutable_phones(),
                [](const std::string& phone, std::string& problem) {
                  return NormalizePhone(phone, problem);
                });
  if (contact.has_birthday()) {
    const auto& day = contact.birthday();
    if (!IsValidDate(day.year(), day.month(), day.day())) {
      check.Fail("birthday", "must be a whole calendar date (year, month and day)");
    }
  }
  contact.set_name_day(Trim(contact.name_day()));
  if (!contact.name_day().empty() && !IsValidMonthDay(contact.name_day())) {
    check.Fail("name_day", "must be MM-DD, e.g. 03-15");
  }
  static const RE2 kSource(R"([a-z0-9][a-z0-9_.-]{0,62})");
  for (const auto& [source, key] : contact.external_ids()) {
    const std::string path = fmt::format("external_ids[{}]", source);
    if (!RE2::FullMatch(source, kSource)) {
      check.Fail(path, "the source system's name must be [a-z0-9][a-z0-9_.-]*, at most 63");
    } else if (key.empty() || !IsAcceptableText(key, kMaxShortText)) {
      check.Fail(path, fmt::format("the key must be 1 to {} bytes of UTF-8", kMaxShortText));
    }
  }
}

void NormalizeInteraction(v1::Interaction& interaction, const std::string& prefix,
                          std::vector<kernel::FieldViolation>& violations) {
  Checker check(prefix, violations);
  interaction.clear_id();
  interaction.clear_create_time();
  if (interaction.partner_id() <= 0) check.Fail("partner_id", "is required");
  if (interaction.contact_id() < 0) check.Fail("contact_id", "must not be negative");
  if (interaction.channel() == v1::INTERACTION_CHANNEL_UNSPECIFIED ||
      !v1::InteractionChannel_IsValid(interaction.channel())) {
    check.Fail("channel", "is required: CALL, EMAIL, MEETING, LETTER, SMS or NOTE");
  }
  if (interaction.direction() == v1::INTERACTION_DIRECTION_UNSPECIFIED &&
      interaction.channel() == v1::INTERACTION_CHANNEL_NOTE) {
    interaction.set_direction(v1::INTERACTION_DIRECTION_INTERNAL);  // a note is kept, not sent
  }
  if (interaction.direction() == v1::INTERACTION_DIRECTION_UNSPECIFIED ||
      !v1::InteractionDirection_IsValid(interaction.direction())) {
    check.Fail("direction", "is required: INBOUND, OUTBOUND or INTERNAL");
  }
  check.Text("subject", interaction.mutable_subject(), 500);
  if (!IsAcceptableText(interaction.body(), 100000)) {
    check.Fail("body", "must be valid UTF-8 of at most 100000 bytes");
  }
  check.Text("source_reference", interaction.mutable_source_reference(), kMaxShortText);
  if (interaction.user_id() < 0) check.Fail("user_id", "must not be negative");
}

bool IsUpdatableField(const std::string& path) {
  if (path.rfind("custom_fields.", 0) == 0) return path.size() > 14;
  return kUpdatable.count(path) > 0 || kUpdatableTerms.count(path) > 0;
}

void NormalizePartner(v1::Partner& partner, const Definitions& definitions,
                      const std::string& prefix, std::vector<kernel::FieldViolation>& violations,
                      bool partial) {
  Checker check(prefix, violations);
  // Output only: whatever the client sent is not ours to store.
  partner.clear_archived();
  partner.clear_merged_into_id();
  partner.clear_erase_time();
  partner.clear_create_time();
  partner.clear_update_time();
  partner.clear_etag();
  partner.clear_marketing_consents();

  if (partner.kind() != v1::PARTNER_KIND_ORGANIZATION &&
      partner.kind() != v1::PARTNER_KIND_PERSON) {
    check.Fail("kind", "is required: PARTNER_KIND_ORGANIZATION or PARTNER_KIND_PERSON");
  }
  const bool person = partner.kind() == v1::PARTNER_KIND_PERSON;
  // A person's names: persons only; a person without a display name is
  // displayed by them, family name first (Hungarian order).
  const bool first_ok = check.Text("first_name", partner.mutable_first_name(), kMaxPersonName);
  const bool last_ok = check.Text("last_name", partner.mutable_last_name(), kMaxPersonName);
  check.Text("salutation", partner.mutable_salutation(), kMaxSalutation);
  if (!person) {
    if (!partner.first_name().empty()) check.Fail("first_name", "only persons have a first name");
    if (!partner.last_name().empty()) check.Fail("last_name", "only persons have a last name");
    if (!partner.salutation().empty()) check.Fail("salutation", "only persons have a salutation");
  }
  partner.set_display_name(Trim(partner.display_name()));
  if (person && first_ok && last_ok && !partial && partner.display_name().empty()) {
    partner.set_display_name(PersonDisplayName(partner.first_name(), partner.last_name()));
  }
  check.Text("display_name", partner.mutable_display_name(), kMaxShortText, !partial);
  check.Text("legal_name", partner.mutable_legal_name(), kMaxShortText);
  check.Text("registration_number", partner.mutable_registration_number(), 100);
  check.Text("website", partner.mutable_website(), kMaxLongText);
  if (check.Text("tax_number", partner.mutable_tax_number(), 50)) {
    check.Normalize("tax_number", partner.mutable_tax_number(), NormalizeHungarianTaxNumber);
  }
  if (check.Text("eu_vat_number", partner.mutable_eu_vat_number(), 50)) {
    check.Normalize("eu_vat_number", partner.mutable_eu_vat_number(), NormalizeEuVatNumber);
  }

  if (partner.addresses_size() > kMaxRepeated) {
    check.Fail("addresses", fmt::format("at most {} entries", kMaxRepeated));
  }
  for (int i = 0; i < partner.addresses_size(); ++i) {
    auto* address = partner.mutable_addresses(i);
    const std::string path = fmt::format("addresses[{}]", i);
    if (check.Text(path + ".country", address->mutable_country(), 2, true)) {
      check.Normalize(path + ".country", address->mutable_country(), NormalizeCountryCode);
    }
    check.Text(path + ".postal_code", address->mutable_postal_code(), 20);
    check.Text(path + ".city", address->mutable_city(), kMaxShortText);
    check.Text(path + ".street", address->mutable_street(), kMaxShortText);
    check.Text(path + ".extra", address->mutable_extra(), kMaxShortText);
    check.Text(path + ".region", address->mutable_region(), kMaxShortText);
  }
  NormalizeList(check, "emails", partner.mutable_emails(),
                [](const std::string& email, std::string& problem) {
                  return NormalizeEmail(email, problem);
                });
  NormalizeList(check, "phones", partner.mutable_phones(),
                [](const std::string& phone, std::string& problem) {
                  return NormalizePhone(phone, problem);
                });
  NormalizeList(
      check, "tags", partner.mutable_tags(),
      [](const std::string& tag, std::string& problem) { return NormalizeTag(tag, problem); });

  if (partner.owner_user_id() < 0) check.Fail("owner_user_id", "must not be negative");

  for (auto& [key, value] : *partner.mutable_custom_fields()) {
    value = Trim(value);
    if (value.empty()) continue;  // "no value": dropped below
    const auto definition = definitions.find(key);
    if (definition == definitions.end()) {
      check.Fail(fmt::format("custom_fields[{}]", key),
                 "is not a defined custom field (see ListCustomFieldDefinitions)");
      continue;
    }
    CheckCustomValue(check, key, &value, definition->second);
  }
  for (const auto& [key, definition] : definitions) {
    if (!definition.required() || partial) continue;
    const auto value = partner.custom_fields().find(key);
    if (value == partner.custom_fields().end() || value->second.empty()) {
      check.Fail(fmt::format("custom_fields[{}]", key),
                 fmt::format("is required ({})", definition.label()));
    }
  }
  // An empty value means "no value": not stored.
  for (auto it = partner.mutable_custom_fields()->begin();
       it != partner.mutable_custom_fields()->end();) {
    it = it->second.empty() ? partner.mutable_custom_fields()->erase(it) : std::next(it);
  }

  if (partner.has_credit_limit()) {
    auto* limit = partner.mutable_credit_limit();
    if (limit->minor_units() < 0) check.Fail("credit_limit.minor_units", "must not be negative");
    check.Normalize("credit_limit.currency_code", limit->mutable_currency_code(),
                    NormalizeCurrencyCode);
    if (limit->currency_code().empty()) check.Fail("credit_limit.currency_code", "is required");
  }
  if (!v1::RiskClass_IsValid(partner.risk_class())) check.Fail("risk_class", "is not a risk class");

  if (partner.has_birthday()) {
    const auto& day = partner.birthday();
    if (!person) {
      check.Fail("birthday", "only persons have a birthday");
    } else if (!IsValidDate(day.year(), day.month(), day.day())) {
      check.Fail("birthday", "must be a whole calendar date (year, month and day)");
    }
  }
  partner.set_name_day(Trim(partner.name_day()));
  if (!partner.name_day().empty()) {
    if (!person) {
      check.Fail("name_day", "only persons have a name day");
    } else if (!IsValidMonthDay(partner.name_day())) {
      check.Fail("name_day", "must be MM-DD, e.g. 03-15");
    }
  }

  if (partner.bank_accounts_size() > kMaxRepeated) {
    check.Fail("bank_accounts", fmt::format("at most {} entries", kMaxRepeated));
  }
  for (int i = 0; i < partner.bank_accounts_size(); ++i) {
    auto* account = partner.mutable_bank_accounts(i);
    const std::string path = fmt::format("bank_accounts[{}]", i);
    if (check.Text(path + ".iban", account->mutable_iban(), 50, true)) {
      check.Normalize(path + ".iban", account->mutable_iban(), NormalizeIban);
    }
    check.Text(path + ".bank_name", account->mutable_bank_name(), kMaxShortText);
    check.Normalize(path + ".currency_code", account->mutable_currency_code(),
                    NormalizeCurrencyCode);
  }

  static const RE2 kSource(R"([a-z0-9][a-z0-9_.-]{0,62})");
  for (const auto& [source, key] : partner.external_ids()) {
    const std::string path = fmt::format("external_ids[{}]", source);
    if (!RE2::FullMatch(source, kSource)) {
      check.Fail(path, "the source system's name must be [a-z0-9][a-z0-9_.-]*, at most 63");
    } else if (key.empty() || !IsAcceptableText(key, kMaxShortText)) {
      check.Fail(path, fmt::format("the key must be 1 to {} bytes of UTF-8", kMaxShortText));
    }
  }

  // What invoicing and sales read: terms, currency, language, the group.
  if (partner.payment_terms_days() < 0 || partner.payment_terms_days() > kMaxPaymentTermsDays) {
    check.Fail("payment_terms_days",
               fmt::format("must be 0 to {} days (0: the installation's default applies)",
                           kMaxPaymentTermsDays));
  }
  check.Normalize("default_currency_code", partner.mutable_default_currency_code(),
                  NormalizeDefaultCurrency);
  check.Normalize("preferred_language", partner.mutable_preferred_language(), NormalizeLanguage);
  if (partner.parent_partner_id() < 0) {
    check.Fail("parent_partner_id", "must not be negative");
  } else if (partner.parent_partner_id() != 0 && partner.parent_partner_id() == partner.id()) {
    check.Fail("parent_partner_id", "a partner cannot be its own parent");
  }
}

std::string PersonDisplayName(const std::string& first_name, const std::string& last_name) {
  const std::string first = Trim(first_name), last = Trim(last_name);
  if (first.empty() || last.empty()) return first.empty() ? last : first;
  return last + " " + first;
}

void CheckDefinition(const v1::CustomFieldDefinition& definition, const std::string& prefix,
                     std::vector<kernel::FieldViolation>& violations) {
  Checker check(prefix, violations);
  static const RE2 kKey(R"([a-z][a-z0-9_]{0,62})");
  if (!RE2::FullMatch(definition.key(), kKey)) {
    check.Fail("key", "must be [a-z][a-z0-9_]*, at most 63 characters");
  }
  std::string label = definition.label();
  check.Text("label", &label, kMaxShortText, true);
  if (definition.type() == v1::CUSTOM_FIELD_TYPE_UNSPECIFIED ||
      !v1::CustomFieldType_IsValid(definition.type())) {
    check.Fail("type", "is required: TEXT, NUMBER, DATE, BOOL or CHOICE");
  }
  if (definition.type() == v1::CUSTOM_FIELD_TYPE_CHOICE) {
    if (definition.choices().empty()) check.Fail("choices", "a CHOICE field needs choices");
    std::set<std::string> seen;
    for (int i = 0; i < definition.choices_size(); ++i) {
      const std::string& choice = definition.choices(i);
      if (choice.empty() || choice != Trim(choice) || !IsAcceptableText(choice, kMaxShortText)) {
        check.Fail(fmt::format("choices[{}]", i), "must be 1 to 200 bytes without outer spaces");
      } else if (!seen.insert(choice).second) {
        check.Fail(fmt::format("choices[{}]", i), fmt::format("'{}' is listed twice", choice));
      }
    }
  } else if (!definition.choices().empty()) {
    check.Fail("choices", "only CHOICE fields have choices");
  }
}

std::vector<kernel::FieldChange> DiffPartners(const v1::Partner* before, const v1::Partner& after) {
  return kernel::DiffFields(before, after, {"archived", "merged_into_id", "marketing_consents"});
}

v1::Partner MergeCards(const v1::Partner& keep, const v1::Partner& merged) {
  v1::Partner card = keep;
  auto fill = [](std::string* target, const std::string& source) {
    if (target->empty()) *target = source;
  };
  fill(card.mutable_legal_name(), merged.legal_name());
  fill(card.mutable_tax_number(), merged.tax_number());
  fill(card.mutable_eu_vat_number(), merged.eu_vat_number());
  fill(card.mutable_registration_number(), merged.registration_number());
  fill(card.mutable_website(), merged.website());
  if (card.owner_user_id() == 0) card.set_owner_user_id(merged.owner_user_id());
  if (!card.has_credit_limit() && merged.has_credit_limit()) {
    *card.mutable_credit_limit() = merged.credit_limit();
  }
  if (card.risk_class() == v1::RISK_CLASS_UNSPECIFIED) card.set_risk_class(merged.risk_class());
  if (card.kind() == v1::PARTNER_KIND_PERSON) {
    if (!card.has_birthday() && merged.has_birthday()) *card.mutable_birthday() = merged.birthday();
    fill(card.mutable_name_day(), merged.name_day());
    fill(card.mutable_first_name(), merged.first_name());
    fill(card.mutable_last_name(), merged.last_name());
    fill(card.mutable_salutation(), merged.salutation());
  }
  if (card.payment_terms_days() == 0) card.set_payment_terms_days(merged.payment_terms_days());
  fill(card.mutable_default_currency_code(), merged.default_currency_code());
  fill(card.mutable_preferred_language(), merged.preferred_language());
  card.set_customer(card.customer() || merged.customer());
  card.set_supplier(card.supplier() || merged.supplier());
  if (card.parent_partner_id() == 0 && merged.parent_partner_id() != card.id()) {
    card.set_parent_partner_id(merged.parent_partner_id());
  }

  auto unite = [](google::protobuf::RepeatedPtrField<std::string>* target,
                  const google::protobuf::RepeatedPtrField<std::string>& source) {
    for (const auto& value : source) {
      if (std::find(target->begin(), target->end(), value) == target->end()) {
        target->Add(std::string(value));
      }
    }
  };
  unite(card.mutable_emails(), merged.emails());
  unite(card.mutable_phones(), merged.phones());
  unite(card.mutable_tags(), merged.tags());
  for (const auto& address : merged.addresses()) {
    const bool known =
        std::any_of(card.addresses().begin(), card.addresses().end(), [&](const auto& existing) {
          return google::protobuf::util::MessageDifferencer::Equals(existing, address);
        });
    if (!known) *card.add_addresses() = address;
  }
  for (const auto& account : merged.bank_accounts()) {
    const bool known =
        std::any_of(card.bank_accounts().begin(), card.bank_accounts().end(),
                    [&](const auto& existing) { return existing.iban() == account.iban(); });
    if (!known) *card.add_bank_accounts() = account;
  }
  for (const auto& [key, value] : merged.custom_fields())
    card.mutable_custom_fields()->insert({key, value});
  for (const auto& [source, key] : merged.external_ids()) {
    card.mutable_external_ids()->insert({source, key});
  }
  return card;
}

const std::vector<std::string>& PersonalPartnerFields() {
  static const std::vector<std::string> kFields = {
      "display_name", "legal_name", "tax_number",    "eu_vat_number", "registration_number",
      "addresses",    "emails",     "phones",        "website",       "custom_fields",
      "birthday",     "name_day",   "bank_accounts", "first_name",    "last_name",
      "salutation"};
  return kFields;
}

void AnonymisePartner(v1::Partner& partner) {
  partner.set_display_name(fmt::format("Erased partner {}", partner.id()));
  partner.clear_legal_name();
  partner.clear_tax_number();
  partner.clear_eu_vat_number();
  partner.clear_registration_number();
  partner.clear_addresses();
  partner.clear_emails();
  partner.clear_phones();
  partner.clear_website();
  partner.clear_custom_fields();
  partner.clear_birthday();
  partner.clear_name_day();
  partner.clear_bank_accounts();
  partner.clear_first_name();
  partner.clear_last_name();
  partner.clear_salutation();
}

void AnonymiseContact(v1::Contact& contact) {
  contact.set_name(fmt::format("Erased contact {}", contact.id()));
  contact.clear_role();
  contact.clear_emails();
  contact.clear_phones();
  contact.clear_birthday();
  contact.clear_name_day();
}

}  // namespace karton::partners
