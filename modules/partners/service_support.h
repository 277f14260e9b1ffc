// What every handler of PartnerService shares: error mapping, who may see
// what, audit changes from field diffs, update masks.
#pragma once

#include <fmt/format.h>
#include <google/protobuf/util/field_mask_util.h>

#include <set>
#include <string>
#include <vector>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/module.h"
#include "partner_repository.h"
#include "partner_rules.h"

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
                                         const std::vector<FieldDiff>& diffs) {
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

inline grpc::Status StaleEtag(const char* what, std::int64_t id, const std::string& sent,
                              const std::string& current) {
  return {grpc::StatusCode::ABORTED,
          fmt::format("{} {} was changed meanwhile (etag {} is stale, it is now {}): reload it "
                      "and apply the change again",
                      what, id, sent, current)};
}

inline std::vector<kernel::FieldChange> AuditChanges(const std::vector<FieldDiff>& diffs) {
  std::vector<kernel::FieldChange> changes;
  for (const auto& diff : diffs) changes.push_back({diff.field, diff.old_json, diff.new_json});
  return changes;
}

// Copies the fields `paths` names from `source` into `target`: a named field
// that is empty in `source` is cleared; repeated fields and maps are
// replaced whole.
inline void MergeFields(const google::protobuf::Message& source,
                        const std::vector<std::string>& paths, google::protobuf::Message& target) {
  google::protobuf::FieldMask mask;
  for (const auto& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(source, mask, options, &target);
}

// The paths of an update: the mask's, each one allowed by `updatable`, or
// without a mask every updatable field `message` sets.
template <class Updatable>
grpc::Status UpdatePaths(const google::protobuf::FieldMask* mask,
                         const google::protobuf::Message& message, Updatable updatable,
                         std::vector<std::string>& paths) {
  if (mask != nullptr && mask->paths_size() > 0) {
    for (const auto& path : mask->paths()) {
      if (!updatable(path)) {
        return kernel::InvalidField("update_mask",
                                    fmt::format("'{}' is not a field this update changes", path));
      }
      paths.push_back(path);
    }
    return grpc::Status::OK;
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (updatable(field->name())) paths.push_back(field->name());
  }
  if (paths.empty()) {
    return kernel::InvalidField("update_mask", "names no field, and the request sets none");
  }
  return grpc::Status::OK;
}

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
