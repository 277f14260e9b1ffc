// KnowledgeBaseService: articles, their versions, search and the tickets
// they solved (knowledge_base_service.proto, docs/helpdesk.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "karton/helpdesk/v1/knowledge_base_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/service_parts.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::helpdesk {

inline constexpr char kArticleResource[] = "helpdesk.article";

// The checks of an article a create or an update writes, in place (tags in
// lower case without repeats, the default visibility); the violations name
// `prefix`'s fields ("article.").
std::vector<kernel::FieldViolation> CheckArticle(v1::Article& article, const std::string& prefix);

// The snippet ts_headline gave (matches between \x02 and \x03) as HTML:
// escaped, the matches in <mark>.
std::string SnippetHtml(std::string_view headline);

class KnowledgeBaseServiceImpl final : public v1::KnowledgeBaseService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  explicit KnowledgeBaseServiceImpl(kernel::ServiceParts parts) : parts_(parts) {}

  grpc::Status CreateArticle(grpc::ServerContext* context, const v1::CreateArticleRequest* request,
                             v1::Article* response) override;
  grpc::Status GetArticle(grpc::ServerContext* context, const v1::GetArticleRequest* request,
                          v1::Article* response) override;
  grpc::Status ListArticles(grpc::ServerContext* context, const v1::ListArticlesRequest* request,
                            v1::ListArticlesResponse* response) override;
  grpc::Status UpdateArticle(grpc::ServerContext* context, const v1::UpdateArticleRequest* request,
                             v1::Article* response) override;
  grpc::Status RestoreArticle(grpc::ServerContext* context,
                              const v1::RestoreArticleRequest* request,
                              v1::Article* response) override;
  grpc::Status ArchiveArticle(grpc::ServerContext* context,
                              const v1::ArchiveArticleRequest* request,
                              v1::Article* response) override;
  grpc::Status ListArticleVersions(grpc::ServerContext* context,
                                   const v1::ListArticleVersionsRequest* request,
                                   v1::ListArticleVersionsResponse* response) override;
  grpc::Status SearchArticles(grpc::ServerContext* context,
                              const v1::SearchArticlesRequest* request,
                              v1::SearchArticlesResponse* response) override;
  grpc::Status LinkArticle(grpc::ServerContext* context, const v1::LinkArticleRequest* request,
                           v1::ArticleLink* response) override;
  grpc::Status UnlinkArticle(grpc::ServerContext* context, const v1::UnlinkArticleRequest* request,
                             v1::ArticleLink* response) override;

 private:
  grpc::Status SetArchived(grpc::ServerContext* context, const char* method, std::int64_t id,
                           const std::string& etag, bool archived, v1::Article* response);
  grpc::Status ChangeLink(grpc::ServerContext* context, const char* method, bool link,
                          std::int64_t ticket_id, std::int64_t article_id,
                          v1::ArticleLink* response);

  kernel::ServiceParts parts_;
};

}  // namespace karton::helpdesk
