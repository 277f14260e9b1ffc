#include "notices/customer_notices.h"

#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "outreach.h"
#include "process/process_rules.h"
#include "process/ticket_step_repository.h"
#include "tickets/ticket_repository.h"

namespace karton::helpdesk {
namespace {

// What the notice needs to know of the ticket now, read when it is sent.
struct Addressee {
  bool found = false;
  bool notices_off = false;
  bool merged = false;
  std::string address;   // lower case; empty: the ticket has none
  std::string language;  // "hu" or "en"
  int current_step = 0;
  bool recorded = false;  // the outcome is on the ticket already
};

// The requester's own address first (the person who asked), else the
// contact's first, else the partner's; the partner's preferred language.
Addressee Read(soci::session& session, std::int64_t ticket_id, const std::string& key) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT t.customer_notices_off, t.merged_into_id IS NOT NULL, "
      "coalesce(nullif(t.requester_email, ''), c.emails[1], p.emails[1], ''), "
      "coalesce(p.preferred_language, ''), t.current_step, "
      "EXISTS (SELECT 1 FROM helpdesk.ticket_comment k WHERE k.ticket_id = t.id "
      "AND k.source_key = $2) "
      "FROM helpdesk.ticket t LEFT JOIN partners.contact c ON c.id = t.contact_id "
      "LEFT JOIN partners.partner p ON p.id = t.partner_id WHERE t.id = $1",
      {std::to_string(ticket_id), key});
  Addressee addressee;
  if (rows.Count() == 0) return addressee;
  addressee.found = true;
  addressee.notices_off = rows.Text(0, 0) == "t";
  addressee.merged = rows.Text(0, 1) == "t";
  addressee.address = std::string(rows.Text(0, 2));
  std::transform(addressee.address.begin(), addressee.address.end(), addressee.address.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  addressee.language = rows.Text(0, 3) == "en" ? "en" : "hu";
  addressee.current_step = std::stoi(std::string(rows.Text(0, 4)));
  addressee.recorded = rows.Text(0, 5) == "t";
  return addressee;
}

// Whether the ticket's current step itself emails the customer and waits
// for them: its email says what the waiting notice would.
bool StepTellsTheCustomer(soci::session& session, std::int64_t ticket_id, int position) {
  if (position <= 0) return false;
  const auto step = ticket_step_repository::Find(session, ticket_id, position);
  if (!step || !WaitsForCustomer(step->step())) return false;
  for (const auto& action : step->step().actions()) {
    if (action.has_email_customer()) return true;
  }
  return false;
}

void Text(google::protobuf::Struct& object, const char* name, const std::string& value) {
  (*object.mutable_fields())[name].set_string_value(value);
}

std::string SuppressionWhy(const messaging::v1::Suppression& entry) {
  switch (entry.source()) {
    case messaging::v1::SUPPRESSION_SOURCE_BOUNCE:
      return "a hard bounce";
    case messaging::v1::SUPPRESSION_SOURCE_UNSUBSCRIBE_LINK:
      return "an unsubscribe link";
    case messaging::v1::SUPPRESSION_SOURCE_MANUAL:
      return "an opt-out recorded by hand";
    default:
      return "an opt-out";
  }
}

}  // namespace

std::optional<NoticeKind> NoticeFor(const std::string& topic, const v1::Ticket& ticket) {
  if (topic == kTicketCreatedTopic) return NoticeKind::kReceived;
  if (topic != kTicketStateChangedTopic) return std::nullopt;
  if (ticket.state() == v1::TICKET_STATE_WAITING_ON_CUSTOMER) {
    return NoticeKind::kWaitingOnCustomer;
  }
  if (ticket.state() == v1::TICKET_STATE_RESOLVED) return NoticeKind::kResolved;
  return std::nullopt;
}

const char* NoticeWord(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::kReceived:
      return "received";
    case NoticeKind::kWaitingOnCustomer:
      return "waiting_on_customer";
    case NoticeKind::kResolved:
      return "resolved";
  }
  return "";
}

std::string NoticeTemplate(NoticeKind kind) {
  return std::string("helpdesk_ticket_") + NoticeWord(kind);
}

