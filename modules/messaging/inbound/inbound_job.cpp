#include "inbound/inbound_job.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <map>
#include <stdexcept>

#include "addresses.h"
#include "attachments.h"
#include "consent/consent.h"
#include "delivery/delivery_job.h"
#include "inbound/inbound_repository.h"
#include "karton/crm/v1/lead_service.grpc.pb.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/options.h"
#include "karton/kernel/secrets.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "message_repository.h"

namespace karton::messaging {
namespace {

namespace pv1 = partners::v1;
namespace cv1 = crm::v1;
using google::protobuf::util::TimeUtil;

constexpr std::chrono::seconds kCallLimit{30};
constexpr const char* kInboundResource = "messaging.inbound_email";

std::string Quoted(const std::string& value) {
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// What a call's failure means for the job: a refusal of the request is
// final (logged, the email filed without it), anything else is retried.
void ThrowUnlessRefused(const grpc::Status& status, const std::string& what) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return;
    default:
      throw std::runtime_error(fmt::format("{}: {}", what, status.error_message()));
  }
}

// Text for the timeline and lead: no carriage returns, valid length.
std::string Body(const std::string& text, std::size_t bytes) {
  std::string body;
  body.reserve(text.size());
  for (const char c : text) {
    if (c != '\r') body += c;
  }
  while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
  return Utf8Cut(body, bytes);
}

std::string ReportText(const DeliveryReport& report) {
  std::string text = fmt::format("bounced: {} {}", report.status, report.action);
  if (!report.diagnostic.empty()) text += ": " + report.diagnostic;
  return Utf8Cut(text, 1000);
}

}  // namespace

std::optional<InboundSettings> ReadInboundSettings(kernel::ModuleContext& context) {
  // Checked with or without a mailbox, so a bad value stops the start.
  auto routes = ParseInboundRoutes(context.Option("inbound_routes").value_or(""));
  const auto url = context.Option("imap_url");
  if (!url || url->empty()) return std::nullopt;
  std::string password;
  if (const auto file = context.Option("imap_password_file"); file && !file->empty()) {
    password = kernel::ReadSecretFile(*file);
  }
  InboundSettings settings;
  settings.imap = ParseImapUrl(*url, password);
  settings.poll_seconds =
      static_cast<int>(kernel::IntegerOption(context, "inbound_poll_seconds", 60, 1, 86400));
  // 25 MiB is what common providers (Gmail, Microsoft 365) accept in one
  // email; a bigger one is not read into memory and the database.
  settings.max_mib =
      static_cast<int>(kernel::IntegerOption(context, "inbound_max_mib", 25, 1, 1024));
  const std::string unknown = context.Option("inbound_unknown_sender").value_or("lead");
  if (unknown == "lead") {
    settings.unknown_sender = UnknownSender::kLead;
  } else if (unknown == "ignore") {
    settings.unknown_sender = UnknownSender::kIgnore;
  } else {
    throw std::invalid_argument(fmt::format(
        "--module-option messaging.inbound_unknown_sender is lead or ignore, not '{}'", unknown));
  }
  settings.routes = std::move(routes);
  return settings;
}

Inbound::Inbound(kernel::ServiceParts services, const std::optional<InboundSettings>& settings)
    : services_(std::move(services)), settings_(settings) {}

void Inbound::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::InboundEmail>("messaging.email.received");
  events.DeclareTopic<v1::Message>("messaging.message.bounced");
}

void Inbound::SchedulePolling(soci::session& session) {
  if (!settings_) return;
  // One poll job per mailbox and interval: another interval is another
  // job, and the old one finds itself stale and does nothing (Poll).
  services_.jobs.Schedule(
      session, {.kind = kPollMailboxJob,
                .payload = settings_->imap.Name() + "\n" + settings_->Recurrence(),
                .run_at = {},
                .recurrence = settings_->Recurrence(),
                .max_attempts = 1000000,
                .unique_key = fmt::format("messaging.poll_mailbox/{}/{}", settings_->imap.Name(),
                                          settings_->Recurrence())});
}

