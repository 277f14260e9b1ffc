#include "delivery/email_delivery.h"

#include <curl/curl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace karton::messaging {
namespace {

constexpr const char* kCrlf = "\r\n";

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80 && c != '\r' && c != '\n';
  });
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// RFC 2047 encoded words of at most 75 characters, split between whole UTF-8
// characters; ASCII text without line breaks goes as it is.
std::string EncodedWords(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + 45);  // 45 bytes -> 60 base64 characters
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

// Base64 in lines of 76 characters, as MIME wants.
std::string Base64Lines(std::string_view bytes) {
  const std::string encoded = Base64(bytes);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 76) {
    out += encoded.substr(i, 76);
    out += kCrlf;
  }
  return out;
}

std::string Mailbox(const std::string& mailbox) {
  const auto open = mailbox.rfind('<');
  if (open == std::string::npos || open == 0) return mailbox;
  std::string name = mailbox.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  return fmt::format("{} {}", IsAscii(name) ? fmt::format("\"{}\"", name) : EncodedWords(name),
                     mailbox.substr(open));
}

// Lower-case ASCII: addresses compare without regard to case.
std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// Characters a MIME parameter value may carry as they are: in a quoted
// string, printable ASCII but '"' and '\\' (which would need escaping)
// and '=' (so "=_", which starts every boundary, never occurs in a part).
bool IsPlainParameter(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '=';
  });
}

// RFC 2231 attribute-char: ASCII letters and digits and !#$&+-.^_`|~;
// everything else is percent-encoded.
bool IsAttributeChar(unsigned char c) {
  return std::isalnum(c) != 0 || (c != 0 && std::strchr("!#$&+-.^_`|~", c) != nullptr);
}

// The invitation a calendar email carries: its text/calendar attachment.
const MailAttachment* CalendarOf(const Email& email) {
  if (email.calendar_method.empty()) return nullptr;
  for (const auto& attachment : email.attachments) {
    if (attachment.media_type == "text/calendar") return &attachment;
  }
  return nullptr;
}

// `text/calendar; method=REQUEST` (the method is an iTIP token: letters).
std::string CalendarType(const Email& email) {
  return fmt::format("text/calendar; method={}", email.calendar_method);
}

// The body: text/plain, or text and HTML (and a calendar invitation) as
// multipart/alternative; its headers, a blank line and its content.
std::string BodyPart(const Email& email, const std::string& boundary) {
  const auto text_part = [&](const std::string& type, const std::string& body) {
    return fmt::format("Content-Type: {}; charset=UTF-8{}Content-Transfer-Encoding: base64{}{}{}",
                       type, kCrlf, kCrlf, kCrlf, Base64Lines(body));
  };
  const MailAttachment* calendar = CalendarOf(email);
  if (email.html_body.empty() && calendar == nullptr) {
    return text_part("text/plain", email.text_body);
  }
  std::string part = fmt::format("Content-Type: multipart/alternative; boundary=\"{}\"{}{}",
                                 boundary, kCrlf, kCrlf);
  part += fmt::format("--{}{}{}", boundary, kCrlf, text_part("text/plain", email.text_body));
  if (!email.html_body.empty()) {
    part += fmt::format("--{}{}{}", boundary, kCrlf, text_part("text/html", email.html_body));
  }
  if (calendar != nullptr) {
    // Last: the richest alternative, the one calendar clients act on.
    part +=
        fmt::format("--{}{}{}", boundary, kCrlf, text_part(CalendarType(email), calendar->content));
  }
  part += fmt::format("--{}--{}", boundary, kCrlf);
  return part;
}

std::string AttachmentPart(const MailAttachment& attachment, const Email& email) {
  const std::string type = &attachment == CalendarOf(email)
                               ? CalendarType(email) + "; charset=UTF-8"
                               : attachment.media_type;
  return fmt::format(
      "Content-Type: {};{} {}{}Content-Disposition: attachment;{} {}{}"
      "Content-Transfer-Encoding: base64{}{}{}",
      type, kCrlf, MimeParameter("name", attachment.file_name), kCrlf, kCrlf,
      MimeParameter("filename", attachment.file_name), kCrlf, kCrlf, kCrlf,
      Base64Lines(attachment.content));
}

