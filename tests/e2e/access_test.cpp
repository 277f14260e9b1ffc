// Identity and access end to end: tokens, roles, record sharing, and the
// IdentityService itself, against the real kartond.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/notes/v1/notes_service.grpc.pb.h"
#include "kartond_fixture.h"

namespace karton::testing {
namespace {

using kernel::v1::IdentityService;
using kernel::v1::KernelService;
using notes::v1::NotesService;
using notes::v1::NoteStatsService;

class AccessTest : public RunningKartondTest {
 protected:
  void SetUp() override {
    RunningKartondTest::SetUp();
    if (HasFatalFailure()) return;
    identity_ = IdentityService::NewStub(channel_);
  }

  // Creates a user with `roles` and returns {user id, a token for them}.
  std::pair<std::int64_t, std::string> NewUser(const std::string& email,
                                               std::vector<kernel::v1::Role> roles,
                                               int ttl_seconds = 0) {
    kernel::v1::CreateUserRequest create;
    create.mutable_user()->set_name(email);
    create.mutable_user()->set_email(email);
    for (auto role : roles) create.mutable_user()->add_roles(role);
    kernel::v1::User user;
    EXPECT_TRUE(identity_->CreateUser(As(admin_token_).get(), create, &user).ok());
    kernel::v1::CreateApiTokenRequest token_request;
    token_request.set_user_id(user.id());
    token_request.set_display_name("test");
    if (ttl_seconds > 0) token_request.mutable_ttl()->set_seconds(ttl_seconds);
    kernel::v1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity_->CreateApiToken(As(admin_token_).get(), token_request, &token).ok());
    return {user.id(), token.token()};
  }

  grpc::Status ListModules(const std::string& token) {
    kernel::v1::ListModulesResponse response;
    return KernelService::NewStub(channel_)->ListModules(As(token).get(), {}, &response);
  }

