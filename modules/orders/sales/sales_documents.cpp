#include "sales/sales_documents.h"

#include <fmt/format.h>

#include "catalogue/product_repository.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/money.h"
#include "karton/kernel/prepared_query.h"
#include "partner_directory.h"
#include "sales/sales_lines.h"

namespace karton::orders {

grpc::Status CheckParties(PartnerDirectory& partners, const grpc::ServerContext* from,
                          std::int64_t partner_id, std::int64_t contact_id,
                          const std::string& prefix) {
  if (partner_id <= 0) return kernel::InvalidField(prefix + "partner_id", "is required");
  if (contact_id < 0) return kernel::InvalidField(prefix + "contact_id", "must not be negative");
  PartnerFacts facts;
  auto status = partners.FindPartner(from, partner_id, facts);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return kernel::InvalidField(prefix + "partner_id",
                                fmt::format("there is no partner {}", partner_id));
  }
  if (!status.ok()) return status;
  if (contact_id == 0) return grpc::Status::OK;
  status = partners.CheckContact(from, partner_id, contact_id);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
      status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    return kernel::InvalidField(prefix + "contact_id",
                                status.error_code() == grpc::StatusCode::NOT_FOUND
                                    ? fmt::format("there is no contact {}", contact_id)
                                    : status.error_message());
  }
  return status;
}

grpc::Status CheckCurrency(std::string& currency_code, const std::string& prefix) {
  if (currency_code.empty()) currency_code = "HUF";
  if (!kernel::IsSupportedCurrency(currency_code)) {
    return kernel::InvalidField(prefix + "currency_code", "must be HUF or EUR");
  }
  return grpc::Status::OK;
}

grpc::Status PriceDocument(soci::session& session,
                           google::protobuf::RepeatedPtrField<v1::SalesLine>& lines,
                           std::int64_t partner_id, const std::string& currency_code,
                           kernel::TimePoint now, const std::string& time_zone,
                           const std::string& prefix, v1::SalesTotals& totals) {
  const auto products = product_repository::Priced(session, ProductIdsOf(lines), partner_id,
                                                   currency_code, now, time_zone);
  if (auto violations = PriceLines(lines, currency_code, products, prefix); !violations.empty()) {
    return kernel::InvalidFields(std::move(violations));
  }
  totals = TotalsOf(lines, currency_code);
  return grpc::Status::OK;
}

template <class Document>
void LoadLines(soci::session& session, sales_line_repository::Owner owner, Document& document) {
  *document.mutable_lines() =
      sales_line_repository::Read(session, owner, document.id(), document.currency_code());
  *document.mutable_totals() = TotalsOf(document.lines(), document.currency_code());
}

template void LoadLines<v1::Quotation>(soci::session&, sales_line_repository::Owner,
                                       v1::Quotation&);
template void LoadLines<v1::Order>(soci::session&, sales_line_repository::Owner, v1::Order&);

grpc::Status CheckOwner(soci::session& session, std::int64_t owner_user_id,
                        const std::string& prefix) {
  if (owner_user_id == 0) return grpc::Status::OK;
  const auto rows = kernel::RunPrepared(session, "SELECT 1 FROM kernel.user_account WHERE id = $1",
                                        {std::to_string(owner_user_id)});
  if (rows.Count() == 0) {
    return kernel::InvalidField(prefix + "owner_user_id",
                                fmt::format("there is no user {}", owner_user_id));
  }
  return grpc::Status::OK;
}

common::v1::Date TodayIn(soci::session& session, kernel::TimePoint now,
                         const std::string& time_zone) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT extract(year FROM d)::int, extract(month FROM d)::int, extract(day FROM d)::int "
      "FROM (SELECT (to_timestamp($1::bigint / 1e6) AT TIME ZONE $2)::date AS d) today",
      {std::to_string(kernel::ToEpochMicros(now)), time_zone});
  common::v1::Date today;
  today.set_year(std::stoi(std::string(rows.Text(0, 0))));
  today.set_month(std::stoi(std::string(rows.Text(0, 1))));
  today.set_day(std::stoi(std::string(rows.Text(0, 2))));
  return today;
}

bool IsBeforeToday(soci::session& session, const std::string& date, kernel::TimePoint now,
                   const std::string& time_zone) {
  const auto rows = kernel::RunPrepared(
      session, "SELECT $1::date < (to_timestamp($2::bigint / 1e6) AT TIME ZONE $3)::date",
      {date, std::to_string(kernel::ToEpochMicros(now)), time_zone});
  return rows.Text(0, 0) == "t";
}

}  // namespace karton::orders
