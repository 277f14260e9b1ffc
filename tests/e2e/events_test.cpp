// Domain events end to end: the outbox, in-process subscribers with durable
// cursors, parking, the Subscribe stream and retention, against the real
// kartond with the "events" fixture modules (parcels publishes, tracking
// subscribes as "tracking.history" and "tracking.arrivals").
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "events_fixture.h"
#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"

namespace karton::testing {
namespace {

using kernel::v1::EventService;

constexpr const char* kHistoryCount =
    "SELECT count(*) FROM tracking.seen WHERE subscription = 'history'";
constexpr const char* kArrivalsCount =
    "SELECT count(*) FROM tracking.seen WHERE subscription = 'arrivals'";

class EventsTest : public EventsTestBase {
 protected:
  // A token of a user who is not an admin.
  std::string SalesToken(const KartondProcess& kartond) {
    auto identity = kernel::v1::IdentityService::NewStub(ChannelTo(kartond));
    kernel::v1::CreateUserRequest create;
    create.mutable_user()->set_name("Sales");
    create.mutable_user()->set_email("sales@example.com");
    create.mutable_user()->add_roles(kernel::v1::ROLE_SALES);
    kernel::v1::User user;
    EXPECT_TRUE(identity->CreateUser(Context().get(), create, &user).ok());
    kernel::v1::CreateApiTokenRequest token_request;
    token_request.set_user_id(user.id());
    kernel::v1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity->CreateApiToken(Context().get(), token_request, &token).ok());
    return token.token();
  }

  void AdvanceClock(const KartondProcess& kartond, std::chrono::hours by) {
    kernel::v1::AdvanceClockRequest request;
    *request.mutable_duration() =
        google::protobuf::util::TimeUtil::SecondsToDuration(std::chrono::seconds(by).count());
    kernel::v1::AdvanceClockResponse response;
    ASSERT_TRUE(kernel::v1::KernelService::NewStub(ChannelTo(kartond))
                    ->AdvanceClock(Context().get(), request, &response)
                    .ok());
  }
};

TEST_F(EventsTest, EachSubscriberSeesEveryCommittedEventOnceInOrderAndNoneRolledBack) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(CreateParcel(*kartond, fmt::format("p{}", i)).id());
  for (auto id : ids) {
    MoveParcel(*kartond, id, "truck");
    MoveParcel(*kartond, id, "door");
  }
  // Published, then rolled back: no event may come of it.
  parcels::v1::CreateParcelRequest doomed;
  doomed.mutable_parcel()->set_label("rolled-back");
  doomed.set_fail_after_publish(true);
  parcels::v1::Parcel unused;
  EXPECT_EQ(parcels::v1::ParcelsService::NewStub(ChannelTo(*kartond))
                ->CreateParcel(Context().get(), doomed, &unused)
                .error_code(),
            grpc::StatusCode::ABORTED);

  ASSERT_TRUE(WaitFor(kHistoryCount, "30")) << kartond->Stderr();
  ASSERT_TRUE(WaitFor(kArrivalsCount, "10"));
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event"), "30");
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event_outbox"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event e WHERE NOT EXISTS "
                  "(SELECT 1 FROM parcels.parcel p WHERE p.id = e.aggregate_id)"),
            "0");
  // Every parcel's changes were handled in the order they were made...
  EXPECT_EQ(
      Query("SELECT count(*) FROM (SELECT string_agg(location, ',' ORDER BY position) AS path "
            "FROM tracking.seen WHERE subscription = 'history' GROUP BY parcel_id) p "
            "WHERE path = 'depot,truck,door'"),
      "10");
  // ...and the whole stream in log order.
  EXPECT_EQ(
      Query("SELECT bool_and(ordered)::text FROM (SELECT event_id > lag(event_id, 1, 0::bigint) "
            "OVER (ORDER BY position) AS ordered FROM tracking.seen "
            "WHERE subscription = 'history') o"),
      "true");
  // The actor is the admin who made the changes.
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event WHERE actor_user_id IS NULL"), "0");

  auto events = EventService::NewStub(ChannelTo(*kartond));
  kernel::v1::ListTopicsResponse topics;
  ASSERT_TRUE(events->ListTopics(Context().get(), {}, &topics).ok());
  ASSERT_EQ(topics.topics_size(), 2);
  EXPECT_EQ(topics.topics(0).name(), "parcels.parcel.created");
  EXPECT_EQ(topics.topics(0).payload_type(), "karton.parcels.v1.Parcel");
  kernel::v1::ListSubscriptionsResponse subscriptions;
  ASSERT_TRUE(events->ListSubscriptions(Context().get(), {}, &subscriptions).ok());
  ASSERT_EQ(subscriptions.subscriptions_size(), 2);
  EXPECT_EQ(subscriptions.subscriptions(0).name(), "tracking.arrivals");
  EXPECT_EQ(subscriptions.subscriptions(1).name(), "tracking.history");
  EXPECT_EQ(subscriptions.subscriptions(1).kind(), kernel::v1::SUBSCRIPTION_KIND_MODULE);
  EXPECT_EQ(subscriptions.subscriptions(1).topics(0), "parcels.parcel.*");
  EXPECT_EQ(subscriptions.subscriptions(1).parked_events(), 0);
}

