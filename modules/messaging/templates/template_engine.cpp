#include "templates/template_engine.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <boost/json.hpp>
#include <kainjow/mustache.hpp>
#include <stdexcept>

namespace karton::messaging {
namespace {

namespace mustache = kainjow::mustache;

mustache::data ToMustache(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::object: {
      mustache::data object{mustache::data::type::object};
      for (const auto& [key, member] : value.get_object()) {
        object.set(std::string(key), ToMustache(member));
      }
      return object;
    }
    case boost::json::kind::array: {
      mustache::data list{mustache::data::type::list};
      for (const auto& item : value.get_array()) list.push_back(ToMustache(item));
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
  return compiled.render(ToMustache(data));
}

}  // namespace karton::messaging
