// The durable jobs that deliver queued messages, one job per message:
// "deliver_email" (SMTP), "deliver_sms" (the provider's HTTP API) and
// "deliver_letter" (a PDF stored on the partner, ready for the print batch).
//
// Crash safety: a message is marked SENDING (committed) before it leaves
// and SENT (committed, with its event) after the receiving side confirmed
// it. A crash in between leaves it SENDING; the job runs again once its
// claim expires and hands the message over again, with the same Message-ID
// or Idempotency-Key, so the receiver can recognise the repeat. That is the
// only window for a duplicate (docs/messaging.md).
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consent/unsubscribe_token.h"
#include "delivery/email_delivery.h"
#include "delivery/rate_limiter.h"
#include "delivery/sms_delivery.h"
#include "karton/kernel/access.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/message.pb.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::messaging {

inline constexpr const char* kDeliverEmailJob = "deliver_email";
inline constexpr const char* kDeliverSmsJob = "deliver_sms";
inline constexpr const char* kDeliverLetterJob = "deliver_letter";
// Attempts at one message; the backoff doubles from 1 s: about 68 minutes in all.
inline constexpr int kDeliveryAttempts = 12;

// Stores `content` as a document on record (`resource_type`, `resource_id`),
// as kartond itself (delivery and inbound email are the system's doing).
grpc::Status StoreDocument(const kernel::ChannelSource& channel, const std::string& resource_type,
                           std::int64_t resource_id, const std::string& name,
                           const std::string& content_type, const std::string& content,
                           partners::v1::Document& stored);

// The job kind that delivers messages of `channel`.
const char* DeliveryJobFor(v1::Channel channel);

// How letters look: the sender block (top left) and the place on the date line.
struct LetterSettings {
  std::string sender;  // lines separated by '\n'
  std::string place;   // "Budapest", or empty
};

// What the module was configured with; a channel without settings refuses
// messages up front (SendMessage) and fails jobs queued while it was on.
struct ChannelSettings {
  std::optional<SmtpSettings> smtp;
  std::optional<SmsSettings> sms;
  LetterSettings letter;
  double email_per_second = 0;
  double sms_per_second = 0;
  // The most an email's attachments may hold together.
  std::int64_t attachments_max_bytes = 10 << 20;
  // messaging.marketing_requires_opt_in: marketing goes only to people with
  // a granted consent for the channel (docs/messaging.md, "Consent").
  bool marketing_requires_opt_in = true;
};

// The unsubscribe link of a marketing message: <public URL>/u/<token>.
std::string UnsubscribeUrl(const std::string& public_url, const UnsubscribeTokens& tokens,
                           std::int64_t message_id);

class Delivery {
 public:
  Delivery(kernel::ServiceParts services, const ChannelSettings& settings,
           const UnsubscribeTokens& tokens);

  // The handler of all three job kinds: one attempt at message
  // `run.payload`. Throws to have the kernel retry later (temporary
  // failures); returns when the message is final.
  void Run(const kernel::JobRun& run);
  // Email's handler: up to kEmailBatch messages at once. Their consent is
  // read in one batch call and SENDING is committed for all of them in one
  // transaction; then each goes out over a pooled SMTP connection and its
  // outcome is committed at once, so the duplicate window stays one
  // message per job worker (docs/messaging.md). A temporary failure fails
  // only its own run.
  void RunBatch(const std::vector<kernel::JobRun>& runs, std::vector<std::string>& failures);
  // Emails claimed and delivered together (RunBatch).
  static constexpr int kEmailBatch = 20;

 private:
  // Under the opt-in rule, why each marketing message of `ids` may not go
  // out now (MissingMarketingConsent, asked of the partners module as the
  // system in one batch); "" when it may or is no marketing. When partners
  // cannot answer for message i, failures[i] says so (it is tried later).
  std::vector<std::string> MissingConsentNow(const std::vector<std::int64_t>& ids,
                                             std::vector<std::string>& failures);
  // Commits what became of message `id` (SENT or FAILED with its event, or
  // the attempt's error); the run's failure text when it is to be retried.
  std::string RecordOutcome(std::int64_t id, int attempt, const DeliveryOutcome& outcome);
  DeliveryOutcome HandOverEmail(const v1::Message& message);
  // Stores each attachment not stored yet as a document and gives all of
  // them, with their bytes, for the email. kSent when every one is stored.
  DeliveryOutcome FileAttachments(const v1::Message& message, std::vector<MailAttachment>& files);
  DeliveryOutcome HandOverSms(const v1::Message& message);
  // Renders the PDF and stores it on the partner (A4).
  DeliveryOutcome StoreLetter(const v1::Message& message);

  const kernel::ServiceParts services_;
  const ChannelSettings& settings_;
  const UnsubscribeTokens& tokens_;
  std::optional<SmtpSender> smtp_;
  RateLimiter email_rate_;
  RateLimiter sms_rate_;
};

}  // namespace karton::messaging
