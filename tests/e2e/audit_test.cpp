// The audit trail end to end: kernel and module writes, field-level values,
// actors, filters, and nothing recorded for what did not commit.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "karton/kernel/v1/audit_service.grpc.pb.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/notes/v1/notes_service.grpc.pb.h"
#include "kartond_fixture.h"

namespace karton::testing {
namespace {

using google::protobuf::util::TimeUtil;
using kernel::v1::AuditService;
using kernel::v1::IdentityService;

class AuditTest : public RunningKartondTest {
 protected:
  kernel::v1::ListAuditEntriesResponse List(const kernel::v1::ListAuditEntriesRequest& request) {
    kernel::v1::ListAuditEntriesResponse response;
    const grpc::Status status = AuditService::NewStub(channel_)->ListAuditEntries(
        As(admin_token_).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

TEST_F(AuditTest, RecordsWhoChangedWhatWithOldAndNewValues) {
  auto identity = IdentityService::NewStub(channel_);
  kernel::v1::CreateUserRequest create;
  create.mutable_user()->set_name("Szabó Péter");
  create.mutable_user()->set_email("peter@example.com");
  create.mutable_user()->add_roles(kernel::v1::ROLE_SALES);
  kernel::v1::User user;
  ASSERT_TRUE(identity->CreateUser(As(admin_token_).get(), create, &user).ok());
  kernel::v1::UpdateUserRequest update;
  *update.mutable_user() = user;
  update.mutable_user()->set_name("Szabó Péter Pál");
  update.mutable_update_mask()->add_paths("name");
  kernel::v1::User updated;
  ASSERT_TRUE(identity->UpdateUser(As(admin_token_).get(), update, &updated).ok());
  // A stale update commits nothing, so it records nothing.
  update.mutable_user()->set_name("Never");
  ASSERT_FALSE(identity->UpdateUser(As(admin_token_).get(), update, &updated).ok());

  kernel::v1::ListAuditEntriesRequest request;
  request.set_resource_type("kernel.user");
  request.set_resource_id(user.id());
  const auto listed = List(request);
  ASSERT_EQ(listed.audit_entries_size(), 2);
  const auto& change = listed.audit_entries(0);  // newest first
  EXPECT_EQ(change.action(), kernel::v1::AUDIT_ACTION_UPDATE);
  EXPECT_EQ(change.actor_user_id(), 1);  // the admin
  ASSERT_EQ(change.changes_size(), 1);   // only the field that changed
  EXPECT_EQ(change.changes(0).field(), "name");
  EXPECT_EQ(change.changes(0).old_value(), "\"Szabó Péter\"");
  EXPECT_EQ(change.changes(0).new_value(), "\"Szabó Péter Pál\"");
  const auto& creation = listed.audit_entries(1);
  EXPECT_EQ(creation.action(), kernel::v1::AUDIT_ACTION_CREATE);
  ASSERT_EQ(creation.changes_size(), 4);
  EXPECT_FALSE(creation.changes(0).has_old_value());
  EXPECT_EQ(creation.changes(2).field(), "roles");
  EXPECT_EQ(creation.changes(2).new_value(), "[\"sales\"]");
}

TEST_F(AuditTest, ModulesAuditThroughTheKernelAndSecretsStayOut) {
  auto identity = IdentityService::NewStub(channel_);
  kernel::v1::CreateUserRequest create;
  create.mutable_user()->set_name("Seller");
  create.mutable_user()->set_email("seller@example.com");
  create.mutable_user()->add_roles(kernel::v1::ROLE_SALES);
  kernel::v1::User seller;
  ASSERT_TRUE(identity->CreateUser(As(admin_token_).get(), create, &seller).ok());
  kernel::v1::CreateApiTokenRequest token_request;
  token_request.set_user_id(seller.id());
  kernel::v1::CreateApiTokenResponse token;
  ASSERT_TRUE(identity->CreateApiToken(As(admin_token_).get(), token_request, &token).ok());

  const auto before = TimeUtil::GetCurrentTime();
  auto notes = notes::v1::NotesService::NewStub(channel_);
  notes::v1::CreateNoteRequest note_request;
  note_request.mutable_note()->set_text("Ajánlat a Tisza Kft.-nek");
  notes::v1::Note note;
  ASSERT_TRUE(notes->CreateNote(As(token.token()).get(), note_request, &note).ok());

  kernel::v1::ListAuditEntriesRequest by_actor;
  by_actor.set_actor_user_id(seller.id());
  *by_actor.mutable_start_time() = before;
  const auto listed = List(by_actor);
  ASSERT_EQ(listed.audit_entries_size(), 1);
  EXPECT_EQ(listed.audit_entries(0).resource_type(), "notes.note");
  EXPECT_EQ(listed.audit_entries(0).resource_id(), note.id());
  EXPECT_EQ(listed.audit_entries(0).changes(0).new_value(), "\"Ajánlat a Tisza Kft.-nek\"");

  // The token's secret appears nowhere in the trail.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.audit_entry WHERE changes::text "
                        "LIKE '%" +
                            token.token().substr(12) + "%'"),
            "0");
  // Only admin and accounting read the trail.
  kernel::v1::ListAuditEntriesResponse denied;
  EXPECT_EQ(AuditService::NewStub(channel_)
                ->ListAuditEntries(As(token.token()).get(), {}, &denied)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuditTest, PagesNewestFirst) {
  auto notes = notes::v1::NotesService::NewStub(channel_);
  for (int i = 0; i < 5; ++i) {
    notes::v1::CreateNoteRequest request;
    request.mutable_note()->set_text("note " + std::to_string(i));
    notes::v1::Note note;
    ASSERT_TRUE(notes->CreateNote(As(admin_token_).get(), request, &note).ok());
  }
  kernel::v1::ListAuditEntriesRequest request;
  request.set_resource_type("notes.note");
  request.set_page_size(2);
  std::vector<std::int64_t> ids;
  for (int page = 0; page < 5; ++page) {
    const auto listed = List(request);
    for (const auto& entry : listed.audit_entries()) ids.push_back(entry.resource_id());
    if (listed.next_page_token().empty()) break;
    request.set_page_token(listed.next_page_token());
  }
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
}

}  // namespace
}  // namespace karton::testing
