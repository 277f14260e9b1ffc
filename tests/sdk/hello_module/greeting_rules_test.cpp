// Unit tests of what makes a greeting: no database, no server.
#include "greeting_rules.h"

#include <gtest/gtest.h>

namespace karton::hello {
namespace {

TEST(GreetingRulesTest, AGreetingWithoutLanguageGetsTheDefault) {
  v1::Greeting greeting;
  greeting.set_name("Anna");
  EXPECT_TRUE(CheckNewGreeting(greeting, "hu").empty());
  EXPECT_EQ(greeting.language(), "hu");
  EXPECT_EQ(GreetingText(greeting), "Szia, Anna!");
}

TEST(GreetingRulesTest, EachWrongFieldIsNamed) {
  v1::Greeting greeting;
  greeting.set_language("de");
  const auto violations = CheckNewGreeting(greeting, "en");
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field, "greeting.name");
  EXPECT_EQ(violations[1].field, "greeting.language");
}

TEST(GreetingRulesTest, ANameLongerThanOneHundredBytesIsRefused) {
  v1::Greeting greeting;
  greeting.set_name(std::string(101, 'a'));
  const auto violations = CheckNewGreeting(greeting, "en");
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "greeting.name");
  greeting.set_name(std::string(100, 'a'));
  EXPECT_TRUE(CheckNewGreeting(greeting, "en").empty());
}

}  // namespace
}  // namespace karton::hello
