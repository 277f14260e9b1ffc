#include "event_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "access_control.h"
#include "event_bus.h"
#include "event_proto.h"
#include "event_store.h"
#include "event_topics.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/pagination.h"
#include "webhook_sender.h"

namespace karton::kernel {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kStreamBatch = 500;
// How long a caught-up stream sleeps before it looks at the database again
// even without a wake-up (a missed NOTIFY costs at most this much latency).
constexpr auto kStreamIdleCheck = std::chrono::seconds(1);

google::protobuf::Timestamp ToTimestamp(TimePoint time) {
  return TimeUtil::MicrosecondsToTimestamp(ToEpochMicros(time));
}

// Runs a handler body; a database failure becomes INTERNAL (logged with its
// cause, which the client does not need to see).
template <class Body>
grpc::Status Guarded(const char* method, Body&& body) {
  try {
    return body();
  } catch (const std::exception& error) {
    spdlog::error("{}: {}", method, DescribeDatabaseError(error));
    return {grpc::StatusCode::INTERNAL, "internal error"};
  }
}

grpc::Status ValidatePatterns(const google::protobuf::RepeatedPtrField<std::string>& topics,
                              const std::string& field, const EventBus& bus,
                              std::vector<std::string>& patterns) {
  if (topics.empty()) return InvalidField(field, "name at least one topic pattern");
  for (int i = 0; i < topics.size(); ++i) {
    const std::string& pattern = topics[i];
    const std::string path = fmt::format("{}[{}]", field, i);
    if (!IsValidTopicPattern(pattern)) {
      return InvalidField(path, fmt::format("'{}' is not a topic, '<prefix>.*' or '*'", pattern));
    }
    if (!bus.MatchesSomeTopic(pattern)) {
      return InvalidField(path,
                          fmt::format("'{}' matches no topic of the loaded modules", pattern));
    }
    patterns.push_back(pattern);
  }
  return grpc::Status::OK;
}

// Where a reader asking for the events after `after` can start, or
// OUT_OF_RANGE when retention already deleted some of them, or when no
// event with that id exists yet (resuming from an id of another database
// would otherwise skip everything up to it in silence).
grpc::Status StartingPoint(soci::session& session, std::int64_t after, const std::string& field,
                           std::int64_t& start) {
  if (after < 0) return InvalidField(field, "must not be negative");
  const std::int64_t purged = event_store::PurgedThrough(session);
  if (after == 0) {
    start = purged;
    return grpc::Status::OK;
  }
  if (const std::int64_t head = event_store::Head(session); after > head) {
    return {grpc::StatusCode::OUT_OF_RANGE,
            fmt::format("{}: there is no event {} yet; the newest is {}", field, after, head)};
  }
  if (after < purged) {
    return {grpc::StatusCode::OUT_OF_RANGE,
            fmt::format("{}: the events up to {} were deleted by retention; start from {} or later",
                        field, purged, purged)};
  }
  start = after;
  return grpc::Status::OK;
}

void ToProto(const event_store::SubscriptionRow& row, bool with_secret, v1::Webhook* webhook) {
  webhook->set_id(row.webhook_id);
  webhook->set_url(row.url);
  for (auto& topic : SplitTopics(row.topics)) webhook->add_topics(std::move(topic));
  if (with_secret) webhook->set_secret(row.secret);
  webhook->set_state(row.active ? v1::WEBHOOK_STATE_ACTIVE : v1::WEBHOOK_STATE_DISABLED);
  webhook->set_disabled_reason(row.disabled_reason);
  webhook->set_cursor(row.cursor);
  webhook->set_consecutive_failures(row.consecutive_failures);
  webhook->set_last_error(row.last_error);
  if (row.retry_at) *webhook->mutable_next_attempt_time() = ToTimestamp(*row.retry_at);
  if (row.last_success_at)
    *webhook->mutable_last_success_time() = ToTimestamp(*row.last_success_at);
  if (row.create_time) *webhook->mutable_create_time() = ToTimestamp(*row.create_time);
}

grpc::Status NoWebhook(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no webhook with id {}", id)};
}

}  // namespace

// --- EventService -----------------------------------------------------------

