#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "http_server.h"

namespace karton::kernel {
namespace {

// Each handler answers with its own name, so a test can tell which route won.
HttpHandler Named(std::string name) {
  return [name = std::move(name)](const HttpRequest&) { return HttpResponse::Text(200, name); };
}

std::string Call(const HttpRouter::Match& match) { return (*match.handler)(HttpRequest{}).body; }

TEST(HttpRouterTest, MatchesLiteralRoute) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/healthz", Named("health"));
  router.Add(HttpMethod::kGet, "/metrics", Named("metrics"));

  bool path_known = false;
  const auto match = router.Find(HttpMethod::kGet, "/healthz", path_known);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(Call(*match), "health");
  ASSERT_NE(match->pattern, nullptr);
  EXPECT_EQ(*match->pattern, "/healthz");
  EXPECT_TRUE(match->path_params.empty());
}

TEST(HttpRouterTest, MatchesRootRoute) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/", Named("root"));

  bool path_known = false;
  const auto match = router.Find(HttpMethod::kGet, "/", path_known);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(Call(*match), "root");
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/x", path_known).has_value());
}

TEST(HttpRouterTest, CapturesParameters) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/u/{token}", Named("token"));
  router.Add(HttpMethod::kPost, "/forms/{form_id}/fields/{field}", Named("field"));

  bool path_known = false;
  const auto token = router.Find(HttpMethod::kGet, "/u/abc-123", path_known);
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(*token->pattern, "/u/{token}");
  EXPECT_EQ(token->path_params.at("token"), "abc-123");

  const auto field = router.Find(HttpMethod::kPost, "/forms/42/fields/email", path_known);
  ASSERT_TRUE(field.has_value());
  EXPECT_EQ(field->path_params.size(), 2u);
  EXPECT_EQ(field->path_params.at("form_id"), "42");
  EXPECT_EQ(field->path_params.at("field"), "email");
}

TEST(HttpRouterTest, ParameterNeedsNonEmptySegment) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/u/{token}", Named("token"));

  bool path_known = true;
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/u/", path_known).has_value());
  EXPECT_FALSE(path_known);
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/u", path_known).has_value());
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/u/a/b", path_known).has_value());
  EXPECT_FALSE(path_known);
}

TEST(HttpRouterTest, LiteralBeatsParameterWhateverTheOrder) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/forms/{id}", Named("by-id"));
  router.Add(HttpMethod::kGet, "/forms/new", Named("new"));

  bool path_known = false;
  const auto literal = router.Find(HttpMethod::kGet, "/forms/new", path_known);
  ASSERT_TRUE(literal.has_value());
  EXPECT_EQ(Call(*literal), "new");
  EXPECT_TRUE(literal->path_params.empty());

  const auto param = router.Find(HttpMethod::kGet, "/forms/7", path_known);
  ASSERT_TRUE(param.has_value());
  EXPECT_EQ(Call(*param), "by-id");
}

TEST(HttpRouterTest, MethodMismatchSetsPathKnown) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/u/{token}", Named("get"));
  router.Add(HttpMethod::kPost, "/u/{token}", Named("post"));

  bool path_known = false;
  EXPECT_FALSE(router.Find(HttpMethod::kDelete, "/u/abc", path_known).has_value());
  EXPECT_TRUE(path_known);

  const auto post = router.Find(HttpMethod::kPost, "/u/abc", path_known);
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(Call(*post), "post");
}

TEST(HttpRouterTest, UnknownPathIsNotKnown) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/healthz", Named("health"));

  bool path_known = true;
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/nope", path_known).has_value());
  EXPECT_FALSE(path_known);
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/healthz/", path_known).has_value());
  EXPECT_FALSE(path_known);
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "healthz", path_known).has_value());
  EXPECT_FALSE(path_known);
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "", path_known).has_value());
  EXPECT_FALSE(path_known);
}

TEST(HttpRouterTest, EmptyRouterFindsNothing) {
  const HttpRouter router;
  bool path_known = true;
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/", path_known).has_value());
  EXPECT_FALSE(path_known);
}

TEST(HttpRouterTest, DuplicateRouteThrows) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/u/{token}", Named("a"));
  EXPECT_THROW(router.Add(HttpMethod::kGet, "/u/{token}", Named("b")), std::invalid_argument);
  // Same shape, different parameter name: the two could never be told apart.
  EXPECT_THROW(router.Add(HttpMethod::kGet, "/u/{other}", Named("c")), std::invalid_argument);
  // Another method on the same pattern is a different route.
  EXPECT_NO_THROW(router.Add(HttpMethod::kPost, "/u/{token}", Named("d")));
  EXPECT_NO_THROW(router.Add(HttpMethod::kGet, "/u/{token}/edit", Named("e")));
}

TEST(HttpRouterTest, MalformedPatternsThrow) {
  HttpRouter router;
  for (const char* pattern :
       {"", "healthz", "u/{token}", "/u/{}", "/u/{token", "/u/token}", "/u/x{token}",
        "/u/{to{k}en}", "//x", "/x//y", "/a/{id}/b/{id}", "/x?y=1"}) {
    SCOPED_TRACE(pattern);
    EXPECT_THROW(router.Add(HttpMethod::kGet, pattern, Named("bad")), std::invalid_argument);
  }
}

// The web client lives at "/app/", and "/app" is another route.
TEST(HttpRouterTest, ATrailingSlashIsARouteOfItsOwn) {
  HttpRouter router;
  router.Add(HttpMethod::kGet, "/app", Named("bare"));
  router.Add(HttpMethod::kGet, "/app/", Named("slash"));
  router.Add(HttpMethod::kGet, "/app/{file}", Named("file"));
  bool known = false;
  EXPECT_EQ((*router.Find(HttpMethod::kGet, "/app", known)->handler)({}).body, "bare");
  EXPECT_EQ((*router.Find(HttpMethod::kGet, "/app/", known)->handler)({}).body, "slash");
  EXPECT_EQ((*router.Find(HttpMethod::kGet, "/app/x.js", known)->handler)({}).body, "file");
  EXPECT_FALSE(router.Find(HttpMethod::kGet, "/app//", known).has_value());
}

TEST(HttpRouterTest, EmptyHandlerThrows) {
  HttpRouter router;
  EXPECT_THROW(router.Add(HttpMethod::kGet, "/x", HttpHandler{}), std::invalid_argument);
}

TEST(HttpRouterTest, MethodNames) {
  EXPECT_STREQ(HttpMethodName(HttpMethod::kGet), "GET");
  EXPECT_STREQ(HttpMethodName(HttpMethod::kPost), "POST");
  EXPECT_STREQ(HttpMethodName(HttpMethod::kPut), "PUT");
  EXPECT_STREQ(HttpMethodName(HttpMethod::kPatch), "PATCH");
  EXPECT_STREQ(HttpMethodName(HttpMethod::kDelete), "DELETE");
}

}  // namespace
}  // namespace karton::kernel
