#include "templates/template_engine.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <boost/json.hpp>
#include <kainjow/mustache.hpp>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace karton::messaging {
namespace {

namespace mustache = kainjow::mustache;

// The longest list stored under each key anywhere in the data ("" for a
// list inside a list, which only "{{.}}" reaches): what bounds how often a
// section can repeat (MostRepeats).
using LongestLists = std::unordered_map<std::string, std::size_t>;

mustache::data ObjectToMustache(const boost::json::object& object, LongestLists& longest);

// The data as kainjow reads it; `key` is the member `value` is stored
// under, and the list lengths are noted on the way.
mustache::data ToMustache(const boost::json::value& value, std::string_view key,
                          LongestLists& longest) {
  switch (value.kind()) {
    case boost::json::kind::object:
      return ObjectToMustache(value.get_object(), longest);
    case boost::json::kind::array: {
      auto& length = longest[std::string(key)];
      length = std::max(length, value.get_array().size());
      mustache::data list{mustache::data::type::list};
      for (const auto& item : value.get_array()) list.push_back(ToMustache(item, "", longest));
      return list;
    }
    case boost::json::kind::string:
      return mustache::data(std::string(value.get_string()));
    case boost::json::kind::bool_:
      return value.get_bool() ? mustache::data(mustache::data::type::bool_true)
                              : mustache::data(mustache::data::type::bool_false);
    case boost::json::kind::null:
      // Falsy in sections, empty when printed.
      return mustache::data(mustache::data::type::bool_false);
    case boost::json::kind::int64:
      return mustache::data(std::to_string(value.get_int64()));
    case boost::json::kind::uint64:
      return mustache::data(std::to_string(value.get_uint64()));
    case boost::json::kind::double_:
      // The shortest spelling that reads back the same: 12.5, not 1.25E1.
      return mustache::data(fmt::format("{}", value.get_double()));
  }
  return mustache::data(std::string());
}

mustache::data ObjectToMustache(const boost::json::object& object, LongestLists& longest) {
  mustache::data converted{mustache::data::type::object};
  for (const auto& [member, value] : object) {
    converted.set(std::string(member), ToMustache(value, member, longest));
  }
  return converted;
}

// How often a section named `name` can repeat its content at most. Mustache
// resolves "order.lines" to the member "lines" of some object in the data
// (which one depends on the sections around it), and "." to the current
// item: so the longest list under that last key, or under any key for ".",
// bounds it. A section over anything else runs once or not at all.
std::size_t MostRepeats(const std::string& name, const LongestLists& longest) {
  std::size_t most = 1;
  if (name == ".") {
    for (const auto& [key, length] : longest) most = std::max(most, length);
    return most;
  }
  const auto dot = name.rfind('.');
  const auto it = longest.find(dot == std::string::npos ? name : name.substr(dot + 1));
  if (it != longest.end()) most = std::max(most, it->second);
  return most;
}

// How many parts (texts, values, sections) rendering the content of
// `parent` can walk at most, a section's content once per repeat; counting
// stops past `limit` (it returns limit + 1).
std::size_t RenderSteps(const mustache::component<std::string>& parent, const LongestLists& longest,
                        std::size_t limit) {
  std::size_t total = 0;
  for (const auto& child : parent.children) {
    std::size_t steps = 1;
    if (child.tag.is_section_begin()) {
      const std::size_t repeats = child.tag.type == mustache::tag_type::section_begin_inverted
                                      ? 1
                                      : MostRepeats(child.tag.name, longest);
      const std::size_t inner = RenderSteps(child, longest, limit);
      // Each repeat is a step of its own, even with nothing inside.
      if (inner >= limit || repeats > limit / (1 + inner)) return limit + 1;
      steps += repeats * (1 + inner);
    }
    if (steps > limit - total) return limit + 1;
    total += steps;
  }
  return total;
}

}  // namespace

std::optional<TemplateError> CheckTemplate(const std::string& text) {
  mustache::mustache compiled(text);
  if (compiled.is_valid()) return std::nullopt;
  // kainjow reports "<what> at <offset>"; people want a line and a column.
  TemplateError error;
  // The match points into `message`, so it must outlive the reads below.
  const std::string message = compiled.error_message();
  error.reason = message;
  static const RE2 kAtOffset(R"((.*) at (\d+)$)");
  std::size_t offset = 0;
  std::string reason;
  std::uint64_t at = 0;
  if (RE2::FullMatch(message, kAtOffset, &reason, &at)) {
    offset = std::min<std::size_t>(at, text.size());
    error.reason = reason;
  }
  error.line = 1;
  error.column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++error.line;
      error.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++error.column;  // count characters, not UTF-8 continuation bytes
    }
  }
  return error;
}

std::string RenderTemplate(const std::string& text, const boost::json::object& data,
                           Escaping escaping) {
  mustache::mustache compiled(text);
  if (!compiled.is_valid()) {
    throw std::invalid_argument("template does not compile: " + compiled.error_message());
  }
  if (escaping == Escaping::kNone) {
    compiled.set_custom_escape([](const std::string& value) { return value; });
  }
  // The same parse kainjow made, to count the steps before rendering any.
  mustache::context<std::string> no_partials;
  mustache::context_internal<std::string> parse_context{no_partials};
  mustache::component<std::string> root;
  std::string parse_error;
  mustache::parser<std::string> parse{text, parse_context, root, parse_error};
  LongestLists longest;
  const mustache::data converted = ObjectToMustache(data, longest);
  if (RenderSteps(root, longest, kMaxRenderSteps) > kMaxRenderSteps) {
    throw TemplateTooCostly(fmt::format(
        "rendering it with this data could take more than {} steps (a loop repeats its content "
        "once per item of its list, and loops nested over lists multiply); nest fewer loops or "
        "pass shorter lists",
        kMaxRenderSteps));
  }
  std::string rendered;
  compiled.render(converted, [&rendered](const std::string& piece) {
    if (rendered.size() + piece.size() > kMaxRenderedBytes) {
      throw TemplateTooCostly(fmt::format("the rendered text would be larger than {} MiB",
                                          kMaxRenderedBytes / (1024 * 1024)));
    }
    rendered += piece;
  });
  return rendered;
}

}  // namespace karton::messaging
