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
  EXPECT_EQ(WebhookUrlProblem("https://erp.example.com/karton/events"), "");
  EXPECT_EQ(WebhookUrlProblem("http://127.0.0.1:8081/hook"), "");
  EXPECT_NE(WebhookUrlProblem("ftp://example.com/x"), "");
  EXPECT_NE(WebhookUrlProblem("file:///etc/passwd"), "");
  EXPECT_NE(WebhookUrlProblem("example.com/hook"), "");
  EXPECT_NE(WebhookUrlProblem("not a url"), "");
}

}  // namespace
}  // namespace karton::kernel
