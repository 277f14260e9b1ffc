// Which imports this kartond is receiving right now, told to other kartond
// (and to this one after a restart) by PostgreSQL advisory locks.
//
// While its file arrives an import holds no transaction (a slow client must
// not hold a connection), so its transaction's lock cannot say that it is
// alive. Instead one pooled connection, shared by every import this process
// receives, holds a session-level lock per import; it is taken when the
// first import starts receiving and given back when the last one ends. If
// kartond dies, the connection closes and the locks go with it, so
// FailAbandonedImports sees the import as interrupted at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "karton/kernel/database.h"

namespace karton::partners {

class ReceivingImports {
 public:
  explicit ReceivingImports(kernel::Database& database) : database_(database) {}

  // Marks import `id` as received by this process until destroyed.
  class Claim {
   public:
    Claim(ReceivingImports& owner, std::int64_t id) : owner_(&owner), id_(id) {}
    Claim(Claim&& other) noexcept : owner_(other.owner_), id_(other.id_) { other.owner_ = nullptr; }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    Claim& operator=(Claim&&) = delete;
    ~Claim() {
      if (owner_ != nullptr) owner_->Release(id_);
    }

   private:
    ReceivingImports* owner_;
    std::int64_t id_;
  };

  // Throws when the lock cannot be taken (the database is away).
  Claim Hold(std::int64_t id);

 private:
  void Release(std::int64_t id) noexcept;

  kernel::Database& database_;
  std::mutex mutex_;
  std::optional<kernel::Database::Lease> lease_;
  int held_ = 0;
};

}  // namespace karton::partners
