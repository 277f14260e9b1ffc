// Unit tests of NormalizeWebForm and MaxLength (web_form_rules.h) beyond
// web_form_rules_test.cpp: channels, field and category rules, title,
// language, origins and the confirmation's need for an email field.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "forms/web_form_rules.h"

namespace karton::crm {
namespace {

v1::WebFormField* AddField(v1::WebForm& form, const char* name, v1::WebFormFieldType type) {
  auto* field = form.add_fields();
  field->set_name(name);
  field->set_label(std::string("Label of ") + name);
  field->set_type(type);
  return field;
}

// A definition that passes: every test breaks one thing.
v1::WebForm GoodForm() {
  v1::WebForm form;
  form.set_slug("ajanlatkeres");
  form.set_title("Ajánlatkérés");
  AddField(form, "name", v1::WEB_FORM_FIELD_TYPE_TEXT);
  AddField(form, "email", v1::WEB_FORM_FIELD_TYPE_EMAIL);
  return form;
}

std::vector<std::string> Violations(v1::WebForm& form) {
  std::vector<kernel::FieldViolation> violations;
  NormalizeWebForm(form, violations);
  std::vector<std::string> fields;
  for (const auto& violation : violations) fields.push_back(violation.field);
  return fields;
}

TEST(WebFormDefinition, ATicketFormHasATypeButNoConfirmationOrConsent) {
  using Fields = std::vector<std::string>;
  auto form = GoodForm();
  form.set_target(v1::WEB_FORM_TARGET_TICKET);
  form.set_ticket_type_id(3);
  EXPECT_EQ(Violations(form), Fields{});
  form.set_ticket_type_id(-1);
  EXPECT_EQ(Violations(form), Fields{"web_form.ticket_type_id"});
  form.set_ticket_type_id(0);
  form.set_confirmation_template("koszonjuk");
  EXPECT_EQ(Violations(form), Fields{"web_form.confirmation_template"});
  form.clear_confirmation_template();
  AddField(form, "consent_email", v1::WEB_FORM_FIELD_TYPE_CHECKBOX);
  AddField(form, "consent_terms", v1::WEB_FORM_FIELD_TYPE_CHECKBOX);
  EXPECT_EQ(Violations(form), Fields{"web_form.fields[2].name"});
  // A lead form (the default) takes no ticket type; a target must be one.
  auto lead_form = GoodForm();
  lead_form.set_ticket_type_id(3);
  EXPECT_EQ(Violations(lead_form), Fields{"web_form.ticket_type_id"});
  lead_form.set_ticket_type_id(0);
  lead_form.set_target(static_cast<v1::WebFormTarget>(9));
  EXPECT_EQ(Violations(lead_form), Fields{"web_form.target"});
}

TEST(WebFormDefinition, MaxLengthDefaultsByTypeAndIsCappedAtTenThousand) {
  v1::WebFormField field;
  field.set_type(v1::WEB_FORM_FIELD_TYPE_TEXT);
  EXPECT_EQ(MaxLength(field), 200);
  field.set_type(v1::WEB_FORM_FIELD_TYPE_TEXTAREA);
  EXPECT_EQ(MaxLength(field), 5000);
  field.set_max_length(50);
  EXPECT_EQ(MaxLength(field), 50);
  field.set_max_length(20000);
  EXPECT_EQ(MaxLength(field), 10000);
}

TEST(WebFormDefinition, AFormAsksForAnEmailOrAPhoneInOneToFiftyFields) {
  v1::WebForm form = GoodForm();
  EXPECT_TRUE(Violations(form).empty());

  v1::WebForm no_channel = GoodForm();
  no_channel.mutable_fields()->RemoveLast();
  EXPECT_EQ(Violations(no_channel), (std::vector<std::string>{"web_form.fields"}));

  v1::WebForm phone_only = GoodForm();
  phone_only.mutable_fields()->RemoveLast();
  AddField(phone_only, "phone", v1::WEB_FORM_FIELD_TYPE_PHONE);
  EXPECT_TRUE(Violations(phone_only).empty());

  v1::WebForm empty = GoodForm();
  empty.clear_fields();
  EXPECT_EQ(Violations(empty), (std::vector<std::string>{"web_form.fields"}));

  v1::WebForm crowded = GoodForm();
  for (int i = 0; i < 49; ++i) {
    AddField(crowded, ("extra" + std::to_string(i)).c_str(), v1::WEB_FORM_FIELD_TYPE_TEXT);
  }
  EXPECT_EQ(Violations(crowded), (std::vector<std::string>{"web_form.fields"}));  // 51
}

TEST(WebFormDefinition, EachBadFieldPropertyNamesTheFieldByIndex) {
  v1::WebForm form = GoodForm();
  AddField(form, "category", v1::WEB_FORM_FIELD_TYPE_TEXT);                     // [2] reserved
  AddField(form, "1st", v1::WEB_FORM_FIELD_TYPE_TEXT);                          // [3] not a name
  AddField(form, "note", v1::WEB_FORM_FIELD_TYPE_TEXT)->set_label("   ");       // [4]
  AddField(form, "kind", v1::WEB_FORM_FIELD_TYPE_UNSPECIFIED);                  // [5]
  AddField(form, "city", v1::WEB_FORM_FIELD_TYPE_TEXT)->add_choices("Szeged");  // [6]
  AddField(form, "message", v1::WEB_FORM_FIELD_TYPE_TEXTAREA)->set_max_length(-1);  // [7]
  AddField(form, "phone", v1::WEB_FORM_FIELD_TYPE_TEXT);  // [8] must be PHONE
  EXPECT_EQ(Violations(form),
            (std::vector<std::string>{"web_form.fields[2].name", "web_form.fields[3].name",
                                      "web_form.fields[4].label", "web_form.fields[5].type",
                                      "web_form.fields[6].choices", "web_form.fields[7].max_length",
                                      "web_form.fields[8].type"}));
}

TEST(WebFormDefinition, CategoriesHaveUniqueKeysALabelAndAtMostOneTarget) {
  v1::WebForm form = GoodForm();
  const auto category = [&](const char* key, const char* label, std::int64_t team,
                            std::int64_t user) {
    auto* added = form.add_categories();
    added->set_key(key);
    added->set_label(label);
    added->set_team_id(team);
    added->set_user_id(user);
  };
  category("demo", "Demo", 3, 0);
  category("demo", "Again", 0, 4);       // [1] repeated key
  category("Support", "Support", 0, 0);  // [2] not a key
  category("sales", " ", 0, 0);          // [3] blank label
  category("partner", "Partner", 3, 4);  // [4] both targets
  category("other", "Other", -1, 0);     // [5] negative id
  EXPECT_EQ(Violations(form), (std::vector<std::string>{
                                  "web_form.categories[1].key", "web_form.categories[2].key",
                                  "web_form.categories[3].label", "web_form.categories[4].team_id",
                                  "web_form.categories[5].team_id"}));
}

TEST(WebFormDefinition, TheTitleIsTrimmedAndTheLanguageDefaultsToHungarian) {
  v1::WebForm form = GoodForm();
  form.set_title("  Ajánlatkérés \n");
  EXPECT_TRUE(Violations(form).empty());
  EXPECT_EQ(form.title(), "Ajánlatkérés");
  EXPECT_EQ(form.language(), "hu");

  v1::WebForm english = GoodForm();
  english.set_language("en-GB");
  EXPECT_TRUE(Violations(english).empty());
  EXPECT_EQ(english.language(), "en-GB");

  v1::WebForm bad = GoodForm();
  bad.set_title(" \t ");
  bad.set_language("English");
  bad.set_description(std::string(2001, 'd'));
  EXPECT_EQ(Violations(bad), (std::vector<std::string>{"web_form.title", "web_form.description",
                                                       "web_form.language"}));
}

TEST(WebFormDefinition, OriginsAreSchemeHostAndPortAndConfirmationsNeedAnEmail) {
  v1::WebForm form = GoodForm();
  form.add_allowed_origins("https://www.pelda.hu:8443");
  form.add_allowed_origins("http://localhost");
  form.add_allowed_origins("https://www.pelda.hu/");
  form.add_allowed_origins("ftp://www.pelda.hu");
  form.set_redirect_url("https://www.pelda.hu/koszonjuk?forras=urlap");
  form.set_confirmation_template("crm.web_form_confirmation");
  EXPECT_EQ(Violations(form), (std::vector<std::string>{"web_form.allowed_origins[2]",
                                                        "web_form.allowed_origins[3]"}));

  v1::WebForm phone_only = GoodForm();
  phone_only.mutable_fields(1)->set_name("phone");
  phone_only.mutable_fields(1)->set_type(v1::WEB_FORM_FIELD_TYPE_PHONE);
  phone_only.set_confirmation_template("crm.web_form_confirmation");
  EXPECT_EQ(Violations(phone_only), (std::vector<std::string>{"web_form.confirmation_template"}));
}

}  // namespace
}  // namespace karton::crm
