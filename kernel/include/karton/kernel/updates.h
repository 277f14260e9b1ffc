// Update methods, one way for every module (AIP-134 style): an update mask
// names the fields to change (none: every updatable field the request
// sets), an optional etag guards against lost updates, and one reflective
// diff of the stored and the updated record feeds both the audit entry and
// the event's changed-field list.
//
//   std::vector<std::string> paths;
//   if (auto status = kernel::UpdatePaths(*request, request->note(), {"text", "pinned"}, paths);
//       !status.ok()) return status;
//   ... stored = Find(...) in the transaction ...
//   if (auto status = kernel::CheckEtag("note", id, request->note().etag(), stored->etag());
//       !status.ok()) return status;
//   Note updated = *stored;
//   kernel::ApplyUpdateMask(request->note(), paths, updated);
//   ... validate, write ...
//   const auto changes = kernel::DiffFields(&*stored, updated);
//   context.Audit().Record(session, caller, kernel::AuditAction::kUpdate, kNote, id, changes);
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/audit.h"

namespace google::protobuf {
class FieldMask;
class Message;
}  // namespace google::protobuf

namespace karton::kernel {

// Whether an update may change the top-level field `name` of the resource.
using UpdatableField = std::function<bool(const std::string& name)>;

// The paths an update changes: the mask's, each one allowed by `updatable`
// (else INVALID_ARGUMENT on update_mask naming it), or without a mask (null
// or empty) every updatable field `change` sets. An update that changes
// nothing is INVALID_ARGUMENT too.
grpc::Status UpdatePaths(const google::protobuf::FieldMask* mask,
                         const google::protobuf::Message& change, const UpdatableField& updatable,
                         std::vector<std::string>& paths);

// The same for an update request whose `update_mask` field (a FieldMask,
// read by reflection) may name the fields `updatable` lists or allows:
//   kernel::UpdatePaths(*request, request->note(), {"text", "pinned"}, paths)
grpc::Status UpdatePaths(const google::protobuf::Message& request,
                         const google::protobuf::Message& change,
                         std::initializer_list<std::string_view> updatable,
                         std::vector<std::string>& paths);
grpc::Status UpdatePaths(const google::protobuf::Message& request,
                         const google::protobuf::Message& change, const UpdatableField& updatable,
                         std::vector<std::string>& paths);

// Copies the fields `paths` names from `change` into `target` (one message
// type): a named field that is empty in `change` is cleared; messages,
// repeated fields and maps are replaced whole, never merged.
void ApplyUpdateMask(const google::protobuf::Message& change, const std::vector<std::string>& paths,
                     google::protobuf::Message& target);

// OK when `sent` is empty (the caller did not ask for the check) or equals
// `current`; otherwise ABORTED saying the record changed meanwhile, so the
// client reloads and applies its change again.
grpc::Status CheckEtag(std::string_view what, std::int64_t id, std::string_view sent,
                       std::string_view current);

// The fields of `after` that differ from `before` (every set field when
// `before` is null; every field of `before` when `after` is empty), as JSON
// values for the audit trail. The bookkeeping fields (id, etag,
// create_time, update_time, erase_time) and `also_ignored` are left out; a
// message field present but empty counts as not set. One message type.
std::vector<FieldChange> DiffFields(const google::protobuf::Message* before,
                                    const google::protobuf::Message& after,
                                    std::initializer_list<std::string_view> also_ignored = {});

// The field names of `changes`, for an event's changed-field list.
std::vector<std::string> ChangedFieldNames(const std::vector<FieldChange>& changes);

}  // namespace karton::kernel