void Inbound::Poll(const kernel::JobRun& run) {
  if (!settings_ || run.payload != settings_->imap.Name() + "\n" + settings_->Recurrence()) {
    return;  // a mailbox or interval configured before: not this one's job any more
  }
  const std::string mailbox_name = settings_->imap.Name();
  ImapMailbox mailbox(settings_->imap);
  const auto status = mailbox.Examine();
  repository::InboundCursor cursor;
  {
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    cursor = repository::LockCursor(lease.Session(), mailbox_name, status.uid_validity);
    transaction.commit();
  }
  if (cursor.uid_validity != status.uid_validity) {
    // The server renumbered the mailbox: read it all again; the
    // Message-IDs keep what was taken before from being taken twice.
    services_.log.warn("{}: UIDVALIDITY changed from {} to {}; reading the mailbox again",
                       mailbox_name, cursor.uid_validity, status.uid_validity);
    cursor = {.uid_validity = status.uid_validity, .last_uid = 0};
  }
  int taken = 0;
  const auto uids = mailbox.UidsAfter(cursor.last_uid);
  // The sizes first: a message over the cap is never downloaded.
  const auto sizes =
      uids.empty() ? std::map<std::uint64_t, std::uint64_t>{} : mailbox.SizesAfter(cursor.last_uid);
  for (const std::uint64_t uid : uids) {
    if (const auto size = sizes.find(uid);
        size != sizes.end() && size->second > settings_->MaxBytes()) {
      SkipOversized(mailbox_name, status.uid_validity, uid, size->second);
      continue;
    }
    const std::string raw = mailbox.Fetch(status.uid_validity, uid);
    std::string problem;
    const auto email = ParseEmail(raw, problem);
    std::string key = email && !email->message_id.empty()
                          ? email->message_id
                          : fmt::format("{}/{}/{}", mailbox_name, status.uid_validity, uid);
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    auto locked = repository::LockCursor(lease.Session(), mailbox_name, status.uid_validity);
    if (locked.uid_validity == status.uid_validity && locked.last_uid >= uid) continue;
    const auto id =
        repository::InsertInbound(lease.Session(), {.message_key = std::move(key),
                                                    .mailbox = mailbox_name,
                                                    .uid_validity = status.uid_validity,
                                                    .uid = uid,
                                                    .raw = raw,
                                                    .receive_time = services_.clock.Now()});
    if (id) {
      services_.jobs.Schedule(lease.Session(),
                              {.kind = kProcessInboundJob,
                               .payload = std::to_string(*id),
                               .run_at = {},
                               .recurrence = "",
                               .max_attempts = 12,
                               .unique_key = fmt::format("messaging.inbound/{}", *id)});
      ++taken;
    }
    repository::SaveCursor(lease.Session(), mailbox_name,
                           {.uid_validity = status.uid_validity, .last_uid = uid});
    transaction.commit();
  }
  if (taken > 0) services_.log.info("{}: {} new email(s)", mailbox_name, taken);
}

void Inbound::SkipOversized(const std::string& mailbox_name, std::uint64_t uid_validity,
                            std::uint64_t uid, std::uint64_t size) {
  const std::string reason =
      fmt::format("{} bytes, over messaging.inbound_max_mib ({} MiB): not downloaded", size,
                  settings_->max_mib);
  auto lease = services_.database.Acquire();
  soci::transaction transaction(lease.Session());
  const auto locked = repository::LockCursor(lease.Session(), mailbox_name, uid_validity);
  if (locked.uid_validity == uid_validity && locked.last_uid >= uid) return;
  // Recorded with the cursor past it: later polls do not ask for it again.
  const auto id = repository::InsertSkippedInbound(
      lease.Session(),
      {.message_key = fmt::format("{}/{}/{}", mailbox_name, uid_validity, uid),
       .mailbox = mailbox_name,
       .uid_validity = uid_validity,
       .uid = uid,
       .raw = "",
       .receive_time = services_.clock.Now()},
      size, reason);
  repository::SaveCursor(lease.Session(), mailbox_name,
                         {.uid_validity = uid_validity, .last_uid = uid});
  transaction.commit();
  if (id) {
    services_.log.warn(
        "{}: the email with UID {} skipped (inbound email {}): {}; it stays unread "
        "in the mailbox",
        mailbox_name, uid, *id, reason);
  }
}

