// activity_repository against crm's shipped schema on a throwaway database:
// calendars (order, half-open range, cancelled ones, teams), reminders and
// closing, the partner's next activities, and the hashed calendar feed tokens.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "activities/activity_repository.h"
#include "karton/kernel/database.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "module_database_test.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

using google::protobuf::util::TimeUtil;
using std::chrono::hours;
using std::chrono::minutes;

class ActivityRepositoryTest : public karton::testing::ModuleDatabaseTest {
 protected:
  ActivityRepositoryTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    anna_ = NewUser("anna", "sales");
    bela_ = NewUser("bela", "sales");
    south_ = NewTeam("Dél");
    for (auto* partner : {&acme_, &other_}) {
      *partner = InsertReturningId(
          "INSERT INTO partners.partner (kind, display_name, create_time, update_time) VALUES "
          "('organization', 'Pelda Kft.', now(), now()) RETURNING id");
    }
    nine_ = context_.Time().Now();  // 2026-01-05 09:00 UTC
  }

  static google::protobuf::Timestamp At(kernel::TimePoint time) {
    return TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(time));
  }

  struct Planned {
    std::string subject{};
    std::int64_t user = 0, team = 0, partner = 0;
    std::optional<kernel::TimePoint> start{}, due{};
  };
  std::int64_t Insert(const Planned& planned, const std::string& status = "planned") {
    v1::Activity activity;
    activity.set_type(v1::ACTIVITY_TYPE_MEETING);
    activity.set_subject(planned.subject);
    activity.set_assigned_user_id(planned.user);
    activity.set_team_id(planned.team);
    activity.set_partner_id(planned.partner);
    if (planned.start) *activity.mutable_start_time() = At(*planned.start);
    if (planned.due) *activity.mutable_due_time() = At(*planned.due);
    auto lease = database_->Acquire();
    const auto id =
        activity_repository::Insert(lease.Session(), activity, "", context_.Time().Now()).first;
    if (status != "planned") {
      activity_repository::Close(lease.Session(), id, status, "", context_.Time().Now());
    }
    return id;
  }

  std::vector<std::string> Subjects(const std::vector<v1::Activity>& activities) {
    std::vector<std::string> subjects;
    for (const auto& activity : activities) subjects.push_back(activity.subject());
    return subjects;
  }

  std::vector<std::string> Calendar(const std::string& users, std::int64_t team,
                                    kernel::TimePoint start, kernel::TimePoint end,
                                    bool with_canceled = false) {
    auto lease = database_->Acquire();
    return Subjects(
        activity_repository::Calendar(lease.Session(), users, team, start, end, with_canceled));
  }
  std::string Users(std::int64_t user) { return "{" + std::to_string(user) + "}"; }

  std::int64_t anna_ = 0, bela_ = 0, south_ = 0, acme_ = 0, other_ = 0;
  kernel::TimePoint nine_;
};

TEST_F(ActivityRepositoryTest, ACalendarIsOrderedByStartElseDueTimeInAHalfOpenRange) {
  Insert({.subject = "10:00", .user = anna_, .start = nine_ + hours(1)});
  Insert({.subject = "due 9:30", .user = anna_, .due = nine_ + minutes(30)});
  // The start counts, not the earlier due time.
  Insert({.subject = "11:00 due 9:00", .user = anna_, .start = nine_ + hours(2), .due = nine_});
  Insert({.subject = "12:00", .user = anna_, .start = nine_ + hours(3)});   // the end: out
  Insert({.subject = "9:00", .user = anna_, .start = nine_});               // the start: in
  Insert({.subject = "8:59", .user = anna_, .start = nine_ - minutes(1)});  // out
  Insert({.subject = "bela 10:00", .user = bela_, .start = nine_ + hours(1)});
  EXPECT_EQ(Calendar(Users(anna_), 0, nine_, nine_ + hours(3)),
            (std::vector<std::string>{"9:00", "due 9:30", "10:00", "11:00 due 9:00"}));
  EXPECT_EQ(Calendar("{" + std::to_string(anna_) + "," + std::to_string(bela_) + "}", 0,
                     nine_ + hours(1), nine_ + hours(2)),
            (std::vector<std::string>{"10:00", "bela 10:00"}));
}

