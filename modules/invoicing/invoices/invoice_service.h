// InvoiceService: drafts, invoices from orders, issuing with gap-free
// numbers (invoice_service.proto).
#pragma once

#include <string>

#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "service_parts.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::invoicing {

class OtherModules;

class InvoiceServiceImpl final : public v1::InvoiceService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  InvoiceServiceImpl(ServiceParts parts, OtherModules& others, InvoicingSettings settings)
      : parts_(parts), others_(others), settings_(std::move(settings)) {}

  grpc::Status CreateInvoice(grpc::ServerContext* context, const v1::CreateInvoiceRequest* request,
                             v1::Invoice* response) override;
  grpc::Status CreateInvoiceFromOrder(grpc::ServerContext* context,
                                      const v1::CreateInvoiceFromOrderRequest* request,
                                      v1::Invoice* response) override;
  grpc::Status GetInvoice(grpc::ServerContext* context, const v1::GetInvoiceRequest* request,
                          v1::Invoice* response) override;
  grpc::Status ListInvoices(grpc::ServerContext* context, const v1::ListInvoicesRequest* request,
                            v1::ListInvoicesResponse* response) override;
  grpc::Status UpdateInvoice(grpc::ServerContext* context, const v1::UpdateInvoiceRequest* request,
                             v1::Invoice* response) override;
  grpc::Status IssueInvoice(grpc::ServerContext* context, const v1::IssueInvoiceRequest* request,
                            v1::Invoice* response) override;

 private:
  // Writes a checked draft with its audit entry and event; nullopt when
  // its request_id was used before (the caller reads that one).
  grpc::Status WriteDraft(grpc::ServerContext* context, v1::Invoice invoice,
                          const std::string& request_id, v1::Invoice* response);

  ServiceParts parts_;
  OtherModules& others_;
  const InvoicingSettings settings_;
};

}  // namespace karton::invoicing
