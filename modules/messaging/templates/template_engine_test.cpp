#include "templates/template_engine.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace karton::messaging {
namespace {

boost::json::object Data(const char* json) { return boost::json::parse(json).as_object(); }

TEST(TemplateEngineTest, RendersNestedValuesListsAndAccentedText) {
  const auto data = Data(R"({"partner": {"displayName": "Kovács Kft."},
                             "items": [{"name": "Ablak"}, {"name": "Ajtó"}],
                             "total": 12.5, "count": 3, "vip": true, "missing": null})");
  EXPECT_EQ(RenderTemplate("Kedves {{partner.displayName}}! {{#items}}[{{name}}]{{/items}} "
                           "{{total}} {{count}}{{#vip}} VIP{{/vip}}{{^missing}}.{{/missing}}",
                           data, Escaping::kNone),
            "Kedves Kovács Kft.! [Ablak][Ajtó] 12.5 3 VIP.");
}

TEST(TemplateEngineTest, EscapesOnlyHtml) {
  const auto data = Data(R"({"name": "<b>Tom & Jerry</b>"})");
  EXPECT_EQ(RenderTemplate("{{name}}", data, Escaping::kNone), "<b>Tom & Jerry</b>");
  EXPECT_EQ(RenderTemplate("{{name}}", data, Escaping::kHtml),
            "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;");
  EXPECT_EQ(RenderTemplate("{{{name}}}", data, Escaping::kHtml), "<b>Tom & Jerry</b>");
}

TEST(TemplateEngineTest, ErrorsGiveLineAndColumn) {
  EXPECT_FALSE(CheckTemplate("Hello {{name}}\n{{#a}}x{{/a}}"));
  const auto unclosed = CheckTemplate("Line one\nŐszi {{name");
  ASSERT_TRUE(unclosed);
  EXPECT_EQ(unclosed->line, 2);
  EXPECT_EQ(unclosed->column, 6);  // characters, not bytes: Ő is one
  EXPECT_EQ(unclosed->reason, "Unclosed tag");
  const auto section = CheckTemplate("a\nb\n  {{#items}}x");
  ASSERT_TRUE(section);
  EXPECT_EQ(section->line, 3);
  EXPECT_EQ(section->column, 3);
  EXPECT_NE(section->reason.find("Unclosed section"), std::string::npos) << section->reason;
}

TEST(TemplateEngineTest, LoopsNestedOverListsAreCountedBeforeRendering) {
  // An order's lines, each with its discounts: ordinary nesting renders.
  const auto order = Data(R"({"order": {"lines": [{"name": "Ablak", "discounts": [{"pct": 5}]},
                                                  {"name": "Ajtó", "discounts": []}]}})");
  EXPECT_EQ(RenderTemplate("{{#order.lines}}{{name}}{{#discounts}} -{{pct}}%{{/discounts}};"
                           "{{/order.lines}}",
                           order, Escaping::kNone),
            "Ablak -5%;Ajtó;");
  // The same list looped inside itself: each level multiplies. 2^10 runs,
  // 1000 lines three deep would be 10^9 steps: refused before any rendering.
  std::string nested;
  for (int i = 0; i < 10; ++i) nested += "{{#order.lines}}x";
  for (int i = 0; i < 10; ++i) nested += "{{/order.lines}}";
  EXPECT_EQ(RenderTemplate(nested, order, Escaping::kNone).size(), 2046u);
  boost::json::array lines;
  for (int i = 0; i < 1000; ++i) lines.push_back(boost::json::object{{"name", "x"}});
  boost::json::object many;
  many["order"] = boost::json::object{{"lines", lines}};
  const std::string three_deep =
      "{{#order.lines}}{{#order.lines}}{{#order.lines}}.{{/order.lines}}{{/order.lines}}"
      "{{/order.lines}}";
  try {
    RenderTemplate(three_deep, many, Escaping::kNone);
    FAIL() << "10^9 repeats rendered";
  } catch (const TemplateTooCostly& error) {
    EXPECT_NE(std::string(error.what()).find("could take more than 100000 steps"),
              std::string::npos)
        << error.what();
  }
  // A loop under another name of the same key, or over "." inside a list
  // of lists, counts the same.
  EXPECT_THROW(RenderTemplate("{{#order}}{{#lines}}{{#lines}}.{{/lines}}{{/lines}}{{/order}}", many,
                              Escaping::kNone),
               TemplateTooCostly);
  boost::json::array rows;
  for (int i = 0; i < 400; ++i) rows.push_back(boost::json::array{1, 2, 3});
  boost::json::object table{{"rows", rows}};
  EXPECT_THROW(RenderTemplate("{{#rows}}{{#rows}}{{#.}}{{.}}{{/.}}{{/rows}}{{/rows}}", table,
                              Escaping::kNone),
               TemplateTooCostly);
  // Inverted sections run at most once; two loops side by side add up.
  EXPECT_NO_THROW(
      RenderTemplate("{{#order.lines}}a{{/order.lines}}{{^order.lines}}b{{/"
                     "order.lines}}{{#order.lines}}c{{/order.lines}}",
                     many, Escaping::kNone));
}

TEST(TemplateEngineTest, RenderingStopsAtTheSizeLimit) {
  boost::json::array lines;
  for (int i = 0; i < 1000; ++i) lines.push_back(boost::json::object{{"n", i}});
  boost::json::object data{{"lines", lines}};
  const std::string big_line = "{{#lines}}" + std::string(20000, 'x') + "{{/lines}}";
  EXPECT_THROW(RenderTemplate(big_line, data, Escaping::kNone), TemplateTooCostly);
  EXPECT_EQ(
      RenderTemplate("{{#lines}}" + std::string(1000, 'x') + "{{/lines}}", data, Escaping::kNone)
          .size(),
      1000000u);
}

}  // namespace
}  // namespace karton::messaging
