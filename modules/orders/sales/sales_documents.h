// What quotations and orders share beyond their lines' rules: checking the
// partner and contact as the caller, pricing the lines against the
// catalogue, and reading a document's lines back with its totals.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>

#include "karton/kernel/clock.h"
#include "karton/orders/v1/orders.pb.h"
#include "sales/sales_line_repository.h"

namespace grpc {
class ServerContext;
}  // namespace grpc

namespace soci {
class session;
}  // namespace soci

namespace karton::orders {

class PartnerDirectory;

// The partner must exist and be visible to the caller of `from` (null:
// kartond itself), and the contact, if any, must be that partner's. Calls
// the partners module: call it before taking a database connection.
// Problems are INVALID_ARGUMENT naming `prefix`partner_id / contact_id.
grpc::Status CheckParties(PartnerDirectory& partners, const grpc::ServerContext* from,
                          std::int64_t partner_id, std::int64_t contact_id,
                          const std::string& prefix);

// The currency a document is written in: "HUF" when none is given; an
// unsupported one is INVALID_ARGUMENT on `prefix`currency_code.
grpc::Status CheckCurrency(std::string& currency_code, const std::string& prefix);

// Prices `lines` for the partner in the currency (today's prices in
// `time_zone`) and computes `totals`; INVALID_ARGUMENT naming each bad line
// field under `prefix`.
grpc::Status PriceDocument(soci::session& session,
                           google::protobuf::RepeatedPtrField<v1::SalesLine>& lines,
                           std::int64_t partner_id, const std::string& currency_code,
                           kernel::TimePoint now, const std::string& time_zone,
                           const std::string& prefix, v1::SalesTotals& totals);

// Reads the document's lines into it and completes its totals.
template <class Document>
void LoadLines(soci::session& session, sales_line_repository::Owner owner, Document& document);

// A document's owner must be a user; INVALID_ARGUMENT on
// `prefix`owner_user_id otherwise (0 is no owner).
grpc::Status CheckOwner(soci::session& session, std::int64_t owner_user_id,
                        const std::string& prefix);

// Today in `time_zone`.
common::v1::Date TodayIn(soci::session& session, kernel::TimePoint now,
                         const std::string& time_zone);

// Whether `date` ("YYYY-MM-DD") is before today in `time_zone`.
bool IsBeforeToday(soci::session& session, const std::string& date, kernel::TimePoint now,
                   const std::string& time_zone);

}  // namespace karton::orders
