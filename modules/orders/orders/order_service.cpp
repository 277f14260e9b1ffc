#include "orders/order_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/money.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/updates.h"
#include "orders/order_repository.h"
#include "partner_directory.h"
#include "sales/sales_documents.h"
#include "sales/sales_line_repository.h"
#include "sales/sales_lines.h"

namespace karton::orders {
namespace {

using sales_line_repository::Owner;

constexpr char kOrder[] = "orders.order";

std::vector<std::string> Roles(std::initializer_list<std::string_view> names) {
  return {names.begin(), names.end()};
}

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no order with id {}", id)};
}

std::string StateWord(v1::OrderState state) {
  return kernel::EnumWord(*v1::OrderState_descriptor(), state);
}

// Whether the caller may let an order through a failed credit check.
bool MayOverrideCredit(const kernel::Caller& caller) {
  return caller.IsAdmin() || caller.HasRole(kernel::kRoleSalesManager) ||
         caller.HasRole(kernel::kRoleAccounting);
}

// Serialises credit checks of one partner across kartond processes, so two
// orders confirmed at once cannot both fit under the same limit.
void LockPartnerCredit(soci::session& session, std::int64_t partner_id) {
  kernel::RunPrepared(session,
                      "SELECT pg_advisory_xact_lock(hashtext('orders.credit_check'), "
                      "($1::bigint % 2147483647)::integer)",
                      {std::to_string(partner_id)});
}

}  // namespace

std::optional<v1::Order> OpenOrder(kernel::ServiceParts& parts, soci::session& session,
                                   v1::Order order, const kernel::Caller& caller,
                                   const std::string& request_id, const OrdersSettings& settings) {
  auto created = order_repository::Insert(session, order, kernel::ActorUserId(caller), request_id,
                                          parts.clock.Now(), settings.time_zone);
  if (!created) return created;
  sales_line_repository::Replace(session, Owner::kOrder, created->id(), order.lines());
  *created->mutable_lines() = order.lines();
  *created->mutable_totals() = order.totals();
  parts.audit.Record(session, caller, kernel::AuditAction::kCreate, kOrder, created->id(),
                     kernel::DiffFields(nullptr, *created));
  parts.events.Publish(session, "orders.order.created", created->id(), *created, caller);
  return created;
}

void OrderServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb :
       {"created", "updated", "confirmed", "shipped", "delivered", "completed", "cancelled"}) {
    events.DeclareTopic<v1::Order>(std::string("orders.order.") + verb);
  }
  kernel::DeclareSharingTopics<v1::Order>(events, "orders.order");
}

kernel::MethodRoles OrderServiceImpl::Roles() {
  const auto sales = orders::Roles({kernel::kRoleSales, kernel::kRoleSalesManager});
  const auto fulfilment =
      orders::Roles({kernel::kRoleSales, kernel::kRoleSalesManager, kernel::kRoleAccounting});
  // Reading: the staff, and external partners (only what is shared with them).
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kernel::kRoleExternalPartner);
  return {{"CreateOrder", sales},        {"GetOrder", readers},
          {"ListOrders", readers},       {"ListPurchasers", kernel::StaffRoles()},
          {"UpdateOrder", sales},        {"ConfirmOrder", fulfilment},
          {"MarkShipped", fulfilment},   {"MarkDelivered", fulfilment},
          {"CompleteOrder", fulfilment}, {"CancelOrder", fulfilment},
          {"ShareOrder", fulfilment},    {"UnshareOrder", fulfilment}};
}

