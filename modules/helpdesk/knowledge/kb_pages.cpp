#include "knowledge/kb_pages.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>

#include "karton/kernel/database.h"
#include "knowledge/article_repository.h"

namespace karton::helpdesk {
namespace {

using kernel::HtmlEscaped;
using kernel::HttpRequest;
using kernel::HttpResponse;

// Public articles change seldom; a proxy or a browser may keep a page for
// five minutes and then ask again with If-None-Match.
constexpr char kCacheControl[] = "public, max-age=300";
// The most articles /kb lists.
constexpr int kMaxListed = 1000;

const char* LanguageName(const std::string& language) {
  return language == "hu" ? "Magyar" : "English";
}

// FNV-1a: a page's ETag, stable across builds and restarts.
std::string Etag(const std::string& body) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("\"{:016x}\"", hash);
}

HttpResponse Html(int status, std::string body) {
  return HttpResponse{status, "text/html; charset=utf-8", std::move(body), {}};
}

HttpResponse NotFoundPage() {
  HttpResponse response =
      Html(404, "<!doctype html><title>404</title><p>Nincs ilyen cikk. / No such article.</p>\n");
  response.headers["cache-control"] = "no-store";
  return response;
}

// 200 with the caching headers, or 304 when the client has this page.
HttpResponse Cached(const HttpRequest& request, std::string body) {
  const std::string etag = Etag(body);
  const auto sent = request.headers.find("if-none-match");
  HttpResponse response = Html(200, std::move(body));
  if (sent != request.headers.end() && sent->second == etag) {
    response.status = 304;
    response.body.clear();
  }
  response.headers["cache-control"] = kCacheControl;
  response.headers["etag"] = etag;
  return response;
}

// Paragraphs at blank lines, line breaks inside them kept.
std::string Paragraphs(const std::string& body) {
  std::string html;
  std::string paragraph;
  const auto flush = [&] {
    while (!paragraph.empty() && paragraph.back() == '\n') paragraph.pop_back();
    if (paragraph.empty()) return;
    std::string escaped = HtmlEscaped(paragraph);
    std::string lines;
    for (const char c : escaped) lines += c == '\n' ? std::string("<br>\n") : std::string(1, c);
    html += "<p>" + lines + "</p>\n";
    paragraph.clear();
  };
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      flush();
    } else {
      paragraph += line + "\n";
    }
    start = end + 1;
  }
  flush();
  return html;
}

std::string Page(const std::string& language, const std::string& title, const std::string& main) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n</head>\n<body>\n<main>\n{}</main>\n</body>\n</html>\n",
      HtmlEscaped(language), HtmlEscaped(title), main);
}

}  // namespace

std::string ArticlePage(const v1::Article& article) {
  std::string main =
      "<article>\n<h1>" + HtmlEscaped(article.title()) + "</h1>\n" + Paragraphs(article.body());
  if (article.tags_size() > 0) {
    std::string tags;
    for (const auto& tag : article.tags()) {
      tags += (tags.empty() ? "" : ", ") + HtmlEscaped(tag);
    }
    main += "<p class=\"tags\">" + tags + "</p>\n";
  }
  main += "</article>\n<p><a href=\"/kb\">" +
          std::string(article.language() == "hu" ? "Tudásbázis" : "Knowledge base") + "</a></p>\n";
  return Page(article.language(), article.title(), main);
}

std::string ArticleListPage(const std::vector<v1::Article>& articles) {
  std::string main = "<h1>Tudásbázis / Knowledge base</h1>\n";
  for (const char* language : {"hu", "en"}) {
    std::string items;
    for (const auto& article : articles) {
      if (article.language() != language) continue;
      items += fmt::format("<li><a href=\"/kb/{}\">{}</a></li>\n", HtmlEscaped(article.slug()),
                           HtmlEscaped(article.title()));
    }
    if (items.empty()) continue;
    main += fmt::format("<section lang=\"{}\">\n<h2>{}</h2>\n<ul>\n{}</ul>\n</section>\n", language,
                        LanguageName(language), items);
  }
  return Page("hu", "Tudásbázis / Knowledge base", main);
}

// A failing read (the database away) answers 503, never a 500.
HttpResponse KbPages::Guard(const HttpRequest& request,
                            HttpResponse (KbPages::*page)(const HttpRequest&)) {
  try {
    return (this->*page)(request);
  } catch (const std::exception& error) {
    parts_.log.error("knowledge base page failed: {}", kernel::DescribeDatabaseError(error));
    HttpResponse unavailable = HttpResponse::Text(503, "the knowledge base is not available now\n");
    unavailable.headers["retry-after"] = "5";
    return unavailable;
  }
}

HttpResponse KbPages::Index(const HttpRequest& request) {
  return Guard(request, &KbPages::ServeIndex);
}

HttpResponse KbPages::Show(const HttpRequest& request) {
  return Guard(request, &KbPages::ServeArticle);
}

HttpResponse KbPages::ServeIndex(const HttpRequest& request) {
  std::vector<v1::Article> articles;
  {
    auto lease = parts_.database.Acquire();
    articles = article_repository::ListPublicByTitle(lease.Session(), kMaxListed);
  }
  return Cached(request, ArticleListPage(articles));
}

HttpResponse KbPages::ServeArticle(const HttpRequest& request) {
  std::optional<v1::Article> article;
  {
    auto lease = parts_.database.Acquire();
    article = article_repository::FindBySlug(lease.Session(), request.path_params.at("slug"), true);
  }
  if (!article) {
    // A renamed article's old address: links and bookmarks keep working.
    std::optional<v1::Article> renamed;
    {
      auto lease = parts_.database.Acquire();
      renamed = article_repository::FindByFormerSlug(lease.Session(), request.path_params.at("slug"));
    }
    if (renamed) {
      const std::string location = "/kb/" + renamed->slug();
      HttpResponse moved{301, "text/plain; charset=utf-8", location + "\n", {}};
      moved.headers["location"] = location;
      return moved;
    }
  }
  if (!article || article->archived()) return NotFoundPage();
  return Cached(request, ArticlePage(*article));
}

}  // namespace karton::helpdesk