MethodRoles EventServiceImpl::Roles() {
  const std::vector<std::string> admin = {std::string(kRoleAdmin)};
  return {{"Subscribe", admin},
          {"ListTopics", admin},
          {"ListSubscriptions", admin},
          {"ListParkedEvents", admin},
          {"RetryParkedEvents", admin}};
}

grpc::Status EventServiceImpl::Subscribe(grpc::ServerContext* context,
                                         const v1::SubscribeRequest* request,
                                         grpc::ServerWriter<v1::Event>* writer) {
  std::vector<std::string> patterns;
  if (auto status = ValidatePatterns(request->topics(), "topics", bus_, patterns); !status.ok()) {
    return status;
  }
  const std::string like = LikePatterns(patterns);
  return Guarded("EventService/Subscribe", [&]() -> grpc::Status {
    std::int64_t cursor = 0;
    {
      auto lease = database_.Acquire();
      if (auto status =
              StartingPoint(lease.Session(), request->after_event_id(), "after_event_id", cursor);
          !status.ok()) {
        return status;
      }
    }
    v1::Event message;
    while (!context->IsCancelled() && !bus_.StreamsClosing()) {
      event_store::Batch batch;
      {
        auto lease = database_.Acquire();
        batch = event_store::ReadBatch(lease.Session(), cursor, like, kStreamBatch);
      }
      // A stream that fell behind retention must not skip silently. (The
      // horizon comes from the same snapshot as the batch.)
      if (cursor < batch.purged_through) {
        return {grpc::StatusCode::OUT_OF_RANGE,
                fmt::format("this stream fell behind retention: events up to {} were deleted",
                            batch.purged_through)};
      }
      for (const Event& event : batch.events) {
        message.Clear();
        ToProto(event, &message);
        if (!writer->Write(message)) return grpc::Status::OK;  // the client went away
        cursor = event.id;
      }
      if (batch.events.size() == static_cast<std::size_t>(kStreamBatch)) continue;
      // Nothing else matching up to the head this read saw; later events
      // get higher ids, so the stream can wait there.
      cursor = std::max(cursor, batch.head);
      bus_.WaitForEventsAfter(cursor, kStreamIdleCheck);
    }
    if (bus_.StreamsClosing()) {
      return {grpc::StatusCode::UNAVAILABLE,
              "kartond is shutting down; subscribe again with after_event_id set to the id of "
              "the last event received"};
    }
    return {grpc::StatusCode::CANCELLED, "the client cancelled the stream"};
  });
}

grpc::Status EventServiceImpl::ListTopics(grpc::ServerContext*, const v1::ListTopicsRequest*,
                                          v1::ListTopicsResponse* response) {
  for (const auto& topic : bus_.Topics()) {
    auto* added = response->add_topics();
    added->set_name(topic.name);
    added->set_module(topic.module);
    added->set_payload_type(topic.payload_type);
  }
  return grpc::Status::OK;
}

grpc::Status EventServiceImpl::ListSubscriptions(grpc::ServerContext*,
                                                 const v1::ListSubscriptionsRequest*,
                                                 v1::ListSubscriptionsResponse* response) {
  return Guarded("EventService/ListSubscriptions", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    const std::int64_t head = event_store::Head(lease.Session());
    for (const auto& row : event_store::ListAllSubscriptions(lease.Session())) {
      auto* subscription = response->add_subscriptions();
      subscription->set_name(row.name);
      subscription->set_kind(row.kind == "webhook" ? v1::SUBSCRIPTION_KIND_WEBHOOK
                                                   : v1::SUBSCRIPTION_KIND_MODULE);
      for (auto& topic : SplitTopics(row.topics)) subscription->add_topics(std::move(topic));
      subscription->set_cursor(row.cursor);
      subscription->set_lag(std::max<std::int64_t>(0, head - row.cursor));
      subscription->set_active(row.active);
      subscription->set_consecutive_failures(row.consecutive_failures);
      subscription->set_last_error(row.last_error);
      if (row.retry_at) *subscription->mutable_next_attempt_time() = ToTimestamp(*row.retry_at);
      subscription->set_parked_events(row.parked_count);
    }
    return grpc::Status::OK;
  });
}

