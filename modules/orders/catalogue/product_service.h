// ProductService: the product catalogue (product_service.proto).
#pragma once

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/orders/v1/product_service.grpc.pb.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::orders {

class ProductServiceImpl final : public v1::ProductService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  explicit ProductServiceImpl(kernel::ServiceParts parts) : parts_(parts) {}

  grpc::Status CreateProduct(grpc::ServerContext* context, const v1::CreateProductRequest* request,
                             v1::Product* response) override;
  grpc::Status GetProduct(grpc::ServerContext* context, const v1::GetProductRequest* request,
                          v1::Product* response) override;
  grpc::Status ListProducts(grpc::ServerContext* context, const v1::ListProductsRequest* request,
                            v1::ListProductsResponse* response) override;
  grpc::Status UpdateProduct(grpc::ServerContext* context, const v1::UpdateProductRequest* request,
                             v1::Product* response) override;

 private:
  kernel::ServiceParts parts_;
};

}  // namespace karton::orders
