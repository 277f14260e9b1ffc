#include "karton/kernel/updates.h"

#include <fmt/format.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/field_mask_util.h>

#include <algorithm>
#include <stdexcept>

#include "karton/kernel/errors.h"
#include "karton/kernel/proto_json.h"

namespace karton::kernel {

grpc::Status UpdatePaths(const google::protobuf::FieldMask* mask,
                         const google::protobuf::Message& change, const UpdatableField& updatable,
                         std::vector<std::string>& paths) {
  if (mask != nullptr && mask->paths_size() > 0) {
    for (const auto& path : mask->paths()) {
      if (!updatable(path)) {
        return InvalidField("update_mask",
                            fmt::format("'{}' is not a field this update changes", path));
      }
      paths.push_back(path);
    }
    return grpc::Status::OK;
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  change.GetReflection()->ListFields(change, &fields);
  for (const auto* field : fields) {
    if (updatable(field->name())) paths.push_back(field->name());
  }
  if (paths.empty()) {
    return InvalidField("update_mask", "names no field, and the request sets none");
  }
  return grpc::Status::OK;
}

namespace {

// The request's update_mask, or null when it has none (or no such field).
const google::protobuf::FieldMask* MaskOf(const google::protobuf::Message& request) {
  const auto* field = request.GetDescriptor()->FindFieldByName("update_mask");
  if (field == nullptr || field->message_type() == nullptr ||
      field->message_type()->full_name() !=
          google::protobuf::FieldMask::descriptor()->full_name()) {
    throw std::logic_error(request.GetTypeName() + " has no update_mask FieldMask");
  }
  if (!request.GetReflection()->HasField(request, field)) return nullptr;
  return google::protobuf::DynamicCastToGenerated<google::protobuf::FieldMask>(
      &request.GetReflection()->GetMessage(request, field));
}

}  // namespace

grpc::Status UpdatePaths(const google::protobuf::Message& request,
                         const google::protobuf::Message& change,
                         std::initializer_list<std::string_view> updatable,
                         std::vector<std::string>& paths) {
  const std::vector<std::string_view> names(updatable);
  return UpdatePaths(
      MaskOf(request), change,
      [&](const std::string& name) {
        return std::find(names.begin(), names.end(), name) != names.end();
      },
      paths);
}

grpc::Status UpdatePaths(const google::protobuf::Message& request,
                         const google::protobuf::Message& change, const UpdatableField& updatable,
                         std::vector<std::string>& paths) {
  return UpdatePaths(MaskOf(request), change, updatable, paths);
}

void ApplyUpdateMask(const google::protobuf::Message& change, const std::vector<std::string>& paths,
                     google::protobuf::Message& target) {
  google::protobuf::FieldMask mask;
  for (const auto& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(change, mask, options, &target);
}

grpc::Status CheckEtag(std::string_view what, std::int64_t id, std::string_view sent,
                       std::string_view current) {
  if (sent.empty() || sent == current) return grpc::Status::OK;
  return {grpc::StatusCode::ABORTED,
          fmt::format("{} {} was changed meanwhile (etag {} is stale, it is now {}): reload it "
                      "and apply the change again",
                      what, id, sent, current)};
}

std::vector<FieldChange> DiffFields(const google::protobuf::Message* before,
                                    const google::protobuf::Message& after,
                                    std::initializer_list<std::string_view> also_ignored) {
  // Both sides print with the kernel's codec, which prints only set fields
  // and sorts map keys, so equal values print equal text.
  std::vector<std::string_view> ignored{"id", "etag", "create_time", "update_time", "erase_time"};
  ignored.insert(ignored.end(), also_ignored.begin(), also_ignored.end());
  auto set_fields = [&](const google::protobuf::Message& message) {
    auto fields = SetFieldsAsJson(message, ignored);
    std::erase_if(fields, [](const ProtoFieldJson& field) { return field.json == "{}"; });
    return fields;
  };
  const auto old_fields = before != nullptr ? set_fields(*before) : std::vector<ProtoFieldJson>{};
  const auto new_fields = set_fields(after);
  auto find = [](const std::vector<ProtoFieldJson>& fields,
                 const std::string& name) -> const std::string* {
    for (const auto& field : fields) {
      if (field.field == name) return &field.json;
    }
    return nullptr;
  };
  std::vector<FieldChange> changes;
  for (const auto& field : new_fields) {
    const std::string* old_json = find(old_fields, field.field);
    if (old_json != nullptr && *old_json == field.json) continue;
    changes.push_back({field.field,
                       old_json != nullptr ? std::optional<std::string>(*old_json) : std::nullopt,
                       field.json});
  }
  for (const auto& field : old_fields) {
    if (find(new_fields, field.field) == nullptr) {
      changes.push_back({field.field, field.json, std::nullopt});
    }
  }
  return changes;
}

std::vector<std::string> ChangedFieldNames(const std::vector<FieldChange>& changes) {
  std::vector<std::string> names;
  names.reserve(changes.size());
  for (const auto& change : changes) names.push_back(change.field);
  return names;
}

}  // namespace karton::kernel
