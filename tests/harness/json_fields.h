// Reading a CLI's `--output json` answers in tests: the protobuf JSON
// mapping of one message, read field by field. Missing or mistyped fields
// read as empty, so an assertion on the value says what went wrong.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstddef>
#include <string>

namespace karton::testing {

// `text` as a JSON object; a test failure (and {}) when it is not one.
inline boost::json::object ParseObject(const std::string& text) {
  boost::json::error_code error;
  auto parsed = boost::json::parse(text, error);
  if (error || !parsed.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text;
    return {};
  }
  return parsed.as_object();
}

// A string field ("" if absent). protobuf's JSON mapping writes int64 as a
// string too.
inline std::string Field(const boost::json::object& object, const char* name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

// A message field ({} if absent).
inline boost::json::object Object(const boost::json::object& object, const char* name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_object() ? value->as_object() : boost::json::object{};
}

// The length of a repeated field (0 if absent).
inline std::size_t Count(const boost::json::object& object, const char* name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_array() ? value->as_array().size() : 0;
}

}  // namespace karton::testing
