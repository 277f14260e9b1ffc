#include "journeys/journey_definition.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include <set>
#include <stdexcept>

#include "karton/crm/v1/crm.pb.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::automation {
namespace {

namespace pb = google::protobuf;

constexpr std::int64_t kMaxOffsetSeconds = 3LL * 366 * 24 * 3600;
constexpr int kMaxSteps = 50;
constexpr int kMaxRepeats = 500;

// A step's action as the rule action it is: the same checks and effects.
std::optional<v1::RuleAction> ActionOf(const v1::JourneyStep& step) {
  v1::RuleAction action;
  if (step.has_send_template()) {
    *action.mutable_send_template() = step.send_template();
  } else if (step.has_create_activity()) {
    *action.mutable_create_activity() = step.create_activity();
  } else {
    return std::nullopt;
  }
  return action;
}

void CheckStep(const pb::Descriptor& subject, const v1::JourneyStep& step, const std::string& at,
               const std::string& now_local, std::vector<kernel::FieldViolation>& violations,
               CompiledStep& compiled) {
  const auto add = [&](std::string field, std::string description) {
    violations.push_back({at + field, std::move(description)});
  };
  compiled.step = step;
  if (step.name().size() > 200) add(".name", "at most 200 characters");
  if (step.offset().seconds() < 0 || step.offset().seconds() > kMaxOffsetSeconds) {
    add(".offset", "from 0 to three years");
  }
  if (step.repeat_count() < 0 || step.repeat_count() > kMaxRepeats) {
    add(".repeat_count", "from 1 to 500 (0 means 1)");
  }
  if (step.repeat_count() > 1 && step.repeat_every().seconds() < 60) {
    add(".repeat_every", "is required, a minute or more, when the step repeats");
  }
  if (step.repeat_every().seconds() > kMaxOffsetSeconds)
    add(".repeat_every", "at most three years");
  if (!step.local_time().empty() && !IsLocalTime(step.local_time())) {
    add(".local_time", "must be HH:MM, 00:00 to 23:59");
  }
  if (!step.wait_until().empty()) {
    if (!IsLocalDateTime(step.wait_until())) {
      add(".wait_until", "must be a local date and time, YYYY-MM-DDTHH:MM");
    } else if (step.wait_until() <= now_local) {
      add(".wait_until", "has passed: the step could never run");
    }
    if (step.offset().seconds() != 0) add(".offset", "cannot be given with wait_until");
  }
  std::string problem;
  if (!step.condition().empty()) {
    compiled.condition = Condition::Compile(subject, step.condition(), problem);
    if (!compiled.condition) add(".condition", problem);
  }
  if (step.has_goal()) {
    if (step.goal().condition().empty()) {
      add(".goal.condition", "is required: when is the goal reached?");
    } else {
      compiled.goal = Condition::Compile(subject, step.goal().condition(), problem);
      if (!compiled.goal) add(".goal.condition", problem);
    }
    return;
  }
  const auto action = ActionOf(step);
  if (!action) {
    add("", "says what to do: send_template, create_activity or goal");
    return;
  }
  // The action's own field names sit directly under the step.
  std::vector<kernel::FieldViolation> action_violations;
  compiled.action = CheckAction(subject, *action, at, {}, action_violations);
  violations.insert(violations.end(), action_violations.begin(), action_violations.end());
}

}  // namespace

const pb::Descriptor& SubjectType(v1::JourneySubject subject) {
  return subject == v1::JOURNEY_SUBJECT_LEAD ? *crm::v1::Lead::descriptor()
                                             : *partners::v1::Partner::descriptor();
}

bool IsLocalDateTime(const std::string& text) {
  return text.size() == 16 && text[10] == 'T' && IsDateText(text.substr(0, 10)) &&
         IsLocalTime(text.substr(11));
}

