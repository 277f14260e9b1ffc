#include "forms/web_form_rules.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <map>
#include <set>

#include "karton/kernel/http.h"
#include "leads/lead_rules.h"

namespace karton::crm {
namespace {

using kernel::HtmlEscaped;

constexpr int kMaxFields = 50;
constexpr int kHardMaxLength = 10000;

// Lead fields a form field of this name fills; others go to custom_fields.
bool SetWellKnown(v1::Lead& lead, const std::string& name, const std::string& value) {
  if (name == "name")
    lead.set_contact_name(value);
  else if (name == "email")
    lead.set_email(value);
  else if (name == "phone")
    lead.set_phone(value);
  else if (name == "company")
    lead.set_company_name(value);
  else if (name == "tax_number")
    lead.set_tax_number(value);
  else if (name == "country")
    lead.set_country(value);
  else if (name == "postal_code")
    lead.set_postal_code(value);
  else if (name == "city")
    lead.set_city(value);
  else if (name == "message")
    lead.set_message(value);
  else if (name == "title")
    lead.set_title(value);
  else
    return false;
  return true;
}

const char* InputType(v1::WebFormFieldType type) {
  switch (type) {
    case v1::WEB_FORM_FIELD_TYPE_EMAIL:
      return "email";
    case v1::WEB_FORM_FIELD_TYPE_PHONE:
      return "tel";
    case v1::WEB_FORM_FIELD_TYPE_CHECKBOX:
      return "checkbox";
    default:
      return "text";
  }
}

bool Ticked(const std::string& value) {
  return value == "on" || value == "true" || value == "1" || value == "yes";
}

std::string Hungarian(const v1::WebForm& form, const char* hungarian, const char* english) {
  return form.language().rfind("hu", 0) == 0 || form.language().empty() ? hungarian : english;
}

// The <form> element itself, shared by the page and the embed snippet.
std::string FormElement(const v1::WebForm& form, const std::string& action,
                        const std::map<std::string, std::string>& values,
                        const std::vector<kernel::FieldViolation>& errors) {
  std::map<std::string, std::string> error_of;
  for (const auto& error : errors) error_of.emplace(error.field, error.description);
  const auto value_of = [&](const std::string& name) {
    const auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  };
  std::string html = fmt::format(
      "<form class=\"karton-form\" method=\"post\" action=\"{}\" accept-charset=\"utf-8\" "
      "novalidate>\n",
      HtmlEscaped(action));
  if (!errors.empty()) {
    html += fmt::format(
        "<p class=\"karton-errors\" role=\"alert\">{}</p>\n",
        Hungarian(form, "Kérjük, javítsa a jelölt mezőket.", "Please correct the marked fields."));
  }
  const auto field_block = [&](const std::string& name, const std::string& label,
                               const std::string& control, bool required) {
    const auto error = error_of.find(name);
    std::string block = fmt::format(
        "<p class=\"karton-field\"><label for=\"f-{0}\">{1}{2}</label>\n{3}", HtmlEscaped(name),
        HtmlEscaped(label), required ? " <span aria-hidden=\"true\">*</span>" : "", control);
    if (error != error_of.end()) {
      block += fmt::format("\n<span class=\"karton-error\" id=\"e-{}\">{}</span>",
                           HtmlEscaped(name), HtmlEscaped(error->second));
    }
    return block + "</p>\n";
  };
  const auto attributes = [&](const std::string& name, bool required) {
    std::string text = fmt::format("id=\"f-{0}\" name=\"{0}\"", HtmlEscaped(name));
    if (required) text += " required aria-required=\"true\"";
    if (error_of.count(name) > 0) {
      text += fmt::format(" aria-invalid=\"true\" aria-describedby=\"e-{}\"", HtmlEscaped(name));
    }
    return text;
  };
  if (form.categories_size() > 0) {
    std::string select = fmt::format("<select {}>\n<option value=\"\"></option>\n",
                                     attributes(kCategoryField, true));
    for (const auto& category : form.categories()) {
      select += fmt::format("<option value=\"{}\"{}>{}</option>\n", HtmlEscaped(category.key()),
                            value_of(kCategoryField) == category.key() ? " selected" : "",
                            HtmlEscaped(category.label()));
    }
    html += field_block(kCategoryField, Hungarian(form, "Témakör", "Topic"), select + "</select>",
                        true);
  }
  for (const auto& field : form.fields()) {
    const std::string value = value_of(field.name());
    std::string control;
    switch (field.type()) {
      case v1::WEB_FORM_FIELD_TYPE_TEXTAREA:
        control = fmt::format("<textarea {} rows=\"6\" maxlength=\"{}\">{}</textarea>",
                              attributes(field.name(), field.required()), MaxLength(field),
                              HtmlEscaped(value));
        break;
      case v1::WEB_FORM_FIELD_TYPE_SELECT: {
        control = fmt::format("<select {}>\n<option value=\"\"></option>\n",
                              attributes(field.name(), field.required()));
        for (const auto& choice : field.choices()) {
          control += fmt::format("<option{}>{}</option>\n", value == choice ? " selected" : "",
                                 HtmlEscaped(choice));
        }
        control += "</select>";
        break;
      }
      case v1::WEB_FORM_FIELD_TYPE_CHECKBOX:
        control = fmt::format("<input type=\"checkbox\" {} value=\"on\"{}>",
                              attributes(field.name(), field.required()),
                              Ticked(value) ? " checked" : "");
        break;
      default:
        control = fmt::format(
            "<input type=\"{}\" {} maxlength=\"{}\" value=\"{}\"{}>", InputType(field.type()),
            attributes(field.name(), field.required()), MaxLength(field), HtmlEscaped(value),
            field.type() == v1::WEB_FORM_FIELD_TYPE_EMAIL   ? " autocomplete=\"email\""
            : field.type() == v1::WEB_FORM_FIELD_TYPE_PHONE ? " autocomplete=\"tel\""
                                                            : "");
    }
    html += field_block(field.name(), field.label(), control, field.required());
  }
  // People never see or reach this field; bots fill it in.
  html += fmt::format(
      "<p aria-hidden=\"true\" style=\"position:absolute;left:-10000px;top:auto;width:1px;"
      "height:1px;overflow:hidden\"><label for=\"f-hp\">Website</label><input id=\"f-hp\" "
      "type=\"text\" name=\"{}\" tabindex=\"-1\" autocomplete=\"off\" value=\"\"></p>\n",
      kHoneypotField);
  html += fmt::format("<p><button type=\"submit\">{}</button></p>\n</form>\n",
                      Hungarian(form, "Küldés", "Send"));
  return html;
}

std::string Page(const v1::WebForm& form, const std::string& title, const std::string& body) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:36rem;"
      "margin:2rem auto;padding:0 1rem;line-height:1.5}}label{{display:block;font-weight:600}}"
      "input,select,textarea{{width:100%;box-sizing:border-box;font:inherit;padding:.4rem}}"
      "input[type=checkbox]{{width:auto}}.karton-error,.karton-errors{{color:#b00020}}"
      "button{{font:inherit;padding:.5rem 1.5rem}}</style>\n</head><body><main>\n"
      "<h1>{}</h1>\n{}</main></body></html>\n",
      HtmlEscaped(form.language().empty() ? "hu" : form.language()), HtmlEscaped(title),
      HtmlEscaped(title), body);
}

}  // namespace

