#include "knowledge/article_repository.h"

#include "helpdesk_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::helpdesk::article_repository {
namespace {

// The article's columns; `body` is "a.body" or "''" (lists leave it out),
// `into` "" or "article." (a match's nested article).
std::string Columns(const std::string& body, const std::string& into) {
  const auto as = [&into](const std::string& field) { return " AS \"" + into + field + "\""; };
  return "a.id" + as("id") + ", a.slug" + as("slug") + ", a.title" + as("title") + ", " + body +
         as("body") + ", a.language" + as("language") + ", a.visibility" + as("visibility") +
         ", a.tags" + as("tags") + ", a.version" + as("version") + ", a.archived" + as("archived") +
         ", a.author_user_id" + as("author_user_id") + ", a.revision::text" + as("etag") +
         ", " KARTON_HELPDESK_MICROS("a.create_time") + as("create_time") +
         ", " KARTON_HELPDESK_MICROS("a.update_time") + as("update_time");
}

const std::string kWhole = Columns("a.body", "");
const std::string kSummary = Columns("''", "");

const kernel::TypedQuery<v1::Article> kInsert(
    "WITH a AS (INSERT INTO helpdesk.article (slug, title, body, language, visibility, tags, "
    "author_user_id, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6::text[], "
    "$7::bigint, " KARTON_HELPDESK_AT("$8") ", " KARTON_HELPDESK_AT(
        "$8") ") ON CONFLICT (slug) DO NOTHING RETURNING *), "
              "v AS (INSERT INTO helpdesk.article_version (article_id, version, slug, title, "
              "body, language, visibility, tags, author_user_id, create_time) SELECT id, "
              "version, slug, title, body, language, visibility, tags, author_user_id, "
              "update_time FROM a) SELECT " +
    kWhole + " FROM a");

const std::string kFind = "SELECT " + kWhole +
                          " FROM helpdesk.article a WHERE a.id = $1 "
                          "AND (NOT $2::boolean OR a.visibility = 'public')";
const kernel::TypedQuery<v1::Article> kFindArticle(kFind);
const kernel::TypedQuery<v1::Article> kFindLocked(kFind + " FOR UPDATE");
const kernel::TypedQuery<v1::Article> kFindBySlug(
    "SELECT " + kWhole +
    " FROM helpdesk.article a WHERE a.slug = $1 "
    "AND (NOT $2::boolean OR a.visibility = 'public')");

// A public article that once had the slug $1 and has another now (the
// newest version with that slug wins; an article holding it now is found
// by kFindBySlug first).
const kernel::TypedQuery<v1::Article> kFindByFormerSlug(
    "SELECT " + kWhole +
    " FROM helpdesk.article a WHERE a.visibility = 'public' AND NOT a.archived AND a.slug <> $1 "
    "AND a.id = (SELECT v.article_id FROM helpdesk.article_version v WHERE v.slug = $1 "
    "ORDER BY v.create_time DESC, v.article_id DESC LIMIT 1)");

// The public index: titles in Hungarian alphabetical order (á with a, ö
// after o, "cs" after "c"), whatever the language, by PostgreSQL's ICU.
const kernel::TypedQuery<v1::Article> kListPublicByTitle(
    "SELECT " + kSummary +
    " FROM helpdesk.article a WHERE a.visibility = 'public' AND NOT a.archived "
    "ORDER BY a.title COLLATE \"hu-HU-x-icu\", a.id LIMIT $1");

#define KARTON_VERSION_COLUMNS \
  "a.id, v.slug, v.title, v.body, v.language, v.visibility, v.tags, v.version, a.archived, "   \
  "v.author_user_id, a.revision::text AS etag, " KARTON_HELPDESK_MICROS(                       \
      "a.create_time") " AS create_time, " KARTON_HELPDESK_MICROS("v.create_time") " AS "      \
                       "update_time"

const kernel::TypedQuery<v1::Article> kFindVersion(
    "SELECT " KARTON_VERSION_COLUMNS
    " FROM helpdesk.article a JOIN helpdesk.article_version v ON v.article_id = a.id "
    "WHERE a.id = $1 AND v.version = $2::integer "
    "AND (NOT $3::boolean OR a.visibility = 'public')");
const kernel::TypedQuery<v1::Article> kVersions(
    "SELECT " KARTON_VERSION_COLUMNS
    " FROM helpdesk.article a JOIN helpdesk.article_version v ON v.article_id = a.id "
    "WHERE a.id = $1 ORDER BY v.version DESC");

const kernel::TypedQuery<v1::Article> kUpdate(
    "WITH a AS (UPDATE helpdesk.article a SET slug = $2, title = $3, body = $4, language = $5, "
    "visibility = $6, tags = $7::text[], author_user_id = $8::bigint, "
    "update_time = " KARTON_HELPDESK_AT("$9") ", version = a.version + 1, "
                                              "revision = a.revision + 1 WHERE a.id = $1 AND "
                                              "NOT EXISTS (SELECT 1 FROM helpdesk.article o "
                                              "WHERE o.id <> $1 AND o.slug = $2) RETURNING *), "
                                              "v AS (INSERT INTO helpdesk.article_version "
                                              "(article_id, version, slug, title, body, "
                                              "language, visibility, tags, author_user_id, "
                                              "create_time) SELECT id, version, slug, title, "
                                              "body, language, visibility, tags, "
                                              "author_user_id, update_time FROM a) SELECT " +
    kWhole + " FROM a");

const kernel::TypedQuery<v1::Article> kArchive(
    "UPDATE helpdesk.article a SET archived = true, revision = a.revision + 1 WHERE a.id = $1 "
    "RETURNING " +
    kWhole);

// The slug stays the article's (slugs are unique among archived ones too),
// so its address comes back with it.
const kernel::TypedQuery<v1::Article> kRestore(
    "UPDATE helpdesk.article a SET archived = false, revision = a.revision + 1 WHERE a.id = $1 "
    "RETURNING " +
    kWhole);

#define KARTON_ARTICLE_FILTER                                                              \
  "($1 = '' OR a.language = $1) AND ($2 = '' OR a.visibility = $2) AND ($3 = '' OR $3 = "  \
  "ANY(a.tags)) AND ($4::boolean OR NOT a.archived) AND (NOT $5::boolean OR a.visibility " \
  "= 'public')"

const kernel::TypedQuery<v1::Article> kList("SELECT " + kSummary +
                                            " FROM helpdesk.article a WHERE " KARTON_ARTICLE_FILTER
                                            " AND a.id > $6::bigint ORDER BY a.id LIMIT $7");

// Each article is matched in its own language; the two conditions can each
// use the GIN index on the document.
const kernel::TypedQuery<v1::ArticleMatch> kSearch(
    "SELECT " + Columns("''", "article.") +
    ", ts_rank(a.document, q.query) AS rank, "
    "ts_headline(helpdesk.article_config(a.language), a.body, q.query, "
    "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxFragments=2, MaxWords=25, "
    "MinWords=8, FragmentDelimiter=\" … \"') AS snippet "
    "FROM helpdesk.article a CROSS JOIN LATERAL (SELECT websearch_to_tsquery("
    "helpdesk.article_config(a.language), $6) AS query) q "
    "WHERE " KARTON_ARTICLE_FILTER
    " AND ((a.language = 'hu' AND a.document @@ websearch_to_tsquery('helpdesk.hungarian', $6)) "
    "OR (a.language = 'en' AND a.document @@ websearch_to_tsquery('helpdesk.english', $6))) "
    "ORDER BY rank DESC, a.id LIMIT $7");

const kernel::TypedQuery<v1::ArticleLink> kLink(
    "INSERT INTO helpdesk.article_link (ticket_id, article_id, linked_by_user_id, link_time) "
    "VALUES ($1, $2, $3::bigint, " KARTON_HELPDESK_AT(
        "$4") ") ON CONFLICT DO NOTHING RETURNING ticket_id, article_id, linked_by_user_id, "
              "" KARTON_HELPDESK_MICROS("link_time") " AS link_time");
const kernel::TypedQuery<v1::ArticleLink> kFindLink(
    "SELECT ticket_id, article_id, linked_by_user_id, " KARTON_HELPDESK_MICROS(
        "link_time") " AS link_time FROM helpdesk.article_link WHERE ticket_id = $1 AND "
                     "article_id = $2");

std::string Text(std::int64_t value) { return std::to_string(value); }
std::string Micros(kernel::TimePoint now) { return Text(kernel::ToEpochMicros(now)); }
std::string Visibility(const v1::Article& article) {
  return kernel::EnumWord(*v1::ArticleVisibility_descriptor(), article.visibility());
}
const char* Bool(bool value) { return value ? "true" : "false"; }

std::vector<std::int64_t> Ids(const kernel::QueryRows& rows) {
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row) {
    ids.push_back(std::stoll(std::string(rows.Text(row, 0))));
  }
  return ids;
}

}  // namespace