Inbound::Sender Inbound::FindSender(const std::string& address) {
  Sender sender;
  if (address.empty()) return sender;
  auto partners = pv1::PartnerService::NewStub(services_.channel());
  // A contact's address names the contact and its partner; a partner's own
  // address the partner only.
  for (const char* field : {"contact.email", "email"}) {
    pv1::ListPartnersRequest request;
    request.set_filter(fmt::format("{} = {}", field, Quoted(address)));
    request.set_page_size(1);
    pv1::ListPartnersResponse response;
    const auto status =
        partners->ListPartners(kernel::KernelCallContext(kCallLimit).get(), request, &response);
    if (!status.ok()) {
      throw std::runtime_error(
          fmt::format("looking up the sender of an email: {}", status.error_message()));
    }
    if (response.partners_size() == 0) continue;
    sender.partner_id = response.partners(0).id();
    if (std::string(field) == "email") return sender;
    pv1::ListContactsRequest contacts_request;
    contacts_request.set_partner_id(sender.partner_id);
    contacts_request.set_page_size(1000);
    pv1::ListContactsResponse contacts;
    const auto listed = partners->ListContacts(kernel::KernelCallContext(kCallLimit).get(),
                                               contacts_request, &contacts);
    if (!listed.ok()) {
      throw std::runtime_error(fmt::format("reading the contacts of partner {}: {}",
                                           sender.partner_id, listed.error_message()));
    }
    for (const auto& contact : contacts.contacts()) {
      for (const auto& email : contact.emails()) {
        if (LowerAscii(email) == address) {
          sender.contact_id = contact.id();
          return sender;
        }
      }
    }
    return sender;
  }
  return sender;
}

std::int64_t Inbound::RelatedMessage(const ReceivedEmail& email, std::string& key) {
  // The direct parent first, then the conversation from its newest end.
  std::vector<std::string> candidates = email.in_reply_to;
  candidates.insert(candidates.end(), email.references.rbegin(), email.references.rend());
  auto lease = services_.database.Acquire();
  for (const auto& id : candidates) {
    if (const auto found = repository::MessageIdByHeader(lease.Session(), id)) {
      key = repository::IdempotencyKeyOf(lease.Session(), *found);
      return *found;
    }
  }
  return 0;
}

void Inbound::FileOnPartner(std::int64_t inbound_id, const ReceivedEmail& email,
                            v1::InboundEmail& received) {
  std::map<int, std::int64_t> stored;
  {
    auto lease = services_.database.Acquire();
    stored = repository::InboundDocuments(lease.Session(), inbound_id);
  }
  for (std::size_t position = 0; position < email.attachments.size(); ++position) {
    const auto& attachment = email.attachments[position];
    const int at = static_cast<int>(position);
    if (!stored.contains(at)) {
      // Recorded as soon as stored: a run that dies here stores only the
      // one it was at again.
      pv1::Document document;
      std::string problem;
      const std::string name = FileNameProblem(attachment.file_name)
                                   ? fmt::format("attachment-{}", at + 1)
                                   : attachment.file_name;
      const auto media_type = AttachmentMediaType(attachment.media_type, problem);
      const auto status = StoreDocument(
          services_.channel, "partners.partner", received.partner_id(), name,
          media_type.value_or("application/octet-stream"), attachment.content, document);
      ThrowUnlessRefused(
          status, fmt::format("storing attachment {} of inbound email {}", at + 1, inbound_id));
      if (!status.ok()) {
        services_.log.warn("inbound email {}: attachment {} not stored: {}", inbound_id, at + 1,
                           status.error_message());
        continue;
      }
      auto lease = services_.database.Acquire();
      repository::RecordInboundDocument(lease.Session(), inbound_id, at, document.id());
      stored[at] = document.id();
    }
  }
  for (const auto& [position, document_id] : stored) received.add_document_ids(document_id);

  pv1::LogInteractionRequest request;
  auto* entry = request.mutable_interaction();
  entry->set_partner_id(received.partner_id());
  entry->set_contact_id(received.contact_id());
  entry->set_channel(pv1::INTERACTION_CHANNEL_EMAIL);
  entry->set_direction(pv1::INTERACTION_DIRECTION_INBOUND);
  *entry->mutable_occur_time() = received.receive_time();
  entry->set_subject(Utf8Cut(email.subject.empty() ? "(no subject)" : email.subject, 200));
  std::string body = Body(email.text, 100000);
  if (!email.attachments.empty()) {
    body += "\n\n";
    for (const auto& attachment : email.attachments) {
      body += fmt::format("[{}, {}]\n", attachment.file_name, SizeText(attachment.content.size()));
    }
  }
  entry->set_body(Utf8Cut(body, 100000));
  entry->set_source_module("messaging");
  // Unique with the module: a repeated run logs nothing twice.
  entry->set_source_reference(fmt::format("inbound/{}", inbound_id));
  pv1::Interaction logged;
  auto partners = pv1::PartnerService::NewStub(services_.channel());
  const auto status =
      partners->LogInteraction(kernel::KernelCallContext(kCallLimit).get(), request, &logged);
  ThrowUnlessRefused(status, fmt::format("logging inbound email {} on the timeline", inbound_id));
  if (!status.ok()) {
    services_.log.warn("inbound email {} not logged on partner {}'s timeline: {}", inbound_id,
                       received.partner_id(), status.error_message());
  }
}

