// karton kb ...: the helpdesk's knowledge base (docs/helpdesk.md,
// "Knowledge base").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/helpdesk/v1/knowledge_base_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace hv1 = helpdesk::v1;
using Kb = hv1::KnowledgeBaseService::Stub;

const std::vector<std::string> kLanguages = {"hu", "en"};
const std::vector<std::string> kVisibilities = {"internal", "public"};

struct Options {
  std::string article;  // an id or a slug
  std::int64_t id = 0, ticket = 0;
  int version = 0, limit = 50;
  std::string etag, slug, title, body, body_file, language, visibility, tag, query, page_token;
  std::vector<std::string> tags;
  bool archived = false;
};

std::string Tags(const hv1::Article& article) {
  std::string tags;
  for (const auto& tag : article.tags()) tags += (tags.empty() ? "" : ", ") + tag;
  return tags;
}

void PrintArticle(const hv1::Article& article) {
  std::cout << fmt::format("article {} ({}), version {}{}: {}\n", article.slug(), article.id(),
                           article.version(), article.archived() ? " (archived)" : "",
                           article.title());
  std::string tickets;
  for (const auto id : article.ticket_ids()) {
    tickets += (tickets.empty() ? "" : ", ") + std::to_string(id);
  }
  Lines("language", article.language(), "visibility",
        Word(article.visibility(), "ARTICLE_VISIBILITY_"), "tags", Tags(article), "author",
        Id(article.author_user_id()), "solved", tickets, "written", Time(article.update_time()),
        "etag", article.etag());
  if (!article.body().empty()) std::cout << "\n" << article.body() << "\n";
}

void PrintArticles(const hv1::ListArticlesResponse& response) {
  constexpr auto kRow = "{:>6}  {:<32} {:<4} {:<9} {:>3}  {}\n";
  std::cout << fmt::format(kRow, "ID", "SLUG", "LANG", "VISIBLE", "VER", "TITLE");
  for (const auto& article : response.articles()) {
    std::cout << fmt::format(kRow, article.id(), Cut(article.slug(), 32), article.language(),
                             Word(article.visibility(), "ARTICLE_VISIBILITY_"), article.version(),
                             Cut(article.title(), 50) + (article.archived() ? " (archived)" : ""));
  }
  MorePages(response.next_page_token());
}

void PrintVersions(const hv1::ListArticleVersionsResponse& response) {
  constexpr auto kRow = "{:>3}  {:<16} {:>6}  {}\n";
  std::cout << fmt::format(kRow, "VER", "WRITTEN", "AUTHOR", "TITLE");
  for (const auto& version : response.versions()) {
    std::cout << fmt::format(kRow, version.version(), Time(version.update_time()),
                             Id(version.author_user_id()), Cut(version.title(), 50));
  }
}

void PrintMatches(const hv1::SearchArticlesResponse& response) {
  for (const auto& match : response.matches()) {
    std::cout << fmt::format("{:>6}  {} ({}, {:.3f}): {}\n", match.article().id(),
                             match.article().slug(), match.article().language(), match.rank(),
                             match.article().title());
    if (!match.snippet().empty()) std::cout << "        " << Cut(match.snippet(), 200) << "\n";
  }
  if (response.matches().empty()) std::cout << "nothing found\n";
}

void PrintLink(const hv1::ArticleLink& link) {
  std::cout << fmt::format("article {} {} ticket {}\n", link.article_id(),
                           link.has_link_time() ? "solved" : "is not linked to", link.ticket_id());
}

