#include "imports/receiving_imports.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "imports/import_repository.h"

namespace karton::partners {

ReceivingImports::Claim ReceivingImports::Hold(std::int64_t id) {
  std::lock_guard lock(mutex_);
  if (!lease_) lease_.emplace(database_.Acquire());
  try {
    import_repository::HoldReceivingLock(lease_->Session(), id);
  } catch (...) {
    if (held_ == 0) lease_.reset();
    throw;
  }
  ++held_;
  return Claim(*this, id);
}

void ReceivingImports::Release(std::int64_t id) noexcept {
  std::lock_guard lock(mutex_);
  try {
    import_repository::ReleaseReceivingLock(lease_->Session(), id);
  } catch (const std::exception& error) {
    // The connection broke: its locks are gone with it anyway.
    spdlog::warn("partners: releasing the receiving lock of import {} failed: {}", id,
                 error.what());
  }
  if (--held_ == 0) lease_.reset();
}

}  // namespace karton::partners
