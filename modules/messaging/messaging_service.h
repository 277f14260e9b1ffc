// karton.messaging.v1.MessagingService: templates, queueing, status.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "email_delivery.h"
#include "karton/kernel/module.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"

namespace karton::messaging {

inline constexpr const char* kDeliverEmailJob = "deliver_email";
// Attempts at one email; the backoff doubles from 1 s: about 68 minutes in all.
inline constexpr int kDeliveryAttempts = 12;

class MessagingServiceImpl final : public v1::MessagingService::Service {
 public:
  // `smtp` is nullopt when kartond has no --smtp-url: email is then refused
  // up front instead of failing later.
  MessagingServiceImpl(kernel::ModuleContext& context, std::optional<SmtpSettings> smtp)
      : context_(context), smtp_(std::move(smtp)) {}

  static kernel::MethodRoles Roles();

  grpc::Status CreateTemplate(grpc::ServerContext*, const v1::CreateTemplateRequest*,
                              v1::Template*) override;
  grpc::Status UpdateTemplate(grpc::ServerContext*, const v1::UpdateTemplateRequest*,
                              v1::Template*) override;
  grpc::Status GetTemplate(grpc::ServerContext*, const v1::GetTemplateRequest*,
                           v1::Template*) override;
  grpc::Status ListTemplates(grpc::ServerContext*, const v1::ListTemplatesRequest*,
                             v1::ListTemplatesResponse*) override;
  grpc::Status RenderTemplate(grpc::ServerContext*, const v1::RenderTemplateRequest*,
                              v1::RenderTemplateResponse*) override;
  grpc::Status SendMessage(grpc::ServerContext*, const v1::SendMessageRequest*,
                           v1::Message*) override;
  grpc::Status GetMessage(grpc::ServerContext*, const v1::GetMessageRequest*,
                          v1::Message*) override;
  grpc::Status ListMessages(grpc::ServerContext*, const v1::ListMessagesRequest*,
                            v1::ListMessagesResponse*) override;

 private:
  kernel::ModuleContext& context_;
  std::optional<SmtpSettings> smtp_;
};

}  // namespace karton::messaging
