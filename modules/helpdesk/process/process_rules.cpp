#include "process/process_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace karton::helpdesk {
namespace {

constexpr std::array<std::string_view, 5> kStepRoles = {
    kernel::kRoleSupport, kernel::kRoleSales, kernel::kRoleSalesManager, kernel::kRoleAccounting,
    kernel::kRoleExternalPartner};
constexpr int kMaxSteps = 30;
constexpr int kMaxActions = 5;
constexpr std::int64_t kMaxDueSeconds = 365LL * 24 * 3600;

}  // namespace

std::vector<kernel::FieldViolation> CheckTicketType(const v1::TicketType& type,
                                                    const std::string& prefix) {
  std::vector<kernel::FieldViolation> problems;
  if (type.name().empty() || type.name().size() > 100) {
    problems.push_back({prefix + "name", "is required, at most 100 bytes"});
  }
  if (type.description().size() > 4000) {
    problems.push_back({prefix + "description", "at most 4000 bytes"});
  }
  if (type.steps_size() > kMaxSteps) {
    problems.push_back({prefix + "steps", "at most 30 steps"});
    return problems;
  }
  for (int i = 0; i < type.steps_size(); ++i) {
    const auto& step = type.steps(i);
    const std::string at = fmt::format("{}steps[{}].", prefix, i);
    if (step.name().empty() || step.name().size() > 200) {
      problems.push_back({at + "name", "is required, at most 200 bytes"});
    }
    if (!step.responsible_role().empty() &&
        std::find(kStepRoles.begin(), kStepRoles.end(), step.responsible_role()) ==
            kStepRoles.end()) {
      problems.push_back({at + "responsible_role",
                          "support, sales, sales_manager, accounting or external_partner"});
    }
    if (step.responsible_team_id() < 0) {
      problems.push_back({at + "responsible_team_id", "is not an id"});
    }
    const auto& due = step.due_offset();
    if (due.seconds() < 0 || due.nanos() != 0 || due.seconds() > kMaxDueSeconds) {
      problems.push_back({at + "due_offset", "whole seconds, at most 365 days"});
    }
    if (step.actions_size() > kMaxActions) {
      problems.push_back({at + "actions", "at most 5"});
      continue;
    }
    for (int j = 0; j < step.actions_size(); ++j) {
      const auto& action = step.actions(j);
      const std::string field = fmt::format("{}actions[{}]", at, j);
      switch (action.action_case()) {
        case v1::StepAction::kEmailCustomer: {
          const auto& email = action.email_customer();
          if (email.template_name().empty() || email.template_name().size() > 100) {
            problems.push_back({field + ".email_customer.template_name",
                                "is required: a messaging template's name"});
          }
          if (!email.language().empty() && email.language() != "hu" && email.language() != "en") {
            problems.push_back({field + ".email_customer.language", "hu or en"});
          }
          break;
        }
        case v1::StepAction::kCreateActivity:
          if (action.create_activity().subject().empty() ||
              action.create_activity().subject().size() > 200) {
            problems.push_back(
                {field + ".create_activity.subject", "is required, at most 200 bytes"});
          }
          break;
        case v1::StepAction::kWaitForCustomer:
          break;
        case v1::StepAction::ACTION_NOT_SET:
          problems.push_back({field, "names no action"});
          break;
      }
    }
  }
  return problems;
}

bool MayFinishStep(const kernel::Caller& caller, const v1::ProcessStep& step) {
  if (step.responsible_role().empty() || caller.IsInternal() || caller.IsAdmin()) return true;
  return caller.HasRole(step.responsible_role()) || caller.HasRole(kernel::kRoleSalesManager);
}

bool WaitsForCustomer(const v1::ProcessStep& step) {
  return std::any_of(step.actions().begin(), step.actions().end(), [](const auto& action) {
    return action.action_case() == v1::StepAction::kWaitForCustomer;
  });
}

bool CallsOtherModules(const v1::ProcessStep& step) {
  return std::any_of(step.actions().begin(), step.actions().end(), [](const auto& action) {
    return action.action_case() == v1::StepAction::kEmailCustomer ||
           action.action_case() == v1::StepAction::kCreateActivity;
  });
}

}  // namespace karton::helpdesk
