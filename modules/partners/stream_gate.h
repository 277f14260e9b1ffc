// How many streaming calls (document uploads and downloads, imports) one
// user may have open at once. Each stream keeps a handler thread busy for as
// long as its client sends or reads, so without a cap a handful of slow
// clients could occupy every thread (security review). kartond's own calls
// are not counted.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "karton/kernel/access.h"

namespace karton::partners {

class StreamGate {
 public:
  explicit StreamGate(int per_user) : per_user_(per_user) {}

  // Holds one of the user's streams until destroyed.
  class Ticket {
   public:
    Ticket(StreamGate& gate, std::int64_t user_id) : gate_(&gate), user_id_(user_id) {}
    Ticket(Ticket&& other) noexcept : gate_(other.gate_), user_id_(other.user_id_) {
      other.gate_ = nullptr;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (gate_ != nullptr) gate_->Leave(user_id_);
    }

   private:
    StreamGate* gate_;
    std::int64_t user_id_;
  };

  // A ticket, or nullopt when the caller has per_user streams open already.
  std::optional<Ticket> Enter(const kernel::Caller& caller) {
    if (caller.IsInternal()) return Ticket(*this, 0);
    std::lock_guard lock(mutex_);
    int& open = open_by_user_[caller.user_id];
    if (open >= per_user_) return std::nullopt;
    ++open;
    return Ticket(*this, caller.user_id);
  }

  int PerUser() const { return per_user_; }

 private:
  void Leave(std::int64_t user_id) {
    if (user_id == 0) return;
    std::lock_guard lock(mutex_);
    if (--open_by_user_[user_id] <= 0) open_by_user_.erase(user_id);
  }

  const int per_user_;
  std::mutex mutex_;
  std::map<std::int64_t, int> open_by_user_;
};

}  // namespace karton::partners
