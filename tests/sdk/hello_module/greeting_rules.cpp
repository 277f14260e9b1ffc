#include "greeting_rules.h"

namespace karton::hello {

namespace {
constexpr std::size_t kMaxNameBytes = 100;
}  // namespace

bool IsKnownLanguage(const std::string& language) { return language == "en" || language == "hu"; }

std::vector<kernel::FieldViolation> CheckNewGreeting(v1::Greeting& greeting,
                                                     const std::string& default_language) {
  std::vector<kernel::FieldViolation> violations;
  if (greeting.name().empty()) {
    violations.push_back({"greeting.name", "is required"});
  } else if (greeting.name().size() > kMaxNameBytes) {
    violations.push_back({"greeting.name", "is longer than 100 bytes"});
  }
  if (greeting.language().empty()) greeting.set_language(default_language);
  if (!IsKnownLanguage(greeting.language())) {
    violations.push_back({"greeting.language", "must be \"en\" or \"hu\""});
  }
  return violations;
}

std::string GreetingText(const v1::Greeting& greeting) {
  return (greeting.language() == "hu" ? "Szia, " : "Hello, ") + greeting.name() + "!";
}

}  // namespace karton::hello
