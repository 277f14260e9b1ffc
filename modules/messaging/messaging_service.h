// karton.messaging.v1.MessagingService: templates, queueing, status,
// letters for print, the suppression list. It takes what it uses
// (kernel::ServiceParts) rather than the ModuleContext, so a test builds it
// from a throwaway database and a FakeModuleContext's parts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "consent/unsubscribe_token.h"
#include "delivery/delivery_job.h"
#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "message_repository.h"
#include "recipient.h"

namespace karton::messaging {

class MessagingServiceImpl final : public v1::MessagingService::Service {
 public:
  // `settings` says which channels are configured: a message for one that
  // is not is refused up front instead of failing later.
  MessagingServiceImpl(kernel::ServiceParts services, const ChannelSettings& settings,
                       const UnsubscribeTokens& tokens)
      : services_(std::move(services)), settings_(settings), tokens_(tokens) {}

  static kernel::MethodRoles Roles();
  // The topics this service and the delivery jobs publish.
  static void DeclareTopics(kernel::DomainEvents& events);

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
  grpc::Status SendMessages(grpc::ServerContext*, const v1::SendMessagesRequest*,
                            v1::SendMessagesResponse*) override;
  // What one SendMessages call takes.
  static constexpr int kMaxBatchMessages = 1000;
  grpc::Status GetMessage(grpc::ServerContext*, const v1::GetMessageRequest*,
                          v1::Message*) override;
  grpc::Status ListMessages(grpc::ServerContext*, const v1::ListMessagesRequest*,
                            v1::ListMessagesResponse*) override;
  // letter_export.cpp
  grpc::Status ExportLetters(grpc::ServerContext*, const v1::ExportLettersRequest*,
                             grpc::ServerWriter<v1::ExportLettersResponse>*) override;
  // consent.cpp
  grpc::Status CreateSuppression(grpc::ServerContext*, const v1::CreateSuppressionRequest*,
                                 v1::Suppression*) override;
  grpc::Status ListSuppressions(grpc::ServerContext*, const v1::ListSuppressionsRequest*,
                                v1::ListSuppressionsResponse*) override;
  grpc::Status DeleteSuppression(grpc::ServerContext*, const v1::DeleteSuppressionRequest*,
                                 v1::DeleteSuppressionResponse*) override;

 private:
  // The templates a call has looked up, by name, channel and language
  // (nullopt: there is none), so a batch reads each once.
  using TemplateCache =
      std::map<std::tuple<std::string, int, std::string>, std::optional<v1::Template>>;
  grpc::Status Queue(kernel::Database::Lease& lease, const v1::SendMessageRequest& request,
                     ResolvedRecipient resolved,
                     const std::vector<repository::NewAttachment>& attachments,
                     const kernel::Caller& caller, TemplateCache& templates, v1::Message& response);

  const kernel::ServiceParts services_;
  const ChannelSettings& settings_;
  const UnsubscribeTokens& tokens_;
};

// The status name in the database ("queued") for an API status.
std::string StatusName(v1::MessageStatus status);
// Microseconds since the epoch of a request's timestamp, 0 when unset.
long long MicrosOf(const google::protobuf::Timestamp& timestamp);

}  // namespace karton::messaging
