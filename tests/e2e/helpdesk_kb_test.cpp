// The helpdesk's knowledge base in a real kartond (docs/helpdesk.md,
// "Knowledge base"): versions, full text search in Hungarian and English,
// links from tickets, who sees what, the public /kb pages, the demo and the
// `karton kb` commands.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <set>
#include <string>

#include "crm_fixture.h"
#include "json_fields.h"
#include "karton/helpdesk/v1/knowledge_base_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace hv1 = helpdesk::v1;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class KnowledgeBaseTest : public CrmTest {
 protected:
  KnowledgeBaseTest() { modules_ = "crm,helpdesk"; }

  void Begin(std::vector<std::string> extra = {}) {
    Start(std::move(extra));
    kb_ = hv1::KnowledgeBaseService::NewStub(channel_);
    tickets_ = hv1::TicketService::NewStub(channel_);
  }

  hv1::Article Create(const std::string& token, const std::string& slug,
                      const std::string& language, hv1::ArticleVisibility visibility,
                      const std::string& title, const std::string& body) {
    hv1::CreateArticleRequest request;
    request.mutable_article()->set_slug(slug);
    request.mutable_article()->set_language(language);
    request.mutable_article()->set_visibility(visibility);
    request.mutable_article()->set_title(title);
    request.mutable_article()->set_body(body);
    hv1::Article article;
    const auto status = kb_->CreateArticle(As(token).get(), request, &article);
    EXPECT_TRUE(status.ok()) << slug << ": " << status.error_message();
    return article;
  }

  hv1::SearchArticlesResponse Search(const std::string& query, const std::string& token = "") {
    hv1::SearchArticlesRequest request;
    request.set_query(query);
    hv1::SearchArticlesResponse response;
    const auto status = kb_->SearchArticles(As(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << query << ": " << status.error_message();
    return response;
  }

  static std::set<std::string> Slugs(const hv1::SearchArticlesResponse& response) {
    std::set<std::string> slugs;
    for (const auto& match : response.matches()) slugs.insert(match.article().slug());
    return slugs;
  }

  long long Articles() const {
    return std::stoll(QueryScalar(conninfo_, "SELECT count(*) FROM helpdesk.article"));
  }

  std::unique_ptr<hv1::KnowledgeBaseService::Stub> kb_;
  std::unique_ptr<hv1::TicketService::Stub> tickets_;
};

TEST_F(KnowledgeBaseTest, AHungarianSearchFindsInflectedFormsAndEachArticleInItsLanguage) {
  Begin();
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  Create(agent.token, "nyomtato-nem-nyomtat", "hu", hv1::ARTICLE_VISIBILITY_PUBLIC,
         "Ha a nyomtató nem nyomtat",
         "Kapcsolja ki a nyomtató tápkábelét fél percre, majd indítsa újra a számítógépet.");
  Create(agent.token, "printer-offline", "en", hv1::ARTICLE_VISIBILITY_PUBLIC,
         "When the printer is offline", "Restart the printers and the print spooler.");
  Create(agent.token, "kazan-nyomas", "hu", hv1::ARTICLE_VISIBILITY_INTERNAL,
         "Alacsony nyomás a kazánban", "Töltse fel a rendszert 1,5 barra.");

  // The accusative and the instrumental find the nominative, and no
  // accents find accented words.
  for (const std::string query : {"nyomtatót", "nyomtatóval", "nyomtatok", "NYOMTATÓK"}) {
    SCOPED_TRACE(query);
    const auto found = Search(query);
    EXPECT_EQ(Slugs(found), std::set<std::string>{"nyomtato-nem-nyomtat"});
  }
  const auto found = Search("nyomtatót");
  ASSERT_EQ(found.matches_size(), 1);
  EXPECT_GT(found.matches(0).rank(), 0);
  EXPECT_TRUE(Contains(found.matches(0).snippet(), "<mark>nyomtató</mark>"))
      << found.matches(0).snippet();
  EXPECT_TRUE(found.matches(0).article().body().empty());  // matches come without bodies
  EXPECT_EQ(Slugs(Search("alacsony nyomást")), std::set<std::string>{"kazan-nyomas"});
  // English stems English: "printers" finds "printer", not the Hungarian one.
  EXPECT_EQ(Slugs(Search("printers spooler")), std::set<std::string>{"printer-offline"});
  EXPECT_EQ(Slugs(Search("\"print spooler\" -nyomtató")), std::set<std::string>{"printer-offline"});
  // The title weighs more than the body.
  Create(agent.token, "tapkabel", "hu", hv1::ARTICLE_VISIBILITY_PUBLIC, "Tápkábel csere",
         "A régi kábelt húzza ki.");
  const auto ranked = Search("tápkábel");
  ASSERT_EQ(ranked.matches_size(), 2);
  EXPECT_EQ(ranked.matches(0).article().slug(), "tapkabel");

  // Only bound parameters: a query full of SQL is just words.
  EXPECT_TRUE(Search("'; DROP TABLE helpdesk.article; --").matches().empty());
  EXPECT_EQ(Articles(), 4);

  hv1::SearchArticlesRequest bad;
  bad.set_query("nyomtató");
  bad.set_language("de");
  hv1::SearchArticlesResponse none;
  const auto refused = kb_->SearchArticles(As(agent.token).get(), bad, &none);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(refused.error_message(), "language")) << refused.error_message();
}