grpc::Status OrderServiceImpl::CreateOrder(grpc::ServerContext* context,
                                           const v1::CreateOrderRequest* request,
                                           v1::Order* response) {
  v1::Order order = request->order();
  for (auto clear :
       {&v1::Order::clear_id, &v1::Order::clear_number, &v1::Order::clear_state,
        &v1::Order::clear_quotation_id, &v1::Order::clear_totals, &v1::Order::clear_cancel_reason,
        &v1::Order::clear_credit_override_reason, &v1::Order::clear_etag}) {
    (order.*clear)();
  }
  if (auto status = CheckCurrency(*order.mutable_currency_code(), "order."); !status.ok()) {
    return status;
  }
  if (order.note().size() > 4000) return kernel::InvalidField("order.note", "at most 4000 bytes");
  if (request->request_id().size() > 200) {
    return kernel::InvalidField("request_id", "at most 200 bytes");
  }
  if (auto status =
          CheckParties(partners_, context, order.partner_id(), order.contact_id(), "order.");
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "CreateOrder", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    if (order.owner_user_id() == 0) order.set_owner_user_id(caller.user_id);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (!request->request_id().empty()) {
      if (auto earlier = order_repository::FindByRequest(
              lease.Session(), kernel::ActorUserId(caller), request->request_id())) {
        LoadLines(lease.Session(), Owner::kOrder, *earlier);
        *response = std::move(*earlier);
        return grpc::Status::OK;
      }
    }
    if (auto status = CheckOwner(lease.Session(), order.owner_user_id(), "order."); !status.ok()) {
      return status;
    }
    if (auto status = PriceDocument(lease.Session(), *order.mutable_lines(), order.partner_id(),
                                    order.currency_code(), parts_.clock.Now(), settings_.time_zone,
                                    "order.", *order.mutable_totals());
        !status.ok()) {
      return status;
    }
    auto created =
        OpenOrder(parts_, lease.Session(), order, caller, request->request_id(), settings_);
    if (!created) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status OrderServiceImpl::GetOrder(grpc::ServerContext* context,
                                        const v1::GetOrderRequest* request, v1::Order* response) {
  return kernel::Guarded(parts_.log, "GetOrder", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = order_repository::Find(lease.Session(), request->id(),
                                        VisibilityOf(kernel::CallerOf(*context)));
    if (!found) return NotFound(request->id());
    LoadLines(lease.Session(), Owner::kOrder, *found);
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status OrderServiceImpl::ListOrders(grpc::ServerContext* context,
                                          const v1::ListOrdersRequest* request,
                                          v1::ListOrdersResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  order_repository::ListFilter filter{request->partner_id(), "", request->owner_user_id()};
  if (request->state() != v1::ORDER_STATE_UNSPECIFIED) {
    if (!v1::OrderState_IsValid(request->state())) {
      return kernel::InvalidField("state", "is not an order state");
    }
    filter.state = StateWord(request->state());
  }
  return kernel::Guarded(parts_.log, "ListOrders", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = order_repository::List(lease.Session(), VisibilityOf(kernel::CallerOf(*context)),
                                       filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Order& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_orders() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status OrderServiceImpl::ListPurchasers(grpc::ServerContext* context,
                                              const v1::ListPurchasersRequest* request,
                                              v1::ListPurchasersResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page, {.default_size = 1000, .max_size = 10000});
      !status.ok())
    return status;
  std::vector<std::int64_t> products(request->product_ids().begin(), request->product_ids().end());
  const long long since_us =
      request->has_since()
          ? google::protobuf::util::TimeUtil::TimestampToMicroseconds(request->since())
          : 0;
  return kernel::Guarded(parts_.log, "ListPurchasers", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows =
        order_repository::Purchasers(lease.Session(), VisibilityOf(kernel::CallerOf(*context)),
                                     products, since_us, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](std::int64_t id) {
      return kernel::PageCursor{"", id};
    }));
    for (const auto id : rows) response->add_partner_ids(id);
    return grpc::Status::OK;
  });
}

grpc::Status OrderServiceImpl::UpdateOrder(grpc::ServerContext* context,
                                           const v1::UpdateOrderRequest* request,
                                           v1::Order* response) {
  const v1::Order& change = request->order();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change, {"contact_id", "currency_code", "lines", "note", "owner_user_id"},
          paths);
      !status.ok()) {
    return status;
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  // The contact is checked with the partners module before a connection is
  // taken, so the order is read once to learn its partner.
  std::optional<v1::Order> preview;
  if (auto status = kernel::Guarded(parts_.log, "UpdateOrder",
                                    [&] {
                                      auto lease = parts_.database.Acquire();
                                      preview = order_repository::Find(lease.Session(), change.id(),
                                                                       VisibilityOf(caller));
                                      return grpc::Status::OK;
                                    });
      !status.ok()) {
    return status;
  }
  if (!preview) return NotFound(change.id());
  v1::Order updated = *preview;
  kernel::ApplyUpdateMask(change, paths, updated);
  if (auto status = CheckCurrency(*updated.mutable_currency_code(), "order."); !status.ok()) {
    return status;
  }
  if (updated.note().size() > 4000) return kernel::InvalidField("order.note", "at most 4000 bytes");
  if (updated.contact_id() != preview->contact_id()) {
    if (auto status =
            CheckParties(partners_, context, updated.partner_id(), updated.contact_id(), "order.");
        !status.ok()) {
      return status;
    }
  }
  return kernel::Guarded(parts_.log, "UpdateOrder", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = order_repository::Find(lease.Session(), change.id(), VisibilityOf(caller), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("order", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->state() != v1::ORDER_STATE_DRAFT) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("order {} is {}; only a draft order can be changed", stored->id(),
                          StateWord(stored->state()))};
    }
    LoadLines(lease.Session(), Owner::kOrder, *stored);
    v1::Order next = *stored;
    kernel::ApplyUpdateMask(updated, paths, next);
    if (auto status = CheckOwner(lease.Session(), next.owner_user_id(), "order."); !status.ok()) {
      return status;
    }
    if (auto status = PriceDocument(lease.Session(), *next.mutable_lines(), next.partner_id(),
                                    next.currency_code(), parts_.clock.Now(), settings_.time_zone,
                                    "order.", *next.mutable_totals());
        !status.ok()) {
      return status;
    }
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = order_repository::Update(lease.Session(), next, parts_.clock.Now());
    sales_line_repository::Replace(lease.Session(), Owner::kOrder, written.id(), next.lines());
    *written.mutable_lines() = next.lines();
    *written.mutable_totals() = next.totals();
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kOrder, written.id(),
                        changes);
    parts_.events.Publish(lease.Session(), "orders.order.updated", written.id(), written, caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status OrderServiceImpl::ConfirmOrder(grpc::ServerContext* context,
                                            const v1::ConfirmOrderRequest* request,
                                            v1::Order* response) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  const std::string& override_reason = request->credit_override_reason();
  if (override_reason.size() > 1000) {
    return kernel::InvalidField("credit_override_reason", "at most 1000 bytes");
  }
  if (!override_reason.empty() && !MayOverrideCredit(caller)) {
    return {grpc::StatusCode::PERMISSION_DENIED,
            "only a sales manager or accounting may override the credit check"};
  }
  // What other modules know is asked before a connection is taken.
  std::optional<v1::Order> preview;
  if (auto status = kernel::Guarded(parts_.log, "ConfirmOrder",
                                    [&] {
                                      auto lease = parts_.database.Acquire();
                                      preview = order_repository::Find(
                                          lease.Session(), request->id(), VisibilityOf(caller));
                                      return grpc::Status::OK;
                                    });
      !status.ok()) {
    return status;
  }
  if (!preview) return NotFound(request->id());
  PartnerFacts partner;
  if (auto status = partners_.FindPartner(context, preview->partner_id(), partner); !status.ok()) {
    return status;
  }
  const std::string limit_currency = partner.credit_limit.currency_code();
  const bool has_limit = !limit_currency.empty();
  std::vector<ExposureAnswer> owed;
  if (has_limit) {
    if (auto status = exposure_.Ask(*context, preview->partner_id(), limit_currency, owed);
        !status.ok()) {
      return status;
    }
  }
  return kernel::Guarded(parts_.log, "ConfirmOrder", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (has_limit) LockPartnerCredit(lease.Session(), preview->partner_id());
    auto stored =
        order_repository::Find(lease.Session(), request->id(), VisibilityOf(caller), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("order", stored->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    const std::string state = StateWord(stored->state());
    if (auto refusal = RefuseTransition(OrderAction::kConfirm, state, stored->id())) {
      return {grpc::StatusCode::FAILED_PRECONDITION, *refusal};
    }
    std::string used_override;
    if (has_limit) {
      std::string refusal;
      if (stored->currency_code() != limit_currency) {
        refusal = fmt::format(
            "is in {} and the order in {}: it cannot be checked; a sales manager or accounting "
            "may confirm it with credit_override_reason",
            limit_currency, stored->currency_code());
      } else {
        CreditPosition position;
        position.limit = partner.credit_limit.minor_units();
        position.open_orders = order_repository::OpenOrdersGross(
            lease.Session(), stored->partner_id(), limit_currency, stored->id());
        for (const auto& answer : owed) position.owed_elsewhere += answer.open_minor;
        position.this_order = stored->totals().gross_amount().minor_units();
        if (auto excess = CreditExcess(position)) {
          refusal = fmt::format("{} exceeded by {}: open orders {}, owed {}, this order {}",
                                kernel::FormatMoney(position.limit, limit_currency),
                                kernel::FormatMoney(*excess, limit_currency),
                                kernel::FormatMoney(position.open_orders, limit_currency),
                                kernel::FormatMoney(position.owed_elsewhere, limit_currency),
                                kernel::FormatMoney(position.this_order, limit_currency));
        }
      }
      if (!refusal.empty()) {
        if (override_reason.empty()) {
          return kernel::FailedPreconditionOnField("credit_limit", refusal);
        }
        used_override = override_reason;
      }
    }
    auto confirmed = order_repository::SetState(lease.Session(), stored->id(), "confirmed",
                                                used_override, parts_.clock.Now());
    LoadLines(lease.Session(), Owner::kOrder, confirmed);
    std::vector<kernel::FieldChange> changes = {
        kernel::FieldChange::Of("state", state, "confirmed")};
    if (!used_override.empty()) {
      changes.push_back(kernel::FieldChange::Of("credit_override_reason", "", used_override));
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kOrder,
                        confirmed.id(), changes);
    parts_.events.Publish(lease.Session(), "orders.order.confirmed", confirmed.id(), confirmed,
                          caller);
    transaction.Commit();
    *response = std::move(confirmed);
    return grpc::Status::OK;
  });
}

grpc::Status OrderServiceImpl::Move(grpc::ServerContext* context, const char* method,
                                    OrderAction action, std::int64_t id, const std::string& etag,
                                    const std::string& reason, v1::Order* response) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = order_repository::Find(lease.Session(), id, VisibilityOf(caller), true);
    if (!stored) return NotFound(id);
    if (auto status = kernel::CheckEtag("order", id, etag, stored->etag()); !status.ok()) {
      return status;
    }
    const std::string state = StateWord(stored->state());
    if (auto refusal = RefuseTransition(action, state, id)) {
      return {grpc::StatusCode::FAILED_PRECONDITION, *refusal};
    }
    const std::string target = TargetState(action);
    auto moved =
        order_repository::SetState(lease.Session(), id, target, reason, parts_.clock.Now());
    LoadLines(lease.Session(), Owner::kOrder, moved);
    std::vector<kernel::FieldChange> changes = {kernel::FieldChange::Of("state", state, target)};
    if (!reason.empty()) changes.push_back(kernel::FieldChange::Of("cancel_reason", "", reason));
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kOrder, id, changes);
    parts_.events.Publish(lease.Session(), EventTopic(action), id, moved, caller);
    transaction.Commit();
    *response = std::move(moved);
    return grpc::Status::OK;
  });
}

