#include "event_topics.h"

#include <gtest/gtest.h>

#include "webhook_sender.h"

namespace karton::kernel {
namespace {

TEST(EventTopics, TopicsAreThreeLowerCaseNames) {
  EXPECT_TRUE(IsValidTopic("partners.partner.created"));
  EXPECT_TRUE(IsValidTopic("note_stats.daily_count.rolled_up"));
  EXPECT_FALSE(IsValidTopic("partners.partner"));
  EXPECT_FALSE(IsValidTopic("partners.partner.created.again"));
  EXPECT_FALSE(IsValidTopic("Partners.partner.created"));
  EXPECT_FALSE(IsValidTopic("partners..created"));
  EXPECT_FALSE(IsValidTopic("partners.partner.*"));
  EXPECT_FALSE(IsValidTopic("partners.partner.1created"));
}

TEST(EventTopics, PatternsAreTopicsPrefixWildcardsOrEverything) {
  for (const char* good : {"*", "partners.*", "partners.partner.*", "partners.partner.created"}) {
    EXPECT_TRUE(IsValidTopicPattern(good)) << good;
  }
  for (const char* bad : {"", "partners", "partners.partner", "partners.partner.created.*",
                          "partners.*.created", "*.partner.created", "partners.par%", "a,b.c.d"}) {
    EXPECT_FALSE(IsValidTopicPattern(bad)) << bad;
  }
}

TEST(EventTopics, MatchingFollowsTheDots) {
  EXPECT_TRUE(TopicMatches("*", "crm.lead.assigned"));
  EXPECT_TRUE(TopicMatches("crm.*", "crm.lead.assigned"));
  EXPECT_TRUE(TopicMatches("crm.lead.*", "crm.lead.assigned"));
  EXPECT_TRUE(TopicMatches("crm.lead.assigned", "crm.lead.assigned"));
  EXPECT_FALSE(TopicMatches("crm.lead.*", "crm.leads.assigned"));
  EXPECT_FALSE(TopicMatches("crm.*", "crmx.lead.assigned"));
  EXPECT_FALSE(TopicMatches("crm.lead.created", "crm.lead.assigned"));
}

TEST(EventTopics, LikePatternsEscapeUnderscoresAndKeepOrder) {
  // "_" matches any one character in LIKE; a topic's underscore must not.
  EXPECT_EQ(LikePatterns({"note_stats.*", "crm.lead.assigned", "*"}),
            "note\\_stats.%,crm.lead.assigned,%");
}

TEST(EventTopics, AggregatesAndStoredForm) {
  EXPECT_EQ(AggregateTypeOf("partners.partner.created"), "partners.partner");
  const std::vector<std::string> patterns = {"partners.*", "crm.lead.assigned"};
  EXPECT_EQ(SplitTopics(JoinTopics(patterns)), patterns);
  EXPECT_TRUE(SplitTopics("").empty());
}

TEST(WebhookSender, SignsTimestampDotBodyWithHmacSha256) {
  // Independently computed: HMAC-SHA256("a-secret-of-16-chars", "1700000000.{\"id\":\"1\"}").
  EXPECT_EQ(WebhookSignature("a-secret-of-16-chars", "1700000000", R"({"id":"1"})"),
            "v1=a86d45c0ff24779cfbf4583c102f22d24c32cc277870017c8e12f063d9997f7e");
  EXPECT_NE(WebhookSignature("a-secret-of-16-chars", "1700000001", R"({"id":"1"})"),
            WebhookSignature("a-secret-of-16-chars", "1700000000", R"({"id":"1"})"));
}

TEST(WebhookSender, AcceptsOnlyAbsoluteHttpUrls) {
  EXPECT_EQ(WebhookUrlProblem("https://erp.example.com/karton/events", {}), "");
  EXPECT_EQ(WebhookUrlProblem("http://203.0.113.5:8081/hook", {}), "");
  EXPECT_NE(WebhookUrlProblem("ftp://example.com/x", {}), "");
  EXPECT_NE(WebhookUrlProblem("file:///etc/passwd", {}), "");
  EXPECT_NE(WebhookUrlProblem("example.com/hook", {}), "");
  EXPECT_NE(WebhookUrlProblem("not a url", {}), "");
}

TEST(WebhookSender, InnerAddressesAreRefusedUnlessAllowed) {
  for (const char* inner :
       {"http://127.0.0.1:5432/", "http://localhost:8080/hook", "http://api.localhost/x",
        "http://10.1.2.3/hook", "http://172.20.0.1/", "http://192.168.1.1/", "http://[::1]/",
        "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/", "http://[fd00::5]/",
        "http://0.0.0.0:8080/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/"}) {
    EXPECT_NE(WebhookUrlProblem(inner, {}).find("--webhook-allow-cidr"), std::string::npos)
        << inner;
  }
  const auto allowed = ParseIpNetworks("127.0.0.1/32,10.0.0.0/8");
  EXPECT_EQ(WebhookUrlProblem("http://127.0.0.1:8081/hook", allowed), "");
  EXPECT_EQ(WebhookUrlProblem("http://localhost:8081/hook", allowed), "");
  EXPECT_EQ(WebhookUrlProblem("http://10.9.9.9/hook", allowed), "");
  EXPECT_NE(WebhookUrlProblem("http://127.0.0.2/hook", allowed), "");
  EXPECT_NE(WebhookUrlProblem("http://192.168.1.1/hook", allowed), "");
  EXPECT_EQ(WebhookAddressProblem(*IpAddress::Parse("8.8.8.8"), {}), "");
  EXPECT_EQ(WebhookAddressProblem(*IpAddress::Parse("2001:4860::8888"), {}), "");
}

TEST(WebhookSender, AHostNameThatResolvesInwardsIsRefusedAtConnect) {
  // "localhost" resolves to loopback: the check at connect time stops it
  // even when the URL check is bypassed, as a DNS name changing would.
  const auto outcome =
      PostWebhook({"http://localhost:9/hook", "a-secret-of-16-chars", "{}", 1, "t.x.y", ""},
                  std::chrono::seconds(5), {});
  EXPECT_FALSE(outcome.delivered);
  EXPECT_NE(outcome.error.find("is a loopback address, which webhooks may not reach"),
            std::string::npos)
      << outcome.error;
}

}  // namespace
}  // namespace karton::kernel
