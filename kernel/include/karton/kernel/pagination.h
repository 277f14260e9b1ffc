// Keyset pagination for List methods (never offsets), one way for every
// module. A page token is the last row's cursor (its sort key and id),
// opaque to clients and bound to the request it came from: reused with
// another filter, order or query, or on another list, it is refused
// instead of silently skipping or repeating rows.
//
//   kernel::Page page;
//   if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
//   auto rows = repository::List(session, filter, page.AfterId(), page.FetchLimit());
//   response->set_next_page_token(
//       kernel::FinishPage(rows, page, [](const Row& row) { return kernel::PageCursor{"", row.id};
//       }));
//   for (auto& row : rows) ...
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace karton::kernel {

// Where a page ended: the last row's sort key as text ("" when the list is
// ordered by id alone) and its id.
struct PageCursor {
  std::string key;
  std::int64_t id = 0;
};

// page_size 0 means default_size; above max_size is INVALID_ARGUMENT.
struct PageLimits {
  int default_size = 100;
  int max_size = 1000;
};

struct Page {
  int size = 100;
  // Where the previous page ended; nullopt on the first page.
  std::optional<PageCursor> after;
  // What the page's tokens are bound to (see ReadPage).
  std::string scope;

  // For lists ordered by id alone: rows with ids above this (0: all).
  std::int64_t AfterId() const { return after ? after->id : 0; }
  // Rows to fetch: one more than the page, to learn whether another follows.
  int FetchLimit() const { return size + 1; }
};

// Reads the page_size and page_token fields of a List request (a message
// with those two fields; anything else is a programming error and throws
// std::logic_error). The token must have come from the same method with
// the same request otherwise: every other field of it (filters, order,
// query) is part of the page's scope. Bad input is INVALID_ARGUMENT naming
// page_size or page_token.
grpc::Status ReadPage(const google::protobuf::Message& request, Page& page, PageLimits limits = {});

// The token of the page after the one that ended at `last`, in `page`'s
// scope. For lists that end pages by rules of their own (FinishPage covers
// the usual case).
std::string NextPageToken(const Page& page, const PageCursor& last);

// After fetching page.FetchLimit() rows: drops the extra one and returns the
// next page's token, or "" when this page is the last. `cursor_of(row)` is
// the row's PageCursor.
template <class Row, class CursorOf>
std::string FinishPage(std::vector<Row>& rows, const Page& page, CursorOf&& cursor_of) {
  if (rows.size() <= static_cast<std::size_t>(page.size)) return {};
  rows.resize(static_cast<std::size_t>(page.size));
  return NextPageToken(page, cursor_of(rows.back()));
}

}  // namespace karton::kernel
