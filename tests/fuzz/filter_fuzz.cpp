// The filter grammar (kernel/src/filter.cpp) and the partners' translation
// of it into SQL (modules/partners/partner_filter.cpp): any text either
// parses or is refused with a problem, and what parses becomes fixed SQL
// with every value a numbered placeholder.
#include <string>

#include "fuzz_check.h"
#include "karton/kernel/filter.h"
#include "partner_filter.h"

using karton::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string problem;
  const auto comparisons = karton::kernel::ParseFilterExpression(text, problem);
  if (!comparisons) {
    Check(!problem.empty(), "a refused filter names its problem", text);
  } else {
    for (const auto& comparison : *comparisons) {
      Check(comparison.op == "=" || comparison.op == "!=" || comparison.op == "<" ||
                comparison.op == "<=" || comparison.op == ">" || comparison.op == ">=",
            "an operator of the grammar", comparison.op);
      Check(!comparison.field.empty(), "a comparison names a field", text);
      Check(comparison.position >= 1 && comparison.position <= text.size() &&
                comparison.value_position > comparison.position &&
                comparison.value_position <= text.size(),
            "positions inside the text", text);
      Check(text.substr(comparison.position - 1, comparison.field.size()) == comparison.field,
            "the field is where its position says", text);
    }
  }

  const karton::partners::CustomFieldTypes custom = {{"industry", "text"},
                                                     {"size", "number"},
                                                     {"founded", "date"},
                                                     {"vip", "bool"},
                                                     {"tier", "choice"}};
  problem.clear();
  const auto sql = karton::partners::ParseFilter(text, custom, problem);
  if (!sql) {
    Check(!problem.empty(), "a refused partner filter names its problem", text);
    return 0;
  }
  Check(comparisons.has_value(), "the partner filter accepts only what the grammar parses", text);
  std::size_t placeholders = 0;
  for (std::size_t at = sql->where.find(":f"); at != std::string::npos;
       at = sql->where.find(":f", at + 2)) {
    ++placeholders;
  }
  Check(placeholders == sql->params.size(), "one placeholder per bound value", sql->where);
  for (const char c : sql->where) {
    Check(c >= 0x20 && c < 0x7f && c != '"' && c != ';' && c != '\\',
          "the WHERE fragment is Karton's own SQL, never user text", sql->where);
  }
  Check(sql->where.find("--") == std::string::npos, "no comment in the WHERE fragment", sql->where);
  return 0;
}
