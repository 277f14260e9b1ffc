#include "actions/action_effects.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <charconv>
#include <set>

#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"

namespace karton::automation {
namespace {

namespace pb = google::protobuf;
using google::protobuf::util::TimeUtil;

constexpr auto kDefaultDue = std::chrono::hours(24);

// Statuses a retry cannot change: the request itself is refused.
bool IsPermanent(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
      return true;
    default:
      return false;
  }
}

void Check(const grpc::Status& status, std::string_view what) {
  if (status.ok()) return;
  const std::string message = fmt::format("{}: {} ({})", what, status.error_message(),
                                          static_cast<int>(status.error_code()));
  if (IsPermanent(status.error_code())) throw PermanentActionError(message);
  throw std::runtime_error(message);
}

pb::Timestamp TimestampOf(kernel::TimePoint time) {
  return TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(time));
}

// The users holding `role`: a kernel role ("sales") or a module's role.
std::vector<std::int64_t> UsersWithRole(grpc::Channel& channel, const std::string& role) {
  auto stub = kernel::v1::IdentityService::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  std::vector<std::int64_t> users;
  kernel::v1::ListUsersRequest request;
  request.set_page_size(1000);
  do {
    kernel::v1::ListUsersResponse page;
    Check(stub->ListUsers(kernel::KernelCallContext().get(), request, &page), "ListUsers");
    for (const auto& user : page.users()) {
      if (user.disabled()) continue;
      bool holds = std::find(user.module_roles().begin(), user.module_roles().end(), role) !=
                   user.module_roles().end();
      for (const int held : user.roles()) {
        if (kernel::EnumWord(*kernel::v1::Role_descriptor(), held) == role) holds = true;
      }
      if (holds) users.push_back(user.id());
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return users;
}

void SetScalar(pb::Message& message, const pb::FieldDescriptor& field, const std::string& value) {
  const pb::Reflection& reflection = *message.GetReflection();
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      reflection.SetString(&message, &field, value);
      return;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      reflection.SetBool(&message, &field, value == "true");
      return;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      auto number = kernel::EnumValueOfWord(*field.enum_type(), value);
      if (!number) number = field.enum_type()->FindValueByName(value)->number();
      reflection.SetEnumValue(&message, &field, *number);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      double number = 0;
      std::from_chars(value.data(), value.data() + value.size(), number);
      if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_DOUBLE) {
        reflection.SetDouble(&message, &field, number);
      } else {
        reflection.SetFloat(&message, &field, static_cast<float>(number));
      }
      return;
    }
    default: {
      long long number = 0;
      std::from_chars(value.data(), value.data() + value.size(), number);
      switch (field.cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_INT32:
          reflection.SetInt32(&message, &field, static_cast<std::int32_t>(number));
          return;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          reflection.SetUInt32(&message, &field, static_cast<std::uint32_t>(number));
          return;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          reflection.SetUInt64(&message, &field, static_cast<std::uint64_t>(number));
          return;
        default:
          reflection.SetInt64(&message, &field, number);
          return;
      }
    }
  }
}

// Sets key -> value in a map<string, string> field.
void SetMapEntry(pb::Message& message, const pb::FieldDescriptor& field, const std::string& key,
                 const std::string& value) {
  const pb::Reflection& reflection = *message.GetReflection();
  for (int i = 0; i < reflection.FieldSize(message, &field); ++i) {
    pb::Message* entry = reflection.MutableRepeatedMessage(&message, &field, i);
    const pb::Descriptor& type = *entry->GetDescriptor();
    if (entry->GetReflection()->GetString(*entry, type.field(0)) == key) {
      entry->GetReflection()->SetString(entry, type.field(1), value);
      return;
    }
  }
  pb::Message* entry = reflection.AddMessage(&message, &field);
  const pb::Descriptor& type = *entry->GetDescriptor();
  entry->GetReflection()->SetString(entry, type.field(0), key);
  entry->GetReflection()->SetString(entry, type.field(1), value);
}

std::unique_ptr<pb::Message> NewMessage(const pb::Descriptor& type) {
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(&type);
  if (prototype == nullptr) throw std::logic_error("no generated type " + type.full_name());
  return std::unique_ptr<pb::Message>(prototype->New());
}

std::string FieldText(const pb::Message& message, const char* name) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) return "";
  return message.GetReflection()->GetString(message, field);
}

}  // namespace