std::optional<v1::Article> Insert(soci::session& session, const v1::Article& article,
                                  std::int64_t author_user_id, kernel::TimePoint now) {
  return kInsert.One(session, {article.slug(), article.title(), article.body(), article.language(),
                               Visibility(article), kernel::TextArrayLiteral(article.tags()),
                               Text(author_user_id), Micros(now)});
}

std::optional<v1::Article> Find(soci::session& session, std::int64_t id, bool public_only,
                                bool lock) {
  return (lock ? kFindLocked : kFindArticle).One(session, {Text(id), Bool(public_only)});
}

std::optional<v1::Article> FindBySlug(soci::session& session, const std::string& slug,
                                      bool public_only) {
  return kFindBySlug.One(session, {slug, Bool(public_only)});
}

std::optional<v1::Article> FindByFormerSlug(soci::session& session, const std::string& slug) {
  return kFindByFormerSlug.One(session, {slug});
}

std::vector<v1::Article> ListPublicByTitle(soci::session& session, int limit) {
  return kListPublicByTitle.All(session, {std::to_string(limit)});
}

std::optional<v1::Article> FindVersion(soci::session& session, std::int64_t id, int version,
                                       bool public_only) {
  return kFindVersion.One(session, {Text(id), std::to_string(version), Bool(public_only)});
}

