// Inbound email (docs/messaging.md, "Inbound email"): a durable recurring
// job polls the mailbox over IMAP and records each new email once; a job per
// email then reads it (GMime) and files it: a partner's or contact's email
// on their timeline with its attachments as documents, a reply linked to the
// message it answers, an unknown sender as a crm lead (or not at all), and a
// delivery status notification as a bounce of the message it reports on.
//
// Once only: an email is a row keyed by its Message-ID (else by mailbox,
// UIDVALIDITY and UID) inserted together with its processing job and the
// mailbox's UID cursor, so a second poll, a restart or a second kartond
// skips it. Processing ends in one transaction that marks the row processed
// and publishes messaging.email.received; its calls to other modules before
// that are idempotent (timeline entries by source reference, leads by
// request id, documents recorded one by one), so a repeated run adds nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "inbound/imap_mailbox.h"
#include "inbound/inbound_mime.h"
#include "inbound/inbound_routes.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/module.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/message.pb.h"

namespace karton::messaging {

inline constexpr const char* kPollMailboxJob = "poll_mailbox";
inline constexpr const char* kProcessInboundJob = "process_inbound_email";

enum class UnknownSender { kLead, kIgnore };

struct InboundSettings {
  ImapSettings imap;
  int poll_seconds = 60;
  UnknownSender unknown_sender = UnknownSender::kLead;
  // messaging.inbound_routes: addresses whose email another module takes.
  std::vector<InboundRoute> routes;
  // messaging.inbound_max_mib: a message larger than this is not
  // downloaded; it is recorded as skipped, with its size, and left unread
  // in the mailbox.
  int max_mib = 25;
  std::uint64_t MaxBytes() const { return static_cast<std::uint64_t>(max_mib) * 1024 * 1024; }

  // "every 60s": the poll job's recurrence.
  std::string Recurrence() const { return "every " + std::to_string(poll_seconds) + "s"; }
};

// messaging.imap_url and its companions; nullopt when no mailbox is set.
// Throws std::invalid_argument naming the bad option.
std::optional<InboundSettings> ReadInboundSettings(kernel::ModuleContext& context);

class Inbound {
 public:
  Inbound(kernel::ServiceParts services, const std::optional<InboundSettings>& settings);

  static void DeclareTopics(kernel::DomainEvents& events);
  // Start(): the recurring poll of the configured mailbox, once across all
  // kartond on the database.
  void SchedulePolling(soci::session& session);

  // The job handlers.
  void Poll(const kernel::JobRun& run);
  void Process(const kernel::JobRun& run);

 private:
  struct Sender {
    std::int64_t partner_id = 0;
    std::int64_t contact_id = 0;
  };
  // A message over the size cap: recorded as skipped, with the reason, and
  // the cursor moved past it, in one transaction; logged.
  void SkipOversized(const std::string& mailbox_name, std::uint64_t uid_validity, std::uint64_t uid,
                     std::uint64_t size);
  Sender FindSender(const std::string& address);
  // The sent message the email answers and its idempotency key.
  std::int64_t RelatedMessage(const ReceivedEmail& email, std::string& key);
  void FileOnPartner(std::int64_t inbound_id, const ReceivedEmail& email,
                     v1::InboundEmail& received);
  // The lead's id; 0 when crm is not loaded.
  std::int64_t CreateLead(std::int64_t inbound_id, const ReceivedEmail& email);
  // Bounces, suppressions, the row and its event: one transaction.
  void Finish(const ReceivedEmail& email, v1::InboundEmail& received);

  const kernel::ServiceParts services_;
  const std::optional<InboundSettings>& settings_;
  GMimeLibrary gmime_;
};

}  // namespace karton::messaging
