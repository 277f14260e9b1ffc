// Teams and their active members, read through the kernel's
// IdentityService and kept for a few seconds: membership changes rarely,
// while leads (routing) and calendars ask often.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "karton/kernel/module.h"

namespace karton::crm {

class TeamDirectory {
 public:
  explicit TeamDirectory(kernel::ModuleContext& context) : context_(context) {}

  // The team's members that are not disabled, in id order; empty for a
  // team that does not exist.
  std::vector<std::int64_t> ActiveMembers(std::int64_t team_id);
  bool Exists(std::int64_t team_id);

 private:
  void RefreshIfOld();

  kernel::ModuleContext& context_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point read_{};
  std::map<std::int64_t, std::vector<std::int64_t>> members_;
};

}  // namespace karton::crm
