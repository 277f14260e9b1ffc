// What a web form may look like, and what a submission to it must hold.
// Pure functions, unit-tested without a server (tests/crm/).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/errors.h"

namespace karton::crm {

// The hidden field bots fill in and people never see.
inline constexpr const char* kHoneypotField = "_website";
// The field that carries the chosen category when a form has categories.
inline constexpr const char* kCategoryField = "category";

// Checks and tidies a form definition (names, labels, types, choices,
// categories, origins, redirect); violations name the field under
// "web_form.".
void NormalizeWebForm(v1::WebForm& form, std::vector<kernel::FieldViolation>& violations);

// The most characters a field takes.
int MaxLength(const v1::WebFormField& field);

// A submission's body as its fields (name -> value): a JSON object whose
// values are strings, numbers or booleans (null leaves a field out), or
// application/x-www-form-urlencoded (the first of repeated keys counts).
// A part without a name ("a=1&", "&&", "=x", {"": 1}) is no field and is
// left out.
// nullopt and `problem` when the body is neither, or has more than 100
// fields.
std::optional<std::map<std::string, std::string>> SubmissionFields(const std::string& body,
                                                                   bool json, std::string& problem);

// A submission (field name -> value) as a lead of `form`: required fields,
// lengths, email and phone shapes, choices and the category are checked;
// violations name the form's field. The category chosen is returned in
// `category` (nullptr when the form has none).
v1::Lead LeadFromSubmission(const v1::WebForm& form,
                            const std::map<std::string, std::string>& values,
                            std::vector<kernel::FieldViolation>& violations,
                            const v1::WebFormCategory*& category);

// The public pages. `action` is the URL the form posts to.
std::string FormPage(const v1::WebForm& form, const std::string& action,
                     const std::map<std::string, std::string>& values,
                     const std::vector<kernel::FieldViolation>& errors);
std::string EmbedSnippet(const v1::WebForm& form, const std::string& action);
std::string ThanksPage(const v1::WebForm& form);

}  // namespace karton::crm
