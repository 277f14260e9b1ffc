#include "tickets/ticket_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <set>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/updates.h"
#include "partner_directory.h"
#include "process/process_rules.h"
#include "process/ticket_process.h"
#include "process/ticket_step_repository.h"
#include "process/ticket_type_repository.h"
#include "requester.h"
#include "scope.h"
#include "sla/ticket_sla.h"
#include "tickets/ticket_repository.h"
#include "tickets/ticket_states.h"

namespace karton::helpdesk {
namespace {

constexpr std::size_t kMaxSubject = 500;
constexpr std::size_t kMaxText = 20000;
constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxNote = 4000;
constexpr int kMaxMergeSources = 50;

std::vector<std::string> Roles(std::initializer_list<std::string_view> names) {
  return {names.begin(), names.end()};
}

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no ticket with id {}", id)};
}

std::string StateWord(v1::TicketState state) {
  return kernel::EnumWord(*v1::TicketState_descriptor(), state);
}

grpc::Status MergedAway(const v1::Ticket& ticket) {
  return {grpc::StatusCode::FAILED_PRECONDITION,
          fmt::format("ticket {} was merged into ticket {}; work on that one", ticket.number(),
                      ticket.merged_into_id())};
}

// The checks of the fields a create or an update writes, in place: the
// requester's address and number in stored form, the defaults. `prefix`
// is "ticket.".
grpc::Status CheckTicketFields(v1::Ticket& ticket, const std::string& prefix) {
  std::vector<kernel::FieldViolation> violations;
  if (ticket.subject().empty() || ticket.subject().size() > kMaxSubject) {
    violations.push_back({prefix + "subject", "is required, at most 500 bytes"});
  }
  if (ticket.description().size() > kMaxText) {
    violations.push_back({prefix + "description", "at most 20000 bytes"});
  }
  if (ticket.priority() == v1::TICKET_PRIORITY_UNSPECIFIED) {
    ticket.set_priority(v1::TICKET_PRIORITY_NORMAL);
  } else if (!v1::TicketPriority_IsValid(ticket.priority())) {
    violations.push_back({prefix + "priority", "is not a ticket priority"});
  }
  if (ticket.type_id() < 0) violations.push_back({prefix + "type_id", "is not an id"});
  if (ticket.partner_id() < 0) violations.push_back({prefix + "partner_id", "is not an id"});
  if (ticket.contact_id() < 0) violations.push_back({prefix + "contact_id", "is not an id"});
  if (ticket.contact_id() > 0 && ticket.partner_id() == 0) {
    violations.push_back({prefix + "contact_id", "needs the contact's partner_id"});
  }
  if (ticket.requester_name().size() > kMaxName) {
    violations.push_back({prefix + "requester_name", "at most 200 bytes"});
  }
  if (!ticket.requester_email().empty()) {
    if (auto email = NormalEmail(ticket.requester_email())) {
      ticket.set_requester_email(*email);
    } else {
      violations.push_back({prefix + "requester_email", "is not an email address"});
    }
  }
  if (!ticket.requester_phone().empty()) {
    if (auto phone = NormalPhone(ticket.requester_phone())) {
      ticket.set_requester_phone(*phone);
    } else {
      violations.push_back(
          {prefix + "requester_phone", "is not a phone number (+36 30 123 4567, 06 30 123 4567)"});
    }
  }
  if (violations.empty()) return grpc::Status::OK;
  return kernel::InvalidFields(std::move(violations));
}

// The process of ticket type `type_id` for a ticket taking it: INVALID_ARGUMENT
// on ticket.type_id when there is no such type or it is retired.
grpc::Status ProcessOf(soci::session& session, std::int64_t type_id,
                       std::vector<v1::ProcessStep>& steps) {
  steps.clear();
  if (type_id == 0) return grpc::Status::OK;
  const auto type = ticket_type_repository::Find(session, type_id);
  if (!type) {
    return kernel::InvalidField("ticket.type_id",
                                fmt::format("there is no ticket type {}", type_id));
  }
  if (!type->active()) {
    return kernel::InvalidField("ticket.type_id",
                                fmt::format("the ticket type '{}' is retired", type->name()));
  }
  steps.assign(type->steps().begin(), type->steps().end());
  return grpc::Status::OK;
}

}  // namespace

void TicketServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "assigned", "handed_over", "state_changed",
                           "reopened", "merged", "step_completed", "step_skipped"}) {
    events.DeclareTopic<v1::Ticket>(std::string("helpdesk.ticket.") + verb);
  }
  events.DeclareTopic<v1::TicketComment>("helpdesk.ticket.commented");
  events.DeclareTopic<v1::SlaAlert>("helpdesk.ticket.sla_warning");
  events.DeclareTopic<v1::SlaAlert>("helpdesk.ticket.sla_breached");
  kernel::DeclareSharingTopics<v1::Ticket>(events, kTicketResource);
}

kernel::MethodRoles TicketServiceImpl::Roles() {
  using kernel::kRoleExternalPartner;
  using kernel::kRoleSales;
  using kernel::kRoleSalesManager;
  using kernel::kRoleSupport;
  // Reading: the staff, and external partners (what is shared with them).
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kRoleExternalPartner);
  // Working a ticket: support and sales managers; a subcontractor on the
  // tickets shared with them.
  const auto workers = helpdesk::Roles({kRoleSupport, kRoleSalesManager, kRoleExternalPartner});
  const auto support = helpdesk::Roles({kRoleSupport, kRoleSalesManager});
  return {{"CreateTicket", helpdesk::Roles({kRoleSupport, kRoleSales, kRoleSalesManager})},
          {"GetTicket", readers},
          {"ListTickets", readers},
          {"UpdateTicket", workers},
          {"AssignTicket", support},
          {"HandOver", workers},
          {"AddComment",
           helpdesk::Roles({kRoleSupport, kRoleSales, kRoleSalesManager, kRoleExternalPartner})},
          {"ChangeState", workers},
          {"MergeTickets", support},
          {"ShareTicket", support},
          {"UnshareTicket", support},
          {"CompleteStep", workers},
          {"SkipStep", workers}};
}

grpc::Status TicketServiceImpl::ResolveParties(const grpc::ServerContext* context,
                                               v1::Ticket& ticket, bool match_requester,
                                               const std::string& prefix) {
  if (ticket.partner_id() > 0) {
    auto status = partners_.CheckPartner(context, ticket.partner_id());
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return kernel::InvalidField(prefix + "partner_id",
                                  fmt::format("there is no partner {}", ticket.partner_id()));
    }
    if (!status.ok()) return status;
    if (ticket.contact_id() > 0) {
      status = partners_.CheckContact(context, ticket.partner_id(), ticket.contact_id());
      if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
          status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        return kernel::InvalidField(prefix + "contact_id",
                                    status.error_code() == grpc::StatusCode::NOT_FOUND
                                        ? fmt::format("there is no contact {}", ticket.contact_id())
                                        : status.error_message());
      }
      if (!status.ok()) return status;
    }
    return grpc::Status::OK;
  }
  if (!match_requester || (ticket.requester_email().empty() && ticket.requester_phone().empty())) {
    return grpc::Status::OK;
  }
  PartnerMatch match;
  if (auto status =
          partners_.Match(context, ticket.requester_email(), ticket.requester_phone(), match);
      !status.ok()) {
    return status;
  }
  ticket.set_partner_id(match.partner_id);
  ticket.set_contact_id(match.contact_id);
  return grpc::Status::OK;
}