TEST_F(KnowledgeBaseTest, EveryUpdateIsANewVersionAndTheEarlierOnesStayReadable) {
  Begin();
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  const auto first = Create(agent.token, "radiator", "hu", hv1::ARTICLE_VISIBILITY_INTERNAL,
                            "Radiátor légtelenítése", "Nyissa ki a szelepet.");
  EXPECT_EQ(first.version(), 1);
  EXPECT_EQ(first.author_user_id(), agent.id);

  hv1::UpdateArticleRequest update;
  update.mutable_article()->set_id(first.id());
  update.mutable_article()->set_etag(first.etag());
  update.mutable_article()->set_body("Kapcsolja ki a szivattyút, majd nyissa ki a szelepet.");
  update.mutable_article()->add_tags("Fűtés");
  update.mutable_article()->add_tags("Fűtés");
  update.mutable_update_mask()->add_paths("body");
  update.mutable_update_mask()->add_paths("tags");
  hv1::Article second;
  ASSERT_TRUE(kb_->UpdateArticle(As(agent.token).get(), update, &second).ok());
  EXPECT_EQ(second.version(), 2);
  EXPECT_EQ(second.title(), "Radiátor légtelenítése");  // not in the mask: kept
  ASSERT_EQ(second.tags_size(), 1);
  EXPECT_EQ(second.tags(0), "fűtés");  // ASCII lowered only; one of the repeats
  // The first etag is stale now.
  hv1::Article stale;
  EXPECT_EQ(kb_->UpdateArticle(As(agent.token).get(), update, &stale).error_code(),
            grpc::StatusCode::ABORTED);

  hv1::GetArticleRequest get;
  get.set_id(first.id());
  get.set_version(1);
  hv1::Article earlier;
  ASSERT_TRUE(kb_->GetArticle(As().get(), get, &earlier).ok());
  EXPECT_EQ(earlier.version(), 1);
  EXPECT_EQ(earlier.body(), "Nyissa ki a szelepet.");
  EXPECT_EQ(earlier.tags_size(), 0);
  get.set_version(3);
  EXPECT_EQ(kb_->GetArticle(As().get(), get, &earlier).error_code(), grpc::StatusCode::NOT_FOUND);
  hv1::GetArticleRequest by_slug;
  by_slug.set_slug("radiator");
  hv1::Article current;
  ASSERT_TRUE(kb_->GetArticle(As().get(), by_slug, &current).ok());
  EXPECT_EQ(current.version(), 2);

  hv1::ListArticleVersionsRequest versions_request;
  versions_request.set_id(first.id());
  hv1::ListArticleVersionsResponse versions;
  ASSERT_TRUE(kb_->ListArticleVersions(As().get(), versions_request, &versions).ok());
  ASSERT_EQ(versions.versions_size(), 2);
  EXPECT_EQ(versions.versions(0).version(), 2);
  EXPECT_EQ(versions.versions(1).body(), "Nyissa ki a szelepet.");

  // The search reads the current text only.
  EXPECT_EQ(Slugs(Search("szivattyú")), std::set<std::string>{"radiator"});

  // Bad input names the field and writes nothing.
  const auto versions_before =
      QueryScalar(conninfo_, "SELECT count(*) FROM helpdesk.article_version");
  hv1::UpdateArticleRequest bad;
  bad.mutable_article()->set_id(first.id());
  bad.mutable_article()->set_language("de");
  bad.mutable_update_mask()->add_paths("language");
  hv1::Article unchanged;
  auto status = kb_->UpdateArticle(As(agent.token).get(), bad, &unchanged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(status.error_message(), "article.language")) << status.error_message();
  for (const std::string slug : {"Nagybetű", "-kotojel", "van szokoz"}) {
    hv1::CreateArticleRequest create;
    create.mutable_article()->set_slug(slug);
    create.mutable_article()->set_title("Cím");
    create.mutable_article()->set_language("hu");
    hv1::Article article;
    status = kb_->CreateArticle(As(agent.token).get(), create, &article);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << slug;
    EXPECT_TRUE(Contains(status.error_message(), "article.slug")) << status.error_message();
  }
  hv1::CreateArticleRequest taken;
  taken.mutable_article()->set_slug("radiator");
  taken.mutable_article()->set_title("Másik");
  taken.mutable_article()->set_language("en");
  hv1::Article duplicate;
  status = kb_->CreateArticle(As(agent.token).get(), taken, &duplicate);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(Contains(status.error_message(), "article.slug")) << status.error_message();
  EXPECT_EQ(Articles(), 1);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM helpdesk.article_version"),
            versions_before);

  // Archived: out of lists and searches, still readable by id.
  hv1::ArchiveArticleRequest archive;
  archive.set_id(first.id());
  hv1::Article archived;
  ASSERT_TRUE(kb_->ArchiveArticle(As(agent.token).get(), archive, &archived).ok());
  EXPECT_TRUE(archived.archived());
  EXPECT_TRUE(Search("szivattyú").matches().empty());
  hv1::ListArticlesResponse listed;
  ASSERT_TRUE(kb_->ListArticles(As().get(), hv1::ListArticlesRequest(), &listed).ok());
  EXPECT_EQ(listed.articles_size(), 0);
  get.set_version(0);
  ASSERT_TRUE(kb_->GetArticle(As().get(), get, &current).ok());
  EXPECT_TRUE(current.archived());

  // Restored: back in lists and searches under its own slug. An old etag is
  // refused and changes nothing; a second restore is a no-op.
  hv1::RestoreArticleRequest restore;
  restore.set_id(first.id());
  restore.set_etag(first.etag());
  hv1::Article restored;
  status = kb_->RestoreArticle(As(agent.token).get(), restore, &restored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
  ASSERT_TRUE(kb_->GetArticle(As().get(), get, &current).ok());
  EXPECT_TRUE(current.archived());
  restore.set_etag(archived.etag());
  ASSERT_TRUE(kb_->RestoreArticle(As(agent.token).get(), restore, &restored).ok());
  EXPECT_FALSE(restored.archived());
  EXPECT_EQ(restored.slug(), first.slug());
  EXPECT_NE(restored.etag(), archived.etag());
  EXPECT_EQ(Search("szivattyú").matches_size(), 1);
  ASSERT_TRUE(kb_->ListArticles(As().get(), hv1::ListArticlesRequest(), &listed).ok());
  EXPECT_EQ(listed.articles_size(), 1);
  restore.clear_etag();
  hv1::Article again;
  ASSERT_TRUE(kb_->RestoreArticle(As(agent.token).get(), restore, &again).ok());
  EXPECT_EQ(again.etag(), restored.etag());
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT (SELECT count(*) FROM kernel.event WHERE topic = "
                        "'helpdesk.article.restored') + (SELECT count(*) FROM "
                        "kernel.event_outbox WHERE topic = 'helpdesk.article.restored')"),
            "1");
}

