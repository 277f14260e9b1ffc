// Webhooks end to end: real HTTP POSTs from kartond to a recorder on
// loopback, signed, retried, disabled and replayed.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json.hpp>

#include "events_fixture.h"
#include "http_recorder.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/kernel/v1/webhook_service.grpc.pb.h"

namespace karton::testing {
namespace {

using kernel::v1::WebhookService;

// The receiver's side of the signature check, written independently of
// the kernel: HMAC-SHA256 over "<timestamp>.<body>", hex, "v1=" prefix.
std::string ExpectedSignature(const std::string& secret, const RecordedRequest& request) {
  const std::string signed_text =
      request.headers.at("karton-webhook-timestamp") + "." + request.body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_text.data()),
                                signed_text.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string("v1=") + hex;
}

class WebhooksTest : public EventsTestBase {
 protected:
  kernel::v1::Webhook Create(const KartondProcess& kartond, const std::string& url,
                             const std::string& secret = "", const std::string& request_id = "") {
    kernel::v1::CreateWebhookRequest request;
    request.mutable_webhook()->set_url(url);
    request.mutable_webhook()->add_topics("parcels.parcel.created");
    request.mutable_webhook()->set_secret(secret);
    request.set_request_id(request_id);
    kernel::v1::Webhook webhook;
    const grpc::Status status = WebhookService::NewStub(ChannelTo(kartond))
                                    ->CreateWebhook(Context().get(), request, &webhook);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return webhook;
  }

  kernel::v1::Webhook Get(const KartondProcess& kartond, std::int64_t id) {
    kernel::v1::GetWebhookRequest request;
    request.set_id(id);
    kernel::v1::Webhook webhook;
    EXPECT_TRUE(WebhookService::NewStub(ChannelTo(kartond))
                    ->GetWebhook(Context().get(), request, &webhook)
                    .ok());
    return webhook;
  }

  // Moves the test clock past any backoff, so retries happen now.
  void SkipBackoff(const KartondProcess& kartond) {
    kernel::v1::AdvanceClockRequest request;
    *request.mutable_duration() = google::protobuf::util::TimeUtil::SecondsToDuration(7200);
    kernel::v1::AdvanceClockResponse response;
    ASSERT_TRUE(kernel::v1::KernelService::NewStub(ChannelTo(kartond))
                    ->AdvanceClock(Context().get(), request, &response)
                    .ok());
  }

