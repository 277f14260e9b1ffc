// Web forms (modules/crm/forms/web_form_rules.cpp): what a visitor posts to
// /forms/<slug>, and what the public pages make of it.
//
// The first byte picks what the rest is:
//   0  an application/x-www-form-urlencoded body
//   1  an application/json body
//   2  a form definition (proto3 JSON of a WebForm, as CreateWebForm takes
//      it), checked and then rendered as the public pages
// A body is read into fields, checked against a form with every field type
// and categories, and the form is rendered again with the values and their
// errors, as a refused browser post is answered. No value ever reaches the
// page as markup: "<fuzz" is in the dictionary, and its raw appearance on a
// page would be an injection.
#include <stdexcept>
#include <string>

#include "forms/web_form_rules.h"
#include "fuzz_check.h"
#include "karton/kernel/proto_json.h"

using karton::fuzz::Check;
namespace crm = karton::crm;
namespace v1 = karton::crm::v1;

namespace {

const v1::WebForm& SomeForm() {
  static const v1::WebForm form = [] {
    v1::WebForm made;
    made.set_id(11);
    made.set_slug("ajanlat");
    made.set_title("Ajánlatkérés");
    made.set_description("Írjon nekünk");
    made.set_language("hu");
    const auto field = [&](const char* name, v1::WebFormFieldType type, bool required) {
      auto* added = made.add_fields();
      added->set_name(name);
      added->set_label(name);
      added->set_type(type);
      added->set_required(required);
      return added;
    };
    field("name", v1::WEB_FORM_FIELD_TYPE_TEXT, true)->set_max_length(40);
    field("company", v1::WEB_FORM_FIELD_TYPE_TEXT, false);
    field("email", v1::WEB_FORM_FIELD_TYPE_EMAIL, false);
    field("phone", v1::WEB_FORM_FIELD_TYPE_PHONE, false);
    field("message", v1::WEB_FORM_FIELD_TYPE_TEXTAREA, false);
    auto* size = field("size", v1::WEB_FORM_FIELD_TYPE_SELECT, false);
    size->add_choices("1-10");
    size->add_choices("11-50");
    field("newsletter", v1::WEB_FORM_FIELD_TYPE_CHECKBOX, false);
    for (const char* key : {"sales", "support"}) {
      auto* category = made.add_categories();
      category->set_key(key);
      category->set_label(key);
    }
    return made;
  }();
  return form;
}

void CheckPage(const std::string& page, std::string_view input) {
  Check(page.find("<fuzz") == std::string::npos, "no input reaches a page as markup", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::uint8_t mode = input.Byte() % 3;
  const std::string text(input.Rest());
  const std::string action = "https://crm.example.com/forms/ajanlat";

  if (mode == 2) {
    v1::WebForm form;
    try {
      karton::kernel::ParseProtoJson(text, form);
    } catch (const std::invalid_argument&) {
      return 0;
    }
    std::vector<karton::kernel::FieldViolation> violations;
    crm::NormalizeWebForm(form, violations);
    for (const auto& violation : violations) {
      Check(violation.field.rfind("web_form", 0) == 0, "a definition's problem names its field",
            violation.field);
    }
    if (!violations.empty()) return 0;
    CheckPage(crm::FormPage(form, action, {}, {}), text);
    CheckPage(crm::EmbedSnippet(form, action), text);
    CheckPage(crm::ThanksPage(form), text);
    return 0;
  }

  std::string problem;
  const auto fields = crm::SubmissionFields(text, mode == 1, problem);
  if (!fields) {
    Check(!problem.empty(), "an unreadable body says why", text);
    return 0;
  }
  Check(fields->size() <= 100, "at most 100 fields are read", text);
  const v1::WebForm& form = SomeForm();
  std::vector<karton::kernel::FieldViolation> violations;
  const v1::WebFormCategory* category = nullptr;
  const v1::Lead lead = crm::LeadFromSubmission(form, *fields, violations, category);
  if (violations.empty()) {
    Check(category == nullptr || category->key() == "sales" || category->key() == "support",
          "the category chosen is one of the form's", text);
  }
  for (const auto& violation : violations) {
    Check(!violation.field.empty() && !violation.description.empty(),
          "a submission's problem names the field and says what is wrong", text);
  }
  CheckPage(crm::FormPage(form, action, *fields, violations), text);
  return 0;
}
