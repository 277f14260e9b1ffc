#include "process/step_actions.h"

#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/time_util.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/transaction.h"
#include "outreach.h"
#include "process/ticket_step_repository.h"
#include "scope.h"
#include "tickets/ticket_repository.h"

namespace karton::helpdesk {
namespace {

using google::protobuf::util::TimeUtil;

// How a refusal reads on the ticket; nullopt when the call should be
// tried again later.
std::optional<std::string> Settled(const grpc::Status& status, const char* module) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNIMPLEMENTED:
      return fmt::format("{} is not running in this installation", module);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
      return fmt::format("{} refused: {}", module, status.error_message());
    default:
      return std::nullopt;
  }
}

void Text(google::protobuf::Struct& object, const char* name, const std::string& value) {
  (*object.mutable_fields())[name].set_string_value(value);
}

}  // namespace

void StepActions::Run(const kernel::JobRun& run) {
  const auto slash = run.payload.find('/');
  const auto ticket_id = kernel::ParseInt64(run.payload.substr(0, slash)).value_or(0);
  const auto position =
      static_cast<int>(kernel::ParseInt64(run.payload.substr(slash + 1)).value_or(0));
  std::optional<v1::Ticket> ticket;
  std::optional<v1::TicketStep> step;
  {
    auto lease = parts_.database.Acquire();
    ticket = ticket_repository::Find(lease.Session(), ticket_id, Scope::Everything());
    if (ticket) step = ticket_step_repository::Find(lease.Session(), ticket_id, position);
  }
  if (!ticket || !step) return;  // gone: nothing to do
  const v1::ProcessStep& definition = step->step();
  // Outcome text by idempotency key, in the order of the actions.
  std::vector<std::pair<std::string, std::string>> outcomes;
  for (int j = 0; j < definition.actions_size(); ++j) {
    const auto& action = definition.actions(j);
    const std::string key = fmt::format("helpdesk.step/{}/{}/{}", ticket_id, position, j);
    const std::string label = fmt::format("Step {} ({})", position, definition.name());
    if (action.has_email_customer()) {
      const auto& email = action.email_customer();
      messaging::v1::SendMessageRequest request;
      request.set_channel(messaging::v1::CHANNEL_EMAIL);
      // A service message about the customer's own case: no marketing consent.
      request.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
      if (ticket->partner_id() > 0) {
        request.mutable_recipient()->set_partner_id(ticket->partner_id());
        request.mutable_recipient()->set_contact_id(ticket->contact_id());
      }
      if (ticket->contact_id() == 0 && !ticket->requester_email().empty()) {
        request.mutable_recipient()->set_address(ticket->requester_email());
      }
      if (!request.has_recipient()) {
        outcomes.emplace_back(key, label + ": no email sent, the ticket has no customer address");
        continue;
      }
      request.set_template_name(email.template_name());
      request.set_language(email.language().empty() ? "hu" : email.language());
      google::protobuf::Struct about;
      Text(about, "number", ticket->number());
      Text(about, "subject", ticket->subject());
      Text(about, "step", definition.name());
      *(*request.mutable_variables()->mutable_fields())["ticket"].mutable_struct_value() = about;
      google::protobuf::Struct requester;
      Text(requester, "name", ticket->requester_name());
      *(*request.mutable_variables()->mutable_fields())["requester"].mutable_struct_value() =
          requester;
      request.set_idempotency_key(key);
      std::int64_t message_id = 0;
      const auto status = outreach_.SendEmail(request, message_id);
      if (status.ok()) {
        outcomes.emplace_back(key, fmt::format("{}: email '{}' sent to the customer (message {})",
                                               label, email.template_name(), message_id));
      } else if (auto settled = Settled(status, "messaging")) {
        outcomes.emplace_back(key, fmt::format("{}: email '{}' not sent: {}", label,
                                               email.template_name(), *settled));
      } else {
        throw std::runtime_error(
            fmt::format("ticket {} {}: messaging: {}", ticket_id, label, status.error_message()));
      }
    } else if (action.has_create_activity()) {
      crm::v1::CreateActivityRequest request;
      auto& activity = *request.mutable_activity();
      activity.set_type(crm::v1::ACTIVITY_TYPE_TASK);
      activity.set_subject(action.create_activity().subject());
      activity.set_description(fmt::format("Ticket {}: {}", ticket->number(), ticket->subject()));
      activity.set_partner_id(ticket->partner_id());
      activity.set_contact_id(ticket->contact_id());
      activity.set_related_resource_type("helpdesk.ticket");
      activity.set_related_resource_id(ticket_id);
      activity.set_assigned_user_id(ticket->assignee_user_id());
      activity.set_team_id(ticket->team_id());
      *activity.mutable_due_time() = step->has_due_time()
                                         ? step->due_time()
                                         : TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(
                                               parts_.clock.Now() + std::chrono::hours(24)));
      request.set_request_id(key);
      std::int64_t activity_id = 0;
      const auto status = outreach_.CreateActivity(request, activity_id);
      if (status.ok()) {
        outcomes.emplace_back(key, fmt::format("{}: CRM task '{}' created (activity {})", label,
                                               activity.subject(), activity_id));
      } else if (auto settled = Settled(status, "the CRM")) {
        outcomes.emplace_back(key, fmt::format("{}: CRM task '{}' not created: {}", label,
                                               activity.subject(), *settled));
      } else {
        throw std::runtime_error(
            fmt::format("ticket {} {}: crm: {}", ticket_id, label, status.error_message()));
      }
    }
  }
  if (outcomes.empty()) return;
  const kernel::Caller kartond = kernel::Caller::Internal();
  auto lease = parts_.database.Acquire();
  kernel::Transaction transaction(lease.Session());
  const auto now = parts_.clock.Now();
  for (const auto& [key, text] : outcomes) {
    v1::TicketComment comment;
    comment.set_ticket_id(ticket_id);
    comment.set_visibility(v1::COMMENT_VISIBILITY_INTERNAL);
    comment.set_body(text);
    auto written = ticket_repository::AddCommentOnce(lease.Session(), comment, key, now);
    if (!written) continue;
    ticket_repository::Touch(lease.Session(), ticket_id, false, now);
    parts_.audit.Record(lease.Session(), kartond, kernel::AuditAction::kUpdate, "helpdesk.ticket",
                        ticket_id,
                        {kernel::FieldChange::Of("comment_id", std::int64_t{0}, written->id())});
    parts_.events.Publish(lease.Session(), "helpdesk.ticket.commented", ticket_id, *written,
                          kartond);
  }
  transaction.Commit();
}

}  // namespace karton::helpdesk