grpc::Status TicketServiceImpl::CreateTicket(grpc::ServerContext* context,
                                             const v1::CreateTicketRequest* request,
                                             v1::Ticket* response) {
  v1::Ticket ticket = request->ticket();
  // Output only.
  for (auto clear : {&v1::Ticket::clear_id,
                     &v1::Ticket::clear_number,
                     &v1::Ticket::clear_state,
                     &v1::Ticket::clear_assignee_user_id,
                     &v1::Ticket::clear_team_id,
                     &v1::Ticket::clear_sla_state,
                     &v1::Ticket::clear_merged_into_id,
                     &v1::Ticket::clear_merged_ticket_ids,
                     &v1::Ticket::clear_reopen_count,
                     &v1::Ticket::clear_first_response_time,
                     &v1::Ticket::clear_resolve_time,
                     &v1::Ticket::clear_close_time,
                     &v1::Ticket::clear_comments,
                     &v1::Ticket::clear_hand_overs,
                     &v1::Ticket::clear_created_by_user_id,
                     &v1::Ticket::clear_etag,
                     &v1::Ticket::clear_create_time,
                     &v1::Ticket::clear_update_time,
                     &v1::Ticket::clear_current_step,
                     &v1::Ticket::clear_steps,
                     &v1::Ticket::clear_sla_policy_id,
                     &v1::Ticket::clear_first_response_due_time,
                     &v1::Ticket::clear_resolve_due_time,
                     &v1::Ticket::clear_solution_article_ids}) {
    (ticket.*clear)();
  }
  if (auto status = CheckTicketFields(ticket, "ticket."); !status.ok()) return status;
  if (ticket.source() == v1::TICKET_SOURCE_UNSPECIFIED) {
    ticket.set_source(v1::TICKET_SOURCE_API);
  } else if (!v1::TicketSource_IsValid(ticket.source())) {
    return kernel::InvalidField("ticket.source", "is not a ticket source");
  }
  if (request->request_id().size() > 200) {
    return kernel::InvalidField("request_id", "at most 200 bytes");
  }
  // Other modules are asked before a connection is taken.
  if (auto status = ResolveParties(context, ticket, true, "ticket."); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreateTicket", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    const std::int64_t creator = kernel::ActorUserId(caller);
    // The request id is claimed by the INSERT (ON CONFLICT DO NOTHING, which
    // waits for a create of the same request still running): a repeated
    // request answers with the ticket the first made, without a look-up of
    // its own on the way in. Without a type or an SLA policy a create is
    // three round trips: BEGIN with the INSERT, the policy, the COMMIT.
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto earlier_ticket = [&]() -> std::optional<v1::Ticket> {
      if (request->request_id().empty()) return std::nullopt;
      return ticket_repository::FindByRequest(lease.Session(), creator, request->request_id());
    };
    std::vector<v1::ProcessStep> steps;
    if (auto status = ProcessOf(lease.Session(), ticket.type_id(), steps); !status.ok()) {
      // A type retired since the first attempt does not refuse its repeat.
      if (auto earlier = earlier_ticket()) {
        *response = std::move(*earlier);
        return grpc::Status::OK;
      }
      return status;
    }
    auto created = ticket_repository::Insert(lease.Session(), ticket, creator,
                                             request->request_id(), parts_.clock.Now());
    if (!created) {
      auto earlier = earlier_ticket();
      if (!earlier) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
      *response = std::move(*earlier);
      return grpc::Status::OK;
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kTicketResource,
                        created->id(), kernel::DiffFields(nullptr, *created));
    parts_.events.Publish(lease.Session(), "helpdesk.ticket.created", created->id(), *created,
                          caller);
    // Its type's process begins: the first step's team, actions.
    if (!steps.empty()) created = GiveProcess(parts_, lease.Session(), caller, *created, steps);
    // Its SLA policy's clock starts; the row is read again only if it did.
    if (StartSla(parts_, lease.Session(), caller, *created)) {
      created = ticket_repository::Find(lease.Session(), created->id(), Scope::Everything());
    }
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::GetTicket(grpc::ServerContext* context,
                                          const v1::GetTicketRequest* request,
                                          v1::Ticket* response) {
  return kernel::Guarded(parts_.log, "GetTicket", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = ticket_repository::FindWhole(lease.Session(), request->id(),
                                              ScopeOf(kernel::CallerOf(*context)));
    if (!found) return NotFound(request->id());
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::ListTickets(grpc::ServerContext* context,
                                            const v1::ListTicketsRequest* request,
                                            v1::ListTicketsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  ticket_repository::ListFilter filter;
  if (request->state() != v1::TICKET_STATE_UNSPECIFIED) {
    if (!v1::TicketState_IsValid(request->state())) {
      return kernel::InvalidField("state", "is not a ticket state");
    }
    filter.state = StateWord(request->state());
  }
  if (request->priority() != v1::TICKET_PRIORITY_UNSPECIFIED) {
    if (!v1::TicketPriority_IsValid(request->priority())) {
      return kernel::InvalidField("priority", "is not a ticket priority");
    }
    filter.priority = kernel::EnumWord(*v1::TicketPriority_descriptor(), request->priority());
  }
  if (request->sla_state() != v1::SLA_STATE_UNSPECIFIED) {
    if (!v1::SlaState_IsValid(request->sla_state())) {
      return kernel::InvalidField("sla_state", "is not an SLA state");
    }
    filter.sla_state = kernel::EnumWord(*v1::SlaState_descriptor(), request->sla_state());
  }
  filter.type_id = request->type_id();
  filter.assignee_user_id = request->assignee_user_id();
  filter.team_id = request->team_id();
  filter.partner_id = request->partner_id();
  filter.open_only = request->open_only();
  return kernel::Guarded(parts_.log, "ListTickets", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = ticket_repository::List(lease.Session(), ScopeOf(kernel::CallerOf(*context)),
                                        filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Ticket& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_tickets() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::UpdateTicket(grpc::ServerContext* context,
                                             const v1::UpdateTicketRequest* request,
                                             v1::Ticket* response) {
  const v1::Ticket& change = request->ticket();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"subject", "description", "priority", "type_id", "partner_id", "contact_id",
           "requester_name", "requester_email", "requester_phone", "customer_notices_off"},
          paths);
      !status.ok()) {
    return status;
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  const Scope scope = ScopeOf(caller);
  // The partner and contact are checked with the partners module before a
  // connection is held, so the ticket is read once first.
  std::optional<v1::Ticket> preview;
  if (auto status = kernel::Guarded(parts_.log, "UpdateTicket",
                                    [&] {
                                      auto lease = parts_.database.Acquire();
                                      preview = ticket_repository::Find(lease.Session(),
                                                                        change.id(), scope);
                                      return grpc::Status::OK;
                                    });
      !status.ok()) {
    return status;
  }
  if (!preview) return NotFound(change.id());
  v1::Ticket updated = *preview;
  kernel::ApplyUpdateMask(change, paths, updated);
  if (auto status = CheckTicketFields(updated, "ticket."); !status.ok()) return status;
  const bool parties_changed = updated.partner_id() != preview->partner_id() ||
                               updated.contact_id() != preview->contact_id();
  if (parties_changed) {
    if (auto status = ResolveParties(context, updated, false, "ticket."); !status.ok()) {
      return status;
    }
  }
  return kernel::Guarded(parts_.log, "UpdateTicket", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = ticket_repository::Find(lease.Session(), change.id(), scope, true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("ticket", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->merged_into_id() != 0) return MergedAway(*stored);
    v1::Ticket next = *stored;
    kernel::ApplyUpdateMask(updated, paths, next);
    const bool type_changed = next.type_id() != stored->type_id();
    std::vector<v1::ProcessStep> steps;
    if (type_changed) {
      if (auto status = ProcessOf(lease.Session(), next.type_id(), steps); !status.ok()) {
        return status;
      }
      if (ticket_step_repository::AnyFinished(lease.Session(), stored->id())) {
        return kernel::FailedPreconditionOnField(
            "ticket.type_id", "a step of the ticket's process is finished: its type stays");
      }
    }
    if (kernel::DiffFields(&*stored, next).empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = ticket_repository::Update(lease.Session(), next, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource,
                        written.id(), kernel::DiffFields(&*stored, written));
    parts_.events.Publish(lease.Session(), "helpdesk.ticket.updated", written.id(), written,
                          caller);
    // The new type's process replaces the old one (none of it was done).
    if (type_changed) written = GiveProcess(parts_, lease.Session(), caller, written, steps);
    // Another type or priority: another SLA policy, perhaps.
    if (type_changed || written.priority() != stored->priority()) {
      PlanSla(parts_, lease.Session(), caller, written.id());
      written = *ticket_repository::Find(lease.Session(), written.id(), Scope::Everything());
    }
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::AssignTicket(grpc::ServerContext* context,
                                             const v1::AssignTicketRequest* request,
                                             v1::Ticket* response) {
  if (request->assignee_user_id() < 0 || request->team_id() < 0 ||
      (request->assignee_user_id() == 0 && request->team_id() == 0)) {
    return kernel::InvalidField("assignee_user_id", "give a user, a team or both");
  }
  return Reassign(context, "AssignTicket", v1::HAND_OVER_KIND_ASSIGNED, request->id(),
                  request->etag(), request->assignee_user_id(), request->team_id(), "", response);
}

grpc::Status TicketServiceImpl::HandOver(grpc::ServerContext* context,
                                         const v1::HandOverRequest* request, v1::Ticket* response) {
  if (request->to_user_id() < 0 || request->to_team_id() < 0 ||
      (request->to_user_id() == 0 && request->to_team_id() == 0)) {
    return kernel::InvalidField("to_user_id", "give the colleague or the team to hand over to");
  }
  if (request->note().empty() || request->note().size() > kMaxNote) {
    return kernel::InvalidField("note", "is required, at most 4000 bytes: what they need to know");
  }
  return Reassign(context, "HandOver", v1::HAND_OVER_KIND_HANDED_OVER, request->id(),
                  request->etag(), request->to_user_id(), request->to_team_id(), request->note(),
                  response);
}

grpc::Status TicketServiceImpl::Reassign(grpc::ServerContext* context, const char* method,
                                         v1::HandOverKind kind, std::int64_t id,
                                         const std::string& etag, std::int64_t user_id,
                                         std::int64_t team_id, const std::string& note,
                                         v1::Ticket* response) {
  const bool hand_over = kind == v1::HAND_OVER_KIND_HANDED_OVER;
  const std::string user_field = hand_over ? "to_user_id" : "assignee_user_id";
  const std::string team_field = hand_over ? "to_team_id" : "team_id";
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (user_id > 0 && !ticket_repository::UserExists(lease.Session(), user_id)) {
      return kernel::InvalidField(user_field, fmt::format("there is no user {}", user_id));
    }
    if (team_id > 0 && !ticket_repository::TeamExists(lease.Session(), team_id)) {
      return kernel::InvalidField(team_field, fmt::format("there is no team {}", team_id));
    }
    auto stored = ticket_repository::Find(lease.Session(), id, ScopeOf(caller), true);
    if (!stored) return NotFound(id);
    if (auto status = kernel::CheckEtag("ticket", id, etag, stored->etag()); !status.ok()) {
      return status;
    }
    if (stored->merged_into_id() != 0) return MergedAway(*stored);
    if (stored->assignee_user_id() == user_id && stored->team_id() == team_id) {
      if (hand_over) {
        return kernel::InvalidField(user_field, "the ticket is with them already");
      }
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    const auto now = parts_.clock.Now();
    v1::HandOverEntry entry;
    entry.set_kind(kind);
    entry.set_from_user_id(stored->assignee_user_id());
    entry.set_from_team_id(stored->team_id());
    entry.set_to_user_id(user_id);
    entry.set_to_team_id(team_id);
    entry.set_note(note);
    entry.set_by_user_id(caller.user_id);
    ticket_repository::AddHandOver(lease.Session(), id, entry, now);
    auto moved = ticket_repository::SetAssignment(lease.Session(), id, user_id, team_id, now);
    std::vector<kernel::FieldChange> changes;
    if (stored->assignee_user_id() != user_id) {
      changes.push_back(
          kernel::FieldChange::Of("assignee_user_id", stored->assignee_user_id(), user_id));
    }
    if (stored->team_id() != team_id) {
      changes.push_back(kernel::FieldChange::Of("team_id", stored->team_id(), team_id));
    }
    if (!note.empty()) changes.push_back(kernel::FieldChange::Of("hand_over_note", "", note));
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource, id,
                        changes);
    // A subcontractor the ticket goes to must see it to work on it.
    if (user_id > 0 && ticket_repository::IsExternalPartnerUser(lease.Session(), user_id)) {
      if (auto status = kernel::ChangeSharing(kernel::Sharing::kShare, parts_.audit, parts_.events,
                                              lease.Session(), caller, kTicketResource, moved, id,
                                              user_id, 0);
          !status.ok()) {
        return status;
      }
    }
    parts_.events.Publish(lease.Session(),
                          hand_over ? "helpdesk.ticket.handed_over" : "helpdesk.ticket.assigned",
                          id, moved, caller);
    transaction.Commit();
    *response = std::move(moved);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::AddComment(grpc::ServerContext* context,
                                           const v1::AddCommentRequest* request,
                                           v1::TicketComment* response) {
  v1::TicketComment comment = request->comment();
  if (comment.body().empty() || comment.body().size() > kMaxText) {
    return kernel::InvalidField("comment.body", "is required, at most 20000 bytes");
  }
  if (comment.visibility() == v1::COMMENT_VISIBILITY_UNSPECIFIED) {
    comment.set_visibility(v1::COMMENT_VISIBILITY_INTERNAL);
  } else if (!v1::CommentVisibility_IsValid(comment.visibility())) {
    return kernel::InvalidField("comment.visibility", "is internal or public");
  }
  return kernel::Guarded(parts_.log, "AddComment", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored =
        ticket_repository::Find(lease.Session(), request->ticket_id(), ScopeOf(caller), true);
    if (!stored) return NotFound(request->ticket_id());
    if (stored->merged_into_id() != 0) return MergedAway(*stored);
    const auto now = parts_.clock.Now();
    comment.set_ticket_id(stored->id());
    comment.set_author_user_id(caller.user_id);
    comment.set_from_customer(false);
    auto written = ticket_repository::AddComment(lease.Session(), comment, now);
    const bool answers_customer =
        written.visibility() == v1::COMMENT_VISIBILITY_PUBLIC && caller.user_id > 0;
    auto touched = ticket_repository::Touch(lease.Session(), stored->id(), answers_customer, now);
    if (!stored->has_first_response_time() && touched.has_first_response_time()) {
      MeetFirstResponse(parts_, lease.Session(), caller, stored->id());
    }
    std::vector<kernel::FieldChange> changes = {
        kernel::FieldChange::Of("comment_id", std::int64_t{0}, written.id()),
        kernel::FieldChange::Of(
            "comment_visibility", "",
            kernel::EnumWord(*v1::CommentVisibility_descriptor(), written.visibility()))};
    if (!stored->has_first_response_time() && touched.has_first_response_time()) {
      changes.push_back(kernel::FieldChange::Of(
          "first_response_time", "",
          google::protobuf::util::TimeUtil::ToString(touched.first_response_time())));
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource,
                        stored->id(), changes);
    parts_.events.Publish(lease.Session(), "helpdesk.ticket.commented", stored->id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::ChangeState(grpc::ServerContext* context,
                                            const v1::ChangeStateRequest* request,
                                            v1::Ticket* response) {
  if (request->state() == v1::TICKET_STATE_UNSPECIFIED ||
      !v1::TicketState_IsValid(request->state())) {
    return kernel::InvalidField("state", "is required: the state to move to");
  }
  if (request->reason().size() > 1000) return kernel::InvalidField("reason", "at most 1000 bytes");
  const std::string target = StateWord(request->state());
  return kernel::Guarded(parts_.log, "ChangeState", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = ticket_repository::Find(lease.Session(), request->id(), ScopeOf(caller), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("ticket", stored->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    const std::string state = StateWord(stored->state());
    if (auto refusal = RefuseStateChange(state, target, stored->merged_into_id() != 0)) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("ticket {}: {}", stored->number(), *refusal)};
    }
    const bool reopen = IsReopen(state, target);
    auto moved = ticket_repository::SetState(lease.Session(), stored->id(), target, reopen,
                                             parts_.clock.Now());
    FollowStateChange(parts_, lease.Session(), caller, stored->id(), state);
    moved = *ticket_repository::Find(lease.Session(), stored->id(), Scope::Everything());
    std::vector<kernel::FieldChange> changes = {kernel::FieldChange::Of("state", state, target)};
    if (reopen) {
      changes.push_back(kernel::FieldChange::Of("reopen_count",
                                                std::int64_t{stored->reopen_count()},
                                                std::int64_t{moved.reopen_count()}));
    }
    if (!request->reason().empty()) {
      changes.push_back(kernel::FieldChange::Of("state_reason", "", request->reason()));
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource,
                        moved.id(), changes);
    parts_.events.Publish(lease.Session(),
                          reopen ? "helpdesk.ticket.reopened" : "helpdesk.ticket.state_changed",
                          moved.id(), moved, caller);
    transaction.Commit();
    *response = std::move(moved);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::MergeTickets(grpc::ServerContext* context,
                                             const v1::MergeTicketsRequest* request,
                                             v1::Ticket* response) {
  if (request->target_id() <= 0) return kernel::InvalidField("target_id", "is required");
  if (request->source_ids_size() == 0 || request->source_ids_size() > kMaxMergeSources) {
    return kernel::InvalidField("source_ids", "1 to 50 tickets to merge into the target");
  }
  const std::set<std::int64_t> sources(request->source_ids().begin(), request->source_ids().end());
  if (static_cast<int>(sources.size()) != request->source_ids_size()) {
    return kernel::InvalidField("source_ids", "names a ticket twice");
  }
  if (sources.count(request->target_id()) == 1 || *sources.begin() <= 0) {
    return kernel::InvalidField("source_ids", "the target, or not an id");
  }
  return kernel::Guarded(parts_.log, "MergeTickets", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    const Scope scope = ScopeOf(caller);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    // Locked in id order, so two merges of overlapping tickets wait for
    // each other instead of deadlocking.
    std::set<std::int64_t> all = sources;
    all.insert(request->target_id());
    std::map<std::int64_t, v1::Ticket> locked;
    for (const auto id : all) {
      auto found = ticket_repository::Find(lease.Session(), id, scope, true);
      if (!found) return NotFound(id);
      if (found->merged_into_id() != 0) return MergedAway(*found);
      locked.emplace(id, std::move(*found));
    }
    const v1::Ticket& target = locked.at(request->target_id());
    if (auto status = kernel::CheckEtag("ticket", target.id(), request->etag(), target.etag());
        !status.ok()) {
      return status;
    }
    const auto now = parts_.clock.Now();
    std::string numbers;
    for (const auto id : sources) {
      const v1::Ticket& source = locked.at(id);
      ticket_repository::MarkMerged(lease.Session(), id, target.id(), now);
      FollowStateChange(parts_, lease.Session(), caller, id, StateWord(source.state()));
      parts_.audit.Record(
          lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource, id,
          {kernel::FieldChange::Of("state", StateWord(source.state()), "closed"),
           kernel::FieldChange::Of("merged_into_id", std::int64_t{0}, target.id())});
      numbers += (numbers.empty() ? "" : ", ") + source.number();
    }
    v1::TicketComment note;
    note.set_ticket_id(target.id());
    note.set_visibility(v1::COMMENT_VISIBILITY_INTERNAL);
    note.set_body("Merged into this ticket: " + numbers);
    note.set_author_user_id(caller.user_id);
    ticket_repository::AddComment(lease.Session(), note, now);
    ticket_repository::Touch(lease.Session(), target.id(), false, now);
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource,
                        target.id(),
                        {kernel::FieldChange::Of("merged_ticket_numbers", "", numbers)});
    auto whole = ticket_repository::FindWhole(lease.Session(), target.id(), Scope::Everything());
    parts_.events.Publish(lease.Session(), "helpdesk.ticket.merged", target.id(), *whole, caller);
    transaction.Commit();
    *response = std::move(*whole);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::CompleteStep(grpc::ServerContext* context,
                                             const v1::CompleteStepRequest* request,
                                             v1::Ticket* response) {
  if (request->note().size() > kMaxNote) return kernel::InvalidField("note", "at most 4000 bytes");
  return MoveOn(context, "CompleteStep", request->id(), request->etag(), false, request->note(),
                response);
}

grpc::Status TicketServiceImpl::SkipStep(grpc::ServerContext* context,
                                         const v1::SkipStepRequest* request, v1::Ticket* response) {
  if (request->reason().empty() || request->reason().size() > 1000) {
    return kernel::InvalidField("reason",
                                "is required, at most 1000 bytes: why the step is skipped");
  }
  return MoveOn(context, "SkipStep", request->id(), request->etag(), true, request->reason(),
                response);
}

grpc::Status TicketServiceImpl::MoveOn(grpc::ServerContext* context, const char* method,
                                       std::int64_t id, const std::string& etag, bool skip,
                                       const std::string& note, v1::Ticket* response) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = ticket_repository::Find(lease.Session(), id, ScopeOf(caller), true);
    if (!stored) return NotFound(id);
    if (auto status = kernel::CheckEtag("ticket", id, etag, stored->etag()); !status.ok()) {
      return status;
    }
    if (stored->merged_into_id() != 0) return MergedAway(*stored);
    if (stored->current_step() == 0) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("ticket {} has no process step under way", stored->number())};
    }
    const auto current = ticket_step_repository::Find(lease.Session(), id, stored->current_step());
    if (!MayFinishStep(caller, current->step())) {
      return {grpc::StatusCode::PERMISSION_DENIED,
              fmt::format("step {} ('{}') is for {} to finish", stored->current_step(),
                          current->step().name(), current->step().responsible_role())};
    }
    auto moved = FinishStep(parts_, lease.Session(), caller, *stored, skip, note);
    std::vector<kernel::FieldChange> changes = {
        kernel::FieldChange::Of("current_step", std::int64_t{stored->current_step()},
                                std::int64_t{moved.current_step()}),
        kernel::FieldChange::Of(
            skip ? "skipped_step" : "completed_step", "",
            fmt::format("{}. {}", stored->current_step(), current->step().name()))};
    if (!note.empty()) {
      changes.push_back(kernel::FieldChange::Of(skip ? "skip_reason" : "step_note", "", note));
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketResource, id,
                        changes);
    parts_.events.Publish(lease.Session(),
                          skip ? "helpdesk.ticket.step_skipped" : "helpdesk.ticket.step_completed",
                          id, moved, caller);
    transaction.Commit();
    *response = std::move(moved);
    return grpc::Status::OK;
  });
}

grpc::Status TicketServiceImpl::ShareTicket(grpc::ServerContext* context,
                                            const v1::ShareTicketRequest* request,
                                            v1::Ticket* response) {
  return ChangeSharing(context, "ShareTicket", kernel::Sharing::kShare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status TicketServiceImpl::UnshareTicket(grpc::ServerContext* context,
                                              const v1::UnshareTicketRequest* request,
                                              v1::Ticket* response) {
  return ChangeSharing(context, "UnshareTicket", kernel::Sharing::kUnshare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status TicketServiceImpl::ChangeSharing(grpc::ServerContext* context, const char* method,
                                              kernel::Sharing sharing, std::int64_t id,
                                              std::int64_t user_id, std::int64_t team_id,
                                              v1::Ticket* response) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = ticket_repository::Find(lease.Session(), id, ScopeOf(caller), true);
    if (!stored) return NotFound(id);
    if (auto status = kernel::ChangeSharing(sharing, parts_.audit, parts_.events, lease.Session(),
                                            caller, kTicketResource, *stored, id, user_id, team_id);
        !status.ok()) {
      return status;
    }
    transaction.Commit();
    *response = std::move(*stored);
    return grpc::Status::OK;
  });
}

}  // namespace karton::helpdesk
