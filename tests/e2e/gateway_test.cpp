// The JSON gateway: gRPC methods as POST /api/<service>/<method> with JSON.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "kartond_fixture.h"

namespace karton::testing {
namespace {

class GatewayTest : public RunningKartondTest {
 protected:
  // POSTs `json` to /api/<method_path> and returns {status, parsed body}.
  std::pair<int, boost::json::value> Post(const std::string& method_path, const std::string& json,
                                          const std::string& token) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    std::string body;
    const int status =
        HttpCall(kartond_->HttpAddress(), "POST", "/api/" + method_path, headers, json, body);
    boost::json::error_code error;
    auto parsed = boost::json::parse(body, error);
    EXPECT_FALSE(error) << body;
    return {status, parsed};
  }
};

TEST_F(GatewayTest, RoundTripsNestedMessagesEnumsAndTimestamps) {
  const auto [status, created] = Post("karton.kernel.v1.IdentityService/CreateUser",
                                      R"({"user": {"name": "Nagy Éva", "email": "eva@example.com",
                   "roles": ["ROLE_SALES", "ROLE_SUPPORT"]}, "requestId": "gw-1"})",
                                      admin_token_);
  ASSERT_EQ(status, 200) << created;
  const auto& user = created.as_object();
  EXPECT_EQ(user.at("name").as_string(), "Nagy Éva");
  EXPECT_EQ(user.at("roles").as_array().size(), 2u);
  EXPECT_EQ(user.at("roles").as_array()[0].as_string(), "ROLE_SALES");
  // int64 as a JSON string, timestamps as RFC 3339, per the protobuf JSON mapping.
  EXPECT_TRUE(user.at("id").is_string());
  const std::string create_time(user.at("createTime").as_string());
  EXPECT_EQ(create_time.back(), 'Z') << create_time;
  EXPECT_EQ(create_time.size() >= 20, true) << create_time;

  // The module's service through the gateway too, as the same caller.
  const auto [note_status, note] = Post("karton.notes.v1.NotesService/CreateNote",
                                        R"({"note": {"text": "via JSON"}})", admin_token_);
  ASSERT_EQ(note_status, 200) << note;
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT actor_user_id FROM kernel.audit_entry "
                        "WHERE resource_type = 'notes.note'"),
            "1");
}

TEST_F(GatewayTest, ErrorsAreConnectJsonWithFieldDetails) {
  const auto [status, error] =
      Post("karton.kernel.v1.IdentityService/CreateUser",
           R"({"user": {"name": "X", "email": "nope", "roles": ["ROLE_SALES"]}})", admin_token_);
  EXPECT_EQ(status, 400);
  const auto& object = error.as_object();
  EXPECT_EQ(object.at("code").as_string(), "invalid_argument");
  EXPECT_EQ(object.at("message").as_string(), "user.email: 'nope' is not an email address");
  const auto& detail = object.at("details").as_array()[0];
  EXPECT_EQ(detail.at("type").as_string(), "google.rpc.BadRequest");
  EXPECT_FALSE(detail.at("value").as_string().empty());  // the serialized BadRequest, base64
  const auto& violation = detail.at("debug").at("fieldViolations").as_array()[0];
  EXPECT_EQ(violation.at("field").as_string(), "user.email");
  EXPECT_EQ(violation.at("description").as_string(), "'nope' is not an email address");
}

TEST_F(GatewayTest, AuthAndBadRequestsGetTheRightStatus) {
  EXPECT_EQ(Post("karton.kernel.v1.KernelService/ListModules", "{}", "").first, 401);
  EXPECT_EQ(Post("karton.kernel.v1.KernelService/ListModules", "{}", "karton_bad").first, 401);
  EXPECT_EQ(Post("karton.kernel.v1.KernelService/ListModules", "{}", admin_token_).first, 200);
  EXPECT_EQ(Post("karton.kernel.v1.KernelService/NoSuchMethod", "{}", admin_token_).first, 404);
  EXPECT_EQ(Post("karton.nothing.v1.Nothing/Do", "{}", admin_token_).first, 404);
  const auto [bad_json, body] =
      Post("karton.kernel.v1.IdentityService/GetUser", "{not json", admin_token_);
  EXPECT_EQ(bad_json, 400);
  EXPECT_EQ(body.at("code").as_string(), "invalid_argument");
  EXPECT_EQ(
      Post("karton.kernel.v1.IdentityService/GetUser", R"({"id": "999"})", admin_token_).first,
      404);

  // A user without the role is refused before anything runs.
  const auto [created_status, created] = Post(
      "karton.kernel.v1.IdentityService/CreateUser",
      R"({"user": {"name": "Books", "email": "books@example.com", "roles": ["ROLE_ACCOUNTING"]}})",
      admin_token_);
  ASSERT_EQ(created_status, 200);
  const auto [token_status, token] =
      Post("karton.kernel.v1.IdentityService/CreateApiToken",
           R"({"userId": ")" + std::string(created.at("id").as_string()) + R"("})", admin_token_);
  ASSERT_EQ(token_status, 200);
  const std::string secret(token.at("token").as_string());
  const auto [denied, denial] =
      Post("karton.notes.v1.NotesService/CreateNote", R"({"note": {"text": "x"}})", secret);
  EXPECT_EQ(denied, 403);
  EXPECT_EQ(denial.at("code").as_string(), "permission_denied");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM notes.note"), "0");
}

}  // namespace
}  // namespace karton::testing