std::optional<CompiledJourney> CheckJourney(const v1::Journey& journey, const TopicTypes& topics,
                                            const std::string& now_local_date_time,
                                            std::vector<kernel::FieldViolation>& violations) {
  const std::size_t before = violations.size();
  const auto add = [&](std::string field, std::string description) {
    violations.push_back({std::move(field), std::move(description)});
  };
  if (journey.name().empty()) add("journey.name", "is required");
  if (journey.name().size() > 200) add("journey.name", "at most 200 characters");
  if (journey.description().size() > 4000) add("journey.description", "at most 4000 characters");
  if (!v1::JourneySubject_IsValid(journey.subject())) add("journey.subject", "is not a subject");
  CompiledJourney compiled;
  compiled.subject = &SubjectType(journey.subject());
  auto methods = FindRecordMethods(*compiled.subject);
  if (!methods)
    throw std::logic_error("no Get/Update methods for " + compiled.subject->full_name());
  compiled.subject_methods = *methods;
  const bool lead = journey.subject() == v1::JOURNEY_SUBJECT_LEAD;

  if (journey.enrol_topics_size() > 10) add("journey.enrol_topics", "at most ten topics");
  std::set<std::string> seen;
  for (int i = 0; i < journey.enrol_topics_size(); ++i) {
    const std::string& topic = journey.enrol_topics(i);
    const std::string at = fmt::format("journey.enrol_topics[{}]", i);
    const auto found = topics.find(topic);
    if (found == topics.end()) {
      add(at, fmt::format("no loaded module publishes '{}'", topic));
      continue;
    }
    if (!seen.insert(topic).second) {
      add(at, fmt::format("'{}' is named twice", topic));
      continue;
    }
    const pb::Descriptor* type = PayloadDescriptor(found->second);
    if (type == nullptr) {
      add(at, fmt::format("its payload {} is not known here", found->second));
    } else if (compiled.enrol_payload == nullptr) {
      compiled.enrol_payload = type;
      const pb::Descriptor* record = RecordTypeOf(*type);
      const bool names_subject =
          lead ? record != nullptr && (record->full_name() == "karton.crm.v1.Lead" ||
                                       record->FindFieldByName("lead_id") != nullptr)
               : CanNamePartner(*type);
      if (!names_subject) {
        add(at,
            fmt::format("{} names no {} to enrol", type->full_name(), lead ? "lead" : "partner"));
      }
    } else if (compiled.enrol_payload != type) {
      add(at, fmt::format("carries {}, the topics before it {}: one payload type",
                          type->full_name(), compiled.enrol_payload->full_name()));
    }
  }
  if (!journey.enrol_condition().empty()) {
    if (compiled.enrol_payload == nullptr) {
      add("journey.enrol_condition", "needs enrol_topics: it is a condition on their events");
    } else {
      std::string problem;
      compiled.enrol_condition =
          Condition::Compile(*compiled.enrol_payload, journey.enrol_condition(), problem);
      if (!compiled.enrol_condition) add("journey.enrol_condition", problem);
    }
  }
  if (journey.steps().empty() || journey.steps_size() > kMaxSteps) {
    add("journey.steps", "one to fifty steps");
  }
  for (int i = 0; i < journey.steps_size(); ++i) {
    CompiledStep step;
    CheckStep(*compiled.subject, journey.steps(i), fmt::format("journey.steps[{}]", i),
              now_local_date_time, violations, step);
    compiled.steps.push_back(std::move(step));
  }
  if (journey.stops().on_purchase() && lead) {
    add("journey.stops.on_purchase", "applies to partners: leads do not buy until they are one");
  }
  if (violations.size() != before) return std::nullopt;
  return compiled;
}

std::vector<CompiledStep> CompileSavedSteps(v1::JourneySubject subject,
                                            const pb::RepeatedPtrField<v1::JourneyStep>& steps) {
  std::vector<kernel::FieldViolation> violations;
  std::vector<CompiledStep> compiled;
  for (int i = 0; i < steps.size(); ++i) {
    CompiledStep step;
    // A wait_until that has passed since is no reason to refuse now.
    CheckStep(SubjectType(subject), steps[i], fmt::format("steps[{}]", i), "", violations, step);
    compiled.push_back(std::move(step));
  }
  if (!violations.empty()) {
    throw std::runtime_error(fmt::format("the journey's steps no longer compile: {}: {}",
                                         violations.front().field, violations.front().description));
  }
  return compiled;
}

}  // namespace karton::automation
