// karton leads|opps|pipelines|forms|rules ...: the CRM (docs/crm.md).
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <stdexcept>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "crm_output.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/crm/v1/assignment_rule_service.grpc.pb.h"
#include "karton/crm/v1/customer_overview_service.grpc.pb.h"
#include "karton/crm/v1/lead_service.grpc.pb.h"
#include "karton/crm/v1/opportunity_service.grpc.pb.h"
#include "karton/crm/v1/pipeline_service.grpc.pb.h"
#include "karton/crm/v1/web_form_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace cv1 = crm::v1;
using Leads = cv1::LeadService::Stub;
using Opportunities = cv1::OpportunityService::Stub;
using Pipelines = cv1::PipelineService::Stub;
using Forms = cv1::WebFormService::Stub;
using Rules = cv1::AssignmentRuleService::Stub;
using Activities = cv1::ActivityService::Stub;
using Overviews = cv1::CustomerOverviewService::Stub;

// Name, target, name, target, ...: plain text options.
template <typename... More>
void AddTexts(CLI::App* command, const char* name, std::string* target, More... more) {
  command->add_option(name, *target, std::string("The lead's ") + (name + 2));
  if constexpr (sizeof...(more) > 0) AddTexts(command, more...);
}

// A stage by id, or by name (any case) among the stages of `pipeline_id`,
// or of every pipeline when 0: a name found in several is bad usage.
std::int64_t StageId(const GlobalOptions& options, const std::string& stage,
                     std::int64_t pipeline_id) {
  if (stage.empty()) return 0;
  if (IsNumber(stage)) return std::stoll(stage);
  const auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  std::vector<std::int64_t> found;
  const auto all = Fetch(options, &Pipelines::ListPipelines, cv1::ListPipelinesRequest{});
  for (const auto& pipeline : all.pipelines()) {
    for (const auto& candidate : pipeline.stages()) {
      if ((pipeline_id == 0 || pipeline.id() == pipeline_id) &&
          lower(candidate.name()) == lower(stage)) {
        found.push_back(candidate.id());
      }
    }
  }
  if (found.size() == 1) return found.front();
  throw UsageError(found.empty()
                       ? fmt::format("no stage named '{}'", stage)
                       : fmt::format("several pipelines have a stage '{}': give --pipeline or "
                                     "the stage's id",
                                     stage));
}

}  // namespace

// --- output, shared with crm_change_commands.cpp (crm_output.h)

void PrintLeads(const cv1::ListLeadsResponse& response) {
  constexpr auto kRow = "{:>6}  {:<12} {:<24} {:<32} {:<16} {}\n";
  std::cout << fmt::format(kRow, "ID", "STATUS", "NAME", "TITLE", "ASSIGNEE", "CREATED");
  for (const auto& lead : response.leads()) {
    std::cout << fmt::format(kRow, lead.id(), Word(lead.status(), "LEAD_STATUS_"),
                             Cut(lead.contact_name(), 24), Cut(lead.title(), 32),
                             Cut(Who(lead.assigned_user_id(), lead.team_id()), 16),
                             Time(lead.create_time()));
  }
  MorePages(response.next_page_token());
}

void PrintLead(const cv1::Lead& lead) {
  std::cout << fmt::format("lead {}: {} ({})\n", lead.id(), Word(lead.status(), "LEAD_STATUS_"),
                           Word(lead.source(), "LEAD_SOURCE_"));
  std::string place = lead.country();
  for (const auto* part : {&lead.postal_code(), &lead.city()}) {
    if (!part->empty()) place += (place.empty() ? "" : " ") + *part;
  }
  Lines("title", lead.title(), "name", lead.contact_name(), "email", lead.email(), "phone",
        lead.phone(), "company", lead.company_name(), "tax number", lead.tax_number(), "place",
        place, "category", lead.category(), "assigned",
        Who(lead.assigned_user_id(), lead.team_id()), "web form", Id(lead.web_form_id()), "partner",
        Id(lead.partner_id()), "opportunity", Id(lead.opportunity_id()), "reason",
        lead.disqualify_reason());
  for (const auto& [key, value] : lead.custom_fields()) Line(key, value);
  Lines("message", Cut(lead.message(), 200, false), "created", Time(lead.create_time()), "updated",
        Time(lead.update_time()), "etag", lead.etag());
  for (const auto& change : lead.status_history()) {
    std::cout << fmt::format("  {}  {:<12} {:<10} {}\n", Time(change.change_time()),
                             Word(change.status(), "LEAD_STATUS_"),
                             change.user_id() == 0 ? "system" : Who(change.user_id(), 0),
                             change.note());
  }
}

// The current stage: the last of the history, which carries its name.
std::string StageName(const cv1::Opportunity& opportunity) {
  const auto& history = opportunity.stage_history();
  return history.empty() ? std::to_string(opportunity.stage_id())
                         : (history.end() - 1)->stage_name();
}

std::string DateText(const cv1::Opportunity& opportunity) {
  const auto& date = opportunity.expected_close_date();
  return opportunity.has_expected_close_date()
             ? fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
             : "";
}

void PrintOpportunities(const cv1::ListOpportunitiesResponse& response) {
  constexpr auto kRow = "{:>6}  {:<28} {:>7}  {:<14} {:<6} {:>20}  {:<10} {}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "PARTNER", "STAGE", "STATUS", "AMOUNT", "OWNER",
                           "CLOSE");
  for (const auto& opportunity : response.opportunities()) {
    std::cout << fmt::format(
        kRow, opportunity.id(), Cut(opportunity.name(), 28), opportunity.partner_id(),
        Cut(StageName(opportunity), 14), Word(opportunity.status(), "OPPORTUNITY_STATUS_"),
        FormatMoney(opportunity.expected_revenue()), Cut(Who(opportunity.owner_user_id(), 0), 10),
        Cut(DateText(opportunity), 10));
  }
  MorePages(response.next_page_token());
}

