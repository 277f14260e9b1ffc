#include "pricing/price_list_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "catalogue/product_repository.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/money.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "partner_directory.h"
#include "pricing/price_list_repository.h"
#include "sales/sales_lines.h"

namespace karton::orders {
namespace {

constexpr char kPriceList[] = "orders.price_list";
constexpr int kMaxItems = 10000;

// The rules that need no database; items get the list's currency.
std::vector<kernel::FieldViolation> CheckShape(v1::PriceList& list) {
  std::vector<kernel::FieldViolation> violations;
  if (list.name().empty() || list.name().size() > 200) {
    violations.push_back({"price_list.name", "is required, at most 200 bytes"});
  }
  if (!kernel::IsSupportedCurrency(list.currency_code())) {
    violations.push_back({"price_list.currency_code", "must be HUF or EUR"});
  }
  if (list.partner_id() < 0)
    violations.push_back({"price_list.partner_id", "must not be negative"});
  const bool has_from = list.has_valid_from();
  const bool has_until = list.has_valid_until();
  if (has_from && !kernel::IsValidDate(list.valid_from())) {
    violations.push_back({"price_list.valid_from", "is not a date"});
  }
  if (has_until && !kernel::IsValidDate(list.valid_until())) {
    violations.push_back({"price_list.valid_until", "is not a date"});
  }
  if (has_from && has_until &&
      kernel::DateText(list.valid_from()) > kernel::DateText(list.valid_until())) {
    violations.push_back({"price_list.valid_until", "must not be before valid_from"});
  }
  if (list.items_size() > kMaxItems) {
    violations.push_back({"price_list.items", fmt::format("at most {} items", kMaxItems)});
    return violations;
  }
  std::set<std::int64_t> seen;
  for (int index = 0; index < list.items_size(); ++index) {
    auto& item = *list.mutable_items(index);
    const std::string field = fmt::format("price_list.items[{}]", index);
    if (item.product_id() <= 0) {
      violations.push_back({field + ".product_id", "is required"});
    } else if (!seen.insert(item.product_id()).second) {
      violations.push_back({field + ".product_id", "is on the list twice"});
    }
    if (!item.has_unit_price()) {
      violations.push_back({field + ".unit_price", "is required"});
      continue;
    }
    if (item.unit_price().currency_code().empty()) {
      item.mutable_unit_price()->set_currency_code(list.currency_code());
    }
    if (item.unit_price().currency_code() != list.currency_code()) {
      violations.push_back(
          {field + ".unit_price.currency_code", "must be the price list's currency"});
    }
    if (item.unit_price().minor_units() < 0 ||
        item.unit_price().minor_units() > kMaxUnitPriceMinor) {
      violations.push_back({field + ".unit_price.minor_units", "must not be negative"});
    }
  }
  return violations;
}

// Items naming products that do not exist, as violations.
std::vector<kernel::FieldViolation> CheckProducts(soci::session& session,
                                                  const v1::PriceList& list) {
  std::vector<std::int64_t> ids;
  for (const auto& item : list.items()) ids.push_back(item.product_id());
  const auto existing = price_list_repository::ExistingProducts(session, ids);
  std::vector<kernel::FieldViolation> violations;
  for (int index = 0; index < list.items_size(); ++index) {
    const auto id = list.items(index).product_id();
    if (std::find(existing.begin(), existing.end(), id) == existing.end()) {
      violations.push_back({fmt::format("price_list.items[{}].product_id", index),
                            fmt::format("there is no product {}", id)});
    }
  }
  return violations;
}

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no price list with id {}", id)};
}

}  // namespace

void PriceListServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::PriceList>("orders.price_list.created");
  events.DeclareTopic<v1::PriceList>("orders.price_list.updated");
}

kernel::MethodRoles PriceListServiceImpl::Roles() {
  const std::vector<std::string> writers = {std::string(kernel::kRoleSalesManager),
                                            std::string(kernel::kRoleAccounting)};
  return {{"CreatePriceList", writers},
          {"GetPriceList", kernel::StaffRoles()},
          {"ListPriceLists", kernel::StaffRoles()},
          {"UpdatePriceList", writers},
          {"ResolvePrice", kernel::StaffRoles()}};
}

grpc::Status PriceListServiceImpl::Check(grpc::ServerContext* context, v1::PriceList& list) {
  if (auto violations = CheckShape(list); !violations.empty()) {
    return kernel::InvalidFields(std::move(violations));
  }
  if (list.partner_id() > 0) {
    PartnerFacts facts;
    auto status = partners_.FindPartner(context, list.partner_id(), facts);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return kernel::InvalidField("price_list.partner_id",
                                  fmt::format("there is no partner {}", list.partner_id()));
    }
    if (!status.ok()) return status;
  }
  return grpc::Status::OK;
}

