// Fault test (issue 20, docs/reliability.md "Fault tests"): kartond is
// killed (SIGKILL) while a webhook POST is in flight to a slow receiver.
// After a restart on the same database every event reaches the receiver,
// in order, the one in flight at most twice, and the webhook's cursor
// reaches the last event.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "events_fixture.h"
#include "http_recorder.h"
#include "karton/kernel/v1/webhook_service.grpc.pb.h"

namespace karton::testing {
namespace {

class WebhookKillTest : public EventsTestBase {};

TEST_F(WebhookKillTest, AKillDuringAPostLosesNoEventAndTheCursorCatchesUp) {
  constexpr int kParcels = 40;
  TemporaryDirectory data_dir;
  HttpRecorder receiver;
  receiver.SetAnswerDelay(std::chrono::milliseconds(300));
  auto kartond = Start(data_dir);
  kernel::v1::CreateWebhookRequest create;
  create.mutable_webhook()->set_url(receiver.Url());
  create.mutable_webhook()->add_topics("parcels.parcel.created");
  kernel::v1::Webhook webhook;
  ASSERT_TRUE(kernel::v1::WebhookService::NewStub(ChannelTo(*kartond))
                  ->CreateWebhook(Context().get(), create, &webhook)
                  .ok());
  for (int i = 0; i < kParcels; ++i) CreateParcel(*kartond, fmt::format("csomag {}", i));

  // A few deliveries done, one in flight (the receiver holds it 300 ms).
  ASSERT_TRUE(receiver.WaitForRequests(3, std::chrono::seconds(30))) << kartond->Stderr();
  ASSERT_EQ(kartond->StopWith(SIGKILL), 128 + SIGKILL);
  const std::size_t before_kill = receiver.Requests().size();
  ASSERT_LT(before_kill, static_cast<std::size_t>(kParcels)) << "nothing was in flight";

  receiver.SetAnswerDelay(std::chrono::milliseconds(0));
  kartond = Start(data_dir);
  const std::string last_event = QueryScalar(
      conninfo_, "SELECT max(id) FROM kernel.event WHERE topic = 'parcels.parcel.created'");
  const std::string cursor_sql = fmt::format(
      "SELECT cursor FROM kernel.event_subscription WHERE name = 'webhook.{}'", webhook.id());
  bool caught_up = false;
  const auto restarted = std::chrono::steady_clock::now();
  for (int i = 0; i < 600 && !caught_up; ++i) {
    caught_up = QueryScalar(conninfo_, cursor_sql) == last_event;
    if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(caught_up) << "cursor " << QueryScalar(conninfo_, cursor_sql) << " of " << last_event
                         << "\n"
                         << kartond->PostMortem(60);

  // Every event arrived, in order of first arrival; at most the one in
  // flight twice.
  std::map<std::string, int> times_received;
  std::vector<long long> first_arrivals;
  for (const auto& request : receiver.Requests()) {
    const std::string id = request.headers.at("karton-event-id");
    if (times_received[id]++ == 0) first_arrivals.push_back(std::stoll(id));
  }
  EXPECT_EQ(times_received.size(), static_cast<std::size_t>(kParcels));
  int repeats = 0;
  for (const auto& [id, times] : times_received) repeats += times - 1;
  EXPECT_LE(repeats, 1);
  EXPECT_TRUE(std::is_sorted(first_arrivals.begin(), first_arrivals.end()));
  std::cout << "delivered before the kill: " << before_kill << ", repeats: " << repeats
            << ", caught up "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - restarted)
                   .count()
            << " ms after the restart" << std::endl;
}

// The same kill, but the claim would hold for more than an hour (a claim
// lease of 3,600 s plus the webhook timeout of 300 s): only because the
// restarted kartond is the same node (its id kept in the data directory,
// kernel/src/node_identity.h) does it take the subscription back and
// deliver at once. A kartond that waited out the lease would not catch up
// within the minute this test waits.
TEST_F(WebhookKillTest, TheRestartedKartondTakesBackItsOwnClaimWithoutWaitingOutTheLease) {
  constexpr int kParcels = 20;
  const std::vector<std::string> long_claims = {"--event-claim-seconds", "3600",
                                                "--webhook-timeout-seconds", "300"};
  TemporaryDirectory data_dir;
  HttpRecorder receiver;
  receiver.SetAnswerDelay(std::chrono::milliseconds(300));
  auto kartond = Start(data_dir, long_claims);
  kernel::v1::CreateWebhookRequest create;
  create.mutable_webhook()->set_url(receiver.Url());
  create.mutable_webhook()->add_topics("parcels.parcel.created");
  kernel::v1::Webhook webhook;
  ASSERT_TRUE(kernel::v1::WebhookService::NewStub(ChannelTo(*kartond))
                  ->CreateWebhook(Context().get(), create, &webhook)
                  .ok());
  for (int i = 0; i < kParcels; ++i) CreateParcel(*kartond, fmt::format("csomag {}", i));
  ASSERT_TRUE(receiver.WaitForRequests(2, std::chrono::seconds(30))) << kartond->Stderr();
  ASSERT_EQ(kartond->StopWith(SIGKILL), 128 + SIGKILL);
  const std::string claim_sql = fmt::format(
      "SELECT claimed_by IS NOT NULL AND claim_until > now() + interval '30 minutes' "
      "FROM kernel.event_subscription WHERE name = 'webhook.{}'",
      webhook.id());
  ASSERT_EQ(QueryScalar(conninfo_, claim_sql), "t") << "the dead kartond's claim is not held";
  const std::string node_id_file = (data_dir.Path() / "node.id").string();
  ASSERT_TRUE(std::filesystem::exists(node_id_file));

  receiver.SetAnswerDelay(std::chrono::milliseconds(0));
  kartond = Start(data_dir, long_claims);
  const std::string last_event = QueryScalar(
      conninfo_, "SELECT max(id) FROM kernel.event WHERE topic = 'parcels.parcel.created'");
  const std::string cursor_sql = fmt::format(
      "SELECT cursor FROM kernel.event_subscription WHERE name = 'webhook.{}'", webhook.id());
  bool caught_up = false;
  for (int i = 0; i < 600 && !caught_up; ++i) {
    caught_up = QueryScalar(conninfo_, cursor_sql) == last_event;
    if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(caught_up) << "cursor " << QueryScalar(conninfo_, cursor_sql) << " of " << last_event
                         << "\n"
                         << kartond->PostMortem(60);
  std::set<std::string> received;
  for (const auto& request : receiver.Requests()) received.insert(request.headers.at("karton-event-id"));
  EXPECT_EQ(received.size(), static_cast<std::size_t>(kParcels));
}

}  // namespace
}  // namespace karton::testing