void PrintOpportunity(const cv1::Opportunity& opportunity) {
  std::cout << fmt::format("opportunity {}: {}, stage {}\n", opportunity.id(),
                           Word(opportunity.status(), "OPPORTUNITY_STATUS_"),
                           StageName(opportunity));
  Lines("name", opportunity.name(), "partner", Id(opportunity.partner_id()), "pipeline",
        Id(opportunity.pipeline_id()), "revenue", FormatMoney(opportunity.expected_revenue()),
        "close date", DateText(opportunity), "owner",
        Who(opportunity.owner_user_id(), opportunity.team_id()), "lead", Id(opportunity.lead_id()),
        "lost reason", opportunity.lost_reason(), "created", Time(opportunity.create_time()),
        "closed", opportunity.has_close_time() ? Time(opportunity.close_time()) : "", "etag",
        opportunity.etag());
  for (const auto& change : opportunity.stage_history()) {
    std::cout << fmt::format("  {}  {:<20} {}\n", Time(change.change_time()), change.stage_name(),
                             change.user_id() == 0 ? "system" : Who(change.user_id(), 0));
  }
}

std::string StageText(const cv1::Stage& stage) {
  return fmt::format("{} {}%{}", stage.name(), stage.probability(),
                     stage.won() ? " (won)" : (stage.lost() ? " (lost)" : ""));
}

void PrintPipelines(const cv1::ListPipelinesResponse& response) {
  std::cout << fmt::format("{:>5}  {:<24} {}\n", "ID", "NAME", "STAGES");
  for (const auto& pipeline : response.pipelines()) {
    std::string stages;
    for (const auto& stage : pipeline.stages()) {
      stages += (stages.empty() ? "" : " → ") + StageText(stage);
    }
    std::cout << fmt::format("{:>5}  {:<24} {}\n", pipeline.id(), Cut(pipeline.name(), 24), stages);
  }
}

void PrintPipeline(const cv1::Pipeline& pipeline) {
  std::cout << fmt::format(
      "pipeline {}: {}{}\n", pipeline.id(), pipeline.name(),
      pipeline.require_next_step() ? " (every open deal needs a next step)" : "");
  for (const auto& stage : pipeline.stages()) {
    std::cout << fmt::format("  {:>5}  {}\n", stage.id(), StageText(stage));
  }
  Lines("updated", Time(pipeline.update_time()), "etag", pipeline.etag());
}

void PrintForms(const cv1::ListWebFormsResponse& response) {
  constexpr auto kRow = "{:>5}  {:<28} {:<32} {:>6} {:>10}  {}\n";
  std::cout << fmt::format(kRow, "ID", "PAGE", "TITLE", "FIELDS", "CATEGORIES", "UPDATED");
  for (const auto& form : response.web_forms()) {
    std::cout << fmt::format(kRow, form.id(), Cut("/forms/" + form.slug(), 28),
                             Cut(form.title() + (form.disabled() ? " (disabled)" : ""), 32),
                             form.fields_size(), form.categories_size(), Time(form.update_time()));
  }
  MorePages(response.next_page_token());
}

void PrintForm(const cv1::WebForm& form) {
  std::cout << fmt::format("form {}: {}{}\n", form.id(), form.title(),
                           form.disabled() ? " (disabled)" : "");
  Lines("page", "/forms/" + form.slug(), "embed", "/forms/" + form.slug() + "/embed");
  for (const auto& field : form.fields()) {
    Line("field",
         fmt::format("{} ({}{}): {}", field.name(), Word(field.type(), "WEB_FORM_FIELD_TYPE_"),
                     field.required() ? ", required" : "", field.label()));
  }
  for (const auto& category : form.categories()) {
    Line("category", fmt::format("{} → {}: {}", category.key(),
                                 Who(category.user_id(), category.team_id()), category.label()));
  }
  if (form.target() == cv1::WEB_FORM_TARGET_TICKET) {
    Line("posts", form.ticket_type_id() != 0
                      ? fmt::format("become helpdesk tickets of type {}", form.ticket_type_id())
                      : std::string("become helpdesk tickets"));
  }
  for (const auto& origin : form.allowed_origins()) Line("origin", origin);
  Lines("confirmation", form.confirmation_template(), "language", form.language(), "redirect",
        form.redirect_url(), "updated", Time(form.update_time()), "etag", form.etag());
}

void PrintRules(const cv1::ListAssignmentRulesResponse& response) {
  constexpr auto kRow = "{:>5} {:>9}  {:<16} {:<7} {:<8} {:<16} {}\n";
  std::cout << fmt::format(kRow, "ID", "PRIORITY", "CATEGORY", "COUNTRY", "POSTAL", "TO",
                           "CREATED");
  for (const auto& rule : response.assignment_rules()) {
    std::cout << fmt::format(kRow, rule.id(), rule.priority(), Cut(rule.category(), 16),
                             Cut(rule.country(), 7), Cut(rule.postal_code_prefix(), 8),
                             Cut(Who(rule.user_id(), rule.team_id()), 16),
                             Time(rule.create_time()));
  }
}

void PrintActivityRows(const google::protobuf::RepeatedPtrField<cv1::Activity>& activities) {
  constexpr auto kRow = "{:>6}  {:<8} {:<9} {:<16} {:<32} {:<10} {}\n";
  std::cout << fmt::format(kRow, "ID", "TYPE", "STATUS", "WHEN", "SUBJECT", "WHO", "PARTNER");
  for (const auto& activity : activities) {
    std::cout << fmt::format(
        kRow, activity.id(), Word(activity.type(), "ACTIVITY_TYPE_"),
        Word(activity.status(), "ACTIVITY_STATUS_"),
        Time(activity.has_start_time() ? activity.start_time() : activity.due_time()),
        Cut(activity.subject(), 32), Cut(Who(activity.assigned_user_id(), activity.team_id()), 10),
        Cut(Id(activity.partner_id()), 8));
  }
}

