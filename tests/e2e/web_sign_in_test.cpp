// Sign-in for people (kernel/src/web_sessions.h): email and password give a
// session cookie and a CSRF token; with both, the JSON gateway speaks
// Connect (JSON and binary) as that user, with the user's roles; sign-out,
// revocation and disabling end the session; refused attempts are recorded
// and, past the limit, refused unchecked.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "kartond_fixture.h"

namespace karton::testing {
namespace {

namespace kv1 = karton::kernel::v1;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kPassword = "jelszó-Tavasz-2026";

class WebSignInTest : public RunningKartondTest {
 protected:
  void SetUp() override {
    RunningKartondTest::SetUp();
    identity_ = kv1::IdentityService::NewStub(channel_);
    seller_id_ = CreateUser("Kiss Réka", "reka@example.com", kv1::ROLE_SALES);
    accountant_id_ = CreateUser("Szabó Ödön", "odon@example.com", kv1::ROLE_ACCOUNTING);
  }

  std::int64_t CreateUser(const std::string& name, const std::string& email, kv1::Role role) {
    kv1::CreateUserRequest create;
    create.mutable_user()->set_name(name);
    create.mutable_user()->set_email(email);
    create.mutable_user()->add_roles(role);
    create.set_password(kPassword);
    kv1::User user;
    const auto status = identity_->CreateUser(As(admin_token_).get(), create, &user);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return user.id();
  }

  HttpAnswer SignIn(const std::string& email, const std::string& password) {
    boost::json::object body{{"email", email}, {"password", password}};
    return HttpExchange(kartond_->HttpAddress(), "POST", "/auth/sign-in",
                        {{"Content-Type", "application/json"}, {"User-Agent", "Firefox/140 test"}},
                        boost::json::serialize(body));
  }

  // The cookie's "name=value" from a Set-Cookie header.
  static std::string CookieOf(const HttpAnswer& answer) {
    const std::string& set_cookie = answer.headers.at("set-cookie");
    return set_cookie.substr(0, set_cookie.find(';'));
  }

  struct Session {
    std::string cookie;  // "karton_session=..."
    std::string csrf;
    std::int64_t id = 0;
  };
  Session SignedIn(const std::string& email) {
    const HttpAnswer answer = SignIn(email, kPassword);
    EXPECT_EQ(answer.status, 200) << answer.body;
    const auto parsed = boost::json::parse(answer.body).as_object();
    return {CookieOf(answer), std::string(parsed.at("csrfToken").as_string()),
            std::stoll(std::string(parsed.at("sessionId").as_string()))};
  }

  // A Connect unary call with the session's cookie and CSRF token.
  HttpAnswer Call(const std::string& method_path, const std::string& json, const Session& session,
                  bool with_csrf = true) {
    Headers headers = {{"Content-Type", "application/json"},
                       {"Connect-Protocol-Version", "1"},
                       {"Cookie", "theme=dark; " + session.cookie}};
    if (with_csrf) headers.emplace_back("X-CSRF-Token", session.csrf);
    return HttpExchange(kartond_->HttpAddress(), "POST", "/api/" + method_path, headers, json);
  }

