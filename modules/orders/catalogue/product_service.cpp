#include "catalogue/product_service.h"

#include <fmt/format.h>

#include <cctype>

#include "catalogue/product_repository.h"
#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/money.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"

namespace karton::orders {
namespace {

constexpr char kProduct[] = "orders.product";

// Every rule of a product as stored; `prefix` is "product.".
std::vector<kernel::FieldViolation> CheckProduct(const v1::Product& product) {
  std::vector<kernel::FieldViolation> violations;
  if (product.sku().empty() || product.sku().size() > 64) {
    violations.push_back({"product.sku", "is required, at most 64 bytes"});
  } else {
    for (unsigned char c : product.sku()) {
      if (std::isspace(c) || std::iscntrl(c)) {
        violations.push_back({"product.sku", "must not contain spaces"});
        break;
      }
    }
  }
  if (product.name().empty() || product.name().size() > 200) {
    violations.push_back({"product.name", "is required, at most 200 bytes"});
  }
  if (product.unit().empty() || product.unit().size() > 20) {
    violations.push_back({"product.unit", "is required, at most 20 bytes"});
  }
  if (!kernel::VatRateBasisPoints(product.vat_category())) {
    violations.push_back({"product.vat_category", "is required: one of the VAT categories"});
  }
  if (product.has_list_price()) {
    if (!kernel::IsSupportedCurrency(product.list_price().currency_code())) {
      violations.push_back({"product.list_price.currency_code", "must be HUF or EUR"});
    }
    if (product.list_price().minor_units() < 0 ||
        product.list_price().minor_units() > kMaxUnitPriceMinor) {
      violations.push_back({"product.list_price.minor_units", "must not be negative"});
    }
  }
  if (product.description().size() > 4000) {
    violations.push_back({"product.description", "at most 4000 bytes"});
  }
  return violations;
}

grpc::Status SkuTaken(const std::string& sku) {
  return {grpc::StatusCode::ALREADY_EXISTS, fmt::format("a product with SKU {} exists", sku)};
}

}  // namespace

void ProductServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::Product>("orders.product.created");
  events.DeclareTopic<v1::Product>("orders.product.updated");
}

kernel::MethodRoles ProductServiceImpl::Roles() {
  const std::vector<std::string> writers = {std::string(kernel::kRoleSalesManager),
                                            std::string(kernel::kRoleAccounting)};
  return {{"CreateProduct", writers},
          {"GetProduct", kernel::StaffRoles()},
          {"ListProducts", kernel::StaffRoles()},
          {"UpdateProduct", writers}};
}

grpc::Status ProductServiceImpl::CreateProduct(grpc::ServerContext* context,
                                               const v1::CreateProductRequest* request,
                                               v1::Product* response) {
  v1::Product product = request->product();
  product.clear_id();
  product.clear_etag();
  product.clear_create_time();
  product.clear_update_time();
  if (product.unit().empty()) product.set_unit("db");
  // A new product is active unless it says otherwise... proto3 cannot tell
  // an unset bool from false, so a product starts active and is
  // deactivated by UpdateProduct.
  product.set_active(true);
  if (auto violations = CheckProduct(product); !violations.empty()) {
    return kernel::InvalidFields(std::move(violations));
  }
  return kernel::Guarded(parts_.log, "CreateProduct", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto created = product_repository::Insert(lease.Session(), product, parts_.clock.Now());
    if (!created) return SkuTaken(product.sku());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kProduct,
                        created->id(), kernel::DiffFields(nullptr, *created));
    parts_.events.Publish(lease.Session(), "orders.product.created", created->id(), *created,
                          caller);
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status ProductServiceImpl::GetProduct(grpc::ServerContext*,
                                            const v1::GetProductRequest* request,
                                            v1::Product* response) {
  return kernel::Guarded(parts_.log, "GetProduct", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = product_repository::Find(lease.Session(), request->id());
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no product with id {}", request->id())};
    }
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status ProductServiceImpl::ListProducts(grpc::ServerContext*,
                                              const v1::ListProductsRequest* request,
                                              v1::ListProductsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  if (request->query().size() > 200) return kernel::InvalidField("query", "at most 200 bytes");
  return kernel::Guarded(parts_.log, "ListProducts", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows =
        product_repository::List(lease.Session(), {request->query(), request->include_inactive()},
                                 page.after ? page.after->key : "", page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Product& row) {
      return kernel::PageCursor{row.sku(), row.id()};
    }));
    for (auto& row : rows) *response->add_products() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status ProductServiceImpl::UpdateProduct(grpc::ServerContext* context,
                                               const v1::UpdateProductRequest* request,
                                               v1::Product* response) {
  const v1::Product& change = request->product();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"sku", "name", "unit", "vat_category", "list_price", "active", "description"}, paths);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "UpdateProduct", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = product_repository::Find(lease.Session(), change.id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no product with id {}", change.id())};
    }
    if (auto status = kernel::CheckEtag("product", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Product updated = *stored;
    kernel::ApplyUpdateMask(change, paths, updated);
    if (auto violations = CheckProduct(updated); !violations.empty()) {
      return kernel::InvalidFields(std::move(violations));
    }
    const auto changes = kernel::DiffFields(&*stored, updated);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = product_repository::Update(lease.Session(), updated, parts_.clock.Now());
    if (!written) return SkuTaken(updated.sku());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kProduct,
                        written->id(), changes);
    parts_.events.Publish(lease.Session(), "orders.product.updated", written->id(), *written,
                          caller);
    transaction.Commit();
    *response = std::move(*written);
    return grpc::Status::OK;
  });
}

}  // namespace karton::orders