void PrintActivities(const cv1::ListActivitiesResponse& response) {
  PrintActivityRows(response.activities());
  MorePages(response.next_page_token());
}

void PrintActivity(const cv1::Activity& activity) {
  std::cout << fmt::format("activity {}: {}\n", activity.id(), activity.subject());
  std::string reminders;
  for (const auto& reminder : activity.reminders()) {
    reminders += (reminders.empty() ? "" : ", ") + std::to_string(reminder.seconds() / 60) + " min";
  }
  Lines("type", Word(activity.type(), "ACTIVITY_TYPE_"), "status",
        Word(activity.status(), "ACTIVITY_STATUS_"), "start",
        activity.has_start_time() ? Time(activity.start_time()) : "", "duration",
        activity.duration().seconds() > 0
            ? std::to_string(activity.duration().seconds() / 60) + " min"
            : "",
        "due", activity.has_due_time() ? Time(activity.due_time()) : "", "where",
        activity.location(), "who", Who(activity.assigned_user_id(), activity.team_id()), "partner",
        Id(activity.partner_id()), "contact", Id(activity.contact_id()), "lead",
        Id(activity.lead_id()), "opportunity", Id(activity.opportunity_id()), "reminders",
        reminders, "about", activity.description(), "outcome", activity.outcome(), "etag",
        activity.etag());
  for (const auto& invitee : activity.invitees()) {
    std::cout << fmt::format(
        "  invited: {} <{}>{}{}\n", invitee.name(), invitee.email(),
        invitee.contact_id() != 0 ? fmt::format(" (contact {})", invitee.contact_id()) : "",
        invitee.message_id() != 0 ? fmt::format(", message {}", invitee.message_id())
                                  : ", not sent yet");
  }
}

void PrintOverview(const cv1::CustomerOverview& overview) {
  const auto& partner = overview.partner();
  std::cout << fmt::format("{} (partner {})\n", partner.display_name(), partner.id());
  Lines("tax number", partner.tax_number(), "email",
        partner.emails_size() > 0 ? partner.emails(0) : "", "phone",
        partner.phones_size() > 0 ? partner.phones(0) : "");
  std::cout << fmt::format("\ncontacts ({})\n", overview.contacts_size());
  for (const auto& contact : overview.contacts()) {
    std::cout << fmt::format("  {:<28} {}\n", Cut(contact.name(), 28),
                             contact.emails_size() > 0 ? contact.emails(0) : "");
  }
  std::cout << fmt::format("\nopen leads ({})\n", overview.open_leads_size());
  for (const auto& lead : overview.open_leads()) {
    std::cout << fmt::format("  #{:<6} {}\n", lead.id(), Cut(lead.title(), 60));
  }
  std::cout << fmt::format("\nopen opportunities ({})\n", overview.open_opportunities_size());
  for (const auto& deal : overview.open_opportunities()) {
    std::cout << fmt::format("  #{:<6} {:<40} {}\n", deal.id(), Cut(deal.name(), 40),
                             FormatMoney(deal.expected_revenue()));
  }
  std::cout << fmt::format("\nnext activities ({})\n", overview.next_activities_size());
  for (const auto& activity : overview.next_activities()) {
    std::cout << fmt::format(
        "  {:<16} {:<8} {}\n",
        Time(activity.has_start_time() ? activity.start_time() : activity.due_time()),
        Word(activity.type(), "ACTIVITY_TYPE_"), Cut(activity.subject(), 50));
  }
  std::cout << fmt::format("\nrecent timeline ({})\n", overview.recent_timeline_size());
  for (const auto& entry : overview.recent_timeline()) {
    std::cout << fmt::format("  {:<16} {}\n", Time(entry.occur_time()), Cut(entry.subject(), 60));
  }
  for (const auto& section : overview.sections()) {
    std::cout << fmt::format("\n{} ({})\n  (see --output json)\n", section.title(),
                             section.module());
  }
  for (const auto& module : overview.unavailable_sections()) {
    std::cout << fmt::format("\n{}: not available now\n", module);
  }
}

