#include "delivery/delivery_job.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <vector>

#include "addresses.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/transaction.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "letters/letters.h"
#include "message_repository.h"
#include "recipient.h"

namespace karton::messaging {
namespace {

namespace pv1 = partners::v1;

kernel::TimePoint TimeOf(const google::protobuf::Timestamp& timestamp) {
  return kernel::TimePoint(std::chrono::microseconds(
      google::protobuf::util::TimeUtil::TimestampToMicroseconds(timestamp)));
}

// A failed call to another module: worth retrying unless the request itself
// was refused.
DeliveryOutcome OutcomeOf(const grpc::Status& status, const std::string& what) {
  const std::string detail = fmt::format("{}: {}", what, status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
      return DeliveryOutcome::Permanent(detail);
    default:
      return DeliveryOutcome::Temporary(detail);
  }
}

}  // namespace

grpc::Status StoreDocument(const kernel::ChannelSource& channel, const std::string& resource_type,
                           std::int64_t resource_id, const std::string& name,
                           const std::string& content_type, const std::string& content,
                           pv1::Document& stored) {
  // A document of 20 MiB goes in 20 chunks: plenty of time for that.
  constexpr auto kUploadLimit = std::chrono::seconds(60);
  auto partners = pv1::PartnerService::NewStub(channel());
  auto call = kernel::KernelCallContext(kUploadLimit);
  auto upload = partners->UploadDocument(call.get(), &stored);
  pv1::UploadDocumentRequest part;
  auto* document = part.mutable_document();
  document->set_resource_type(resource_type);
  document->set_resource_id(resource_id);
  document->set_name(name);
  document->set_content_type(content_type);
  bool written = upload->Write(part);
  constexpr std::size_t kChunk = 1 << 20;
  for (std::size_t at = 0; written && at < content.size(); at += kChunk) {
    part.Clear();
    part.set_chunk(content.substr(at, kChunk));
    written = upload->Write(part);
  }
  upload->WritesDone();
  return upload->Finish();
}

const char* DeliveryJobFor(v1::Channel channel) {
  switch (channel) {
    case v1::CHANNEL_SMS:
      return kDeliverSmsJob;
    case v1::CHANNEL_LETTER:
      return kDeliverLetterJob;
    default:
      return kDeliverEmailJob;
  }
}

std::string UnsubscribeUrl(const std::string& public_url, const UnsubscribeTokens& tokens,
                           std::int64_t message_id) {
  return fmt::format("{}/u/{}", public_url, tokens.Sign(message_id));
}

Delivery::Delivery(kernel::ServiceParts services, const ChannelSettings& settings,
                   const UnsubscribeTokens& tokens)
    : services_(std::move(services)),
      settings_(settings),
      tokens_(tokens),
      email_rate_(settings.email_per_second),
      sms_rate_(settings.sms_per_second) {
  if (settings.smtp) smtp_.emplace(*settings.smtp);
}

std::vector<std::string> Delivery::MissingConsentNow(const std::vector<std::int64_t>& ids,
                                                     std::vector<std::string>& failures) {
  std::vector<std::string> reasons(ids.size());
  if (!settings_.marketing_requires_opt_in) return reasons;
  // One statement for the batch; most batches hold no marketing at all.
  const auto messages = [&] {
    auto lease = services_.database.Acquire();
    return repository::FindMessages(lease.Session(), ids);
  }();
  std::vector<std::size_t> asked;
  std::vector<v1::Recipient> recipients;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto found = messages.find(ids[i]);
    if (found == messages.end()) continue;
    const v1::Message* message = &found->second;
    if (message->category() != v1::CATEGORY_MARKETING) continue;
    if (message->status() != v1::MESSAGE_STATUS_QUEUED &&
        message->status() != v1::MESSAGE_STATUS_SENDING) {
      continue;
    }
    if (message->recipient().partner_id() == 0 && message->recipient().contact_id() == 0) {
      reasons[i] = MissingMarketingConsent(ResolvedRecipient{}, message->channel());
      continue;
    }
    v1::Recipient recipient;
    recipient.set_partner_id(message->recipient().partner_id());
    recipient.set_contact_id(message->recipient().contact_id());
    asked.push_back(i);
    recipients.push_back(std::move(recipient));
  }
  std::vector<const v1::Recipient*> pointers;
  for (const auto& recipient : recipients) pointers.push_back(&recipient);
  // Asked as the system, of the partners module, before a connection is
  // held here.
  const auto resolved = ResolveRecipients(services_.channel, nullptr, pointers);
  for (std::size_t n = 0; n < asked.size(); ++n) {
    const std::size_t i = asked[n];
    if (!resolved[n].status.ok()) {
      const auto code = resolved[n].status.error_code();
      if (code != grpc::StatusCode::INVALID_ARGUMENT && code != grpc::StatusCode::NOT_FOUND) {
        // The partners module did not answer: this run is tried again later.
        failures[i] = "reading the recipient's consent: " + resolved[n].status.error_message();
      } else {
        reasons[i] = fmt::format("no marketing consent: the recipient is gone ({})",
                                 resolved[n].status.error_message());
      }
      continue;
    }
    reasons[i] = MissingMarketingConsent(resolved[n], messages.at(ids[i]).channel());
  }
  return reasons;
}

