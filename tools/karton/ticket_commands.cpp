// karton tickets ...: the helpdesk module's tickets (docs/helpdesk.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/helpdesk/v1/helpdesk_report_service.grpc.pb.h"
#include "karton/helpdesk/v1/sla_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_type_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace hv1 = helpdesk::v1;
using Tickets = hv1::TicketService::Stub;
using TicketTypes = hv1::TicketTypeService::Stub;
using Sla = hv1::SlaService::Stub;
using HelpdeskReports = hv1::HelpdeskReportService::Stub;

const std::vector<std::string> kStates = {
    "new", "open", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed"};
const std::vector<std::string> kPriorities = {"low", "normal", "high", "urgent"};
const std::vector<std::string> kSources = {"api", "phone", "email", "web_form"};
const std::vector<std::string> kSlaStates = {"none",     "on_track", "warning",
                                             "breached", "paused",   "met"};

struct Options {
  std::int64_t id = 0, partner = 0, contact = 0, type = 0, user = 0, team = 0, assignee = 0;
  std::string etag, subject, description, priority, source, name, email, phone, state, sla, note,
      body, reason, request_id, page_token;
  std::vector<std::int64_t> sources;
  std::vector<std::string> steps;
  std::string file, active, time_zone, holidays, notices, from, to;
  std::vector<std::string> hours, closed, working;
  std::int64_t calendar = 0, escalate = 0;
  int first_minutes = 0, resolution_minutes = 0, warn = 0;
  bool open_only = false, public_comment = false, inactive = false, no_notices = false;
  int limit = 50;
};

CLI::App* WithId(CLI::App* command, Options& bound) {
  command->add_option("id", bound.id)->required();
  return command;
}

CLI::App* WithOptionalEtag(CLI::App* command, Options& bound) {
  command->add_option("--etag", bound.etag, "From `get`; refused (ABORTED) when it changed since");
  return WithId(command, bound);
}

void PrintTickets(const hv1::ListTicketsResponse& response) {
  constexpr auto kRow = "{:>6}  {:<15} {:<22} {:<7} {:>8} {:>6} {:>5} {:<9} {}\n";
  std::cout << fmt::format(kRow, "ID", "NUMBER", "STATE", "PRIO", "PARTNER", "USER", "TEAM", "SLA",
                           "SUBJECT");
  for (const auto& ticket : response.tickets()) {
    std::cout << fmt::format(kRow, ticket.id(), ticket.number(),
                             Word(ticket.state(), "TICKET_STATE_"),
                             Word(ticket.priority(), "TICKET_PRIORITY_"), Id(ticket.partner_id()),
                             Id(ticket.assignee_user_id()), Id(ticket.team_id()),
                             Word(ticket.sla_state(), "SLA_STATE_"), Cut(ticket.subject(), 40));
  }
  MorePages(response.next_page_token());
}

void PrintTicket(const hv1::Ticket& ticket) {
  std::cout << fmt::format("ticket {} ({}): {} — {}\n", ticket.number(), ticket.id(),
                           Word(ticket.state(), "TICKET_STATE_"), ticket.subject());
  Lines("priority", Word(ticket.priority(), "TICKET_PRIORITY_"), "source",
        Word(ticket.source(), "TICKET_SOURCE_"), "type", Id(ticket.type_id()), "partner",
        Id(ticket.partner_id()), "contact", Id(ticket.contact_id()), "requester",
        ticket.requester_name(), "email", ticket.requester_email(), "phone",
        ticket.requester_phone(), "with", Who(ticket.assignee_user_id(), ticket.team_id()), "sla",
        Word(ticket.sla_state(), "SLA_STATE_"), "merged into", Id(ticket.merged_into_id()),
        "reopened", ticket.reopen_count() > 0 ? std::to_string(ticket.reopen_count()) : "",
        "responded", ticket.has_first_response_time() ? Time(ticket.first_response_time()) : "",
        "resolved", ticket.has_resolve_time() ? Time(ticket.resolve_time()) : "", "closed",
        ticket.has_close_time() ? Time(ticket.close_time()) : "", "created",
        Time(ticket.create_time()), "etag", ticket.etag());
  if (!ticket.description().empty()) std::cout << "\n" << ticket.description() << "\n";
  for (const auto merged : ticket.merged_ticket_ids()) {
    std::cout << fmt::format("  merged here: ticket {}\n", merged);
  }
  if (ticket.hand_overs_size() > 0) std::cout << "\nhistory:\n";
  for (const auto& entry : ticket.hand_overs()) {
    std::cout << fmt::format("  {} {} by user {}: {} -> {}{}\n", Time(entry.create_time()),
                             Word(entry.kind(), "HAND_OVER_KIND_"), entry.by_user_id(),
                             Who(entry.from_user_id(), entry.from_team_id()).empty()
                                 ? "nobody"
                                 : Who(entry.from_user_id(), entry.from_team_id()),
                             Who(entry.to_user_id(), entry.to_team_id()),
                             entry.note().empty() ? "" : " — " + entry.note());
  }
  if (ticket.steps_size() > 0) std::cout << "\nprocess:\n";
  for (const auto& step : ticket.steps()) {
    std::cout << fmt::format("  {}{:>2}. {:<32} {:<8} {}{}\n",
                             step.position() == ticket.current_step() ? ">" : " ", step.position(),
                             Cut(step.step().name(), 32), Word(step.state(), "STEP_STATE_"),
                             step.has_due_time() ? "due " + Time(step.due_time()) : "",
                             step.note().empty() ? "" : " — " + step.note());
  }
  if (ticket.comments_size() > 0) std::cout << "\ncomments:\n";
  for (const auto& comment : ticket.comments()) {
    std::cout << fmt::format("  {} {} {}: {}\n", Time(comment.create_time()),
                             Word(comment.visibility(), "COMMENT_VISIBILITY_"),
                             comment.from_customer()
                                 ? std::string("customer")
                                 : fmt::format("user {}", comment.author_user_id()),
                             comment.body());
  }
}

std::string ActionText(const hv1::StepAction& action) {
  if (action.has_email_customer()) return "email " + action.email_customer().template_name();
  if (action.has_create_activity()) return "task '" + action.create_activity().subject() + "'";
  if (action.has_wait_for_customer()) return "wait for the customer";
  return "?";
}

void PrintTicketType(const hv1::TicketType& type) {
  std::cout << fmt::format("ticket type {}: {}{}\n", type.id(), type.name(),
                           type.active() ? "" : " (retired)");
  Lines("description", type.description(), "etag", type.etag());
  int position = 0;
  for (const auto& step : type.steps()) {
    std::string actions;
    for (const auto& action : step.actions()) {
      actions += (actions.empty() ? "" : ", ") + ActionText(action);
    }
    std::cout << fmt::format(
        "  {:>2}. {:<32} {:<16} {:<8} {:<8} {}\n", ++position, Cut(step.name(), 32),
        Cut(step.responsible_role(), 16, true),
        step.responsible_team_id() == 0 ? std::string("-")
                                        : "team " + std::to_string(step.responsible_team_id()),
        step.due_offset().seconds() == 0 ? std::string("-")
                                         : std::to_string(step.due_offset().seconds() / 3600) + "h",
        actions);
  }
}

void PrintTicketTypes(const hv1::ListTicketTypesResponse& response) {
  constexpr auto kRow = "{:>6}  {:<32} {:>5} {}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "STEPS", "ACTIVE");
  for (const auto& type : response.ticket_types()) {
    std::cout << fmt::format(kRow, type.id(), Cut(type.name(), 32), type.steps_size(),
                             type.active() ? "yes" : "no");
  }
  MorePages(response.next_page_token());
}

// "Kivizsgálás" or "Kivizsgálás:support" or "Kiszállás:external_partner:48h":
// a step's name, its role and its due offset in hours.
hv1::ProcessStep ParseStep(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  hv1::ProcessStep step;
  step.set_name(parts[0]);
  if (parts.size() > 1) step.set_responsible_role(parts[1]);
  if (parts.size() > 2) {
    const auto& due = parts[2];
    if (due.size() < 2 || due.back() != 'h' || !IsNumber(due.substr(0, due.size() - 1))) {
      throw UsageError(
          "--step takes NAME[:ROLE[:HOURSh]], such as 'Kiszállás:external_partner:48h', not '" +
          text + "'");
    }
    step.mutable_due_offset()->set_seconds(std::stoll(due.substr(0, due.size() - 1)) * 3600);
  }
  if (parts.size() > 3) throw UsageError("--step takes NAME[:ROLE[:HOURSh]], not '" + text + "'");
  return step;
}

std::string DateWord(const common::v1::Date& date) {
  return fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
}

void PrintCalendar(const hv1::BusinessCalendar& calendar) {
  std::cout << fmt::format("business calendar {}: {} ({})\n", calendar.id(), calendar.name(),
                           calendar.time_zone());
  static const char* kDays[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  for (const auto& hours : calendar.hours()) {
    if (hours.weekday() >= 1 && hours.weekday() <= 7) {
      std::cout << fmt::format("  {} {}-{}\n", kDays[hours.weekday()], hours.open(), hours.close());
    }
  }
  std::string closed, working;
  for (const auto& date : calendar.closed_dates())
    closed += (closed.empty() ? "" : " ") + DateWord(date);
  for (const auto& date : calendar.working_dates())
    working += (working.empty() ? "" : " ") + DateWord(date);
  Lines("holidays", calendar.hungarian_holidays() ? "Hungarian public holidays and swaps" : "none",
        "closed", closed, "working", working, "etag", calendar.etag());
}

void PrintCalendars(const hv1::ListBusinessCalendarsResponse& response) {
  for (const auto& calendar : response.calendars()) PrintCalendar(calendar);
  MorePages(response.next_page_token());
}

void PrintPolicy(const hv1::SlaPolicy& policy) {
  std::cout << fmt::format(
      "SLA policy {}: {}{}\n  type {}, priority {}, calendar {}: first response {} min, "
      "resolution {} min, warning at {}%{}\n",
      policy.id(), policy.name(), policy.active() ? "" : " (inactive)",
      policy.type_id() == 0 ? std::string("any") : std::to_string(policy.type_id()),
      policy.priority() == hv1::TICKET_PRIORITY_UNSPECIFIED
          ? std::string("any")
          : Word(policy.priority(), "TICKET_PRIORITY_"),
      policy.calendar_id(), policy.first_response_minutes(), policy.resolution_minutes(),
      policy.warn_percent(),
      policy.escalate_to_user_id() == 0
          ? std::string()
          : fmt::format(", escalate to user {}", policy.escalate_to_user_id()));
}

void PrintPolicies(const hv1::ListSlaPoliciesResponse& response) {
  for (const auto& policy : response.policies()) PrintPolicy(policy);
  MorePages(response.next_page_token());
}

// "1=08:00-16:30": Monday's opening hours.
hv1::OpeningHours ParseHours(const std::string& text) {
  const auto equals = text.find('=');
  const auto dash = text.find('-');
  if (equals != 1 || dash == std::string::npos || text[0] < '1' || text[0] > '7') {
    throw UsageError(
        "--hours takes WEEKDAY=HH:MM-HH:MM (1 Monday ... 7 Sunday), such as "
        "1=08:00-16:30, not '" +
        text + "'");
  }
  hv1::OpeningHours hours;
  hours.set_weekday(text[0] - '0');
  hours.set_open(text.substr(2, dash - 2));
  hours.set_close(text.substr(dash + 1));
  return hours;
}

void PrintComment(const hv1::TicketComment& comment) {
  std::cout << fmt::format("comment {} on ticket {} ({})\n", comment.id(), comment.ticket_id(),
                           Word(comment.visibility(), "COMMENT_VISIBILITY_"));
}

}  // namespace

// "2 h 05 min" (to the minute; "-" when unset).
std::string Span(bool set, const google::protobuf::Duration& duration) {
  if (!set) return "-";
  const auto minutes = (duration.seconds() + 30) / 60;
  if (minutes < 60) return fmt::format("{} min", minutes);
  return fmt::format("{} h {:02} min", minutes / 60, minutes % 60);
}

std::string Percent(std::int64_t whole, std::int32_t basis_points) {
  if (whole == 0) return "-";
  return fmt::format("{}.{:02}%", basis_points / 100, basis_points % 100);
}

void PrintReportRow(const std::string& name, const hv1::HelpdeskStatistics& s) {
  std::cout << fmt::format(
      "  {:<28} {:>7} {:>8} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8}\n", Cut(name, 28), s.tickets(),
      s.resolved_tickets(), Span(s.has_first_response_median(), s.first_response_median()),
      Span(s.has_first_response_p90(), s.first_response_p90()),
      Span(s.has_resolution_median(), s.resolution_median()),
      Span(s.has_resolution_p90(), s.resolution_p90()),
      Percent(s.sla_tickets(), s.sla_compliance_bp()), Percent(s.tickets(), s.reopen_rate_bp()));
}

void PrintHelpdeskReport(const hv1::RunHelpdeskReportResponse& report) {
  const auto header = [](const char* what) {
    std::cout << fmt::format("{:<30} {:>7} {:>8} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8}\n", what,
                             "TICKETS", "RESOLVED", "1ST RESP MED", "1ST RESP P90", "RESOLVE MED",
                             "RESOLVE P90", "SLA MET", "REOPEN");
  };
  header("TOTAL");
  PrintReportRow("all tickets", report.total());
  const std::pair<const char*, const google::protobuf::RepeatedPtrField<hv1::HelpdeskReportGroup>*>
      parts[] = {{"BY TYPE", &report.by_type()},
                 {"BY SOURCE", &report.by_source()},
                 {"BY COLLEAGUE", &report.by_agent()},
                 {"BY TEAM", &report.by_team()}};
  for (const auto& [title, groups] : parts) {
    std::cout << "\n";
    header(title);
    for (const auto& group : *groups) PrintReportRow(group.name(), group.statistics());
  }
  std::cout << "\n(times wall-clock; SLA met of the tickets with a policy whose outcome is "
               "known)\n";
}

void AddHelpdeskCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* tickets = app.add_subcommand("tickets", "Helpdesk tickets")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(tickets->add_subcommand("list", "Tickets, newest first"),
                    {"karton.helpdesk.v1.TicketService/ListTickets"});
  AddChoice(list, "--state", bound->state, kStates);
  list->add_option("--type", bound->type, "Of this ticket type");
  AddChoice(list, "--priority", bound->priority, kPriorities);
  list->add_option("--assignee", bound->assignee, "Assigned to this user");
  list->add_option("--team", bound->team, "Assigned to this team");
  list->add_option("--partner", bound->partner, "Of this partner");
  AddChoice(list, "--sla", bound->sla, kSlaStates);
  list->add_flag("--open", bound->open_only, "Not resolved or closed");
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    hv1::ListTicketsRequest request;
    request.set_state(FromWord<hv1::TicketState>(bound->state, "TICKET_STATE_"));
    request.set_type_id(bound->type);
    request.set_priority(FromWord<hv1::TicketPriority>(bound->priority, "TICKET_PRIORITY_"));
    request.set_assignee_user_id(bound->assignee);
    request.set_team_id(bound->team);
    request.set_partner_id(bound->partner);
    request.set_sla_state(FromWord<hv1::SlaState>(bound->sla, "SLA_STATE_"));
    request.set_open_only(bound->open_only);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Tickets::ListTickets, request, PrintTickets);
  }));

  WithId(Rpcs(tickets->add_subcommand("get", "One ticket with its comments and history"),
              {"karton.helpdesk.v1.TicketService/GetTicket"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        hv1::GetTicketRequest request;
        request.set_id(bound->id);
        return Call(options, &Tickets::GetTicket, request, PrintTicket);
      }));

  auto* create = Rpcs(tickets->add_subcommand("create", "A new ticket (a phone call, an email)"),
                      {"karton.helpdesk.v1.TicketService/CreateTicket"});
  create->add_option("--subject", bound->subject, "What it is about")->required();
  create->add_option("--description", bound->description, "The details");
  AddChoice(create, "--priority", bound->priority, kPriorities);
  AddChoice(create, "--source", bound->source, kSources);
  create->add_option("--type", bound->type, "A ticket type");
  create->add_option("--partner", bound->partner, "The customer (else found by --email/--phone)");
  create->add_option("--contact", bound->contact, "A contact of the partner");
  create->add_option("--name", bound->name, "Who asked");
  create->add_option("--email", bound->email, "Their email address");
  create->add_option("--phone", bound->phone, "Their phone number");
  create->add_option("--request-id", bound->request_id, "The same id twice creates one");
  create->add_flag("--no-notices", bound->no_notices,
                   "No customer notices (received, waiting, resolved emails)");
  create->callback(Run(options, exit_code, [&options, bound] {
    hv1::CreateTicketRequest request;
    auto& ticket = *request.mutable_ticket();
    ticket.set_subject(bound->subject);
    ticket.set_description(bound->description);
    ticket.set_priority(FromWord<hv1::TicketPriority>(bound->priority, "TICKET_PRIORITY_"));
    ticket.set_source(FromWord<hv1::TicketSource>(bound->source, "TICKET_SOURCE_"));
    ticket.set_type_id(bound->type);
    ticket.set_partner_id(bound->partner);
    ticket.set_contact_id(bound->contact);
    ticket.set_requester_name(bound->name);
    ticket.set_requester_email(bound->email);
    ticket.set_requester_phone(bound->phone);
    ticket.set_customer_notices_off(bound->no_notices);
    request.set_request_id(bound->request_id);
    return Call(options, &Tickets::CreateTicket, request, PrintTicket);
  }));

  auto* report =
      Rpcs(tickets->add_subcommand("report",
                                   "The helpdesk's statistics over the tickets created in a range"),
           {"karton.helpdesk.v1.HelpdeskReportService/RunHelpdeskReport"});
  report->add_option("--from", bound->from, "First day the tickets were created, YYYY-MM-DD");
  report->add_option("--to", bound->to, "Last day, YYYY-MM-DD");
  report->add_option("--team", bound->team, "Only this team's tickets");
  report->add_option("--assignee", bound->assignee, "Only this colleague's tickets");
  report->callback(Run(options, exit_code, [&options, bound] {
    hv1::RunHelpdeskReportRequest request;
    if (!bound->from.empty()) *request.mutable_from_date() = ParseDate(bound->from, "--from");
    if (!bound->to.empty()) *request.mutable_to_date() = ParseDate(bound->to, "--to");
    request.set_team_id(bound->team);
    request.set_assignee_user_id(bound->assignee);
    return Call(options, &HelpdeskReports::RunHelpdeskReport, request, PrintHelpdeskReport);
  }));

  auto* update = WithOptionalEtag(Rpcs(tickets->add_subcommand("update", "Change a ticket"),
                                       {"karton.helpdesk.v1.TicketService/UpdateTicket"}),
                                  *bound);
  update->add_option("--subject", bound->subject, "What it is about");
  update->add_option("--description", bound->description, "The details");
  AddChoice(update, "--priority", bound->priority, kPriorities);
  update->add_option("--type", bound->type, "A ticket type; 0 for none");
  update->add_option("--partner", bound->partner, "The customer; 0 for none");
  update->add_option("--contact", bound->contact, "A contact of the partner; 0 for none");
  update->add_option("--name", bound->name, "Who asked");
  update->add_option("--email", bound->email, "Their email address");
  update->add_option("--phone", bound->phone, "Their phone number");
  AddChoice(update, "--notices", bound->notices, std::vector<std::string>{"on", "off"})
      ->description("The customer notices (received, waiting, resolved emails)");
  update->callback(Run(options, exit_code, [&options, bound, update] {
    hv1::UpdateTicketRequest request;
    auto& ticket = *request.mutable_ticket();
    ticket.set_id(bound->id);
    ticket.set_etag(bound->etag);
    ticket.set_subject(bound->subject);
    ticket.set_description(bound->description);
    ticket.set_priority(FromWord<hv1::TicketPriority>(bound->priority, "TICKET_PRIORITY_"));
    ticket.set_type_id(bound->type);
    ticket.set_partner_id(bound->partner);
    ticket.set_contact_id(bound->contact);
    ticket.set_requester_name(bound->name);
    ticket.set_requester_email(bound->email);
    ticket.set_requester_phone(bound->phone);
    ticket.set_customer_notices_off(bound->notices == "off");
    MaskGiven(update, *request.mutable_update_mask(),
              {{"--subject", "subject"},
               {"--description", "description"},
               {"--priority", "priority"},
               {"--type", "type_id"},
               {"--partner", "partner_id"},
               {"--contact", "contact_id"},
               {"--name", "requester_name"},
               {"--email", "requester_email"},
               {"--phone", "requester_phone"},
               {"--notices", "customer_notices_off"}});
    return Call(options, &Tickets::UpdateTicket, request, PrintTicket);
  }));

  auto* assign =
      WithOptionalEtag(Rpcs(tickets->add_subcommand("assign", "Give it to a colleague and/or team"),
                            {"karton.helpdesk.v1.TicketService/AssignTicket"}),
                       *bound);
  assign->add_option("--user", bound->user, "The colleague");
  assign->add_option("--team", bound->team, "The team");
  assign->callback(Run(options, exit_code, [&options, bound] {
    if (bound->user == 0 && bound->team == 0) throw UsageError("give --user U, --team T or both");
    hv1::AssignTicketRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    request.set_assignee_user_id(bound->user);
    request.set_team_id(bound->team);
    return Call(options, &Tickets::AssignTicket, request, PrintTicket);
  }));

  auto* hand_over = WithOptionalEtag(
      Rpcs(tickets->add_subcommand("hand-over", "Pass it on with a note; the history stays"),
           {"karton.helpdesk.v1.TicketService/HandOver"}),
      *bound);
  hand_over->add_option("--user", bound->user, "To this colleague");
  hand_over->add_option("--team", bound->team, "To this team");
  hand_over->add_option("--note", bound->note, "What they need to know")->required();
  hand_over->callback(Run(options, exit_code, [&options, bound] {
    if (bound->user == 0 && bound->team == 0) throw UsageError("give --user U or --team T");
    hv1::HandOverRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    request.set_to_user_id(bound->user);
    request.set_to_team_id(bound->team);
    request.set_note(bound->note);
    return Call(options, &Tickets::HandOver, request, PrintTicket);
  }));

  auto* comment =
      WithId(Rpcs(tickets->add_subcommand("comment", "Add an internal or public comment"),
                  {"karton.helpdesk.v1.TicketService/AddComment"}),
             *bound);
  comment->add_option("--text", bound->body, "The comment")->required();
  comment->add_flag("--public", bound->public_comment,
                    "Part of the conversation with the customer");
  comment->callback(Run(options, exit_code, [&options, bound] {
    hv1::AddCommentRequest request;
    request.set_ticket_id(bound->id);
    request.mutable_comment()->set_body(bound->body);
    request.mutable_comment()->set_visibility(
        bound->public_comment ? hv1::COMMENT_VISIBILITY_PUBLIC : hv1::COMMENT_VISIBILITY_INTERNAL);
    return Call(options, &Tickets::AddComment, request, PrintComment);
  }));

  auto* state = WithOptionalEtag(
      Rpcs(tickets->add_subcommand("state", "Move it to another state; open again reopens"),
           {"karton.helpdesk.v1.TicketService/ChangeState"}),
      *bound);
  AddChoice(state, "--to", bound->state, kStates)->required();
  state->add_option("--reason", bound->reason, "Why (audited)");
  state->callback(Run(options, exit_code, [&options, bound] {
    hv1::ChangeStateRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    request.set_state(FromWord<hv1::TicketState>(bound->state, "TICKET_STATE_"));
    request.set_reason(bound->reason);
    return Call(options, &Tickets::ChangeState, request, PrintTicket);
  }));

  auto* merge =
      WithOptionalEtag(Rpcs(tickets->add_subcommand("merge", "Close other tickets into this one"),
                            {"karton.helpdesk.v1.TicketService/MergeTickets"}),
                       *bound);
  merge->add_option("--from", bound->sources, "A ticket merged into it; repeat")->required();
  merge->callback(Run(options, exit_code, [&options, bound] {
    hv1::MergeTicketsRequest request;
    request.set_target_id(bound->id);
    request.set_etag(bound->etag);
    for (const auto source : bound->sources) request.add_source_ids(source);
    return Call(options, &Tickets::MergeTickets, request, PrintTicket);
  }));

  auto* done = WithOptionalEtag(
      Rpcs(tickets->add_subcommand("step-done", "Finish the current process step; the next begins"),
           {"karton.helpdesk.v1.TicketService/CompleteStep"}),
      *bound);
  done->add_option("--note", bound->note, "What was done");
  done->callback(Run(options, exit_code, [&options, bound] {
    hv1::CompleteStepRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    request.set_note(bound->note);
    return Call(options, &Tickets::CompleteStep, request, PrintTicket);
  }));

  auto* skip = WithOptionalEtag(
      Rpcs(tickets->add_subcommand("step-skip", "Skip the current process step, with the reason"),
           {"karton.helpdesk.v1.TicketService/SkipStep"}),
      *bound);
  skip->add_option("--reason", bound->reason, "Why it is not done (audited)")->required();
  skip->callback(Run(options, exit_code, [&options, bound] {
    hv1::SkipStepRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    request.set_reason(bound->reason);
    return Call(options, &Tickets::SkipStep, request, PrintTicket);
  }));

  AddShareCommand(tickets, "share", "Let an external partner or a team see and work it", options,
                  exit_code, bound, "karton.helpdesk.v1.TicketService/ShareTicket",
                  &Tickets::ShareTicket, PrintTicket);
  AddShareCommand(tickets, "unshare", "Take a share back", options, exit_code, bound,
                  "karton.helpdesk.v1.TicketService/UnshareTicket", &Tickets::UnshareTicket,
                  PrintTicket);

  auto* types = app.add_subcommand("tickettypes", "Ticket types and their standard processes")
                    ->require_subcommand(1);
  auto type_bound = std::make_shared<Options>();

  auto* list_types = Rpcs(types->add_subcommand("list", "Ticket types, oldest first"),
                          {"karton.helpdesk.v1.TicketTypeService/ListTicketTypes"});
  list_types->add_flag("--inactive", type_bound->inactive, "Retired types too");
  list_types->add_option("--limit", type_bound->limit, "At most 1000")->capture_default_str();
  list_types->add_option("--page-token", type_bound->page_token, "From the previous page");
  list_types->callback(Run(options, exit_code, [&options, type_bound] {
    hv1::ListTicketTypesRequest request;
    request.set_include_inactive(type_bound->inactive);
    request.set_page_size(type_bound->limit);
    request.set_page_token(type_bound->page_token);
    return Call(options, &TicketTypes::ListTicketTypes, request, PrintTicketTypes);
  }));

  WithId(Rpcs(types->add_subcommand("get", "One ticket type with its process"),
              {"karton.helpdesk.v1.TicketTypeService/GetTicketType"}),
         *type_bound)
      ->callback(Run(options, exit_code, [&options, type_bound] {
        hv1::GetTicketTypeRequest request;
        request.set_id(type_bound->id);
        return Call(options, &TicketTypes::GetTicketType, request, PrintTicketType);
      }));

  auto* create_type = Rpcs(
      types->add_subcommand("create", "A ticket type: from --file (JSON), or --name and --step"),
      {"karton.helpdesk.v1.TicketTypeService/CreateTicketType"});
  create_type->add_option("--file", type_bound->file,
                          "A TicketType in JSON, with steps and their actions");
  create_type->add_option("--name", type_bound->name, "Its name");
  create_type->add_option("--description", type_bound->description, "What it is for");
  create_type->add_option("--step", type_bound->steps, "NAME[:ROLE[:HOURSh]]; repeat, in order");
  create_type->callback(Run(options, exit_code, [&options, type_bound] {
    hv1::CreateTicketTypeRequest request;
    auto& type = *request.mutable_ticket_type();
    if (!type_bound->file.empty())
      type = ReadJsonFile<hv1::TicketType>(type_bound->file, "TicketType");
    if (!type_bound->name.empty()) type.set_name(type_bound->name);
    if (!type_bound->description.empty()) type.set_description(type_bound->description);
    for (const auto& step : type_bound->steps) *type.add_steps() = ParseStep(step);
    return Call(options, &TicketTypes::CreateTicketType, request, PrintTicketType);
  }));

  auto* update_type = WithOptionalEtag(
      Rpcs(types->add_subcommand("update",
                                 "Change a ticket type; --step or --file replace the process"),
           {"karton.helpdesk.v1.TicketTypeService/UpdateTicketType"}),
      *type_bound);
  update_type->add_option("--file", type_bound->file,
                          "A TicketType in JSON: the fields it sets change");
  update_type->add_option("--name", type_bound->name, "Its name");
  update_type->add_option("--description", type_bound->description, "What it is for");
  update_type->add_option("--step", type_bound->steps, "NAME[:ROLE[:HOURSh]]; repeat, in order");
  AddChoice(update_type, "--active", type_bound->active, {"true", "false"});
  update_type->callback(Run(options, exit_code, [&options, type_bound, update_type] {
    hv1::UpdateTicketTypeRequest request;
    auto& type = *request.mutable_ticket_type();
    if (!type_bound->file.empty()) {
      type = ReadJsonFile<hv1::TicketType>(type_bound->file, "TicketType");
      for (const auto& field : SetFieldNames(type)) request.mutable_update_mask()->add_paths(field);
    }
    type.set_id(type_bound->id);
    type.set_etag(type_bound->etag);
    if (update_type->count("--name") > 0) {
      type.set_name(type_bound->name);
      request.mutable_update_mask()->add_paths("name");
    }
    if (update_type->count("--description") > 0) {
      type.set_description(type_bound->description);
      request.mutable_update_mask()->add_paths("description");
    }
    if (!type_bound->steps.empty()) {
      type.clear_steps();
      for (const auto& step : type_bound->steps) *type.add_steps() = ParseStep(step);
      request.mutable_update_mask()->add_paths("steps");
    }
    if (!type_bound->active.empty()) {
      type.set_active(type_bound->active == "true");
      request.mutable_update_mask()->add_paths("active");
    }
    if (request.update_mask().paths().empty()) {
      throw UsageError("give what changes: --file, --name, --description, --step or --active");
    }
    return Call(options, &TicketTypes::UpdateTicketType, request, PrintTicketType);
  }));

  auto* sla =
      app.add_subcommand("sla", "SLA policies and business calendars")->require_subcommand(1);
  auto sla_bound = std::make_shared<Options>();
  const auto calendar_flags = [sla_bound](CLI::App* command) {
    command->add_option("--name", sla_bound->name, "Its name");
    command->add_option("--zone", sla_bound->time_zone, "IANA time zone (default Europe/Budapest)");
    command->add_option("--hours", sla_bound->hours, "WEEKDAY=HH:MM-HH:MM; repeat (1 Monday)");
    AddChoice(command, "--holidays", sla_bound->holidays, {"hungarian", "none"});
    command->add_option("--closed", sla_bound->closed, "A closed date, YYYY-MM-DD; repeat");
    command->add_option("--working", sla_bound->working, "An extra working date; repeat");
  };
  const auto fill_calendar = [](const Options& given, hv1::BusinessCalendar& calendar) {
    calendar.set_name(given.name);
    calendar.set_time_zone(given.time_zone);
    for (const auto& hours : given.hours) *calendar.add_hours() = ParseHours(hours);
    calendar.set_hungarian_holidays(given.holidays != "none");
    for (const auto& date : given.closed)
      *calendar.add_closed_dates() = ParseDate(date, "--closed");
    for (const auto& date : given.working) {
      *calendar.add_working_dates() = ParseDate(date, "--working");
    }
  };

  auto* calendars = Rpcs(sla->add_subcommand("calendars", "Business calendars"),
                         {"karton.helpdesk.v1.SlaService/ListBusinessCalendars"});
  calendars->callback(Run(options, exit_code, [&options] {
    return Call(options, &Sla::ListBusinessCalendars, hv1::ListBusinessCalendarsRequest(),
                PrintCalendars);
  }));
  auto* calendar_create = Rpcs(sla->add_subcommand("calendar-create", "A business calendar"),
                               {"karton.helpdesk.v1.SlaService/CreateBusinessCalendar"});
  calendar_flags(calendar_create);
  calendar_create->callback(Run(options, exit_code, [&options, sla_bound, fill_calendar] {
    hv1::CreateBusinessCalendarRequest request;
    fill_calendar(*sla_bound, *request.mutable_calendar());
    return Call(options, &Sla::CreateBusinessCalendar, request, PrintCalendar);
  }));
  auto* calendar_update =
      WithOptionalEtag(Rpcs(sla->add_subcommand("calendar-update", "Change a business calendar"),
                            {"karton.helpdesk.v1.SlaService/UpdateBusinessCalendar"}),
                       *sla_bound);
  calendar_flags(calendar_update);
  calendar_update->callback(
      Run(options, exit_code, [&options, sla_bound, fill_calendar, calendar_update] {
        hv1::UpdateBusinessCalendarRequest request;
        auto& calendar = *request.mutable_calendar();
        fill_calendar(*sla_bound, calendar);
        calendar.set_id(sla_bound->id);
        calendar.set_etag(sla_bound->etag);
        MaskGiven(calendar_update, *request.mutable_update_mask(),
                  {{"--name", "name"},
                   {"--zone", "time_zone"},
                   {"--hours", "hours"},
                   {"--holidays", "hungarian_holidays"},
                   {"--closed", "closed_dates"},
                   {"--working", "working_dates"}});
        return Call(options, &Sla::UpdateBusinessCalendar, request, PrintCalendar);
      }));

  const auto policy_flags = [sla_bound](CLI::App* command) {
    command->add_option("--name", sla_bound->name, "Its name");
    command->add_option("--type", sla_bound->type, "For tickets of this type (0: any)");
    AddChoice(command, "--priority", sla_bound->priority, kPriorities);
    command->add_option("--calendar", sla_bound->calendar, "The business calendar");
    command->add_option("--first-response", sla_bound->first_minutes, "Business minutes");
    command->add_option("--resolution", sla_bound->resolution_minutes, "Business minutes");
    command->add_option("--warn", sla_bound->warn, "Warn at this % of a target (default 80)");
    command->add_option("--escalate-to", sla_bound->escalate, "The team lead's user id");
  };
  const auto fill_policy = [](const Options& given, hv1::SlaPolicy& policy) {
    policy.set_name(given.name);
    policy.set_type_id(given.type);
    policy.set_priority(FromWord<hv1::TicketPriority>(given.priority, "TICKET_PRIORITY_"));
    policy.set_calendar_id(given.calendar);
    policy.set_first_response_minutes(given.first_minutes);
    policy.set_resolution_minutes(given.resolution_minutes);
    policy.set_warn_percent(given.warn);
    policy.set_escalate_to_user_id(given.escalate);
  };
  auto* policies = Rpcs(sla->add_subcommand("policies", "SLA policies"),
                        {"karton.helpdesk.v1.SlaService/ListSlaPolicies"});
  policies->add_flag("--inactive", sla_bound->inactive, "Inactive ones too");
  policies->callback(Run(options, exit_code, [&options, sla_bound] {
    hv1::ListSlaPoliciesRequest request;
    request.set_include_inactive(sla_bound->inactive);
    return Call(options, &Sla::ListSlaPolicies, request, PrintPolicies);
  }));
  auto* policy_create = Rpcs(sla->add_subcommand("policy-create", "An SLA policy"),
                             {"karton.helpdesk.v1.SlaService/CreateSlaPolicy"});
  policy_flags(policy_create);
  policy_create->callback(Run(options, exit_code, [&options, sla_bound, fill_policy] {
    hv1::CreateSlaPolicyRequest request;
    fill_policy(*sla_bound, *request.mutable_policy());
    return Call(options, &Sla::CreateSlaPolicy, request, PrintPolicy);
  }));
  auto* policy_update =
      WithOptionalEtag(Rpcs(sla->add_subcommand("policy-update", "Change an SLA policy"),
                            {"karton.helpdesk.v1.SlaService/UpdateSlaPolicy"}),
                       *sla_bound);
  policy_flags(policy_update);
  AddChoice(policy_update, "--active", sla_bound->active, {"true", "false"});
  policy_update->callback(
      Run(options, exit_code, [&options, sla_bound, fill_policy, policy_update] {
        hv1::UpdateSlaPolicyRequest request;
        auto& policy = *request.mutable_policy();
        fill_policy(*sla_bound, policy);
        policy.set_id(sla_bound->id);
        policy.set_etag(sla_bound->etag);
        policy.set_active(sla_bound->active == "true");
        MaskGiven(policy_update, *request.mutable_update_mask(),
                  {{"--name", "name"},
                   {"--type", "type_id"},
                   {"--priority", "priority"},
                   {"--calendar", "calendar_id"},
                   {"--first-response", "first_response_minutes"},
                   {"--resolution", "resolution_minutes"},
                   {"--warn", "warn_percent"},
                   {"--escalate-to", "escalate_to_user_id"},
                   {"--active", "active"}});
        return Call(options, &Sla::UpdateSlaPolicy, request, PrintPolicy);
      }));
}

}  // namespace karton::cli
