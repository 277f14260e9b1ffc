// The ListPartners filter grammar (docs/partners.md):
//
//   filter     := comparison { AND comparison }
//   comparison := field operator value
//   operator   := = | != | < | <= | > | >=
//   value      := "string" | number | true | false
//
//   tag = "vip" AND city = "Szeged" AND custom.industry = "retail"
//   create_time >= "2026-01-01T00:00:00Z" AND archived = true
//
// It becomes a WHERE fragment made only of fixed SQL per field (a
// whitelist) and numbered placeholders; every value the user wrote is a
// bound parameter, never SQL text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karton::partners {

// The type of each custom field, by key, as its definition says:
// "text", "number", "date", "bool" or "choice".
using CustomFieldTypes = std::map<std::string, std::string>;

struct FilterSql {
  // "" for an empty filter; otherwise conditions on alias "p" joined by
  // AND, with placeholders :f0, :f1, ... in order.
  std::string where;
  std::vector<std::string> params;  // bound in order, as text
  bool mentions_archived = false;
};

// nullopt and `problem` (naming the position and what is wrong) when the
// filter does not parse or names an unknown field.
std::optional<FilterSql> ParseFilter(std::string_view filter, const CustomFieldTypes& custom,
                                     std::string& problem);

// The fields a filter may name, for messages and docs.
std::string FilterableFields();

}  // namespace karton::partners
