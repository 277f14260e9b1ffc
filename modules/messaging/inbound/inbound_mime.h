// Reading received email (docs/messaging.md, "Inbound email"): the MIME
// structure, encoded words, charsets and transfer encodings are GMime's
// work; this file only picks out what messaging needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/clock.h"

namespace karton::messaging {

// Makes sure GMime is initialised (once per process); ParseEmail needs one
// made before it runs (the module holds one).
class GMimeLibrary {
 public:
  GMimeLibrary();
  ~GMimeLibrary();
  GMimeLibrary(const GMimeLibrary&) = delete;
  GMimeLibrary& operator=(const GMimeLibrary&) = delete;
};

struct ReceivedAttachment {
  std::string file_name;   // as the sender named it (decoded), or "attachment-<n>"
  std::string media_type;  // type/subtype in lower case
  std::string content;     // decoded bytes
};

// One recipient's part of a delivery status notification (RFC 3464).
struct DeliveryReport {
  std::string recipient;  // Final-Recipient (else Original-Recipient), lower case
  std::string action;     // failed, delayed, delivered, relayed, expanded
  std::string status;     // "5.1.1"
  std::string diagnostic;
  // The Message-ID of the email it reports on: Original-Message-ID, else
  // the Message-ID of the returned message or headers; no angle brackets.
  std::string original_message_id;

  // The message did not arrive and will not (action failed).
  bool Failed() const { return action == "failed"; }
  // Permanently: status 5.x.x. A failed 4.x.x is a soft bounce.
  bool Hard() const { return Failed() && !status.empty() && status[0] == '5'; }
};

struct ReceivedEmail {
  std::string message_id;    // without angle brackets; empty when missing
  std::string from_address;  // lower case; empty when there is no mailbox in From
  std::string from_name;
  // The To and Cc mailboxes (members of groups included), lower case, in
  // header order.
  std::vector<std::string> to_addresses;
  std::vector<std::string> cc_addresses;
  std::string subject;  // decoded to UTF-8
  std::optional<kernel::TimePoint> date;
  // Message ids without angle brackets, in header order.
  std::vector<std::string> in_reply_to;
  std::vector<std::string> references;
  // The first text/plain part that is not an attachment (UTF-8); when
  // there is none, the first text/html part's text with its tags removed.
  std::string text;
  std::vector<ReceivedAttachment> attachments;
  // Set for multipart/report; report-type=delivery-status: one report per
  // recipient named in it.
  std::vector<DeliveryReport> delivery_reports;
  bool is_delivery_report = false;
  // Sent by a program, not a person: Auto-Submitted other than "no"
  // (RFC 3834: out-of-office replies, non-standard bounces), or From a
  // mailer-daemon or postmaster. Never made a lead.
  bool automatic = false;

  // The conversation: the first of References, else the first of
  // In-Reply-To, else message_id.
  std::string ThreadId() const;
};

// nullopt with `problem` set when `raw` is not an email GMime can read.
std::optional<ReceivedEmail> ParseEmail(std::string_view raw, std::string& problem);

// At most `bytes` bytes, cut between whole UTF-8 characters.
std::string Utf8Cut(const std::string& text, std::size_t bytes);

}  // namespace karton::messaging
