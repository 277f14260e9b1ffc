// Knowledge base articles (helpdesk.article), their versions
// (helpdesk.article_version) and the tickets they solved
// (helpdesk.article_link). `public_only` hides internal articles: what an
// external partner and the public pages see.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/helpdesk/v1/knowledge_base_service.pb.h"
#include "karton/kernel/clock.h"
#include "scope.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk::article_repository {

// Version 1, recorded in article_version too; nullopt when the slug is taken.
std::optional<v1::Article> Insert(soci::session& session, const v1::Article& article,
                                  std::int64_t author_user_id, kernel::TimePoint now);
std::optional<v1::Article> Find(soci::session& session, std::int64_t id, bool public_only,
                                bool lock = false);
std::optional<v1::Article> FindBySlug(soci::session& session, const std::string& slug,
                                      bool public_only);
// Version `version` of article `id` (the article as a whole is visible).
// The public article, not archived, that had `slug` before a rename.
std::optional<v1::Article> FindByFormerSlug(soci::session& session, const std::string& slug);
// Public articles not archived, without bodies, by title in Hungarian order.
std::vector<v1::Article> ListPublicByTitle(soci::session& session, int limit);
std::optional<v1::Article> FindVersion(soci::session& session, std::int64_t id, int version,
                                       bool public_only);
// The next version of the text; nullopt when the slug is taken.
std::optional<v1::Article> Update(soci::session& session, const v1::Article& article,
                                  std::int64_t author_user_id, kernel::TimePoint now);
v1::Article Archive(soci::session& session, std::int64_t id, kernel::TimePoint now);
// Back out of the archive (archived = false), as it was.
v1::Article Restore(soci::session& session, std::int64_t id);

struct ListFilter {
  std::string language;    // "" or "hu"/"en"
  std::string visibility;  // "" or "internal"/"public"
  std::string tag;         // "" or a tag
  bool include_archived = false;
  bool public_only = false;
};
// Oldest first, ids above `after_id`, without bodies.
std::vector<v1::Article> List(soci::session& session, const ListFilter& filter,
                              std::int64_t after_id, int limit);
// Newest first, with bodies.
std::vector<v1::Article> Versions(soci::session& session, std::int64_t id);

// Best first: articles not archived whose text matches `query` (web search
// syntax) in their own language; the snippet as ts_headline gives it, the
// matches between \x02 and \x03.
std::vector<v1::ArticleMatch> Search(soci::session& session, const std::string& query,
                                     const ListFilter& filter, int limit);

// The tickets linked to the article that `scope` sees, oldest link first.
std::vector<std::int64_t> LinkedTickets(soci::session& session, std::int64_t article_id,
                                        const Scope& scope);
// Whether the link is new / was there.
bool Link(soci::session& session, std::int64_t ticket_id, std::int64_t article_id,
          std::int64_t user_id, kernel::TimePoint now, v1::ArticleLink& link);
bool Unlink(soci::session& session, std::int64_t ticket_id, std::int64_t article_id);
// The articles linked to the ticket, oldest link first.
std::vector<std::int64_t> TicketArticles(soci::session& session, std::int64_t ticket_id);

}  // namespace karton::helpdesk::article_repository