  std::unique_ptr<kv1::IdentityService::Stub> identity_;
  std::int64_t seller_id_ = 0;
  std::int64_t accountant_id_ = 0;
};

TEST_F(WebSignInTest, SignInGivesAnHttpOnlyStrictCookieThatActsAsTheUser) {
  const HttpAnswer answer = SignIn("Reka@Example.com", kPassword);  // email case-insensitive
  ASSERT_EQ(answer.status, 200) << answer.body;
  const std::string& set_cookie = answer.headers.at("set-cookie");
  EXPECT_EQ(set_cookie.rfind("karton_session=karton_", 0), 0u) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Max-Age=43200"), std::string::npos) << set_cookie;
  // Plain HTTP (on loopback): Secure would make the browser drop it.
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << set_cookie;
  EXPECT_EQ(answer.headers.at("cache-control"), "no-store");
  const auto body = boost::json::parse(answer.body).as_object();
  EXPECT_EQ(body.at("userId").as_string(), std::to_string(seller_id_));
  EXPECT_EQ(body.at("name").as_string(), "Kiss Réka");
  EXPECT_EQ(body.at("roles").as_array().at(0).as_string(), "sales");
  EXPECT_FALSE(body.at("csrfToken").as_string().empty());
  EXPECT_FALSE(body.at("expireTime").as_string().empty());
  // The secret is only in the cookie, never in the body.
  EXPECT_EQ(answer.body.find(CookieOf(answer).substr(15)), std::string::npos);

  Session session{CookieOf(answer), std::string(body.at("csrfToken").as_string()), 0};
  const HttpAnswer who = Call("karton.kernel.v1.IdentityService/WhoAmI", "{}", session);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(boost::json::parse(who.body).at("user").at("email").as_string(), "reka@example.com");

  // GET /auth/session tells a reloaded page who it is and its CSRF token.
  const HttpAnswer current = HttpExchange(kartond_->HttpAddress(), "GET", "/auth/session",
                                          {{"Cookie", session.cookie}}, "");
  ASSERT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(boost::json::parse(current.body).at("csrfToken").as_string(), session.csrf);
  EXPECT_EQ(HttpExchange(kartond_->HttpAddress(), "GET", "/auth/session", {}, "").status, 401);

  // The attempt and the new session are on record, with the browser.
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT outcome || ' ' || user_id FROM kernel.sign_in_attempt"),
            "signed_in " + std::to_string(seller_id_));
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                        "'kernel.api_token' AND actor_user_id = " +
                            std::to_string(seller_id_)),
            "1");
  kv1::ListApiTokensRequest list;
  list.set_user_id(seller_id_);
  list.set_kind(kv1::API_TOKEN_KIND_WEB_SESSION);
  kv1::ListApiTokensResponse sessions;
  ASSERT_TRUE(identity_->ListApiTokens(As(admin_token_).get(), list, &sessions).ok());
  ASSERT_EQ(sessions.api_tokens_size(), 1);
  EXPECT_EQ(sessions.api_tokens(0).user_agent(), "Firefox/140 test");
  EXPECT_EQ(sessions.api_tokens(0).client_address(), "127.0.0.1");
  EXPECT_EQ(sessions.api_tokens(0).kind(), kv1::API_TOKEN_KIND_WEB_SESSION);
  EXPECT_TRUE(sessions.api_tokens(0).has_expire_time());
}

TEST_F(WebSignInTest, WritesWithTheCookieNeedTheSessionsCsrfToken) {
  const Session session = SignedIn("reka@example.com");
  const std::string create_note = R"({"note": {"text": "from the browser"}})";
  const HttpAnswer without = Call("karton.notes.v1.NotesService/CreateNote", create_note, session,
                                  /*with_csrf=*/false);
  EXPECT_EQ(without.status, 403) << without.body;
  EXPECT_NE(without.body.find("x-csrf-token"), std::string::npos) << without.body;
  Session forged = session;
  forged.csrf = std::string(session.csrf.size(), 'A');
  EXPECT_EQ(Call("karton.notes.v1.NotesService/CreateNote", create_note, forged).status, 403);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM notes.note"), "0");

  const HttpAnswer with = Call("karton.notes.v1.NotesService/CreateNote", create_note, session);
  ASSERT_EQ(with.status, 200) << with.body;
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT actor_user_id FROM kernel.audit_entry "
                        "WHERE resource_type = 'notes.note'"),
            std::to_string(seller_id_));

  // The same roles as the API: accounting may not write notes.
  const Session accountant = SignedIn("odon@example.com");
  const HttpAnswer denied =
      Call("karton.notes.v1.NotesService/CreateNote", create_note, accountant);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(boost::json::parse(denied.body).at("code").as_string(), "permission_denied");
}

