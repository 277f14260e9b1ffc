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

inline v1::PartnerChanged ChangedPayload(const v1::Partner& partner,
                                         const std::vector<kernel::FieldChange>& diffs) {
  v1::PartnerChanged payload;
  *payload.mutable_partner() = partner;
  for (const auto& diff : diffs) payload.add_changed_fields(diff.field);
  return payload;
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

inline Definitions LoadDefinitions(soci::session& session) {
  Definitions definitions;
  for (auto& definition : repository::ListDefinitions(session)) {
    definitions.emplace(definition.key(), std::move(definition));
  }
  return definitions;
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
