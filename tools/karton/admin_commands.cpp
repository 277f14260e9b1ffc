// karton users|teams|tokens|audit|jobs|clock ...: the kernel's administration
// (docs/security.md, docs/jobs.md): identities, API tokens, the audit trail,
// the job queue and the test clock.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/kernel/v1/audit_service.grpc.pb.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/job_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace kv1 = kernel::v1;
using Identity = kv1::IdentityService::Stub;
using Audit = kv1::AuditService::Stub;
using Jobs = kv1::JobService::Stub;
using Kernel = kv1::KernelService::Stub;

const std::vector<std::string> kRoles{"admin",      "sales",   "sales_manager",
                                      "accounting", "support", "external_partner"};
const std::vector<std::string> kJobStates{"scheduled", "running", "done", "dead"};

struct Options {
  std::int64_t id = 0, user = 0, team = 0, resource_id = 0;
  std::string name, email, password, etag, request_id, page_token, disabled, ttl, resource_type;
  std::string module, state, since, until, duration;
  std::vector<std::string> roles, module_roles;
  std::string current_password;
  int limit = 100;
  bool show_all = false;
};

std::string Roles(const kv1::User& user) {
  std::string roles;
  for (const int role : user.roles()) {
    roles += (roles.empty() ? "" : ",") + Word(static_cast<kv1::Role>(role), "ROLE_");
  }
  for (const auto& role : user.module_roles()) roles += (roles.empty() ? "" : ",") + role;
  return roles;
}

std::string Ids(const google::protobuf::RepeatedField<std::int64_t>& ids) {
  std::string text;
  for (const auto id : ids) text += (text.empty() ? "" : ",") + std::to_string(id);
  return text;
}

void PrintUsers(const kv1::ListUsersResponse& response) {
  constexpr auto kRow = "{:>5}  {:<24} {:<32} {:<28} {}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "EMAIL", "ROLES", "TEAMS");
  for (const auto& user : response.users()) {
    std::cout << fmt::format(
        kRow, user.id(), Cut(user.name() + (user.disabled() ? " (disabled)" : ""), 24),
        Cut(user.email(), 32), Cut(Roles(user), 28), Cut(Ids(user.team_ids()), 20));
  }
  MorePages(response.next_page_token());
}

void PrintUser(const kv1::User& user) {
  std::cout << fmt::format("user {}: {} <{}>{}\n", user.id(), user.name(), user.email(),
                           user.disabled() ? " (disabled)" : "");
  Lines("roles", Roles(user), "teams", Ids(user.team_ids()), "created", Time(user.create_time()),
        "updated", Time(user.update_time()), "etag", user.etag());
}

void PrintTeams(const kv1::ListTeamsResponse& response) {
  std::cout << fmt::format("{:>5}  {:<28} {}\n", "ID", "NAME", "MEMBERS");
  for (const auto& team : response.teams()) {
    std::cout << fmt::format("{:>5}  {:<28} {}\n", team.id(), Cut(team.name(), 28),
                             Cut(Ids(team.member_user_ids()), 60));
  }
  MorePages(response.next_page_token());
}

void PrintTeam(const kv1::Team& team) {
  std::cout << fmt::format("team {}: {}\n", team.id(), team.name());
  Lines("members", Ids(team.member_user_ids()), "created", Time(team.create_time()));
}

std::string TokenKind(const kv1::ApiToken& token) {
  return token.kind() == kv1::API_TOKEN_KIND_WEB_SESSION ? "web session" : "API token";
}

void PrintToken(const kv1::ApiToken& token) {
  std::cout << fmt::format("{} {} of user {}: {}\n", TokenKind(token), token.id(), token.user_id(),
                           token.display_name());
  Lines("prefix", token.prefix(), "created", Time(token.create_time()), "expires",
        token.has_expire_time() ? Time(token.expire_time()) : "never", "revoked",
        token.has_revoke_time() ? Time(token.revoke_time()) : "", "browser", token.user_agent(),
        "from", token.client_address());
}

