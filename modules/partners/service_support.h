// What every handler of PartnerService shares: topics and event payloads,
// who may see what, order_by. (Update masks, etags and diffs are the
// kernel's: karton/kernel/updates.h.)
#pragma once

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/updates.h"
#include "known_definitions.h"
#include "partner_repository.h"
#include "partner_rules.h"
#include "visibility.h"

namespace karton::partners {

inline constexpr const char* kPartnerResource = "partners.partner";

inline constexpr const char* kTopicCreated = "partners.partner.created";
inline constexpr const char* kTopicUpdated = "partners.partner.updated";
inline constexpr const char* kTopicArchived = "partners.partner.archived";
inline constexpr const char* kTopicRestored = "partners.partner.restored";
inline constexpr const char* kTopicDeleted = "partners.partner.deleted";
inline constexpr const char* kTopicMerged = "partners.partner.merged";
inline constexpr const char* kTopicErased = "partners.partner.erased";
// RecordMarketingConsent's, with the entry as its payload (keyed by partner).
inline constexpr const char* kTopicConsentRecorded = "partners.consent.recorded";
inline constexpr const char* kConsentResource = "partners.marketing_consent";

inline v1::PartnerChanged ChangedPayload(const v1::Partner& partner,
                                         const std::vector<kernel::FieldChange>& diffs) {
  v1::PartnerChanged payload;
  *payload.mutable_partner() = partner;
  for (const auto& diff : diffs) payload.add_changed_fields(diff.field);
  return payload;
}

// The ids of a BatchGet call: 1 to 1000, each positive.
inline constexpr int kMaxBatchIds = 1000;
template <class Ids>
grpc::Status CheckBatchIds(const Ids& ids) {
  if (ids.empty()) return kernel::InvalidField("ids", "is required");
  if (ids.size() > kMaxBatchIds) {
    return kernel::InvalidField("ids", fmt::format("at most {} ids at once", kMaxBatchIds));
  }
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i] <= 0) return kernel::InvalidField(fmt::format("ids[{}]", i), "must be positive");
  }
  return grpc::Status::OK;
}

// Before writing external ids: a key of a source may belong to one partner.
inline grpc::Status CheckExternalIds(soci::session& session, const v1::Partner& partner) {
  for (const auto& [source, key] : partner.external_ids()) {
    const auto owner = repository::FindByExternalId(session, source, key);
    if (owner && *owner != partner.id()) {
      return {grpc::StatusCode::ALREADY_EXISTS,
              fmt::format("partner.external_ids[{}]: key '{}' already belongs to partner {}",
                          source, key, *owner)};
    }
  }
  return grpc::Status::OK;
}

// The group of `card` (parent_partner_id), checked in the transaction
// (docs/partners.md, "The group"): a new parent must exist, be an
// organization not merged into another, and be neither the card itself nor
// one of its subsidiaries (at any depth); a partner with subsidiaries stays
// an organization. `before` is the stored card of an update, null on
// create. Problems go to `violations`, named "partner.parent_partner_id"
// and "partner.kind". Run under repository::LockHierarchy when the parent
// or the kind changes, so concurrent writes cannot make a cycle together.
inline void CheckGroup(soci::session& session, const v1::Partner& card, const v1::Partner* before,
                       std::vector<kernel::FieldViolation>& violations) {
  if (before != nullptr && before->kind() == v1::PARTNER_KIND_ORGANIZATION &&
      card.kind() == v1::PARTNER_KIND_PERSON) {
    if (const auto children = repository::ChildrenOf(session, card.id()); !children.empty()) {
      violations.push_back(
          {"partner.kind",
           fmt::format("partner {} is the parent of {} partner(s) (their parent_partner_id), and "
                       "a person cannot be a parent: give them another parent first",
                       card.id(), children.size())});
    }
  }
  const std::int64_t parent_id = card.parent_partner_id();
  // None, or refused by NormalizePartner already (negative, itself).
  if (parent_id <= 0 || parent_id == card.id()) return;
  if (before != nullptr && before->parent_partner_id() == parent_id) return;  // unchanged
  const std::string field = "partner.parent_partner_id";
  const auto parent =
      repository::FindPartner(session, parent_id, repository::Visibility::Everyone());
  if (!parent) {
    violations.push_back({field, fmt::format("there is no partner {}", parent_id)});
  } else if (parent->merged_into_id() != 0) {
    violations.push_back({field, fmt::format("partner {} was merged into partner {}: name that one",
                                             parent_id, parent->merged_into_id())});
  } else if (parent->kind() != v1::PARTNER_KIND_ORGANIZATION) {
    violations.push_back(
        {field,
         fmt::format("partner {} is a person; a parent must be an organization", parent_id)});
  } else if (card.id() > 0 && repository::IsAtOrAbove(session, card.id(), parent_id)) {
    violations.push_back(
        {field, fmt::format("partner {} belongs to partner {}'s group already: a parent there "
                            "would make a cycle",
                            parent_id, card.id())});
  }
}

// Staff (and kartond itself) see every partner; anyone else sees only what
// is shared with them: an external partner their grants, nobody (user 0)
// nothing at all.
inline repository::Visibility VisibilityOf(const kernel::Caller& caller) {
  return {!caller.IsStaff(), caller.user_id};
}

// The kernel's handler guard and SQLSTATE reader (karton/kernel/guarded.h).
using kernel::Guarded;
using kernel::SqlState;

// order_by -> column and direction, from a whitelist.
inline bool ParseOrderBy(const std::string& order_by, std::string& column, bool& descending) {
  std::string text = order_by;
  descending = false;
  const auto space = text.find(' ');
  if (space != std::string::npos) {
    const std::string direction = text.substr(space + 1);
    text = text.substr(0, space);
    if (direction == "desc") {
      descending = true;
    } else if (direction != "asc") {
      return false;
    }
  }
  if (text.empty()) text = "id";
  static const std::set<std::string> kColumns = {"id", "display_name", "create_time",
                                                 "update_time"};
  if (kColumns.count(text) == 0) return false;
  column = text;
  return true;
}

}  // namespace karton::partners
