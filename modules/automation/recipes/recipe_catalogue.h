// The recipes (C12): ready-made automations an admin switches on. Four are
// rules made from a definition here; the greetings are a daily job
// (greetings.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/automation/v1/automation.pb.h"

namespace karton::automation {

struct RecipeSpec {
  std::string_view name;
  std::string_view title;  // also the name of the rule it makes: "Recipe: <title>"
  std::string_view description;
  std::string_view default_template;
  // The topics a rule-shaped recipe acts on; empty for a greeting.
  std::vector<std::string_view> topics;
  // Which module publishes them, for the message when it is not loaded.
  std::string_view needs_module;
};

const std::vector<RecipeSpec>& Recipes();
const RecipeSpec* FindRecipe(std::string_view name);
bool IsGreeting(const RecipeSpec& spec);

// The rule a rule-shaped recipe is, sending `template_name`.
v1::Rule RecipeRule(const RecipeSpec& spec, const std::string& template_name);

}  // namespace karton::automation
