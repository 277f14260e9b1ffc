#include "outreach.h"

#include <grpcpp/grpcpp.h>

#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/calls.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"

namespace karton::helpdesk {

grpc::Status GrpcOutreach::SendEmail(const messaging::v1::SendMessageRequest& request,
                                     std::int64_t& message_id) {
  auto call = kernel::KernelCallContext();
  messaging::v1::Message message;
  auto status = messaging::v1::MessagingService::NewStub(channel_())
                    ->SendMessage(call.get(), request, &message);
  if (status.ok()) message_id = message.id();
  return status;
}

grpc::Status GrpcOutreach::CreateActivity(const crm::v1::CreateActivityRequest& request,
                                          std::int64_t& activity_id) {
  auto call = kernel::KernelCallContext();
  crm::v1::Activity activity;
  auto status =
      crm::v1::ActivityService::NewStub(channel_())->CreateActivity(call.get(), request, &activity);
  if (status.ok()) activity_id = activity.id();
  return status;
}

grpc::Status GrpcOutreach::FindSuppression(const std::string& address,
                                           std::optional<messaging::v1::Suppression>& entry) {
  auto call = kernel::KernelCallContext();
  messaging::v1::ListSuppressionsRequest request;
  request.set_channel(messaging::v1::CHANNEL_EMAIL);
  request.set_address(address);
  request.set_page_size(1);
  messaging::v1::ListSuppressionsResponse response;
  auto status = messaging::v1::MessagingService::NewStub(channel_())
                    ->ListSuppressions(call.get(), request, &response);
  entry.reset();
  if (status.ok() && response.suppressions_size() > 0) entry = response.suppressions(0);
  return status;
}

}  // namespace karton::helpdesk
