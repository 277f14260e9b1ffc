// The audit trail: every create, update and delete a module makes records
// who (the caller), when (the kernel clock), what (resource type and id) and
// the field-level old and new values, in the same transaction as the change:
//
//   soci::transaction tx(session);
//   ... UPDATE partners.partner ...
//   context.Audit().Record(session, kernel::CallerOf(*server_context),
//                          kernel::AuditAction::kUpdate, "partners.partner", id,
//                          {kernel::FieldChange::Of("city", old_city, new_city)});
//   tx.commit();
//
// AuditService/ListAuditEntries reads it back.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "karton/kernel/access.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

namespace v1 {
class AuditEntry;
}  // namespace v1

// kErase: personal data was erased on request (A10); see EraseValues.
enum class AuditAction { kCreate, kUpdate, kDelete, kErase };

// Old and new values as JSON text ("\"Szeged\"", "42", "true", "null"),
// stored as given: text that is not JSON fails the recording transaction.
struct FieldChange {
  std::string field;
  std::optional<std::string> old_json;
  std::optional<std::string> new_json;

  // Helpers that encode the values as JSON.
  static FieldChange Of(std::string field, std::string_view old_text, std::string_view new_text);
  static FieldChange Of(std::string field, std::int64_t old_number, std::int64_t new_number);
  // Only real bools: string literals would otherwise convert to bool (a
  // standard conversion beats the one to string_view) and land here.
  template <class Flag>
  requires std::same_as<Flag, bool>
  static FieldChange Of(std::string field, Flag old_flag, Flag new_flag) {
    return {std::move(field), old_flag ? "true" : "false", new_flag ? "true" : "false"};
  }
  static FieldChange Created(std::string field, std::string_view text);
};

// JSON string literal for `text` (quoted and escaped).
std::string JsonString(std::string_view text);

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Inserts one entry inside `session`'s transaction. An update with no
  // changed field records nothing.
  virtual void Record(soci::session& session, const Caller& actor, AuditAction action,
                      std::string_view resource_type, std::int64_t resource_id,
                      const std::vector<FieldChange>& changes) = 0;

  // Many entries of one action and resource type at once (bulk imports), in
  // one COPY inside `session`'s transaction: resource id -> its changes.
  using Entries = std::vector<std::pair<std::int64_t, std::vector<FieldChange>>>;
  virtual void RecordMany(soci::session& session, const Caller& actor, AuditAction action,
                          std::string_view resource_type, const Entries& entries) = 0;

  // The resource's entries, oldest first: what a personal data export
  // shows of a record's history. (Include audit_service.pb.h to call it.)
  virtual std::vector<v1::AuditEntry> History(soci::session& session,
                                              std::string_view resource_type,
                                              std::int64_t resource_id) = 0;

  // Personal data erasure: replaces the old and new values of `fields`
  // (every field when empty) in the resource's entries with "[erased]",
  // inside `session`'s transaction. Who changed which field when stays.
  // The only change entries ever get: the law's right to erasure beats the
  // trail's append-only rule. Record a kErase entry with it.
  virtual void EraseValues(soci::session& session, std::string_view resource_type,
                           std::int64_t resource_id, const std::vector<std::string>& fields) = 0;
};

}  // namespace karton::kernel