  static std::string EventIdOf(const RecordedRequest& request) {
    return request.headers.at("karton-event-id");
  }
};

TEST_F(WebhooksTest, DeliversSignedJsonInOrderAndRetriesFailures) {
  TemporaryDirectory data_dir;
  HttpRecorder receiver;
  auto kartond = Start(data_dir, {"--test-clock"});
  const std::string secret = "sixteen-or-more-characters";
  const auto webhook = Create(*kartond, receiver.Url(), secret);
  EXPECT_EQ(webhook.secret(), secret);
  EXPECT_EQ(webhook.state(), kernel::v1::WEBHOOK_STATE_ACTIVE);

  // The first delivery fails twice, then is accepted.
  receiver.AnswerNext({500, 503});
  const auto first = CreateParcel(*kartond, "Árvíztűrő tükörfúrógép");
  const auto second = CreateParcel(*kartond, "second");
  MoveParcel(*kartond, first.id(), "truck");  // not a subscribed topic

  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(20))) << kartond->Stderr();
  SkipBackoff(*kartond);
  ASSERT_TRUE(receiver.WaitForRequests(2, std::chrono::seconds(20)));
  auto failing = Get(*kartond, webhook.id());
  EXPECT_GE(failing.consecutive_failures(), 1);
  SkipBackoff(*kartond);
  ASSERT_TRUE(receiver.WaitForRequests(4, std::chrono::seconds(20))) << kartond->Stderr();

  const auto requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 4u);
  // The same event three times (500, 503, 200), then the next one.
  EXPECT_EQ(EventIdOf(requests[0]), EventIdOf(requests[1]));
  EXPECT_EQ(EventIdOf(requests[1]), EventIdOf(requests[2]));
  EXPECT_LT(std::stoll(EventIdOf(requests[2])), std::stoll(EventIdOf(requests[3])));
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/hook");
    EXPECT_EQ(request.headers.at("content-type"), "application/json");
    EXPECT_EQ(request.headers.at("karton-event-topic"), "parcels.parcel.created");
    EXPECT_EQ(request.headers.at("karton-webhook-signature"), ExpectedSignature(secret, request));
  }
  EXPECT_NE(ExpectedSignature("another-secret-entirely", requests[3]),
            requests[3].headers.at("karton-webhook-signature"));

  const auto body = boost::json::parse(requests[2].body).as_object();
  EXPECT_EQ(body.at("id").as_string(), EventIdOf(requests[2]));  // int64 is a JSON string
  EXPECT_EQ(body.at("topic").as_string(), "parcels.parcel.created");
  EXPECT_EQ(body.at("aggregateId").as_string(), std::to_string(first.id()));
  const auto& payload = body.at("payload").as_object();
  EXPECT_EQ(payload.at("@type").as_string(), "type.googleapis.com/karton.parcels.v1.Parcel");
  EXPECT_EQ(payload.at("label").as_string(), "Árvíztűrő tükörfúrógép");
  EXPECT_EQ(boost::json::parse(requests[3].body).at("aggregateId").as_string(),
            std::to_string(second.id()));

  auto delivered = Get(*kartond, webhook.id());
  EXPECT_EQ(delivered.consecutive_failures(), 0);
  EXPECT_TRUE(delivered.has_last_success_time());
  EXPECT_TRUE(delivered.secret().empty());  // shown only at creation
}

TEST_F(WebhooksTest, GoneDisablesUntilEnabledAndReplayDeliversAgain) {
  TemporaryDirectory data_dir;
  HttpRecorder receiver;
  auto kartond = Start(data_dir);
  const auto webhook = Create(*kartond, receiver.Url());
  EXPECT_EQ(webhook.secret().rfind("whsec_", 0), 0u);  // generated

  receiver.AnswerNext({410});
  CreateParcel(*kartond, "one");
  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(20))) << kartond->Stderr();
  ASSERT_TRUE(WaitFor(fmt::format("SELECT active::text FROM kernel.event_subscription "
                                  "WHERE name = 'webhook.{}'",
                                  webhook.id()),
                      "false"));
  const auto disabled = Get(*kartond, webhook.id());
  EXPECT_EQ(disabled.state(), kernel::v1::WEBHOOK_STATE_DISABLED);
  EXPECT_EQ(disabled.disabled_reason(), "the endpoint answered 410 Gone");
  const std::string cursor_sql = fmt::format(
      "SELECT cursor FROM kernel.event_subscription WHERE name = 'webhook.{}'", webhook.id());
  const std::string cursor_when_disabled = Query(cursor_sql);
  CreateParcel(*kartond, "two");
  // Everything else has handled "two" by now; the disabled webhook has not
  // moved and sent nothing.
  ASSERT_TRUE(WaitUntilNothingIsDue(conninfo_));
  EXPECT_EQ(Query(cursor_sql), cursor_when_disabled);
  EXPECT_EQ(receiver.Requests().size(), 1u);

  auto webhooks = WebhookService::NewStub(ChannelTo(*kartond));
  kernel::v1::EnableWebhookRequest enable;
  enable.set_id(webhook.id());
  kernel::v1::Webhook enabled;
  ASSERT_TRUE(webhooks->EnableWebhook(Context().get(), enable, &enabled).ok());
  EXPECT_EQ(enabled.state(), kernel::v1::WEBHOOK_STATE_ACTIVE);
  // Resumes with the event that was refused, then the next.
  ASSERT_TRUE(receiver.WaitForRequests(3, std::chrono::seconds(20))) << kartond->Stderr();
  auto requests = receiver.Requests();
  EXPECT_EQ(EventIdOf(requests[1]), EventIdOf(requests[0]));
  EXPECT_NE(EventIdOf(requests[2]), EventIdOf(requests[0]));

  kernel::v1::ReplayWebhookRequest replay;
  replay.set_id(webhook.id());
  replay.set_after_event_id(0);  // from the oldest kept
  kernel::v1::Webhook replayed;
  ASSERT_TRUE(webhooks->ReplayWebhook(Context().get(), replay, &replayed).ok());
  ASSERT_TRUE(receiver.WaitForRequests(5, std::chrono::seconds(20)));
  requests = receiver.Requests();
  EXPECT_EQ(EventIdOf(requests[3]), EventIdOf(requests[0]));
  EXPECT_EQ(EventIdOf(requests[4]), EventIdOf(requests[2]));

  kernel::v1::DeleteWebhookRequest remove;
  remove.set_id(webhook.id());
  kernel::v1::DeleteWebhookResponse removed;
  ASSERT_TRUE(webhooks->DeleteWebhook(Context().get(), remove, &removed).ok());
  EXPECT_EQ(webhooks->DeleteWebhook(Context().get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  CreateParcel(*kartond, "three");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(receiver.Requests().size(), 5u);
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.audit_entry WHERE resource_type = 'kernel.webhook'"),
            "4");  // created, enabled, replayed, deleted
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.audit_entry WHERE changes::text LIKE '%whsec_%'"),
            "0");
}