std::string WebhookBody(const ActionScope& scope) {
  return fmt::format(
      R"({{"rule_id":"{}","rule_run_id":"{}","action_index":{},"event":{{"id":"{}","topic":{},)"
      R"("aggregate_id":"{}","publish_time":"{}","payload_type":{},"payload":{}}}}})",
      scope.rule_id, scope.run_id, scope.action_index, scope.event_id,
      kernel::JsonString(scope.topic), scope.aggregate_id,
      TimeUtil::ToString(TimestampOf(scope.event_time)),
      kernel::JsonString(scope.payload->GetDescriptor()->full_name()),
      kernel::PrintProtoJson(*scope.payload));
}

ActionResult GrpcActionEffects::Perform(const CompiledAction& action, const ActionScope& scope) {
  switch (action.action.kind_case()) {
    case v1::RuleAction::kCreateActivity:
      return {CreateActivities(action, scope), "", false};
    case v1::RuleAction::kSendTemplate:
      return SendTemplate(action, scope);
    case v1::RuleAction::kSetFields:
      return {SetFields(action, scope), "", false};
    case v1::RuleAction::kCallWebhook:
      return {CallWebhook(action, scope), "", false};
    case v1::RuleAction::KIND_NOT_SET:
      break;
  }
  throw PermanentActionError("the action says nothing to do");
}

std::string GrpcActionEffects::CreateActivities(const CompiledAction& action,
                                                const ActionScope& scope) {
  const v1::CreateActivityAction& definition = action.action.create_activity();
  auto channel = channel_();
  // Each person once, in the order the rule names them.
  std::vector<std::int64_t> assignees;
  std::set<std::int64_t> seen;
  const auto add = [&](std::int64_t user) {
    if (user > 0 && seen.insert(user).second) assignees.push_back(user);
  };
  for (const auto user : definition.assigned_user_ids()) add(user);
  if (definition.assign_record_owner()) add(scope.record.owner_user_id);
  for (const auto& role : definition.assigned_roles()) {
    for (const auto user : UsersWithRole(*channel, role)) add(user);
  }
  if (assignees.empty()) {
    throw PermanentActionError(
        "nobody to give the activity to: the record has no owner and "
        "no active user holds the roles named");
  }
  const std::chrono::seconds due_after =
      definition.has_due_after() ? std::chrono::seconds(definition.due_after().seconds())
                                 : std::chrono::duration_cast<std::chrono::seconds>(kDefaultDue);
  crm::v1::Activity activity;
  activity.set_type(definition.type() == crm::v1::ACTIVITY_TYPE_UNSPECIFIED
                        ? crm::v1::ACTIVITY_TYPE_TASK
                        : definition.type());
  activity.set_subject(action.subject->Fill(*scope.payload));
  activity.set_description(action.description->Fill(*scope.payload));
  activity.set_partner_id(scope.record.partner_id);
  activity.set_contact_id(scope.record.contact_id);
  activity.set_lead_id(scope.record.lead_id);
  activity.set_opportunity_id(scope.record.opportunity_id);
  *activity.mutable_due_time() = TimestampOf(clock_.Now() + due_after);
  auto stub = crm::v1::ActivityService::NewStub(channel);
  std::vector<std::string> made;
  for (const auto user : assignees) {
    crm::v1::CreateActivityRequest request;
    *request.mutable_activity() = activity;
    request.mutable_activity()->set_assigned_user_id(user);
    request.set_request_id(fmt::format("{}-{}", scope.key, user));
    crm::v1::Activity created;
    Check(stub->CreateActivity(kernel::KernelCallContext().get(), request, &created),
          "CreateActivity");
    made.push_back(std::to_string(created.id()));
  }
  return fmt::format("crm.activity {}", fmt::join(made, ", "));
}

