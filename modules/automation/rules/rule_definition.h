// A rule checked and compiled against the payload type of its trigger
// topics: the condition, each action's placeholders, timing field and the
// record fields it sets. The same compilation refuses a bad rule when it is
// saved (every problem, each naming its field) and runs a saved one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "karton/automation/v1/automation.pb.h"
#include "karton/kernel/errors.h"
#include "rules/payload_fields.h"

namespace karton::automation {

// topic -> full name of its payload message (EventService/ListTopics).
using TopicTypes = std::map<std::string, std::string>;

// The record methods a set_fields action goes through: the record type's
// own service, "karton.crm.v1.Lead" -> karton.crm.v1.LeadService's
// GetLead and UpdateLead.
struct RecordMethods {
  std::string get_method;     // "/karton.crm.v1.LeadService/GetLead"
  std::string update_method;  // "/karton.crm.v1.LeadService/UpdateLead"
  const google::protobuf::Descriptor* get_request = nullptr;
  const google::protobuf::Descriptor* update_request = nullptr;
  const google::protobuf::Descriptor* record = nullptr;
  const google::protobuf::FieldDescriptor* update_record_field = nullptr;  // UpdateLeadRequest.lead
  const google::protobuf::FieldDescriptor* update_mask_field = nullptr;
};
std::optional<RecordMethods> FindRecordMethods(const google::protobuf::Descriptor& record);

struct CompiledAction {
  v1::RuleAction action;
  std::optional<FieldPath> timing_field;
  std::optional<Placeholders> subject;
  std::optional<Placeholders> description;
  std::optional<RecordMethods> record_methods;
};

struct CompiledRule {
  const google::protobuf::Descriptor* payload = nullptr;
  std::optional<Condition> condition;
  std::vector<CompiledAction> actions;
};

// Checks `rule` (name, topics, condition, actions) and fills its
// payload_type; `violations` names every problem ("rule.actions[1].
// send_template.template_name"). `url_problem` says what is wrong with a
// webhook URL ("" when nothing).
struct RuleChecks {
  const TopicTypes& topics;
  std::function<std::string(const std::string& url)> url_problem;
};
std::optional<CompiledRule> CheckRule(v1::Rule& rule, const RuleChecks& checks,
                                      std::vector<kernel::FieldViolation>& violations);

// Checks and compiles one action for payloads of type `payload`; problems
// go to `violations`, named under `at` ("journey.steps[2]").
CompiledAction CheckAction(const google::protobuf::Descriptor& payload,
                           const v1::RuleAction& action, const std::string& at,
                           const std::function<std::string(const std::string&)>& url_problem,
                           std::vector<kernel::FieldViolation>& violations);

// "HH:MM", 00:00 to 23:59.
bool IsLocalTime(const std::string& text);

// Compiles the actions of a rule saved earlier (CheckRule accepted them)
// for `payload`; throws std::runtime_error when they no longer compile
// (a module that published the type was removed, say).
CompiledRule CompileSaved(const google::protobuf::Descriptor& payload, const std::string& condition,
                          const google::protobuf::RepeatedPtrField<v1::RuleAction>& actions);

// The payload type named `full_name`, from the protobuf types of every
// loaded module; nullptr when none has it.
const google::protobuf::Descriptor* PayloadDescriptor(const std::string& full_name);

// The payload `bytes` of message type `type` (a loaded module's), or
// nullptr when the type is unknown here or the bytes do not parse.
std::unique_ptr<google::protobuf::Message> ParsePayload(const std::string& type,
                                                        const std::string& bytes);

// The value text of a set_fields entry as the field takes it; "" when it
// fits, else what is wrong.
std::string SetValueProblem(const google::protobuf::FieldDescriptor& field,
                            const std::string& value);

}  // namespace karton::automation
