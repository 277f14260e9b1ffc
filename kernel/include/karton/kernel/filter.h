// The filter grammar every module shares: list filters (ListPartners'
// `filter`) and, to come, the conditions of automation rules over event
// payloads.
//
//   filter     := comparison { AND comparison }
//   comparison := field operator value
//   operator   := = | != | < | <= | > | >=
//   value      := "string" | number | true | false
//
//   tag = "vip" AND city = "Szeged" AND custom.industry = "retail"
//
// The kernel only reads the text; what a field means, which operators and
// values it takes and the SQL it becomes (from a whitelist, every value a
// bound parameter) stay with the module that owns the field.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karton::kernel {

enum class FilterValueKind { kString, kNumber, kBool };

struct FilterComparison {
  std::string field;  // as written: "city", "custom.industry"
  std::string op;     // "=", "!=", "<", "<=", ">" or ">="
  std::string value;  // a string's text unescaped; "true"/"false" for kBool
  FilterValueKind kind = FilterValueKind::kString;
  std::size_t position = 0;        // where the field starts, from 1, for messages
  std::size_t value_position = 0;  // where the value starts, from 1

  bool IsEquality() const { return op == "=" || op == "!="; }
  // The operator as SQL writes it ("!=" -> "<>").
  std::string SqlOperator() const { return op == "!=" ? "<>" : op; }
};

// The comparisons of `filter`, in order (none for an empty or blank
// filter); nullopt and `problem` (naming the position and what is wrong)
// when it does not parse: a malformed token, a missing AND, operator or
// value, an unquoted word, or a value longer than 200 characters.
std::optional<std::vector<FilterComparison>> ParseFilterExpression(std::string_view filter,
                                                                   std::string& problem);

}  // namespace karton::kernel
