// karton events ..., karton webhooks ...: domain events (docs/events.md).
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "client.h"
#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "karton/kernel/v1/webhook_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

using google::protobuf::util::TimeUtil;
using kernel::v1::EventService;
using kernel::v1::WebhookService;

std::string Time(const google::protobuf::Timestamp& time) {
  return time.seconds() == 0 && time.nanos() == 0 ? "-" : TimeUtil::ToString(time);
}

// One JSON line per event. A payload whose type this client was not built
// with (a module newer than the client) is shown by its type only.
std::string EventLine(const kernel::v1::Event& event) {
  std::string line = ToJson(event, true);
  if (!line.empty()) return line;
  kernel::v1::Event without_payload = event;
  without_payload.clear_payload();
  line = ToJson(without_payload, true);
  line.pop_back();  // the closing brace
  return fmt::format(R"({},"payload":{{"@type":"{}"}}}})", line, event.payload().type_url());
}

int Topics(const GlobalOptions& options) {
  kernel::v1::ListTopicsResponse response;
  const auto status = EventService::NewStub(ChannelFor(options))
                          ->ListTopics(MakeContext(options).get(), {}, &response);
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
    return 0;
  }
  std::cout << fmt::format("{:<40} {:<14} {}\n", "TOPIC", "MODULE", "PAYLOAD");
  for (const auto& topic : response.topics()) {
    std::cout << fmt::format("{:<40} {:<14} {}\n", topic.name(), topic.module(),
                             topic.payload_type());
  }
  return 0;
}

int Subscriptions(const GlobalOptions& options) {
  kernel::v1::ListSubscriptionsResponse response;
  const auto status = EventService::NewStub(ChannelFor(options))
                          ->ListSubscriptions(MakeContext(options).get(), {}, &response);
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
    return 0;
  }
  std::cout << fmt::format("{:<30} {:<8} {:>8} {:>6} {:<9} {:>8} {:>6}  {}\n", "NAME", "KIND",
                           "CURSOR", "LAG", "STATE", "FAILURES", "PARKED", "LAST ERROR");
  for (const auto& s : response.subscriptions()) {
    std::cout << fmt::format(
        "{:<30} {:<8} {:>8} {:>6} {:<9} {:>8} {:>6}  {}\n", s.name(),
        EnumWord(kernel::v1::SubscriptionKind_Name(s.kind()), "SUBSCRIPTION_KIND_"), s.cursor(),
        s.lag(), s.active() ? "active" : "disabled", s.consecutive_failures(), s.parked_events(),
        s.last_error().empty() ? "-" : s.last_error());
  }
  return 0;
}

int Tail(const GlobalOptions& options, const std::vector<std::string>& topics, std::int64_t after,
         int count) {
  kernel::v1::SubscribeRequest request;
  for (const auto& topic : topics) request.add_topics(topic);
  request.set_after_event_id(after);
  auto context = MakeContext(options, /*streaming=*/true);
  auto reader = EventService::NewStub(ChannelFor(options))->Subscribe(context.get(), request);
  kernel::v1::Event event;
  int seen = 0;
  while ((count == 0 || seen < count) && reader->Read(&event)) {
    ++seen;
    if (options.output == "json") {
      std::cout << EventLine(event) << std::endl;
    } else {
      std::cout << fmt::format("{:>8}  {}  {:<36} aggregate={} actor={}", event.id(),
                               Time(event.publish_time()), event.topic(), event.aggregate_id(),
                               event.actor_user_id())
                << std::endl;
    }
  }
  if (count > 0 && seen == count) {
    context->TryCancel();
    reader->Finish();
    return 0;
  }
  return ReportError(reader->Finish(), options);
}

int Parked(const GlobalOptions& options, const std::string& subscription) {
  kernel::v1::ListParkedEventsRequest request;
  request.set_subscription(subscription);
  request.set_page_size(1000);
  kernel::v1::ListParkedEventsResponse response;
  const auto status = EventService::NewStub(ChannelFor(options))
                          ->ListParkedEvents(MakeContext(options).get(), request, &response);
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
    return 0;
  }
  std::cout << fmt::format("{:>8} {:<36} {:>10} {:>8} {:>10}  {}\n", "EVENT", "TOPIC", "AGGREGATE",
                           "ATTEMPTS", "BEHIND", "LAST ERROR");
  for (const auto& parked : response.parked_events()) {
    std::cout << fmt::format(
        "{:>8} {:<36} {:>10} {:>8} {:>10}  {}\n", parked.event().id(), parked.event().topic(),
        parked.event().aggregate_id(), parked.attempts(),
        parked.blocked_by_event_id() == 0 ? "-" : std::to_string(parked.blocked_by_event_id()),
        parked.last_error().empty() ? "-" : parked.last_error());
  }
  return 0;
}