// "90s", "30m", "2h", "1d" -> seconds; bad usage otherwise.
std::int64_t ParseDuration(const std::string& text, const char* option) {
  std::size_t used = 0;
  long long amount = -1;
  try {
    amount = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = used > 0 ? text.substr(used) : "";
  const long long scale = unit == "s"   ? 1
                          : unit == "m" ? 60
                          : unit == "h" ? 3600
                          : unit == "d" ? 86400
                                        : 0;
  if (used == 0 || amount < 0 || scale == 0) {
    throw UsageError(
        fmt::format("{} takes a duration such as 90s, 30m, 2h or 1d, not '{}'", option, text));
  }
  return amount * scale;
}

namespace {

const std::vector<std::string> kActivityTypes{"call", "meeting", "task", "email"};
const std::vector<std::string> kActivityStatuses{"planned", "done", "canceled"};

const std::vector<std::string> kLeadStatuses{"new", "qualified", "disqualified"};
const std::vector<std::string> kLeadSources{"manual", "web_form", "import", "email", "api"};
const std::vector<std::string> kOpportunityStatuses{"open", "won", "lost"};

// Options every command of a group may bind; each run parses one command.
struct Options {
  std::int64_t id = 0, user = 0, team = 0, partner = 0, pipeline = 0;
  std::string etag, name, stage, revenue, reason, request_id, status, page_token, slug, file, date;
  std::string source, since, until;
  std::int64_t contact = 0, lead_id = 0, opportunity = 0;
  std::string type, start, due, duration, location, description, outcome;
  std::string next_subject, next_due;
  std::vector<std::string> fields, reminders, invitees;
  bool rotate = false;
  int days = 7;
  int limit = 50, priority = 0;
  cv1::Lead lead;
  cv1::AssignmentRule rule;
};

// A request for the command's record: its id, and its etag when the request takes one.
template <typename Request>
Request For(const Options& bound) {
  Request request;
  request.set_id(bound.id);
  if constexpr (requires { request.set_etag(bound.etag); }) request.set_etag(bound.etag);
  return request;
}

// The next step a stage move or a completed activity brings along (C8):
// a task, created with the change in one transaction.
void AddNextStepOptions(CLI::App* command, Options& bound) {
  command->add_option("--next-task", bound.next_subject,
                      "Plan the next step with it: a task with this subject (a pipeline may "
                      "require one)");
  command->add_option("--next-due", bound.next_due, "When that task is due (RFC 3339)");
}

// Fills `activity` from --next-task and --next-due; false when not given.
bool NextStep(const Options& bound, cv1::Activity& activity) {
  if (bound.next_subject.empty()) {
    if (!bound.next_due.empty()) throw UsageError("--next-due goes with --next-task");
    return false;
  }
  if (bound.next_due.empty()) throw UsageError("--next-task needs --next-due");
  activity.set_type(cv1::ACTIVITY_TYPE_TASK);
  activity.set_subject(bound.next_subject);
  ParseTime(bound.next_due, "--next-due", activity.mutable_due_time());
  return true;
}

CLI::App* WithId(CLI::App* command, Options& bound) {
  command->add_option("id", bound.id)->required();
  return command;
}

CLI::App* WithEtag(CLI::App* command, Options& bound) {
  command->add_option("--etag", bound.etag, "From `get`; refused (ABORTED) when it changed since")
      ->required();
  return WithId(command, bound);
}

void AddLeadCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* leads = app.add_subcommand("leads", "Prospects: list, create, assign, qualify")
                    ->require_subcommand(1);
  auto bound = std::make_shared<Options>();
  auto& lead = bound->lead;

  auto* list = Rpcs(leads->add_subcommand("list", "Leads, newest first"),
                    {"karton.crm.v1.LeadService/ListLeads"});
  AddChoice(list, "--status", bound->status, kLeadStatuses);
  AddChoice(list, "--source", bound->source, kLeadSources);
  list->add_option("--category", *lead.mutable_category(), "A web form category or label");
  list->add_option("--assignee", bound->user, "Assigned to this user");
  list->add_option("--team", bound->team, "Assigned to this team");
  list->add_option("--since", bound->since, "Created at or after (RFC 3339)");
  list->add_option("--until", bound->until, "Created before (RFC 3339)");
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    cv1::ListLeadsRequest request;
    request.set_status(FromWord<cv1::LeadStatus>(bound->status, "LEAD_STATUS_"));
    request.set_source(FromWord<cv1::LeadSource>(bound->source, "LEAD_SOURCE_"));
    request.set_category(bound->lead.category());
    request.set_assigned_user_id(bound->user);
    request.set_team_id(bound->team);
    if (!bound->since.empty()) ParseTime(bound->since, "--since", request.mutable_start_time());
    if (!bound->until.empty()) ParseTime(bound->until, "--until", request.mutable_end_time());
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Leads::ListLeads, request, PrintLeads);
  }));

  WithId(Rpcs(leads->add_subcommand("get", "One lead with its status history"),
              {"karton.crm.v1.LeadService/GetLead"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Leads::GetLead, For<cv1::GetLeadRequest>(*bound), PrintLead);
      }));

  auto* create = Rpcs(leads->add_subcommand("create", "A lead typed in; routed unless assigned"),
                      {"karton.crm.v1.LeadService/CreateLead"});
  create->add_option("--name", *lead.mutable_contact_name(), "The person")->required();
  AddTexts(create, "--email", lead.mutable_email(), "--phone", lead.mutable_phone(), "--company",
           lead.mutable_company_name(), "--title", lead.mutable_title(), "--tax-number",
           lead.mutable_tax_number(), "--country", lead.mutable_country(), "--postal-code",
           lead.mutable_postal_code(), "--city", lead.mutable_city(), "--message",
           lead.mutable_message(), "--category", lead.mutable_category());
  create->add_option("--assignee", bound->user, "A user's id (no routing then)");
  create->add_option("--team", bound->team, "A team's id (no routing then)");
  create->add_option("--field", bound->fields, "key=value into custom_fields, repeatable");
  create->add_option("--request-id", bound->request_id, "The same id twice creates one lead");
  create->callback(Run(options, exit_code, [&options, bound] {
    cv1::CreateLeadRequest request;
    *request.mutable_lead() = bound->lead;
    if (request.lead().email().empty() && request.lead().phone().empty()) {
      throw UsageError("give a way to reach the person: --email E or --phone P");
    }
    for (const auto& pair : bound->fields) {
      const auto equals = pair.find('=');
      if (equals == std::string::npos || equals == 0) {
        throw UsageError("--field takes key=value, not '" + pair + "'");
      }
      (*request.mutable_lead()->mutable_custom_fields())[pair.substr(0, equals)] =
          pair.substr(equals + 1);
    }
    request.mutable_lead()->set_assigned_user_id(bound->user);
    request.mutable_lead()->set_team_id(bound->team);
    request.set_request_id(bound->request_id);
    return Call(options, &Leads::CreateLead, request, PrintLead);
  }));

  auto* assign =
      WithEtag(Rpcs(leads->add_subcommand("assign", "Give a lead to a user or a team (or both)"),
                    {"karton.crm.v1.LeadService/UpdateLead"}),
               *bound);
  assign->add_option("--user", bound->user, "The assignee (the team stays unless --team)");
  assign->add_option("--team", bound->team, "The team (the assignee stays unless --user)");
  assign->callback(Run(options, exit_code, [&options, bound, assign] {
    cv1::UpdateLeadRequest request;
    request.mutable_lead()->set_id(bound->id);
    request.mutable_lead()->set_etag(bound->etag);
    request.mutable_lead()->set_assigned_user_id(bound->user);
    request.mutable_lead()->set_team_id(bound->team);
    if (assign->count("--user") > 0) request.mutable_update_mask()->add_paths("assigned_user_id");
    if (assign->count("--team") > 0) request.mutable_update_mask()->add_paths("team_id");
    if (request.update_mask().paths().empty()) throw UsageError("give --user U or --team T");
    return Call(options, &Leads::UpdateLead, request, PrintLead);
  }));

  auto* qualify = WithEtag(
      Rpcs(leads->add_subcommand("qualify", "Match or create the partner and open an opportunity"),
           {"karton.crm.v1.LeadService/QualifyLead"}),
      *bound);
  qualify->add_option("--partner", bound->partner, "This partner instead of matching one");
  qualify->add_option("--pipeline", bound->pipeline, "Default: the first pipeline");
  qualify->add_option("--name", bound->name, "The opportunity's name; default: the lead's title");
  qualify->add_option("--revenue", bound->revenue, "Expected, e.g. '1250000 HUF', '12.50 EUR'");
  qualify->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<cv1::QualifyLeadRequest>(*bound);
    request.set_partner_id(bound->partner);
    request.set_pipeline_id(bound->pipeline);
    request.set_opportunity_name(bound->name);
    if (!bound->revenue.empty())
      *request.mutable_expected_revenue() = ParseMoney(bound->revenue, "--revenue");
    return Call(options, &Leads::QualifyLead, request, [](const cv1::QualifyLeadResponse& done) {
      std::cout << fmt::format("lead {} qualified: partner {} ({})\n", done.lead().id(),
                               done.lead().partner_id(), done.partner_match());
      PrintOpportunity(done.opportunity());
    });
  }));

  auto* disqualify =
      WithEtag(Rpcs(leads->add_subcommand("disqualify", "Close a lead with a reason"),
                    {"karton.crm.v1.LeadService/DisqualifyLead"}),
               *bound);
  disqualify->add_option("--reason", bound->reason, "no budget, duplicate, spam, ...")->required();
  disqualify->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<cv1::DisqualifyLeadRequest>(*bound);
    request.set_reason(bound->reason);
    return Call(options, &Leads::DisqualifyLead, request, PrintLead);
  }));

  AddShareCommand(leads, "share", "Let an external partner user or a team see the lead", options,
                  exit_code, bound, "karton.crm.v1.LeadService/ShareLead", &Leads::ShareLead,
                  PrintLead);
  AddShareCommand(leads, "unshare", "Take a share of the lead back", options, exit_code, bound,
                  "karton.crm.v1.LeadService/UnshareLead", &Leads::UnshareLead, PrintLead);
}

void AddOpportunityCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* opps = app.add_subcommand("opps", "Opportunities: deals moving through a pipeline")
                   ->require_subcommand(1);
  auto bound = std::make_shared<Options>();
  const std::string stage_help = "A stage's id or name";

  auto* list = Rpcs(opps->add_subcommand("list", "Opportunities, newest first"),
                    {"karton.crm.v1.OpportunityService/ListOpportunities",
                     "karton.crm.v1.PipelineService/ListPipelines"});
  list->add_option("--partner", bound->partner, "Of this partner");
  list->add_option("--pipeline", bound->pipeline, "In this pipeline");
  list->add_option("--stage", bound->stage, stage_help);
  AddChoice(list, "--status", bound->status, kOpportunityStatuses);
  list->add_option("--owner", bound->user, "Owned by this user");
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    cv1::ListOpportunitiesRequest request;
    request.set_partner_id(bound->partner);
    request.set_pipeline_id(bound->pipeline);
    request.set_stage_id(StageId(options, bound->stage, bound->pipeline));
    request.set_status(FromWord<cv1::OpportunityStatus>(bound->status, "OPPORTUNITY_STATUS_"));
    request.set_owner_user_id(bound->user);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Opportunities::ListOpportunities, request, PrintOpportunities);
  }));

  WithId(Rpcs(opps->add_subcommand("get", "One opportunity with its stage history"),
              {"karton.crm.v1.OpportunityService/GetOpportunity"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Opportunities::GetOpportunity,
                    For<cv1::GetOpportunityRequest>(*bound), PrintOpportunity);
      }));

  auto* create = Rpcs(opps->add_subcommand("create", "An opportunity for a partner"),
                      {"karton.crm.v1.OpportunityService/CreateOpportunity",
                       "karton.crm.v1.PipelineService/ListPipelines"});
  create->add_option("--name", bound->name, "What the deal is")->required();
  create->add_option("--partner", bound->partner, "The customer's partner id")->required();
  create->add_option("--pipeline", bound->pipeline, "Default: the first pipeline");
  create->add_option("--stage", bound->stage, stage_help + "; default: the first");
  create->add_option("--revenue", bound->revenue, "Expected, e.g. '1250000 HUF', '12.50 EUR'");
  create->add_option("--close-date", bound->date, "Expected, YYYY-MM-DD");
  create->add_option("--owner", bound->user, "Default: you");
  create->add_option("--request-id", bound->request_id, "The same id twice creates one");
  create->callback(Run(options, exit_code, [&options, bound] {
    cv1::CreateOpportunityRequest request;
    auto& opportunity = *request.mutable_opportunity();
    opportunity.set_name(bound->name);
    opportunity.set_partner_id(bound->partner);
    opportunity.set_pipeline_id(bound->pipeline);
    opportunity.set_owner_user_id(bound->user);
    if (!bound->revenue.empty())
      *opportunity.mutable_expected_revenue() = ParseMoney(bound->revenue, "--revenue");
    if (!bound->date.empty())
      *opportunity.mutable_expected_close_date() = ParseDate(bound->date, "--close-date");
    opportunity.set_stage_id(StageId(options, bound->stage, bound->pipeline));
    request.set_request_id(bound->request_id);
    return Call(options, &Opportunities::CreateOpportunity, request, PrintOpportunity);
  }));

  auto* move = WithEtag(Rpcs(opps->add_subcommand("move", "To another open stage"),
                             {"karton.crm.v1.OpportunityService/GetOpportunity",
                              "karton.crm.v1.PipelineService/ListPipelines",
                              "karton.crm.v1.OpportunityService/MoveStage"}),
                        *bound);
  move->add_option("--stage", bound->stage, stage_help + " in its pipeline")->required();
  AddNextStepOptions(move, *bound);
  move->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<cv1::MoveStageRequest>(*bound);
    cv1::Activity next;
    if (NextStep(*bound, next)) *request.mutable_next_activity() = next;
    const auto pipeline = IsNumber(bound->stage) ? 0
                                                 : Fetch(options, &Opportunities::GetOpportunity,
                                                         For<cv1::GetOpportunityRequest>(*bound))
                                                       .pipeline_id();
    request.set_stage_id(StageId(options, bound->stage, pipeline));
    return Call(options, &Opportunities::MoveStage, request, PrintOpportunity);
  }));

  WithEtag(Rpcs(opps->add_subcommand("won", "Close it as won"),
                {"karton.crm.v1.OpportunityService/MarkWon"}),
           *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Opportunities::MarkWon, For<cv1::MarkWonRequest>(*bound),
                    PrintOpportunity);
      }));

  auto* lost = WithEtag(Rpcs(opps->add_subcommand("lost", "Close it as lost, with a reason"),
                             {"karton.crm.v1.OpportunityService/MarkLost"}),
                        *bound);
  lost->add_option("--reason", bound->reason, "price, went with a competitor, ...")->required();
  lost->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<cv1::MarkLostRequest>(*bound);
    request.set_reason(bound->reason);
    return Call(options, &Opportunities::MarkLost, request, PrintOpportunity);
  }));

  AddShareCommand(opps, "share",
                  "Let an external partner user or a team see the deal and its partner's card",
                  options, exit_code, bound, "karton.crm.v1.OpportunityService/ShareOpportunity",
                  &Opportunities::ShareOpportunity, PrintOpportunity);
  AddShareCommand(opps, "unshare", "Take a share of the deal (and its card) back", options,
                  exit_code, bound, "karton.crm.v1.OpportunityService/UnshareOpportunity",
                  &Opportunities::UnshareOpportunity, PrintOpportunity);
}

void AddSetupCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();

  auto* pipelines =
      app.add_subcommand("pipelines", "Sales pipelines and their stages")->require_subcommand(1);
  Rpcs(pipelines->add_subcommand("list", "Every pipeline, stages in order"),
       {"karton.crm.v1.PipelineService/ListPipelines"})
      ->callback(Run(options, exit_code, [&options] {
        return Call(options, &Pipelines::ListPipelines, cv1::ListPipelinesRequest{},
                    PrintPipelines);
      }));
  WithId(Rpcs(pipelines->add_subcommand("get", "One pipeline: stage ids, probabilities"),
              {"karton.crm.v1.PipelineService/GetPipeline"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Pipelines::GetPipeline, For<cv1::GetPipelineRequest>(*bound),
                    PrintPipeline);
      }));

  auto* forms = app.add_subcommand("forms", "Lead-capture web forms served at /forms/<slug>")
                    ->require_subcommand(1);
  auto* list_forms = Rpcs(forms->add_subcommand("list", "Every web form"),
                          {"karton.crm.v1.WebFormService/ListWebForms"});
  list_forms->add_option("--page-token", bound->page_token, "From the previous page");
  list_forms->callback(Run(options, exit_code, [&options, bound] {
    cv1::ListWebFormsRequest request;
    request.set_page_size(1000);
    request.set_page_token(bound->page_token);
    return Call(options, &Forms::ListWebForms, request, PrintForms);
  }));
  auto* get_form = Rpcs(forms->add_subcommand("get", "One form: fields, categories, etag"),
                        {"karton.crm.v1.WebFormService/GetWebForm"});
  auto* by_id = get_form->add_option("id", bound->id, "The form's id");
  get_form->add_option("--slug", bound->slug, "The form's slug instead")->excludes(by_id);
  get_form->callback(Run(options, exit_code, [&options, bound] {
    if (bound->id == 0 && bound->slug.empty()) throw UsageError("name the form: ID or --slug S");
    auto request = For<cv1::GetWebFormRequest>(*bound);
    request.set_slug(bound->slug);
    return Call(options, &Forms::GetWebForm, request, PrintForm);
  }));
  auto* create_form = Rpcs(
      forms->add_subcommand(
          "create", "A form from a file holding a WebForm as JSON (docs/crm.md); prints its page"),
      {"karton.crm.v1.WebFormService/CreateWebForm"});
  create_form->add_option("--file", bound->file, "FORM.json")->required();
  create_form->add_option("--request-id", bound->request_id, "The same id twice creates one");
  create_form->callback(Run(options, exit_code, [&options, bound] {
    std::ifstream in(bound->file, std::ios::binary);
    if (!in) throw UsageError("cannot read " + bound->file);
    const std::string json{std::istreambuf_iterator<char>(in), {}};
    cv1::CreateWebFormRequest request;
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(json, request.mutable_web_form());
    if (!parsed.ok()) {
      throw UsageError(fmt::format("{} is not a WebForm in JSON: {}", bound->file,
                                   std::string(parsed.message())));
    }
    request.set_request_id(bound->request_id);
    return Call(options, &Forms::CreateWebForm, request, PrintForm);
  }));

  auto* rules = app.add_subcommand("rules", "Lead routing rules, tried in ascending priority")
                    ->require_subcommand(1);
  Rpcs(rules->add_subcommand("list", "The rules in the order they are tried"),
       {"karton.crm.v1.AssignmentRuleService/ListAssignmentRules"})
      ->callback(Run(options, exit_code, [&options] {
        return Call(options, &Rules::ListAssignmentRules, cv1::ListAssignmentRulesRequest{},
                    PrintRules);
      }));
  auto& rule = bound->rule;
  auto* add =
      Rpcs(rules->add_subcommand(
               "add", "A rule: leads matching every condition given go to the user or team"),
           {"karton.crm.v1.AssignmentRuleService/CreateAssignmentRule"});
  add->add_option("--priority", bound->priority, "Lower goes first")->required();
  add->add_option("--category", *rule.mutable_category(), "The lead's category");
  add->add_option("--country", *rule.mutable_country(), "ISO 3166-1 alpha-2, e.g. HU");
  add->add_option("--postal-prefix", *rule.mutable_postal_code_prefix(), "e.g. 67 (Szeged)");
  auto* to_user = add->add_option("--user", bound->user, "To this user");
  add->add_option("--team", bound->team, "To this team (round-robin)")->excludes(to_user);
  add->callback(Run(options, exit_code, [&options, bound] {
    if (bound->user == 0 && bound->team == 0) throw UsageError("give --user U or --team T");
    cv1::CreateAssignmentRuleRequest request;
    *request.mutable_assignment_rule() = bound->rule;
    request.mutable_assignment_rule()->set_priority(bound->priority);
    request.mutable_assignment_rule()->set_user_id(bound->user);
    request.mutable_assignment_rule()->set_team_id(bound->team);
    return Call(options, &Rules::CreateAssignmentRule, request,
                [](const cv1::AssignmentRule& added) {
                  cv1::ListAssignmentRulesResponse one;
                  *one.add_assignment_rules() = added;
                  PrintRules(one);
                });
  }));
  WithId(Rpcs(rules->add_subcommand("remove", "Delete a rule"),
              {"karton.crm.v1.AssignmentRuleService/DeleteAssignmentRule"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Rules::DeleteAssignmentRule,
                    For<cv1::DeleteAssignmentRuleRequest>(*bound),
                    [](const cv1::DeleteAssignmentRuleResponse&) { std::cout << "removed\n"; });
      }));
}

void AddActivityCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* activities =
      app.add_subcommand("activities", "Calls, meetings, tasks, emails; calendars and feeds")
          ->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(activities->add_subcommand("list", "Activities, newest first"),
                    {"karton.crm.v1.ActivityService/ListActivities"});
  list->add_option("--assignee", bound->user, "Assigned to this user");
  list->add_option("--partner", bound->partner, "About this partner");
  list->add_option("--lead", bound->lead_id, "About this lead");
  list->add_option("--opportunity", bound->opportunity, "About this opportunity");
  AddChoice(list, "--status", bound->status, kActivityStatuses);
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    cv1::ListActivitiesRequest request;
    request.set_assigned_user_id(bound->user);
    request.set_partner_id(bound->partner);
    request.set_lead_id(bound->lead_id);
    request.set_opportunity_id(bound->opportunity);
    request.set_status(FromWord<cv1::ActivityStatus>(bound->status, "ACTIVITY_STATUS_"));
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Activities::ListActivities, request, PrintActivities);
  }));

  WithId(Rpcs(activities->add_subcommand("get", "One activity"),
              {"karton.crm.v1.ActivityService/GetActivity"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Activities::GetActivity, For<cv1::GetActivityRequest>(*bound),
                    PrintActivity);
      }));

  auto* create = Rpcs(activities->add_subcommand("create", "Plan a call, meeting, task or email"),
                      {"karton.crm.v1.ActivityService/CreateActivity"});
  AddChoice(create, "--type", bound->type, kActivityTypes)->required();
  create->add_option("--subject", bound->name, "What it is")->required();
  create->add_option("--start", bound->start, "When it starts (RFC 3339)");
  create->add_option("--duration", bound->duration, "How long: 30m, 1h");
  create->add_option("--due", bound->due, "When it is due (RFC 3339), for tasks");
  create->add_option("--partner", bound->partner, "About this partner");
  create->add_option("--contact", bound->contact, "With this contact");
  create->add_option("--lead", bound->lead_id, "About this lead");
  create->add_option("--opportunity", bound->opportunity, "About this opportunity");
  create->add_option("--location", bound->location, "Where (meetings)");
  create->add_option("--description", bound->description, "Notes");
  create->add_option("--assignee", bound->user, "Who does it (default: you)");
  create->add_option("--remind", bound->reminders,
                     "A reminder this long before: 15m, 1d; repeatable");
  create->add_option("--invite", bound->invitees,
                     "Email a calendar invitation to a contact of the partner (its id) or an "
                     "address; repeatable");
  create->add_option("--request-id", bound->request_id, "The same id twice creates one activity");
  create->callback(Run(options, exit_code, [&options, bound] {
    cv1::CreateActivityRequest request;
    auto* activity = request.mutable_activity();
    activity->set_type(FromWord<cv1::ActivityType>(bound->type, "ACTIVITY_TYPE_"));
    activity->set_subject(bound->name);
    if (bound->start.empty() && bound->due.empty()) throw UsageError("give --start or --due");
    if (!bound->start.empty()) ParseTime(bound->start, "--start", activity->mutable_start_time());
    if (!bound->due.empty()) ParseTime(bound->due, "--due", activity->mutable_due_time());
    if (!bound->duration.empty()) {
      activity->mutable_duration()->set_seconds(ParseDuration(bound->duration, "--duration"));
    }
    for (const auto& reminder : bound->reminders) {
      activity->add_reminders()->set_seconds(ParseDuration(reminder, "--remind"));
    }
    activity->set_partner_id(bound->partner);
    activity->set_contact_id(bound->contact);
    activity->set_lead_id(bound->lead_id);
    activity->set_opportunity_id(bound->opportunity);
    activity->set_location(bound->location);
    activity->set_description(bound->description);
    activity->set_assigned_user_id(bound->user);
    for (const auto& invite : bound->invitees) {
      auto* invitee = activity->add_invitees();
      if (invite.find('@') != std::string::npos) {
        invitee->set_email(invite);
      } else if (!invite.empty() && invite.find_first_not_of("0123456789") == std::string::npos) {
        invitee->set_contact_id(std::stoll(invite));
      } else {
        throw UsageError("--invite takes a contact id or an email address: " + invite);
      }
    }
    request.set_request_id(bound->request_id);
    return Call(options, &Activities::CreateActivity, request, PrintActivity);
  }));

  auto* complete =
      WithEtag(Rpcs(activities->add_subcommand("complete", "Done, with what came of it"),
                    {"karton.crm.v1.ActivityService/CompleteActivity"}),
               *bound);
  complete->add_option("--outcome", bound->outcome, "What came of it");
  AddNextStepOptions(complete, *bound);
  complete->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<cv1::CompleteActivityRequest>(*bound);
    cv1::Activity next;
    if (NextStep(*bound, next)) *request.mutable_next_activity() = next;
    request.set_outcome(bound->outcome);
    return Call(options, &Activities::CompleteActivity, request, PrintActivity);
  }));

  auto* cancel = WithEtag(Rpcs(activities->add_subcommand("cancel", "It will not happen"),
                               {"karton.crm.v1.ActivityService/CancelActivity"}),
                          *bound);
  cancel->add_option("--reason", bound->reason, "Why");
  cancel->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<cv1::CancelActivityRequest>(*bound);
    request.set_reason(bound->reason);
    return Call(options, &Activities::CancelActivity, request, PrintActivity);
  }));

  auto* calendar = Rpcs(activities->add_subcommand("calendar", "Your (or a user's, a team's) days"),
                        {"karton.crm.v1.ActivityService/ListCalendar"});
  calendar->add_option("--user", bound->user, "Whose calendar (default: yours)");
  calendar->add_option("--team", bound->team, "A team's calendar");
  calendar->add_option("--from", bound->since, "From (RFC 3339; default: now)");
  calendar->add_option("--days", bound->days, "How many days")->capture_default_str();
  calendar->callback(Run(options, exit_code, [&options, bound] {
    cv1::ListCalendarRequest request;
    request.set_user_id(bound->user);
    request.set_team_id(bound->team);
    if (bound->since.empty()) {
      request.mutable_start_time()->set_seconds(
          std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count());
    } else {
      ParseTime(bound->since, "--from", request.mutable_start_time());
    }
    if (bound->days < 1 || bound->days > 400) throw UsageError("--days is 1 to 400");
    request.mutable_end_time()->set_seconds(request.start_time().seconds() + bound->days * 86400LL);
    return Call(options, &Activities::ListCalendar, request,
                [](const cv1::ListCalendarResponse& response) {
                  PrintActivityRows(response.activities());
                });
  }));

  auto* feed = Rpcs(
      activities->add_subcommand("feed", "The secret iCalendar URL for Outlook or Google Calendar"),
      {"karton.crm.v1.ActivityService/GetCalendarFeed",
       "karton.crm.v1.ActivityService/RotateCalendarFeed"});
  feed->add_option("--user", bound->user, "Whose (default: yours)");
  feed->add_option("--team", bound->team, "A team's");
  feed->add_flag("--rotate", bound->rotate, "Replace the secret: the old URL stops working");
  feed->callback(Run(options, exit_code, [&options, bound] {
    const auto print = [](const cv1::CalendarFeed& answer) {
      if (!answer.url().empty()) {
        std::cout << answer.url() << "\n"
                  << "Keep this URL secret: it is shown only now (karton keeps a hash of it).\n";
        return;
      }
      std::cout << "The feed exists since "
                << google::protobuf::util::TimeUtil::ToString(answer.create_time())
                << "; its URL was shown when it was made and is not kept.\n"
                << "karton activities feed --rotate makes a new URL (the old one stops "
                   "working).\n";
    };
    if (bound->rotate) {
      cv1::RotateCalendarFeedRequest request;
      request.set_user_id(bound->user);
      request.set_team_id(bound->team);
      return Call(options, &Activities::RotateCalendarFeed, request, print);
    }
    cv1::GetCalendarFeedRequest request;
    request.set_user_id(bound->user);
    request.set_team_id(bound->team);
    return Call(options, &Activities::GetCalendarFeed, request, print);
  }));

  auto* overview =
      Rpcs(app.add_subcommand(
               "overview",
               "Everything about a customer: card, contacts, leads, deals, activities, timeline"),
           {"karton.crm.v1.CustomerOverviewService/GetCustomerOverview"});
  overview->add_option("partner", bound->partner, "The partner's id")->required();
  overview->callback(Run(options, exit_code, [&options, bound] {
    cv1::GetCustomerOverviewRequest request;
    request.set_partner_id(bound->partner);
    return Call(options, &Overviews::GetCustomerOverview, request, PrintOverview);
  }));
}

}  // namespace

void AddCrmCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  AddLeadCommands(app, options, exit_code);
  AddOpportunityCommands(app, options, exit_code);
  AddSetupCommands(app, options, exit_code);
  AddActivityCommands(app, options, exit_code);
}

}  // namespace karton::cli