void PrintTokens(const kv1::ListApiTokensResponse& response) {
  constexpr auto kRow = "{:>6}  {:<11} {:<24} {:<16} {:<16} {:<16} {}\n";
  std::cout << fmt::format(kRow, "ID", "KIND", "NAME", "CREATED", "EXPIRES", "REVOKED",
                           "BROWSER / FROM");
  for (const auto& token : response.api_tokens()) {
    const std::string origin =
        token.client_address().empty()
            ? ""
            : fmt::format("{} / {}", token.user_agent(), token.client_address());
    std::cout << fmt::format(
        kRow, token.id(), TokenKind(token), Cut(token.display_name(), 24),
        Time(token.create_time()), token.has_expire_time() ? Time(token.expire_time()) : "never",
        token.has_revoke_time() ? Time(token.revoke_time()) : "", Cut(origin, 60));
  }
  MorePages(response.next_page_token());
}

void PrintAudit(const kv1::ListAuditEntriesResponse& response) {
  constexpr auto kRow = "{:>7}  {:<16} {:<7} {:<24} {:>8}  {}\n";
  std::cout << fmt::format(kRow, "ID", "TIME", "ACTION", "RESOURCE", "BY", "CHANGES");
  for (const auto& entry : response.audit_entries()) {
    std::string changes;
    for (const auto& change : entry.changes()) {
      changes += (changes.empty() ? "" : ", ") + change.field();
    }
    std::cout << fmt::format(
        kRow, entry.id(), Time(entry.time()), Word(entry.action(), "AUDIT_ACTION_"),
        Cut(fmt::format("{} {}", entry.resource_type(), entry.resource_id()), 24),
        entry.actor_user_id() == 0 ? "kartond" : std::to_string(entry.actor_user_id()),
        Cut(changes, 60));
  }
  MorePages(response.next_page_token());
}

void PrintJobRows(const google::protobuf::RepeatedPtrField<kv1::Job>& jobs) {
  constexpr auto kRow = "{:>7}  {:<12} {:<24} {:<9} {:<16} {:>8}  {}\n";
  std::cout << fmt::format(kRow, "ID", "MODULE", "KIND", "STATE", "RUN AT", "ATTEMPTS",
                           "LAST ERROR");
  for (const auto& job : jobs) {
    std::cout << fmt::format(kRow, job.id(), Cut(job.module(), 12), Cut(job.kind(), 24),
                             Word(job.state(), "JOB_STATE_"), Time(job.run_time()),
                             fmt::format("{}/{}", job.attempts(), job.max_attempts()),
                             Cut(job.last_error(), 50));
  }
}

// "90s", "30m", "12h", "30d" -> seconds; bad usage otherwise.
std::int64_t Seconds(const std::string& text, const char* option) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  const std::int64_t scale = unit == "s"   ? 1
                             : unit == "m" ? 60
                             : unit == "h" ? 3600
                             : unit == "d" ? 86400
                                           : 0;
  if (digits == 0 || digits > 9 || scale == 0) {
    throw UsageError(
        fmt::format("{} takes a duration such as 90s, 30m, 12h or 30d, not '{}'", option, text));
  }
  return std::stoll(text.substr(0, digits)) * scale;
}

void SetRoles(const Options& bound, kv1::User& user) {
  for (const auto& role : bound.roles) {
    user.add_roles(FromWord<kv1::Role>(role, "ROLE_"));
  }
  for (const auto& role : bound.module_roles) user.add_module_roles(role);
}

void AddUserCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* users =
      app.add_subcommand("users", "People who use Karton, and their roles")->require_subcommand(1);
  auto bound = std::make_shared<Options>();
  std::string role_help = "A role, repeatable:";
  for (const auto& role : kRoles) role_help += " " + role;

  auto* list = Rpcs(users->add_subcommand("list", "Users by id"),
                    {"karton.kernel.v1.IdentityService/ListUsers"});
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    kv1::ListUsersRequest request;
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Identity::ListUsers, request, PrintUsers);
  }));

  auto* get = Rpcs(users->add_subcommand("get", "One user: roles, teams, etag"),
                   {"karton.kernel.v1.IdentityService/GetUser"});
  get->add_option("id", bound->id)->required();
  get->callback(Run(options, exit_code, [&options, bound] {
    kv1::GetUserRequest request;
    request.set_id(bound->id);
    return Call(options, &Identity::GetUser, request, PrintUser);
  }));

  auto* create = Rpcs(users->add_subcommand("create", "A user (administrators)"),
                      {"karton.kernel.v1.IdentityService/CreateUser"});
  create->add_option("--name", bound->name, "Display name, e.g. 'Kovács Anna'")->required();
  create->add_option("--email", bound->email, "Unique")->required();
  create->add_option("--role", bound->roles, role_help)->check(CLI::IsMember(kRoles));
  create->add_option("--module-role", bound->module_roles,
                     "A role a module declares (karton modules), repeatable");
  create->add_option("--password", bound->password, "Optional; kept as an argon2id hash");
  create->add_option("--request-id", bound->request_id, "The same id twice creates one user");
  create->callback(Run(options, exit_code, [&options, bound] {
    kv1::CreateUserRequest request;
    request.mutable_user()->set_name(bound->name);
    request.mutable_user()->set_email(bound->email);
    SetRoles(*bound, *request.mutable_user());
    request.set_password(bound->password);
    request.set_request_id(bound->request_id);
    return Call(options, &Identity::CreateUser, request, PrintUser);
  }));

  auto* set_password =
      Rpcs(users->add_subcommand("set-password",
                                 "The password for the web client: yours (with the current one) "
                                 "or, for administrators, anyone's"),
           {"karton.kernel.v1.IdentityService/SetPassword"});
  set_password->add_option("id", bound->id, "Whose (default: yours)");
  set_password
      ->add_option("--new-password", bound->password,
                   "At least 10 characters; '-' reads it from the first line of stdin; empty "
                   "removes it (administrators, for another user)")
      ->required();
  set_password->add_option("--current-password", bound->current_password,
                           "Your current one, to change your own; '-' reads it from stdin "
                           "(before the new one when both are '-')");
  set_password->callback(Run(options, exit_code, [&options, bound] {
    auto secret = [](const std::string& given) {
      if (given != "-") return given;
      std::string line;
      std::getline(std::cin, line);
      return line;
    };
    kv1::SetPasswordRequest request;
    request.set_user_id(bound->id);
    request.set_current_password(secret(bound->current_password));
    request.set_new_password(secret(bound->password));
    return Call(options, &Identity::SetPassword, request, [](const kv1::User& user) {
      PrintUser(user);
      std::cout << "Password set; the user's other web sessions have ended.\n";
    });
  }));

  auto* update =
      Rpcs(users->add_subcommand("update",
                                 "Change a user's name, email, roles or disabled (administrators)"),
           {"karton.kernel.v1.IdentityService/UpdateUser"});
  update->add_option("id", bound->id)->required();
  update->add_option("--etag", bound->etag, "From `get`; refused (ABORTED) when it changed since")
      ->required();
  update->add_option("--name", bound->name, "Display name");
  update->add_option("--email", bound->email, "Email address");
  update->add_option("--role", bound->roles, role_help + " (replaces the roles)")
      ->check(CLI::IsMember(kRoles));
  update->add_option("--module-role", bound->module_roles,
                     "A module's role, repeatable (replaces them)");
  update->add_option("--disabled", bound->disabled, "true: its tokens stop working at once")
      ->check(CLI::IsMember({"true", "false"}));
  update->callback(Run(options, exit_code, [&options, bound, update] {
    kv1::UpdateUserRequest request;
    auto& user = *request.mutable_user();
    user.set_id(bound->id);
    user.set_etag(bound->etag);
    user.set_name(bound->name);
    user.set_email(bound->email);
    SetRoles(*bound, user);
    user.set_disabled(bound->disabled == "true");
    for (const auto& [flag, field] : {std::pair{"--name", "name"},
                                      {"--email", "email"},
                                      {"--role", "roles"},
                                      {"--module-role", "module_roles"},
                                      {"--disabled", "disabled"}}) {
      if (update->count(flag) > 0) request.mutable_update_mask()->add_paths(field);
    }
    if (request.update_mask().paths().empty()) {
      throw UsageError("give what changes: --name, --email, --role, --module-role or --disabled");
    }
    return Call(options, &Identity::UpdateUser, request, PrintUser);
  }));
}

void AddTeamCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* teams = app.add_subcommand("teams", "Teams of users: shares, round-robin, calendars")
                    ->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(teams->add_subcommand("list", "Teams with their members"),
                    {"karton.kernel.v1.IdentityService/ListTeams"});
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    kv1::ListTeamsRequest request;
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Identity::ListTeams, request, PrintTeams);
  }));

  auto* create = Rpcs(teams->add_subcommand("create", "A team"),
                      {"karton.kernel.v1.IdentityService/CreateTeam"});
  create->add_option("--name", bound->name, "e.g. Értékesítés")->required();
  create->add_option("--request-id", bound->request_id, "The same id twice creates one team");
  create->callback(Run(options, exit_code, [&options, bound] {
    kv1::CreateTeamRequest request;
    request.mutable_team()->set_name(bound->name);
    request.set_request_id(bound->request_id);
    return Call(options, &Identity::CreateTeam, request, PrintTeam);
  }));

  for (const bool adding : {true, false}) {
    auto* command =
        Rpcs(teams->add_subcommand(adding ? "add-member" : "remove-member",
                                   adding ? "Put a user in a team" : "Take a user out of a team"),
             {adding ? "karton.kernel.v1.IdentityService/AddTeamMember"
                     : "karton.kernel.v1.IdentityService/RemoveTeamMember"});
    command->add_option("team", bound->team, "The team's id")->required();
    command->add_option("user", bound->user, "The user's id")->required();
    command->callback(Run(options, exit_code, [&options, bound, adding] {
      if (adding) {
        kv1::AddTeamMemberRequest request;
        request.set_team_id(bound->team);
        request.set_user_id(bound->user);
        return Call(options, &Identity::AddTeamMember, request, PrintTeam);
      }
      kv1::RemoveTeamMemberRequest request;
      request.set_team_id(bound->team);
      request.set_user_id(bound->user);
      return Call(options, &Identity::RemoveTeamMember, request, PrintTeam);
    }));
  }
}

void AddTokenCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* tokens =
      app.add_subcommand("tokens", "API tokens: what scripts and integrations sign in with")
          ->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* create = Rpcs(
      tokens->add_subcommand("create", "A token; its secret is printed this once (keep it safe)"),
      {"karton.kernel.v1.IdentityService/CreateApiToken"});
  create->add_option("--name", bound->name, "What it is for, e.g. 'ERP import job'")->required();
  create->add_option("--user", bound->user, "Whose (administrators; default: yours)");
  create->add_option("--ttl", bound->ttl, "Valid this long: 12h, 30d (default: no expiry)");
  create->callback(Run(options, exit_code, [&options, bound] {
    kv1::CreateApiTokenRequest request;
    request.set_user_id(bound->user);
    request.set_display_name(bound->name);
    if (!bound->ttl.empty()) request.mutable_ttl()->set_seconds(Seconds(bound->ttl, "--ttl"));
    return Call(options, &Identity::CreateApiToken, request,
                [](const kv1::CreateApiTokenResponse& created) {
                  PrintToken(created.api_token());
                  std::cout << created.token() << "\n"
                            << "Keep this token secret: it is shown only now (karton keeps a "
                               "hash of it).\n";
                });
  }));

  auto* list =
      Rpcs(tokens->add_subcommand(
               "list", "Your API tokens and web sessions that work (secrets are never shown)"),
           {"karton.kernel.v1.IdentityService/ListApiTokens"});
  list->add_option("--user", bound->user, "Whose (administrators; default: yours)");
  list->add_option("--kind", bound->state, "api or web_session (default: both)")
      ->check(CLI::IsMember({"api", "web_session"}));
  list->add_flag("--all", bound->show_all, "Also revoked and expired ones");
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    kv1::ListApiTokensRequest request;
    request.set_user_id(bound->user);
    if (bound->state == "api") request.set_kind(kv1::API_TOKEN_KIND_API);
    if (bound->state == "web_session") request.set_kind(kv1::API_TOKEN_KIND_WEB_SESSION);
    request.set_show_inactive(bound->show_all);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Identity::ListApiTokens, request, PrintTokens);
  }));

  auto* revoke = Rpcs(tokens->add_subcommand(
                          "revoke", "A token stops working at once (a web session is signed out)"),
                      {"karton.kernel.v1.IdentityService/RevokeApiToken"});
  revoke->add_option("id", bound->id, "The token's id")->required();
  revoke->callback(Run(options, exit_code, [&options, bound] {
    kv1::RevokeApiTokenRequest request;
    request.set_id(bound->id);
    return Call(options, &Identity::RevokeApiToken, request, PrintToken);
  }));
}

void AddOperationsCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();

  auto* audit =
      app.add_subcommand("audit", "The audit trail: who changed what, when")->require_subcommand(1);
  auto* list_audit = Rpcs(audit->add_subcommand("list", "Entries, newest first"),
                          {"karton.kernel.v1.AuditService/ListAuditEntries"});
  list_audit->add_option("--resource", bound->resource_type,
                         "<module>.<resource>, e.g. partners.partner, kernel.user");
  list_audit->add_option("--id", bound->resource_id, "The record's id (with --resource)");
  list_audit->add_option("--actor", bound->user, "Changes by this user");
  list_audit->add_option("--since", bound->since, "At or after (RFC 3339)");
  list_audit->add_option("--until", bound->until, "Before (RFC 3339)");
  list_audit->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list_audit->add_option("--page-token", bound->page_token, "From the previous page");
  list_audit->callback(Run(options, exit_code, [&options, bound] {
    kv1::ListAuditEntriesRequest request;
    request.set_resource_type(bound->resource_type);
    request.set_resource_id(bound->resource_id);
    request.set_actor_user_id(bound->user);
    if (!bound->since.empty()) ParseTime(bound->since, "--since", request.mutable_start_time());
    if (!bound->until.empty()) ParseTime(bound->until, "--until", request.mutable_end_time());
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Audit::ListAuditEntries, request, PrintAudit);
  }));

  auto* jobs =
      app.add_subcommand("jobs", "The durable job queue (docs/jobs.md)")->require_subcommand(1);
  auto* list_jobs = Rpcs(jobs->add_subcommand("list", "Jobs, newest first"),
                         {"karton.kernel.v1.JobService/ListJobs"});
  list_jobs->add_option("--module", bound->module, "Of this module");
  AddChoice(list_jobs, "--state", bound->state, kJobStates);
  list_jobs->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list_jobs->add_option("--page-token", bound->page_token, "From the previous page");
  list_jobs->callback(Run(options, exit_code, [&options, bound] {
    kv1::ListJobsRequest request;
    request.set_module(bound->module);
    request.set_state(FromWord<kv1::JobState>(bound->state, "JOB_STATE_"));
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Jobs::ListJobs, request, [](const kv1::ListJobsResponse& response) {
      PrintJobRows(response.jobs());
      MorePages(response.next_page_token());
    });
  }));
  auto* retry = Rpcs(jobs->add_subcommand("retry", "Run a dead job again, due now"),
                     {"karton.kernel.v1.JobService/RetryJob"});
  retry->add_option("id", bound->id, "The job's id")->required();
  retry->callback(Run(options, exit_code, [&options, bound] {
    kv1::RetryJobRequest request;
    request.set_id(bound->id);
    return Call(options, &Jobs::RetryJob, request, [](const kv1::Job& job) {
      google::protobuf::RepeatedPtrField<kv1::Job> one;
      *one.Add() = job;
      PrintJobRows(one);
    });
  }));

  auto* clock = app.add_subcommand("clock", "The test clock (kartond --test-clock only)")
                    ->require_subcommand(1);
  auto* advance = Rpcs(
      clock->add_subcommand("advance", "Move the server's clock forward and run the jobs now due"),
      {"karton.kernel.v1.KernelService/AdvanceClock"});
  advance->add_option("duration", bound->duration, "How far: 90s, 30m, 12h, 30d")->required();
  advance->callback(Run(options, exit_code, [&options, bound] {
    kv1::AdvanceClockRequest request;
    request.mutable_duration()->set_seconds(Seconds(bound->duration, "the duration"));
    return Call(options, &Kernel::AdvanceClock, request,
                [](const kv1::AdvanceClockResponse& moved) {
                  std::cout << fmt::format("now {}; {} job(s) ran\n", Time(moved.now(), 19),
                                           moved.jobs_run());
                });
  }));
}

}  // namespace

void AddAdminCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  AddUserCommands(app, options, exit_code);
  AddTeamCommands(app, options, exit_code);
  AddTokenCommands(app, options, exit_code);
  AddOperationsCommands(app, options, exit_code);
}

}  // namespace karton::cli
