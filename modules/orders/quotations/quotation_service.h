// QuotationService: offers to partners, their expiry, and accepting one
// into an order (quotation_service.proto).
#pragma once

#include <functional>
#include <string>

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/kernel/sharing.h"
#include "karton/orders/v1/quotation_service.grpc.pb.h"
#include "orders_settings.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class DomainEvents;
class Jobs;
struct JobRun;
}  // namespace karton::kernel

namespace karton::orders {

class MessageSender;

// Schedules the expiry of `quotation` at the end of its valid_until and the
// orders.quotation.expiring notice the configured days before, in the
// transaction that wrote its valid_until (jobs for an older valid_until
// find nothing to do).
void ScheduleQuotationExpiry(kernel::Jobs& jobs, soci::session& session,
                             const v1::Quotation& quotation, const OrdersSettings& settings);

class QuotationServiceImpl final : public v1::QuotationService::Service {
 public:
  // The job kinds the service schedules; the module registers Expire and
  // AnnounceExpiring for them.
  static constexpr char kExpireJob[] = "expire_quotation";
  static constexpr char kExpiringJob[] = "announce_quotation_expiring";

  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  QuotationServiceImpl(kernel::ServiceParts parts, kernel::Jobs& jobs, PartnerDirectory& partners,
                       MessageSender& mailer, OrdersSettings settings)
      : parts_(parts),
        jobs_(jobs),
        partners_(partners),
        mailer_(mailer),
        settings_(std::move(settings)) {}

  grpc::Status CreateQuotation(grpc::ServerContext* context,
                               const v1::CreateQuotationRequest* request,
                               v1::Quotation* response) override;
  grpc::Status GetQuotation(grpc::ServerContext* context, const v1::GetQuotationRequest* request,
                            v1::Quotation* response) override;
  grpc::Status ListQuotations(grpc::ServerContext* context,
                              const v1::ListQuotationsRequest* request,
                              v1::ListQuotationsResponse* response) override;
  grpc::Status UpdateQuotation(grpc::ServerContext* context,
                               const v1::UpdateQuotationRequest* request,
                               v1::Quotation* response) override;
  grpc::Status AcceptQuotation(grpc::ServerContext* context,
                               const v1::AcceptQuotationRequest* request,
                               v1::AcceptQuotationResponse* response) override;
  grpc::Status SendQuotation(grpc::ServerContext* context, const v1::SendQuotationRequest* request,
                             v1::SendQuotationResponse* response) override;
  grpc::Status RejectQuotation(grpc::ServerContext* context,
                               const v1::RejectQuotationRequest* request,
                               v1::Quotation* response) override;
  grpc::Status ShareQuotation(grpc::ServerContext* context,
                              const v1::ShareQuotationRequest* request,
                              v1::Quotation* response) override;
  grpc::Status UnshareQuotation(grpc::ServerContext* context,
                                const v1::UnshareQuotationRequest* request,
                                v1::Quotation* response) override;

  // Job handlers. The payload is "<id> <valid_until>"; a quotation no
  // longer draft or sent, or whose valid_until has changed since, is left
  // alone (a newer job covers it), so running one twice changes nothing.
  void Expire(const kernel::JobRun& run);
  void AnnounceExpiring(const kernel::JobRun& run);

 private:
  grpc::Status ChangeSharing(grpc::ServerContext* context, const char* method,
                             kernel::Sharing sharing, std::int64_t id, std::int64_t user_id,
                             std::int64_t team_id, v1::Quotation* response);

  // A job's quotation, locked, when it is still draft or sent with the
  // valid_until the job was scheduled for: `act` runs in the transaction,
  // which commits after it. Anything else is left alone.
  void ForOpenQuotation(const kernel::JobRun& run,
                        const std::function<void(soci::session&, const v1::Quotation&)>& act);

  kernel::ServiceParts parts_;
  kernel::Jobs& jobs_;
  PartnerDirectory& partners_;
  MessageSender& mailer_;
  const OrdersSettings settings_;
};

}  // namespace karton::orders
