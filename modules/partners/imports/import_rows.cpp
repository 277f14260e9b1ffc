#include "imports/import_rows.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <unicode/ucurr.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "validation.h"

namespace karton::partners {
namespace {

// Fields one column feeds, in export order. Multi-valued ones (email,
// phone, tag, contact.email, contact.phone) may have several columns and
// several values per cell.
const std::vector<std::string> kPlainFields = {
    "id",
    "kind",
    "display_name",
    "legal_name",
    "tax_number",
    "eu_vat_number",
    "registration_number",
    "email",
    "phone",
    "website",
    "tag",
    "address.country",
    "address.postal_code",
    "address.city",
    "address.street",
    "address.extra",
    "address.region",
    "owner_user_id",
    "risk_class",
    "credit_limit",
    "credit_limit_currency",
    "birthday",
    "name_day",
    "first_name",
    "last_name",
    "salutation",
    "customer",
    "supplier",
    "payment_terms_days",
    "default_currency_code",
    "preferred_language",
    "parent.id",
    "parent.tax_number",
    "contact.name",
    "contact.role",
    "contact.email",
    "contact.phone",
    // Marketing consent of the partner, per channel (a flag; empty: none
    // recorded), recorded with source import and the import's id.
    "consent.email",
    "consent.sms",
    "consent.letter",
    "consent.phone",
};
const std::set<std::string> kMultiValued = {"email", "phone", "tag", "contact.email",
                                            "contact.phone"};

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> SplitValues(const std::string& cell) {
  std::vector<std::string> values;
  std::size_t start = 0;
  while (start <= cell.size()) {
    const auto end = cell.find(';', start);
    const std::string value = Trim(cell.substr(start, end - start));
    if (!value.empty()) values.push_back(value);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return values;
}

bool IsTarget(const std::string& target, const Definitions& definitions, std::string& problem) {
  if (std::find(kPlainFields.begin(), kPlainFields.end(), target) != kPlainFields.end()) {
    return true;
  }
  if (target.rfind("custom.", 0) == 0) {
    if (definitions.count(target.substr(7)) > 0) return true;
    problem = fmt::format("'{}' is not a defined custom field", target.substr(7));
    return false;
  }
  if (target.rfind("external_id.", 0) == 0 || target.rfind("parent.external_id.", 0) == 0) {
    const std::string source = target.substr(target.find("external_id.") + 12);
    static const RE2 kSource(R"([a-z0-9][a-z0-9_.-]{0,62})");
    if (RE2::FullMatch(source, kSource)) return true;
    problem = fmt::format("'{}' is not a source system name ([a-z0-9][a-z0-9_.-]*)", source);
    return false;
  }
  problem = fmt::format("'{}' is not a field an import can fill ({})", target, ImportFieldList());
  return false;
}

// The import field a violation's path is about: "partner.emails[1]" ->
// "email", "partner.addresses[0].city" -> "address.city".
std::string TargetOfField(const std::string& path) {
  static const std::vector<std::pair<std::string, std::string>> kPrefixes = {
      {"partner.emails", "email"},
      {"partner.phones", "phone"},
      {"partner.tags", "tag"},
      {"partner.credit_limit.currency_code", "credit_limit_currency"},
      {"partner.credit_limit", "credit_limit"},
      {"contact.emails", "contact.email"},
      {"contact.phones", "contact.phone"},
      {"contact.name", "contact.name"},
      {"contact.role", "contact.role"},
  };
  for (const auto& [prefix, target] : kPrefixes) {
    if (path.rfind(prefix, 0) == 0) return target;
  }
  static const RE2 kAddress(R"(partner\.addresses\[\d+\]\.(\w+))");
  static const RE2 kKeyed(R"(partner\.(custom_fields|external_ids)\[(.+)\])");
  std::string field, kind, key;
  if (RE2::FullMatch(path, kAddress, &field)) return "address." + field;
  if (RE2::FullMatch(path, kKeyed, &kind, &key)) {
    return (kind == "custom_fields" ? "custom." : "external_id.") + key;
  }
  return path.rfind("partner.", 0) == 0 ? path.substr(8) : path;
}

// A decimal amount ("1 500 000,50", "1500000.5") in the currency's minor
// units (ISO 4217's digits, from ICU).
std::optional<std::int64_t> MinorUnits(const std::string& text, const std::string& currency) {
  std::string number;
  for (char c : text) {
    if (c == ' ' || c == '\'' || c == '_') continue;
    number += c == ',' ? '.' : c;
  }
  // The no-break space some spreadsheets put between thousands.
  for (auto at = number.find("\xC2\xA0"); at != std::string::npos; at = number.find("\xC2\xA0")) {
    number.erase(at, 2);
  }
  static const RE2 kAmount(R"((\d{1,15})(?:\.(\d{1,4}))?)");
  std::string whole, fraction;
  if (!RE2::FullMatch(number, kAmount, &whole, &fraction)) return std::nullopt;
  UErrorCode status = U_ZERO_ERROR;
  const UChar code[4] = {static_cast<UChar>(currency[0]), static_cast<UChar>(currency[1]),
                         static_cast<UChar>(currency[2]), 0};
  const int digits = currency.size() == 3 ? ucurr_getDefaultFractionDigits(code, &status) : 2;
  if (U_FAILURE(status) || static_cast<int>(fraction.size()) > digits) return std::nullopt;
  // Fifteen whole digits in a currency with four decimals would pass
  // int64's range: such an amount is refused, not wrapped.
  std::int64_t minor = 0;
  const auto add_digit = [&minor](int digit) {
    return !__builtin_mul_overflow(minor, 10, &minor) &&
           !__builtin_add_overflow(minor, digit, &minor);
  };
  for (char c : whole) {
    if (!add_digit(c - '0')) return std::nullopt;
  }
  for (int i = 0; i < digits; ++i) {
    if (!add_digit(static_cast<std::size_t>(i) < fraction.size() ? fraction[i] - '0' : 0)) {
      return std::nullopt;
    }
  }
  return minor;
}

// A flag cell: true/false, yes/no, igen/nem (Hungarian spreadsheets), 1/0.
std::optional<bool> ReadFlag(const std::string& cell) {
  const std::string word = Lower(cell);
  if (word == "true" || word == "yes" || word == "igen" || word == "1") return true;
  if (word == "false" || word == "no" || word == "nem" || word == "0") return false;
  return std::nullopt;
}

}  // namespace

std::string ImportFieldList() {
  std::string list;
  for (const auto& field : kPlainFields) list += (list.empty() ? "" : ", ") + field;
  return list + ", custom.<key>, external_id.<source>, parent.external_id.<source>";
}

std::optional<ColumnPlan> PlanColumns(const std::vector<std::string>& header,
                                      const std::map<std::string, std::string>& mapping,
                                      const Definitions& definitions, std::string& problem) {
  ColumnPlan plan;
  std::set<std::string> seen;
  for (const auto& raw : header) {
    const std::string column = Trim(raw);
    std::string target = column;
    if (!mapping.empty()) {
      const auto mapped = mapping.find(column);
      target = mapped == mapping.end() ? "" : mapped->second;
    }
    if (!target.empty()) {
      if (!IsTarget(target, definitions, problem)) {
        problem = fmt::format("column '{}': {}", column, problem);
        return std::nullopt;
      }
      if (kMultiValued.count(target) == 0 && !seen.insert(target).second) {
        problem =
            fmt::format("column '{}': '{}' is filled by another column already", column, target);
        return std::nullopt;
      }
    }
    plan.headers.push_back(column);
    plan.targets.push_back(target);
  }
  for (const auto& [column, target] : mapping) {
    if (std::find(plan.headers.begin(), plan.headers.end(), column) == plan.headers.end() &&
        !target.empty()) {
      problem =
          fmt::format("column_mapping names '{}', which the file's header does not have", column);
      return std::nullopt;
    }
  }
  if (std::all_of(plan.targets.begin(), plan.targets.end(),
                  [](const std::string& target) { return target.empty(); })) {
    problem = "no column feeds a field";
    return std::nullopt;
  }
  return plan;
}

ImportRow BuildImportRow(const ColumnPlan& plan, const std::vector<std::string>& cells,
                         const ImportDefaults& defaults, const Definitions& definitions) {
  ImportRow row;
  v1::Partner& partner = row.partner;
  partner.set_kind(defaults.kind);
  std::set<std::string> fields;
  common::v1::Address address;
  bool has_address = false;
  v1::Contact contact;
  bool has_contact = false;
  std::string credit_limit_text, currency = "HUF";
  std::string first_external_key;
  // The parent by each kind of key the row gives: id, external key, tax
  // number (the first one given, in that order, is the one used).
  std::string parent_by_id, parent_by_external, parent_by_tax;
  std::string parent_id_column, parent_external_column, parent_tax_column;
  auto column_of = [&](const std::string& target) {
    for (std::size_t i = 0; i < plan.targets.size(); ++i) {
      if (plan.targets[i] == target) return plan.headers[i];
    }
    return std::string();
  };
  auto fail = [&](const std::string& target, const std::string& field, const std::string& problem) {
    row.problems.push_back({column_of(target), field, problem});
  };

  for (std::size_t i = 0; i < plan.targets.size() && i < cells.size(); ++i) {
    const std::string& target = plan.targets[i];
    const std::string cell = Trim(cells[i]);
    if (target.empty() || cell.empty()) continue;
    if (target == "id") {
      if (cell.find_first_not_of("0123456789") != std::string::npos || cell.size() > 18) {
        fail(target, "id", "must be a partner id (a whole number)");
      } else {
        row.karton_id = std::stoll(cell);
      }
    } else if (target == "kind") {
      const std::string word = Lower(cell);
      if (word == "organization" || word == "partner_kind_organization") {
        partner.set_kind(v1::PARTNER_KIND_ORGANIZATION);
      } else if (word == "person" || word == "partner_kind_person") {
        partner.set_kind(v1::PARTNER_KIND_PERSON);
      } else {
        fail(target, "partner.kind", "must be organization or person");
        continue;
      }
      fields.insert("kind");
    } else if (target == "display_name" || target == "legal_name" || target == "tax_number" ||
               target == "eu_vat_number" || target == "registration_number" ||
               target == "website" || target == "name_day" || target == "first_name" ||
               target == "last_name" || target == "salutation" ||
               target == "default_currency_code" || target == "preferred_language") {
      const auto* field = partner.GetDescriptor()->FindFieldByName(target);
      partner.GetReflection()->SetString(&partner, field, cell);
      fields.insert(target);
    } else if (target == "email" || target == "phone" || target == "tag") {
      for (const auto& value : SplitValues(cell)) {
        if (target == "email") partner.add_emails(value);
        if (target == "phone") partner.add_phones(value);
        if (target == "tag") partner.add_tags(value);
      }
      fields.insert(target + "s");
    } else if (target.rfind("address.", 0) == 0) {
      has_address = true;
      const auto* field = address.GetDescriptor()->FindFieldByName(target.substr(8));
      address.GetReflection()->SetString(&address, field, cell);
    } else if (target == "customer" || target == "supplier") {
      const auto flag = ReadFlag(cell);
      if (!flag) {
        fail(target, "partner." + target, "must be true or false (yes/no, igen/nem, 1/0)");
        continue;
      }
      if (target == "customer") partner.set_customer(*flag);
      if (target == "supplier") partner.set_supplier(*flag);
      fields.insert(target);
    } else if (target == "payment_terms_days") {
      if (cell.find_first_not_of("0123456789") != std::string::npos || cell.size() > 3) {
        fail(target, "partner.payment_terms_days",
             "must be a whole number of days, 0 to 365 (0: the installation's default)");
        continue;
      }
      partner.set_payment_terms_days(std::stoi(cell));
      fields.insert(target);
    } else if (target == "owner_user_id") {
      if (cell.find_first_not_of("0123456789") != std::string::npos || cell.size() > 18) {
        fail(target, "partner.owner_user_id", "must be a user id (a whole number)");
        continue;
      }
      partner.set_owner_user_id(std::stoll(cell));
      fields.insert("owner_user_id");
    } else if (target == "risk_class") {
      std::string upper = cell;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      v1::RiskClass risk{};
      if (!v1::RiskClass_Parse("RISK_CLASS_" + upper, &risk) ||
          risk == v1::RISK_CLASS_UNSPECIFIED) {
        fail(target, "partner.risk_class", "must be low, medium, high or blocked");
        continue;
      }
      partner.set_risk_class(risk);
      fields.insert("risk_class");
    } else if (target == "credit_limit") {
      credit_limit_text = cell;
    } else if (target == "credit_limit_currency") {
      currency = cell;
      for (char& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (target == "birthday") {
      static const RE2 kDate(R"((\d{4})-(\d{2})-(\d{2}))");
      int year = 0, month = 0, day = 0;
      if (!RE2::FullMatch(cell, kDate, &year, &month, &day)) {
        fail(target, "partner.birthday", "must be a date, YYYY-MM-DD");
        continue;
      }
      partner.mutable_birthday()->set_year(year);
      partner.mutable_birthday()->set_month(month);
      partner.mutable_birthday()->set_day(day);
      fields.insert("birthday");
    } else if (target.rfind("custom.", 0) == 0) {
      (*partner.mutable_custom_fields())[target.substr(7)] = cell;
      fields.insert("custom_fields");
    } else if (target == "parent.id") {
      if (cell.find_first_not_of("0123456789") != std::string::npos || cell.size() > 18 ||
          cell.find_first_not_of('0') == std::string::npos) {
        fail(target, "partner.parent_partner_id", "must be a partner id (a whole number)");
        continue;
      }
      parent_by_id = "id:" + cell;
      parent_id_column = plan.headers[i];
    } else if (target == "parent.tax_number") {
      std::string problem;
      const auto normal = NormalizeHungarianTaxNumber(cell, problem);
      if (!normal) {
        fail(target, "partner.parent_partner_id", "the parent's tax number: " + problem);
        continue;
      }
      parent_by_tax = "tax:" + *normal;
      parent_tax_column = plan.headers[i];
    } else if (target.rfind("parent.external_id.", 0) == 0) {
      if (parent_by_external.empty()) {
        parent_by_external = "ext:" + target.substr(19) + ":" + cell;
        parent_external_column = plan.headers[i];
      }
    } else if (target.rfind("external_id.", 0) == 0) {
      const std::string source = target.substr(12);
      (*partner.mutable_external_ids())[source] = cell;
      if (first_external_key.empty()) first_external_key = "ext:" + source + ":" + cell;
    } else if (target.rfind("consent.", 0) == 0) {
      const auto flag = ReadFlag(cell);
      if (!flag) {
        fail(target, "partner.marketing_consents",
             "must be yes or no (true/false, igen/nem, 1/0); empty records nothing");
        continue;
      }
      row.consents[target.substr(8)] = *flag;
    } else if (target.rfind("contact.", 0) == 0) {
      has_contact = true;
      if (target == "contact.name") contact.set_name(cell);
      if (target == "contact.role") contact.set_role(cell);
      for (const auto& value :
           (kMultiValued.count(target) ? SplitValues(cell) : std::vector<std::string>{})) {
        if (target == "contact.email") contact.add_emails(value);
        if (target == "contact.phone") contact.add_phones(value);
      }
    }
  }
  if (has_address) {
    address.set_type(partner.kind() == v1::PARTNER_KIND_PERSON ? common::v1::ADDRESS_TYPE_HOME
                                                               : common::v1::ADDRESS_TYPE_BILLING);
    if (address.country().empty()) address.set_country(defaults.country);
    *partner.add_addresses() = address;
    fields.insert("addresses");
  }
  if (!credit_limit_text.empty()) {
    std::string problem;
    const auto code = NormalizeCurrencyCode(currency, problem);
    const auto minor = code ? MinorUnits(credit_limit_text, *code) : std::nullopt;
    if (!code) {
      fail("credit_limit_currency", "partner.credit_limit.currency_code", problem);
    } else if (!minor) {
      fail("credit_limit", "partner.credit_limit",
           fmt::format("must be an amount in {}, e.g. 1500000 or 1500000.50", *code));
    } else {
      partner.mutable_credit_limit()->set_currency_code(*code);
      partner.mutable_credit_limit()->set_minor_units(*minor);
      fields.insert("credit_limit_currency");
      fields.insert("credit_limit_minor");
    }
  }

  if (!parent_by_id.empty()) {
    row.parent_ref = parent_by_id;
    row.parent_column = parent_id_column;
  } else if (!parent_by_external.empty()) {
    row.parent_ref = parent_by_external;
    row.parent_column = parent_external_column;
  } else if (!parent_by_tax.empty()) {
    row.parent_ref = parent_by_tax;
    row.parent_column = parent_tax_column;
  }

  // The keys that find an existing partner, strongest first.
  if (row.karton_id > 0) {
    row.partner_key = "id:" + std::to_string(row.karton_id);
  } else if (!first_external_key.empty()) {
    row.partner_key = first_external_key;
  }
  // A row that cannot match anything can only create: check it as a
  // complete card. One that may match is checked for what it has.
  const bool may_match = !row.partner_key.empty() || !partner.tax_number().empty();
  std::vector<kernel::FieldViolation> violations;
  NormalizePartner(partner, definitions, "partner", violations, may_match);
  // A person without a display name is named by first and last name
  // (NormalizePartner, on rows that can only create).
  if (!partner.display_name().empty()) fields.insert("display_name");
  if (row.partner_key.empty() && !partner.tax_number().empty() && violations.empty()) {
    row.partner_key = "tax:" + partner.tax_number();
  }
  if (has_contact) {
    NormalizeContact(contact, "contact", violations);
    row.contact = contact;
  }
  for (auto& violation : violations) {
    row.problems.push_back(
        {column_of(TargetOfField(violation.field)), violation.field, violation.description});
  }
  row.fields.assign(fields.begin(), fields.end());
  const auto add_once = [](std::vector<std::string>& to, const auto& values) {
    for (const auto& value : values) {
      if (std::find(to.begin(), to.end(), value) == to.end()) to.push_back(value);
    }
  };
  add_once(row.emails, partner.emails());
  add_once(row.phones, partner.phones());
  if (row.contact) {
    add_once(row.emails, row.contact->emails());
    add_once(row.phones, row.contact->phones());
  }
  row.creatable = !partner.display_name().empty();
  for (const auto& [key, definition] : definitions) {
    if (definition.required() && partner.custom_fields().count(key) == 0) row.creatable = false;
  }
  return row;
}

std::vector<std::string> ExportHeader(const Definitions& definitions,
                                      const std::vector<std::string>& external_sources) {
  std::vector<std::string> header;
  for (const auto& field : kPlainFields) {
    // The parent is exported by its id (what an import matches first).
    if (field.rfind("contact.", 0) != 0 && field.rfind("consent.", 0) != 0 &&
        field != "parent.tax_number") {
      header.push_back(field);
    }
  }
  for (const auto& [key, definition] : definitions) header.push_back("custom." + key);
  for (const auto& source : external_sources) header.push_back("external_id." + source);
  return header;
}

std::vector<std::string> ExportCells(const v1::Partner& partner,
                                     const std::vector<std::string>& header) {
  auto join = [](const auto& values) {
    std::string joined;
    for (const auto& value : values) joined += (joined.empty() ? "" : ";") + value;
    return joined;
  };
  const common::v1::Address* address =
      partner.addresses().empty() ? nullptr : &partner.addresses(0);
  std::vector<std::string> cells;
  for (const auto& field : header) {
    std::string cell;
    if (field == "id") {
      cell = std::to_string(partner.id());
    } else if (field == "kind") {
      cell = partner.kind() == v1::PARTNER_KIND_PERSON ? "person" : "organization";
    } else if (field == "email") {
      cell = join(partner.emails());
    } else if (field == "phone") {
      cell = join(partner.phones());
    } else if (field == "tag") {
      cell = join(partner.tags());
    } else if (field.rfind("address.", 0) == 0) {
      if (address != nullptr) {
        const auto* descriptor = address->GetDescriptor()->FindFieldByName(field.substr(8));
        cell = address->GetReflection()->GetString(*address, descriptor);
      }
    } else if (field == "owner_user_id") {
      cell = partner.owner_user_id() == 0 ? "" : std::to_string(partner.owner_user_id());
    } else if (field == "parent.id") {
      cell = partner.parent_partner_id() == 0 ? "" : std::to_string(partner.parent_partner_id());
    } else if (field == "risk_class") {
      cell = partner.risk_class() == v1::RISK_CLASS_UNSPECIFIED
                 ? ""
                 : Lower(v1::RiskClass_Name(partner.risk_class()).substr(11));
    } else if (field == "credit_limit") {
      if (partner.has_credit_limit()) {
        UErrorCode status = U_ZERO_ERROR;
        const std::string& code = partner.credit_limit().currency_code();
        const UChar currency[4] = {static_cast<UChar>(code[0]), static_cast<UChar>(code[1]),
                                   static_cast<UChar>(code[2]), 0};
        const int digits = ucurr_getDefaultFractionDigits(currency, &status);
        std::string units = std::to_string(partner.credit_limit().minor_units());
        if (digits > 0) {
          while (units.size() <= static_cast<std::size_t>(digits)) units.insert(0, "0");
          units.insert(units.size() - static_cast<std::size_t>(digits), ".");
        }
        cell = units;
      }
    } else if (field == "credit_limit_currency") {
      cell = partner.has_credit_limit() ? partner.credit_limit().currency_code() : "";
    } else if (field == "customer" || field == "supplier") {
      cell = (field == "customer" ? partner.customer() : partner.supplier()) ? "true" : "false";
    } else if (field == "payment_terms_days") {
      cell = partner.payment_terms_days() == 0 ? "" : std::to_string(partner.payment_terms_days());
    } else if (field == "birthday") {
      if (partner.has_birthday()) {
        cell = fmt::format("{:04}-{:02}-{:02}", partner.birthday().year(),
                           partner.birthday().month(), partner.birthday().day());
      }
    } else if (field.rfind("custom.", 0) == 0) {
      const auto value = partner.custom_fields().find(field.substr(7));
      if (value != partner.custom_fields().end()) cell = value->second;
    } else if (field.rfind("external_id.", 0) == 0) {
      const auto value = partner.external_ids().find(field.substr(12));
      if (value != partner.external_ids().end()) cell = value->second;
    } else {
      const auto* descriptor = partner.GetDescriptor()->FindFieldByName(field);
      if (descriptor != nullptr) cell = partner.GetReflection()->GetString(partner, descriptor);
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

}  // namespace karton::partners
