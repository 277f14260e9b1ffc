// The filter grammar every module shares (karton/kernel/filter.h): what it
// reads, and what it refuses with the position.
#include "karton/kernel/filter.h"

#include <gtest/gtest.h>

namespace karton::kernel {
namespace {

TEST(FilterExpression, ReadsComparisonsJoinedByAnd) {
  std::string problem;
  const auto parsed = ParseFilterExpression(
      R"(tag = "vip" and custom.industry != "re\"tail" AND payment_terms_days >= 30 AND )"
      R"(archived = false)",
      problem);
  ASSERT_TRUE(parsed.has_value()) << problem;
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ((*parsed)[0].field, "tag");
  EXPECT_EQ((*parsed)[0].op, "=");
  EXPECT_EQ((*parsed)[0].value, "vip");
  EXPECT_EQ((*parsed)[0].kind, FilterValueKind::kString);
  EXPECT_EQ((*parsed)[0].position, 1u);
  EXPECT_EQ((*parsed)[1].field, "custom.industry");
  EXPECT_EQ((*parsed)[1].value, "re\"tail");
  EXPECT_EQ((*parsed)[1].SqlOperator(), "<>");
  EXPECT_TRUE((*parsed)[1].IsEquality());
  EXPECT_EQ((*parsed)[2].kind, FilterValueKind::kNumber);
  EXPECT_EQ((*parsed)[2].value, "30");
  EXPECT_FALSE((*parsed)[2].IsEquality());
  EXPECT_EQ((*parsed)[3].kind, FilterValueKind::kBool);
  EXPECT_EQ((*parsed)[3].value, "false");

  const auto blank = ParseFilterExpression("   ", problem);
  ASSERT_TRUE(blank.has_value());
  EXPECT_TRUE(blank->empty());
}

TEST(FilterExpression, RefusesWhatDoesNotParseNamingWhere) {
  const std::pair<const char*, const char*> cases[] = {
      {R"(city = "Szeged)", "the string starting at 8 has no closing quote"},
      {R"(city = "Szeged" OR tag = "x")", "expected AND at 17"},
      {R"(= "x")", "expected a field name at 1"},
      {R"(city "x")", "expected =, !=, <, <=, > or >= after 'city' at 6"},
      {R"(city = Szeged)", "'Szeged' at 8 is not a value: quote strings"},
      {R"(city = )", "expected a value after '=' at 8"},
      {R"(city ~ "x")", "unexpected '~' at 6"},
  };
  for (const auto& [filter, expected] : cases) {
    std::string problem;
    EXPECT_FALSE(ParseFilterExpression(filter, problem).has_value()) << filter;
    EXPECT_EQ(problem, expected) << filter;
  }
  std::string problem;
  EXPECT_FALSE(ParseFilterExpression("city = \"" + std::string(201, 'a') + "\"", problem));
  EXPECT_EQ(problem, "the value at 8 is longer than 200 characters");
}

}  // namespace
}  // namespace karton::kernel
