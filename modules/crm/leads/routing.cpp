#include "leads/routing.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "leads/assignment_rule_repository.h"

namespace karton::crm {
namespace {

std::string Upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

}  // namespace

bool Router::Matches(const v1::AssignmentRule& rule, const v1::Lead& lead) {
  if (!rule.category().empty() && rule.category() != lead.category()) return false;
  if (!rule.country().empty() && Upper(rule.country()) != Upper(lead.country())) return false;
  if (!rule.postal_code_prefix().empty() &&
      lead.postal_code().rfind(rule.postal_code_prefix(), 0) != 0) {
    return false;
  }
  return true;
}

Assignment Router::ToTarget(std::int64_t team_id, std::int64_t user_id, std::string reason) {
  if (user_id != 0 || team_id == 0) return {user_id, team_id, std::move(reason), {}};
  auto members = teams_.ActiveMembers(team_id);
  if (members.empty()) {
    log_.warn("team {} has no active member: the lead waits for the team ({})", team_id, reason);
    return {0, team_id, std::move(reason), {}};
  }
  return {0, team_id, fmt::format("{}, round-robin in team {}", reason, team_id),
          std::move(members)};
}

Assignment Router::Assign(soci::session& session, const v1::Lead& lead,
                          const v1::WebFormCategory* category) {
  if (category != nullptr && (category->team_id() != 0 || category->user_id() != 0)) {
    return ToTarget(category->team_id(), category->user_id(),
                    fmt::format("form category {}", category->key()));
  }
  for (const auto& rule : assignment_rule_repository::List(session)) {
    if (Matches(rule, lead)) {
      return ToTarget(rule.team_id(), rule.user_id(), fmt::format("rule {}", rule.id()));
    }
  }
  return {0, 0, "no rule matched", {}};
}

}  // namespace karton::crm
