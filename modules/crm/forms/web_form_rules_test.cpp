// Unit tests of the CRM's pure rules: form definitions, submissions, the
// HTML they render, routing rule matching and lead checks.
#include "forms/web_form_rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "leads/lead_rules.h"
#include "leads/routing.h"

namespace karton::crm {
namespace {

v1::WebForm ContactForm() {
  v1::WebForm form;
  form.set_id(7);
  form.set_slug("contact");
  form.set_title("Kapcsolat");
  const auto field = [&](const char* name, v1::WebFormFieldType type, bool required) {
    auto* added = form.add_fields();
    added->set_name(name);
    added->set_label(std::string("Label of ") + name);
    added->set_type(type);
    added->set_required(required);
    return added;
  };
  field("name", v1::WEB_FORM_FIELD_TYPE_TEXT, true)->set_max_length(10);
  field("email", v1::WEB_FORM_FIELD_TYPE_EMAIL, true);
  field("size", v1::WEB_FORM_FIELD_TYPE_SELECT, false)->add_choices("1-10");
  field("privacy", v1::WEB_FORM_FIELD_TYPE_CHECKBOX, true);
  auto* category = form.add_categories();
  category->set_key("demo");
  category->set_label("Demo");
  category->set_team_id(3);
  return form;
}

std::vector<std::string> Fields(const std::vector<kernel::FieldViolation>& violations) {
  std::vector<std::string> fields;
  for (const auto& violation : violations) fields.push_back(violation.field);
  return fields;
}

// Long values used to reach GCC's std::regex, which recursed once per
// character and crashed kartond (security review); RE2 answers in linear time.
TEST(WebFormRules, HugeValuesAreRefusedByNameWithoutCrashing) {
  const std::string huge(1'000'000, 'a');
  v1::WebForm form = ContactForm();
  form.set_language(huge);
  form.add_allowed_origins("https://" + huge);
  form.set_slug(huge);
  std::vector<kernel::FieldViolation> violations;
  NormalizeWebForm(form, violations);
  const auto fields = Fields(violations);
  for (const char* field : {"web_form.slug", "web_form.language", "web_form.allowed_origins[0]"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), field), fields.end()) << field;
  }
  EXPECT_FALSE(LooksLikeEmail(huge + "@" + huge + ".hu"));
  EXPECT_FALSE(LooksLikePhone(std::string(1'000'000, '1')));
}

TEST(WebFormRules, AGoodDefinitionPassesAndBadOnesNameTheField) {
  v1::WebForm form = ContactForm();
  std::vector<kernel::FieldViolation> violations;
  NormalizeWebForm(form, violations);
  EXPECT_TRUE(violations.empty()) << violations.front().field;
  EXPECT_EQ(form.language(), "hu");

  v1::WebForm bad = ContactForm();
  bad.set_slug("Has Spaces");
  bad.mutable_fields(1)->set_type(v1::WEB_FORM_FIELD_TYPE_TEXT);  // "email" must be EMAIL
  bad.mutable_fields(2)->clear_choices();
  bad.add_fields()->CopyFrom(bad.fields(0));  // a repeated name
  bad.add_allowed_origins("https://www.example.hu/with/path");
  bad.set_redirect_url("javascript:alert(1)");
  violations.clear();
  NormalizeWebForm(bad, violations);
  EXPECT_EQ(Fields(violations),
            (std::vector<std::string>{"web_form.slug", "web_form.fields[1].type",
                                      "web_form.fields[2].choices", "web_form.fields[4].name",
                                      "web_form.allowed_origins[0]", "web_form.redirect_url"}));
}

TEST(WebFormRules, ATickedConsentCheckboxIsTheLeadsOptInForItsChannel) {
  v1::WebForm form = ContactForm();
  form.set_title("Hírlevél");
  auto* consent = form.add_fields();
  consent->set_name("consent_email");
  consent->set_label("Kérem a hírlevelet");
  consent->set_type(v1::WEB_FORM_FIELD_TYPE_CHECKBOX);
  std::vector<kernel::FieldViolation> violations;
  const v1::WebFormCategory* category = nullptr;
  std::map<std::string, std::string> values = {{"name", "Kiss"},
                                               {"email", "kiss@example.com"},
                                               {"privacy", "on"},
                                               {"category", "demo"},
                                               {"_website", ""}};
  EXPECT_EQ(LeadFromSubmission(form, values, violations, category).marketing_consents_size(), 0);
  ASSERT_TRUE(violations.empty()) << violations.front().field;
  values["consent_email"] = "on";
  const v1::Lead lead = LeadFromSubmission(form, values, violations, category);
  ASSERT_TRUE(violations.empty()) << violations.front().field;
  ASSERT_EQ(lead.marketing_consents_size(), 1);
  EXPECT_EQ(lead.marketing_consents(0).channel(), partners::v1::MARKETING_CHANNEL_EMAIL);
  EXPECT_TRUE(lead.marketing_consents(0).granted());
  EXPECT_EQ(lead.marketing_consents(0).source(), partners::v1::CONSENT_SOURCE_FORM);
  EXPECT_EQ(lead.marketing_consents(0).evidence(), "web form 'Hírlevél' (" + form.slug() + ")");
}

