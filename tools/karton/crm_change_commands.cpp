// The CRM's changes of records that exist (docs/crm.md): karton opps
// update|stale, activities update, pipelines create|update, forms update.
// The rest of the CRM's commands are crm_commands.cpp.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "crm_output.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace cv1 = crm::v1;
using Opportunities = cv1::OpportunityService::Stub;
using Pipelines = cv1::PipelineService::Stub;
using Forms = cv1::WebFormService::Stub;
using Activities = cv1::ActivityService::Stub;

const std::vector<std::string> kActivityTypes{"call", "meeting", "task", "email"};

struct Options {
  std::int64_t id = 0, user = 0, team = 0, partner = 0, contact = 0, lead = 0, opportunity = 0;
  std::string etag, name, revenue, date, file, disabled, type, start, due, duration, location,
      description, page_token, request_id, require_next_step;
  std::vector<std::string> stages, reminders;
  int limit = 50;
};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// NAME[:PROBABILITY][:won|:lost] -> a stage; the id of the stage of
// `current` with that name (any case), so that updates keep stages.
cv1::Stage ParseStage(const std::string& text, const cv1::Pipeline& current) {
  cv1::Stage stage;
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (std::size_t colon; (colon = text.find(':', from)) != std::string::npos; from = colon + 1) {
    parts.push_back(text.substr(from, colon - from));
  }
  parts.push_back(text.substr(from));
  const bool bad_probability = parts.size() > 1 && !IsNumber(parts[1]);
  const bool bad_end = parts.size() > 2 && parts[2] != "won" && parts[2] != "lost";
  if (parts[0].empty() || parts.size() > 3 || bad_probability || bad_end) {
    throw UsageError(
        "--stage takes NAME[:PROBABILITY][:won|lost], e.g. Offer:40 or Won:100:won, "
        "not '" +
        text + "'");
  }
  stage.set_name(parts[0]);
  if (parts.size() > 1) stage.set_probability(std::stoi(parts[1]));
  stage.set_won(parts.size() > 2 && parts[2] == "won");
  stage.set_lost(parts.size() > 2 && parts[2] == "lost");
  for (const auto& existing : current.stages()) {
    if (Lower(existing.name()) == Lower(stage.name())) stage.set_id(existing.id());
  }
  return stage;
}

void AddOpportunityChanges(CLI::App& opps, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();
  auto* update = Rpcs(opps.add_subcommand("update",
                                          "Change a deal's name, amount, close date or "
                                          "owner (moving it: opps move)"),
                      {"karton.crm.v1.OpportunityService/UpdateOpportunity"});
  update->add_option("id", bound->id)->required();
  update->add_option("--etag", bound->etag, "From `get`; refused (ABORTED) when it changed since")
      ->required();
  update->add_option("--name", bound->name, "What the deal is");
  update->add_option("--revenue", bound->revenue, "Expected, e.g. '1250000 HUF', '12.50 EUR'");
  update->add_option("--close-date", bound->date, "Expected, YYYY-MM-DD");
  update->add_option("--owner", bound->user, "The owning user");
  update->add_option("--team", bound->team, "The owning team");
  update->callback(Run(options, exit_code, [&options, bound, update] {
    cv1::UpdateOpportunityRequest request;
    auto& opportunity = *request.mutable_opportunity();
    opportunity.set_id(bound->id);
    opportunity.set_etag(bound->etag);
    opportunity.set_name(bound->name);
    if (!bound->revenue.empty()) {
      *opportunity.mutable_expected_revenue() = ParseMoney(bound->revenue, "--revenue");
    }
    if (!bound->date.empty()) {
      *opportunity.mutable_expected_close_date() = ParseDate(bound->date, "--close-date");
    }
    opportunity.set_owner_user_id(bound->user);
    opportunity.set_team_id(bound->team);
    MaskGiven(update, *request.mutable_update_mask(),
              {{"--name", "name"},
               {"--revenue", "expected_revenue"},
               {"--close-date", "expected_close_date"},
               {"--owner", "owner_user_id"},
               {"--team", "team_id"}});
    return Call(options, &Opportunities::UpdateOpportunity, request, PrintOpportunity);
  }));

  auto* stale =
      Rpcs(opps.add_subcommand("stale", "Open deals without a planned next step, oldest first"),
           {"karton.crm.v1.OpportunityService/ListStaleOpportunities"});
  stale->add_option("--owner", bound->user, "Only this owner's");
  stale->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  stale->add_option("--page-token", bound->page_token, "From the previous page");
  stale->callback(Run(options, exit_code, [&options, bound] {
    cv1::ListStaleOpportunitiesRequest request;
    request.set_owner_user_id(bound->user);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Opportunities::ListStaleOpportunities, request,
                [](const cv1::ListStaleOpportunitiesResponse& response) {
                  cv1::ListOpportunitiesResponse rows;
                  *rows.mutable_opportunities() = response.opportunities();
                  rows.set_next_page_token(response.next_page_token());
                  PrintOpportunities(rows);
                });
  }));
}

