#include "rules/rule_definition.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/time_util.h>

#include <cctype>
#include <charconv>
#include <set>
#include <stdexcept>

#include "karton/kernel/typed_rows.h"

namespace karton::automation {
namespace {

namespace pb = google::protobuf;

constexpr std::size_t kMaxActions = 20;
constexpr std::size_t kMaxTopics = 10;
constexpr std::int64_t kMaxOffsetSeconds = 3LL * 366 * 24 * 3600;

// Fields a set_fields action may not touch: they are the record's identity
// and bookkeeping, not its data.
const std::set<std::string, std::less<>> kUnsettable = {
    "id", "etag", "create_time", "update_time", "erase_time", "merged_into_id"};

std::string LowerSnake(const std::string& camel) {
  std::string snake;
  for (std::size_t i = 0; i < camel.size(); ++i) {
    const char c = camel[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) snake += '_';
      snake += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      snake += c;
    }
  }
  return snake;
}

}  // namespace

bool IsLocalTime(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return false;
  int hours = 0, minutes = 0;
  const auto h = std::from_chars(text.data(), text.data() + 2, hours);
  const auto m = std::from_chars(text.data() + 3, text.data() + 5, minutes);
  return h.ec == std::errc() && h.ptr == text.data() + 2 && m.ec == std::errc() &&
         m.ptr == text.data() + 5 && hours >= 0 && hours < 24 && minutes >= 0 && minutes < 60;
}

