// The stored lines of quotations and orders (orders.sales_line).
#pragma once

#include <cstdint>
#include <string>

#include "karton/orders/v1/orders.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::orders::sales_line_repository {

// Whose lines: a quotation's or an order's.
enum class Owner { kQuotation, kOrder };

// Replaces the document's lines with `lines` (priced already, see
// PriceLines), in one statement queued with the transaction's commit.
void Replace(soci::session& session, Owner owner, std::int64_t document_id,
             const google::protobuf::RepeatedPtrField<v1::SalesLine>& lines);

// The document's lines in position order, their money in `currency_code`.
google::protobuf::RepeatedPtrField<v1::SalesLine> Read(soci::session& session, Owner owner,
                                                       std::int64_t document_id,
                                                       const std::string& currency_code);

}  // namespace karton::orders::sales_line_repository