struct Upload {
  const std::string& data;
  std::size_t sent = 0;
};

std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data.size() - upload->sent);
  std::memcpy(buffer, upload->data.data() + upload->sent, n);
  upload->sent += n;
  return n;
}

}  // namespace

std::string AddressOf(const std::string& mailbox) {
  const auto open = mailbox.rfind('<');
  const auto close = mailbox.rfind('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return mailbox;
  return mailbox.substr(open + 1, close - open - 1);
}

std::string MimeParameter(const std::string& name, const std::string& value) {
  // Lines of a header stay under 78 characters where they can (RFC 5322).
  constexpr std::size_t kLine = 76;
  if (IsPlainParameter(value) && name.size() + value.size() + 4 <= kLine) {
    return fmt::format("{}=\"{}\"", name, value);
  }
  // Percent-encoded a whole UTF-8 character at a time, so that a section
  // ends between characters: some readers decode each on its own.
  std::vector<std::string> characters;
  for (std::size_t at = 0; at < value.size();) {
    std::size_t end = at + 1;
    while (end < value.size() && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) ++end;
    std::string encoded;
    for (std::size_t i = at; i < end; ++i) {
      const auto c = static_cast<unsigned char>(value[i]);
      encoded +=
          IsAttributeChar(c) ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
    }
    characters.push_back(std::move(encoded));
    at = end;
  }
  const std::string charset = "UTF-8''";
  std::string whole;
  for (const auto& encoded : characters) whole += encoded;
  if (name.size() + 2 + charset.size() + whole.size() + 2 <= kLine) {
    return fmt::format("{}*={}{}", name, charset, whole);
  }
  std::vector<std::string> sections(1, charset);
  for (const auto& encoded : characters) {
    const std::string prefix = fmt::format("{}*{}*=", name, sections.size() - 1);
    if (prefix.size() + sections.back().size() + encoded.size() + 2 > kLine)
      sections.emplace_back();
    sections.back() += encoded;
  }
  std::string out;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    if (i > 0) out += fmt::format(";{} ", kCrlf);
    out += fmt::format("{}*{}*={}", name, i, sections[i]);
  }
  return out;
}

std::vector<std::string> EnvelopeRecipients(const Email& email) {
  std::vector<std::string> recipients{email.to};
  std::vector<std::string> seen{Lower(email.to)};
  for (const std::string& address : email.cc) {
    if (std::find(seen.begin(), seen.end(), Lower(address)) != seen.end()) continue;
    recipients.push_back(address);
    seen.push_back(Lower(address));
  }
  return recipients;
}