int MaxLength(const v1::WebFormField& field) {
  if (field.max_length() > 0) return std::min(field.max_length(), kHardMaxLength);
  return field.type() == v1::WEB_FORM_FIELD_TYPE_TEXTAREA ? 5000 : 200;
}

void NormalizeWebForm(v1::WebForm& form, std::vector<kernel::FieldViolation>& violations) {
  static const RE2 kSlug("[a-z0-9][a-z0-9-]{0,62}");
  static const RE2 kName("[a-z][a-z0-9_]{0,39}");
  static const RE2 kOrigin(R"(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)");
  static const RE2 kUrl(R"(https?://[^\s<>"]+)");
  static const RE2 kLanguage("[a-z]{2,3}(-[A-Za-z0-9]{2,8})*");
  const auto fail = [&](std::string field, std::string description) {
    violations.push_back({"web_form." + std::move(field), std::move(description)});
  };
  if (!RE2::FullMatch(form.slug(), kSlug)) {
    fail("slug", "is required: lower-case letters, digits and '-', at most 63");
  }
  form.set_title(Trimmed(form.title()));
  if (form.title().empty() || !IsAcceptableText(form.title(), kMaxShortText)) {
    fail("title", "is required: at most 200 bytes");
  }
  if (!IsAcceptableText(form.description(), 2000)) fail("description", "is at most 2000 bytes");
  if (form.language().empty()) form.set_language("hu");
  if (form.language().size() > 35 || !RE2::FullMatch(form.language(), kLanguage)) {
    fail("language", "is a BCP 47 tag: hu, en");
  }
  if (form.fields_size() == 0 || form.fields_size() > kMaxFields) {
    fail("fields", fmt::format("1 to {} fields", kMaxFields));
  }
  std::set<std::string> names;
  bool has_channel = false;
  for (int i = 0; i < form.fields_size(); ++i) {
    auto& field = *form.mutable_fields(i);
    const std::string path = fmt::format("fields[{}]", i);
    if (!RE2::FullMatch(field.name(), kName) || field.name() == kCategoryField) {
      fail(path + ".name", "is [a-z][a-z0-9_]*, at most 40, and not 'category'");
    } else if (!names.insert(field.name()).second) {
      fail(path + ".name", "is used by another field");
    }
    field.set_label(Trimmed(field.label()));
    if (field.label().empty() || !IsAcceptableText(field.label(), kMaxShortText)) {
      fail(path + ".label", "is required: at most 200 bytes");
    }
    if (field.type() == v1::WEB_FORM_FIELD_TYPE_UNSPECIFIED ||
        !v1::WebFormFieldType_IsValid(field.type())) {
      fail(path + ".type", "is required: TEXT, TEXTAREA, EMAIL, PHONE, SELECT or CHECKBOX");
    }
    if (field.name() == "email" && field.type() != v1::WEB_FORM_FIELD_TYPE_EMAIL) {
      fail(path + ".type", "the field named email is of type EMAIL");
    }
    if (field.name() == "phone" && field.type() != v1::WEB_FORM_FIELD_TYPE_PHONE) {
      fail(path + ".type", "the field named phone is of type PHONE");
    }
    if (field.name() == "email" || field.name() == "phone") has_channel = true;
    if (field.type() == v1::WEB_FORM_FIELD_TYPE_SELECT) {
      if (field.choices_size() == 0 || field.choices_size() > 100) {
        fail(path + ".choices", "a SELECT has 1 to 100 choices");
      }
      for (const auto& choice : field.choices()) {
        if (choice.empty() || !IsAcceptableText(choice, kMaxShortText)) {
          fail(path + ".choices", "choices are 1 to 200 bytes");
          break;
        }
      }
    } else if (field.choices_size() > 0) {
      fail(path + ".choices", "only a SELECT has choices");
    }
    if (field.max_length() < 0 || field.max_length() > kHardMaxLength) {
      fail(path + ".max_length", fmt::format("is 0 to {}", kHardMaxLength));
    }
  }
  if (form.fields_size() > 0 && !has_channel) {
    fail("fields", "ask for an email (a field named email) or a phone (named phone)");
  }
  std::set<std::string> keys;
  for (int i = 0; i < form.categories_size(); ++i) {
    auto& category = *form.mutable_categories(i);
    const std::string path = fmt::format("categories[{}]", i);
    if (!RE2::FullMatch(category.key(), kName)) {
      fail(path + ".key", "is [a-z][a-z0-9_]*, at most 40");
    } else if (!keys.insert(category.key()).second) {
      fail(path + ".key", "is used by another category");
    }
    category.set_label(Trimmed(category.label()));
    if (category.label().empty() || !IsAcceptableText(category.label(), kMaxShortText)) {
      fail(path + ".label", "is required: at most 200 bytes");
    }
    if (category.team_id() < 0 || category.user_id() < 0 ||
        (category.team_id() != 0 && category.user_id() != 0)) {
      fail(path + ".team_id", "give a team_id or a user_id (or neither: the rules decide)");
    }
  }
  for (int i = 0; i < form.allowed_origins_size(); ++i) {
    if (form.allowed_origins(i).size() > 255 || !RE2::FullMatch(form.allowed_origins(i), kOrigin)) {
      fail(fmt::format("allowed_origins[{}]", i),
           "is an origin: scheme, host and port only, e.g. https://www.example.hu");
    }
  }
  if (!form.redirect_url().empty() &&
      (form.redirect_url().size() > 2000 || !RE2::FullMatch(form.redirect_url(), kUrl))) {
    fail("redirect_url", "is an http:// or https:// URL");
  }
  if (!form.confirmation_template().empty() && names.count("email") == 0) {
    fail("confirmation_template", "a confirmation needs a field named email");
  }
  // Stored as given; UNSPECIFIED reads as LEAD, so forms from before stay leads.
  if (!v1::WebFormTarget_IsValid(form.target())) {
    fail("target", "is LEAD or TICKET");
  } else if (form.target() == v1::WEB_FORM_TARGET_TICKET) {
    if (form.ticket_type_id() < 0) fail("ticket_type_id", "is a ticket type's id, or 0: none");
    if (!form.confirmation_template().empty()) {
      fail("confirmation_template",
           "a ticket form sends none: the ticket type's process mails the customer");
    }
    for (int i = 0; i < form.fields_size(); ++i) {
      const std::string& name = form.fields(i).name();
      if (name == "consent_email" || name == "consent_sms" || name == "consent_letter" ||
          name == "consent_phone") {
        fail(fmt::format("fields[{}].name", i),
             "a ticket form records no marketing consent (a lead form does)");
      }
    }
  } else if (form.ticket_type_id() != 0) {
    fail("ticket_type_id", "only a form whose target is TICKET has a ticket type");
  }
}

