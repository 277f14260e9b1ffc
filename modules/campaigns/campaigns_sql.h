// SQL fragments and value conversions the campaigns repositories share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"

// A stored time as microseconds since 1970: what kernel::TypedQuery reads
// into a google.protobuf.Timestamp.
#define KARTON_CAMPAIGNS_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// A bound time (microseconds since 1970, as text) as a timestamptz.
#define KARTON_CAMPAIGNS_AT(param) "to_timestamp(cast(" param " AS bigint) / 1e6)"

namespace karton::campaigns::sql {

// A time as the text a KARTON_CAMPAIGNS_AT parameter takes.
inline std::string Micros(kernel::TimePoint time) {
  return std::to_string(kernel::ToEpochMicros(time));
}

// Ids as a PostgreSQL array literal, "{1,2,3}".
template <class Ids>
std::string IdArray(const Ids& ids) {
  std::string text = "{";
  for (const auto id : ids) {
    if (text.size() > 1) text += ',';
    text += std::to_string(id);
  }
  return text + "}";
}

}  // namespace karton::campaigns::sql