TEST_F(WebSignInTest, ConnectBinaryBodiesAreAnsweredInKind) {
  const Session session = SignedIn("reka@example.com");
  kv1::WhoAmIRequest request;
  const HttpAnswer answer =
      HttpExchange(kartond_->HttpAddress(), "POST", "/api/karton.kernel.v1.IdentityService/WhoAmI",
                   {{"Content-Type", "application/proto"},
                    {"Connect-Protocol-Version", "1"},
                    {"Connect-Timeout-Ms", "15000"},
                    {"Cookie", session.cookie},
                    {"X-CSRF-Token", session.csrf}},
                   request.SerializeAsString());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.headers.at("content-type"), "application/proto");
  kv1::WhoAmIResponse who;
  ASSERT_TRUE(who.ParseFromString(answer.body));
  EXPECT_EQ(who.user().id(), seller_id_);
  EXPECT_EQ(who.api_token_id(), session.id);

  // Garbage is INVALID_ARGUMENT, answered in Connect's JSON error shape.
  const HttpAnswer garbage = HttpExchange(
      kartond_->HttpAddress(), "POST", "/api/karton.kernel.v1.IdentityService/GetUser",
      {{"Content-Type", "application/proto"}, {"Authorization", "Bearer " + admin_token_}},
      std::string("\xff\xff\xff", 3));
  EXPECT_EQ(garbage.status, 400) << garbage.body;
  EXPECT_EQ(boost::json::parse(garbage.body).at("code").as_string(), "invalid_argument");
  const HttpAnswer bad_timeout =
      HttpExchange(kartond_->HttpAddress(), "POST", "/api/karton.kernel.v1.IdentityService/WhoAmI",
                   {{"Content-Type", "application/json"},
                    {"Connect-Timeout-Ms", "soon"},
                    {"Authorization", "Bearer " + admin_token_}},
                   "{}");
  EXPECT_EQ(bad_timeout.status, 400) << bad_timeout.body;
  const HttpAnswer bad_version =
      HttpExchange(kartond_->HttpAddress(), "POST", "/api/karton.kernel.v1.IdentityService/WhoAmI",
                   {{"Content-Type", "application/json"},
                    {"Connect-Protocol-Version", "2"},
                    {"Authorization", "Bearer " + admin_token_}},
                   "{}");
  EXPECT_EQ(bad_version.status, 400) << bad_version.body;
}

TEST_F(WebSignInTest, SignOutRevocationAndDisablingEndTheSession) {
  const std::string who_am_i = "karton.kernel.v1.IdentityService/WhoAmI";
  // Sign-out needs the CSRF token too, then the cookie is dead and cleared.
  const Session first = SignedIn("reka@example.com");
  const HttpAnswer forged_out = HttpExchange(kartond_->HttpAddress(), "POST", "/auth/sign-out",
                                             {{"Cookie", first.cookie}}, "");
  EXPECT_EQ(forged_out.status, 403) << forged_out.body;
  EXPECT_EQ(Call(who_am_i, "{}", first).status, 200);
  const HttpAnswer out = HttpExchange(kartond_->HttpAddress(), "POST", "/auth/sign-out",
                                      {{"Cookie", first.cookie}, {"X-CSRF-Token", first.csrf}}, "");
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Call(who_am_i, "{}", first).status, 401);

  // An admin (or the user, from another session) revokes a session.
  const Session second = SignedIn("reka@example.com");
  EXPECT_EQ(Call(who_am_i, "{}", second).status, 200);
  kv1::RevokeApiTokenRequest revoke;
  revoke.set_id(second.id);
  kv1::ApiToken revoked;
  ASSERT_TRUE(identity_->RevokeApiToken(As(admin_token_).get(), revoke, &revoked).ok());
  EXPECT_EQ(revoked.kind(), kv1::API_TOKEN_KIND_WEB_SESSION);
  EXPECT_EQ(Call(who_am_i, "{}", second).status, 401);

  // Only working sessions are listed unless asked.
  kv1::ListApiTokensRequest list;
  list.set_user_id(seller_id_);
  kv1::ListApiTokensResponse working, all;
  ASSERT_TRUE(identity_->ListApiTokens(As(admin_token_).get(), list, &working).ok());
  EXPECT_EQ(working.api_tokens_size(), 0);
  list.set_show_inactive(true);
  ASSERT_TRUE(identity_->ListApiTokens(As(admin_token_).get(), list, &all).ok());
  EXPECT_EQ(all.api_tokens_size(), 2);

  // Disabling the user ends the session at once.
  const Session third = SignedIn("reka@example.com");
  EXPECT_EQ(Call(who_am_i, "{}", third).status, 200);
  kv1::GetUserRequest get;
  get.set_id(seller_id_);
  kv1::User current;
  ASSERT_TRUE(identity_->GetUser(As(admin_token_).get(), get, &current).ok());
  kv1::UpdateUserRequest disable;
  disable.mutable_user()->set_id(seller_id_);
  disable.mutable_user()->set_etag(current.etag());
  disable.mutable_user()->set_disabled(true);
  disable.mutable_update_mask()->add_paths("disabled");
  kv1::User updated;
  const auto disabled = identity_->UpdateUser(As(admin_token_).get(), disable, &updated);
  ASSERT_TRUE(disabled.ok()) << disabled.error_message();
  EXPECT_EQ(Call(who_am_i, "{}", third).status, 401);
  const HttpAnswer refused = SignIn("reka@example.com", kPassword);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("disabled"), std::string::npos) << refused.body;
}