void Delivery::Run(const kernel::JobRun& run) {
  std::vector<std::string> failures(1);
  RunBatch({run}, failures);
  if (!failures[0].empty()) throw std::runtime_error(failures[0]);
}

void Delivery::RunBatch(const std::vector<kernel::JobRun>& runs,
                        std::vector<std::string>& failures) {
  const std::size_t count = runs.size();
  std::vector<std::int64_t> ids(count);
  for (std::size_t i = 0; i < count; ++i) {
    ids[i] = std::stoll(runs[i].payload);
    // Pace before SENDING is committed, so the window for a duplicate stays
    // as short as the hand-over itself.
    if (runs[i].kind == kDeliverEmailJob) email_rate_.Acquire();
    if (runs[i].kind == kDeliverSmsJob) sms_rate_.Acquire();
  }
  const kernel::Caller system = kernel::Caller::Internal();  // the delivery is the system's doing
  // A consent may have been withdrawn while the message waited.
  const std::vector<std::string> no_consent = MissingConsentNow(ids, failures);
  std::vector<std::optional<v1::Message>> to_send(count);
  {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    // The batch is read, checked against the suppression list and marked
    // SENDING in three round trips whatever its size.
    kernel::Transaction transaction(session);
    const auto suppress = [&](std::int64_t id, const std::string& why) {
      repository::MarkSuppressed(session, id, why);
      services_.events.Publish(session, "messaging.message.suppressed", id,
                               *repository::FindMessage(session, id, false), system);
    };
    std::vector<std::int64_t> wanted;
    for (std::size_t i = 0; i < count; ++i) {
      if (failures[i].empty()) wanted.push_back(ids[i]);
    }
    const auto found = repository::FindMessagesLocked(session, wanted);
    std::vector<const v1::Message*> checked;
    for (const auto& [id, message] : found) checked.push_back(&message);
    const auto listed = repository::SuppressionsListedFor(session, checked);
    std::vector<std::int64_t> sending;
    for (std::size_t i = 0; i < count; ++i) {
      if (!failures[i].empty()) continue;
      const auto message = found.find(ids[i]);
      if (message == found.end()) continue;  // deleted meanwhile: nothing to send
      const auto status = message->second.status();
      if (status == v1::MESSAGE_STATUS_SENT || status == v1::MESSAGE_STATUS_FAILED ||
          status == v1::MESSAGE_STATUS_SUPPRESSED) {
        continue;  // a repeated run of a finished job
      }
      if (std::find(sending.begin(), sending.end(), ids[i]) != sending.end()) {
        continue;  // the same message twice in one batch: sent once
      }
      const bool marketing = message->second.category() == v1::CATEGORY_MARKETING;
      // An opt-out, or a hard bounce, may have arrived while the message
      // waited.
      switch (repository::CheckSuppressionList(message->second, listed)) {
        case repository::SuppressionVerdict::kOptedOut:
          suppress(ids[i], "the recipient opted out");
          continue;
        case repository::SuppressionVerdict::kBouncedHard:
          suppress(ids[i], "mail to this address bounced hard");
          continue;
        case repository::SuppressionVerdict::kGoes:
          break;
      }
      if (marketing && !no_consent[i].empty()) {
        suppress(ids[i], no_consent[i]);
        continue;
      }
      sending.push_back(ids[i]);
      to_send[i] = message->second;
    }
    repository::MarkSending(session, sending);
    transaction.Commit();
  }

  // One after another, each outcome committed as soon as it is known: a
  // crash then leaves at most the message in hand confirmed but not marked
  // SENT (the only duplicate window, as with one message per job).
  for (std::size_t i = 0; i < count; ++i) {
    if (!to_send[i]) continue;
    DeliveryOutcome outcome;
    switch (to_send[i]->channel()) {
      case v1::CHANNEL_EMAIL:
        outcome = HandOverEmail(*to_send[i]);
        break;
      case v1::CHANNEL_SMS:
        outcome = HandOverSms(*to_send[i]);
        break;
      case v1::CHANNEL_LETTER:
        outcome = StoreLetter(*to_send[i]);
        break;
      default:
        outcome = DeliveryOutcome::Permanent("the message has no channel");
    }
    failures[i] = RecordOutcome(ids[i], runs[i].attempt, outcome);
  }
}