std::optional<v1::Article> Update(soci::session& session, const v1::Article& article,
                                  std::int64_t author_user_id, kernel::TimePoint now) {
  return kUpdate.One(
      session, {Text(article.id()), article.slug(), article.title(), article.body(),
                article.language(), Visibility(article), kernel::TextArrayLiteral(article.tags()),
                Text(author_user_id), Micros(now)});
}

v1::Article Archive(soci::session& session, std::int64_t id, kernel::TimePoint) {
  return *kArchive.One(session, {Text(id)});
}

v1::Article Restore(soci::session& session, std::int64_t id) {
  return *kRestore.One(session, {Text(id)});
}

std::vector<v1::Article> List(soci::session& session, const ListFilter& filter,
                              std::int64_t after_id, int limit) {
  return kList.All(session,
                   {filter.language, filter.visibility, filter.tag, Bool(filter.include_archived),
                    Bool(filter.public_only), Text(after_id), std::to_string(limit)});
}

std::vector<v1::Article> Versions(soci::session& session, std::int64_t id) {
  return kVersions.All(session, {Text(id)});
}

std::vector<v1::ArticleMatch> Search(soci::session& session, const std::string& query,
                                     const ListFilter& filter, int limit) {
  return kSearch.All(session, {filter.language, filter.visibility, filter.tag, Bool(false),
                               Bool(filter.public_only), query, std::to_string(limit)});
}

std::vector<std::int64_t> LinkedTickets(soci::session& session, std::int64_t article_id,
                                        const Scope& scope) {
  return Ids(kernel::RunPrepared(
      session,
      "SELECT l.ticket_id FROM helpdesk.article_link l JOIN helpdesk.ticket t ON t.id = "
      "l.ticket_id WHERE " KARTON_HELPDESK_SCOPE("t") " AND l.article_id = $4::bigint "
                                                      "ORDER BY l.link_time, l.ticket_id",
      {scope.Name(), scope.User(), scope.team_ids, Text(article_id)}));
}

bool Link(soci::session& session, std::int64_t ticket_id, std::int64_t article_id,
          std::int64_t user_id, kernel::TimePoint now, v1::ArticleLink& link) {
  if (auto created =
          kLink.One(session, {Text(ticket_id), Text(article_id), Text(user_id), Micros(now)})) {
    link = std::move(*created);
    return true;
  }
  link = *kFindLink.One(session, {Text(ticket_id), Text(article_id)});
  return false;
}

bool Unlink(soci::session& session, std::int64_t ticket_id, std::int64_t article_id) {
  return kernel::RunPrepared(session,
                             "DELETE FROM helpdesk.article_link WHERE ticket_id = $1 AND "
                             "article_id = $2 RETURNING 1",
                             {Text(ticket_id), Text(article_id)})
             .Count() == 1;
}

std::vector<std::int64_t> TicketArticles(soci::session& session, std::int64_t ticket_id) {
  return Ids(kernel::RunPrepared(session,
                                 "SELECT article_id FROM helpdesk.article_link WHERE ticket_id = "
                                 "$1 ORDER BY link_time, article_id",
                                 {Text(ticket_id)}));
}

}  // namespace karton::helpdesk::article_repository