namespace {

bool IsRoleName(const std::string& role) {
  if (role.empty() || role.size() > 64 || !std::islower(static_cast<unsigned char>(role[0]))) {
    return false;
  }
  for (const char c : role) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

class Checker {
 public:
  Checker(const pb::Descriptor& payload, std::vector<kernel::FieldViolation>& violations)
      : payload_(payload), violations_(violations) {}

  void Add(std::string field, std::string description) {
    violations_.push_back({std::move(field), std::move(description)});
  }

  CompiledAction Action(const v1::RuleAction& action, const std::string& at,
                        const std::function<std::string(const std::string&)>& url_problem) {
    CompiledAction compiled;
    compiled.action = action;
    Timing(action, at, compiled);
    switch (action.kind_case()) {
      case v1::RuleAction::kCreateActivity:
        CreateActivity(action.create_activity(), at + ".create_activity", compiled);
        break;
      case v1::RuleAction::kSendTemplate:
        SendTemplate(action.send_template(), at + ".send_template");
        break;
      case v1::RuleAction::kSetFields:
        SetFields(action.set_fields(), at + ".set_fields", compiled);
        break;
      case v1::RuleAction::kCallWebhook: {
        const std::string& url = action.call_webhook().url();
        if (url.empty()) {
          Add(at + ".call_webhook.url", "is required");
        } else if (url.size() > 2000) {
          Add(at + ".call_webhook.url", "at most 2000 characters");
        } else if (url_problem) {
          if (auto problem = url_problem(url); !problem.empty()) {
            Add(at + ".call_webhook.url", problem);
          }
        }
        break;
      }
      case v1::RuleAction::KIND_NOT_SET:
        Add(at, "says what to do: create_activity, send_template, set_fields or call_webhook");
        break;
    }
    return compiled;
  }

 private:
  void Timing(const v1::RuleAction& action, const std::string& at, CompiledAction& compiled) {
    if (!action.has_timing()) return;
    const v1::ActionTiming& timing = action.timing();
    const std::int64_t offset = timing.offset().seconds();
    if (offset > kMaxOffsetSeconds || offset < -kMaxOffsetSeconds) {
      Add(at + ".timing.offset", "at most three years either way");
    }
    if (timing.from_field().empty()) {
      if (offset < 0) {
        Add(at + ".timing.offset", "can be negative only from a field (timing.from_field)");
      }
      if (!timing.local_time().empty()) {
        Add(at + ".timing.local_time", "applies to a date field (timing.from_field)");
      }
      return;
    }
    std::string problem;
    auto path = FieldPath::Resolve(payload_, timing.from_field(), problem);
    if (!path) {
      Add(at + ".timing.from_field", problem);
      return;
    }
    if (path->Repeated() || (path->Kind() != FieldKind::kTimestamp &&
                             path->Kind() != FieldKind::kDate && !path->IsMapEntry())) {
      Add(at + ".timing.from_field",
          fmt::format("'{}' holds no date or time: name a Timestamp, a Date or a custom field",
                      timing.from_field()));
      return;
    }
    if (!timing.local_time().empty() && !IsLocalTime(timing.local_time())) {
      Add(at + ".timing.local_time", "must be HH:MM, 00:00 to 23:59");
    }
    if (!timing.local_time().empty() && path->Kind() == FieldKind::kTimestamp) {
      Add(at + ".timing.local_time", "applies to a date field, not to a moment");
    }
    compiled.timing_field = std::move(path);
  }

  void CreateActivity(const v1::CreateActivityAction& action, const std::string& at,
                      CompiledAction& compiled) {
    std::string problem;
    if (action.subject().empty()) {
      Add(at + ".subject", "is required");
    } else if (action.subject().size() > 200) {
      Add(at + ".subject", "at most 200 characters");
    } else if (auto subject = Placeholders::Compile(payload_, action.subject(), problem)) {
      compiled.subject = std::move(subject);
    } else {
      Add(at + ".subject", problem);
    }
    if (action.description().size() > 4000) {
      Add(at + ".description", "at most 4000 characters");
    } else if (auto description = Placeholders::Compile(payload_, action.description(), problem)) {
      compiled.description = std::move(description);
    } else {
      Add(at + ".description", problem);
    }
    if (action.assigned_user_ids().empty() && action.assigned_roles().empty() &&
        !action.assign_record_owner()) {
      Add(at + ".assigned_user_ids",
          "name who gets it: assigned_user_ids, assigned_roles or assign_record_owner");
    }
    for (int i = 0; i < action.assigned_user_ids_size(); ++i) {
      if (action.assigned_user_ids(i) <= 0) {
        Add(fmt::format("{}.assigned_user_ids[{}]", at, i), "must be a user id");
      }
    }
    for (int i = 0; i < action.assigned_roles_size(); ++i) {
      if (!IsRoleName(action.assigned_roles(i))) {
        Add(fmt::format("{}.assigned_roles[{}]", at, i), "is not a role name");
      }
    }
    if (action.due_after().seconds() < 0 || action.due_after().seconds() > kMaxOffsetSeconds) {
      Add(at + ".due_after", "from 0 to three years");
    }
    if (action.type() < 0 || !crm::v1::ActivityType_IsValid(action.type())) {
      Add(at + ".type", "is not an activity type");
    }
  }

  void SendTemplate(const v1::SendTemplateAction& action, const std::string& at) {
    if (action.template_name().empty()) Add(at + ".template_name", "is required");
    if (action.template_name().size() > 200) Add(at + ".template_name", "at most 200 characters");
    switch (action.recipient()) {
      case v1::RECIPIENT_KIND_UNSPECIFIED:
      case v1::RECIPIENT_KIND_PARTNER:
        if (!CanNamePartner(payload_)) {
          Add(at + ".recipient", fmt::format("{} names no partner", payload_.full_name()));
        }
        break;
      case v1::RECIPIENT_KIND_CONTACT:
        if (!CanNameContact(payload_)) {
          Add(at + ".recipient", fmt::format("{} names no contact", payload_.full_name()));
        }
        break;
      case v1::RECIPIENT_KIND_LEAD:
        if (!IsLeadPayload(payload_)) {
          Add(at + ".recipient", fmt::format("{} is not about a lead", payload_.full_name()));
        }
        break;
      default:
        Add(at + ".recipient", "is not a recipient kind");
    }
  }

  void SetFields(const v1::SetFieldsAction& action, const std::string& at,
                 CompiledAction& compiled) {
    const pb::Descriptor* record = RecordTypeOf(payload_);
    if (record == nullptr) {
      Add(at, fmt::format("{} carries no record to change", payload_.full_name()));
      return;
    }
    auto methods = FindRecordMethods(*record);
    if (!methods) {
      Add(at, fmt::format("{} has no Get and Update methods to change it through",
                          record->full_name()));
      return;
    }
    if (action.values().empty() || action.values().size() > 20) {
      Add(at + ".values", "one to twenty fields");
    }
    // Sorted, so the messages come in a stable order.
    std::map<std::string, std::string> values(action.values().begin(), action.values().end());
    for (const auto& [name, value] : values) {
      const std::string field_at = fmt::format("{}.values[{}]", at, name);
      std::string problem;
      auto path = FieldPath::Resolve(*record, name, problem);
      if (!path) {
        Add(field_at, problem);
        continue;
      }
      if (path->IsMapEntry()) {
        if (value.size() > 1000) Add(field_at, "at most 1000 characters");
        continue;
      }
      if (name.find('.') != std::string::npos || path->Repeated() ||
          path->Kind() == FieldKind::kTimestamp || path->Kind() == FieldKind::kDate ||
          kUnsettable.count(name) > 0) {
        Add(field_at, fmt::format("'{}' cannot be set by a rule: name a plain field of {} or "
                                  "custom_fields.<key>",
                                  name, record->full_name()));
        continue;
      }
      if (auto value_problem = SetValueProblem(path->Last(), value); !value_problem.empty()) {
        Add(field_at, value_problem);
      }
    }
    compiled.record_methods = std::move(methods);
  }

  const pb::Descriptor& payload_;
  std::vector<kernel::FieldViolation>& violations_;
};

}  // namespace

CompiledAction CheckAction(const pb::Descriptor& payload, const v1::RuleAction& action,
                           const std::string& at,
                           const std::function<std::string(const std::string&)>& url_problem,
                           std::vector<kernel::FieldViolation>& violations) {
  Checker checker(payload, violations);
  return checker.Action(action, at, url_problem);
}

const pb::Descriptor* PayloadDescriptor(const std::string& full_name) {
  return pb::DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
}

std::unique_ptr<pb::Message> ParsePayload(const std::string& type, const std::string& bytes) {
  const pb::Descriptor* descriptor = PayloadDescriptor(type);
  if (descriptor == nullptr) return nullptr;
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr) return nullptr;
  std::unique_ptr<pb::Message> payload(prototype->New());
  if (!payload->ParseFromString(bytes)) return nullptr;
  return payload;
}

