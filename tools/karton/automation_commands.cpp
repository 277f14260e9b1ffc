// karton automation rules|runs ...: the automation module
// (docs/automation.md). `karton rules` names the CRM's lead routing rules,
// so automation's live under their module's name.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/automation/v1/journey_service.grpc.pb.h"
#include "karton/automation/v1/recipe_service.grpc.pb.h"
#include "karton/automation/v1/rule_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace av1 = automation::v1;
using Rules = av1::RuleService::Stub;
using Journeys = av1::JourneyService::Stub;
using Recipes = av1::RecipeService::Stub;

const std::vector<std::string> kRunStates = {"pending", "succeeded", "failed"};
const std::vector<std::string> kEnrolmentStates = {"active", "completed", "stopped"};

struct Options {
  std::int64_t id = 0, rule = 0, record = 0, journey = 0, subject = 0;
  std::string file, etag, state, topic, page_token, reason, name, template_name, enabled;
  int limit = 0;
};

// What an action does, in a few words.
std::string ActionSummary(const av1::RuleAction& action) {
  std::string what;
  switch (action.kind_case()) {
    case av1::RuleAction::kCreateActivity:
      what = "activity: " + action.create_activity().subject();
      break;
    case av1::RuleAction::kSendTemplate:
      what = "template: " + action.send_template().template_name();
      break;
    case av1::RuleAction::kSetFields:
      what = fmt::format("set {} field(s)", action.set_fields().values_size());
      break;
    case av1::RuleAction::kCallWebhook:
      what = "webhook: " + action.call_webhook().url();
      break;
    case av1::RuleAction::KIND_NOT_SET:
      what = "?";
  }
  const auto& timing = action.timing();
  if (!timing.from_field().empty()) {
    what += fmt::format(" ({:+}s from {}{})", timing.offset().seconds(), timing.from_field(),
                        timing.local_time().empty() ? "" : " at " + timing.local_time());
  } else if (timing.offset().seconds() > 0) {
    what += fmt::format(" (after {}s)", timing.offset().seconds());
  }
  return what;
}

void PrintRules(const av1::ListRulesResponse& response) {
  constexpr auto kRow = "{:>5}  {:<32} {:<8} {:<40} {:>7}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "ENABLED", "TRIGGERS", "ACTIONS");
  for (const auto& rule : response.rules()) {
    std::string topics;
    for (const auto& topic : rule.trigger_topics()) topics += (topics.empty() ? "" : ",") + topic;
    std::cout << fmt::format(kRow, rule.id(), Cut(rule.name(), 32), rule.enabled() ? "yes" : "no",
                             Cut(topics, 40), rule.actions_size());
  }
  MorePages(response.next_page_token());
}

void PrintRule(const av1::Rule& rule) {
  std::cout << fmt::format("rule {}: {}{}\n", rule.id(), rule.name(),
                           rule.enabled() ? "" : " (disabled)");
  for (const auto& topic : rule.trigger_topics()) Line("on", topic);
  if (!rule.condition().empty()) Line("when", rule.condition());
  for (int i = 0; i < rule.actions_size(); ++i) {
    Line(fmt::format("action {}", i), ActionSummary(rule.actions(i)));
  }
  Lines("etag", rule.etag(), "updated", Time(rule.update_time()));
}

void PrintRun(const av1::RuleRun& run) {
  std::cout << fmt::format("run {} of rule {}: {} ({} of record {}, event {})\n", run.id(),
                           run.rule_id(), Word(run.state(), "RULE_RUN_STATE_"), run.topic(),
                           run.aggregate_id(), run.event_id());
  for (const auto& action : run.actions()) {
    std::string detail = action.result().empty() ? action.error() : action.result();
    Line(fmt::format("action {}", action.action_index()),
         fmt::format("{} at {}, {} attempt(s){}", Word(action.state(), "ACTION_STATE_"),
                     Time(action.scheduled_time()), action.attempts(),
                     detail.empty() ? "" : ": " + detail));
  }
}