void AddActivityChanges(CLI::App& activities, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();
  auto* update =
      Rpcs(activities.add_subcommand("update",
                                     "Change what, when, where or who (moving the start moves "
                                     "the reminders)"),
           {"karton.crm.v1.ActivityService/UpdateActivity"});
  update->add_option("id", bound->id)->required();
  update->add_option("--etag", bound->etag, "From `get`; refused (ABORTED) when it changed since")
      ->required();
  AddChoice(update, "--type", bound->type, kActivityTypes);
  update->add_option("--subject", bound->name, "What it is");
  update->add_option("--start", bound->start, "When it starts (RFC 3339)");
  update->add_option("--duration", bound->duration, "How long: 30m, 1h");
  update->add_option("--due", bound->due, "When it is due (RFC 3339)");
  update->add_option("--location", bound->location, "Where");
  update->add_option("--description", bound->description, "Notes");
  update->add_option("--assignee", bound->user, "Who does it");
  update->add_option("--team", bound->team, "The team");
  update->add_option("--partner", bound->partner, "About this partner");
  update->add_option("--contact", bound->contact, "With this contact");
  update->add_option("--lead", bound->lead, "About this lead");
  update->add_option("--opportunity", bound->opportunity, "About this opportunity");
  update->add_option("--remind", bound->reminders,
                     "A reminder this long before: 15m, 1d; repeatable (replaces them)");
  update->callback(Run(options, exit_code, [&options, bound, update] {
    cv1::UpdateActivityRequest request;
    auto& activity = *request.mutable_activity();
    activity.set_id(bound->id);
    activity.set_etag(bound->etag);
    activity.set_type(FromWord<cv1::ActivityType>(bound->type, "ACTIVITY_TYPE_"));
    activity.set_subject(bound->name);
    if (!bound->start.empty()) ParseTime(bound->start, "--start", activity.mutable_start_time());
    if (!bound->due.empty()) ParseTime(bound->due, "--due", activity.mutable_due_time());
    if (!bound->duration.empty()) {
      activity.mutable_duration()->set_seconds(ParseDuration(bound->duration, "--duration"));
    }
    for (const auto& reminder : bound->reminders) {
      activity.add_reminders()->set_seconds(ParseDuration(reminder, "--remind"));
    }
    activity.set_location(bound->location);
    activity.set_description(bound->description);
    activity.set_assigned_user_id(bound->user);
    activity.set_team_id(bound->team);
    activity.set_partner_id(bound->partner);
    activity.set_contact_id(bound->contact);
    activity.set_lead_id(bound->lead);
    activity.set_opportunity_id(bound->opportunity);
    MaskGiven(update, *request.mutable_update_mask(),
              {{"--type", "type"},
               {"--subject", "subject"},
               {"--start", "start_time"},
               {"--duration", "duration"},
               {"--due", "due_time"},
               {"--location", "location"},
               {"--description", "description"},
               {"--assignee", "assigned_user_id"},
               {"--team", "team_id"},
               {"--partner", "partner_id"},
               {"--contact", "contact_id"},
               {"--lead", "lead_id"},
               {"--opportunity", "opportunity_id"},
               {"--remind", "reminders"}});
    return Call(options, &Activities::UpdateActivity, request, PrintActivity);
  }));
}