TEST_F(WebhooksTest, ALongRunOfFailuresDisablesTheWebhook) {
  TemporaryDirectory data_dir;
  HttpRecorder receiver;
  receiver.SetDefaultStatus(500);
  auto kartond = Start(data_dir, {"--test-clock", "--webhook-max-failures", "3"});
  const auto webhook = Create(*kartond, receiver.Url());
  CreateParcel(*kartond, "never accepted");
  for (std::size_t seen = 1; seen <= 3; ++seen) {
    ASSERT_TRUE(receiver.WaitForRequests(seen, std::chrono::seconds(20))) << kartond->Stderr();
    SkipBackoff(*kartond);
  }
  ASSERT_TRUE(WaitFor(fmt::format("SELECT active::text FROM kernel.event_subscription "
                                  "WHERE name = 'webhook.{}'",
                                  webhook.id()),
                      "false"));
  const auto disabled = Get(*kartond, webhook.id());
  EXPECT_EQ(disabled.disabled_reason(), "3 failed deliveries in a row");
  EXPECT_EQ(disabled.last_error(), "HTTP 500");
  SkipBackoff(*kartond);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(receiver.Requests().size(), 3u);
}

TEST_F(WebhooksTest, CreateValidatesNamesTheFieldAndIsIdempotent) {
  TemporaryDirectory data_dir;
  HttpRecorder receiver;
  auto kartond = Start(data_dir);
  auto webhooks = WebhookService::NewStub(ChannelTo(*kartond));
  auto refused = [&](const kernel::v1::CreateWebhookRequest& request) {
    kernel::v1::Webhook webhook;
    const grpc::Status status = webhooks->CreateWebhook(Context().get(), request, &webhook);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return status.error_message();
  };
  kernel::v1::CreateWebhookRequest request;
  request.mutable_webhook()->set_url("ftp://example.com/x");
  request.mutable_webhook()->add_topics("parcels.parcel.created");
  EXPECT_EQ(refused(request), "webhook.url: must start with http:// or https://");
  // Inner addresses: only the loopback range the fixture allows is taken.
  request.mutable_webhook()->set_url("http://169.254.169.254/latest/meta-data");
  EXPECT_EQ(refused(request),
            "webhook.url: 169.254.169.254 is a link-local address, which webhooks may not reach "
            "unless an admin allows it (--webhook-allow-cidr)");
  request.mutable_webhook()->set_url("http://[::1]:5432/");
  EXPECT_NE(refused(request).find("::1 is a loopback address"), std::string::npos);
  request.mutable_webhook()->set_url(receiver.Url());
  request.mutable_webhook()->set_topics(0, "parcels.box.*");
  EXPECT_EQ(refused(request),
            "webhook.topics[0]: 'parcels.box.*' matches no topic of the loaded modules");
  request.mutable_webhook()->set_topics(0, "parcels.parcel.created");
  request.mutable_webhook()->set_secret("short");
  EXPECT_EQ(refused(request).rfind("webhook.secret:", 0), 0u);
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.webhook"), "0");

  const auto first = Create(*kartond, receiver.Url(), "", "create-once");
  const auto again = Create(*kartond, receiver.Url(), "", "create-once");
  EXPECT_EQ(first.id(), again.id());
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.webhook"), "1");

  kernel::v1::ListWebhooksResponse listed;
  ASSERT_TRUE(webhooks->ListWebhooks(Context().get(), {}, &listed).ok());
  ASSERT_EQ(listed.webhooks_size(), 1);
  EXPECT_EQ(listed.webhooks(0).url(), receiver.Url());
  EXPECT_TRUE(listed.webhooks(0).secret().empty());
  kernel::v1::GetWebhookRequest get;
  get.set_id(9999);
  kernel::v1::Webhook missing;
  EXPECT_EQ(webhooks->GetWebhook(Context().get(), get, &missing).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(WebhooksTest, EventsLostToRetentionWhileDisabledAreNotSkippedSilently) {
  TemporaryDirectory data_dir;
  HttpRecorder receiver;
  auto kartond = Start(data_dir, {"--test-clock", "--event-retention-days", "1"});
  const auto webhook = Create(*kartond, receiver.Url());
  receiver.AnswerNext({410});
  CreateParcel(*kartond, "refused");
  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(20))) << kartond->Stderr();
  ASSERT_TRUE(WaitFor(fmt::format("SELECT active::text FROM kernel.event_subscription "
                                  "WHERE name = 'webhook.{}'",
                                  webhook.id()),
                      "false"));
  CreateParcel(*kartond, "while disabled");
  ASSERT_TRUE(WaitFor("SELECT count(*) FROM tracking.seen WHERE subscription = 'arrivals'", "2"));
  SkipBackoff(*kartond);  // two hours: not yet old enough
  kernel::v1::AdvanceClockRequest two_days;
  *two_days.mutable_duration() = google::protobuf::util::TimeUtil::SecondsToDuration(2 * 86400);
  kernel::v1::AdvanceClockResponse moved;
  ASSERT_TRUE(kernel::v1::KernelService::NewStub(ChannelTo(*kartond))
                  ->AdvanceClock(Context().get(), two_days, &moved)
                  .ok());
  ASSERT_EQ(Query("SELECT count(*) FROM kernel.event"), "0");

  auto webhooks = WebhookService::NewStub(ChannelTo(*kartond));
  kernel::v1::EnableWebhookRequest enable;
  enable.set_id(webhook.id());
  kernel::v1::Webhook enabled;
  const grpc::Status refused = webhooks->EnableWebhook(Context().get(), enable, &enabled);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("ReplayWebhook with after_event_id 2"), std::string::npos)
      << refused.error_message();

  // Accepting the gap explicitly: replay from the horizon, then it delivers on.
  kernel::v1::ReplayWebhookRequest replay;
  replay.set_id(webhook.id());
  replay.set_after_event_id(2);
  kernel::v1::Webhook replayed;
  ASSERT_TRUE(webhooks->ReplayWebhook(Context().get(), replay, &replayed).ok());
  ASSERT_TRUE(webhooks->EnableWebhook(Context().get(), enable, &enabled).ok());
  EXPECT_TRUE(enabled.last_error().empty());
  CreateParcel(*kartond, "after");
  ASSERT_TRUE(receiver.WaitForRequests(2, std::chrono::seconds(20))) << kartond->Stderr();
  EXPECT_EQ(receiver.Requests()[1].headers.at("karton-event-id"), "3");

  // A webhook created on the emptied log starts with the next event.
  const auto late = Create(*kartond, receiver.Url("/late"));
  EXPECT_EQ(late.cursor(), 3);
}

}  // namespace
}  // namespace karton::testing