TEST_F(ActivityRepositoryTest, CanceledActivitiesStayOnlyInFeedsAndTeamsSeeTheirOwn) {
  Insert({.subject = "planned", .user = anna_, .start = nine_});
  Insert({.subject = "done", .user = anna_, .start = nine_ + hours(1)}, "done");
  Insert({.subject = "canceled", .user = anna_, .start = nine_ + hours(2)}, "canceled");
  Insert({.subject = "team's", .team = south_, .start = nine_ + hours(3)});
  const auto end = nine_ + hours(24);
  EXPECT_EQ(Calendar(Users(anna_), 0, nine_, end), (std::vector<std::string>{"planned", "done"}));
  EXPECT_EQ(Calendar(Users(anna_), 0, nine_, end, true),
            (std::vector<std::string>{"planned", "done", "canceled"}));
  EXPECT_EQ(Calendar("{}", south_, nine_, end), (std::vector<std::string>{"team's"}));
  EXPECT_EQ(Calendar(Users(anna_), south_, nine_, end),
            (std::vector<std::string>{"planned", "done", "team's"}));
  EXPECT_TRUE(Calendar(Users(bela_), 0, nine_, end).empty());
}

TEST_F(ActivityRepositoryTest, RemindersKeepTheirOrderAndClosingBumpsTheEtagOnce) {
  v1::Activity call;
  call.set_type(v1::ACTIVITY_TYPE_CALL);
  call.set_subject("Ajánlat megbeszélése");
  call.set_assigned_user_id(anna_);
  *call.mutable_start_time() = At(nine_ + hours(24));
  call.mutable_duration()->set_seconds(1800);
  call.add_reminders()->set_seconds(86400);
  call.add_reminders()->set_seconds(900);
  auto lease = database_->Acquire();
  const auto [id, inserted] =
      activity_repository::Insert(lease.Session(), call, "call-1", context_.Time().Now());
  ASSERT_TRUE(inserted);
  EXPECT_EQ(activity_repository::Insert(lease.Session(), call, "call-1", context_.Time().Now()),
            std::make_pair(id, false));

  const auto stored = activity_repository::Find(lease.Session(), id, Scope::Everything(), false);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->type(), v1::ACTIVITY_TYPE_CALL);
  EXPECT_EQ(stored->status(), v1::ACTIVITY_STATUS_PLANNED);
  ASSERT_EQ(stored->reminders_size(), 2);
  EXPECT_EQ(stored->reminders(0).seconds(), 86400);
  EXPECT_EQ(stored->reminders(1).seconds(), 900);
  EXPECT_EQ(stored->duration().seconds(), 1800);
  EXPECT_EQ(stored->start_time().seconds(), At(nine_ + hours(24)).seconds());
  EXPECT_FALSE(stored->has_due_time());
  EXPECT_EQ(stored->etag(), "1");

  context_.Clock().Advance(hours(25));
  activity_repository::Close(lease.Session(), id, "done", "Megrendelte", context_.Time().Now());
  const auto done = activity_repository::Find(lease.Session(), id, Scope::Everything(), false);
  EXPECT_EQ(done->status(), v1::ACTIVITY_STATUS_DONE);
  EXPECT_EQ(done->outcome(), "Megrendelte");
  EXPECT_EQ(done->etag(), "2");
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(done->complete_time()),
            kernel::ToEpochMicros(context_.Time().Now()));
  EXPECT_EQ(done->reminders_size(), 2);
}

