#include "team_directory.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "karton/kernel/calls.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"

namespace karton::crm {

void TeamDirectory::Refresh(bool force) {
  const auto started = std::chrono::steady_clock::now();
  const auto fresh_enough = [this, force, started] {
    std::lock_guard lock(mutex_);
    if (force) return read_ >= started;  // someone read after we asked
    return read_ != std::chrono::steady_clock::time_point{} &&
           std::chrono::steady_clock::now() - read_ < fresh_;
  };
  if (fresh_enough()) return;
  std::lock_guard refreshing(refresh_mutex_);
  if (fresh_enough()) return;  // another caller just did it
  // In process and without a forwarded caller: the kernel's own read.
  auto identity = kernel::v1::IdentityService::NewStub(channel_());
  std::set<std::int64_t> disabled;
  kernel::v1::ListUsersRequest users;
  users.set_page_size(1000);
  for (;;) {
    kernel::v1::ListUsersResponse page;
    const auto status = identity->ListUsers(kernel::KernelCallContext().get(), users, &page);
    if (!status.ok()) throw std::runtime_error("reading users: " + status.error_message());
    for (const auto& user : page.users()) {
      if (user.disabled()) disabled.insert(user.id());
    }
    if (page.next_page_token().empty()) break;
    users.set_page_token(page.next_page_token());
  }
  std::map<std::int64_t, std::vector<std::int64_t>> members;
  kernel::v1::ListTeamsRequest teams;
  teams.set_page_size(1000);
  for (;;) {
    kernel::v1::ListTeamsResponse page;
    const auto status = identity->ListTeams(kernel::KernelCallContext().get(), teams, &page);
    if (!status.ok()) throw std::runtime_error("reading teams: " + status.error_message());
    for (const auto& team : page.teams()) {
      auto& list = members[team.id()];
      for (const auto id : team.member_user_ids()) {
        if (disabled.count(id) == 0) list.push_back(id);
      }
      std::sort(list.begin(), list.end());
    }
    if (page.next_page_token().empty()) break;
    teams.set_page_token(page.next_page_token());
  }
  std::lock_guard lock(mutex_);
  members_ = std::move(members);
  disabled_ = std::move(disabled);
  read_ = std::chrono::steady_clock::now();
}

std::vector<std::int64_t> TeamDirectory::ActiveMembers(std::int64_t team_id) {
  std::lock_guard lock(mutex_);
  const auto it = members_.find(team_id);
  return it == members_.end() ? std::vector<std::int64_t>{} : it->second;
}

bool TeamDirectory::IsDisabled(std::int64_t user_id) {
  std::lock_guard lock(mutex_);
  return disabled_.count(user_id) > 0;
}

bool TeamDirectory::ExistsNow(std::int64_t team_id) {
  if (Exists(team_id)) return true;
  Refresh(true);
  return Exists(team_id);
}

bool TeamDirectory::Exists(std::int64_t team_id) {
  std::lock_guard lock(mutex_);
  return members_.count(team_id) > 0;
}

}  // namespace karton::crm
