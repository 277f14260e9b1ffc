// Email out through SMTP: the MIME message and its delivery with libcurl.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "delivery/delivery_outcome.h"

namespace karton::messaging {

struct SmtpSettings {
  // smtp://host:port (STARTTLS when the server offers it) or smtps://...
  // (TLS from the first byte): kartond's --smtp-url without its user-info.
  std::string url;
  // From --smtp-url's user-info; the password may instead come from
  // --smtp-password-file. With a user set, an smtp:// session must turn to
  // TLS (STARTTLS) before it logs in, or nothing is sent: credentials never
  // cross the network in clear text.
  std::string username;
  std::string password;
  // "Name <address>" or "address": kartond's --mail-from.
  std::string from;
  std::chrono::seconds timeout{60};
};

// A file sent along: its name as the recipient sees it (any UTF-8), its
// media type (type/subtype, checked by SendMessage) and its bytes.
struct MailAttachment {
  std::string file_name;
  std::string media_type;
  std::string content;
};

struct Email {
  std::string to;
  std::string subject;
  std::string text_body;
  std::string html_body;   // empty: a text/plain message
  std::string message_id;  // without angle brackets
  // Set on marketing mail: the opt-out URL for List-Unsubscribe.
  std::string unsubscribe_url;
  std::vector<std::string> cc;
  std::string reply_to;  // empty: no Reply-To header
  std::vector<MailAttachment> attachments;
  // A calendar invitation's iTIP method ("REQUEST", "CANCEL", ...): the
  // text/calendar attachment is also the body's last alternative, both
  // typed `text/calendar; method=<method>; charset=UTF-8` (RFC 6047).
  std::string calendar_method;
};

// The whole message as sent after DATA: headers (UTF-8 subjects and names as
// RFC 2047 encoded words) and base64 bodies, CRLF line ends. `date` is the
// Date header's time. With attachments it is multipart/mixed: the text (or
// the text and HTML alternative) first, then each file in base64 with
// Content-Disposition: attachment and its name per RFC 2231. A calendar
// invitation's body is multipart/alternative: the text (and HTML), then the
// text/calendar attachment's content with the method parameter.
std::string BuildMime(const Email& email, const std::string& from,
                      std::chrono::system_clock::time_point date);

// Whom the envelope goes to: To, then each Cc, every address once (compared
// without regard to case).
std::vector<std::string> EnvelopeRecipients(const Email& email);

// A MIME parameter (RFC 2045/2231): `name="value"` for plain ASCII file
// names, otherwise `name*=UTF-8''<percent-encoded>`, split into numbered
// sections (`name*0*=...; name*1*=...`) on folded lines when long.
std::string MimeParameter(const std::string& name, const std::string& value);

// The address part of "Name <address>" (or the text itself).
std::string AddressOf(const std::string& mailbox);

// Hands messages to one SMTP server. Connections stay open between messages
// (one per job thread sending at the time, pooled here): a message then
// costs one MAIL, RCPT and DATA exchange instead of a TCP connect, EHLO,
// STARTTLS and QUIT, and the window between the server's acceptance and
// our commit of SENT shrinks to that commit (no QUIT round trip in it).
// A connection that failed in any way is dropped, so the next message
// starts on a fresh one.
class SmtpSender {
 public:
  explicit SmtpSender(SmtpSettings settings);
  ~SmtpSender();
  SmtpSender(const SmtpSender&) = delete;
  SmtpSender& operator=(const SmtpSender&) = delete;

  // Hands `mime` over for `recipients` (the envelope's RCPT TO), all or
  // nothing: a recipient the server refuses fails the whole message, so
  // no one gets a copy that the message's status does not account for. A
  // 5xx reply is permanent; a 4xx reply, a refused connection or a timeout
  // is temporary (try again later).
  DeliveryOutcome Send(const std::vector<std::string>& recipients, const std::string& mime);

 private:
  struct Connection;
  std::unique_ptr<Connection> Borrow();
  void GiveBack(std::unique_ptr<Connection> connection);

  SmtpSettings settings_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace karton::messaging
