// Email out through SMTP: the MIME message and its delivery with libcurl.
#pragma once

#include <chrono>
#include <string>

#include "delivery_outcome.h"

namespace karton::messaging {

struct SmtpSettings {
  // smtp://[user:password@]host:port (STARTTLS when the server offers it)
  // or smtps://... (TLS from the first byte): kartond's --smtp-url.
  std::string url;
  // "Name <address>" or "address": kartond's --mail-from.
  std::string from;
  std::chrono::seconds timeout{60};
};

struct Email {
  std::string to;
  std::string subject;
  std::string text_body;
  std::string html_body;   // empty: a text/plain message
  std::string message_id;  // without angle brackets
  // Set on marketing mail: the opt-out URL for List-Unsubscribe.
  std::string unsubscribe_url;
};

// The whole message as sent after DATA: headers (UTF-8 subjects and names as
// RFC 2047 encoded words) and base64 bodies, CRLF line ends. `date` is the
// Date header's time.
std::string BuildMime(const Email& email, const std::string& from,
                      std::chrono::system_clock::time_point date);

// The address part of "Name <address>" (or the text itself).
std::string AddressOf(const std::string& mailbox);

// Hands `mime` to the SMTP server for `to`. A 5xx reply is permanent; a 4xx
// reply, a refused connection or a timeout is temporary (try again later).
DeliveryOutcome SendEmail(const SmtpSettings& settings, const std::string& to,
                          const std::string& mime);

}  // namespace karton::messaging