std::string Delivery::RecordOutcome(std::int64_t id, int attempt, const DeliveryOutcome& outcome) {
  const kernel::Caller system = kernel::Caller::Internal();
  auto lease = services_.database.Acquire();
  soci::session& session = lease.Session();
  // Its event and audit go out with the COMMIT, in one round trip.
  kernel::Transaction transaction(session);
  const auto publish = [&](const char* topic) {
    if (const auto message = repository::FindMessage(session, id, false)) {
      services_.events.Publish(session, topic, id, *message, system);
    }
  };
  switch (outcome.kind) {
    case DeliveryOutcome::Kind::kSent:
      // The UPDATE answers with the message, the event's payload: no read.
      if (const auto sent =
              repository::MarkSent(session, id, services_.clock.Now(), outcome.provider_message_id,
                                   outcome.document_id)) {
        services_.events.Publish(session, "messaging.message.sent", id, *sent, system);
      }
      transaction.Commit();
      return "";
    case DeliveryOutcome::Kind::kPermanentFailure:
      repository::MarkFailed(session, id, outcome.detail);
      publish("messaging.message.failed");
      transaction.Commit();
      // The address stays out of the log (it is personal data); the
      // server's answer, which may quote it, is the message's last_error.
      services_.log.warn("message {} failed for good; its last_error says why", id);
      return "";
    case DeliveryOutcome::Kind::kTemporaryFailure:
      break;
  }
  if (attempt >= kDeliveryAttempts) {
    repository::MarkFailed(session, id,
                           fmt::format("gave up after {} attempts: {}", attempt, outcome.detail));
    publish("messaging.message.failed");
    transaction.Commit();
    return "";
  }
  repository::RecordAttemptError(session, id, outcome.detail);
  transaction.Commit();
  // The kernel retries this run with backoff (1 s, 2 s, 4 s, ...).
  return fmt::format("message {}: temporary failure, will retry: {}", id, outcome.detail);
}