void AddPipelineChanges(CLI::App& pipelines, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();
  const std::string stage_help =
      "NAME[:PROBABILITY][:won|lost], in order, repeatable; e.g. New:10 Offer:40 Won:100:won "
      "Lost:0:lost";

  auto* create =
      Rpcs(pipelines.add_subcommand("create",
                                    "A pipeline from --name and --stage, or from a Pipeline as "
                                    "JSON (--file)"),
           {"karton.crm.v1.PipelineService/CreatePipeline"});
  auto* name = create->add_option("--name", bound->name, "e.g. Értékesítés");
  create->add_option("--stage", bound->stages, stage_help)->needs(name);
  create->add_option("--file", bound->file, "PIPELINE.json")->excludes(name);
  create->add_option("--request-id", bound->request_id, "The same id twice creates one");
  create
      ->add_option("--require-next-step", bound->require_next_step,
                   "true: an open deal may not be left without a planned activity (C8)")
      ->check(CLI::IsMember({"true", "false"}));
  create->callback(Run(options, exit_code, [&options, bound] {
    cv1::CreatePipelineRequest request;
    if (!bound->file.empty()) {
      *request.mutable_pipeline() = ReadJsonFile<cv1::Pipeline>(bound->file, "Pipeline");
    } else {
      if (bound->name.empty() || bound->stages.empty()) {
        throw UsageError("give --name and the stages (--stage, repeatable), or --file");
      }
      request.mutable_pipeline()->set_name(bound->name);
      for (const auto& stage : bound->stages) {
        *request.mutable_pipeline()->add_stages() = ParseStage(stage, {});
      }
    }
    if (!bound->require_next_step.empty()) {
      request.mutable_pipeline()->set_require_next_step(bound->require_next_step == "true");
    }
    request.set_request_id(bound->request_id);
    return Call(options, &Pipelines::CreatePipeline, request, PrintPipeline);
  }));

  auto* update =
      Rpcs(pipelines.add_subcommand("update",
                                    "Rename it or replace its stages (a stage keeps its id by "
                                    "name; one with deals cannot go)"),
           {"karton.crm.v1.PipelineService/GetPipeline",
            "karton.crm.v1.PipelineService/UpdatePipeline"});
  update->add_option("id", bound->id)->required();
  update->add_option("--etag", bound->etag, "From `get`; refused (ABORTED) when it changed since")
      ->required();
  update->add_option("--name", bound->name, "The new name (default: as it is)");
  update->add_option("--stage", bound->stages, stage_help + " (default: as they are)");
  update
      ->add_option("--require-next-step", bound->require_next_step,
                   "true: an open deal may not be left without a planned activity (C8)")
      ->check(CLI::IsMember({"true", "false"}));
  update->callback(Run(options, exit_code, [&options, bound] {
    if (bound->name.empty() && bound->stages.empty() && bound->require_next_step.empty()) {
      throw UsageError("give --name, --stage or --require-next-step");
    }
    cv1::GetPipelineRequest get;
    get.set_id(bound->id);
    const auto current = Fetch(options, &Pipelines::GetPipeline, get);
    cv1::UpdatePipelineRequest request;
    auto& pipeline = *request.mutable_pipeline();
    pipeline.set_id(bound->id);
    pipeline.set_etag(bound->etag);
    pipeline.set_name(bound->name.empty() ? current.name() : bound->name);
    pipeline.set_require_next_step(bound->require_next_step.empty()
                                       ? current.require_next_step()
                                       : bound->require_next_step == "true");
    if (bound->stages.empty()) *pipeline.mutable_stages() = current.stages();
    for (const auto& stage : bound->stages) *pipeline.add_stages() = ParseStage(stage, current);
    return Call(options, &Pipelines::UpdatePipeline, request, PrintPipeline);
  }));
}

void AddFormChanges(CLI::App& forms, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();
  auto* update =
      Rpcs(forms.add_subcommand("update",
                                "Change a form: the fields a WebForm JSON file sets, and/or "
                                "--disabled"),
           {"karton.crm.v1.WebFormService/UpdateWebForm"});
  update->add_option("id", bound->id)->required();
  update->add_option("--etag", bound->etag, "Refuse (ABORTED) if the form changed since");
  update->add_option("--file", bound->file, "FORM.json with the fields that change");
  update->add_option("--disabled", bound->disabled, "true: the page answers 404, no new leads")
      ->check(CLI::IsMember({"true", "false"}));
  update->callback(Run(options, exit_code, [&options, bound] {
    cv1::UpdateWebFormRequest request;
    if (!bound->file.empty()) {
      *request.mutable_web_form() = ReadJsonFile<cv1::WebForm>(bound->file, "WebForm");
    }
    for (const auto& field : SetFieldNames(request.web_form())) {
      request.mutable_update_mask()->add_paths(field);
    }
    if (!bound->disabled.empty()) {
      request.mutable_web_form()->set_disabled(bound->disabled == "true");
      request.mutable_update_mask()->add_paths("disabled");
    }
    if (request.update_mask().paths().empty()) {
      throw UsageError("give what changes: --file FORM.json (its fields) or --disabled");
    }
    request.mutable_web_form()->set_id(bound->id);
    request.mutable_web_form()->set_etag(bound->etag);
    return Call(options, &Forms::UpdateWebForm, request, PrintForm);
  }));
}

}  // namespace

void AddCrmChangeCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  AddOpportunityChanges(*app.get_subcommand("opps"), options, exit_code);
  AddActivityChanges(*app.get_subcommand("activities"), options, exit_code);
  AddPipelineChanges(*app.get_subcommand("pipelines"), options, exit_code);
  AddFormChanges(*app.get_subcommand("forms"), options, exit_code);
}

}  // namespace karton::cli