  std::unique_ptr<IdentityService::Stub> identity_;
};

TEST_F(AccessTest, FirstStartWritesAnAdminTokenOnlyIntoAPrivateFile) {
  ASSERT_FALSE(admin_token_.empty());
  EXPECT_EQ(admin_token_.rfind("karton_", 0), 0u);
  struct stat info {};
  ASSERT_EQ(::stat((data_dir_.Path() / "admin.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_TRUE(kartond_->LogShows("its API token is in"));
  EXPECT_EQ(kartond_->Stderr().find(admin_token_), std::string::npos) << "token leaked into logs";
  EXPECT_NE(kartond_->Stdout().find("admin token: " + (data_dir_.Path() / "admin.token").string()),
            std::string::npos);
  // Stored hashed: the secret itself is nowhere in the database.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.api_token WHERE "
                        "position('" +
                            admin_token_ + "' in secret_hash::text) > 0"),
            "0");
}

TEST_F(AccessTest, MissingBadRevokedAndExpiredTokensAreUnauthenticated) {
  const grpc::Status missing = ListModules("");
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(missing.error_message().find("authorization"), std::string::npos);

  const grpc::Status bad = ListModules("karton_not-a-real-token");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(bad.error_message(), "unknown API token");

  auto [user_id, token] = NewUser("revoked@example.com", {kernel::v1::ROLE_SALES});
  EXPECT_TRUE(ListModules(token).ok());
  kernel::v1::WhoAmIResponse me;
  ASSERT_TRUE(identity_->WhoAmI(As(token).get(), {}, &me).ok());
  EXPECT_EQ(me.user().id(), user_id);
  kernel::v1::RevokeApiTokenRequest revoke;
  revoke.set_id(me.api_token_id());
  kernel::v1::ApiToken revoked;
  ASSERT_TRUE(identity_->RevokeApiToken(As(token).get(), revoke, &revoked).ok());
  EXPECT_TRUE(revoked.has_revoke_time());
  const grpc::Status after_revoke = ListModules(token);
  EXPECT_EQ(after_revoke.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(after_revoke.error_message(), "the API token was revoked");

  auto [short_lived_id, short_lived] = NewUser("brief@example.com", {kernel::v1::ROLE_SALES}, 1);
  EXPECT_TRUE(ListModules(short_lived).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const grpc::Status expired = ListModules(short_lived);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(expired.error_message(), "the API token has expired");
}

TEST_F(AccessTest, DisabledUsersTokensStopWorking) {
  auto [user_id, token] = NewUser("leaver@example.com", {kernel::v1::ROLE_SUPPORT});
  kernel::v1::User user;
  kernel::v1::GetUserRequest get;
  get.set_id(user_id);
  ASSERT_TRUE(identity_->GetUser(As(admin_token_).get(), get, &user).ok());
  kernel::v1::UpdateUserRequest update;
  *update.mutable_user() = user;
  update.mutable_user()->set_disabled(true);
  update.mutable_update_mask()->add_paths("disabled");
  kernel::v1::User updated;
  ASSERT_TRUE(identity_->UpdateUser(As(admin_token_).get(), update, &updated).ok());
  EXPECT_TRUE(updated.disabled());
  EXPECT_EQ(ListModules(token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// Security review: a short-lived token could mint a permanent one.
TEST_F(AccessTest, ATokenCannotOutliveTheTokenThatMadeIt) {
  auto [user_id, brief] = NewUser("brief@example.com", {kernel::v1::ROLE_SALES}, 60);
  kernel::v1::CreateApiTokenRequest request;
  request.set_display_name("child");
  kernel::v1::CreateApiTokenResponse child;
  ASSERT_TRUE(identity_->CreateApiToken(As(brief).get(), request, &child).ok());
  ASSERT_TRUE(child.api_token().has_expire_time()) << "inherits its parent's expiry";
  kernel::v1::WhoAmIResponse me;
  ASSERT_TRUE(identity_->WhoAmI(As(brief).get(), {}, &me).ok());
  const std::string parent_expiry = QueryScalar(
      conninfo_,
      "SELECT extract(epoch FROM expire_time)::bigint FROM kernel.api_token WHERE id = " +
          std::to_string(me.api_token_id()));
  EXPECT_LE(child.api_token().expire_time().seconds(), std::stoll(parent_expiry));

  request.mutable_ttl()->set_seconds(3600);
  const grpc::Status longer = identity_->CreateApiToken(As(brief).get(), request, &child);
  EXPECT_EQ(longer.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(longer).at(0).field, "ttl");
  request.mutable_ttl()->set_seconds(30);
  EXPECT_TRUE(identity_->CreateApiToken(As(brief).get(), request, &child).ok());
  // A token without expiry (the admin's) gives any.
  request.set_user_id(user_id);
  request.mutable_ttl()->set_seconds(86400 * 365);
  EXPECT_TRUE(identity_->CreateApiToken(As(admin_token_).get(), request, &child).ok());
}

TEST_F(AccessTest, AnExternalPartnerIsNeverAlsoStaff) {
  kernel::v1::CreateUserRequest create;
  create.mutable_user()->set_name("Both");
  create.mutable_user()->set_email("both@example.com");
  create.mutable_user()->add_roles(kernel::v1::ROLE_EXTERNAL_PARTNER);
  create.mutable_user()->add_roles(kernel::v1::ROLE_SALES);
  kernel::v1::User user;
  const grpc::Status refused = identity_->CreateUser(As(admin_token_).get(), create, &user);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(),
            "user.roles: external_partner cannot be combined with other roles");
}

TEST_F(AccessTest, RolesDecideWhichMethodsAUserMayCall) {
  auto [accountant_id, accountant] = NewUser("books@example.com", {kernel::v1::ROLE_ACCOUNTING});
  auto [seller_id, seller] = NewUser("sells@example.com", {kernel::v1::ROLE_SALES});
  auto notes = NotesService::NewStub(channel_);
  notes::v1::CreateNoteRequest request;
  request.mutable_note()->set_text("Visit Debrecen");
  notes::v1::Note note;
  const grpc::Status denied = notes->CreateNote(As(accountant).get(), request, &note);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(denied.error_message().find(
                "/karton.notes.v1.NotesService/CreateNote may be called by "
                "the roles sales, sales_manager, note_keeper; this user has accounting"),
            std::string::npos)
      << denied.error_message();
  EXPECT_TRUE(notes->CreateNote(As(seller).get(), request, &note).ok());
  // Nothing was written by the refused call.
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM notes.note"), "1");

  kernel::v1::CreateUserRequest create;
  create.mutable_user()->set_name("x");
  create.mutable_user()->set_email("x@example.com");
  create.mutable_user()->add_roles(kernel::v1::ROLE_ADMIN);
  kernel::v1::User user;
  EXPECT_EQ(identity_->CreateUser(As(seller).get(), create, &user).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A role change applies to the very next call, though the token was just
  // verified (and is remembered for a few seconds).
  kernel::v1::User accountant_user;
  kernel::v1::GetUserRequest get;
  get.set_id(accountant_id);
  ASSERT_TRUE(identity_->GetUser(As(admin_token_).get(), get, &accountant_user).ok());
  kernel::v1::UpdateUserRequest update;
  *update.mutable_user() = accountant_user;
  update.mutable_user()->add_roles(kernel::v1::ROLE_SALES);
  update.mutable_update_mask()->add_paths("roles");
  kernel::v1::User updated;
  ASSERT_TRUE(identity_->UpdateUser(As(admin_token_).get(), update, &updated).ok());
  EXPECT_TRUE(notes->CreateNote(As(accountant).get(), request, &note).ok());
  update.mutable_user()->clear_roles();
  update.mutable_user()->add_roles(kernel::v1::ROLE_ACCOUNTING);
  update.mutable_user()->set_etag(updated.etag());
  ASSERT_TRUE(identity_->UpdateUser(As(admin_token_).get(), update, &updated).ok());
  EXPECT_EQ(notes->CreateNote(As(accountant).get(), request, &note).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessTest, ExternalPartnersSeeOnlyWhatIsSharedWithThem) {
  auto [partner_id, partner] = NewUser("reseller@example.com", {kernel::v1::ROLE_EXTERNAL_PARTNER});
  auto notes = NotesService::NewStub(channel_);
  std::vector<std::int64_t> ids;
  for (const char* text : {"internal pricing", "joint offer for Győr", "internal margin"}) {
    notes::v1::CreateNoteRequest request;
    request.mutable_note()->set_text(text);
    notes::v1::Note note;
    ASSERT_TRUE(notes->CreateNote(As(admin_token_).get(), request, &note).ok());
    ids.push_back(note.id());
  }
  notes::v1::ShareNoteRequest share;
  share.set_note_id(ids[1]);
  share.set_user_id(partner_id);
  notes::v1::ShareNoteResponse shared;
  ASSERT_TRUE(notes->ShareNote(As(admin_token_).get(), share, &shared).ok());

  notes::v1::ListNotesResponse seen;
  ASSERT_TRUE(notes->ListNotes(As(partner).get(), {}, &seen).ok());
  ASSERT_EQ(seen.notes_size(), 1);
  EXPECT_EQ(seen.notes(0).text(), "joint offer for Győr");

  // Through another module, the caller is forwarded: the same view.
  auto stats = NoteStatsService::NewStub(channel_);
  notes::v1::CountNotesResponse counted;
  ASSERT_TRUE(stats->CountNotes(As(partner).get(), {}, &counted).ok());
  EXPECT_EQ(counted.count(), 1);
  ASSERT_TRUE(stats->CountNotes(As(admin_token_).get(), {}, &counted).ok());
  EXPECT_EQ(counted.count(), 3);

  // Staff-only methods are closed to partners.
  kernel::v1::ListUsersResponse users;
  EXPECT_EQ(identity_->ListUsers(As(partner).get(), {}, &users).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessTest, HealthNeedsNoTokenAndTheInternalCallerHeaderCannotBeSpoofed) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(health->Check(As("").get(), {}, &response).ok());

  auto context = As(admin_token_);
  context->AddMetadata("karton-caller", "1;admin;");
  kernel::v1::ListModulesResponse modules;
  const grpc::Status spoofed =
      KernelService::NewStub(channel_)->ListModules(context.get(), {}, &modules);
  EXPECT_EQ(spoofed.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccessTest, UserWritesAreValidatedIdempotentAndOptimistic) {
  kernel::v1::CreateUserRequest create;
  create.mutable_user()->set_name("Kovács Anna");
  create.mutable_user()->set_email("not-an-email");
  create.mutable_user()->add_roles(kernel::v1::ROLE_SALES);
  kernel::v1::User user;
  const grpc::Status invalid = identity_->CreateUser(As(admin_token_).get(), create, &user);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(invalid.error_message(), "user.email: 'not-an-email' is not an email address");
  // The field also travels as standard google.rpc.BadRequest details.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(invalid.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "user.email");
  EXPECT_EQ(bad_request.field_violations(0).description(),
            "'not-an-email' is not an email address");

  create.mutable_user()->set_email("anna@example.com");
  create.set_request_id("import-17");
  ASSERT_TRUE(identity_->CreateUser(As(admin_token_).get(), create, &user).ok());
  kernel::v1::User again;
  ASSERT_TRUE(identity_->CreateUser(As(admin_token_).get(), create, &again).ok());
  EXPECT_EQ(again.id(), user.id());

  create.clear_request_id();
  create.mutable_user()->set_email("ANNA@example.com");
  EXPECT_EQ(identity_->CreateUser(As(admin_token_).get(), create, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  kernel::v1::UpdateUserRequest update;
  *update.mutable_user() = user;
  update.mutable_user()->set_name("Kovács Anna Mária");
  update.mutable_update_mask()->add_paths("name");
  kernel::v1::User updated;
  ASSERT_TRUE(identity_->UpdateUser(As(admin_token_).get(), update, &updated).ok());
  EXPECT_EQ(updated.name(), "Kovács Anna Mária");
  EXPECT_NE(updated.etag(), user.etag());
  // The same (now stale) etag again: refused, nothing changed.
  update.mutable_user()->set_name("Someone Else");
  const grpc::Status stale = identity_->UpdateUser(As(admin_token_).get(), update, &updated);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT name FROM kernel.user_account WHERE email = "
                        "'anna@example.com'"),
            "Kovács Anna Mária");
}

TEST_F(AccessTest, UsersPageAndTeamsShowInWhoAmI) {
  for (int i = 0; i < 4; ++i)
    NewUser("user" + std::to_string(i) + "@example.com", {kernel::v1::ROLE_SALES});
  kernel::v1::ListUsersRequest list;
  list.set_page_size(2);
  std::vector<std::int64_t> ids;
  for (int page = 0; page < 5; ++page) {
    kernel::v1::ListUsersResponse response;
    ASSERT_TRUE(identity_->ListUsers(As(admin_token_).get(), list, &response).ok());
    for (const auto& user : response.users()) ids.push_back(user.id());
    if (response.next_page_token().empty()) break;
    list.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(ids.size(), 5u);  // the admin and four more, each once
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  list.set_page_token("garbage");
  kernel::v1::ListUsersResponse response;
  EXPECT_EQ(identity_->ListUsers(As(admin_token_).get(), list, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  auto [member_id, member] = NewUser("member@example.com", {kernel::v1::ROLE_SUPPORT});
  kernel::v1::CreateTeamRequest create_team;
  create_team.mutable_team()->set_name("Support Szeged");
  kernel::v1::Team team;
  ASSERT_TRUE(identity_->CreateTeam(As(admin_token_).get(), create_team, &team).ok());
  kernel::v1::AddTeamMemberRequest add;
  add.set_team_id(team.id());
  add.set_user_id(member_id);
  ASSERT_TRUE(identity_->AddTeamMember(As(admin_token_).get(), add, &team).ok());
  EXPECT_EQ(team.member_user_ids_size(), 1);
  kernel::v1::WhoAmIResponse me;
  ASSERT_TRUE(identity_->WhoAmI(As(member).get(), {}, &me).ok());
  ASSERT_EQ(me.user().team_ids_size(), 1);
  EXPECT_EQ(me.user().team_ids(0), team.id());
  add.set_user_id(999999);
  EXPECT_EQ(identity_->AddTeamMember(As(admin_token_).get(), add, &team).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AccessTest, EachUserHasACallBudgetByRoleOnGrpcAndOnTheGateway) {
  auto [partner_id, partner] = NewUser("reseller@example.com", {kernel::v1::ROLE_EXTERNAL_PARTNER});
  auto [support_id, support] = NewUser("support@example.com", {kernel::v1::ROLE_SUPPORT});
  kartond_.reset();
  kartond_ = std::make_unique<KartondProcess>(
      std::vector<std::string>{"--database-url", conninfo_, "--data-dir", data_dir_.Path().string(),
                               "--modules-dir", TestModulesDirectory("good").string(),
                               "--calls-per-minute", "external_partner=3, support=0"});
  ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
  channel_ = grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials());
  auto notes = NotesService::NewStub(channel_);

  std::vector<grpc::Status> answers;
  for (int i = 0; i < 5; ++i) {
    notes::v1::ListNotesResponse seen;
    answers.push_back(notes->ListNotes(As(partner).get(), {}, &seen));
  }
  // A minute's worth at once, then no more.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(answers[i].ok()) << i << answers[i].error_message();
  // The first refusal says how long to wait, in the message and as
  // google.rpc.RetryInfo in the details.
  const grpc::Status& limited = answers[3];
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(limited.error_message().find("more than 3 calls a minute from this user; retry in"),
            std::string::npos)
      << limited.error_message();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(limited.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(0).UnpackTo(&retry)) << details.details(0).type_url();
  EXPECT_GT(retry.retry_delay().seconds(), 0);
  EXPECT_LE(retry.retry_delay().seconds(), 20) << "one call's worth at 3 a minute";
  // Calling again before the delay has passed is refused at the door.
  EXPECT_EQ(answers[4].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(answers[4].error_message().find("retry in"), std::string::npos)
      << answers[4].error_message();
  // Each user has their own budget, and 0 is no limit.
  for (int i = 0; i < 20; ++i) {
    notes::v1::ListNotesResponse seen;
    ASSERT_TRUE(notes->ListNotes(As(support).get(), {}, &seen).ok()) << i;
  }
  // The gateway spends the same budget: 429 in JSON.
  std::string body;
  EXPECT_EQ(HttpCall(kartond_->HttpAddress(), "POST", "/api/karton.notes.v1.NotesService/ListNotes",
                     {{"Authorization", "Bearer " + partner}, {"Content-Type", "application/json"}},
                     "{}", body),
            429)
      << body;
  EXPECT_NE(body.find("\"code\":\"resource_exhausted\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"type\":\"google.rpc.RetryInfo\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"retryDelay\":\""), std::string::npos) << body;
}

}  // namespace
}  // namespace karton::testing
