#include "leads/assignment_rule_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/transaction.h"
#include "leads/assignment_rule_repository.h"
#include "leads/lead_rules.h"
#include "leads/lead_service.h"

namespace karton::crm {

kernel::MethodRoles AssignmentRuleServiceImpl::Roles() {
  return {{"CreateAssignmentRule", CrmManagers()},
          {"ListAssignmentRules",
           {std::string(kernel::kRoleSales), std::string(kernel::kRoleSalesManager)}},
          {"DeleteAssignmentRule", CrmManagers()}};
}

grpc::Status AssignmentRuleServiceImpl::CreateAssignmentRule(
    grpc::ServerContext* context, const v1::CreateAssignmentRuleRequest* request,
    v1::AssignmentRule* response) {
  v1::AssignmentRule rule = request->assignment_rule();
  rule.set_category(Trimmed(rule.category()));
  rule.set_country(Trimmed(rule.country()));
  rule.set_postal_code_prefix(Trimmed(rule.postal_code_prefix()));
  for (char& c : *rule.mutable_country()) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if ((rule.team_id() == 0) == (rule.user_id() == 0) || rule.team_id() < 0 || rule.user_id() < 0) {
    return kernel::InvalidField("assignment_rule.team_id",
                                "give exactly one of team_id and user_id");
  }
  if (!IsAcceptableText(rule.category(), 64)) {
    return kernel::InvalidField("assignment_rule.category", "is at most 64 bytes");
  }
  if (!rule.country().empty() &&
      (rule.country().size() != 2 || !std::isupper(static_cast<unsigned char>(rule.country()[0])) ||
       !std::isupper(static_cast<unsigned char>(rule.country()[1])))) {
    return kernel::InvalidField("assignment_rule.country", "is an ISO 3166 code (HU, AT, ...)");
  }
  if (!IsAcceptableText(rule.postal_code_prefix(), 20)) {
    return kernel::InvalidField("assignment_rule.postal_code_prefix", "is at most 20 bytes");
  }
  return kernel::Guarded(services_.log, "CreateAssignmentRule", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    std::int64_t id = 0;
    // A refusal returns before the COMMIT: the transaction rolls back whole.
    try {
      id = assignment_rule_repository::Insert(lease.Session(), rule, services_.clock.Now());
    } catch (const std::exception& error) {
      if (kernel::SqlState(error) != "23503") throw;
      return kernel::InvalidField(
          rule.team_id() != 0 ? "assignment_rule.team_id" : "assignment_rule.user_id",
          "names no team or user");
    }
    for (const auto& stored : assignment_rule_repository::List(lease.Session())) {
      if (stored.id() == id) *response = stored;
    }
    services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                           kernel::AuditAction::kCreate, "crm.assignment_rule", id,
                           {kernel::FieldChange::Of("priority", 0, response->priority()),
                            kernel::FieldChange::Of("team_id", 0, response->team_id()),
                            kernel::FieldChange::Of("user_id", 0, response->user_id())});
    services_.events.Publish(lease.Session(), "crm.assignment_rule.created", id, *response,
                             kernel::CallerOf(*context));
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status AssignmentRuleServiceImpl::ListAssignmentRules(
    grpc::ServerContext*, const v1::ListAssignmentRulesRequest*,
    v1::ListAssignmentRulesResponse* response) {
  return kernel::Guarded(services_.log, "ListAssignmentRules", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    for (auto& rule : assignment_rule_repository::List(lease.Session())) {
      *response->add_assignment_rules() = std::move(rule);
    }
    return grpc::Status::OK;
  });
}

grpc::Status AssignmentRuleServiceImpl::DeleteAssignmentRule(
    grpc::ServerContext* context, const v1::DeleteAssignmentRuleRequest* request,
    v1::DeleteAssignmentRuleResponse*) {
  return kernel::Guarded(services_.log, "DeleteAssignmentRule", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    // The rule as it was, for the event.
    v1::AssignmentRule deleted;
    for (const auto& stored : assignment_rule_repository::List(lease.Session())) {
      if (stored.id() == request->id()) deleted = stored;
    }
    if (!assignment_rule_repository::Delete(lease.Session(), request->id())) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no assignment rule with id {}", request->id())};
    }
    services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                           kernel::AuditAction::kDelete, "crm.assignment_rule", request->id(), {});
    services_.events.Publish(lease.Session(), "crm.assignment_rule.deleted", request->id(), deleted,
                             kernel::CallerOf(*context));
    transaction.Commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