void PrintRuns(const av1::ListRuleRunsResponse& response) {
  constexpr auto kRow = "{:>6}  {:>5}  {:<10} {:<30} {:>8}  {}\n";
  std::cout << fmt::format(kRow, "ID", "RULE", "STATE", "TOPIC", "RECORD", "AT");
  for (const auto& run : response.runs()) {
    std::cout << fmt::format(kRow, run.id(), run.rule_id(), Word(run.state(), "RULE_RUN_STATE_"),
                             Cut(run.topic(), 30), run.aggregate_id(), Time(run.event_time()));
  }
  MorePages(response.next_page_token());
}

void PrintJourneys(const av1::ListJourneysResponse& response) {
  constexpr auto kRow = "{:>5}  {:<32} {:<8} {:<8} {:>5}  {}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "SUBJECT", "ENABLED", "STEPS", "ENROLLED BY");
  for (const auto& journey : response.journeys()) {
    std::string topics;
    for (const auto& topic : journey.enrol_topics()) topics += (topics.empty() ? "" : ",") + topic;
    std::cout << fmt::format(
        kRow, journey.id(), Cut(journey.name(), 32), Word(journey.subject(), "JOURNEY_SUBJECT_"),
        journey.enabled() ? "yes" : "no", journey.steps_size(), topics.empty() ? "API" : topics);
  }
  MorePages(response.next_page_token());
}

void PrintJourney(const av1::Journey& journey) {
  std::cout << fmt::format("journey {}: {} ({}s){}\n", journey.id(), journey.name(),
                           Word(journey.subject(), "JOURNEY_SUBJECT_"),
                           journey.enabled() ? "" : " (disabled)");
  for (const auto& topic : journey.enrol_topics()) Line("enrolled on", topic);
  if (!journey.enrol_condition().empty()) Line("when", journey.enrol_condition());
  for (int i = 0; i < journey.steps_size(); ++i) {
    const auto& step = journey.steps(i);
    std::string what = step.has_goal() ? "goal: " + step.goal().condition()
                       : step.has_send_template()
                           ? "template: " + step.send_template().template_name()
                           : "activity: " + step.create_activity().subject();
    Line(fmt::format("step {}", i),
         fmt::format("{}{} at +{}s{}{}", step.name().empty() ? "" : step.name() + ": ", what,
                     step.offset().seconds(),
                     step.repeat_count() > 1
                         ? fmt::format(", {} times every {}s", step.repeat_count(),
                                       step.repeat_every().seconds())
                         : "",
                     step.local_time().empty() ? "" : " at " + step.local_time()));
  }
  Lines("etag", journey.etag(), "updated", Time(journey.update_time()));
}

void PrintEnrolment(const av1::Enrolment& enrolment) {
  std::cout << fmt::format(
      "enrolment {} in journey {}: {} {}{}\n", enrolment.id(), enrolment.journey_id(),
      enrolment.subject_id(), Word(enrolment.state(), "ENROLMENT_STATE_"),
      enrolment.end_reason().empty() ? "" : " (" + enrolment.end_reason() + ")");
  for (const auto& step : enrolment.steps()) {
    const std::string detail = step.result().empty() ? step.error() : step.result();
    Line(fmt::format("step {} #{}", step.step_index(), step.occurrence() + 1),
         fmt::format("{} at {}{}", Word(step.state(), "ACTION_STATE_"), Time(step.scheduled_time()),
                     detail.empty() ? "" : ": " + detail));
  }
}

void PrintEnrolments(const av1::ListEnrolmentsResponse& response) {
  constexpr auto kRow = "{:>6}  {:>7}  {:>8}  {:<10} {:<16} {}\n";
  std::cout << fmt::format(kRow, "ID", "JOURNEY", "SUBJECT", "STATE", "ENROLLED", "ENDED BECAUSE");
  for (const auto& enrolment : response.enrolments()) {
    std::cout << fmt::format(kRow, enrolment.id(), enrolment.journey_id(), enrolment.subject_id(),
                             Word(enrolment.state(), "ENROLMENT_STATE_"),
                             Time(enrolment.enrol_time()), enrolment.end_reason());
  }
  MorePages(response.next_page_token());
}