std::optional<RecordMethods> FindRecordMethods(const pb::Descriptor& record) {
  const pb::ServiceDescriptor* service =
      pb::DescriptorPool::generated_pool()->FindServiceByName(record.full_name() + "Service");
  if (service == nullptr) return std::nullopt;
  const pb::MethodDescriptor* get = service->FindMethodByName("Get" + record.name());
  const pb::MethodDescriptor* update = service->FindMethodByName("Update" + record.name());
  if (get == nullptr || update == nullptr) return std::nullopt;
  RecordMethods methods;
  methods.get_request = get->input_type();
  methods.update_request = update->input_type();
  methods.record = &record;
  const pb::FieldDescriptor* id = methods.get_request->FindFieldByName("id");
  methods.update_record_field = methods.update_request->FindFieldByName(LowerSnake(record.name()));
  methods.update_mask_field = methods.update_request->FindFieldByName("update_mask");
  if (id == nullptr || get->output_type() != &record || update->output_type() != &record ||
      methods.update_record_field == nullptr ||
      methods.update_record_field->message_type() != &record ||
      methods.update_mask_field == nullptr) {
    return std::nullopt;
  }
  methods.get_method = fmt::format("/{}/{}", service->full_name(), get->name());
  methods.update_method = fmt::format("/{}/{}", service->full_name(), update->name());
  return methods;
}

