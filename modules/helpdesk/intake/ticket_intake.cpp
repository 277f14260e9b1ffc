#include "intake/ticket_intake.h"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "intake/intake_rules.h"
#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/updates.h"
#include "karton/messaging/v1/message.pb.h"
#include "partner_directory.h"
#include "process/ticket_process.h"
#include "process/ticket_type_repository.h"
#include "requester.h"
#include "scope.h"
#include "sla/ticket_sla.h"
#include "tickets/ticket_repository.h"
#include "tickets/ticket_service.h"
#include "tickets/ticket_states.h"

namespace karton::helpdesk {
namespace {

namespace mv1 = messaging::v1;
namespace cv1 = crm::v1;

constexpr std::size_t kMaxText = 20000;
// A ticket merged into one merged into another...: followed this far.
constexpr int kMaxMergeHops = 10;

std::string StateWord(v1::TicketState state) {
  return kernel::EnumWord(*v1::TicketState_descriptor(), state);
}

// A comment by kartond, once per source key and ticket.
void Note(kernel::ServiceParts& parts, soci::session& session, std::int64_t ticket_id,
          const std::string& text, const std::string& key) {
  const kernel::Caller kartond = kernel::Caller::Internal();
  v1::TicketComment comment;
  comment.set_ticket_id(ticket_id);
  comment.set_visibility(v1::COMMENT_VISIBILITY_INTERNAL);
  comment.set_body(CutUtf8(text, kMaxText));
  const auto now = parts.clock.Now();
  auto written = ticket_repository::AddCommentOnce(session, comment, key, now);
  if (!written) return;
  ticket_repository::Touch(session, ticket_id, false, now);
  parts.audit.Record(session, kartond, kernel::AuditAction::kUpdate, kTicketResource, ticket_id,
                     {kernel::FieldChange::Of("comment_id", std::int64_t{0}, written->id())});
  parts.events.Publish(session, "helpdesk.ticket.commented", ticket_id, *written, kartond);
}

struct Opened {
  v1::Ticket ticket;
  bool created = false;
};

// CreateTicket's work as kartond: the ticket (unless `request_id` made one
// before), its audit entry and event, `before_process` (an assignment),
// its type's process and its SLA clock. A type that is gone or retired by
// now is left off, with a note saying so: a post is never dropped.
Opened Open(kernel::ServiceParts& parts, soci::session& session, v1::Ticket ticket,
            const std::string& request_id,
            const std::function<void(const v1::Ticket&)>& before_process = {}) {
  const kernel::Caller kartond = kernel::Caller::Internal();
  const std::int64_t creator = kernel::ActorUserId(kartond);
  if (auto earlier = ticket_repository::FindByRequest(session, creator, request_id)) {
    return {std::move(*earlier), false};
  }
  std::vector<v1::ProcessStep> steps;
  std::string type_problem;
  if (ticket.type_id() != 0) {
    const auto type = ticket_type_repository::Find(session, ticket.type_id());
    if (!type) {
      type_problem = fmt::format("there is no ticket type {} any more", ticket.type_id());
    } else if (!type->active()) {
      type_problem = fmt::format("the ticket type '{}' is retired", type->name());
    } else {
      steps.assign(type->steps().begin(), type->steps().end());
    }
    if (!type_problem.empty()) ticket.set_type_id(0);
  }
  if (ticket.priority() == v1::TICKET_PRIORITY_UNSPECIFIED) {
    ticket.set_priority(v1::TICKET_PRIORITY_NORMAL);
  }
  auto created = ticket_repository::Insert(session, ticket, creator, request_id, parts.clock.Now());
  if (!created) {
    // Only a concurrent insert of the same request id gets here; the
    // delivery runs again and finds it.
    throw std::runtime_error(fmt::format("request id {} is being used now", request_id));
  }
  parts.audit.Record(session, kartond, kernel::AuditAction::kCreate, kTicketResource, created->id(),
                     kernel::DiffFields(nullptr, *created));
  parts.events.Publish(session, "helpdesk.ticket.created", created->id(), *created, kartond);
  if (!type_problem.empty()) {
    Note(parts, session, created->id(), "Opened without its form's ticket type: " + type_problem,
         request_id + "/type");
  }
  if (before_process) before_process(*created);
  if (!steps.empty()) {
    const auto current = ticket_repository::Find(session, created->id(), Scope::Everything(), true);
    GiveProcess(parts, session, kartond, *current, steps);
  }
  StartSla(parts, session, kartond, *created);
  return {*ticket_repository::Find(session, created->id(), Scope::Everything()), true};
}

// The ticket an email answers, locked; followed into the ticket it was
// merged into. nullopt when it answers none.
std::optional<v1::Ticket> AnsweredTicket(soci::session& session, const mv1::InboundEmail& email) {
  std::int64_t id = TicketOfMessageKey(email.related_message_key());
  if (id == 0) {
    const std::string number = TicketNumberIn(email.subject());
    if (!number.empty()) id = ticket_repository::IdOfNumber(session, number).value_or(0);
  }
  if (id == 0) return std::nullopt;
  auto ticket = ticket_repository::Find(session, id, Scope::Everything(), true);
  for (int hop = 0; ticket && ticket->merged_into_id() != 0 && hop < kMaxMergeHops; ++hop) {
    ticket = ticket_repository::Find(session, ticket->merged_into_id(), Scope::Everything(), true);
  }
  return ticket;
}

// The customer's email as the text of a comment or a description.
std::string TextOf(const mv1::InboundEmail& email, bool name_sender) {
  std::string text = email.text().empty() ? email.text_excerpt() : email.text();
  if (name_sender) {
    const std::string who = email.from_name().empty()
                                ? email.from_address()
                                : fmt::format("{} <{}>", email.from_name(), email.from_address());
    text = fmt::format("From: {}\n\n{}", who, text);
  }
  if (email.document_ids_size() > 0) {
    text += fmt::format("\n\n[{} attachment(s), stored with the partner's documents]",
                        email.document_ids_size());
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return CutUtf8(text.empty() ? "(the email has no text)" : text, kMaxText);
}

// The customer's reply on `ticket` (locked, not closed): a public comment
// from the customer, and the ticket back to open when it waited on them
// or was resolved (a reopen). Once per email (the comment's source key).
void Reply(kernel::ServiceParts& parts, soci::session& session, const v1::Ticket& ticket,
           const mv1::InboundEmail& email, const std::string& key) {
  const kernel::Caller kartond = kernel::Caller::Internal();
  const auto now = parts.clock.Now();
  v1::TicketComment comment;
  comment.set_ticket_id(ticket.id());
  comment.set_visibility(v1::COMMENT_VISIBILITY_PUBLIC);
  comment.set_from_customer(true);
  comment.set_body(TextOf(email, email.from_address() != ticket.requester_email()));
  auto written = ticket_repository::AddCommentOnce(session, comment, key, now);
  if (!written) return;  // this email was taken before
  ticket_repository::Touch(session, ticket.id(), false, now);
  parts.audit.Record(session, kartond, kernel::AuditAction::kUpdate, kTicketResource, ticket.id(),
                     {kernel::FieldChange::Of("comment_id", std::int64_t{0}, written->id()),
                      kernel::FieldChange::Of("comment_visibility", "", "public")});
  parts.events.Publish(session, "helpdesk.ticket.commented", ticket.id(), *written, kartond);

  const std::string state = StateWord(ticket.state());
  if (state != "waiting_on_customer" && state != "resolved") return;
  if (RefuseStateChange(state, "open", ticket.merged_into_id() != 0)) return;
  const bool reopen = IsReopen(state, "open");
  auto moved = ticket_repository::SetState(session, ticket.id(), "open", reopen, now);
  FollowStateChange(parts, session, kartond, ticket.id(), state);
  moved = *ticket_repository::Find(session, ticket.id(), Scope::Everything());
  std::vector<kernel::FieldChange> changes = {kernel::FieldChange::Of("state", state, "open")};
  if (reopen) {
    changes.push_back(kernel::FieldChange::Of("reopen_count", std::int64_t{ticket.reopen_count()},
                                              std::int64_t{moved.reopen_count()}));
  }
  changes.push_back(kernel::FieldChange::Of("state_reason", "", "the customer replied by email"));
  parts.audit.Record(session, kartond, kernel::AuditAction::kUpdate, kTicketResource, ticket.id(),
                     changes);
  parts.events.Publish(session,
                       reopen ? "helpdesk.ticket.reopened" : "helpdesk.ticket.state_changed",
                       ticket.id(), moved, kartond);
}

}  // namespace

void TicketIntake::Subscribe(kernel::DomainEvents& events) {
  events.Subscribe(
      "email_intake", {"messaging.email.received"},
      [this](const kernel::Event& event, soci::session& session) { OnEmail(event, session); });
  events.SubscribeCalling("web_form_intake", {"crm.web_form.submitted"},
                          [this](const kernel::Event& event) { OnWebForm(event); });
}

void TicketIntake::OnEmail(const kernel::Event& event, soci::session& session) {
  mv1::InboundEmail email;
  if (!event.ParsePayload(email) || email.route() != kHelpdeskRoute) return;
  if (email.kind() == mv1::INBOUND_KIND_BOUNCE) return;
  const std::string key = fmt::format("messaging.inbound/{}", email.id());

  std::optional<v1::Ticket> answered = AnsweredTicket(session, email);
  if (answered && answered->state() != v1::TICKET_STATE_CLOSED) {
    Reply(parts_, session, *answered, email, key);
    return;
  }
  v1::Ticket ticket;
  ticket.set_subject(CutUtf8(
      email.subject().empty() ? "Email from " + email.from_address() : email.subject(), 500));
  ticket.set_description(TextOf(email, false));
  ticket.set_source(v1::TICKET_SOURCE_EMAIL);
  ticket.set_priority(v1::TICKET_PRIORITY_NORMAL);
  ticket.set_requester_name(CutUtf8(email.from_name(), 200));
  ticket.set_requester_email(NormalEmail(email.from_address()).value_or(""));
  // messaging matched the sender as the helpdesk would (a contact's
  // address, else a partner's own).
  ticket.set_partner_id(email.partner_id());
  ticket.set_contact_id(email.partner_id() != 0 ? email.contact_id() : 0);
  const Opened opened = Open(parts_, session, std::move(ticket), key);
  if (!opened.created || !answered) return;
  // A reply to a closed ticket: a new case that names the old one, and
  // the old one says where the customer's answer went.
  Note(parts_, session, opened.ticket.id(),
       fmt::format("The customer replied to closed ticket {} ({}); this ticket continues it.",
                   answered->number(), answered->subject()),
       key + "/follows");
  Note(parts_, session, answered->id(),
       fmt::format("The customer replied after the ticket was closed; the reply opened ticket {}.",
                   opened.ticket.number()),
       key + "/followed");
}

void TicketIntake::OnWebForm(const kernel::Event& event) {
  cv1::WebFormSubmission submission;
  if (!event.ParsePayload(submission)) return;
  const std::string key = fmt::format("crm.web_form/{}", event.id);
  const auto& post = submission.submitted();
  {
    auto lease = parts_.database.Acquire();
    if (ticket_repository::FindByRequest(lease.Session(),
                                         kernel::ActorUserId(kernel::Caller::Internal()), key)) {
      return;  // delivered again after the ticket was made
    }
  }
  const std::string email = NormalEmail(post.email()).value_or("");
  const std::string phone = NormalPhone(post.phone()).value_or("");
  // Asked of partners as kartond, with no connection held.
  PartnerMatch match;
  if (const auto status = partners_.Match(nullptr, email, phone, match); !status.ok()) {
    throw std::runtime_error(
        fmt::format("matching the requester of web form post {}: {}", key, status.error_message()));
  }
  v1::Ticket ticket;
  ticket.set_subject(SubjectOfSubmission(submission));
  ticket.set_description(DescriptionOfSubmission(submission));
  ticket.set_source(v1::TICKET_SOURCE_WEB_FORM);
  ticket.set_priority(v1::TICKET_PRIORITY_NORMAL);
  ticket.set_type_id(submission.ticket_type_id());
  ticket.set_requester_name(CutUtf8(post.contact_name(), 200));
  ticket.set_requester_email(email);
  ticket.set_requester_phone(phone);
  ticket.set_partner_id(match.partner_id);
  ticket.set_contact_id(match.contact_id);

  const kernel::Caller kartond = kernel::Caller::Internal();
  auto lease = parts_.database.Acquire();
  kernel::Transaction transaction(lease.Session());
  soci::session& session = lease.Session();
  // The form's category routes the ticket as it would route a lead: to
  // its team or user (a user or team gone by now is left out).
  const auto assign = [&](const v1::Ticket& created) {
    const std::int64_t user =
        ticket_repository::UserExists(session, submission.user_id()) ? submission.user_id() : 0;
    const std::int64_t team =
        ticket_repository::TeamExists(session, submission.team_id()) ? submission.team_id() : 0;
    if (user == 0 && team == 0) return;
    const auto now = parts_.clock.Now();
    v1::HandOverEntry entry;
    entry.set_kind(v1::HAND_OVER_KIND_ASSIGNED);
    entry.set_to_user_id(user);
    entry.set_to_team_id(team);
    entry.set_note(
        fmt::format("web form '{}', category '{}'", submission.web_form_slug(), post.category()));
    ticket_repository::AddHandOver(session, created.id(), entry, now);
    const auto moved = ticket_repository::SetAssignment(session, created.id(), user, team, now);
    std::vector<kernel::FieldChange> changes;
    if (user != 0)
      changes.push_back(kernel::FieldChange::Of("assignee_user_id", std::int64_t{0}, user));
    if (team != 0) changes.push_back(kernel::FieldChange::Of("team_id", std::int64_t{0}, team));
    parts_.audit.Record(session, kartond, kernel::AuditAction::kUpdate, kTicketResource,
                        created.id(), changes);
    parts_.events.Publish(session, "helpdesk.ticket.assigned", created.id(), moved, kartond);
  };
  Open(parts_, session, std::move(ticket), key, assign);
  transaction.Commit();
}

}  // namespace karton::helpdesk
