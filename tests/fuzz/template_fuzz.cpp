// Messaging's Mustache templates (modules/messaging/templates, kainjow
// mustache) with hostile text on either side:
//   0  the rest is a template (staff write them; CheckTemplate guards what
//      is saved), rendered with data that holds markup when it compiles;
//      a template that does not compile gets a line and column inside it
//   1  the rest is the data (partner cards and callers' variables, which
//      outsiders fill in), rendered into fixed HTML templates: no value may
//      come out as markup
#include <boost/json.hpp>
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "templates/template_engine.h"

using karton::fuzz::Check;
namespace messaging = karton::messaging;

namespace {

const boost::json::object& HostileData() {
  static const boost::json::object data = {
      {"partner", {{"displayName", "<fuzz onload=x>&\"'"}, {"city", "Szeged"}}},
      {"order",
       {{"number", "SO-1"},
        {"lines", boost::json::array{{{"name", "<b>a</b>"}}, {{"name", "{{b}}"}}}}}},
      {"flag", true},
      {"nothing", nullptr},
      {"amount", 12.5},
      {"count", -3},
  };
  return data;
}

// Whether `text` has a tag that prints raw ({{{x}}}, {{&x}}) or changes the
// delimiters (after which any tag may): then markup may come out. The
// engine skips every isspace() character inside a tag, the vertical tab
// and form feed too, so "{{\v&x}}" is a raw tag as well.
bool MayPrintRaw(const std::string& text) {
  for (auto at = text.find("{{"); at != std::string::npos; at = text.find("{{", at + 2)) {
    auto next = text.find_first_not_of(" \t\r\n\v\f", at + 2);
    if (next != std::string::npos &&
        (text[next] == '{' || text[next] == '&' || text[next] == '=')) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::uint8_t mode = input.Byte() % 2;
  const std::string text(input.Rest());

  if (mode == 0) {
    const auto error = messaging::CheckTemplate(text);
    if (error) {
      Check(error->line >= 1 && error->column >= 1, "an error's position counts from 1", text);
      Check(static_cast<std::size_t>(error->line) <= text.size() + 1 &&
                static_cast<std::size_t>(error->column) <= text.size() + 1,
            "an error's position is inside the template", text);
      return 0;
    }
    // Loops nested past the step limit are refused, not rendered (the
    // regression seed nests loops over one list level after level).
    std::string html;
    try {
      (void)messaging::RenderTemplate(text, HostileData(), messaging::Escaping::kNone);
      html = messaging::RenderTemplate(text, HostileData(), messaging::Escaping::kHtml);
    } catch (const messaging::TemplateTooCostly&) {
      return 0;
    }
    if (!MayPrintRaw(text) && text.find("onload") == std::string::npos) {
      Check(html.find("<fuzz onload") == std::string::npos, "an HTML body escapes {{values}}",
            text);
    }
    return 0;
  }

  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(text, error);
  if (error || !parsed.is_object()) return 0;
  static const std::string kTemplates[] = {
      "Kedves {{partner.displayName}}! {{#order.lines}}<li>{{name}}</li>{{/order.lines}}",
      "{{#partner}}{{displayName}} ({{city}}){{/partner}}{{^partner}}-{{/partner}}",
      "{{#list}}{{.}}{{#inner}}{{x}}{{/inner}}{{/list}} {{a.b.c}} {{flag}}",
  };
  for (const auto& html_template : kTemplates) {
    std::string html;
    try {
      html =
          messaging::RenderTemplate(html_template, parsed.as_object(), messaging::Escaping::kHtml);
    } catch (const messaging::TemplateTooCostly&) {
      continue;  // lists long enough to pass the step limit
    }
    Check(html.find("<fuzz") == std::string::npos && html.find('"') == std::string::npos,
          "data values are escaped in HTML", text);
    (void)messaging::RenderTemplate(html_template, parsed.as_object(), messaging::Escaping::kNone);
  }
  return 0;
}