std::string BuildMime(const Email& email, const std::string& from,
                      std::chrono::system_clock::time_point date) {
  std::string mime;
  mime += fmt::format("Date: {:%a, %d %b %Y %H:%M:%S} +0000{}",
                      std::chrono::floor<std::chrono::seconds>(date), kCrlf);
  mime += fmt::format("From: {}{}", Mailbox(from), kCrlf);
  mime += fmt::format("To: <{}>{}", email.to, kCrlf);
  if (!email.cc.empty()) {
    // One address a line: many of them would pass the 998 characters a
    // line may have.
    std::string cc;
    for (const auto& address : email.cc) {
      cc += fmt::format("{}<{}>", cc.empty() ? "" : fmt::format(",{} ", kCrlf), address);
    }
    mime += fmt::format("Cc: {}{}", cc, kCrlf);
  }
  if (!email.reply_to.empty()) mime += fmt::format("Reply-To: <{}>{}", email.reply_to, kCrlf);
  mime += fmt::format("Subject: {}{}", EncodedWords(email.subject), kCrlf);
  mime += fmt::format("Message-ID: <{}>{}", email.message_id, kCrlf);
  if (!email.unsubscribe_url.empty()) {
    // RFC 8058: mail clients may offer a one-click opt-out.
    mime += fmt::format("List-Unsubscribe: <{}>{}", email.unsubscribe_url, kCrlf);
    mime += fmt::format("List-Unsubscribe-Post: List-Unsubscribe=One-Click{}", kCrlf);
  }
  mime += fmt::format("MIME-Version: 1.0{}", kCrlf);
  // A boundary must not occur in the parts: every boundary starts with
  // "=_", which base64 never contains, nor any part header (file names
  // with '=' are percent-encoded), and neither boundary is the start of
  // the other. (Message ids are "<hex>@<domain>"; '@' may not be in a
  // boundary.)
  const std::string id = email.message_id.substr(0, email.message_id.find('@'));
  const std::string alternative = "=_karton_" + id;
  if (email.attachments.empty()) return mime + BodyPart(email, alternative);
  const std::string mixed = "=_karton_mixed_" + id;
  mime += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"{}{}", mixed, kCrlf, kCrlf);
  mime += fmt::format("--{}{}{}", mixed, kCrlf, BodyPart(email, alternative));
  for (const auto& attachment : email.attachments) {
    mime += fmt::format("--{}{}{}", mixed, kCrlf, AttachmentPart(attachment, email));
  }
  mime += fmt::format("--{}--{}", mixed, kCrlf);
  return mime;
}

struct SmtpSender::Connection {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle{curl_easy_init(), &curl_easy_cleanup};
};

SmtpSender::SmtpSender(SmtpSettings settings) : settings_(std::move(settings)) {}
SmtpSender::~SmtpSender() = default;

std::unique_ptr<SmtpSender::Connection> SmtpSender::Borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  return std::make_unique<Connection>();
}

void SmtpSender::GiveBack(std::unique_ptr<Connection> connection) {
  // A few spare connections are plenty: one per job worker.
  constexpr std::size_t kMaxIdle = 16;
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

DeliveryOutcome SmtpSender::Send(const std::vector<std::string>& to, const std::string& mime) {
  auto connection = Borrow();
  CURL* curl = connection->handle.get();
  if (curl == nullptr) return DeliveryOutcome::Temporary("libcurl could not start");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(nullptr,
                                                                         &curl_slist_free_all);
  for (const auto& address : to) {
    curl_slist* more = curl_slist_append(recipients.get(), fmt::format("<{}>", address).c_str());
    if (more == nullptr) return DeliveryOutcome::Temporary("libcurl ran out of memory");
    recipients.release();
    recipients.reset(more);
  }
  const std::string envelope_from = fmt::format("<{}>", AddressOf(settings_.from));
  Upload upload{mime};
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // STARTTLS whenever the server offers it, and no login without it;
  // smtps:// is TLS throughout.
  const bool logs_in = !settings_.username.empty();
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   static_cast<long>(logs_in ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  if (logs_in) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, envelope_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mime.size()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required with threads
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  // Servers drop idle sessions after a few minutes; do not lean on older ones.
  curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, 60L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode result = curl_easy_perform(curl);
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  // The handle keeps pointers to these locals: clear them before it idles.
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(curl, CURLOPT_READDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (result == CURLE_OK) {
    GiveBack(std::move(connection));
    return {DeliveryOutcome::Kind::kSent, fmt::format("{}", reply), "", 0};
  }
  if (result == CURLE_USE_SSL_FAILED) {
    // Retried: the server (or something in the way) may offer TLS again.
    return DeliveryOutcome::Temporary(
        "the SMTP server did not offer STARTTLS, and the SMTP credentials are sent over TLS "
        "only (use an smtps:// URL or a server with STARTTLS)");
  }
  const std::string detail =
      fmt::format("{} (SMTP reply {}): {}", curl_easy_strerror(result), reply,
                  error_buffer[0] != '\0' ? error_buffer : "no detail");
  if (reply >= 500 && reply < 600) return DeliveryOutcome::Permanent(detail);
  return DeliveryOutcome::Temporary(detail);
}

}  // namespace karton::messaging