DeliveryOutcome Delivery::FileAttachments(const v1::Message& message,
                                          std::vector<MailAttachment>& files) {
  std::vector<repository::StoredAttachment> attachments;
  {
    auto lease = services_.database.Acquire();
    attachments = repository::AttachmentsOf(lease.RawConnection(), message.id());
  }
  // On the partner when there is one, as letters are (the partner's
  // documents, erased with the partner); else on the message itself.
  const bool on_partner = message.recipient().partner_id() != 0;
  const std::string resource_type = on_partner ? "partners.partner" : "messaging.message";
  const std::int64_t resource_id = on_partner ? message.recipient().partner_id() : message.id();
  for (auto& attachment : attachments) {
    if (!attachment.content) {
      // Only a final message loses its bytes; this one is not final.
      return DeliveryOutcome::Permanent(
          fmt::format("attachment {} has no content left to send", attachment.position + 1));
    }
    if (attachment.document_id == 0) {
      // Each is recorded as soon as it is stored, so a run that dies here
      // stores again only the one it was at (a second version of it).
      pv1::Document stored;
      const grpc::Status status =
          StoreDocument(services_.channel, resource_type, resource_id, attachment.file_name,
                        attachment.media_type, *attachment.content, stored);
      if (!status.ok()) {
        return OutcomeOf(status, fmt::format("storing attachment {} as a document of {} {}",
                                             attachment.position + 1, resource_type, resource_id));
      }
      auto lease = services_.database.Acquire();
      repository::SetAttachmentDocument(lease.Session(), message.id(), attachment.position,
                                        stored.id(), resource_type);
    }
    files.push_back({.file_name = std::move(attachment.file_name),
                     .media_type = std::move(attachment.media_type),
                     .content = std::move(*attachment.content)});
  }
  return {};
}

DeliveryOutcome Delivery::HandOverEmail(const v1::Message& message) {
  if (!smtp_) {
    return DeliveryOutcome::Temporary("email is not configured on this server (--smtp-url)");
  }
  Email email{.to = message.address(),
              .subject = message.subject(),
              .text_body = message.text_body(),
              .html_body = message.html_body(),
              .message_id = message.provider_message_id(),
              .unsubscribe_url = "",
              .cc = {message.cc().begin(), message.cc().end()},
              .reply_to = message.reply_to(),
              .attachments = {},
              .calendar_method = message.calendar_method()};
  if (message.category() == v1::CATEGORY_MARKETING) {
    email.unsubscribe_url = UnsubscribeUrl(services_.public_url(), tokens_, message.id());
  }
  // The attachments are documents before the email leaves: a SENT message
  // has every one of them kept.
  if (message.attachments_size() > 0) {
    if (auto filed = FileAttachments(message, email.attachments);
        filed.kind != DeliveryOutcome::Kind::kSent) {
      return filed;
    }
  }
  const std::string mime = BuildMime(email, settings_.smtp->from, services_.clock.Now());
  return smtp_->Send(EnvelopeRecipients(email), mime);
}

DeliveryOutcome Delivery::HandOverSms(const v1::Message& message) {
  if (!settings_.sms) {
    return DeliveryOutcome::Temporary("SMS is not configured on this server (messaging.sms_url)");
  }
  return SendSms(*settings_.sms, message.address(), message.text_body(), message.id());
}

DeliveryOutcome Delivery::StoreLetter(const v1::Message& message) {
  const Letter letter{.sender = settings_.letter.sender,
                      .recipient = message.address(),
                      .place_date = LetterDate(TimeOf(message.create_time()), message.language(),
                                               settings_.letter.place),
                      .subject = message.subject(),
                      .body = message.text_body()};
  const std::string pdf = RenderLetterPdf(letter);

  // The PDF goes where documents live (A4): on the partner, as the system.
  pv1::Document stored;
  const grpc::Status status =
      StoreDocument(services_.channel, "partners.partner", message.recipient().partner_id(),
                    fmt::format("letter-{}.pdf", message.id()), "application/pdf", pdf, stored);
  if (!status.ok()) return OutcomeOf(status, "storing the letter's PDF on the partner");
  DeliveryOutcome sent;
  sent.detail = fmt::format("PDF stored as document {}", stored.id());
  sent.document_id = stored.id();
  return sent;
}

}  // namespace karton::messaging
