// Teams and their active members, read through the kernel's
// IdentityService and kept for a few seconds: membership changes rarely,
// while leads (routing) and calendars ask often.
//
// Reading goes over gRPC, which needs a database connection of its own.
// So it happens in Refresh(), which callers run before they take a
// connection for their transaction: a handler that held one while it
// waited for another could, with enough of them at once, exhaust the pool
// (seen with --http-threads above the pool size). Inside a transaction,
// ActiveMembers() and Exists() only read what is kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "karton/kernel/service_parts.h"

namespace karton::crm {

class TeamDirectory {
 public:
  // `channel` gives the channel to the kernel's IdentityService (valid from
  // Start() on: asked at each read). `fresh`: how long what was read is
  // kept (crm.team_cache_seconds); zero reads at every Refresh().
  explicit TeamDirectory(std::function<std::shared_ptr<grpc::Channel>()> channel,
                         std::chrono::seconds fresh = std::chrono::seconds(5))
      : channel_(std::move(channel)), fresh_(fresh) {}

  // Reads teams and users again when what is kept is older than `fresh`
  // (or always, with `force`). Call it before taking a database connection.
  void Refresh(bool force = false);
  // Whether the team exists, reading again when what is kept does not know
  // it: a team made a moment ago is found. Does I/O like Refresh().
  bool ExistsNow(std::int64_t team_id);
  // The team's members that are not disabled, in id order; empty for a
  // team that does not exist. No I/O.
  std::vector<std::int64_t> ActiveMembers(std::int64_t team_id);
  bool Exists(std::int64_t team_id);
  // True for a user that was disabled when the users were last read.
  bool IsDisabled(std::int64_t user_id);

 private:
  const std::function<std::shared_ptr<grpc::Channel>()> channel_;
  const std::chrono::seconds fresh_;
  std::mutex refresh_mutex_;  // one reader of IdentityService at a time
  std::mutex mutex_;          // guards what is kept
  std::chrono::steady_clock::time_point read_{};
  std::map<std::int64_t, std::vector<std::int64_t>> members_;
  std::set<std::int64_t> disabled_;
};

}  // namespace karton::crm
