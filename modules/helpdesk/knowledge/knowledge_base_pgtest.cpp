// The knowledge base on a throwaway database (helpdesk_test_fixture.h): the
// audit entries and events of each write, a link's audit entry on the
// ticket with the articles before and after, the document following an
// article's language, a salesperson seeing the links of their tickets, and
// the /kb pages answered from the database.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "helpdesk_test_fixture.h"
#include "knowledge/kb_pages.h"
#include "knowledge/knowledge_base_service.h"

namespace karton::helpdesk {
namespace {

using karton::testing::QueryScalar;

class KnowledgeBaseServiceTest : public testing::HelpdeskServicesTest {
 protected:
  void SetUp() override {
    HelpdeskServicesTest::SetUp();
    KnowledgeBaseServiceImpl::DeclareTopics(context_.Events());
    kb_service_ = std::make_unique<KnowledgeBaseServiceImpl>(*parts_);
    grpc::ServerBuilder builder;
    builder.RegisterService(kb_service_.get());
    kb_server_ = builder.BuildAndStart();
    kb_ = v1::KnowledgeBaseService::NewStub(kb_server_->InProcessChannel(grpc::ChannelArguments()));
  }

  void TearDown() override {
    if (kb_server_) kb_server_->Shutdown();
    HelpdeskServicesTest::TearDown();
  }

  v1::Article NewArticle(const std::string& slug, const std::string& language,
                         const std::string& body,
                         v1::ArticleVisibility visibility = v1::ARTICLE_VISIBILITY_PUBLIC) {
    v1::CreateArticleRequest request;
    request.mutable_article()->set_slug(slug);
    request.mutable_article()->set_title("Cikk " + slug);
    request.mutable_article()->set_language(language);
    request.mutable_article()->set_body(body);
    request.mutable_article()->set_visibility(visibility);
    v1::Article created;
    const auto status = kb_->CreateArticle(As(support_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  std::vector<std::string> Found(const std::string& query) {
    v1::SearchArticlesRequest request;
    request.set_query(query);
    v1::SearchArticlesResponse response;
    EXPECT_TRUE(kb_->SearchArticles(As(support_).get(), request, &response).ok());
    std::vector<std::string> slugs;
    for (const auto& match : response.matches()) slugs.push_back(match.article().slug());
    return slugs;
  }

  std::unique_ptr<KnowledgeBaseServiceImpl> kb_service_;
  std::unique_ptr<grpc::Server> kb_server_;
  std::unique_ptr<v1::KnowledgeBaseService::Stub> kb_;
};

TEST_F(KnowledgeBaseServiceTest, EachWriteIsAuditedAndPublishedALinkOnTheTicket) {
  const auto first = NewArticle("elso", "hu", "Első.");
  const auto second = NewArticle("masodik", "hu", "Második.");
  const auto ticket = Create("Nem indul a kazán", support_, partner_);
  const auto published_before = context_.RecordedEvents().PublishedTopics().size();
  const auto audited_before = context_.RecordedAudit().Recorded().size();

  for (const auto& article : {first, second}) {
    v1::LinkArticleRequest link;
    link.set_ticket_id(ticket.id());
    link.set_article_id(article.id());
    v1::ArticleLink linked;
    ASSERT_TRUE(kb_->LinkArticle(As(support_).get(), link, &linked).ok());
  }
  const auto audit = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audit.size(), audited_before + 2);
  const auto& entry = audit.back();
  EXPECT_EQ(entry.resource_type, "helpdesk.ticket");
  EXPECT_EQ(entry.resource_id, ticket.id());
  EXPECT_EQ(entry.action, kernel::AuditAction::kUpdate);
  ASSERT_EQ(entry.changes.size(), 1u);
  EXPECT_EQ(entry.changes[0].field, "solution_article_ids");
  EXPECT_EQ(entry.changes[0].old_json, fmt::format("[\"{}\"]", first.id()));
  EXPECT_EQ(entry.changes[0].new_json, fmt::format("[\"{}\",\"{}\"]", first.id(), second.id()));
  const auto topics = context_.RecordedEvents().PublishedTopics();
  EXPECT_EQ(
      std::vector<std::string>(topics.begin() + static_cast<long>(published_before), topics.end()),
      (std::vector<std::string>{"helpdesk.article.linked", "helpdesk.article.linked"}));

  // The salesperson owns the ticket's partner: they see its links.
  v1::GetArticleRequest get;
  get.set_id(first.id());
  v1::Article seen;
  ASSERT_TRUE(kb_->GetArticle(As(salesperson_).get(), get, &seen).ok());
  ASSERT_EQ(seen.ticket_ids_size(), 1);
  EXPECT_EQ(seen.ticket_ids(0), ticket.id());

  // An archived article can no longer be linked; nothing is written.
  v1::ArchiveArticleRequest archive;
  archive.set_id(first.id());
  v1::Article archived;
  ASSERT_TRUE(kb_->ArchiveArticle(As(support_).get(), archive, &archived).ok());
  const auto other = Create("Csöpög a radiátor", support_, partner_);
  v1::LinkArticleRequest link;
  link.set_ticket_id(other.id());
  link.set_article_id(first.id());
  v1::ArticleLink linked;
  const auto refused = kb_->LinkArticle(As(support_).get(), link, &linked);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM helpdesk.article_link"), "2");
}

TEST_F(KnowledgeBaseServiceTest, TheDocumentFollowsTheArticlesLanguage) {
  const auto article = NewArticle("szivattyu", "hu", "A keringető szivattyút kapcsolja ki.");
  EXPECT_EQ(Found("szivattyúval"), std::vector<std::string>{"szivattyu"});
  v1::UpdateArticleRequest update;
  update.mutable_article()->set_id(article.id());
  update.mutable_article()->set_language("en");
  update.mutable_article()->set_body("Switch the circulation pumps off.");
  update.mutable_update_mask()->add_paths("language");
  update.mutable_update_mask()->add_paths("body");
  v1::Article changed;
  ASSERT_TRUE(kb_->UpdateArticle(As(support_).get(), update, &changed).ok());
  EXPECT_TRUE(Found("szivattyúval").empty());
  EXPECT_EQ(Found("pump"), std::vector<std::string>{"szivattyu"});
  EXPECT_EQ(context_.RecordedAudit().Recorded().back().resource_type, "helpdesk.article");
  // The version before the change kept its language and text.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT language || ':' || body FROM helpdesk.article_version WHERE "
                        "version = 1"),
            "hu:A keringető szivattyút kapcsolja ki.");
}

TEST_F(KnowledgeBaseServiceTest, ThePagesAnswerPublicArticlesOnlyAndRevalidateByEtag) {
  NewArticle("nyilvanos", "hu", "Mindenkinek <szól>.");
  NewArticle("belso", "hu", "Csak nekünk.", v1::ARTICLE_VISIBILITY_INTERNAL);
  KbPages pages(*parts_);
  kernel::HttpRequest request;
  request.path_params["slug"] = "nyilvanos";
  const auto page = pages.Show(request);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Mindenkinek &lt;szól&gt;."), std::string::npos) << page.body;
  request.headers["if-none-match"] = page.headers.at("etag");
  EXPECT_EQ(pages.Show(request).status, 304);
  request.path_params["slug"] = "belso";
  EXPECT_EQ(pages.Show(request).status, 404);
  kernel::HttpRequest index;
  const auto list = pages.Index(index);
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("/kb/nyilvanos"), std::string::npos);
  EXPECT_EQ(list.body.find("/kb/belso"), std::string::npos);
}

}  // namespace
}  // namespace karton::helpdesk
