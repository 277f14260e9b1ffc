// SQL fragments and value conversions the automation repositories share.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "karton/kernel/clock.h"

// A stored time as microseconds since 1970: what kernel::TypedQuery reads
// into a google.protobuf.Timestamp.
#define KARTON_AUTOMATION_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// A bound time (microseconds since 1970, as text) as a timestamptz.
#define KARTON_AUTOMATION_AT(param) "to_timestamp(cast(" param " AS bigint) / 1e6)"

namespace karton::automation::sql {

// A time as the text a KARTON_AUTOMATION_AT parameter takes.
inline std::string Micros(kernel::TimePoint time) {
  return std::to_string(kernel::ToEpochMicros(time));
}

// A bigint column's text; 0 for anything else.
inline std::int64_t Integer(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// A KARTON_AUTOMATION_MICROS column's text as a time.
inline kernel::TimePoint TimeOf(std::string_view micros) {
  return kernel::TimePoint(std::chrono::microseconds(Integer(micros)));
}

}  // namespace karton::automation::sql
