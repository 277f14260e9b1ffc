// Mustache templates (kainjow mustache) for subjects and bodies.
//
// The engine only sees JSON: the recipient's partner and contact cards and
// the caller's variables are merged into one boost::json object before
// rendering, so templates read {{partner.displayName}} or {{order.number}}.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <optional>
#include <stdexcept>
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

// What one rendering may cost. Rendering walks the template's parts (texts,
// values, sections), a section's content once per item of its list, and
// sections nest, so a template that nests loops walks the product of its
// lists' lengths: ten nested loops over a two-item list are about 2,000
// steps, three over the 1,000 lines of an order a billion. The callers'
// variables can carry lists of any length, so the steps are counted
// against the data, before rendering. Ordinary templates (a loop over an
// order's lines, a loop inside it over each line's discounts) stay far
// below the limit (an email listing 1,000 order lines of a dozen parts each
// is about 14,000 steps); at it, rendering took 50-70 ms here.
inline constexpr std::size_t kMaxRenderSteps = 100000;
// No subject or body is larger (messaging refuses rendered texts far
// smaller: CheckRendered); rendering stops here rather than filling memory.
inline constexpr std::size_t kMaxRenderedBytes = 16 * 1024 * 1024;

// Rendering refused because it would pass one of the limits above; what()
// says which, for the caller.
class TemplateTooCostly : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Renders `text` (which must compile: see CheckTemplate) with `data`.
// Subjects and plain text are rendered without escaping; HTML bodies escape
// every {{value}} ({{{value}}} stays raw, as Mustache says). Throws
// TemplateTooCostly past the limits above.
std::string RenderTemplate(const std::string& text, const boost::json::object& data,
                           Escaping escaping);

}  // namespace karton::messaging
