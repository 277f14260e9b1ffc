// Page tokens of ListPartners and SearchPartners: keyset cursors (the last
// row's sort key and id), opaque to clients, and bound to the request they
// came from, so a token reused with another filter or order is refused
// instead of silently skipping rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace karton::partners {

struct PageCursor {
  std::string key;  // the last row's sort key as text ("" when sorting by id)
  std::int64_t id = 0;
};

// `scope` is everything that shapes the result (filter, order, query).
std::string EncodePageToken(const PageCursor& cursor, std::string_view scope);
// nullopt for a token that is malformed or was made for another scope.
std::optional<PageCursor> DecodePageToken(std::string_view token, std::string_view scope);

}  // namespace karton::partners
