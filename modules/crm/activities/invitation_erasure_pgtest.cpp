// The erasure of a person's invitations (docs/crm.md, "Invitations") on a
// throwaway database: partners.contact.erased takes the contact's invitee
// rows out of every activity, empties those activities' event payloads and
// erases the invitee lists of their audit entries, and touches nothing else.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <string>
#include <vector>

#include "activities/activity_repository.h"
#include "event_handlers.h"
#include "karton/kernel/database.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "module_database_test.h"
#include "personal_data_service.h"

namespace karton::crm {
namespace {

class InvitationErasureTest : public karton::testing::ModuleDatabaseTest {
 protected:
  InvitationErasureTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    for (const char* topic : {"crm.activity.created", "crm.activity.updated", "crm.activity.due",
                              "crm.activity.completed", "crm.activity.canceled"}) {
      context_.Events().DeclareTopic<v1::Activity>(topic);
    }
  }

  kernel::ServiceParts Services() { return kernel::PartsOf(context_); }

  // A meeting inviting `invitees` (contact ids, or addresses when 0), with
  // its created event.
  std::int64_t Meeting(const std::vector<std::pair<std::int64_t, std::string>>& invitees) {
    v1::Activity activity;
    activity.set_type(v1::ACTIVITY_TYPE_MEETING);
    activity.set_subject("Egyeztetés");
    *activity.mutable_start_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
        kernel::ToEpochMicros(context_.Time().Now()));
    for (const auto& [contact_id, email] : invitees) {
      auto* invitee = activity.add_invitees();
      invitee->set_contact_id(contact_id);
      invitee->set_email(email);
      invitee->set_name("Vendég " + email);
    }
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    const auto id =
        activity_repository::Insert(lease.Session(), activity, "", context_.Time().Now()).first;
    activity_repository::ReplaceInvitees(lease.Session(), id, activity.invitees());
    context_.Events().Publish(lease.Session(), "crm.activity.created", id, activity,
                              kernel::Caller::Internal());
    transaction.commit();
    return id;
  }

  std::vector<std::string> Invited(std::int64_t activity_id) {
    auto lease = database_->Acquire();
    std::vector<std::string> emails;
    for (const auto& invitation : activity_repository::Invitations(lease.Session(), activity_id)) {
      emails.push_back(invitation.email);
    }
    return emails;
  }

  std::string Payload(std::int64_t activity_id) {
    for (const auto& event : context_.RecordedEvents().Published()) {
      if (event.aggregate_id == activity_id) return event.payload;
    }
    return "missing";
  }
};

TEST_F(InvitationErasureTest, AnErasedContactsInvitationsGoFromEveryActivityAndNothingElse) {
  const auto both = Meeting({{41, "ilona@kek.example"}, {0, "guest@example.com"}});
  const auto other = Meeting({{42, "denes@masik.example"}});
  ASSERT_FALSE(Payload(both).empty());

  kernel::Event erased;
  erased.topic = "partners.contact.erased";
  erased.aggregate_id = 41;
  {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    EraseInvitationsOfContact(Services(), erased, lease.Session());
    transaction.commit();
  }
  EXPECT_EQ(Invited(both), std::vector<std::string>{"guest@example.com"});
  EXPECT_EQ(Invited(other), std::vector<std::string>{"denes@masik.example"});
  EXPECT_EQ(Payload(both), "");
  EXPECT_FALSE(Payload(other).empty());
  auto lease = database_->Acquire();
  EXPECT_EQ(activity_repository::Find(lease.Session(), both, Scope::Everything(), false)->etag(),
            "2");
  EXPECT_EQ(activity_repository::Find(lease.Session(), other, Scope::Everything(), false)->etag(),
            "1");

  // By address, in any case: the guest's invitation goes too.
  EXPECT_EQ(EraseInvitations(Services(), lease.Session(), "{}", R"(["GUEST@example.com"])"),
            std::vector<std::int64_t>{both});
  EXPECT_TRUE(Invited(both).empty());
  EXPECT_EQ(Invited(other), std::vector<std::string>{"denes@masik.example"});
}

}  // namespace
}  // namespace karton::crm
