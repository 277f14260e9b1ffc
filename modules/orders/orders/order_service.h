// OrderService: sales orders, their states and the credit check
// (order_service.proto).
#pragma once

#include <string>

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/kernel/sharing.h"
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "orders/order_states.h"
#include "orders_settings.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::orders {

class CreditExposureSource;

// Writes a new order (priced already) with its lines, audit entry and
// orders.order.created event inside `session`'s transaction; nullopt when
// `request_id` was used before by the same creator. For CreateOrder and
// AcceptQuotation.
std::optional<v1::Order> OpenOrder(kernel::ServiceParts& parts, soci::session& session,
                                   v1::Order order, const kernel::Caller& caller,
                                   const std::string& request_id, const OrdersSettings& settings);

class OrderServiceImpl final : public v1::OrderService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  OrderServiceImpl(kernel::ServiceParts parts, PartnerDirectory& partners,
                   CreditExposureSource& exposure, OrdersSettings settings)
      : parts_(parts), partners_(partners), exposure_(exposure), settings_(std::move(settings)) {}

  grpc::Status CreateOrder(grpc::ServerContext* context, const v1::CreateOrderRequest* request,
                           v1::Order* response) override;
  grpc::Status GetOrder(grpc::ServerContext* context, const v1::GetOrderRequest* request,
                        v1::Order* response) override;
  grpc::Status ListOrders(grpc::ServerContext* context, const v1::ListOrdersRequest* request,
                          v1::ListOrdersResponse* response) override;
  grpc::Status ListPurchasers(grpc::ServerContext* context,
                              const v1::ListPurchasersRequest* request,
                              v1::ListPurchasersResponse* response) override;
  grpc::Status UpdateOrder(grpc::ServerContext* context, const v1::UpdateOrderRequest* request,
                           v1::Order* response) override;
  grpc::Status ConfirmOrder(grpc::ServerContext* context, const v1::ConfirmOrderRequest* request,
                            v1::Order* response) override;
  grpc::Status MarkShipped(grpc::ServerContext* context, const v1::MarkShippedRequest* request,
                           v1::Order* response) override;
  grpc::Status MarkDelivered(grpc::ServerContext* context, const v1::MarkDeliveredRequest* request,
                             v1::Order* response) override;
  grpc::Status CompleteOrder(grpc::ServerContext* context, const v1::CompleteOrderRequest* request,
                             v1::Order* response) override;
  grpc::Status CancelOrder(grpc::ServerContext* context, const v1::CancelOrderRequest* request,
                           v1::Order* response) override;
  grpc::Status ShareOrder(grpc::ServerContext* context, const v1::ShareOrderRequest* request,
                          v1::Order* response) override;
  grpc::Status UnshareOrder(grpc::ServerContext* context, const v1::UnshareOrderRequest* request,
                            v1::Order* response) override;

 private:
  grpc::Status ChangeSharing(grpc::ServerContext* context, const char* method,
                             kernel::Sharing sharing, std::int64_t id, std::int64_t user_id,
                             std::int64_t team_id, v1::Order* response);

  // Ship, deliver, complete and cancel: the state change, its audit entry
  // and event, in one transaction.
  grpc::Status Move(grpc::ServerContext* context, const char* method, OrderAction action,
                    std::int64_t id, const std::string& etag, const std::string& reason,
                    v1::Order* response);

  kernel::ServiceParts parts_;
  PartnerDirectory& partners_;
  CreditExposureSource& exposure_;
  const OrdersSettings settings_;
};

}  // namespace karton::orders
