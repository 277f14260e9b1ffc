// karton.kernel.v1.EventService and WebhookService: the outside view of
// domain events (docs/events.md). Admin only: events carry every module's
// data, without record-level filtering.
#pragma once

#include "karton/kernel/access.h"
#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "karton/kernel/v1/webhook_service.grpc.pb.h"

namespace karton::kernel {

class AuditLog;
class Clock;
class Database;
class EventBus;

class EventServiceImpl final : public v1::EventService::Service {
 public:
  EventServiceImpl(Database& database, EventBus& bus) : database_(database), bus_(bus) {}
  static MethodRoles Roles();

  grpc::Status Subscribe(grpc::ServerContext*, const v1::SubscribeRequest*,
                         grpc::ServerWriter<v1::Event>*) override;
  grpc::Status ListTopics(grpc::ServerContext*, const v1::ListTopicsRequest*,
                          v1::ListTopicsResponse*) override;
  grpc::Status ListSubscriptions(grpc::ServerContext*, const v1::ListSubscriptionsRequest*,
                                 v1::ListSubscriptionsResponse*) override;
  grpc::Status ListParkedEvents(grpc::ServerContext*, const v1::ListParkedEventsRequest*,
                                v1::ListParkedEventsResponse*) override;
  grpc::Status RetryParkedEvents(grpc::ServerContext*, const v1::RetryParkedEventsRequest*,
                                 v1::RetryParkedEventsResponse*) override;

 private:
  Database& database_;
  EventBus& bus_;
};

class WebhookServiceImpl final : public v1::WebhookService::Service {
 public:
  WebhookServiceImpl(Database& database, EventBus& bus, AuditLog& audit, const Clock& clock)
      : database_(database), bus_(bus), audit_(audit), clock_(clock) {}
  static MethodRoles Roles();

  grpc::Status CreateWebhook(grpc::ServerContext*, const v1::CreateWebhookRequest*,
                             v1::Webhook*) override;
  grpc::Status GetWebhook(grpc::ServerContext*, const v1::GetWebhookRequest*,
                          v1::Webhook*) override;
  grpc::Status ListWebhooks(grpc::ServerContext*, const v1::ListWebhooksRequest*,
                            v1::ListWebhooksResponse*) override;
  grpc::Status DeleteWebhook(grpc::ServerContext*, const v1::DeleteWebhookRequest*,
                             v1::DeleteWebhookResponse*) override;
  grpc::Status EnableWebhook(grpc::ServerContext*, const v1::EnableWebhookRequest*,
                             v1::Webhook*) override;
  grpc::Status ReplayWebhook(grpc::ServerContext*, const v1::ReplayWebhookRequest*,
                             v1::Webhook*) override;

 private:
  Database& database_;
  EventBus& bus_;
  AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace karton::kernel