grpc::Status OrderServiceImpl::MarkShipped(grpc::ServerContext* context,
                                           const v1::MarkShippedRequest* request,
                                           v1::Order* response) {
  return Move(context, "MarkShipped", OrderAction::kShip, request->id(), request->etag(), "",
              response);
}

grpc::Status OrderServiceImpl::MarkDelivered(grpc::ServerContext* context,
                                             const v1::MarkDeliveredRequest* request,
                                             v1::Order* response) {
  return Move(context, "MarkDelivered", OrderAction::kDeliver, request->id(), request->etag(), "",
              response);
}

grpc::Status OrderServiceImpl::CompleteOrder(grpc::ServerContext* context,
                                             const v1::CompleteOrderRequest* request,
                                             v1::Order* response) {
  return Move(context, "CompleteOrder", OrderAction::kComplete, request->id(), request->etag(), "",
              response);
}

grpc::Status OrderServiceImpl::CancelOrder(grpc::ServerContext* context,
                                           const v1::CancelOrderRequest* request,
                                           v1::Order* response) {
  if (request->reason().empty() || request->reason().size() > 1000) {
    return kernel::InvalidField("reason", "is required, at most 1000 bytes");
  }
  return Move(context, "CancelOrder", OrderAction::kCancel, request->id(), request->etag(),
              request->reason(), response);
}