grpc::Status EventServiceImpl::ListParkedEvents(grpc::ServerContext*,
                                                const v1::ListParkedEventsRequest* request,
                                                v1::ListParkedEventsResponse* response) {
  if (request->subscription().empty()) return InvalidField("subscription", "is required");
  Page page;
  if (auto status = ReadPage(*request, page); !status.ok()) {
    return status;
  }
  return Guarded("EventService/ListParkedEvents", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    if (!event_store::FindSubscription(lease.Session(), request->subscription())) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no subscription named '{}'", request->subscription())};
    }
    const auto rows = event_store::ListParked(lease.Session(), request->subscription(),
                                              page.AfterId(), page.FetchLimit());
    for (const auto& row : rows) {
      if (response->parked_events_size() == page.size) {
        response->set_next_page_token(
            NextPageToken(page, PageCursor{"", response->parked_events().rbegin()->event().id()}));
        break;
      }
      auto* parked = response->add_parked_events();
      ToProto(row.event, parked->mutable_event());
      parked->set_subscription(row.subscription);
      parked->set_attempts(row.attempts);
      parked->set_last_error(row.last_error);
      *parked->mutable_park_time() = ToTimestamp(row.park_time);
      parked->set_blocked_by_event_id(row.blocked_by);
    }
    return grpc::Status::OK;
  });
}

grpc::Status EventServiceImpl::RetryParkedEvents(grpc::ServerContext*,
                                                 const v1::RetryParkedEventsRequest* request,
                                                 v1::RetryParkedEventsResponse* response) {
  if (request->subscription().empty()) return InvalidField("subscription", "is required");
  return Guarded("EventService/RetryParkedEvents", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    const auto subscription =
        event_store::FindSubscription(lease.Session(), request->subscription());
    if (!subscription) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no subscription named '{}'", request->subscription())};
    }
    if (subscription->kind != "module") {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "webhooks park nothing; use WebhookService/ReplayWebhook"};
    }
    response->set_queued(event_store::QueueParkedForRetry(lease.Session(), subscription->id));
    bus_.Refresh();
    return grpc::Status::OK;
  });
}

// --- WebhookService ---------------------------------------------------------

MethodRoles WebhookServiceImpl::Roles() {
  const std::vector<std::string> admin = {std::string(kRoleAdmin)};
  return {{"CreateWebhook", admin}, {"GetWebhook", admin},    {"ListWebhooks", admin},
          {"DeleteWebhook", admin}, {"EnableWebhook", admin}, {"ReplayWebhook", admin}};
}

grpc::Status WebhookServiceImpl::CreateWebhook(grpc::ServerContext* context,
                                               const v1::CreateWebhookRequest* request,
                                               v1::Webhook* response) {
  const v1::Webhook& webhook = request->webhook();
  if (webhook.url().empty()) return InvalidField("webhook.url", "is required");
  if (auto problem = WebhookUrlProblem(webhook.url(), bus_.Options().webhook_allowed_networks);
      !problem.empty()) {
    return InvalidField("webhook.url", problem);
  }
  std::vector<std::string> patterns;
  if (auto status = ValidatePatterns(webhook.topics(), "webhook.topics", bus_, patterns);
      !status.ok()) {
    return status;
  }
  if (!webhook.secret().empty() &&
      (webhook.secret().size() < 16 || webhook.secret().size() > 256)) {
    return InvalidField("webhook.secret", "must be 16 to 256 characters (or empty: generated)");
  }
  if (request->after_event_id() < 0) {
    return InvalidField("after_event_id", "must not be negative");
  }
  return Guarded("WebhookService/CreateWebhook", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    soci::session& session = lease.Session();
    std::int64_t after = -1;  // start with the next event
    if (request->after_event_id() > 0) {
      if (auto status = StartingPoint(session, request->after_event_id(), "after_event_id", after);
          !status.ok()) {
        return status;
      }
    }
    const event_store::NewWebhook row{
        webhook.url(), JoinTopics(patterns),
        webhook.secret().empty() ? RandomSecret("whsec_") : webhook.secret(), request->request_id(),
        after};
    soci::transaction transaction(session);
    bool created = false;
    const auto stored = event_store::CreateWebhook(session, row, clock_.Now(), created);
    if (created) {
      // The secret stays out of the audit trail.
      audit_.Record(
          session, CallerOf(*context), AuditAction::kCreate, "kernel.webhook", stored.webhook_id,
          {FieldChange::Created("url", stored.url), FieldChange::Created("topics", stored.topics)});
    }
    transaction.commit();
    ToProto(stored, true, response);
    bus_.Refresh();
    return grpc::Status::OK;
  });
}