ActionResult GrpcActionEffects::SendTemplate(const CompiledAction& action,
                                             const ActionScope& scope) {
  const v1::SendTemplateAction& definition = action.action.send_template();
  messaging::v1::SendMessageRequest request;
  request.set_channel(definition.channel() == messaging::v1::CHANNEL_UNSPECIFIED
                          ? messaging::v1::CHANNEL_EMAIL
                          : definition.channel());
  request.set_category(definition.category() == messaging::v1::CATEGORY_UNSPECIFIED
                           ? messaging::v1::CATEGORY_TRANSACTIONAL
                           : definition.category());
  request.set_template_name(definition.template_name());
  request.set_language(definition.language());
  request.set_idempotency_key(scope.key);
  // The payload is the template's variables: {{partner.display_name}}.
  kernel::ParseProtoJson(kernel::PrintProtoJson(*scope.payload), *request.mutable_variables());
  auto& recipient = *request.mutable_recipient();
  switch (definition.recipient()) {
    case v1::RECIPIENT_KIND_CONTACT:
      if (scope.record.contact_id == 0) {
        throw PermanentActionError("the event names no contact to send to");
      }
      recipient.set_contact_id(scope.record.contact_id);
      recipient.set_partner_id(scope.record.partner_id);
      break;
    case v1::RECIPIENT_KIND_LEAD: {
      const std::string address = request.channel() == messaging::v1::CHANNEL_EMAIL
                                      ? FieldText(*scope.record.record, "email")
                                      : FieldText(*scope.record.record, "phone");
      if (address.empty()) throw PermanentActionError("the lead has no address for the channel");
      recipient.set_address(address);
      recipient.set_partner_id(scope.record.partner_id);
      break;
    }
    default:
      if (scope.record.partner_id == 0) {
        throw PermanentActionError("the event names no partner to send to");
      }
      recipient.set_partner_id(scope.record.partner_id);
  }
  messaging::v1::Message sent;
  auto stub = messaging::v1::MessagingService::NewStub(channel_());
  Check(stub->SendMessage(kernel::KernelCallContext().get(), request, &sent), "SendMessage");
  const bool suppressed = sent.status() == messaging::v1::MESSAGE_STATUS_SUPPRESSED;
  return {fmt::format("messaging.message {}{}", sent.id(), suppressed ? " (suppressed)" : ""),
          sent.address(), suppressed};
}

std::string GrpcActionEffects::SetFields(const CompiledAction& action, const ActionScope& scope) {
  const RecordMethods& methods = *action.record_methods;
  if (scope.record.id == 0) throw PermanentActionError("the event carries no record id");
  auto channel = channel_();
  // Read, change, write with the etag just read; another writer in between
  // makes the update ABORTED, and the record is read again.
  for (int attempt = 1;; ++attempt) {
    auto get = NewMessage(*methods.get_request);
    get->GetReflection()->SetInt64(get.get(), methods.get_request->FindFieldByName("id"),
                                   scope.record.id);
    auto current = NewMessage(*methods.record);
    Check(kernel::CallMethod(*channel, *kernel::KernelCallContext(), methods.get_method, *get,
                             *current),
          methods.get_method);
    auto update = NewMessage(*methods.update_request);
    pb::Message* record =
        update->GetReflection()->MutableMessage(update.get(), methods.update_record_field);
    record->CopyFrom(*current);
    std::set<std::string> mask;
    for (const auto& [name, value] : action.action.set_fields().values()) {
      const auto dot = name.find('.');
      const std::string field_name = name.substr(0, dot);
      const pb::FieldDescriptor* field = methods.record->FindFieldByName(field_name);
      if (dot != std::string::npos) {
        SetMapEntry(*record, *field, name.substr(dot + 1), value);
      } else {
        SetScalar(*record, *field, value);
      }
      mask.insert(field_name);
    }
    auto* field_mask = static_cast<pb::FieldMask*>(
        update->GetReflection()->MutableMessage(update.get(), methods.update_mask_field));
    for (const auto& path : mask) field_mask->add_paths(path);
    auto written = NewMessage(*methods.record);
    const grpc::Status status = kernel::CallMethod(*channel, *kernel::KernelCallContext(),
                                                   methods.update_method, *update, *written);
    if (status.error_code() == grpc::StatusCode::ABORTED && attempt < 3) continue;
    Check(status, methods.update_method);
    return fmt::format("{} {} updated: {}", methods.record->full_name(), scope.record.id,
                       fmt::join(mask, ", "));
  }
}

std::string GrpcActionEffects::CallWebhook(const CompiledAction& action, const ActionScope& scope) {
  kernel::OutboundPost post;
  post.url = action.action.call_webhook().url();
  post.body = WebhookBody(scope);
  post.event_id = scope.event_id;
  post.topic = scope.topic;
  post.idempotency_key = scope.key;
  const auto result = post_(post);
  if (result.delivered) return fmt::format("HTTP {}", result.http_status);
  const std::string message = result.http_status > 0
                                  ? fmt::format("the webhook answered HTTP {}", result.http_status)
                                  : fmt::format("the webhook was not reached: {}", result.error);
  // A 4xx says the request is wrong, but for "too many" and "timeout".
  if (result.http_status >= 400 && result.http_status < 500 && result.http_status != 408 &&
      result.http_status != 429) {
    throw PermanentActionError(message);
  }
  throw std::runtime_error(message);
}

}  // namespace karton::automation