grpc::Status OrderServiceImpl::ShareOrder(grpc::ServerContext* context,
                                          const v1::ShareOrderRequest* request,
                                          v1::Order* response) {
  return ChangeSharing(context, "ShareOrder", kernel::Sharing::kShare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status OrderServiceImpl::UnshareOrder(grpc::ServerContext* context,
                                            const v1::UnshareOrderRequest* request,
                                            v1::Order* response) {
  return ChangeSharing(context, "UnshareOrder", kernel::Sharing::kUnshare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status OrderServiceImpl::ChangeSharing(grpc::ServerContext* context, const char* method,
                                             kernel::Sharing sharing, std::int64_t id,
                                             std::int64_t user_id, std::int64_t team_id,
                                             v1::Order* response) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = order_repository::Find(lease.Session(), id, VisibilityOf(caller), true);
    if (!stored) return NotFound(id);
    LoadLines(lease.Session(), Owner::kOrder, *stored);
    if (auto status = kernel::ChangeSharing(sharing, parts_.audit, parts_.events, lease.Session(),
                                            caller, kOrder, *stored, id, user_id, team_id);
        !status.ok()) {
      return status;
    }
    transaction.Commit();
    *response = std::move(*stored);
    return grpc::Status::OK;
  });
}

}  // namespace karton::orders
