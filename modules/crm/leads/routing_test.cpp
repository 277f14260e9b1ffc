// Unit tests of Router::Matches (routing.h): how an assignment rule's
// category, country and postal code prefix are compared with a lead's.
#include "leads/routing.h"

#include <gtest/gtest.h>

namespace karton::crm {
namespace {

v1::Lead LeadFrom(const char* category, const char* country, const char* postal_code) {
  v1::Lead lead;
  lead.set_category(category);
  lead.set_country(country);
  lead.set_postal_code(postal_code);
  return lead;
}

v1::AssignmentRule Rule(const char* category, const char* country, const char* prefix) {
  v1::AssignmentRule rule;
  rule.set_category(category);
  rule.set_country(country);
  rule.set_postal_code_prefix(prefix);
  return rule;
}

TEST(Routing, CategoryIsComparedExactlyButCountryIgnoresCase) {
  EXPECT_FALSE(Router::Matches(Rule("demo", "", ""), LeadFrom("Demo", "HU", "1011")));
  EXPECT_FALSE(Router::Matches(Rule("demo", "", ""), LeadFrom("", "HU", "1011")));
  EXPECT_TRUE(Router::Matches(Rule("", "HU", ""), LeadFrom("", "hu", "1011")));
  EXPECT_TRUE(Router::Matches(Rule("", "hU", ""), LeadFrom("", "Hu", "1011")));
  EXPECT_FALSE(Router::Matches(Rule("", "AT", ""), LeadFrom("", "HU", "1011")));
}

TEST(Routing, ARuleWithAConditionNeverMatchesALeadMissingThatValue) {
  const v1::Lead empty = LeadFrom("", "", "");
  EXPECT_TRUE(Router::Matches(Rule("", "", ""), empty));
  EXPECT_FALSE(Router::Matches(Rule("", "HU", ""), empty));
  EXPECT_FALSE(Router::Matches(Rule("", "", "6"), empty));
  EXPECT_FALSE(Router::Matches(Rule("demo", "", ""), empty));
}

TEST(Routing, ThePostalPrefixMatchesFromTheFirstCharacterOnly) {
  EXPECT_TRUE(Router::Matches(Rule("", "", "67"), LeadFrom("", "HU", "6720")));
  EXPECT_TRUE(Router::Matches(Rule("", "", "6720"), LeadFrom("", "HU", "6720")));
  EXPECT_FALSE(Router::Matches(Rule("", "", "720"), LeadFrom("", "HU", "6720")));
  EXPECT_FALSE(Router::Matches(Rule("", "", "67201"), LeadFrom("", "HU", "6720")));
}

TEST(Routing, EveryConditionOfARuleMustHold) {
  const v1::Lead szeged_demo = LeadFrom("demo", "HU", "6720");
  EXPECT_TRUE(Router::Matches(Rule("demo", "HU", "67"), szeged_demo));
  EXPECT_FALSE(Router::Matches(Rule("demo", "AT", "67"), szeged_demo));
  EXPECT_FALSE(Router::Matches(Rule("demo", "HU", "1"), szeged_demo));
  EXPECT_FALSE(Router::Matches(Rule("support", "HU", "67"), szeged_demo));
}

}  // namespace
}  // namespace karton::crm