grpc::Status PriceListServiceImpl::CreatePriceList(grpc::ServerContext* context,
                                                   const v1::CreatePriceListRequest* request,
                                                   v1::PriceList* response) {
  v1::PriceList list = request->price_list();
  list.clear_id();
  list.clear_etag();
  list.clear_create_time();
  list.clear_update_time();
  if (auto status = Check(context, list); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreatePriceList", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (auto violations = CheckProducts(lease.Session(), list); !violations.empty()) {
      return kernel::InvalidFields(std::move(violations));
    }
    auto created = price_list_repository::Insert(lease.Session(), list, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kPriceList,
                        created.id(), kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "orders.price_list.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status PriceListServiceImpl::GetPriceList(grpc::ServerContext*,
                                                const v1::GetPriceListRequest* request,
                                                v1::PriceList* response) {
  return kernel::Guarded(parts_.log, "GetPriceList", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = price_list_repository::Find(lease.Session(), request->id());
    if (!found) return NotFound(request->id());
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status PriceListServiceImpl::ListPriceLists(grpc::ServerContext*,
                                                  const v1::ListPriceListsRequest* request,
                                                  v1::ListPriceListsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListPriceLists", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = price_list_repository::List(lease.Session(), request->partner_id(), page.AfterId(),
                                            page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::PriceList& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_price_lists() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status PriceListServiceImpl::UpdatePriceList(grpc::ServerContext* context,
                                                   const v1::UpdatePriceListRequest* request,
                                                   v1::PriceList* response) {
  const v1::PriceList& change = request->price_list();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change, {"name", "partner_id", "valid_from", "valid_until", "items"}, paths);
      !status.ok()) {
    return status;
  }
  // The partner is checked before a connection is taken: read the list
  // once to know the result, then again, locked, in the transaction.
  std::optional<v1::PriceList> preview;
  grpc::Status found_status = kernel::Guarded(parts_.log, "UpdatePriceList", [&] {
    auto lease = parts_.database.Acquire();
    preview = price_list_repository::Find(lease.Session(), change.id());
    return grpc::Status::OK;
  });
  if (!found_status.ok()) return found_status;
  if (!preview) return NotFound(change.id());
  v1::PriceList updated = *preview;
  kernel::ApplyUpdateMask(change, paths, updated);
  if (auto status = Check(context, updated); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "UpdatePriceList", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = price_list_repository::Find(lease.Session(), change.id(), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("price list", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::PriceList next = *stored;
    kernel::ApplyUpdateMask(updated, paths, next);
    if (auto violations = CheckProducts(lease.Session(), next); !violations.empty()) {
      return kernel::InvalidFields(std::move(violations));
    }
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = price_list_repository::Update(lease.Session(), next, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kPriceList,
                        written.id(), changes);
    parts_.events.Publish(lease.Session(), "orders.price_list.updated", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status PriceListServiceImpl::ResolvePrice(grpc::ServerContext*,
                                                const v1::ResolvePriceRequest* request,
                                                v1::ResolvePriceResponse* response) {
  if (!kernel::IsSupportedCurrency(request->currency_code())) {
    return kernel::InvalidField("currency_code", "must be HUF or EUR");
  }
  if (request->product_id() <= 0) return kernel::InvalidField("product_id", "is required");
  if (request->has_date() && !kernel::IsValidDate(request->date())) {
    return kernel::InvalidField("date", "is not a date");
  }
  return kernel::Guarded(parts_.log, "ResolvePrice", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto priced = product_repository::Priced(
        lease.Session(), {request->product_id()}, request->partner_id(), request->currency_code(),
        parts_.clock.Now(), settings_.time_zone,
        request->has_date() ? kernel::DateText(request->date()) : std::string());
    const auto found = priced.find(request->product_id());
    if (found == priced.end()) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no product with id {}", request->product_id())};
    }
    if (!found->second.unit_price_minor) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("product {} has no price in {} for partner {}", request->product_id(),
                          request->currency_code(), request->partner_id())};
    }
    response->mutable_unit_price()->set_currency_code(request->currency_code());
    response->mutable_unit_price()->set_minor_units(*found->second.unit_price_minor);
    response->set_price_list_id(found->second.price_list_id);
    return grpc::Status::OK;
  });
}

}  // namespace karton::orders
