// Unit tests of LeadFromSubmission and the public pages (web_form_rules.h)
// beyond web_form_rules_test.cpp: checkboxes, character counting, the lead's
// title, the lead checks that follow the form's, and the page language.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "forms/web_form_rules.h"

namespace karton::crm {
namespace {

v1::WebForm OfferForm() {
  v1::WebForm form;
  form.set_id(11);
  form.set_slug("ajanlat");
  form.set_title("Ajánlat");
  form.set_language("hu");
  const auto field = [&](const char* name, v1::WebFormFieldType type, bool required) {
    auto* added = form.add_fields();
    added->set_name(name);
    added->set_label(name);
    added->set_type(type);
    added->set_required(required);
    return added;
  };
  field("name", v1::WEB_FORM_FIELD_TYPE_TEXT, false)->set_max_length(10);
  field("company", v1::WEB_FORM_FIELD_TYPE_TEXT, false);
  field("email", v1::WEB_FORM_FIELD_TYPE_EMAIL, true);
  field("phone", v1::WEB_FORM_FIELD_TYPE_PHONE, false);
  field("country", v1::WEB_FORM_FIELD_TYPE_TEXT, false);
  field("newsletter", v1::WEB_FORM_FIELD_TYPE_CHECKBOX, true);
  return form;
}

struct Outcome {
  v1::Lead lead;
  std::vector<std::string> fields;
  const v1::WebFormCategory* category = nullptr;
};

Outcome Submit(const v1::WebForm& form, std::map<std::string, std::string> values) {
  Outcome outcome;
  std::vector<kernel::FieldViolation> violations;
  outcome.lead = LeadFromSubmission(form, values, violations, outcome.category);
  for (const auto& violation : violations) outcome.fields.push_back(violation.field);
  return outcome;
}

TEST(WebFormSubmission, ARequiredCheckboxCountsOnlyWhenTicked) {
  const v1::WebForm form = OfferForm();
  for (const char* ticked : {"on", "true", "1", "yes"}) {
    const auto outcome = Submit(form, {{"email", "kiss@pelda.hu"}, {"newsletter", ticked}});
    EXPECT_TRUE(outcome.fields.empty()) << ticked;
    EXPECT_EQ(outcome.lead.custom_fields().at("newsletter"), "yes") << ticked;
  }
  for (const char* unticked : {"off", "false", "0", "Yes", ""}) {
    const auto outcome = Submit(form, {{"email", "kiss@pelda.hu"}, {"newsletter", unticked}});
    EXPECT_EQ(outcome.fields, (std::vector<std::string>{"newsletter"})) << unticked;
  }
}

TEST(WebFormSubmission, LengthsCountCharactersNotBytes) {
  const v1::WebForm form = OfferForm();
  // Ten characters, fourteen bytes: fits a field of at most 10.
  const auto fits =
      Submit(form, {{"name", "Őrző Ödönő"}, {"email", "o@pelda.hu"}, {"newsletter", "on"}});
  EXPECT_TRUE(fits.fields.empty());
  EXPECT_EQ(fits.lead.contact_name(), "Őrző Ödönő");
  const auto too_long =
      Submit(form, {{"name", "Őrző Ödönők"}, {"email", "o@pelda.hu"}, {"newsletter", "on"}});
  EXPECT_EQ(too_long.fields, (std::vector<std::string>{"name"}));
}

TEST(WebFormSubmission, TheTitleNamesTheCompanyElseThePersonElseTheForm) {
  const v1::WebForm form = OfferForm();
  const std::map<std::string, std::string> base = {{"email", "kiss@pelda.hu"},
                                                   {"newsletter", "on"}};
  auto values = base;
  EXPECT_EQ(Submit(form, values).lead.title(), "Ajánlat");
  values["name"] = "Kiss";
  EXPECT_EQ(Submit(form, values).lead.title(), "Ajánlat: Kiss");
  values["company"] = "Pelda Kft.";
  const auto outcome = Submit(form, values);
  EXPECT_EQ(outcome.lead.title(), "Ajánlat: Pelda Kft.");
  EXPECT_EQ(outcome.lead.company_name(), "Pelda Kft.");
  // A title longer than a lead's title may be falls back to the form's.
  values["company"] = std::string(195, 'c');
  EXPECT_EQ(Submit(form, values).lead.title(), "Ajánlat");
}

TEST(WebFormSubmission, LeadChecksRunOnlyAfterTheFormsOwnChecksPass) {
  const v1::WebForm form = OfferForm();
  // The form takes any text as a country; the lead's rules then refuse it,
  // naming the form's field without a prefix.
  const auto country =
      Submit(form, {{"email", "kiss@PELDA.hu"}, {"newsletter", "on"}, {"country", "Hungary"}});
  EXPECT_EQ(country.fields, (std::vector<std::string>{"country", "country"}));
  // With a form violation the lead is not checked: only the form's field.
  const auto missing = Submit(form, {{"newsletter", "on"}, {"country", "Hungary"}});
  EXPECT_EQ(missing.fields, (std::vector<std::string>{"email"}));
  const auto good =
      Submit(form, {{"email", "kiss@PELDA.hu"}, {"newsletter", "on"}, {"country", "hu"}});
  EXPECT_TRUE(good.fields.empty());
  EXPECT_EQ(good.lead.country(), "HU");
  EXPECT_EQ(good.lead.email(), "kiss@pelda.hu");
  EXPECT_EQ(good.lead.web_form_id(), 11);
}

TEST(WebFormSubmission, ACategoryIsAFieldOnlyOfFormsThatHaveCategories) {
  const v1::WebForm form = OfferForm();
  const auto outcome =
      Submit(form, {{"email", "kiss@pelda.hu"}, {"newsletter", "on"}, {"category", "demo"}});
  EXPECT_EQ(outcome.fields, (std::vector<std::string>{"category"}));
  EXPECT_EQ(outcome.category, nullptr);
  EXPECT_EQ(outcome.lead.category(), "");

  v1::WebForm with_categories = OfferForm();
  auto* demo = with_categories.add_categories();
  demo->set_key("demo");
  demo->set_user_id(8);
  const auto missing = Submit(with_categories, {{"email", "kiss@pelda.hu"}, {"newsletter", "on"}});
  EXPECT_EQ(missing.fields, (std::vector<std::string>{"category"}));
  const auto chosen = Submit(
      with_categories, {{"email", "kiss@pelda.hu"}, {"newsletter", "on"}, {"category", "demo"}});
  ASSERT_EQ(chosen.category, &with_categories.categories(0));
  EXPECT_EQ(chosen.lead.category(), "demo");
}

TEST(WebFormSubmission, PagesSpeakTheFormsLanguageAndKeepWhatWasChosen) {
  v1::WebForm form = OfferForm();
  auto* demo = form.add_categories();
  demo->set_key("demo");
  demo->set_label("Bemutató");
  EXPECT_NE(ThanksPage(form).find("Köszönjük"), std::string::npos);
  const std::string hungarian =
      FormPage(form, "/forms/ajanlat", {{"category", "demo"}, {"newsletter", "on"}}, {});
  EXPECT_NE(hungarian.find("<option value=\"demo\" selected>Bemutató</option>"), std::string::npos);
  EXPECT_NE(hungarian.find("name=\"newsletter\" required aria-required=\"true\" value=\"on\" "
                           "checked>"),
            std::string::npos);
  EXPECT_NE(hungarian.find(">Küldés</button>"), std::string::npos);
  EXPECT_EQ(hungarian.find("class=\"karton-errors\""), std::string::npos);  // no errors: no banner

  form.set_language("en");
  EXPECT_NE(ThanksPage(form).find("Thank you"), std::string::npos);
  const std::string english =
      FormPage(form, "/forms/ajanlat", {}, {{"email", "is not an email address"}});
  EXPECT_NE(english.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(english.find("Please correct the marked fields."), std::string::npos);
  EXPECT_NE(english.find("<span class=\"karton-error\" id=\"e-email\">is not an email "
                         "address</span>"),
            std::string::npos);
  EXPECT_NE(english.find(">Send</button>"), std::string::npos);
}

// Found by tests/fuzz (web_form): an empty part of the body ("a=1&") was
// read as a field named "", and the post refused as ": is not a field of
// this form".
TEST(WebFormSubmission, EmptyPartsOfTheBodyAreNoFields) {
  std::string problem;
  const auto urlencoded =
      SubmissionFields("&&email=anna%40kiss.hu&=orphan&newsletter=on&", false, problem);
  ASSERT_TRUE(urlencoded) << problem;
  EXPECT_EQ(*urlencoded,
            (std::map<std::string, std::string>{{"email", "anna@kiss.hu"}, {"newsletter", "on"}}));
  const auto json = SubmissionFields(R"({"": "x", "email": "anna@kiss.hu"})", true, problem);
  ASSERT_TRUE(json) << problem;
  EXPECT_EQ(*json, (std::map<std::string, std::string>{{"email", "anna@kiss.hu"}}));
  const Outcome outcome = Submit(OfferForm(), *urlencoded);
  EXPECT_TRUE(outcome.fields.empty()) << outcome.fields[0];
  EXPECT_FALSE(SubmissionFields("a=%zz", false, problem));
  EXPECT_FALSE(SubmissionFields("[1]", true, problem));
}

}  // namespace
}  // namespace karton::crm