void CustomerNotices::Handle(const kernel::Event& event) {
  v1::Ticket ticket;
  if (!event.ParsePayload(ticket)) return;
  const auto kind = NoticeFor(event.topic, ticket);
  if (!kind) return;
  const std::int64_t ticket_id = event.aggregate_id;
  const std::string key = fmt::format("helpdesk.notice/{}/{}", ticket_id, event.id);
  const std::string name = NoticeTemplate(*kind);
  Addressee addressee;
  bool step_tells = false;
  {
    auto lease = parts_.database.Acquire();
    addressee = Read(lease.Session(), ticket_id, key);
    if (addressee.found && *kind == NoticeKind::kWaitingOnCustomer) {
      step_tells = StepTellsTheCustomer(lease.Session(), ticket_id, addressee.current_step);
    }
  }
  // Nothing to say, or nobody to say it to: no notice, and nothing on the
  // ticket. A ticket that opted out (now or when the event was written),
  // one merged away, one without any customer address.
  if (!addressee.found || addressee.recorded || addressee.notices_off ||
      ticket.customer_notices_off() || addressee.merged || addressee.address.empty() ||
      step_tells) {
    return;
  }
  const std::string label = fmt::format("Customer notice '{}'", NoticeWord(*kind));
  std::string outcome;
  std::optional<messaging::v1::Suppression> suppression;
  auto looked = outreach_.FindSuppression(addressee.address, suppression);
  if (looked.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    outcome = fmt::format("{}: not sent, messaging is not running in this installation", label);
  } else if (!looked.ok()) {
    throw std::runtime_error(
        fmt::format("ticket {} {}: messaging: {}", ticket_id, label, looked.error_message()));
  } else if (suppression) {
    outcome = fmt::format("{}: skipped, {} is on the suppression list ({})", label,
                          addressee.address, SuppressionWhy(*suppression));
  } else {
    messaging::v1::SendMessageRequest request;
    request.set_channel(messaging::v1::CHANNEL_EMAIL);
    // About the customer's own case: no marketing consent needed.
    request.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
    request.mutable_recipient()->set_partner_id(ticket.partner_id());
    request.mutable_recipient()->set_contact_id(ticket.contact_id());
    request.mutable_recipient()->set_address(addressee.address);
    request.set_template_name(name);
    request.set_language(addressee.language);
    google::protobuf::Struct about;
    Text(about, "number", ticket.number());
    Text(about, "subject", ticket.subject());
    Text(about, "state", NoticeWord(*kind));
    auto& variables = *request.mutable_variables()->mutable_fields();
    *variables["ticket"].mutable_struct_value() = about;
    if (!ticket.requester_name().empty()) {
      google::protobuf::Struct requester;
      Text(requester, "name", ticket.requester_name());
      *variables["requester"].mutable_struct_value() = requester;
    }
    request.set_idempotency_key(key);
    std::int64_t message_id = 0;
    const auto status = outreach_.SendEmail(request, message_id);
    switch (status.error_code()) {
      case grpc::StatusCode::OK:
        outcome = fmt::format("{}: email '{}' sent to {} (message {})", label, name,
                              addressee.address, message_id);
        break;
      case grpc::StatusCode::UNIMPLEMENTED:
        outcome = fmt::format("{}: not sent, messaging is not running in this installation", label);
        break;
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::PERMISSION_DENIED:
        outcome = fmt::format("{}: email '{}' not sent, messaging refused: {}", label, name,
                              status.error_message());
        break;
      default:
        throw std::runtime_error(
            fmt::format("ticket {} {}: messaging: {}", ticket_id, label, status.error_message()));
    }
  }
  // The outcome on the ticket, once. Not a change of the ticket: its etag
  // stays, so a colleague's write right after is not refused as stale.
  const kernel::Caller kartond = kernel::Caller::Internal();
  auto lease = parts_.database.Acquire();
  kernel::Transaction transaction(lease.Session());
  v1::TicketComment comment;
  comment.set_ticket_id(ticket_id);
  comment.set_visibility(v1::COMMENT_VISIBILITY_INTERNAL);
  comment.set_body(outcome);
  auto written =
      ticket_repository::AddCommentOnce(lease.Session(), comment, key, parts_.clock.Now());
  if (!written) return;
  parts_.audit.Record(lease.Session(), kartond, kernel::AuditAction::kUpdate, "helpdesk.ticket",
                      ticket_id,
                      {kernel::FieldChange::Of("comment_id", std::int64_t{0}, written->id())});
  parts_.events.Publish(lease.Session(), "helpdesk.ticket.commented", ticket_id, *written, kartond);
  transaction.Commit();
}

}  // namespace karton::helpdesk
