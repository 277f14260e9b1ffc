// The public knowledge base on kartond's HTTP server (docs/helpdesk.md,
// "Knowledge base"):
//
//   GET /kb          the public articles, both languages, by title
//   GET /kb/<slug>   one public article as an HTML page
//
// Internal and archived articles are 404, as are slugs nobody uses. Every
// text from the database is HTML-escaped. Answers carry Cache-Control and
// an ETag (a hash of the page), and a matching If-None-Match is a 304.
#pragma once

#include <string>
#include <vector>

#include "karton/helpdesk/v1/knowledge_base_service.pb.h"
#include "karton/kernel/http.h"
#include "karton/kernel/service_parts.h"

namespace karton::helpdesk {

// The pages' HTML, for the pages and their tests.
std::string ArticlePage(const v1::Article& article);
std::string ArticleListPage(const std::vector<v1::Article>& articles);

class KbPages {
 public:
  explicit KbPages(kernel::ServiceParts parts) : parts_(parts) {}

  kernel::HttpResponse Index(const kernel::HttpRequest& request);
  kernel::HttpResponse Show(const kernel::HttpRequest& request);

 private:
  kernel::HttpResponse Guard(const kernel::HttpRequest& request,
                             kernel::HttpResponse (KbPages::*page)(const kernel::HttpRequest&));
  kernel::HttpResponse ServeIndex(const kernel::HttpRequest& request);
  kernel::HttpResponse ServeArticle(const kernel::HttpRequest& request);

  kernel::ServiceParts parts_;
};

}  // namespace karton::helpdesk
