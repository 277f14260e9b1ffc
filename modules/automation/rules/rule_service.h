// RuleService: automation rules and their runs (rule_service.proto).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "karton/automation/v1/rule_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "rules/rule_definition.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::automation {

// What RuleService asks of the rest of kartond to check a rule.
class RuleEnvironment {
 public:
  virtual ~RuleEnvironment() = default;
  // Every declared topic with its payload type.
  virtual grpc::Status Topics(TopicTypes& topics) = 0;
  // "" when a webhook may be posted to `url`; else why not.
  virtual std::string UrlProblem(const std::string& url) = 0;
};

// The environment over the in-process channel (EventService/ListTopics,
// read once: topics are declared before kartond serves) and the kernel's
// webhook rules.
class KartondRuleEnvironment final : public RuleEnvironment {
 public:
  KartondRuleEnvironment(std::function<std::shared_ptr<grpc::Channel>()> channel,
                         std::function<std::string(const std::string&)> url_problem)
      : channel_(std::move(channel)), url_problem_(std::move(url_problem)) {}
  grpc::Status Topics(TopicTypes& topics) override;
  std::string UrlProblem(const std::string& url) override { return url_problem_(url); }

 private:
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
  std::function<std::string(const std::string&)> url_problem_;
  std::mutex mutex_;
  std::optional<TopicTypes> topics_;
};

class RuleServiceImpl final : public v1::RuleService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  RuleServiceImpl(kernel::ServiceParts parts, RuleEnvironment& environment)
      : parts_(parts), environment_(environment) {}

  grpc::Status CreateRule(grpc::ServerContext* context, const v1::CreateRuleRequest* request,
                          v1::Rule* response) override;
  grpc::Status GetRule(grpc::ServerContext* context, const v1::GetRuleRequest* request,
                       v1::Rule* response) override;
  grpc::Status ListRules(grpc::ServerContext* context, const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override;
  grpc::Status UpdateRule(grpc::ServerContext* context, const v1::UpdateRuleRequest* request,
                          v1::Rule* response) override;
  grpc::Status DeleteRule(grpc::ServerContext* context, const v1::DeleteRuleRequest* request,
                          v1::DeleteRuleResponse* response) override;
  grpc::Status GetRuleRun(grpc::ServerContext* context, const v1::GetRuleRunRequest* request,
                          v1::RuleRun* response) override;
  grpc::Status ListRuleRuns(grpc::ServerContext* context, const v1::ListRuleRunsRequest* request,
                            v1::ListRuleRunsResponse* response) override;

 private:
  // Checks `rule` as it would be stored; no database connection is held.
  grpc::Status Check(v1::Rule& rule);

  kernel::ServiceParts parts_;
  RuleEnvironment& environment_;
};

}  // namespace karton::automation