std::string SetValueProblem(const pb::FieldDescriptor& field, const std::string& value) {
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return value.size() > 4000 ? "at most 4000 characters" : "";
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return value == "true" || value == "false" ? "" : "must be true or false";
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      if (kernel::EnumValueOfWord(*field.enum_type(), value) ||
          field.enum_type()->FindValueByName(value) != nullptr) {
        return "";
      }
      return fmt::format("{} has no value '{}'", field.enum_type()->full_name(), value);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      double number = 0;
      const auto result = std::from_chars(value.data(), value.data() + value.size(), number);
      return result.ec == std::errc() && result.ptr == value.data() + value.size()
                 ? ""
                 : "must be a number";
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return "is a message";
    default: {
      long long number = 0;
      const auto result = std::from_chars(value.data(), value.data() + value.size(), number);
      if (result.ec != std::errc() || result.ptr != value.data() + value.size()) {
        return "must be a whole number";
      }
      if ((field.cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT32 ||
           field.cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64) &&
          number < 0) {
        return "must not be negative";
      }
      return "";
    }
  }
}

std::optional<CompiledRule> CheckRule(v1::Rule& rule, const RuleChecks& checks,
                                      std::vector<kernel::FieldViolation>& violations) {
  const std::size_t before = violations.size();
  if (rule.name().empty()) violations.push_back({"rule.name", "is required"});
  if (rule.name().size() > 200) violations.push_back({"rule.name", "at most 200 characters"});
  if (rule.description().size() > 4000) {
    violations.push_back({"rule.description", "at most 4000 characters"});
  }
  const pb::Descriptor* payload = nullptr;
  if (rule.trigger_topics().empty() ||
      static_cast<std::size_t>(rule.trigger_topics_size()) > kMaxTopics) {
    violations.push_back({"rule.trigger_topics", "one to ten topics"});
  }
  std::set<std::string> seen;
  for (int i = 0; i < rule.trigger_topics_size(); ++i) {
    const std::string& topic = rule.trigger_topics(i);
    const std::string at = fmt::format("rule.trigger_topics[{}]", i);
    const auto found = checks.topics.find(topic);
    if (found == checks.topics.end()) {
      violations.push_back({at, fmt::format("no loaded module publishes '{}' (karton events "
                                            "topics lists them)",
                                            topic)});
      continue;
    }
    if (!seen.insert(topic).second) {
      violations.push_back({at, fmt::format("'{}' is named twice", topic)});
      continue;
    }
    const pb::Descriptor* type = PayloadDescriptor(found->second);
    if (type == nullptr) {
      violations.push_back({at, fmt::format("its payload {} is not known here", found->second)});
    } else if (payload == nullptr) {
      payload = type;
    } else if (payload != type) {
      violations.push_back({at, fmt::format("carries {}, the topics before it {}: a rule's "
                                            "topics share one payload type",
                                            type->full_name(), payload->full_name())});
    }
  }
  if (rule.actions().empty() || static_cast<std::size_t>(rule.actions_size()) > kMaxActions) {
    violations.push_back({"rule.actions", "one to twenty actions"});
  }
  if (payload == nullptr) return std::nullopt;
  rule.set_payload_type(payload->full_name());

  CompiledRule compiled;
  compiled.payload = payload;
  std::string problem;
  compiled.condition = Condition::Compile(*payload, rule.condition(), problem);
  if (!compiled.condition) violations.push_back({"rule.condition", problem});
  Checker checker(*payload, violations);
  for (int i = 0; i < rule.actions_size(); ++i) {
    compiled.actions.push_back(
        checker.Action(rule.actions(i), fmt::format("rule.actions[{}]", i), checks.url_problem));
  }
  if (violations.size() != before) return std::nullopt;
  return compiled;
}

CompiledRule CompileSaved(const pb::Descriptor& payload, const std::string& condition,
                          const pb::RepeatedPtrField<v1::RuleAction>& actions) {
  std::vector<kernel::FieldViolation> violations;
  CompiledRule compiled;
  compiled.payload = &payload;
  std::string problem;
  compiled.condition = Condition::Compile(payload, condition, problem);
  if (!compiled.condition) violations.push_back({"rule.condition", problem});
  Checker checker(payload, violations);
  for (int i = 0; i < actions.size(); ++i) {
    compiled.actions.push_back(checker.Action(actions[i], fmt::format("actions[{}]", i), {}));
  }
  if (!violations.empty()) {
    throw std::runtime_error(fmt::format("the rule no longer compiles: {}: {}",
                                         violations.front().field, violations.front().description));
  }
  return compiled;
}

}  // namespace karton::automation
