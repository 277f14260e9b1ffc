// kartond serves the built web client (web/, kernel/src/web_app.h) at /app/:
// / leads there; index.html is revalidated, content-hashed assets are
// cached for good and sent gzipped to browsers that take it; ETags answer
// 304; the pages may load only what kartond serves (CSP).
#include <gtest/gtest.h>

#include <regex>

#include "kartond_fixture.h"

namespace karton::testing {
namespace {

using WebAppTest = RunningKartondTest;

TEST_F(WebAppTest, ServesTheClientWithCacheHeadersAndCompression) {
  const auto root = HttpExchange(kartond_->HttpAddress(), "GET", "/", {}, "");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.headers.at("location"), "/app/");

  const auto index = HttpExchange(kartond_->HttpAddress(), "GET", "/app/", {}, "");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.headers.at("cache-control"), "no-cache");
  EXPECT_NE(index.body.find("<karton-app>"), std::string::npos) << index.body;
  EXPECT_NE(index.headers.at("content-security-policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(index.headers.at("x-frame-options"), "DENY");
  const auto revalidated = HttpExchange(kartond_->HttpAddress(), "GET", "/app/",
                                        {{"If-None-Match", index.headers.at("etag")}}, "");
  EXPECT_EQ(revalidated.status, 304);
  EXPECT_TRUE(revalidated.body.empty());

  // The script the page loads: kartond's own, named by its content.
  std::smatch script;
  ASSERT_TRUE(
      std::regex_search(index.body, script, std::regex(R"re(src="(/app/assets/[^"]+\.js)")re")))
      << index.body;
  const std::string script_path = script[1];
  const auto plain = HttpExchange(kartond_->HttpAddress(), "GET", script_path, {}, "");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.headers.at("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(plain.headers.at("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  const auto gzipped = HttpExchange(kartond_->HttpAddress(), "GET", script_path,
                                    {{"Accept-Encoding", "gzip, br"}}, "");
  ASSERT_EQ(gzipped.status, 200);
  EXPECT_EQ(gzipped.headers.at("content-encoding"), "gzip");
  EXPECT_EQ(gzipped.headers.at("vary"), "Accept-Encoding");
  EXPECT_LT(gzipped.body.size(), plain.body.size() / 2);
  // The first page's JavaScript stays under 300 KiB compressed (issue 18).
  EXPECT_LT(gzipped.body.size(), 300u * 1024);

  EXPECT_EQ(HttpExchange(kartond_->HttpAddress(), "GET", "/app/assets/none.js", {}, "").status,
            404);
  EXPECT_EQ(HttpExchange(kartond_->HttpAddress(), "GET", "/app/..%2Fadmin.token", {}, "").status,
            404);
}

}  // namespace
}  // namespace karton::testing