std::optional<std::map<std::string, std::string>> SubmissionFields(const std::string& body,
                                                                   bool json,
                                                                   std::string& problem) {
  std::map<std::string, std::string> fields;
  constexpr std::size_t kMaxKeys = 100;
  if (json) {
    boost::system::error_code error;
    const boost::json::value parsed = boost::json::parse(body, error);
    if (error || !parsed.is_object()) {
      problem = "the body is not a JSON object";
      return std::nullopt;
    }
    for (const auto& [key, value] : parsed.as_object()) {
      if (key.empty()) continue;  // no field has no name
      if (value.is_string()) {
        fields[std::string(key)] = std::string(value.as_string());
      } else if (value.is_bool() || value.is_number()) {
        fields[std::string(key)] = boost::json::serialize(value);
      } else if (!value.is_null()) {
        problem = fmt::format("{}: is not a string, number or boolean", std::string(key));
        return std::nullopt;
      }
    }
  } else {
    if (!boost::urls::parse_query(body)) {
      problem = "the body is not application/x-www-form-urlencoded";
      return std::nullopt;
    }
    for (const auto& param : boost::urls::params_view(body)) {
      // "a=1&", "a=1&&b=2": an empty part names no field (was refused as
      // the unknown field "", found by fuzzing).
      if (param.key.empty()) continue;
      fields.emplace(param.key, param.value);  // the first of repeated keys counts
    }
  }
  if (fields.size() > kMaxKeys) {
    problem = fmt::format("more than {} fields", kMaxKeys);
    return std::nullopt;
  }
  return fields;
}