grpc::Status WebhookServiceImpl::GetWebhook(grpc::ServerContext*,
                                            const v1::GetWebhookRequest* request,
                                            v1::Webhook* response) {
  return Guarded("WebhookService/GetWebhook", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    const auto row = event_store::FindWebhook(lease.Session(), request->id());
    if (!row) return NoWebhook(request->id());
    ToProto(*row, false, response);
    return grpc::Status::OK;
  });
}

grpc::Status WebhookServiceImpl::ListWebhooks(grpc::ServerContext*,
                                              const v1::ListWebhooksRequest* request,
                                              v1::ListWebhooksResponse* response) {
  Page page;
  if (auto status = ReadPage(*request, page); !status.ok()) {
    return status;
  }
  return Guarded("WebhookService/ListWebhooks", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    const auto rows = event_store::ListWebhooks(lease.Session(), page.AfterId(), page.FetchLimit());
    for (const auto& row : rows) {
      if (response->webhooks_size() == page.size) {
        response->set_next_page_token(
            NextPageToken(page, PageCursor{"", response->webhooks().rbegin()->id()}));
        break;
      }
      ToProto(row, false, response->add_webhooks());
    }
    return grpc::Status::OK;
  });
}

grpc::Status WebhookServiceImpl::DeleteWebhook(grpc::ServerContext* context,
                                               const v1::DeleteWebhookRequest* request,
                                               v1::DeleteWebhookResponse*) {
  return Guarded("WebhookService/DeleteWebhook", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto row = event_store::FindWebhook(session, request->id());
    if (!row || !event_store::DeleteWebhook(session, request->id())) {
      return NoWebhook(request->id());
    }
    audit_.Record(session, CallerOf(*context), AuditAction::kDelete, "kernel.webhook",
                  request->id(), {FieldChange::Of("url", row->url, "")});
    transaction.commit();
    bus_.Refresh();
    return grpc::Status::OK;
  });
}

grpc::Status WebhookServiceImpl::EnableWebhook(grpc::ServerContext* context,
                                               const v1::EnableWebhookRequest* request,
                                               v1::Webhook* response) {
  return Guarded("WebhookService/EnableWebhook", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto before = event_store::FindWebhook(session, request->id());
    if (!before) return NoWebhook(request->id());
    if (before->cursor < before->purged_through) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("events {} to {} were deleted by retention while webhook {} was "
                          "disabled; ReplayWebhook with after_event_id {} (or later) to go on",
                          before->cursor + 1, before->purged_through, request->id(),
                          before->purged_through)};
    }
    if (!event_store::EnableWebhook(session, request->id())) return NoWebhook(request->id());
    audit_.Record(session, CallerOf(*context), AuditAction::kUpdate, "kernel.webhook",
                  request->id(), {FieldChange::Of("active", before->active, true)});
    transaction.commit();
    ToProto(*event_store::FindWebhook(session, request->id()), false, response);
    bus_.Refresh();
    return grpc::Status::OK;
  });
}

grpc::Status WebhookServiceImpl::ReplayWebhook(grpc::ServerContext* context,
                                               const v1::ReplayWebhookRequest* request,
                                               v1::Webhook* response) {
  return Guarded("WebhookService/ReplayWebhook", [&]() -> grpc::Status {
    auto lease = database_.Acquire();
    soci::session& session = lease.Session();
    std::int64_t after = 0;
    if (auto status = StartingPoint(session, request->after_event_id(), "after_event_id", after);
        !status.ok()) {
      return status;
    }
    soci::transaction transaction(session);
    const auto before = event_store::FindWebhook(session, request->id());
    if (!before || !event_store::ReplayWebhook(session, request->id(), after)) {
      return NoWebhook(request->id());
    }
    audit_.Record(session, CallerOf(*context), AuditAction::kUpdate, "kernel.webhook",
                  request->id(), {FieldChange::Of("cursor", before->cursor, after)});
    transaction.commit();
    ToProto(*event_store::FindWebhook(session, request->id()), false, response);
    bus_.Refresh();
    return grpc::Status::OK;
  });
}

}  // namespace karton::kernel
