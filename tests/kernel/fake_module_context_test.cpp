// FakeModuleContext refuses what the kernel refuses: its audit trail and
// event bus throw NoCallerError for a write by nobody, as the kernel's do
// (kernel::ActorUserId), so a module's test cannot pass while the module
// writes with no caller. kartond itself and users are recorded.
#include "karton/kernel/testing/fake_module_context.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <vector>

#include "karton/kernel/access.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::kernel {
namespace {

Caller User(std::int64_t id) {
  Caller caller;
  caller.user_id = id;
  caller.roles = {"sales"};
  return caller;
}

TEST(FakeModuleContext, TheAuditTrailRefusesNobodyAsTheKernelsDoes) {
  testing::FakeModuleContext context("partners");
  soci::session session;  // the fake records in memory; it never uses it
  const std::vector<FieldChange> changes{FieldChange::Created("display_name", "Kovács Kft.")};
  EXPECT_THROW(context.Audit().Record(session, Caller{}, AuditAction::kCreate, "partners.partner",
                                      1, changes),
               NoCallerError);
  // Refused before anything else, as the kernel's: even an update that
  // changed nothing, and a batch of none.
  EXPECT_THROW(
      context.Audit().Record(session, Caller{}, AuditAction::kUpdate, "partners.partner", 1, {}),
      NoCallerError);
  EXPECT_THROW(context.Audit().RecordMany(session, Caller{}, AuditAction::kCreate,
                                          "partners.partner", {{1, changes}}),
               NoCallerError);
  EXPECT_THROW(
      context.Audit().RecordMany(session, Caller{}, AuditAction::kCreate, "partners.partner", {}),
      NoCallerError);
  EXPECT_TRUE(context.RecordedAudit().Recorded().empty());

  context.Audit().Record(session, User(7), AuditAction::kCreate, "partners.partner", 1, changes);
  context.Audit().RecordMany(session, Caller::Internal(), AuditAction::kCreate, "partners.partner",
                             {{2, changes}});
  const auto recorded = context.RecordedAudit().Recorded();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded.at(0).actor.user_id, 7);
  EXPECT_TRUE(recorded.at(1).actor.IsInternal());
}

TEST(FakeModuleContext, TheEventBusRefusesNobodyAsTheKernelsDoes) {
  testing::FakeModuleContext context("partners");
  context.Events().DeclareTopic<partners::v1::Partner>("partners.partner.created");
  soci::session session;
  partners::v1::Partner partner;
  partner.set_display_name("Kovács Kft.");
  EXPECT_THROW(context.Events().Publish(session, "partners.partner.created", 1, partner, Caller{}),
               NoCallerError);
  EXPECT_THROW(
      context.Events().PublishMany(session, "partners.partner.created", {{1, &partner}}, Caller{}),
      NoCallerError);
  EXPECT_THROW(context.Events().PublishMany(session, "partners.partner.created", {}, Caller{}),
               NoCallerError);
  EXPECT_TRUE(context.RecordedEvents().Published().empty());

  context.Events().Publish(session, "partners.partner.created", 1, partner, User(7));
  context.Events().PublishMany(session, "partners.partner.created", {{2, &partner}},
                               Caller::Internal());
  const auto published = context.RecordedEvents().Published();
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published.at(0).actor.user_id, 7);
  EXPECT_TRUE(published.at(1).actor.IsInternal());
}

}  // namespace
}  // namespace karton::kernel