TEST_F(EventsTest, TwoServersDeliverEachEventOncePerSubscription) {
  TemporaryDirectory first_dir, second_dir;
  auto first = Start(first_dir);
  auto second = Start(second_dir);
  std::vector<std::thread> writers;
  for (const KartondProcess* kartond : {first.get(), second.get()}) {
    writers.emplace_back([this, kartond] {
      for (int i = 0; i < 25; ++i) {
        const auto parcel = CreateParcel(*kartond, fmt::format("p{}", i));
        MoveParcel(*kartond, parcel.id(), "truck");
      }
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(WaitFor(kHistoryCount, "100")) << first->Stderr() << second->Stderr();
  ASSERT_TRUE(WaitFor(kArrivalsCount, "50"));
  // A second delivery of any event would have hit tracking.seen's unique
  // key, failed, and ended parked.
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event_parked"), "0");
  EXPECT_EQ(
      Query("SELECT count(*) FROM (SELECT string_agg(location, ',' ORDER BY position) AS path "
            "FROM tracking.seen WHERE subscription = 'history' GROUP BY parcel_id) p "
            "WHERE path = 'depot,truck'"),
      "50");
}

TEST_F(EventsTest, SubscribeStreamResumesFromAnIdWithoutGaps) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir);
  for (int i = 0; i < 15; ++i) CreateParcel(*kartond, fmt::format("early{}", i));
  auto events = EventService::NewStub(ChannelTo(*kartond));
  kernel::v1::SubscribeRequest request;
  request.add_topics("parcels.parcel.created");
  std::vector<std::int64_t> received;
  kernel::v1::Event event;
  {
    auto context = Context();
    auto reader = events->Subscribe(context.get(), request);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(reader->Read(&event));
      received.push_back(event.id());
      parcels::v1::Parcel parcel;
      ASSERT_TRUE(event.payload().UnpackTo(&parcel));
      EXPECT_EQ(parcel.label(), fmt::format("early{}", i));
      EXPECT_EQ(event.topic(), "parcels.parcel.created");
      EXPECT_EQ(event.module(), "parcels");
      EXPECT_EQ(event.aggregate_id(), parcel.id());
    }
    context->TryCancel();  // the client goes away mid-stream
    reader->Finish();
  }
  // While nobody listens, and then while the stream runs, three writers add
  // parcels (and moves, which this stream does not want).
  std::vector<std::thread> writers;
  for (int writer = 0; writer < 3; ++writer) {
    writers.emplace_back([this, &kartond, writer] {
      for (int i = 0; i < 5; ++i) {
        const auto parcel = CreateParcel(*kartond, fmt::format("late{}-{}", writer, i));
        MoveParcel(*kartond, parcel.id(), "truck");
      }
    });
  }
  request.set_after_event_id(received.back());
  {
    auto context = Context();
    auto reader = events->Subscribe(context.get(), request);
    while (received.size() < 30) {
      ASSERT_TRUE(reader->Read(&event));
      EXPECT_EQ(event.topic(), "parcels.parcel.created");
      received.push_back(event.id());
    }
    for (auto& writer : writers) writer.join();
    context->TryCancel();
    reader->Finish();
  }
  EXPECT_EQ(fmt::format("{}", fmt::join(received, ",")),
            Query("SELECT string_agg(id::text, ',' ORDER BY id) FROM kernel.event "
                  "WHERE topic = 'parcels.parcel.created'"));
}