// `enable` and `disable`: an update of `enabled` alone.
void AddSwitch(CLI::App* rules, const char* name, bool enabled, const GlobalOptions& options,
               int& exit_code) {
  auto bound = std::make_shared<Options>();
  auto* command =
      Rpcs(rules->add_subcommand(name, enabled ? "Acts on events again" : "Ignores events"),
           {"karton.automation.v1.RuleService/UpdateRule"});
  command->add_option("id", bound->id)->required();
  command->callback(Run(options, exit_code, [&options, bound, enabled] {
    av1::UpdateRuleRequest request;
    request.mutable_rule()->set_id(bound->id);
    request.mutable_rule()->set_enabled(enabled);
    request.mutable_update_mask()->add_paths("enabled");
    return Call(options, &Rules::UpdateRule, request, PrintRule);
  }));
}

void PrintRecipe(const av1::Recipe& recipe) {
  std::cout << fmt::format("{}: {}{}\n", recipe.name(), recipe.enabled() ? "on" : "off",
                           recipe.unavailable_reason().empty()
                               ? ""
                               : " (unavailable: " + recipe.unavailable_reason() + ")");
  Line("does", recipe.description());
  Line("template", recipe.template_name());
  if (recipe.rule_id() > 0) Line("rule", std::to_string(recipe.rule_id()));
}

void PrintRecipes(const av1::ListRecipesResponse& response) {
  constexpr auto kRow = "{:<26} {:<4} {:<22} {}\n";
  std::cout << fmt::format(kRow, "RECIPE", "ON", "TEMPLATE", "NOTE");
  for (const auto& recipe : response.recipes()) {
    std::cout << fmt::format(kRow, recipe.name(), recipe.enabled() ? "yes" : "no",
                             Cut(recipe.template_name(), 22), recipe.unavailable_reason());
  }
}

void AddRecipeCommands(CLI::App& automation, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();
  auto* recipes = automation.add_subcommand("recipes", "Ready-made automations to switch on")
                      ->require_subcommand(1);
  Rpcs(recipes->add_subcommand("list", "Every recipe and whether it is on"),
       {"karton.automation.v1.RecipeService/ListRecipes"})
      ->callback(Run(options, exit_code, [&options] {
        return Call(options, &Recipes::ListRecipes, av1::ListRecipesRequest{}, PrintRecipes);
      }));
  auto* enable = Rpcs(recipes->add_subcommand("enable", "Switches a recipe on"),
                      {"karton.automation.v1.RecipeService/EnableRecipe"});
  enable->add_option("name", bound->name)->required();
  enable->add_option("--template", bound->template_name, "Another template than its own");
  enable->callback(Run(options, exit_code, [&options, bound] {
    av1::EnableRecipeRequest request;
    request.set_name(bound->name);
    request.set_template_name(bound->template_name);
    return Call(options, &Recipes::EnableRecipe, request, PrintRecipe);
  }));
  auto* disable = Rpcs(recipes->add_subcommand("disable", "Switches a recipe off"),
                       {"karton.automation.v1.RecipeService/DisableRecipe"});
  disable->add_option("name", bound->name)->required();
  disable->callback(Run(options, exit_code, [&options, bound] {
    av1::DisableRecipeRequest request;
    request.set_name(bound->name);
    return Call(options, &Recipes::DisableRecipe, request, PrintRecipe);
  }));
}

