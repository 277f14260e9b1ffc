// karton.crm.v1.AssignmentRuleService: the routing rules of leads (C3).
#pragma once

#include <utility>

#include "karton/crm/v1/assignment_rule_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::crm {

class AssignmentRuleServiceImpl final : public v1::AssignmentRuleService::Service {
 public:
  explicit AssignmentRuleServiceImpl(kernel::ServiceParts services)
      : services_(std::move(services)) {}

  static kernel::MethodRoles Roles();

  grpc::Status CreateAssignmentRule(grpc::ServerContext*, const v1::CreateAssignmentRuleRequest*,
                                    v1::AssignmentRule*) override;
  grpc::Status ListAssignmentRules(grpc::ServerContext*, const v1::ListAssignmentRulesRequest*,
                                   v1::ListAssignmentRulesResponse*) override;
  grpc::Status DeleteAssignmentRule(grpc::ServerContext*, const v1::DeleteAssignmentRuleRequest*,
                                    v1::DeleteAssignmentRuleResponse*) override;

 private:
  const kernel::ServiceParts services_;
};

}  // namespace karton::crm