TEST_F(EventsTest, SubscribeRefusesBadTopicsAndNonAdmins) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir);
  auto events = EventService::NewStub(ChannelTo(*kartond));
  auto status_of = [&](const kernel::v1::SubscribeRequest& request, const std::string& token) {
    auto context = Context(token);
    auto reader = events->Subscribe(context.get(), request);
    kernel::v1::Event event;
    EXPECT_FALSE(reader->Read(&event));
    return reader->Finish();
  };
  kernel::v1::SubscribeRequest request;
  EXPECT_EQ(status_of(request, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.add_topics("parcels.parcel.*");
  request.add_topics("billing.*");
  const grpc::Status unknown = status_of(request, "");
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.error_message(),
            "topics[1]: 'billing.*' matches no topic of the loaded modules");
  request.clear_topics();
  request.add_topics("parcels.parcel.created");
  request.set_after_event_id(-5);
  EXPECT_EQ(status_of(request, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_after_event_id(0);
  EXPECT_EQ(status_of(request, SalesToken(*kartond)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(EventsTest, SigkillBetweenCommitAndDeliveryDeliversAfterRestart) {
  TemporaryDirectory data_dir;
  {
    auto kartond = Start(data_dir);
    // The history subscriber stalls inside its handler on the first event,
    // its transaction open; five more events queue up behind it.
    CreateParcel(*kartond, "first", "hold");
    for (int i = 0; i < 5; ++i) CreateParcel(*kartond, fmt::format("p{}", i));
    // The other subscriber is not held up by that.
    ASSERT_TRUE(WaitFor(kArrivalsCount, "6")) << kartond->Stderr();
    EXPECT_EQ(Query(kHistoryCount), "0");
    EXPECT_EQ(kartond->StopWith(SIGKILL), 128 + SIGKILL);
  }
  Query("INSERT INTO tracking.release VALUES (true)");
  auto restarted = Start(data_dir);
  ASSERT_TRUE(WaitFor(kHistoryCount, "6")) << restarted->Stderr();
  EXPECT_EQ(Query("SELECT string_agg(location, ',' ORDER BY position) FROM tracking.seen "
                  "WHERE subscription = 'history'"),
            "hold,depot,depot,depot,depot,depot");
  EXPECT_EQ(Query(kArrivalsCount), "6");  // nothing twice
}

TEST_F(EventsTest, AFailingSubscriberParksTheEventKeepsItsAggregateInOrderAndCanRetry) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir, {"--event-max-attempts", "2"});
  CreateParcel(*kartond, "a");
  const auto poisoned = CreateParcel(*kartond, "p", "poison");
  MoveParcel(*kartond, poisoned.id(), "shelf");  // same aggregate: must wait behind it
  CreateParcel(*kartond, "b");

  // The others flow past the parked ones.
  ASSERT_TRUE(WaitFor(kHistoryCount, "2")) << kartond->Stderr();
  ASSERT_TRUE(WaitFor(kArrivalsCount, "3"));
  ASSERT_TRUE(
      WaitFor("SELECT parked_count FROM kernel.event_subscription "
              "WHERE name = 'tracking.history'",
              "2"));
  EXPECT_EQ(Query("SELECT string_agg(location, ',' ORDER BY position) FROM tracking.seen "
                  "WHERE subscription = 'history'"),
            "depot,depot");

  auto events = EventService::NewStub(ChannelTo(*kartond));
  kernel::v1::ListParkedEventsRequest list;
  list.set_subscription("tracking.history");
  kernel::v1::ListParkedEventsResponse parked;
  ASSERT_TRUE(events->ListParkedEvents(Context().get(), list, &parked).ok());
  ASSERT_EQ(parked.parked_events_size(), 2);
  const auto& failed = parked.parked_events(0);
  EXPECT_EQ(failed.event().topic(), "parcels.parcel.created");
  EXPECT_EQ(failed.event().aggregate_id(), poisoned.id());
  EXPECT_EQ(failed.attempts(), 2);
  EXPECT_EQ(failed.last_error(), fmt::format("poison parcel {}", poisoned.id()));
  EXPECT_EQ(failed.blocked_by_event_id(), 0);
  const auto& behind = parked.parked_events(1);
  EXPECT_EQ(behind.event().topic(), "parcels.parcel.moved");
  EXPECT_EQ(behind.blocked_by_event_id(), failed.event().id());
  EXPECT_EQ(behind.attempts(), 0);

  // Fixed: deliver them again, in order.
  Query("INSERT INTO tracking.cure VALUES (true)");
  kernel::v1::RetryParkedEventsRequest retry;
  retry.set_subscription("tracking.history");
  kernel::v1::RetryParkedEventsResponse queued;
  ASSERT_TRUE(events->RetryParkedEvents(Context().get(), retry, &queued).ok());
  EXPECT_EQ(queued.queued(), 2);
  ASSERT_TRUE(WaitFor(kHistoryCount, "4")) << kartond->Stderr();
  EXPECT_EQ(
      Query(fmt::format("SELECT string_agg(location, ',' ORDER BY position) FROM tracking.seen "
                        "WHERE subscription = 'history' AND parcel_id = {}",
                        poisoned.id())),
      "poison,shelf");
  EXPECT_TRUE(
      WaitFor("SELECT parked_count FROM kernel.event_subscription "
              "WHERE name = 'tracking.history'",
              "0"));

  list.set_subscription("");
  EXPECT_EQ(events->ListParkedEvents(Context().get(), list, &parked).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  list.set_subscription("tracking.nothing");
  EXPECT_EQ(events->ListParkedEvents(Context().get(), list, &parked).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EventsTest, RetentionDeletesOldEventsButNeverUnreadOnes) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir, {"--test-clock", "--event-retention-days", "1"});
  CreateParcel(*kartond, "read1");
  CreateParcel(*kartond, "read2");
  ASSERT_TRUE(WaitFor(kHistoryCount, "2")) << kartond->Stderr();
  const auto held = CreateParcel(*kartond, "unread", "hold");  // history stops here
  CreateParcel(*kartond, "unread2");
  ASSERT_TRUE(WaitFor(kArrivalsCount, "4"));
  const std::string held_event =
      Query(fmt::format("SELECT id FROM kernel.event WHERE aggregate_id = {}", held.id()));

  // Two days on, the hourly retention job deletes what everyone has read.
  AdvanceClock(*kartond, std::chrono::hours(48));
  EXPECT_EQ(Query("SELECT string_agg(aggregate_id::text, ',' ORDER BY id) FROM kernel.event"),
            Query("SELECT string_agg(id::text, ',' ORDER BY id) FROM parcels.parcel "
                  "WHERE label LIKE 'unread%'"));

  auto events = EventService::NewStub(ChannelTo(*kartond));
  kernel::v1::SubscribeRequest request;
  request.add_topics("*");
  request.set_after_event_id(1);
  {
    auto context = Context();
    auto reader = events->Subscribe(context.get(), request);
    kernel::v1::Event event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  }
  request.set_after_event_id(0);  // the oldest kept
  {
    auto context = Context();
    auto reader = events->Subscribe(context.get(), request);
    kernel::v1::Event event;
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(std::to_string(event.id()), held_event);
    context->TryCancel();
    reader->Finish();
  }

  Query("INSERT INTO tracking.release VALUES (true)");
  ASSERT_TRUE(WaitFor(kHistoryCount, "4"));
  AdvanceClock(*kartond, std::chrono::hours(48));
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event"), "0");

  // An emptied log does not send anyone back to the start: nothing is due,
  // lag is zero, and the next event flows as usual.
  kernel::v1::ListSubscriptionsResponse subscriptions;
  ASSERT_TRUE(events->ListSubscriptions(Context().get(), {}, &subscriptions).ok());
  for (const auto& subscription : subscriptions.subscriptions()) {
    EXPECT_EQ(subscription.lag(), 0) << subscription.name();
  }
  request.set_after_event_id(999);  // an id that does not exist yet
  {
    auto context = Context();
    auto reader = events->Subscribe(context.get(), request);
    kernel::v1::Event event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  }
  CreateParcel(*kartond, "after the purge");
  ASSERT_TRUE(WaitFor(kHistoryCount, "5"));
  EXPECT_EQ(Query("SELECT min(id) > 4 FROM kernel.event"), "t");
}

TEST_F(EventsTest, CommandLineClientShowsTopicsSubscribersAndTailsTheStream) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir);
  const std::string karton = KartonCommand(*kartond, data_dir.Path());
  const auto parcel = CreateParcel(*kartond, "for the cli");
  ASSERT_TRUE(WaitFor(kArrivalsCount, "1"));

  const auto [topics_exit, topics] = RunCommand(karton + " events topics");
  EXPECT_EQ(topics_exit, 0);
  EXPECT_NE(topics.find("parcels.parcel.moved"), std::string::npos) << topics;
  EXPECT_NE(topics.find("karton.parcels.v1.Parcel"), std::string::npos) << topics;

  const auto [subscriptions_exit, subscriptions] = RunCommand(karton + " events subscriptions");
  EXPECT_EQ(subscriptions_exit, 0);
  EXPECT_NE(subscriptions.find("tracking.history"), std::string::npos) << subscriptions;

  // The stream as JSON lines. The CLI is not built with the fixture's
  // protos, so it shows the payload by its type.
  const auto [tail_exit, tail] =
      RunCommand(karton + " --output json events tail --topic 'parcels.*' --count 1");
  EXPECT_EQ(tail_exit, 0);
  EXPECT_NE(tail.find("\"topic\":\"parcels.parcel.created\""), std::string::npos) << tail;
  EXPECT_NE(tail.find(fmt::format("\"aggregate_id\":\"{}\"", parcel.id())), std::string::npos)
      << tail;
  EXPECT_NE(tail.find("type.googleapis.com/karton.parcels.v1.Parcel"), std::string::npos) << tail;

  const auto [bad_exit, bad] = RunCommand(karton + " events tail --topic 'nothing.*' 2>&1");
  EXPECT_EQ(bad_exit, 1);
  EXPECT_NE(bad.find("INVALID_ARGUMENT"), std::string::npos) << bad;

  const auto [create_exit, created] = RunCommand(
      karton + " webhooks create --url http://127.0.0.1:9/hook --topic parcels.parcel.created");
  EXPECT_EQ(create_exit, 0) << created;
  EXPECT_NE(created.find("secret (shown only now): whsec_"), std::string::npos) << created;
  const auto [list_exit, listed] = RunCommand(karton + " webhooks list");
  EXPECT_EQ(list_exit, 0);
  EXPECT_NE(listed.find("http://127.0.0.1:9/hook"), std::string::npos) << listed;
  EXPECT_EQ(listed.find("whsec_"), std::string::npos) << listed;
}

TEST_F(EventsTest, RetryingParkedEventsOnTwoServersRunsEachHandlerOnceEvenPastTheClaim) {
  TemporaryDirectory first_dir, second_dir;
  const std::vector<std::string> options = {"--event-max-attempts", "1"};
  auto first = Start(first_dir, options);
  auto second = Start(second_dir, options);
  const auto parcel = CreateParcel(*first, "slow", "poison-hold");
  ASSERT_TRUE(
      WaitFor("SELECT parked_count FROM kernel.event_subscription "
              "WHERE name = 'tracking.history'",
              "1"))
      << first->Stderr();

  // Cured, retried: the handler now stalls far longer than the 2 s claim.
  Query("INSERT INTO tracking.cure VALUES (true)");
  kernel::v1::RetryParkedEventsRequest retry;
  retry.set_subscription("tracking.history");
  kernel::v1::RetryParkedEventsResponse queued;
  ASSERT_TRUE(EventService::NewStub(ChannelTo(*first))
                  ->RetryParkedEvents(Context().get(), retry, &queued)
                  .ok());
  std::this_thread::sleep_for(std::chrono::seconds(5));
  // However long it runs, the other server does not start the same work.
  EXPECT_EQ(Query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND pid <> pg_backend_pid() AND query LIKE '%tracking.release%'"),
            "1");
  Query("INSERT INTO tracking.release VALUES (true)");
  ASSERT_TRUE(WaitFor(kHistoryCount, "1")) << first->Stderr() << second->Stderr();
  EXPECT_TRUE(
      WaitFor("SELECT parked_count FROM kernel.event_subscription "
              "WHERE name = 'tracking.history'",
              "0"));
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event_parked"), "0");
  EXPECT_EQ(
      Query(fmt::format("SELECT location FROM tracking.seen WHERE parcel_id = {}", parcel.id())),
      "poison-hold");
}

TEST_F(EventsTest, ADatabaseOutageIsRiddenOutQuietlyAndDeliveryResumes) {
  TemporaryDirectory data_dir;
  auto kartond = Start(data_dir);
  CreateParcel(*kartond, "before");
  ASSERT_TRUE(WaitFor(kArrivalsCount, "1"));
  const std::string admin = SharedPostgres().AdminConnectionString();
  const std::string database = DatabaseNameForCurrentTest();
  QueryScalar(admin, "ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
  QueryScalar(admin,
              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
              "WHERE datname = '" +
                  database + "' AND application_name LIKE 'kartond%'");
  std::this_thread::sleep_for(std::chrono::seconds(2));  // ten poll intervals
  QueryScalar(admin, "ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");

  // One warning for the outage, not one per attempt (the listener polls every
  // 200 ms and reconnects once a second here).
  const std::string log = kartond->Stderr();
  std::size_t warnings = 0;
  for (auto at = log.find("events: "); at != std::string::npos; at = log.find("events: ", at + 1)) {
    ++warnings;
  }
  EXPECT_LE(warnings, 4u) << log;
  CreateParcel(*kartond, "after");
  ASSERT_TRUE(WaitFor(kArrivalsCount, "2")) << kartond->Stderr();
  ASSERT_TRUE(WaitFor(kHistoryCount, "2"));
}

}  // namespace
}  // namespace karton::testing