v1::Lead LeadFromSubmission(const v1::WebForm& form,
                            const std::map<std::string, std::string>& values,
                            std::vector<kernel::FieldViolation>& violations,
                            const v1::WebFormCategory*& category) {
  v1::Lead lead;
  lead.set_source(v1::LEAD_SOURCE_WEB_FORM);
  lead.set_web_form_id(form.id());
  category = nullptr;
  std::set<std::string> known = {kHoneypotField};
  const auto given = [&](const std::string& name) {
    const auto it = values.find(name);
    return it == values.end() ? std::string() : Trimmed(it->second);
  };
  if (!given(kHoneypotField).empty()) {
    violations.push_back({kHoneypotField, "must stay empty"});
  }
  if (form.categories_size() > 0) {
    known.insert(kCategoryField);
    const std::string key = given(kCategoryField);
    for (const auto& candidate : form.categories()) {
      if (candidate.key() == key) category = &candidate;
    }
    if (category == nullptr) {
      violations.push_back(
          {kCategoryField, key.empty() ? "is required" : "is not one of the choices"});
    } else {
      lead.set_category(key);
    }
  }
  for (const auto& field : form.fields()) {
    known.insert(field.name());
    std::string value = given(field.name());
    if (field.type() == v1::WEB_FORM_FIELD_TYPE_CHECKBOX) {
      value = Ticked(value) ? "yes" : "";
    }
    if (value.empty()) {
      if (field.required()) violations.push_back({field.name(), "is required"});
      continue;
    }
    if (!IsAcceptableText(value, static_cast<std::size_t>(MaxLength(field)) * 4)) {
      violations.push_back({field.name(), "is not text"});
      continue;
    }
    std::size_t characters = 0;
    for (const char c : value) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (characters > static_cast<std::size_t>(MaxLength(field))) {
      violations.push_back(
          {field.name(), fmt::format("is longer than {} characters", MaxLength(field))});
      continue;
    }
    if (field.type() == v1::WEB_FORM_FIELD_TYPE_EMAIL && !LooksLikeEmail(value)) {
      violations.push_back({field.name(), "is not an email address"});
      continue;
    }
    if (field.type() == v1::WEB_FORM_FIELD_TYPE_PHONE && !LooksLikePhone(value)) {
      violations.push_back({field.name(), "is not a phone number"});
      continue;
    }
    if (field.type() == v1::WEB_FORM_FIELD_TYPE_SELECT &&
        std::find(field.choices().begin(), field.choices().end(), value) == field.choices().end()) {
      violations.push_back({field.name(), "is not one of the choices"});
      continue;
    }
    if (field.type() == v1::WEB_FORM_FIELD_TYPE_CHECKBOX) {
      // A consent checkbox: the person opts in to marketing on the channel.
      static const std::map<std::string, partners::v1::MarketingChannel> kConsentFields = {
          {"consent_email", partners::v1::MARKETING_CHANNEL_EMAIL},
          {"consent_sms", partners::v1::MARKETING_CHANNEL_SMS},
          {"consent_letter", partners::v1::MARKETING_CHANNEL_LETTER},
          {"consent_phone", partners::v1::MARKETING_CHANNEL_PHONE}};
      if (const auto channel = kConsentFields.find(field.name()); channel != kConsentFields.end()) {
        auto* consent = lead.add_marketing_consents();
        consent->set_channel(channel->second);
        consent->set_granted(true);
        consent->set_source(partners::v1::CONSENT_SOURCE_FORM);
        consent->set_evidence(fmt::format("web form '{}' ({})", form.title(), form.slug()));
      }
    }
    if (!SetWellKnown(lead, field.name(), value))
      (*lead.mutable_custom_fields())[field.name()] = value;
  }
  for (const auto& [name, value] : values) {
    if (known.count(name) == 0) violations.push_back({name, "is not a field of this form"});
  }
  if (lead.title().empty()) {
    const std::string who =
        !lead.company_name().empty() ? lead.company_name() : lead.contact_name();
    lead.set_title(who.empty() ? form.title() : fmt::format("{}: {}", form.title(), who));
    if (lead.title().size() > kMaxShortText) lead.set_title(form.title());
  }
  if (violations.empty()) NormalizeLead(lead, "", violations);
  return lead;
}

std::string FormPage(const v1::WebForm& form, const std::string& action,
                     const std::map<std::string, std::string>& values,
                     const std::vector<kernel::FieldViolation>& errors) {
  std::string body;
  if (!form.description().empty()) {
    body += fmt::format("<p>{}</p>\n", HtmlEscaped(form.description()));
  }
  return Page(form, form.title(), body + FormElement(form, action, values, errors));
}

std::string EmbedSnippet(const v1::WebForm& form, const std::string& action) {
  return fmt::format("<!-- Karton web form \"{}\": paste where the form should appear -->\n{}",
                     HtmlEscaped(form.slug()), FormElement(form, action, {}, {}));
}

std::string ThanksPage(const v1::WebForm& form) {
  return Page(form, form.title(),
              fmt::format("<p role=\"status\">{}</p>\n",
                          Hungarian(form, "Köszönjük, üzenetét megkaptuk. Hamarosan jelentkezünk.",
                                    "Thank you, we received your message and will be in touch "
                                    "soon.")));
}

}  // namespace karton::crm