TEST_F(WebSignInTest, APasswordChangeNeedsTheCurrentOneAndEndsTheOtherSessions) {
  const std::string set_password = "karton.kernel.v1.IdentityService/SetPassword";
  const std::string who_am_i = "karton.kernel.v1.IdentityService/WhoAmI";
  const Session laptop = SignedIn("reka@example.com");
  const Session phone = SignedIn("reka@example.com");
  const std::string new_password = "Új-jelszó-2027!";

  const HttpAnswer missing =
      Call(set_password, R"({"newPassword": ")" + new_password + R"("})", laptop);
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_NE(missing.body.find("current_password: is required"), std::string::npos);
  const HttpAnswer wrong = Call(
      set_password,
      R"({"currentPassword": "nem-ez-az-1", "newPassword": ")" + new_password + R"("})", laptop);
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  EXPECT_NE(wrong.body.find("current_password: is wrong"), std::string::npos);
  const HttpAnswer short_one =
      Call(set_password,
           R"({"currentPassword": ")" + std::string(kPassword) + R"(", "newPassword": "rövid"})",
           laptop);
  EXPECT_EQ(short_one.status, 400) << short_one.body;
  EXPECT_NE(short_one.body.find("new_password: must be at least 10"), std::string::npos);
  // Refusals change nothing: the phone still works.
  EXPECT_EQ(Call(who_am_i, "{}", phone).status, 200);

  const HttpAnswer changed = Call(set_password,
                                  R"({"currentPassword": ")" + std::string(kPassword) +
                                      R"(", "newPassword": ")" + new_password + R"("})",
                                  laptop);
  ASSERT_EQ(changed.status, 200) << changed.body;
  // The browser that changed it stays in; every other one is out.
  EXPECT_EQ(Call(who_am_i, "{}", laptop).status, 200);
  EXPECT_EQ(Call(who_am_i, "{}", phone).status, 401);
  EXPECT_EQ(SignIn("reka@example.com", kPassword).status, 401);
  EXPECT_EQ(SignIn("reka@example.com", new_password).status, 200);
  // Audited, without the hash.
  const std::string changes =
      QueryScalar(conninfo_,
                  "SELECT string_agg(changes::text, ' ') FROM kernel.audit_entry WHERE "
                  "resource_type = 'kernel.user' AND changes::text LIKE '%password%'");
  EXPECT_NE(changes.find("changed"), std::string::npos) << changes;
  EXPECT_EQ(changes.find("$argon2"), std::string::npos) << changes;

  // Someone else's password: admins only, and an admin may remove it.
  const std::string accountants =
      R"({"userId": ")" + std::to_string(accountant_id_) + R"(", "newPassword": ""})";
  EXPECT_EQ(Call(set_password, accountants, laptop).status, 403);
  kv1::SetPasswordRequest remove;
  remove.set_user_id(accountant_id_);
  kv1::User user;
  const auto removed = identity_->SetPassword(As(admin_token_).get(), remove, &user);
  ASSERT_TRUE(removed.ok()) << removed.error_message();
  EXPECT_EQ(SignIn("odon@example.com", kPassword).status, 401);
}