int RetryParked(const GlobalOptions& options, const std::string& subscription) {
  kernel::v1::RetryParkedEventsRequest request;
  request.set_subscription(subscription);
  kernel::v1::RetryParkedEventsResponse response;
  const auto status = EventService::NewStub(ChannelFor(options))
                          ->RetryParkedEvents(MakeContext(options).get(), request, &response);
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
  } else {
    std::cout << fmt::format("{} parked event(s) queued for another attempt\n", response.queued());
  }
  return 0;
}

void PrintWebhooks(const google::protobuf::RepeatedPtrField<kernel::v1::Webhook>& webhooks) {
  std::cout << fmt::format("{:>4} {:<9} {:>8} {:>8}  {:<40} {}\n", "ID", "STATE", "CURSOR",
                           "FAILURES", "URL", "TOPICS");
  for (const auto& webhook : webhooks) {
    std::string topics;
    for (const auto& topic : webhook.topics()) topics += (topics.empty() ? "" : ",") + topic;
    std::cout << fmt::format(
        "{:>4} {:<9} {:>8} {:>8}  {:<40} {}\n", webhook.id(),
        EnumWord(kernel::v1::WebhookState_Name(webhook.state()), "WEBHOOK_STATE_"),
        webhook.cursor(), webhook.consecutive_failures(), webhook.url(), topics);
    if (!webhook.disabled_reason().empty()) {
      std::cout << fmt::format("     disabled: {}\n", webhook.disabled_reason());
    }
  }
}

// The answer of every call that returns one Webhook.
int ShowWebhook(const GlobalOptions& options, const grpc::Status& status,
                const kernel::v1::Webhook& webhook) {
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(webhook);
    return 0;
  }
  google::protobuf::RepeatedPtrField<kernel::v1::Webhook> one;
  *one.Add() = webhook;
  PrintWebhooks(one);
  if (!webhook.secret().empty()) {
    std::cout << fmt::format("secret (shown only now): {}\n", webhook.secret());
  }
  return 0;
}

}  // namespace

void AddEventCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* events = app.add_subcommand("events", "Domain events: topics, subscribers, the stream");
  events->require_subcommand(1);
  Rpcs(events->add_subcommand("topics", "The topics the loaded modules publish"),
       {"karton.kernel.v1.EventService/ListTopics"})
      ->callback([&] { exit_code = Topics(options); });
  Rpcs(events->add_subcommand("subscriptions", "Every durable subscriber with its cursor and lag"),
       {"karton.kernel.v1.EventService/ListSubscriptions"})
      ->callback([&] { exit_code = Subscriptions(options); });

  struct TailOptions {
    std::vector<std::string> topics{"*"};
    std::int64_t after = 0;
    int count = 0;
  };
  auto tail_options = std::make_shared<TailOptions>();
  auto* tail = Rpcs(
      events->add_subcommand(
          "tail", "Follow events as they commit (Ctrl-C stops); --output json prints JSON lines"),
      {"karton.kernel.v1.EventService/Subscribe"});
  tail->add_option("--topic", tail_options->topics, "Topic pattern, repeatable (default '*')");
  tail->add_option("--after", tail_options->after,
                   "Start after this event id (0: the oldest kept)");
  tail->add_option("--count", tail_options->count, "Stop after this many events (0: never)");
  tail->callback([&, tail_options] {
    exit_code = Tail(options, tail_options->topics, tail_options->after, tail_options->count);
  });

  auto subscription = std::make_shared<std::string>();
  auto* parked = Rpcs(events->add_subcommand("parked", "Events a subscriber kept failing"),
                      {"karton.kernel.v1.EventService/ListParkedEvents"});
  parked->add_option("subscription", *subscription, "e.g. crm.lead_matcher")->required();
  parked->callback([&, subscription] { exit_code = Parked(options, *subscription); });
  auto* retry = Rpcs(events->add_subcommand("retry", "Deliver a subscriber's parked events again"),
                     {"karton.kernel.v1.EventService/RetryParkedEvents"});
  retry->add_option("subscription", *subscription, "e.g. crm.lead_matcher")->required();
  retry->callback([&, subscription] { exit_code = RetryParked(options, *subscription); });

  auto* webhooks = app.add_subcommand("webhooks", "Events delivered to HTTP endpoints");
  webhooks->require_subcommand(1);
  auto create_request = std::make_shared<kernel::v1::CreateWebhookRequest>();
  auto create_topics = std::make_shared<std::vector<std::string>>();
  auto create_url = std::make_shared<std::string>();
  auto create_secret = std::make_shared<std::string>();
  auto create_request_id = std::make_shared<std::string>();
  auto create_after = std::make_shared<std::int64_t>(0);
  auto* create = Rpcs(webhooks->add_subcommand("create", "Start POSTing matching events to a URL"),
                      {"karton.kernel.v1.WebhookService/CreateWebhook"});
  create->add_option("--url", *create_url, "http(s) endpoint")->required();
  create->add_option("--topic", *create_topics, "Topic pattern, repeatable")->required();
  create->add_option("--secret", *create_secret, "Signing key (default: generated)");
  create->add_option("--request-id", *create_request_id, "Makes the create idempotent");
  create->add_option("--after", *create_after, "Also deliver the events after this id");
  create->callback([=, &options, &exit_code] {
    create_request->mutable_webhook()->set_url(*create_url);
    for (const auto& topic : *create_topics) create_request->mutable_webhook()->add_topics(topic);
    create_request->mutable_webhook()->set_secret(*create_secret);
    create_request->set_request_id(*create_request_id);
    create_request->set_after_event_id(*create_after);
    kernel::v1::Webhook webhook;
    const auto status = WebhookService::NewStub(ChannelFor(options))
                            ->CreateWebhook(MakeContext(options).get(), *create_request, &webhook);
    exit_code = ShowWebhook(options, status, webhook);
  });

  Rpcs(webhooks->add_subcommand("list", "Every webhook"),
       {"karton.kernel.v1.WebhookService/ListWebhooks"})
      ->callback([&] {
        kernel::v1::ListWebhooksRequest request;
        request.set_page_size(1000);
        kernel::v1::ListWebhooksResponse response;
        const auto status = WebhookService::NewStub(ChannelFor(options))
                                ->ListWebhooks(MakeContext(options).get(), request, &response);
        if (!status.ok()) {
          exit_code = ReportError(status, options);
        } else if (options.output == "json") {
          std::cout << ToJson(response);
        } else {
          PrintWebhooks(response.webhooks());
        }
      });

  auto webhook_id = std::make_shared<std::int64_t>(0);
  auto* get = Rpcs(webhooks->add_subcommand("get", "One webhook, with its delivery state"),
                   {"karton.kernel.v1.WebhookService/GetWebhook"});
  get->add_option("id", *webhook_id)->required();
  get->callback([&, webhook_id] {
    kernel::v1::GetWebhookRequest request;
    request.set_id(*webhook_id);
    kernel::v1::Webhook webhook;
    const auto status = WebhookService::NewStub(ChannelFor(options))
                            ->GetWebhook(MakeContext(options).get(), request, &webhook);
    exit_code = ShowWebhook(options, status, webhook);
  });
  auto* enable =
      Rpcs(webhooks->add_subcommand("enable", "Resume a disabled webhook where it stopped"),
           {"karton.kernel.v1.WebhookService/EnableWebhook"});
  enable->add_option("id", *webhook_id)->required();
  enable->callback([&, webhook_id] {
    kernel::v1::EnableWebhookRequest request;
    request.set_id(*webhook_id);
    kernel::v1::Webhook webhook;
    const auto status = WebhookService::NewStub(ChannelFor(options))
                            ->EnableWebhook(MakeContext(options).get(), request, &webhook);
    exit_code = ShowWebhook(options, status, webhook);
  });
  auto replay_after = std::make_shared<std::int64_t>(0);
  auto* replay = Rpcs(webhooks->add_subcommand("replay", "Deliver again from an event id"),
                      {"karton.kernel.v1.WebhookService/ReplayWebhook"});
  replay->add_option("id", *webhook_id)->required();
  replay->add_option("--after", *replay_after, "Event id to start after (0: the oldest kept)")
      ->required();
  replay->callback([&, webhook_id, replay_after] {
    kernel::v1::ReplayWebhookRequest request;
    request.set_id(*webhook_id);
    request.set_after_event_id(*replay_after);
    kernel::v1::Webhook webhook;
    const auto status = WebhookService::NewStub(ChannelFor(options))
                            ->ReplayWebhook(MakeContext(options).get(), request, &webhook);
    exit_code = ShowWebhook(options, status, webhook);
  });
  auto* remove = Rpcs(webhooks->add_subcommand("delete", "Stop and forget a webhook"),
                      {"karton.kernel.v1.WebhookService/DeleteWebhook"});
  remove->add_option("id", *webhook_id)->required();
  remove->callback([&, webhook_id] {
    kernel::v1::DeleteWebhookRequest request;
    request.set_id(*webhook_id);
    kernel::v1::DeleteWebhookResponse response;
    const auto status = WebhookService::NewStub(ChannelFor(options))
                            ->DeleteWebhook(MakeContext(options).get(), request, &response);
    exit_code = status.ok() ? 0 : ReportError(status, options);
    if (status.ok() && options.output == "table") std::cout << "deleted\n";
    if (status.ok() && options.output == "json") std::cout << "{}\n";
  });
}

}  // namespace karton::cli
