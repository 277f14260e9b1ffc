// PaymentService: payments, a partner's balance and risk class, and the
// answer to orders' credit check (payment_service.proto).
#pragma once

#include <string>

#include "invoicing_settings.h"
#include "karton/invoicing/v1/payment_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::invoicing {

// The partner's balance in `currency` as of `today` (GetPartnerBalance,
// the partner card's section).
v1::PartnerBalance PartnerBalanceOf(soci::session& session, std::int64_t partner_id,
                                    const std::string& currency, const std::string& today);

// How a balance's lateness reads as a risk class (invoicing.proto).
v1::RiskClass RiskClassOf(int average_days_late, int most_days_overdue);

class PaymentServiceImpl final : public v1::PaymentService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  PaymentServiceImpl(kernel::ServiceParts parts, InvoicingSettings settings)
      : parts_(parts), settings_(std::move(settings)) {}

  grpc::Status RecordPayment(grpc::ServerContext* context, const v1::RecordPaymentRequest* request,
                             v1::Payment* response) override;
  grpc::Status RecordRefund(grpc::ServerContext* context, const v1::RecordRefundRequest* request,
                            v1::Payment* response) override;
  grpc::Status RecordOffset(grpc::ServerContext* context, const v1::RecordOffsetRequest* request,
                            v1::Payment* response) override;
  grpc::Status ListPayments(grpc::ServerContext* context, const v1::ListPaymentsRequest* request,
                            v1::ListPaymentsResponse* response) override;
  grpc::Status GetPartnerBalance(grpc::ServerContext* context,
                                 const v1::GetPartnerBalanceRequest* request,
                                 v1::PartnerBalance* response) override;
  grpc::Status CreditExposure(grpc::ServerContext* context,
                              const common::v1::CreditExposureRequest* request,
                              common::v1::CreditExposure* response) override;

 private:
  kernel::ServiceParts parts_;
  const InvoicingSettings settings_;
};

}  // namespace karton::invoicing
