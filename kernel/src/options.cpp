#include "karton/kernel/options.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "karton/kernel/module.h"
#include "karton/kernel/numbers.h"

namespace karton::kernel {
namespace {

template <class Number>
std::invalid_argument OutOfRange(ModuleContext& context, std::string_view key, Number low,
                                 Number high) {
  return std::invalid_argument(
      fmt::format("--module-option {}.{} must be {} to {}", context.ModuleName(), key, low, high));
}

}  // namespace

std::int64_t IntegerOption(ModuleContext& context, std::string_view key, std::int64_t fallback,
                           std::int64_t low, std::int64_t high) {
  const auto text = context.Option(key);
  if (!text) return fallback;
  const auto value = ParseInt64(*text);
  if (!value || *value < low || *value > high) throw OutOfRange(context, key, low, high);
  return *value;
}

double NumberOption(ModuleContext& context, std::string_view key, double fallback, double low,
                    double high) {
  const auto text = context.Option(key);
  if (!text) return fallback;
  std::size_t parsed = 0;
  double value = low - 1;
  try {
    value = std::stod(*text, &parsed);
  } catch (const std::exception&) {
    parsed = 0;
  }
  if (parsed == 0 || parsed != text->size() || !(value >= low && value <= high)) {
    throw OutOfRange(context, key, low, high);
  }
  return value;
}

}  // namespace karton::kernel