// The body: --body, or the text of --body-file.
std::string BodyOf(const Options& given) {
  if (given.body_file.empty()) return given.body;
  std::ifstream file(given.body_file, std::ios::binary);
  if (!file) throw UsageError("cannot read --body-file " + given.body_file);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace

void AddKnowledgeBaseCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* kb = app.add_subcommand("kb", "The helpdesk's knowledge base")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(kb->add_subcommand("list", "Articles, oldest first"),
                    {"karton.helpdesk.v1.KnowledgeBaseService/ListArticles"});
  AddChoice(list, "--language", bound->language, kLanguages);
  AddChoice(list, "--visibility", bound->visibility, kVisibilities);
  list->add_option("--tag", bound->tag, "With this tag");
  list->add_flag("--archived", bound->archived, "Archived ones too");
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    hv1::ListArticlesRequest request;
    request.set_language(bound->language);
    request.set_visibility(
        FromWord<hv1::ArticleVisibility>(bound->visibility, "ARTICLE_VISIBILITY_"));
    request.set_tag(bound->tag);
    request.set_include_archived(bound->archived);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Kb::ListArticles, request, PrintArticles);
  }));

  auto* show = Rpcs(kb->add_subcommand("show", "One article, or an earlier version of it"),
                    {"karton.helpdesk.v1.KnowledgeBaseService/GetArticle"});
  show->add_option("article", bound->article, "Its id or slug (digits only: the id)")->required();
  show->add_option("--version", bound->version, "An earlier version");
  show->callback(Run(options, exit_code, [&options, bound] {
    hv1::GetArticleRequest request;
    if (IsNumber(bound->article)) {
      request.set_id(std::stoll(bound->article));
    } else {
      request.set_slug(bound->article);
    }
    request.set_version(bound->version);
    return Call(options, &Kb::GetArticle, request, PrintArticle);
  }));

  const auto text_flags = [bound](CLI::App* command) {
    command->add_option("--slug", bound->slug, "Its address: /kb/<slug> (a-z, 0-9, -)");
    command->add_option("--title", bound->title, "The title");
    command->add_option("--body", bound->body, "The text; blank lines separate paragraphs");
    command->add_option("--body-file", bound->body_file, "The text from this file")
        ->excludes(command->get_option("--body"));
    AddChoice(command, "--language", bound->language, kLanguages);
    AddChoice(command, "--visibility", bound->visibility, kVisibilities);
    command->add_option("--tag", bound->tags, "A tag (repeat for more)");
  };
  const auto fill = [](const Options& given, hv1::Article& article) {
    article.set_slug(given.slug);
    article.set_title(given.title);
    article.set_body(BodyOf(given));
    article.set_language(given.language);
    article.set_visibility(
        FromWord<hv1::ArticleVisibility>(given.visibility, "ARTICLE_VISIBILITY_"));
    for (const auto& tag : given.tags) article.add_tags(tag);
  };

  auto* create = Rpcs(kb->add_subcommand("create", "A new article (version 1)"),
                      {"karton.helpdesk.v1.KnowledgeBaseService/CreateArticle"});
  text_flags(create);
  create->get_option("--slug")->required();
  create->get_option("--title")->required();
  create->get_option("--language")->required();
  create->callback(Run(options, exit_code, [&options, bound, fill] {
    hv1::CreateArticleRequest request;
    fill(*bound, *request.mutable_article());
    return Call(options, &Kb::CreateArticle, request, PrintArticle);
  }));

  auto* update = Rpcs(kb->add_subcommand("update", "Change an article: a new version"),
                      {"karton.helpdesk.v1.KnowledgeBaseService/UpdateArticle"});
  update->add_option("id", bound->id)->required();
  update->add_option("--etag", bound->etag, "From `show`; refused (ABORTED) when it changed since");
  text_flags(update);
  update->callback(Run(options, exit_code, [&options, bound, fill, update] {
    hv1::UpdateArticleRequest request;
    auto& article = *request.mutable_article();
    fill(*bound, article);
    article.set_id(bound->id);
    article.set_etag(bound->etag);
    MaskGiven(update, *request.mutable_update_mask(),
              {{"--slug", "slug"},
               {"--title", "title"},
               {"--body", "body"},
               {"--body-file", "body"},
               {"--language", "language"},
               {"--visibility", "visibility"},
               {"--tag", "tags"}});
    return Call(options, &Kb::UpdateArticle, request, PrintArticle);
  }));

  auto* search = Rpcs(kb->add_subcommand("search", "Full text search, best match first"),
                      {"karton.helpdesk.v1.KnowledgeBaseService/SearchArticles"});
  search->add_option("query", bound->query, "Words as in a web search: \"paper jam\" -toner")
      ->required();
  AddChoice(search, "--language", bound->language, kLanguages);
  search->add_option("--tag", bound->tag, "With this tag");
  search->add_option("--limit", bound->limit, "At most 100")->capture_default_str();
  search->callback(Run(options, exit_code, [&options, bound] {
    hv1::SearchArticlesRequest request;
    request.set_query(bound->query);
    request.set_language(bound->language);
    request.set_tag(bound->tag);
    request.set_page_size(bound->limit);
    return Call(options, &Kb::SearchArticles, request, PrintMatches);
  }));

  auto* versions = Rpcs(kb->add_subcommand("versions", "Every version of an article"),
                        {"karton.helpdesk.v1.KnowledgeBaseService/ListArticleVersions"});
  versions->add_option("id", bound->id)->required();
  versions->callback(Run(options, exit_code, [&options, bound] {
    hv1::ListArticleVersionsRequest request;
    request.set_id(bound->id);
    return Call(options, &Kb::ListArticleVersions, request, PrintVersions);
  }));

  auto* archive = Rpcs(kb->add_subcommand("archive", "Take it out of lists, search and /kb"),
                       {"karton.helpdesk.v1.KnowledgeBaseService/ArchiveArticle"});
  archive->add_option("id", bound->id)->required();
  archive->add_option("--etag", bound->etag, "From `show`");
  archive->callback(Run(options, exit_code, [&options, bound] {
    hv1::ArchiveArticleRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    return Call(options, &Kb::ArchiveArticle, request, PrintArticle);
  }));

  auto* restore = Rpcs(kb->add_subcommand("restore", "Bring an archived article back"),
                       {"karton.helpdesk.v1.KnowledgeBaseService/RestoreArticle"});
  restore->add_option("id", bound->id)->required();
  restore->add_option("--etag", bound->etag, "From `show`");
  restore->callback(Run(options, exit_code, [&options, bound] {
    hv1::RestoreArticleRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    return Call(options, &Kb::RestoreArticle, request, PrintArticle);
  }));

  auto* link = Rpcs(kb->add_subcommand("link", "Record that a ticket was solved with it"),
                    {"karton.helpdesk.v1.KnowledgeBaseService/LinkArticle"});
  link->add_option("id", bound->id, "The article")->required();
  link->add_option("--ticket", bound->ticket, "The ticket")->required();
  link->callback(Run(options, exit_code, [&options, bound] {
    hv1::LinkArticleRequest request;
    request.set_article_id(bound->id);
    request.set_ticket_id(bound->ticket);
    return Call(options, &Kb::LinkArticle, request, PrintLink);
  }));

  auto* unlink = Rpcs(kb->add_subcommand("unlink", "Take such a link back"),
                      {"karton.helpdesk.v1.KnowledgeBaseService/UnlinkArticle"});
  unlink->add_option("id", bound->id, "The article")->required();
  unlink->add_option("--ticket", bound->ticket, "The ticket")->required();
  unlink->callback(Run(options, exit_code, [&options, bound] {
    hv1::UnlinkArticleRequest request;
    request.set_article_id(bound->id);
    request.set_ticket_id(bound->ticket);
    return Call(options, &Kb::UnlinkArticle, request, PrintLink);
  }));
}

}  // namespace karton::cli