TEST_F(KnowledgeBaseTest, ATicketShowsTheArticlesItWasSolvedWith) {
  Begin();
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  const auto salesperson = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto article = Create(agent.token, "kazan-e03", "hu", hv1::ARTICLE_VISIBILITY_INTERNAL,
                              "E03 hibakód", "Gyújtáshiba.");
  hv1::CreateTicketRequest create;
  create.mutable_ticket()->set_subject("Nem indul a kazán");
  hv1::Ticket ticket;
  ASSERT_TRUE(tickets_->CreateTicket(As(agent.token).get(), create, &ticket).ok());

  hv1::LinkArticleRequest link;
  link.set_ticket_id(ticket.id());
  link.set_article_id(article.id());
  hv1::ArticleLink linked;
  ASSERT_TRUE(kb_->LinkArticle(As(agent.token).get(), link, &linked).ok());
  EXPECT_EQ(linked.linked_by_user_id(), agent.id);
  // Again: the same link, no second event.
  ASSERT_TRUE(kb_->LinkArticle(As(agent.token).get(), link, &linked).ok());
  EXPECT_EQ(
      QueryScalar(conninfo_,
                  "SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT "
                  "topic FROM kernel.event_outbox) e WHERE topic = 'helpdesk.article.linked'"),
      "1");

  hv1::GetTicketRequest get_ticket;
  get_ticket.set_id(ticket.id());
  hv1::Ticket shown;
  ASSERT_TRUE(tickets_->GetTicket(As(agent.token).get(), get_ticket, &shown).ok());
  ASSERT_EQ(shown.solution_article_ids_size(), 1);
  EXPECT_EQ(shown.solution_article_ids(0), article.id());
  hv1::GetArticleRequest get_article;
  get_article.set_id(article.id());
  hv1::Article with_tickets;
  ASSERT_TRUE(kb_->GetArticle(As().get(), get_article, &with_tickets).ok());
  ASSERT_EQ(with_tickets.ticket_ids_size(), 1);
  EXPECT_EQ(with_tickets.ticket_ids(0), ticket.id());

  // A ticket out of the caller's sight, and bad ids, name the field.
  hv1::LinkArticleRequest bad = link;
  bad.set_article_id(article.id() + 100);
  auto status = kb_->LinkArticle(As(agent.token).get(), bad, &linked);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(status.error_message(), "article_id")) << status.error_message();
  bad = link;
  bad.set_ticket_id(0);
  status = kb_->LinkArticle(As(agent.token).get(), bad, &linked);
  EXPECT_TRUE(Contains(status.error_message(), "ticket_id")) << status.error_message();
  EXPECT_EQ(kb_->LinkArticle(As(salesperson.token).get(), link, &linked).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A salesperson does not see the ticket, so not its link either; an
  // external partner it is shared with sees the public articles only.
  ASSERT_TRUE(kb_->GetArticle(As(salesperson.token).get(), get_article, &with_tickets).ok());
  EXPECT_EQ(with_tickets.ticket_ids_size(), 0);
  const auto subcontractor = NewColleague("szerviz@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  hv1::ShareTicketRequest share;
  share.set_id(ticket.id());
  share.set_user_id(subcontractor.id);
  ASSERT_TRUE(tickets_->ShareTicket(As(agent.token).get(), share, &shown).ok());
  const auto guide = Create(agent.token, "e03-ugyfeleknek", "hu", hv1::ARTICLE_VISIBILITY_PUBLIC,
                            "E03: mit tehet Ön?", "Ellenőrizze a gázcsapot.");
  hv1::LinkArticleRequest link_guide;
  link_guide.set_ticket_id(ticket.id());
  link_guide.set_article_id(guide.id());
  ASSERT_TRUE(kb_->LinkArticle(As(agent.token).get(), link_guide, &linked).ok());
  ASSERT_TRUE(tickets_->GetTicket(As(subcontractor.token).get(), get_ticket, &shown).ok());
  ASSERT_EQ(shown.solution_article_ids_size(), 1);
  EXPECT_EQ(shown.solution_article_ids(0), guide.id());
  ASSERT_TRUE(tickets_->GetTicket(As(agent.token).get(), get_ticket, &shown).ok());
  EXPECT_EQ(shown.solution_article_ids_size(), 2);

  hv1::UnlinkArticleRequest unlink;
  unlink.set_ticket_id(ticket.id());
  unlink.set_article_id(article.id());
  ASSERT_TRUE(kb_->UnlinkArticle(As(agent.token).get(), unlink, &linked).ok());
  EXPECT_FALSE(linked.has_link_time());
  ASSERT_TRUE(tickets_->GetTicket(As(agent.token).get(), get_ticket, &shown).ok());
  ASSERT_EQ(shown.solution_article_ids_size(), 1);
  EXPECT_EQ(shown.solution_article_ids(0), guide.id());
}

TEST_F(KnowledgeBaseTest, ExternalPartnersSeeOnlyPublicArticlesAndOnlySupportWrites) {
  Begin();
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  const auto salesperson = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto partner = NewColleague("szerviz@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto open = Create(agent.token, "nyitott", "hu", hv1::ARTICLE_VISIBILITY_PUBLIC,
                           "Kazán karbantartás", "Évente egyszer.");
  const auto internal = Create(agent.token, "belso", "hu", hv1::ARTICLE_VISIBILITY_INTERNAL,
                               "Kazán garancia belső szabály", "Csak kollégáknak.");

  hv1::ListArticlesResponse listed;
  ASSERT_TRUE(kb_->ListArticles(As(partner.token).get(), hv1::ListArticlesRequest(), &listed).ok());
  ASSERT_EQ(listed.articles_size(), 1);
  EXPECT_EQ(listed.articles(0).slug(), "nyitott");
  ASSERT_TRUE(
      kb_->ListArticles(As(salesperson.token).get(), hv1::ListArticlesRequest(), &listed).ok());
  EXPECT_EQ(listed.articles_size(), 2);
  EXPECT_EQ(Slugs(Search("kazán", partner.token)), std::set<std::string>{"nyitott"});
  EXPECT_EQ(Slugs(Search("kazán", salesperson.token)), (std::set<std::string>{"nyitott", "belso"}));

  hv1::GetArticleRequest get;
  get.set_id(internal.id());
  hv1::Article article;
  EXPECT_EQ(kb_->GetArticle(As(partner.token).get(), get, &article).error_code(),
            grpc::StatusCode::NOT_FOUND);
  hv1::ListArticleVersionsRequest versions;
  versions.set_id(internal.id());
  hv1::ListArticleVersionsResponse none;
  EXPECT_EQ(kb_->ListArticleVersions(As(partner.token).get(), versions, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(kb_->GetArticle(As(salesperson.token).get(), get, &article).ok());
  get.set_id(open.id());
  EXPECT_TRUE(kb_->GetArticle(As(partner.token).get(), get, &article).ok());

  for (const auto* who : {&salesperson, &partner}) {
    hv1::CreateArticleRequest create;
    create.mutable_article()->set_slug("tilos");
    create.mutable_article()->set_title("Tilos");
    create.mutable_article()->set_language("hu");
    EXPECT_EQ(kb_->CreateArticle(As(who->token).get(), create, &article).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(Articles(), 2);
}

TEST_F(KnowledgeBaseTest, PublicArticlesAreEscapedHtmlPagesWithCachingAndInternalOnesAre404) {
  Begin();
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  const auto article =
      Create(agent.token, "script-proba", "en", hv1::ARTICLE_VISIBILITY_PUBLIC,
             "<script>alert(\"title\")</script> & co",
             "First <b>paragraph</b>\nsecond line.\n\nSecond paragraph: <img src=x onerror=y>");
  Create(agent.token, "belso-cikk", "hu", hv1::ARTICLE_VISIBILITY_INTERNAL, "Belső titok",
         "Csak kollégáknak.");

  const auto page = HttpExchange(kartond_->HttpAddress(), "GET", "/kb/script-proba", {}, "");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Contains(page.headers.at("content-type"), "text/html"));
  EXPECT_EQ(page.headers.at("cache-control"), "public, max-age=300");
  ASSERT_EQ(page.headers.count("etag"), 1u);
  EXPECT_FALSE(Contains(page.body, "<script>"));
  EXPECT_FALSE(Contains(page.body, "<img"));
  EXPECT_FALSE(Contains(page.body, "<b>"));
  EXPECT_TRUE(Contains(page.body,
                       "<h1>&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; "
                       "&amp; co</h1>"))
      << page.body;
  EXPECT_TRUE(Contains(page.body, "<p>First &lt;b&gt;paragraph&lt;/b&gt;<br>\nsecond line.</p>"))
      << page.body;
  EXPECT_TRUE(Contains(page.body, "<html lang=\"en\">"));

  // The same page again with its ETag: 304 and no body.
  const auto again = HttpExchange(kartond_->HttpAddress(), "GET", "/kb/script-proba",
                                  {{"If-None-Match", page.headers.at("etag")}}, "");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  // A new version is a new ETag.
  hv1::UpdateArticleRequest update;
  update.mutable_article()->set_id(article.id());
  update.mutable_article()->set_body("Changed.");
  update.mutable_update_mask()->add_paths("body");
  hv1::Article changed;
  ASSERT_TRUE(kb_->UpdateArticle(As(agent.token).get(), update, &changed).ok());
  const auto fresh = HttpExchange(kartond_->HttpAddress(), "GET", "/kb/script-proba",
                                  {{"If-None-Match", page.headers.at("etag")}}, "");
  EXPECT_EQ(fresh.status, 200);
  EXPECT_NE(fresh.headers.at("etag"), page.headers.at("etag"));

  std::string body;
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/belso-cikk", body), 404);
  EXPECT_FALSE(Contains(body, "Belső titok"));
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/nincs-ilyen", body), 404);

  const auto index = HttpExchange(kartond_->HttpAddress(), "GET", "/kb", {}, "");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.headers.at("cache-control"), "public, max-age=300");
  EXPECT_TRUE(Contains(index.body, "<a href=\"/kb/script-proba\">&lt;script&gt;")) << index.body;
  EXPECT_FALSE(Contains(index.body, "belso-cikk"));
  EXPECT_FALSE(Contains(index.body, "<script>"));

  hv1::ArchiveArticleRequest archive;
  archive.set_id(article.id());
  ASSERT_TRUE(kb_->ArchiveArticle(As(agent.token).get(), archive, &changed).ok());
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/script-proba", body), 404);
}

// /kb lists titles in Hungarian order (Á with A, Ö after O, "Cs" after
// "Cz"), and a renamed article's old address redirects to its new one for
// good, while an archived or internal article's old address stays 404.
TEST_F(KnowledgeBaseTest, TheIndexIsInHungarianOrderAndARenamedArticleKeepsItsOldAddress) {
  Begin();
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  for (const auto& [slug, title] :
       std::vector<std::pair<std::string, std::string>>{{"zar", "Zár csere"},
                                                        {"olaj", "Olajszűrő"},
                                                        {"ontozes", "Öntözés"},
                                                        {"agy", "Ágyneműtartó"},
                                                        {"csap", "Csaptelep"},
                                                        {"czukor", "Czukor"},
                                                        {"butor", "Bútorlap"}}) {
    Create(agent.token, slug, "hu", hv1::ARTICLE_VISIBILITY_PUBLIC, title, "Szöveg.");
  }
  const auto index = HttpExchange(kartond_->HttpAddress(), "GET", "/kb", {}, "");
  ASSERT_EQ(index.status, 200);
  std::vector<std::size_t> positions;
  for (const char* title :
       {"Ágyneműtartó", "Bútorlap", "Czukor", "Csaptelep", "Olajszűrő", "Öntözés", "Zár csere"}) {
    positions.push_back(index.body.find(title));
    ASSERT_NE(positions.back(), std::string::npos) << title << "\n" << index.body;
  }
  EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end())) << index.body;

  // Renamed twice: both old addresses lead to the current one.
  auto article = Create(agent.token, "regi-cim", "hu", hv1::ARTICLE_VISIBILITY_PUBLIC,
                        "Radiátor légtelenítése", "Lépésről lépésre.");
  for (const char* slug : {"kozepso-cim", "radiator-legtelenitese"}) {
    hv1::UpdateArticleRequest rename;
    rename.mutable_article()->set_id(article.id());
    rename.mutable_article()->set_slug(slug);
    rename.mutable_update_mask()->add_paths("slug");
    ASSERT_TRUE(kb_->UpdateArticle(As(agent.token).get(), rename, &article).ok());
  }
  for (const char* old_address : {"/kb/regi-cim", "/kb/kozepso-cim"}) {
    const auto moved = HttpExchange(kartond_->HttpAddress(), "GET", old_address, {}, "");
    EXPECT_EQ(moved.status, 301) << old_address << ": " << moved.body;
    EXPECT_EQ(moved.headers.count("location") ? moved.headers.at("location") : "",
              "/kb/radiator-legtelenitese");
  }
  std::string body;
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/radiator-legtelenitese", body), 200);

  // Internal now: the old addresses no longer give it away.
  hv1::UpdateArticleRequest hide;
  hide.mutable_article()->set_id(article.id());
  hide.mutable_article()->set_visibility(hv1::ARTICLE_VISIBILITY_INTERNAL);
  hide.mutable_update_mask()->add_paths("visibility");
  ASSERT_TRUE(kb_->UpdateArticle(As(agent.token).get(), hide, &article).ok());
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/regi-cim", body), 404);
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/nincs-is-ilyen", body), 404);
}

TEST_F(KnowledgeBaseTest, TheDemoHasPublicAndInternalArticlesInBothLanguages) {
  Begin({"--demo"});
  hv1::ListArticlesResponse listed;
  ASSERT_TRUE(kb_->ListArticles(As().get(), hv1::ListArticlesRequest(), &listed).ok());
  std::set<std::string> kinds;
  for (const auto& article : listed.articles()) {
    kinds.insert(article.language() + "/" +
                 (article.visibility() == hv1::ARTICLE_VISIBILITY_PUBLIC ? "public" : "internal"));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"hu/public", "hu/internal", "en/public", "en/internal"}));
  hv1::GetArticleRequest get;
  get.set_slug("radiator-legtelenitese");
  hv1::Article radiator;
  ASSERT_TRUE(kb_->GetArticle(As().get(), get, &radiator).ok());
  EXPECT_EQ(radiator.version(), 2);
  EXPECT_EQ(radiator.ticket_ids_size(), 1);
  EXPECT_EQ(Slugs(Search("radiátorok légtelenítésével")),
            std::set<std::string>{"radiator-legtelenitese"});
  std::string body;
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/radiator-legtelenitese", body), 200);
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/kb/kazan-e03-hibakod", body), 404);
}