TEST_F(WebSignInTest, OthersSessionsAreNotListedForNonAdmins) {
  const Session seller = SignedIn("reka@example.com");
  const std::string json = R"({"userId": ")" + std::to_string(accountant_id_) + R"("})";
  const HttpAnswer refused = Call("karton.kernel.v1.IdentityService/ListApiTokens", json, seller);
  EXPECT_EQ(refused.status, 403) << refused.body;
  const HttpAnswer own = Call("karton.kernel.v1.IdentityService/ListApiTokens", "{}", seller);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(boost::json::parse(own.body).at("apiTokens").as_array().size(), 1u);
}

TEST_F(WebSignInTest, BadInputNamesTheFieldAndWrongPasswordsAreLimited) {
  const HttpAnswer no_email =
      HttpExchange(kartond_->HttpAddress(), "POST", "/auth/sign-in",
                   {{"Content-Type", "application/json"}}, R"({"password": "x"})");
  EXPECT_EQ(no_email.status, 400);
  EXPECT_EQ(boost::json::parse(no_email.body)
                .at("details")
                .at(0)
                .at("debug")
                .at("fieldViolations")
                .at(0)
                .at("field")
                .as_string(),
            "email");
  const HttpAnswer no_password = SignIn("reka@example.com", "");
  EXPECT_EQ(no_password.status, 400);
  EXPECT_NE(no_password.body.find("password: is required"), std::string::npos);
  EXPECT_EQ(HttpExchange(kartond_->HttpAddress(), "POST", "/auth/sign-in", {}, "not json").status,
            400);

  // A wrong password and an unknown email get the same answer.
  const HttpAnswer wrong = SignIn("reka@example.com", "nem-ez-az-1");
  const HttpAnswer unknown = SignIn("nobody@example.com", "nem-ez-az-1");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(boost::json::parse(wrong.body).at("message"),
            boost::json::parse(unknown.body).at("message"));
  EXPECT_EQ(wrong.headers.count("set-cookie"), 0u);
  // The refusal is on the user's audit trail.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                        "'kernel.user' AND resource_id = " +
                            std::to_string(seller_id_) +
                            " AND changes::text LIKE "
                            "'%sign_in_refused%'"),
            "1");

  // Five refusals: then even the right password is refused unchecked, with
  // Retry-After, and nothing signs in.
  for (int attempt = 0; attempt < 4; ++attempt) {
    EXPECT_EQ(SignIn("reka@example.com", "nem-ez-az-1").status, 401);
  }
  const HttpAnswer locked = SignIn("reka@example.com", kPassword);
  EXPECT_EQ(locked.status, 429) << locked.body;
  const int retry_after = std::stoi(locked.headers.at("retry-after"));
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 900);
  EXPECT_EQ(locked.headers.count("set-cookie"), 0u);
  EXPECT_EQ(
      QueryScalar(conninfo_, "SELECT count(*) FROM kernel.api_token WHERE kind = 'web_session'"),
      "0");
  // Another user is not locked by it.
  EXPECT_EQ(SignIn("odon@example.com", kPassword).status, 200);
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT string_agg(outcome, ',' ORDER BY id) FROM kernel.sign_in_attempt "
                        "WHERE lower(email) = 'reka@example.com'"),
            "refused,refused,refused,refused,refused,locked");
}

}  // namespace
}  // namespace karton::testing
