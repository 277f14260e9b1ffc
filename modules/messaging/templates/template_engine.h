// Mustache templates (kainjow mustache) for subjects and bodies.
//
// The engine only sees JSON: the recipient's partner and contact cards and
// the caller's variables are merged into one boost::json object before
// rendering, so templates read {{partner.displayName}} or {{order.number}}.
#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>

namespace karton::messaging {

// Where a template does not compile: 1-based line and column, and why.
struct TemplateError {
  int line = 0;
  int column = 0;
  std::string reason;
};

// nullopt when `text` compiles.
std::optional<TemplateError> CheckTemplate(const std::string& text);

enum class Escaping { kNone, kHtml };

// Renders `text` (which must compile: see CheckTemplate) with `data`.
// Subjects and plain text are rendered without escaping; HTML bodies escape
// every {{value}} ({{{value}}} stays raw, as Mustache says).
std::string RenderTemplate(const std::string& text, const boost::json::object& data,
                           Escaping escaping);

}  // namespace karton::messaging
