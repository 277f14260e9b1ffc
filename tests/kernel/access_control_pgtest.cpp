// Access control against a real PostgreSQL: the one decision the token
// processor makes for a network call, and the verdict the interceptor hands
// to the handler, including when the token expires or is revoked between
// the two (the fail-open hand-off the security review found).
#include <gtest/gtest.h>

#include <string>

#include "access_control.h"
#include "karton/kernel/database.h"
#include "kernel_migrations.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::QueryScalar;
using testing::SharedPostgres;

constexpr const char* kListModules = "/karton.kernel.v1.KernelService/ListModules";
constexpr const char* kAdvanceClock = "/karton.kernel.v1.KernelService/AdvanceClock";

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 2);
    Migrator(*database_).Apply({KernelMigrations()});
    access_ = std::make_unique<AccessControl>(*database_);
    access_->DeclareService(
        "karton.kernel.v1.KernelService",
        {{"ListModules", {"sales", "external_partner"}}, {"AdvanceClock", {"admin"}}});
  }

  // A user with `roles` ("{sales}") and a token for them; returns
  // "Bearer <token>" and stores the token's id in `token_id`.
  std::string NewToken(const std::string& roles, std::string& token_id,
                       const std::string& expire = "NULL") {
    const std::string user_id = QueryScalar(
        conninfo_, "INSERT INTO kernel.user_account (name, email, roles) VALUES ('u', 'u" +
                       std::to_string(++users_) + "@example.com', '" + roles + "') RETURNING id");
    const NewTokenSecret secret = GenerateTokenSecret();
    token_id = QueryScalar(conninfo_,
                           "INSERT INTO kernel.api_token (user_id, secret_hash, prefix, "
                           "expire_time) VALUES (" +
                               user_id + ", decode('" + secret.hash_hex + "', 'hex'), 'p', " +
                               expire + ") RETURNING id");
    return "Bearer " + secret.secret;
  }

  std::string conninfo_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<AccessControl> access_;
  int users_ = 0;
};

TEST_F(AccessControlTest, AnAdmittedCallKeepsItsVerdictWhenTheTokenIsRevokedBeforeItsHandler) {
  std::string token_id;
  const std::string bearer = NewToken("{sales}", token_id);
  ASSERT_TRUE(access_->AdmitNetworkCall(bearer, kListModules).ok());

  // Between the processor and the interceptor the token is revoked (and
  // every verification forgotten, as IdentityService does). The call that
  // was admitted still runs as its user, never as an empty caller.
  QueryScalar(conninfo_, "UPDATE kernel.api_token SET revoke_time = now() WHERE id = " + token_id +
                             " RETURNING id");
  access_->ForgetVerifiedCallers();
  const auto handed_on = access_->HandOffFor(bearer, kListModules).caller;
  ASSERT_TRUE(handed_on.has_value());
  const auto caller = ParseCaller(*handed_on);
  ASSERT_TRUE(caller.has_value());
  EXPECT_GT(caller->user_id, 0);
  EXPECT_EQ(caller->roles, std::vector<std::string>{"sales"});
  EXPECT_EQ(std::to_string(caller->api_token_id), token_id);

  // The next call is decided afresh and refused.
  const auto next = access_->AdmitNetworkCall(bearer, kListModules);
  EXPECT_EQ(next.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(next.error_message(), "the API token was revoked");
}

TEST_F(AccessControlTest, AnAdmittedCallKeepsItsVerdictWhenTheTokenExpiresBeforeItsHandler) {
  std::string token_id;
  const std::string bearer = NewToken("{external_partner}", token_id, "now() + interval '1 hour'");
  ASSERT_TRUE(access_->AdmitNetworkCall(bearer, kListModules).ok());
  QueryScalar(conninfo_,
              "UPDATE kernel.api_token SET expire_time = now() - interval '1 second' "
              "WHERE id = " +
                  token_id + " RETURNING id");
  access_->ForgetVerifiedCallers();
  const auto handed_on = access_->HandOffFor(bearer, kListModules).caller;
  ASSERT_TRUE(handed_on.has_value());
  const auto caller = ParseCaller(*handed_on);
  ASSERT_TRUE(caller.has_value());
  EXPECT_TRUE(caller->IsExternalPartner());
  EXPECT_FALSE(caller->IsStaff());
  EXPECT_EQ(access_->AdmitNetworkCall(bearer, kListModules).error_message(),
            "the API token has expired");
}

TEST_F(AccessControlTest, WithoutAnAdmissionThereIsNoCallerToHandOn) {
  std::string token_id;
  const std::string never_admitted = NewToken("{sales}", token_id);
  EXPECT_FALSE(access_->HandOffFor(never_admitted, kListModules).caller.has_value());
  EXPECT_FALSE(access_->HandOffFor("Bearer karton_unknown", kListModules).caller.has_value());
  EXPECT_FALSE(access_->HandOffFor("", kListModules).caller.has_value());

  // Admitted for one method, its verdict is not handed to a method its
  // roles do not allow.
  ASSERT_TRUE(access_->AdmitNetworkCall(never_admitted, kListModules).ok());
  EXPECT_TRUE(access_->HandOffFor(never_admitted, kListModules).caller.has_value());
  EXPECT_FALSE(access_->HandOffFor(never_admitted, kAdvanceClock).caller.has_value());
}

TEST_F(AccessControlTest, UndeclaredMethodsAndCallersWithoutAUserAreRefused) {
  std::string token_id;
  const std::string admin = NewToken("{admin}", token_id);
  EXPECT_TRUE(access_->AdmitNetworkCall(admin, kAdvanceClock).ok());
  // Not in the role table: no one may call it, not even an admin (it used
  // to be everyone).
  const auto undeclared =
      access_->AdmitNetworkCall(admin, "/karton.kernel.v1.KernelService/Undeclared");
  EXPECT_EQ(undeclared.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(undeclared.error_message(),
            "/karton.kernel.v1.KernelService/Undeclared declares no roles, so no one may call it");
  EXPECT_EQ(access_->Authorize(Caller{}, kListModules).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(access_->Authorize(Caller{0, {"admin"}, {}, 0}, kAdvanceClock).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const std::string seller = NewToken("{sales}", token_id);
  EXPECT_EQ(access_->AdmitNetworkCall(seller, kAdvanceClock).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace karton::kernel