std::int64_t Inbound::CreateLead(std::int64_t inbound_id, const ReceivedEmail& email) {
  cv1::CreateLeadRequest request;
  auto* lead = request.mutable_lead();
  lead->set_title(
      Utf8Cut(email.subject.empty() ? "Email from " + email.from_address : email.subject, 200));
  lead->set_contact_name(Utf8Cut(email.from_name, 200));
  lead->set_email(email.from_address);
  lead->set_message(Body(email.text, 10000));
  lead->set_source(cv1::LEAD_SOURCE_EMAIL);
  // The same email twice makes one lead.
  request.set_request_id(fmt::format("messaging.inbound/{}", inbound_id));
  cv1::Lead created;
  // crm depends on messaging, not the other way round: the call finds it
  // when it is loaded.
  const auto status =
      cv1::LeadService::NewStub(services_.channel())
          ->CreateLead(kernel::KernelCallContext(kCallLimit).get(), request, &created);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    services_.log.warn("inbound email {}: crm is not loaded, so no lead for its unknown sender",
                       inbound_id);
    return 0;
  }
  ThrowUnlessRefused(status, fmt::format("creating a lead for inbound email {}", inbound_id));
  if (!status.ok()) {
    services_.log.warn("inbound email {}: crm refused the lead: {}", inbound_id,
                       status.error_message());
    return 0;
  }
  return created.id();
}

