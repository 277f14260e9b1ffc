// Reading the cells of a RunPrepared result (text format) in the kernel's
// own repositories, which read a few fixed columns by position.
#pragma once

#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

#include "karton/kernel/prepared_query.h"

namespace karton::kernel {

// A bigint, int or count column. Throws when the cell is no integer (a NULL
// reads as empty text): a column the statement promises to be one.
inline long long IntegerCell(const QueryRows& rows, int row, int column) {
  const std::string_view text = rows.Text(row, column);
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error("a column read as an integer holds '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace karton::kernel
