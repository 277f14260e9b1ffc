// What the helpdesk asks of other modules with nobody behind the call
// (jobs and event handlers, as kartond): emails to customers through
// messaging, tasks in the CRM. Neither module is a dependency: when one is
// not loaded its calls answer UNIMPLEMENTED, which the callers record and
// do not retry. An interface, so database tests see what would be sent.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "karton/crm/v1/activity_service.pb.h"
#include "karton/messaging/v1/messaging_service.pb.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace karton::helpdesk {

class Outreach {
 public:
  virtual ~Outreach() = default;
  // Queues the email (the same idempotency key twice sends once); its id in
  // `message_id`.
  virtual grpc::Status SendEmail(const messaging::v1::SendMessageRequest& request,
                                 std::int64_t& message_id) = 0;
  // The activity (the same request id twice makes one); its id in `activity_id`.
  virtual grpc::Status CreateActivity(const crm::v1::CreateActivityRequest& request,
                                      std::int64_t& activity_id) = 0;
  // Whether messaging's suppression list holds the email address (lower
  // case), by an opt-out or a hard bounce: its entry in `entry` when so.
  // Transactional email does not consult the list; the customer notices
  // do (notices/customer_notices.h).
  virtual grpc::Status FindSuppression(const std::string& address,
                                       std::optional<messaging::v1::Suppression>& entry) = 0;
};

class GrpcOutreach final : public Outreach {
 public:
  explicit GrpcOutreach(std::function<std::shared_ptr<grpc::Channel>()> channel)
      : channel_(std::move(channel)) {}
  grpc::Status SendEmail(const messaging::v1::SendMessageRequest& request,
                         std::int64_t& message_id) override;
  grpc::Status CreateActivity(const crm::v1::CreateActivityRequest& request,
                              std::int64_t& activity_id) override;
  grpc::Status FindSuppression(const std::string& address,
                               std::optional<messaging::v1::Suppression>& entry) override;

 private:
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
};

}  // namespace karton::helpdesk