void Inbound::Process(const kernel::JobRun& run) {
  const std::int64_t id = std::stoll(run.payload);
  std::optional<repository::StoredInbound> stored;
  {
    auto lease = services_.database.Acquire();
    stored = repository::FindInbound(lease.Session(), id, false);
  }
  if (!stored || stored->processed) return;  // a repeated run of a finished job

  v1::InboundEmail received;
  received.set_id(id);
  std::string problem;
  auto parsed = ParseEmail(stored->raw, problem);
  if (!parsed) {
    services_.log.warn("inbound email {} is not readable: {}", id, problem);
    parsed.emplace();
  }
  const ReceivedEmail& email = *parsed;
  received.set_from_address(email.from_address);
  received.set_from_name(Utf8Cut(email.from_name, 200));
  received.set_subject(Utf8Cut(email.subject, 1000));
  received.set_message_id(email.message_id);
  if (!email.in_reply_to.empty()) received.set_in_reply_to(email.in_reply_to.front());
  received.set_thread_id(email.ThreadId());
  received.set_text(Body(email.text, 100000));
  received.set_text_excerpt(Utf8Cut(received.text(), 500));
  for (const auto& address : email.to_addresses) received.add_to_addresses(address);
  for (const auto& address : email.cc_addresses) received.add_cc_addresses(address);
  *received.mutable_receive_time() = TimeUtil::MicrosecondsToTimestamp(
      kernel::ToEpochMicros(email.date.value_or(stored->receive_time)));

  if (email.is_delivery_report) {
    received.set_kind(v1::INBOUND_KIND_BOUNCE);
  } else {
    std::string related_key;
    received.set_related_message_id(RelatedMessage(email, related_key));
    received.set_related_message_key(related_key);
    // Email sent by a program (an out-of-office reply) is routed nowhere:
    // it must not open or reopen anything.
    if (settings_ && !email.automatic) {
      received.set_route(RouteOf(settings_->routes, email.to_addresses, email.cc_addresses));
    }
    const Sender sender = FindSender(email.from_address);
    received.set_partner_id(sender.partner_id);
    received.set_contact_id(sender.contact_id);
    if (sender.partner_id != 0) {
      received.set_kind(v1::INBOUND_KIND_KNOWN_SENDER);
      FileOnPartner(id, email, received);
    } else if (!received.route().empty()) {
      // The route's module takes it (the helpdesk: a ticket), not crm.
      received.set_kind(v1::INBOUND_KIND_UNKNOWN_SENDER_ROUTED);
    } else if (settings_ && settings_->unknown_sender == UnknownSender::kLead && !email.automatic &&
               LooksLikeEmail(email.from_address)) {
      received.set_lead_id(CreateLead(id, email));
      received.set_kind(received.lead_id() != 0 ? v1::INBOUND_KIND_UNKNOWN_SENDER_LEAD
                                                : v1::INBOUND_KIND_UNKNOWN_SENDER_IGNORED);
    } else {
      received.set_kind(v1::INBOUND_KIND_UNKNOWN_SENDER_IGNORED);
    }
  }
  Finish(email, received);
}

void Inbound::Finish(const ReceivedEmail& email, v1::InboundEmail& received) {
  const kernel::Caller system = kernel::Caller::Internal();
  auto lease = services_.database.Acquire();
  soci::transaction transaction(lease.Session());
  const auto locked = repository::FindInbound(lease.Session(), received.id(), true);
  if (!locked || locked->processed) return;  // another run finished it meanwhile
  for (const DeliveryReport& report : email.delivery_reports) {
    const auto message_id =
        repository::MessageIdByHeader(lease.Session(), report.original_message_id);
    if (!message_id) continue;  // not about an email Karton sent
    received.set_related_message_id(*message_id);
    received.set_bounce_status(report.status);
    received.set_bounce_diagnostic(Utf8Cut(report.diagnostic, 1000));
    if (!report.Failed()) continue;  // delayed, relayed, delivered: news, not a bounce
    if (repository::MarkBounced(lease.Session(), *message_id, ReportText(report))) {
      const auto message = *repository::FindMessage(lease.Session(), *message_id, false);
      services_.events.Publish(lease.Session(), "messaging.message.bounced", *message_id, message,
                               system);
      services_.audit.Record(lease.Session(), system, kernel::AuditAction::kUpdate,
                             "messaging.message", *message_id,
                             {kernel::FieldChange::Of("status", "sent", "bounced")});
      if (report.Hard()) {
        // The address the report names, else the one the message went to.
        const std::string address =
            LooksLikeEmail(report.recipient) ? report.recipient : LowerAscii(message.address());
        v1::Suppression suppression;
        suppression.set_channel(v1::CHANNEL_EMAIL);
        suppression.set_address(address);
        suppression.set_source(v1::SUPPRESSION_SOURCE_BOUNCE);
        suppression.set_reason(ReportText(report));
        suppression.set_message_id(*message_id);
        RecordOptOut(services_.clock, services_.audit, services_.events, lease.Session(),
                     suppression, system);
      }
    }
  }
  repository::MarkInboundProcessed(lease.Session(), received, services_.clock.Now());
  services_.events.Publish(lease.Session(), "messaging.email.received", received.id(), received,
                           system);
  services_.audit.Record(
      lease.Session(), system, kernel::AuditAction::kCreate, kInboundResource, received.id(),
      {kernel::FieldChange::Created("kind", v1::InboundKind_Name(received.kind())),
       kernel::FieldChange::Created("from_address", received.from_address())});
  transaction.commit();
}

}  // namespace karton::messaging
