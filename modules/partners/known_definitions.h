// The custom field definitions as this kartond last read them, so that
// CreatePartner and UpdatePartner can check a card without reading them
// first. Nothing trusts this copy on its own: the partner's INSERT or
// UPDATE compares the copy's fingerprint with the stored definitions in the
// same statement and writes nothing when they differ
// (repository::InsertPartner, repository::UpdatePartner), and a card the
// copy refuses is checked again against the stored definitions. So a
// definition changed by another kartond, or a moment ago, is never missed;
// it only costs the next write one more round trip.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "partner_repository.h"
#include "partner_rules.h"

namespace karton::partners {

// The stored definitions by key, read in `session`'s transaction.
inline Definitions LoadDefinitions(soci::session& session) {
  Definitions definitions;
  for (auto& definition : repository::ListDefinitions(session)) {
    definitions.emplace(definition.key(), std::move(definition));
  }
  return definitions;
}

struct DefinitionsRead {
  Definitions definitions;
  // repository::DefinitionsFingerprint of `definitions`.
  std::string fingerprint;
};

class KnownDefinitions {
 public:
  // The last copy read, or null before the first read and after Forget().
  std::shared_ptr<const DefinitionsRead> Last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

  // Reads the stored definitions in `session`'s transaction and keeps them.
  std::shared_ptr<const DefinitionsRead> Read(soci::session& session) {
    auto read = std::make_shared<DefinitionsRead>();
    read->definitions = LoadDefinitions(session);
    read->fingerprint = repository::DefinitionsFingerprint(read->definitions);
    std::lock_guard lock(mutex_);
    last_ = read;
    return read;
  }

  // Checks a card with `check` (const Definitions& -> whether they accept
  // the card) against the kept copy, and against the stored definitions,
  // read in `session`'s transaction, when there is no copy yet or the copy
  // refuses the card: a refusal is never made from a copy that may be out
  // of date. Returns the definitions the card was last checked against,
  // whose fingerprint the write then compares with the stored one.
  template <typename CardCheck>
  std::shared_ptr<const DefinitionsRead> CheckCard(soci::session& session, CardCheck&& check) {
    if (auto last = Last(); last != nullptr && check(last->definitions)) return last;
    return CheckCardAgain(session, check);
  }

  // The same against a fresh read: after the write found that the stored
  // definitions are no longer the ones the card was checked against.
  template <typename CardCheck>
  std::shared_ptr<const DefinitionsRead> CheckCardAgain(soci::session& session, CardCheck&& check) {
    auto fresh = Read(session);
    check(fresh->definitions);
    return fresh;
  }

  // After this kartond changed a definition: the next write reads them.
  void Forget() {
    std::lock_guard lock(mutex_);
    last_.reset();
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const DefinitionsRead> last_;
};

}  // namespace karton::partners