// karton kb: written, changed, shown, searched and listed from the command line.
TEST_F(KnowledgeBaseTest, CommandLineWritesShowsAndSearchesArticles) {
  ::setenv("KARTON_CHECK_RPC_DECLARATIONS", "1", 1);
  Begin();
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path()) + " ";
  const auto json = [&karton](const std::string& arguments) {
    const auto [exit_code, output] = RunCommand(karton + "--output json " + arguments);
    EXPECT_EQ(exit_code, 0) << arguments << ":\n" << output;
    return exit_code == 0 ? ParseObject(output) : boost::json::object{};
  };
  const auto created = json(
      "kb create --slug nyomtato --title 'A nyomtató nem nyomtat' --language hu --visibility "
      "public --tag nyomtató --tag iroda --body 'Kapcsolja ki a nyomtatót.'");
  const std::string id = Field(created, "id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Field(created, "visibility"), "ARTICLE_VISIBILITY_PUBLIC");
  EXPECT_EQ(Count(created, "tags"), 2u);
  const auto updated = json(fmt::format("kb update {} --etag '{}' --title 'Nem nyomtat a nyomtató'",
                                        id, Field(created, "etag")));
  EXPECT_EQ(Field(updated, "title"), "Nem nyomtat a nyomtató");
  EXPECT_EQ(updated.at("version").to_number<int>(), 2);
  const auto first = json("kb show nyomtato --version 1");
  EXPECT_EQ(Field(first, "title"), "A nyomtató nem nyomtat");
  const auto found = json("kb search nyomtatóval");
  ASSERT_EQ(Count(found, "matches"), 1u) << boost::json::serialize(found);
  const auto listed = json("kb list --language hu");
  EXPECT_EQ(Count(listed, "articles"), 1u);
  const auto [table_exit, table] = RunCommand(karton + "kb search nyomtatót 2>&1");
  EXPECT_EQ(table_exit, 0) << table;
  EXPECT_TRUE(Contains(table, "nyomtato (hu")) << table;
  const auto [versions_exit, versions] = RunCommand(karton + "kb versions " + id + " 2>&1");
  EXPECT_EQ(versions_exit, 0) << versions;
  const auto [bad_exit, bad] =
      RunCommand(karton + "kb create --slug 'Rossz Cím' --title x --language hu 2>&1");
  EXPECT_EQ(bad_exit, 1) << bad;
  EXPECT_TRUE(Contains(bad, "article.slug")) << bad;
  ::unsetenv("KARTON_CHECK_RPC_DECLARATIONS");
}

}  // namespace
}  // namespace karton::testing