TEST_F(ActivityRepositoryTest, APartnersNextActivitiesArePlannedOnesSoonestFirst) {
  Insert({.subject = "in two days", .user = anna_, .partner = acme_, .start = nine_ + hours(48)});
  Insert({.subject = "due tomorrow", .user = bela_, .partner = acme_, .due = nine_ + hours(24)});
  Insert({.subject = "done", .user = anna_, .partner = acme_, .start = nine_ + hours(1)}, "done");
  Insert({.subject = "other's", .user = anna_, .partner = other_, .start = nine_ + hours(2)});
  Insert({.subject = "yesterday", .user = anna_, .partner = acme_, .due = nine_ - hours(24)});
  auto lease = database_->Acquire();
  EXPECT_EQ(Subjects(activity_repository::NextForPartner(lease.Session(), acme_,
                                                         Scope::Everything(), 10)),
            (std::vector<std::string>{"yesterday", "due tomorrow", "in two days"}));
  EXPECT_EQ(
      Subjects(activity_repository::NextForPartner(lease.Session(), acme_, Scope::Everything(), 1)),
      (std::vector<std::string>{"yesterday"}));
  kernel::Caller bela;
  bela.user_id = bela_;
  bela.roles = {"sales"};
  EXPECT_EQ(
      Subjects(activity_repository::NextForPartner(lease.Session(), acme_, ScopeOf(bela), 10)),
      (std::vector<std::string>{"due tomorrow"}));
}

TEST_F(ActivityRepositoryTest, FeedTokensAreKeptHashedAndRotatingRetiresTheOldOne) {
  auto lease = database_->Acquire();
  const auto made = activity_repository::EnsureFeed(lease.Session(), "user", anna_, "secret-one",
                                                    context_.Time().Now());
  EXPECT_TRUE(made.created);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(made.create_time),
            kernel::ToEpochMicros(context_.Time().Now()));
  context_.Clock().Advance(hours(1));
  const auto kept = activity_repository::EnsureFeed(lease.Session(), "user", anna_, "secret-two",
                                                    context_.Time().Now());
  EXPECT_FALSE(kept.created);
  EXPECT_EQ(kept.create_time, made.create_time);
  // The same number as a team is another feed.
  EXPECT_TRUE(activity_repository::EnsureFeed(lease.Session(), "team", anna_, "secret-team",
                                              context_.Time().Now())
                  .created);

  using Owner = std::optional<std::pair<std::string, std::int64_t>>;
  EXPECT_EQ(activity_repository::FeedOwner(lease.Session(), "secret-one"),
            Owner(std::make_pair("user", anna_)));
  EXPECT_EQ(activity_repository::FeedOwner(lease.Session(), "secret-team"),
            Owner(std::make_pair("team", anna_)));
  EXPECT_EQ(activity_repository::FeedOwner(lease.Session(), "secret-two"), std::nullopt);
  EXPECT_EQ(
      karton::testing::QueryScalar(
          conninfo_, "SELECT count(*) FROM crm.calendar_feed WHERE token_hash LIKE 'secret%'"),
      "0");
  EXPECT_EQ(
      karton::testing::QueryScalar(
          conninfo_, "SELECT token_hash FROM crm.calendar_feed WHERE owner_kind = 'user'"),
      karton::testing::QueryScalar(conninfo_, "SELECT encode(sha256('secret-one'::bytea), 'hex')"));

  activity_repository::RotateFeed(lease.Session(), "user", anna_, "secret-three",
                                  context_.Time().Now());
  EXPECT_EQ(activity_repository::FeedOwner(lease.Session(), "secret-one"), std::nullopt);
  EXPECT_EQ(activity_repository::FeedOwner(lease.Session(), "secret-three"),
            Owner(std::make_pair("user", anna_)));
  EXPECT_EQ(activity_repository::FeedOwner(lease.Session(), "secret-team"),
            Owner(std::make_pair("team", anna_)));
}

}  // namespace
}  // namespace karton::crm
