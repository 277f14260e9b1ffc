#include "knowledge/knowledge_base_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/http.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/updates.h"
#include "knowledge/article_repository.h"
#include "scope.h"
#include "tickets/ticket_repository.h"
#include "tickets/ticket_service.h"

namespace karton::helpdesk {
namespace {

constexpr std::size_t kMaxSlug = 100;
constexpr std::size_t kMaxTitle = 300;
constexpr std::size_t kMaxBody = 100000;
constexpr int kMaxTags = 20;
constexpr std::size_t kMaxTag = 50;
constexpr std::size_t kMaxQuery = 500;
constexpr int kMaxMatches = 100;

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no article with id {}", id)};
}

grpc::Status SlugTaken(const std::string& slug) {
  return {grpc::StatusCode::ALREADY_EXISTS,
          fmt::format("article.slug: there is an article with the slug '{}' already", slug)};
}

bool IsSlug(const std::string& slug) {
  if (slug.empty() || slug.size() > kMaxSlug || slug.front() == '-' || slug.back() == '-') {
    return false;
  }
  return std::all_of(slug.begin(), slug.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsLanguage(const std::string& language) { return language == "hu" || language == "en"; }

std::string Lower(std::string text) {
  for (auto& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// An external partner (or a user with no staff role) sees public articles only.
bool PublicOnly(const kernel::Caller& caller) { return !caller.IsStaff(); }

// The fields of a list or a search filter; INVALID_ARGUMENT naming them.
grpc::Status ReadFilter(const std::string& language, v1::ArticleVisibility visibility,
                        const std::string& tag, article_repository::ListFilter& filter) {
  if (!language.empty() && !IsLanguage(language)) {
    return kernel::InvalidField("language", "is \"hu\" or \"en\"");
  }
  filter.language = language;
  if (visibility != v1::ARTICLE_VISIBILITY_UNSPECIFIED) {
    if (!v1::ArticleVisibility_IsValid(visibility)) {
      return kernel::InvalidField("visibility", "is not an article visibility");
    }
    filter.visibility = kernel::EnumWord(*v1::ArticleVisibility_descriptor(), visibility);
  }
  if (tag.size() > kMaxTag) return kernel::InvalidField("tag", "at most 50 bytes");
  filter.tag = Lower(tag);
  return grpc::Status::OK;
}

// The audit entry of a link's change on the ticket: its solution articles
// before and after.
std::vector<kernel::FieldChange> LinkChange(std::int64_t ticket_id,
                                            const std::vector<std::int64_t>& before,
                                            const std::vector<std::int64_t>& after) {
  v1::Ticket old_ticket, new_ticket;
  old_ticket.set_id(ticket_id);
  new_ticket.set_id(ticket_id);
  for (const auto id : before) old_ticket.add_solution_article_ids(id);
  for (const auto id : after) new_ticket.add_solution_article_ids(id);
  return kernel::DiffFields(&old_ticket, new_ticket);
}

}  // namespace

std::vector<kernel::FieldViolation> CheckArticle(v1::Article& article, const std::string& prefix) {
  std::vector<kernel::FieldViolation> violations;
  if (!IsSlug(article.slug())) {
    violations.push_back({prefix + "slug",
                          "is required: 1 to 100 of a-z, 0-9 and '-', not starting or ending "
                          "with '-'"});
  }
  if (article.title().empty() || article.title().size() > kMaxTitle) {
    violations.push_back({prefix + "title", "is required, at most 300 bytes"});
  }
  if (article.body().size() > kMaxBody) {
    violations.push_back({prefix + "body", "at most 100000 bytes"});
  }
  if (!IsLanguage(article.language())) {
    violations.push_back({prefix + "language", "is required: \"hu\" or \"en\""});
  }
  if (article.visibility() == v1::ARTICLE_VISIBILITY_UNSPECIFIED) {
    article.set_visibility(v1::ARTICLE_VISIBILITY_INTERNAL);
  } else if (!v1::ArticleVisibility_IsValid(article.visibility())) {
    violations.push_back({prefix + "visibility", "is not an article visibility"});
  }
  if (article.tags_size() > kMaxTags) {
    violations.push_back({prefix + "tags", "at most 20"});
  }
  std::vector<std::string> tags;
  for (int i = 0; i < article.tags_size(); ++i) {
    const std::string tag = Lower(article.tags(i));
    if (tag.empty() || tag.size() > kMaxTag) {
      violations.push_back({fmt::format("{}tags[{}]", prefix, i), "1 to 50 bytes"});
    } else if (std::find(tags.begin(), tags.end(), tag) == tags.end()) {
      tags.push_back(tag);
    }
  }
  article.clear_tags();
  for (auto& tag : tags) article.add_tags(std::move(tag));
  return violations;
}

std::string SnippetHtml(std::string_view headline) {
  std::string html;
  std::size_t start = 0;
  while (start < headline.size()) {
    const auto mark = headline.find_first_of("\x02\x03", start);
    html += kernel::HtmlEscaped(headline.substr(start, mark - start));
    if (mark == std::string_view::npos) break;
    html += headline[mark] == '\x02' ? "<mark>" : "</mark>";
    start = mark + 1;
  }
  return html;
}

void KnowledgeBaseServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "archived", "restored"}) {
    events.DeclareTopic<v1::Article>(std::string("helpdesk.article.") + verb);
  }
  events.DeclareTopic<v1::ArticleLink>("helpdesk.article.linked");
  events.DeclareTopic<v1::ArticleLink>("helpdesk.article.unlinked");
}

kernel::MethodRoles KnowledgeBaseServiceImpl::Roles() {
  // Reading: every role; an external partner public articles only.
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kernel::kRoleExternalPartner);
  // Writing: the support team (and admins, who may call everything).
  const std::vector<std::string> writers = {std::string(kernel::kRoleSupport)};
  // Linking: who works tickets for the company.
  const std::vector<std::string> linkers = {std::string(kernel::kRoleSupport),
                                            std::string(kernel::kRoleSalesManager)};
  return {{"CreateArticle", writers},       {"GetArticle", readers},
          {"ListArticles", readers},        {"UpdateArticle", writers},
          {"ArchiveArticle", writers},      {"RestoreArticle", writers},
          {"ListArticleVersions", readers}, {"SearchArticles", readers},
          {"LinkArticle", linkers},         {"UnlinkArticle", linkers}};
}

