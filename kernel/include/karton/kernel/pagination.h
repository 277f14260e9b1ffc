// Keyset pagination for List methods (never offsets): page_size 0 means 100,
// at most 1000; page tokens are opaque to clients and name the last id seen.
//
//   kernel::Page page;
//   if (auto status = kernel::ReadPage(request->page_size(), request->page_token(), 'n', page);
//       !status.ok()) return status;
//   ... WHERE id > :cursor ORDER BY id LIMIT :limit   (bind page.cursor_id, page.size + 1)
//   if (rows.size() > page.size) response->set_next_page_token(kernel::PageToken('n', last_id));
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>

namespace karton::kernel {

struct Page {
  int size = 100;              // rows to return
  std::int64_t cursor_id = 0;  // 0: the first page
};

// `kind` is one letter per resource, so a token of one list is refused by
// another. Bad input is INVALID_ARGUMENT naming page_size or page_token.
grpc::Status ReadPage(int page_size, const std::string& page_token, char kind, Page& page);
std::string PageToken(char kind, std::int64_t last_id);

}  // namespace karton::kernel
