#include "rules/rule_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "rules/rule_repository.h"
#include "runs/run_repository.h"

namespace karton::automation {
namespace {

constexpr char kRule[] = "automation.rule";

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no rule with id {}", id)};
}

grpc::Status NameTaken(const std::string& name) {
  return kernel::InvalidField("rule.name", fmt::format("another rule is named '{}'", name));
}

}  // namespace

grpc::Status KartondRuleEnvironment::Topics(TopicTypes& topics) {
  std::lock_guard lock(mutex_);
  if (!topics_) {
    auto stub = kernel::v1::EventService::NewStub(channel_());
    kernel::v1::ListTopicsResponse response;
    auto status = stub->ListTopics(kernel::KernelCallContext().get(), {}, &response);
    if (!status.ok()) return status;
    TopicTypes read;
    for (const auto& topic : response.topics()) read[topic.name()] = topic.payload_type();
    topics_ = std::move(read);
  }
  topics = *topics_;
  return grpc::Status::OK;
}

void RuleServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "deleted"}) {
    events.DeclareTopic<v1::Rule>(std::string("automation.rule.") + verb);
  }
}

kernel::MethodRoles RuleServiceImpl::Roles() {
  const std::vector<std::string> writers = {std::string(kernel::kRoleAdmin),
                                            std::string(kernel::kRoleSalesManager)};
  const auto readers = kernel::StaffRoles();
  return {{"CreateRule", writers},  {"GetRule", readers},    {"ListRules", readers},
          {"UpdateRule", writers},  {"DeleteRule", writers}, {"GetRuleRun", readers},
          {"ListRuleRuns", readers}};
}

grpc::Status RuleServiceImpl::Check(v1::Rule& rule) {
  TopicTypes topics;
  if (auto status = environment_.Topics(topics); !status.ok()) return status;
  std::vector<kernel::FieldViolation> violations;
  CheckRule(rule, {topics, [this](const std::string& url) { return environment_.UrlProblem(url); }},
            violations);
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  return grpc::Status::OK;
}

grpc::Status RuleServiceImpl::CreateRule(grpc::ServerContext* context,
                                         const v1::CreateRuleRequest* request, v1::Rule* response) {
  v1::Rule rule = request->rule();
  rule.clear_id();
  rule.clear_etag();
  rule.clear_create_time();
  rule.clear_update_time();
  rule.clear_create_user_id();
  if (auto status = Check(rule); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreateRule", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (rule_repository::NameTaken(lease.Session(), rule.name(), 0)) return NameTaken(rule.name());
    auto created =
        rule_repository::Insert(lease.Session(), rule, caller.user_id, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kRule, created.id(),
                        kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "automation.rule.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status RuleServiceImpl::GetRule(grpc::ServerContext*, const v1::GetRuleRequest* request,
                                      v1::Rule* response) {
  return kernel::Guarded(parts_.log, "GetRule", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = rule_repository::Find(lease.Session(), request->id());
    if (!found) return NotFound(request->id());
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status RuleServiceImpl::ListRules(grpc::ServerContext*, const v1::ListRulesRequest* request,
                                        v1::ListRulesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListRules", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = rule_repository::List(lease.Session(), request->trigger_topic(), page.AfterId(),
                                      page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Rule& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_rules() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status RuleServiceImpl::UpdateRule(grpc::ServerContext* context,
                                         const v1::UpdateRuleRequest* request, v1::Rule* response) {
  const v1::Rule& change = request->rule();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"name", "description", "trigger_topics", "condition", "actions", "enabled"}, paths);
      !status.ok()) {
    return status;
  }
  // Checked whole, as it would be stored, before a connection is taken:
  // read the rule once to know the result, then again, locked.
  std::optional<v1::Rule> preview;
  auto read = kernel::Guarded(parts_.log, "UpdateRule", [&] {
    auto lease = parts_.database.Acquire();
    preview = rule_repository::Find(lease.Session(), change.id());
    return grpc::Status::OK;
  });
  if (!read.ok()) return read;
  if (!preview) return NotFound(change.id());
  v1::Rule updated = *preview;
  kernel::ApplyUpdateMask(change, paths, updated);
  if (auto status = Check(updated); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "UpdateRule", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = rule_repository::Find(lease.Session(), change.id(), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("rule", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Rule next = *stored;
    kernel::ApplyUpdateMask(updated, paths, next);
    next.set_payload_type(updated.payload_type());
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    if (rule_repository::NameTaken(lease.Session(), next.name(), next.id())) {
      return NameTaken(next.name());
    }
    auto written = rule_repository::Update(lease.Session(), next, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kRule, written.id(),
                        changes);
    parts_.events.Publish(lease.Session(), "automation.rule.updated", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status RuleServiceImpl::DeleteRule(grpc::ServerContext* context,
                                         const v1::DeleteRuleRequest* request,
                                         v1::DeleteRuleResponse*) {
  return kernel::Guarded(parts_.log, "DeleteRule", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = rule_repository::Find(lease.Session(), request->id(), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("rule", request->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    rule_repository::MarkDeleted(lease.Session(), request->id(), parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kDelete, kRule, request->id(),
                        kernel::DiffFields(&*stored, v1::Rule()));
    parts_.events.Publish(lease.Session(), "automation.rule.deleted", request->id(), *stored,
                          caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status RuleServiceImpl::GetRuleRun(grpc::ServerContext*, const v1::GetRuleRunRequest* request,
                                         v1::RuleRun* response) {
  return kernel::Guarded(parts_.log, "GetRuleRun", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = run_repository::FindRun(lease.Session(), request->id());
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no rule run with id {}", request->id())};
    }
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status RuleServiceImpl::ListRuleRuns(grpc::ServerContext*,
                                           const v1::ListRuleRunsRequest* request,
                                           v1::ListRuleRunsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  if (!v1::RuleRunState_IsValid(request->state())) {
    return kernel::InvalidField("state", "is not a run state");
  }
  return kernel::Guarded(parts_.log, "ListRuleRuns", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = run_repository::ListRuns(
        lease.Session(), {request->rule_id(), request->aggregate_id(), request->state()},
        page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::RuleRun& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_runs() = std::move(row);
    return grpc::Status::OK;
  });
}

}  // namespace karton::automation