void AddJourneyCommands(CLI::App& automation, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();
  auto* journeys =
      automation.add_subcommand("journeys", "Journeys and enrolments")->require_subcommand(1);
  auto* list = Rpcs(journeys->add_subcommand("list", "The journeys, newest first"),
                    {"karton.automation.v1.JourneyService/ListJourneys"});
  list->add_option("--limit", bound->limit, "At most this many (default 100)");
  list->add_option("--page-token", bound->page_token, "Where the last page ended");
  list->callback(Run(options, exit_code, [&options, bound] {
    av1::ListJourneysRequest request;
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Journeys::ListJourneys, request, PrintJourneys);
  }));
  auto* get = Rpcs(journeys->add_subcommand("get", "One journey with its steps"),
                   {"karton.automation.v1.JourneyService/GetJourney"});
  get->add_option("id", bound->id)->required();
  get->callback(Run(options, exit_code, [&options, bound] {
    av1::GetJourneyRequest request;
    request.set_id(bound->id);
    return Call(options, &Journeys::GetJourney, request, PrintJourney);
  }));
  auto* create =
      Rpcs(journeys->add_subcommand(
               "create", "A journey from a file holding a Journey as JSON (docs/automation.md)"),
           {"karton.automation.v1.JourneyService/CreateJourney"});
  create->add_option("--file", bound->file, "JOURNEY.json")->required();
  create->callback(Run(options, exit_code, [&options, bound] {
    av1::CreateJourneyRequest request;
    *request.mutable_journey() = ReadJsonFile<av1::Journey>(bound->file, "Journey");
    return Call(options, &Journeys::CreateJourney, request, PrintJourney);
  }));
  auto* update =
      Rpcs(journeys->add_subcommand("update",
                                    "Change a journey: the fields a Journey JSON file sets, "
                                    "and/or --enabled (enrolments under way keep their steps)"),
           {"karton.automation.v1.JourneyService/UpdateJourney"});
  update->add_option("id", bound->id)->required();
  update->add_option("--file", bound->file, "JOURNEY.json with the fields that change");
  update->add_option("--enabled", bound->enabled, "true or false: whether events enrol")
      ->check(CLI::IsMember({"true", "false"}));
  update->add_option("--etag", bound->etag, "Refuse if the journey changed since");
  update->callback(Run(options, exit_code, [&options, bound] {
    av1::UpdateJourneyRequest request;
    if (!bound->file.empty()) {
      *request.mutable_journey() = ReadJsonFile<av1::Journey>(bound->file, "Journey");
    }
    for (const auto& field : SetFieldNames(request.journey())) {
      request.mutable_update_mask()->add_paths(field);
    }
    if (!bound->enabled.empty()) {
      request.mutable_journey()->set_enabled(bound->enabled == "true");
      request.mutable_update_mask()->add_paths("enabled");
    }
    if (request.update_mask().paths().empty()) {
      throw UsageError("give what changes: --file JOURNEY.json (its fields) or --enabled");
    }
    request.mutable_journey()->set_id(bound->id);
    request.mutable_journey()->set_etag(bound->etag);
    return Call(options, &Journeys::UpdateJourney, request, PrintJourney);
  }));
  auto* remove =
      Rpcs(journeys->add_subcommand("delete", "Deletes a journey and stops its enrolments"),
           {"karton.automation.v1.JourneyService/DeleteJourney"});
  remove->add_option("id", bound->id)->required();
  remove->add_option("--etag", bound->etag, "Refuse if the journey changed since");
  remove->callback(Run(options, exit_code, [&options, bound] {
    av1::DeleteJourneyRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    return Call(options, &Journeys::DeleteJourney, request,
                [&](const av1::DeleteJourneyResponse&) { std::cout << "deleted\n"; });
  }));
  auto* enrol = Rpcs(journeys->add_subcommand("enrol", "Enrols a partner (or lead) now"),
                     {"karton.automation.v1.JourneyService/EnrolInJourney"});
  enrol->add_option("journey", bound->journey)->required();
  enrol->add_option("subject", bound->subject, "The partner's (or lead's) id")->required();
  enrol->callback(Run(options, exit_code, [&options, bound] {
    av1::EnrolInJourneyRequest request;
    request.set_journey_id(bound->journey);
    request.set_subject_id(bound->subject);
    return Call(options, &Journeys::EnrolInJourney, request, PrintEnrolment);
  }));
  auto* enrol_segment =
      Rpcs(journeys->add_subcommand("enrol-segment",
                                    "Enrols the partners of a campaigns segment that may enter"),
           {"karton.automation.v1.JourneyService/EnrolSegment"});
  enrol_segment->add_option("journey", bound->journey)->required();
  enrol_segment->add_option("segment", bound->subject, "The segment's id")->required();
  enrol_segment->callback(Run(options, exit_code, [&options, bound] {
    av1::EnrolSegmentRequest request;
    request.set_journey_id(bound->journey);
    request.set_segment_id(bound->subject);
    return Call(options, &Journeys::EnrolSegment, request,
                [](const av1::EnrolSegmentResponse& response) {
                  std::cout << fmt::format("{} enrolled, {} skipped (in it, or were)\n",
                                           response.enrolled_count(), response.skipped_count());
                });
  }));
  auto* stop =
      Rpcs(journeys->add_subcommand("stop", "Stops an enrolment; its planned steps are skipped"),
           {"karton.automation.v1.JourneyService/StopEnrolment"});
  stop->add_option("id", bound->id, "The enrolment's id")->required();
  stop->add_option("--reason", bound->reason, "Why, kept on the enrolment")->required();
  stop->callback(Run(options, exit_code, [&options, bound] {
    av1::StopEnrolmentRequest request;
    request.set_id(bound->id);
    request.set_reason(bound->reason);
    return Call(options, &Journeys::StopEnrolment, request, PrintEnrolment);
  }));
  auto* enrolments = Rpcs(journeys->add_subcommand("enrolments", "Enrolments, newest first"),
                          {"karton.automation.v1.JourneyService/ListEnrolments"});
  enrolments->add_option("--journey", bound->journey, "In this journey");
  enrolments->add_option("--subject", bound->subject, "Of this partner or lead");
  AddChoice(enrolments, "--state", bound->state, kEnrolmentStates);
  enrolments->add_option("--limit", bound->limit, "At most this many (default 100)");
  enrolments->add_option("--page-token", bound->page_token, "Where the last page ended");
  enrolments->callback(Run(options, exit_code, [&options, bound] {
    av1::ListEnrolmentsRequest request;
    request.set_journey_id(bound->journey);
    request.set_subject_id(bound->subject);
    request.set_state(FromWord<av1::EnrolmentState>(bound->state, "ENROLMENT_STATE_"));
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Journeys::ListEnrolments, request, PrintEnrolments);
  }));
  auto* enrolment =
      Rpcs(journeys->add_subcommand("enrolment", "One enrolment with every step's run"),
           {"karton.automation.v1.JourneyService/GetEnrolment"});
  enrolment->add_option("id", bound->id)->required();
  enrolment->callback(Run(options, exit_code, [&options, bound] {
    av1::GetEnrolmentRequest request;
    request.set_id(bound->id);
    return Call(options, &Journeys::GetEnrolment, request, PrintEnrolment);
  }));
}

}  // namespace

void AddAutomationCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* automation = app.add_subcommand("automation", "Rules that act on events, and their runs")
                         ->require_subcommand(1);
  auto* rules = automation->add_subcommand("rules", "Automation rules")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(rules->add_subcommand("list", "The rules, newest first"),
                    {"karton.automation.v1.RuleService/ListRules"});
  list->add_option("--topic", bound->topic, "Only rules this topic triggers");
  list->add_option("--limit", bound->limit, "At most this many (default 100)");
  list->add_option("--page-token", bound->page_token, "Where the last page ended");
  list->callback(Run(options, exit_code, [&options, bound] {
    av1::ListRulesRequest request;
    request.set_trigger_topic(bound->topic);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Rules::ListRules, request, PrintRules);
  }));

  auto* get =
      Rpcs(rules->add_subcommand("get", "One rule"), {"karton.automation.v1.RuleService/GetRule"});
  get->add_option("id", bound->id)->required();
  get->callback(Run(options, exit_code, [&options, bound] {
    av1::GetRuleRequest request;
    request.set_id(bound->id);
    return Call(options, &Rules::GetRule, request, PrintRule);
  }));

  auto* create =
      Rpcs(rules->add_subcommand("create",
                                 "A rule from a file holding a Rule as JSON (docs/automation.md)"),
           {"karton.automation.v1.RuleService/CreateRule"});
  create->add_option("--file", bound->file, "RULE.json")->required();
  create->callback(Run(options, exit_code, [&options, bound] {
    av1::CreateRuleRequest request;
    *request.mutable_rule() = ReadJsonFile<av1::Rule>(bound->file, "Rule");
    return Call(options, &Rules::CreateRule, request, PrintRule);
  }));

  auto* replace =
      Rpcs(rules->add_subcommand(
               "update",
               "Replaces a rule's definition with the file's (name, topics, condition, actions)"),
           {"karton.automation.v1.RuleService/UpdateRule"});
  replace->add_option("id", bound->id)->required();
  replace->add_option("--file", bound->file, "RULE.json")->required();
  replace->add_option("--etag", bound->etag, "Refuse if the rule changed since");
  replace->callback(Run(options, exit_code, [&options, bound] {
    av1::UpdateRuleRequest request;
    *request.mutable_rule() = ReadJsonFile<av1::Rule>(bound->file, "Rule");
    request.mutable_rule()->set_id(bound->id);
    request.mutable_rule()->set_etag(bound->etag);
    for (const char* path : {"name", "description", "trigger_topics", "condition", "actions"}) {
      request.mutable_update_mask()->add_paths(path);
    }
    return Call(options, &Rules::UpdateRule, request, PrintRule);
  }));
  AddSwitch(rules, "enable", true, options, exit_code);
  AddSwitch(rules, "disable", false, options, exit_code);

  auto* remove = Rpcs(rules->add_subcommand("delete", "Deletes a rule; its runs stay"),
                      {"karton.automation.v1.RuleService/DeleteRule"});
  remove->add_option("id", bound->id)->required();
  remove->add_option("--etag", bound->etag, "Refuse if the rule changed since");
  remove->callback(Run(options, exit_code, [&options, bound] {
    av1::DeleteRuleRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    return Call(options, &Rules::DeleteRule, request,
                [&](const av1::DeleteRuleResponse&) { std::cout << "deleted\n"; });
  }));

  AddJourneyCommands(*automation, options, exit_code);
  AddRecipeCommands(*automation, options, exit_code);

  auto* runs = automation->add_subcommand("runs", "What rules did")->require_subcommand(1);
  auto* list_runs = Rpcs(runs->add_subcommand("list", "Runs, newest first"),
                         {"karton.automation.v1.RuleService/ListRuleRuns"});
  list_runs->add_option("--rule", bound->rule, "Of this rule");
  list_runs->add_option("--record", bound->record, "About this record (the event's aggregate)");
  AddChoice(list_runs, "--state", bound->state, kRunStates);
  list_runs->add_option("--limit", bound->limit, "At most this many (default 100)");
  list_runs->add_option("--page-token", bound->page_token, "Where the last page ended");
  list_runs->callback(Run(options, exit_code, [&options, bound] {
    av1::ListRuleRunsRequest request;
    request.set_rule_id(bound->rule);
    request.set_aggregate_id(bound->record);
    request.set_state(FromWord<av1::RuleRunState>(bound->state, "RULE_RUN_STATE_"));
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Rules::ListRuleRuns, request, PrintRuns);
  }));
  auto* get_run = Rpcs(runs->add_subcommand("get", "One run with each action's outcome"),
                       {"karton.automation.v1.RuleService/GetRuleRun"});
  get_run->add_option("id", bound->id)->required();
  get_run->callback(Run(options, exit_code, [&options, bound] {
    av1::GetRuleRunRequest request;
    request.set_id(bound->id);
    return Call(options, &Rules::GetRuleRun, request, PrintRun);
  }));
}

}  // namespace karton::cli
