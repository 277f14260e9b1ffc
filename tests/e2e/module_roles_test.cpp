// Roles declared by modules (KartonModuleRole): the notes fixture declares
// "note_keeper". Users are given it through IdentityService, it opens the
// methods that name it, it makes its holder staff, and kartond refuses the
// roles it cannot give: unknown ones, ones beside external_partner, and
// modules that claim the kernel's roles or each other's.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/notes/v1/notes_service.grpc.pb.h"
#include "kartond_fixture.h"

namespace karton::testing {
namespace {

using kernel::v1::IdentityService;

class ModuleRolesTest : public RunningKartondTest {
 protected:
  void SetUp() override {
    RunningKartondTest::SetUp();
    if (HasFatalFailure()) return;
    identity_ = IdentityService::NewStub(channel_);
    notes_ = notes::v1::NotesService::NewStub(channel_);
  }

  grpc::Status CreateUser(const std::string& email, std::vector<kernel::v1::Role> roles,
                          std::vector<std::string> module_roles, kernel::v1::User& user) {
    kernel::v1::CreateUserRequest create;
    create.mutable_user()->set_name(email);
    create.mutable_user()->set_email(email);
    for (auto role : roles) create.mutable_user()->add_roles(role);
    for (const auto& role : module_roles) create.mutable_user()->add_module_roles(role);
    return identity_->CreateUser(As(admin_token_).get(), create, &user);
  }

  std::string TokenFor(std::int64_t user_id) {
    kernel::v1::CreateApiTokenRequest request;
    request.set_user_id(user_id);
    request.set_display_name("test");
    kernel::v1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity_->CreateApiToken(As(admin_token_).get(), request, &token).ok());
    return token.token();
  }

  static std::string ViolatedField(const grpc::Status& status) {
    return status.error_message().substr(0, status.error_message().find(':'));
  }

  std::unique_ptr<IdentityService::Stub> identity_;
  std::unique_ptr<notes::v1::NotesService::Stub> notes_;
};

TEST_F(ModuleRolesTest, ListModulesShowsTheRolesEachModuleDeclares) {
  kernel::v1::ListModulesResponse response;
  ASSERT_TRUE(kernel::v1::KernelService::NewStub(channel_)
                  ->ListModules(As(admin_token_).get(), {}, &response)
                  .ok());
  const auto notes = std::find_if(response.modules().begin(), response.modules().end(),
                                  [](const auto& module) { return module.name() == "notes"; });
  ASSERT_NE(notes, response.modules().end());
  ASSERT_EQ(notes->roles_size(), 1);
  EXPECT_EQ(notes->roles(0).name(), "note_keeper");
  EXPECT_EQ(notes->roles(0).description(), "Keeps the notes: creates and shares them");
}

TEST_F(ModuleRolesTest, AModuleRoleOpensTheMethodsThatNameItAndMakesItsHolderStaff) {
  kernel::v1::User keeper;
  ASSERT_TRUE(CreateUser("keeper@ceg.example", {}, {"note_keeper"}, keeper).ok());
  EXPECT_EQ(keeper.roles_size(), 0);
  ASSERT_EQ(keeper.module_roles_size(), 1);
  EXPECT_EQ(keeper.module_roles(0), "note_keeper");
  const std::string token = TokenFor(keeper.id());

  notes::v1::CreateNoteRequest create;
  create.mutable_note()->set_text("A note_keeper's note");
  notes::v1::Note note;
  const auto created = notes_->CreateNote(As(token).get(), create, &note);
  ASSERT_TRUE(created.ok()) << created.error_message();
  // Staff see every note (an external partner would see only shared ones).
  notes::v1::ListNotesResponse listed;
  ASSERT_TRUE(notes_->ListNotes(As(token).get(), {}, &listed).ok());
  EXPECT_EQ(listed.notes_size(), 1);

  // A user without it may not write notes.
  kernel::v1::User accountant;
  ASSERT_TRUE(CreateUser("konyv@ceg.example", {kernel::v1::ROLE_ACCOUNTING}, {}, accountant).ok());
  EXPECT_EQ(notes_->CreateNote(As(TokenFor(accountant.id())).get(), create, &note).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ModuleRolesTest, RolesNoLoadedModuleDeclaresAndRolesBesideExternalPartnerAreRefused) {
  kernel::v1::User user;
  const auto unknown = CreateUser("astronaut@ceg.example", {}, {"astronaut"}, user);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(unknown), "user.module_roles");
  const auto mixed = CreateUser("partner@kulso.example", {kernel::v1::ROLE_EXTERNAL_PARTNER},
                                {"note_keeper"}, user);
  EXPECT_EQ(mixed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(mixed), "user.roles");
  const auto none = CreateUser("nobody@ceg.example", {}, {}, user);
  EXPECT_EQ(ViolatedField(none), "user.roles");
}

TEST_F(ModuleRolesTest, UpdatingOneKindOfRolesKeepsTheOther) {
  kernel::v1::User user;
  ASSERT_TRUE(CreateUser("both@ceg.example", {kernel::v1::ROLE_SALES}, {"note_keeper"}, user).ok());

  kernel::v1::UpdateUserRequest update;
  update.mutable_user()->set_id(user.id());
  update.mutable_user()->set_etag(user.etag());
  update.mutable_user()->add_roles(kernel::v1::ROLE_SUPPORT);
  update.mutable_update_mask()->add_paths("roles");
  kernel::v1::User updated;
  ASSERT_TRUE(identity_->UpdateUser(As(admin_token_).get(), update, &updated).ok());
  ASSERT_EQ(updated.roles_size(), 1);
  EXPECT_EQ(updated.roles(0), kernel::v1::ROLE_SUPPORT);
  ASSERT_EQ(updated.module_roles_size(), 1);
  EXPECT_EQ(updated.module_roles(0), "note_keeper");

  // Clearing the module roles leaves support.
  kernel::v1::UpdateUserRequest clear;
  clear.mutable_user()->set_id(user.id());
  clear.mutable_user()->set_etag(updated.etag());
  clear.mutable_update_mask()->add_paths("module_roles");
  kernel::v1::User cleared;
  ASSERT_TRUE(identity_->UpdateUser(As(admin_token_).get(), clear, &cleared).ok());
  EXPECT_EQ(cleared.roles_size(), 1);
  EXPECT_EQ(cleared.module_roles_size(), 0);
}

// A role of a module this kartond does not load grants nothing: its holder
// is not staff, so ListNotes (open to anyone signed in) shows them only
// what is shared with them.
TEST_F(ModuleRolesTest, ARoleOfAModuleNotLoadedGrantsNothing) {
  notes::v1::CreateNoteRequest create;
  create.mutable_note()->set_text("Not for outsiders");
  notes::v1::Note note;
  ASSERT_TRUE(notes_->CreateNote(As(admin_token_).get(), create, &note).ok());
  kernel::v1::User user;
  ASSERT_TRUE(CreateUser("gone@ceg.example", {}, {"note_keeper"}, user).ok());
  QueryScalar(conninfo_, "UPDATE kernel.user_account SET roles = '{warehouse}' WHERE id = " +
                             std::to_string(user.id()) + " RETURNING id");
  const std::string token = TokenFor(user.id());
  notes::v1::ListNotesResponse listed;
  ASSERT_TRUE(notes_->ListNotes(As(token).get(), {}, &listed).ok());
  EXPECT_EQ(listed.notes_size(), 0);
  EXPECT_EQ(notes_->CreateNote(As(token).get(), create, &note).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace karton::testing
