// The knowledge base's checks and HTML without a database: an article's
// fields, a search snippet's markup, the /kb pages' escaping and paragraphs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "knowledge/kb_pages.h"
#include "knowledge/knowledge_base_service.h"

namespace karton::helpdesk {
namespace {

v1::Article Valid() {
  v1::Article article;
  article.set_slug("radiator-legtelenitese");
  article.set_title("Radiátor");
  article.set_language("hu");
  return article;
}

std::string Fields(const std::vector<kernel::FieldViolation>& violations) {
  std::string fields;
  for (const auto& violation : violations) fields += violation.field + ";";
  return fields;
}

TEST(CheckArticle, AValidArticleGetsItsDefaultsAndItsTagsInLowerCaseOnce) {
  auto article = Valid();
  article.add_tags("Fűtés");
  article.add_tags("fűtés");
  article.add_tags("Kazán");
  EXPECT_TRUE(CheckArticle(article, "article.").empty());
  EXPECT_EQ(article.visibility(), v1::ARTICLE_VISIBILITY_INTERNAL);
  ASSERT_EQ(article.tags_size(), 2);
  EXPECT_EQ(article.tags(0), "fűtés");
  EXPECT_EQ(article.tags(1), "kazán");
}

TEST(CheckArticle, EveryBadFieldIsNamed) {
  for (const std::string& slug : std::vector<std::string>{"", "Nagy", "-eleje", "vege-", "szo koz",
                                                          "ékezet", std::string(101, 'a')}) {
    auto article = Valid();
    article.set_slug(slug);
    EXPECT_EQ(Fields(CheckArticle(article, "article.")), "article.slug;") << slug;
  }
  for (const std::string& slug :
       std::vector<std::string>{"a", "0", "a-b-9", std::string(100, 'a')}) {
    auto article = Valid();
    article.set_slug(slug);
    EXPECT_TRUE(CheckArticle(article, "article.").empty()) << slug;
  }
  auto article = Valid();
  article.set_title("");
  article.set_language("de");
  article.set_body(std::string(100001, 'x'));
  article.set_visibility(static_cast<v1::ArticleVisibility>(9));
  article.add_tags("");
  EXPECT_EQ(Fields(CheckArticle(article, "article.")),
            "article.title;article.body;article.language;article.visibility;article.tags[0];");
  article = Valid();
  for (int i = 0; i < 21; ++i) article.add_tags("t" + std::to_string(i));
  EXPECT_EQ(Fields(CheckArticle(article, "article.")), "article.tags;");
}

TEST(SnippetHtml, EscapesTheTextAndMarksTheMatches) {
  EXPECT_EQ(SnippetHtml("a <b>&\x02nyomtató\x03 \"x\" \x02k\x03"),
            "a &lt;b&gt;&amp;<mark>nyomtató</mark> &quot;x&quot; <mark>k</mark>");
  EXPECT_EQ(SnippetHtml(""), "");
}

TEST(KbPages, AnArticlePageEscapesEveryTextAndKeepsParagraphs) {
  auto article = Valid();
  article.set_language("en");
  article.set_title("<script>x</script>");
  article.set_body("one <i>\r\ntwo\n\n \n'three' & four\n");
  article.add_tags("<tag>");
  const auto page = ArticlePage(article);
  EXPECT_EQ(page.find("<script>"), std::string::npos) << page;
  EXPECT_NE(page.find("<html lang=\"en\">"), std::string::npos) << page;
  EXPECT_NE(page.find("<title>&lt;script&gt;x&lt;/script&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("<p>one &lt;i&gt;<br>\ntwo</p>\n<p>&#39;three&#39; &amp; four</p>\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("&lt;tag&gt;"), std::string::npos) << page;
}

TEST(KbPages, TheListGroupsByLanguageAndEscapesSlugsAndTitles) {
  auto hungarian = Valid();
  hungarian.set_title("Ár & díj");
  auto english = Valid();
  english.set_language("en");
  english.set_slug("bleed");
  english.set_title("Bleed \"it\"");
  const auto page = ArticleListPage({english, hungarian});
  const auto magyar = page.find("<h2>Magyar</h2>");
  const auto angol = page.find("<h2>English</h2>");
  ASSERT_NE(magyar, std::string::npos) << page;
  ASSERT_NE(angol, std::string::npos) << page;
  EXPECT_LT(magyar, angol);
  EXPECT_NE(page.find("<a href=\"/kb/radiator-legtelenitese\">Ár &amp; díj</a>"), std::string::npos)
      << page;
  EXPECT_NE(page.find("<a href=\"/kb/bleed\">Bleed &quot;it&quot;</a>"), std::string::npos) << page;
}

}  // namespace
}  // namespace karton::helpdesk
