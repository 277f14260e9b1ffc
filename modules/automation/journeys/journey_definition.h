// A journey checked and compiled: its enrolment trigger against the
// payload type of its topics, its steps' conditions, goals and actions
// against the subject's record type (karton.partners.v1.Partner or
// karton.crm.v1.Lead). As for rules, the same code refuses a bad journey
// when it is saved, naming every field, and compiles a saved one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "karton/automation/v1/journey.pb.h"
#include "rules/rule_definition.h"

namespace karton::automation {

struct CompiledStep {
  v1::JourneyStep step;
  std::optional<Condition> condition;
  std::optional<Condition> goal;
  // Set for send_template and create_activity.
  std::optional<CompiledAction> action;
  int RepeatCount() const { return step.repeat_count() < 1 ? 1 : step.repeat_count(); }
};

struct CompiledJourney {
  // The partner or lead record, and how it is read.
  const google::protobuf::Descriptor* subject = nullptr;
  RecordMethods subject_methods;
  // nullptr when the journey enrols by API only.
  const google::protobuf::Descriptor* enrol_payload = nullptr;
  std::optional<Condition> enrol_condition;
  std::vector<CompiledStep> steps;
};

// The subject's record type: Partner (default) or Lead.
const google::protobuf::Descriptor& SubjectType(v1::JourneySubject subject);

// `now_local_date_time` ("YYYY-MM-DDTHH:MM" in the module's zone) refuses
// a wait_until already past: a step that could never run.
std::optional<CompiledJourney> CheckJourney(const v1::Journey& journey, const TopicTypes& topics,
                                            const std::string& now_local_date_time,
                                            std::vector<kernel::FieldViolation>& violations);

// The steps an enrolment carries (accepted when saved); throws
// std::runtime_error when they no longer compile.
std::vector<CompiledStep> CompileSavedSteps(
    v1::JourneySubject subject, const google::protobuf::RepeatedPtrField<v1::JourneyStep>& steps);

// "2027-01-15T09:00" -> whether it is a real local date and time.
bool IsLocalDateTime(const std::string& text);

}  // namespace karton::automation