TEST(WebFormRules, ASubmissionFillsTheLeadAndItsCustomFields) {
  const v1::WebForm form = ContactForm();
  std::vector<kernel::FieldViolation> violations;
  const v1::WebFormCategory* category = nullptr;
  const v1::Lead lead = LeadFromSubmission(form,
                                           {{"name", " Kiss "},
                                            {"email", "kiss@EXAMPLE.com"},
                                            {"size", "1-10"},
                                            {"privacy", "on"},
                                            {"category", "demo"},
                                            {"_website", ""}},
                                           violations, category);
  ASSERT_TRUE(violations.empty()) << violations.front().field;
  ASSERT_NE(category, nullptr);
  EXPECT_EQ(category->team_id(), 3);
  EXPECT_EQ(lead.contact_name(), "Kiss");
  EXPECT_EQ(lead.email(), "kiss@example.com");
  EXPECT_EQ(lead.custom_fields().at("size"), "1-10");
  EXPECT_EQ(lead.custom_fields().at("privacy"), "yes");
  EXPECT_EQ(lead.title(), "Kapcsolat: Kiss");
  EXPECT_EQ(lead.source(), v1::LEAD_SOURCE_WEB_FORM);
  EXPECT_EQ(lead.web_form_id(), 7);
}

TEST(WebFormRules, EveryBadSubmissionNamesItsField) {
  const v1::WebForm form = ContactForm();
  std::vector<kernel::FieldViolation> violations;
  const v1::WebFormCategory* category = nullptr;
  LeadFromSubmission(form,
                     {{"name", "Twelve chars"},
                      {"email", "nope"},
                      {"size", "1000+"},
                      {"category", "other"},
                      {"_website", "http://spam.example"},
                      {"extra", "x"}},
                     violations, category);
  EXPECT_EQ(Fields(violations), (std::vector<std::string>{"_website", "category", "name", "email",
                                                          "size", "privacy", "extra"}));
  EXPECT_EQ(category, nullptr);
}

TEST(WebFormRules, PagesEscapeWhatVisitorsAndEditorsTyped) {
  v1::WebForm form = ContactForm();
  form.set_title("<b>Tom & Jerry</b>");
  const std::string page =
      FormPage(form, "https://crm.example/forms/contact", {{"name", "\"><script>x</script>"}},
               {{"name", "is longer than 10 characters"}});
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(page.find("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""), std::string::npos);
  EXPECT_NE(page.find("aria-invalid=\"true\" aria-describedby=\"e-name\""), std::string::npos);
  EXPECT_NE(page.find("<html lang=\"hu\">"), std::string::npos);
  const std::string snippet = EmbedSnippet(form, "https://crm.example/forms/contact");
  EXPECT_NE(snippet.find("action=\"https://crm.example/forms/contact\""), std::string::npos);
  EXPECT_NE(snippet.find("name=\"_website\""), std::string::npos);
}

TEST(Routing, RulesMatchOnCategoryCountryAndPostalPrefix) {
  v1::Lead lead;
  lead.set_category("demo");
  lead.set_country("HU");
  lead.set_postal_code("6720");
  v1::AssignmentRule rule;
  EXPECT_TRUE(Router::Matches(rule, lead));  // no conditions: the fallback
  rule.set_postal_code_prefix("67");
  rule.set_country("hu");
  rule.set_category("demo");
  EXPECT_TRUE(Router::Matches(rule, lead));
  rule.set_postal_code_prefix("1");
  EXPECT_FALSE(Router::Matches(rule, lead));
  rule.set_postal_code_prefix("");
  rule.set_category("support");
  EXPECT_FALSE(Router::Matches(rule, lead));
}

TEST(LeadRules, LeadsAreTidiedAndChecked) {
  v1::Lead lead;
  lead.set_contact_name("  Kiss  ");
  lead.set_email("Kiss@Example.COM");
  lead.set_country("hu");
  std::vector<kernel::FieldViolation> violations;
  NormalizeLead(lead, "lead.", violations);
  EXPECT_TRUE(violations.empty());
  EXPECT_EQ(lead.contact_name(), "Kiss");
  EXPECT_EQ(lead.email(), "Kiss@example.com");  // the domain only: local parts may differ
  EXPECT_EQ(lead.country(), "HU");

  v1::Lead bad;
  bad.set_phone("call me");
  bad.set_message(std::string("a\0b", 3));
  NormalizeLead(bad, "lead.", violations);
  EXPECT_EQ(Fields(violations), (std::vector<std::string>{"lead.message", "lead.phone"}));
  EXPECT_TRUE(IsAcceptableText("Árvíztűrő\ttükör\n", 100));
  EXPECT_FALSE(IsAcceptableText("\xC3", 100));
  EXPECT_FALSE(IsAcceptableText("\xE0\x80", 100));
}

}  // namespace
}  // namespace karton::crm
