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

}  // namespace
}  // namespace karton::messaging