grpc::Status KnowledgeBaseServiceImpl::CreateArticle(grpc::ServerContext* context,
                                                     const v1::CreateArticleRequest* request,
                                                     v1::Article* response) {
  v1::Article article = request->article();
  for (auto clear : {&v1::Article::clear_id, &v1::Article::clear_version,
                     &v1::Article::clear_archived, &v1::Article::clear_author_user_id,
                     &v1::Article::clear_ticket_ids, &v1::Article::clear_etag,
                     &v1::Article::clear_create_time, &v1::Article::clear_update_time}) {
    (article.*clear)();
  }
  if (auto problems = CheckArticle(article, "article."); !problems.empty()) {
    return kernel::InvalidFields(std::move(problems));
  }
  return kernel::Guarded(parts_.log, "CreateArticle", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto created = article_repository::Insert(lease.Session(), article, kernel::ActorUserId(caller),
                                              parts_.clock.Now());
    if (!created) return SlugTaken(article.slug());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kArticleResource,
                        created->id(), kernel::DiffFields(nullptr, *created));
    parts_.events.Publish(lease.Session(), "helpdesk.article.created", created->id(), *created,
                          caller);
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status KnowledgeBaseServiceImpl::GetArticle(grpc::ServerContext* context,
                                                  const v1::GetArticleRequest* request,
                                                  v1::Article* response) {
  if ((request->id() == 0) == request->slug().empty()) {
    return kernel::InvalidField("id", "give the id or the slug, not both");
  }
  if (request->id() < 0) return kernel::InvalidField("id", "is not an id");
  if (request->version() < 0) return kernel::InvalidField("version", "is not a version");
  return kernel::Guarded(parts_.log, "GetArticle", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    const bool public_only = PublicOnly(caller);
    auto lease = parts_.database.Acquire();
    auto found =
        request->id() > 0
            ? article_repository::Find(lease.Session(), request->id(), public_only)
            : article_repository::FindBySlug(lease.Session(), request->slug(), public_only);
    if (!found) {
      if (request->id() > 0) return NotFound(request->id());
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no article with the slug '{}'", request->slug())};
    }
    if (request->version() > 0 && request->version() != found->version()) {
      auto version = article_repository::FindVersion(lease.Session(), found->id(),
                                                     request->version(), public_only);
      if (!version) {
        return {grpc::StatusCode::NOT_FOUND,
                fmt::format("article {} has no version {}", found->id(), request->version())};
      }
      found = std::move(version);
    }
    for (const auto id :
         article_repository::LinkedTickets(lease.Session(), found->id(), ScopeOf(caller))) {
      found->add_ticket_ids(id);
    }
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status KnowledgeBaseServiceImpl::ListArticles(grpc::ServerContext* context,
                                                    const v1::ListArticlesRequest* request,
                                                    v1::ListArticlesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  article_repository::ListFilter filter;
  if (auto status = ReadFilter(request->language(), request->visibility(), request->tag(), filter);
      !status.ok()) {
    return status;
  }
  filter.include_archived = request->include_archived();
  return kernel::Guarded(parts_.log, "ListArticles", [&]() -> grpc::Status {
    filter.public_only = PublicOnly(kernel::CallerOf(*context));
    auto lease = parts_.database.Acquire();
    auto rows =
        article_repository::List(lease.Session(), filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Article& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_articles() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status KnowledgeBaseServiceImpl::UpdateArticle(grpc::ServerContext* context,
                                                     const v1::UpdateArticleRequest* request,
                                                     v1::Article* response) {
  const v1::Article& change = request->article();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change, {"slug", "title", "body", "language", "visibility", "tags"}, paths);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "UpdateArticle", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = article_repository::Find(lease.Session(), change.id(), false, true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("article", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Article next = *stored;
    kernel::ApplyUpdateMask(change, paths, next);
    if (auto problems = CheckArticle(next, "article."); !problems.empty()) {
      return kernel::InvalidFields(std::move(problems));
    }
    if (kernel::DiffFields(&*stored, next).empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = article_repository::Update(lease.Session(), next, kernel::ActorUserId(caller),
                                              parts_.clock.Now());
    if (!written) return SlugTaken(next.slug());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kArticleResource,
                        written->id(), kernel::DiffFields(&*stored, *written));
    parts_.events.Publish(lease.Session(), "helpdesk.article.updated", written->id(), *written,
                          caller);
    transaction.Commit();
    *response = std::move(*written);
    return grpc::Status::OK;
  });
}

// ArchiveArticle and RestoreArticle: the same write with the flag the other
// way. Idempotent: an article already so is answered as it is.
grpc::Status KnowledgeBaseServiceImpl::SetArchived(grpc::ServerContext* context, const char* method,
                                                   std::int64_t id, const std::string& etag,
                                                   bool archived, v1::Article* response) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = article_repository::Find(lease.Session(), id, false, true);
    if (!stored) return NotFound(id);
    if (auto status = kernel::CheckEtag("article", id, etag, stored->etag()); !status.ok()) {
      return status;
    }
    if (stored->archived() == archived) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = archived ? article_repository::Archive(lease.Session(), id, parts_.clock.Now())
                            : article_repository::Restore(lease.Session(), id);
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kArticleResource,
                        written.id(), kernel::DiffFields(&*stored, written));
    parts_.events.Publish(lease.Session(),
                          archived ? "helpdesk.article.archived" : "helpdesk.article.restored",
                          written.id(), written, caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status KnowledgeBaseServiceImpl::ArchiveArticle(grpc::ServerContext* context,
                                                      const v1::ArchiveArticleRequest* request,
                                                      v1::Article* response) {
  return SetArchived(context, "ArchiveArticle", request->id(), request->etag(), true, response);
}

grpc::Status KnowledgeBaseServiceImpl::RestoreArticle(grpc::ServerContext* context,
                                                      const v1::RestoreArticleRequest* request,
                                                      v1::Article* response) {
  return SetArchived(context, "RestoreArticle", request->id(), request->etag(), false, response);
}

grpc::Status KnowledgeBaseServiceImpl::ListArticleVersions(
    grpc::ServerContext* context, const v1::ListArticleVersionsRequest* request,
    v1::ListArticleVersionsResponse* response) {
  return kernel::Guarded(parts_.log, "ListArticleVersions", [&]() -> grpc::Status {
    const bool public_only = PublicOnly(kernel::CallerOf(*context));
    auto lease = parts_.database.Acquire();
    if (!article_repository::Find(lease.Session(), request->id(), public_only)) {
      return NotFound(request->id());
    }
    for (auto& version : article_repository::Versions(lease.Session(), request->id())) {
      *response->add_versions() = std::move(version);
    }
    return grpc::Status::OK;
  });
}

grpc::Status KnowledgeBaseServiceImpl::SearchArticles(grpc::ServerContext* context,
                                                      const v1::SearchArticlesRequest* request,
                                                      v1::SearchArticlesResponse* response) {
  if (request->query().empty() || request->query().size() > kMaxQuery) {
    return kernel::InvalidField("query", "is required, at most 500 bytes");
  }
  if (request->page_size() < 0 || request->page_size() > kMaxMatches) {
    return kernel::InvalidField("page_size", "0 to 100");
  }
  article_repository::ListFilter filter;
  if (auto status = ReadFilter(request->language(), v1::ARTICLE_VISIBILITY_UNSPECIFIED,
                               request->tag(), filter);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "SearchArticles", [&]() -> grpc::Status {
    filter.public_only = PublicOnly(kernel::CallerOf(*context));
    auto lease = parts_.database.Acquire();
    auto matches =
        article_repository::Search(lease.Session(), request->query(), filter,
                                   request->page_size() == 0 ? 20 : request->page_size());
    for (auto& match : matches) {
      match.set_snippet(SnippetHtml(match.snippet()));
      *response->add_matches() = std::move(match);
    }
    return grpc::Status::OK;
  });
}

grpc::Status KnowledgeBaseServiceImpl::LinkArticle(grpc::ServerContext* context,
                                                   const v1::LinkArticleRequest* request,
                                                   v1::ArticleLink* response) {
  return ChangeLink(context, "LinkArticle", true, request->ticket_id(), request->article_id(),
                    response);
}

grpc::Status KnowledgeBaseServiceImpl::UnlinkArticle(grpc::ServerContext* context,
                                                     const v1::UnlinkArticleRequest* request,
                                                     v1::ArticleLink* response) {
  return ChangeLink(context, "UnlinkArticle", false, request->ticket_id(), request->article_id(),
                    response);
}

grpc::Status KnowledgeBaseServiceImpl::ChangeLink(grpc::ServerContext* context, const char* method,
                                                  bool link, std::int64_t ticket_id,
                                                  std::int64_t article_id,
                                                  v1::ArticleLink* response) {
  if (ticket_id <= 0) return kernel::InvalidField("ticket_id", "is required");
  if (article_id <= 0) return kernel::InvalidField("article_id", "is required");
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    // A ticket out of the caller's sight is not there.
    if (!ticket_repository::Find(lease.Session(), ticket_id, ScopeOf(caller), true)) {
      return kernel::InvalidField("ticket_id", fmt::format("there is no ticket {}", ticket_id));
    }
    const auto article = article_repository::Find(lease.Session(), article_id, false);
    if (!article) {
      return kernel::InvalidField("article_id", fmt::format("there is no article {}", article_id));
    }
    if (link && article->archived()) {
      return kernel::InvalidField("article_id",
                                  fmt::format("the article '{}' is archived", article->slug()));
    }
    const auto before = article_repository::TicketArticles(lease.Session(), ticket_id);
    v1::ArticleLink changed;
    changed.set_ticket_id(ticket_id);
    changed.set_article_id(article_id);
    const bool done =
        link ? article_repository::Link(lease.Session(), ticket_id, article_id,
                                        kernel::ActorUserId(caller), parts_.clock.Now(), changed)
             : article_repository::Unlink(lease.Session(), ticket_id, article_id);
    if (done) {
      parts_.audit.Record(
          lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource, ticket_id,
          LinkChange(ticket_id, before,
                     article_repository::TicketArticles(lease.Session(), ticket_id)));
      parts_.events.Publish(lease.Session(),
                            link ? "helpdesk.article.linked" : "helpdesk.article.unlinked",
                            article_id, changed, caller);
    }
    transaction.Commit();
    *response = std::move(changed);
    return grpc::Status::OK;
  });
}

}  // namespace karton::helpdesk
