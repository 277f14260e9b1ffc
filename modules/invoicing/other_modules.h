// What invoicing asks other modules, over gRPC as the caller: whether a
// partner exists for them and its card (partners), and an order to bill (orders).
// Interfaces, so the services' database tests answer them in memory.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "karton/orders/v1/orders.pb.h"
#include "karton/partners/v1/partner.pb.h"

namespace grpc {
class Channel;
class ServerContext;
}  // namespace grpc

namespace karton::invoicing {

class OtherModules {
 public:
  virtual ~OtherModules() = default;
  // The partner card; NOT_FOUND when the caller of `from` cannot see it.
  virtual grpc::Status GetPartner(const grpc::ServerContext* from, std::int64_t partner_id,
                                  partners::v1::Partner& partner) = 0;
  // The order with its lines; NOT_FOUND when the caller cannot see it.
  virtual grpc::Status GetOrder(const grpc::ServerContext* from, std::int64_t order_id,
                                orders::v1::Order& order) = 0;
};

// Over the in-process channel, which exists from the module's Start() on:
// `channel` is read at each call.
class GrpcOtherModules final : public OtherModules {
 public:
  explicit GrpcOtherModules(std::function<std::shared_ptr<grpc::Channel>()> channel)
      : channel_(std::move(channel)) {}
  grpc::Status GetPartner(const grpc::ServerContext* from, std::int64_t partner_id,
                          partners::v1::Partner& partner) override;
  grpc::Status GetOrder(const grpc::ServerContext* from, std::int64_t order_id,
                        orders::v1::Order& order) override;

 private:
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
};

}  // namespace karton::invoicing
