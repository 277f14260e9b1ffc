#include "audit_log.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "karton/kernel/copy.h"
#include "karton/kernel/database.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"

namespace karton::kernel {
namespace {

using google::protobuf::util::TimeUtil;

// Every audited write runs it: prepared once per connection (RunPrepared).
const std::string kInsertEntry =
    "INSERT INTO kernel.audit_entry (occurred_at, actor_user_id, action, resource_type, "
    "resource_id, changes) VALUES (to_timestamp(cast($1 AS bigint) / 1e6), "
    "nullif(cast($2 AS bigint), 0), $3, $4, $5, cast($6 AS jsonb))";

// Filters are bound and switch themselves off when unset: the statement text
// never depends on the request.
constexpr const char* kListEntries =
    "SELECT id, (extract(epoch from occurred_at) * 1000000)::bigint, coalesce(actor_user_id, 0), "
    "action, resource_type, resource_id, changes::text FROM kernel.audit_entry "
    "WHERE (:type1 = '' OR resource_type = :type2) "
    "AND (cast(:id1 AS bigint) = 0 OR resource_id = :id2) "
    "AND (cast(:actor1 AS bigint) = 0 OR actor_user_id = :actor2) "
    "AND (cast(:start1 AS bigint) = 0 OR occurred_at >= to_timestamp(:start2 / 1e6)) "
    "AND (cast(:end1 AS bigint) = 0 OR occurred_at < to_timestamp(:end2 / 1e6)) "
    "AND (cast(:before1 AS bigint) = 0 OR id < :before2) "
    "ORDER BY id DESC LIMIT :limit";

constexpr const char* kHistory =
    "SELECT id, (extract(epoch from occurred_at) * 1000000)::bigint, coalesce(actor_user_id, 0), "
    "action, resource_type, resource_id, changes::text FROM kernel.audit_entry "
    "WHERE resource_type = :type AND resource_id = cast(:id AS bigint) ORDER BY id";

// Each change of a named field (every field when the list is empty) keeps
// its "field" and loses its values to "[erased]"; the order stays.
constexpr const char* kEraseValues =
    "UPDATE kernel.audit_entry e SET changes = (SELECT coalesce(jsonb_agg(CASE "
    "WHEN jsonb_array_length(cast(:fields1 AS jsonb)) = 0 "
    "OR cast(:fields2 AS jsonb) ? (c.value->>'field') "
    "THEN c.value - 'old' - 'new' "
    "|| CASE WHEN c.value ? 'old' THEN '{\"old\": \"[erased]\"}'::jsonb ELSE '{}' END "
    "|| CASE WHEN c.value ? 'new' THEN '{\"new\": \"[erased]\"}'::jsonb ELSE '{}' END "
    "ELSE c.value END ORDER BY c.ordinality), '[]'::jsonb) "
    "FROM jsonb_array_elements(e.changes) WITH ORDINALITY AS c) "
    "WHERE e.resource_type = :type AND e.resource_id = cast(:id AS bigint)";

const char* ActionName(AuditAction action) {
  switch (action) {
    case AuditAction::kCreate:
      return "create";
    case AuditAction::kUpdate:
      return "update";
    case AuditAction::kDelete:
      return "delete";
    case AuditAction::kErase:
      return "erase";
  }
  return "update";
}

v1::AuditAction ActionValue(const std::string& name) {
  if (name == "create") return v1::AUDIT_ACTION_CREATE;
  if (name == "update") return v1::AUDIT_ACTION_UPDATE;
  if (name == "delete") return v1::AUDIT_ACTION_DELETE;
  if (name == "erase") return v1::AUDIT_ACTION_ERASE;
  return v1::AUDIT_ACTION_UNSPECIFIED;
}

bool IsValidResourceType(std::string_view type) {
  return !type.empty() && std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

}  // namespace

std::string JsonString(std::string_view text) {
  return boost::json::serialize(boost::json::string(text));
}

FieldChange FieldChange::Of(std::string field, std::string_view old_text,
                            std::string_view new_text) {
  return {std::move(field), JsonString(old_text), JsonString(new_text)};
}

FieldChange FieldChange::Of(std::string field, std::int64_t old_number, std::int64_t new_number) {
  return {std::move(field), std::to_string(old_number), std::to_string(new_number)};
}

FieldChange FieldChange::Created(std::string field, std::string_view text) {
  return {std::move(field), std::nullopt, JsonString(text)};
}

namespace {

// The stored form of an entry's changes; nullopt for an update that changed
// nothing (which is not recorded).
std::optional<std::string> ChangesJson(AuditAction action,
                                       const std::vector<FieldChange>& changes) {
  // Values arrive as JSON text and go in as they are, so they are stored as
  // JSON rather than as strings holding JSON. No parse here: the jsonb column
  // refuses text that is not JSON, failing the caller's transaction, and an
  // import records a million of these.
  std::string json = "[";
  for (const auto& change : changes) {
    if (action == AuditAction::kUpdate && change.old_json == change.new_json) continue;
    if (json.size() > 1) json += ',';
    json += "{\"field\":";
    json += JsonString(change.field);
    if (change.old_json) {
      json += ",\"old\":";
      json += *change.old_json;
    }
    if (change.new_json) {
      json += ",\"new\":";
      json += *change.new_json;
    }
    json += '}';
  }
  if (action == AuditAction::kUpdate && json.size() == 1) return std::nullopt;
  json += ']';
  return json;
}

// A row of kHistory or kListEntries.
void ReadEntry(const soci::row& row, v1::AuditEntry& entry) {
  entry.set_id(row.get<long long>(0));
  *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(row.get<long long>(1));
  entry.set_actor_user_id(row.get<long long>(2));
  entry.set_action(ActionValue(row.get<std::string>(3)));
  entry.set_resource_type(row.get<std::string>(4));
  entry.set_resource_id(row.get<long long>(5));
  const boost::json::value changes = boost::json::parse(row.get<std::string>(6));
  for (const auto& value : changes.as_array()) {
    const auto& object = value.as_object();
    v1::FieldChange* change = entry.add_changes();
    change->set_field(std::string(object.at("field").as_string()));
    if (object.contains("old")) change->set_old_value(boost::json::serialize(object.at("old")));
    if (object.contains("new")) change->set_new_value(boost::json::serialize(object.at("new")));
  }
}

void CheckResourceType(std::string_view resource_type) {
  if (!IsValidResourceType(resource_type)) {
    throw std::invalid_argument(
        fmt::format("audit: resource type '{}' is not <module>.<resource>", resource_type));
  }
}

}  // namespace

void KernelAuditLog::RecordMany(soci::session& session, const Caller& actor, AuditAction action,
                                std::string_view resource_type, const Entries& entries) {
  CheckResourceType(resource_type);
  const std::int64_t actor_user_id = ActorUserId(actor);
  if (entries.empty()) return;
  // The kernel clock's time as PostgreSQL reads it back, in UTC.
  const std::string at =
      TimeUtil::ToString(TimeUtil::MicrosecondsToTimestamp(ToEpochMicros(clock_.Now())));
  CopyIn copy(session,
              "COPY kernel.audit_entry (occurred_at, actor_user_id, action, resource_type, "
              "resource_id, changes) FROM STDIN");
  for (const auto& [resource_id, changes] : entries) {
    const auto json = ChangesJson(action, changes);
    if (!json) continue;
    copy.Field(at);
    if (actor_user_id == 0) {
      copy.Null();
    } else {
      copy.Field(actor_user_id);
    }
    copy.Field(ActionName(action));
    copy.Field(resource_type);
    copy.Field(resource_id);
    copy.Field(*json);
    copy.EndRow();
  }
  copy.Finish();
}

std::vector<v1::AuditEntry> KernelAuditLog::History(soci::session& session,
                                                    std::string_view resource_type,
                                                    std::int64_t resource_id) {
  const std::string type(resource_type);
  long long id = resource_id;
  soci::rowset<soci::row> rows = (session.prepare << kHistory, soci::use(type), soci::use(id));
  std::vector<v1::AuditEntry> entries;
  for (const auto& row : rows) ReadEntry(row, entries.emplace_back());
  return entries;
}

void KernelAuditLog::EraseValues(soci::session& session, std::string_view resource_type,
                                 std::int64_t resource_id, const std::vector<std::string>& fields) {
  CheckResourceType(resource_type);
  boost::json::array names;
  for (const auto& field : fields) names.emplace_back(field);
  const std::string fields_json = boost::json::serialize(names);
  const std::string type(resource_type);
  long long id = resource_id;
  session << kEraseValues, soci::use(fields_json), soci::use(fields_json), soci::use(type),
      soci::use(id);
}

void KernelAuditLog::Record(soci::session& session, const Caller& actor, AuditAction action,
                            std::string_view resource_type, std::int64_t resource_id,
                            const std::vector<FieldChange>& changes) {
  CheckResourceType(resource_type);
  const std::int64_t actor_user_id = ActorUserId(actor);
  const auto changes_json = ChangesJson(action, changes);
  if (!changes_json) return;
  const std::string at_us = std::to_string(ToEpochMicros(clock_.Now()));
  const std::string actor_id = std::to_string(actor_user_id);
  const std::string action_name = ActionName(action);
  const std::string id = std::to_string(resource_id);
  // Inside a kernel::Transaction it goes out with the COMMIT.
  RunPreparedLater(session, kInsertEntry,
                   {at_us, actor_id, action_name, resource_type, id, *changes_json});
}

MethodRoles AuditServiceImpl::Roles() {
  return {{"ListAuditEntries", {std::string(kRoleAdmin), std::string(kRoleAccounting)}}};
}

grpc::Status AuditServiceImpl::ListAuditEntries(grpc::ServerContext*,
                                                const v1::ListAuditEntriesRequest* request,
                                                v1::ListAuditEntriesResponse* response) {
  Page page;
  if (auto status = ReadPage(*request, page); !status.ok()) {
    return status;
  }
  const int size = page.size;
  const long long before = page.AfterId();  // newest first: ids below it
  const std::string type = request->resource_type();
  const long long id = request->resource_id(), actor = request->actor_user_id();
  const long long start =
      request->has_start_time() ? TimeUtil::TimestampToMicroseconds(request->start_time()) : 0;
  const long long end =
      request->has_end_time() ? TimeUtil::TimestampToMicroseconds(request->end_time()) : 0;
  const int limit = size + 1;
  auto lease = database_.Acquire();
  soci::rowset<soci::row> rows =
      (lease.Session().prepare << kListEntries, soci::use(type), soci::use(type), soci::use(id),
       soci::use(id), soci::use(actor), soci::use(actor), soci::use(start), soci::use(start),
       soci::use(end), soci::use(end), soci::use(before), soci::use(before), soci::use(limit));
  for (const auto& row : rows) {
    if (response->audit_entries_size() == size) {
      response->set_next_page_token(
          NextPageToken(page, PageCursor{"", response->audit_entries(size - 1).id()}));
      break;
    }
    ReadEntry(row, *response->add_audit_entries());
  }
  return grpc::Status::OK;
}

}  // namespace karton::kernel
