#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <string>
#include <vector>

#include "delivery/email_delivery.h"

namespace karton::messaging {
namespace {

std::string DecodeBase64(const std::string& text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  EXPECT_EQ(
      sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), "\r\n", &length, nullptr, sodium_base64_VARIANT_ORIGINAL),
      0);
  out.resize(length);
  return out;
}

TEST(EmailMimeTest, PlainMessageHasEncodedSubjectAndBase64Body) {
  Email email{.to = "anna@example.com",
              .subject = "Őszi ajánlat – 20% kedvezmény az ügyfeleinknek, csak most és csak itt",
              .text_body = "Kedves Anna,\nüdvözlettel: Karton\n",
              .html_body = "",
              .message_id = "abc123@example.org",
              .unsubscribe_url = "",
              .cc = {},
              .reply_to = "",
              .attachments = {},
              .calendar_method = ""};
  const std::string mime = BuildMime(email, "Karton Értesítő <noreply@example.org>",
                                     std::chrono::sys_days{std::chrono::year{2026} / 11 / 25});
  EXPECT_NE(mime.find("Date: Wed, 25 Nov 2026 00:00:00 +0000\r\n"), std::string::npos) << mime;
  EXPECT_NE(mime.find("From: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(mime.find(" <noreply@example.org>\r\n"), std::string::npos);
  EXPECT_NE(mime.find("To: <anna@example.com>\r\n"), std::string::npos);
  EXPECT_NE(mime.find("Message-ID: <abc123@example.org>\r\n"), std::string::npos);
  EXPECT_NE(mime.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_EQ(mime.find("List-Unsubscribe"), std::string::npos);
  // The long subject is split into encoded words of at most 75 characters.
  const auto subject_start = mime.find("Subject: ");
  const auto subject_end = mime.find("\r\nMessage-ID");
  const std::string subject = mime.substr(subject_start, subject_end - subject_start);
  EXPECT_NE(subject.find("\r\n =?UTF-8?B?"), std::string::npos) << subject;
  std::string decoded;
  for (std::size_t at = 0; (at = subject.find("=?UTF-8?B?", at)) != std::string::npos;) {
    const auto end = subject.find("?=", at + 10);
    EXPECT_LE(end + 2 - at, 75u);
    decoded += DecodeBase64(subject.substr(at + 10, end - at - 10));
    at = end;
  }
  EXPECT_EQ(decoded, email.subject);
  const std::string body = mime.substr(mime.find("\r\n\r\n") + 4);
  EXPECT_EQ(DecodeBase64(body), email.text_body);
}

TEST(EmailMimeTest, HtmlMakesAnAlternativeAndMarketingGetsListUnsubscribe) {
  Email email{.to = "b@example.com",
              .subject = "Hello",
              .text_body = "text",
              .html_body = "<p>html</p>",
              .message_id = "ff00@example.org",
              .unsubscribe_url = "https://crm.example.org/u/token",
              .cc = {},
              .reply_to = "",
              .attachments = {},
              .calendar_method = ""};
  const std::string mime = BuildMime(email, "noreply@example.org", {});
  EXPECT_NE(mime.find("Subject: Hello\r\n"), std::string::npos);
  EXPECT_NE(mime.find("From: noreply@example.org\r\n"), std::string::npos) << mime;
  EXPECT_NE(mime.find("List-Unsubscribe: <https://crm.example.org/u/token>\r\n"),
            std::string::npos);
  EXPECT_NE(mime.find("multipart/alternative; boundary=\"=_karton_ff00\""), std::string::npos);
  EXPECT_NE(mime.find("--=_karton_ff00\r\nContent-Type: text/html; charset=UTF-8"),
            std::string::npos);
  EXPECT_NE(mime.find("--=_karton_ff00--\r\n"), std::string::npos);
}

// Decodes an RFC 2231 parameter `name` from `headers` (one part's header
// block, folded lines and all): name="x", name*=UTF-8''x or the numbered
// sections name*0*=UTF-8''...; name*1*=...
std::string Rfc2231Parameter(const std::string& headers, const std::string& name) {
  std::string unfolded;
  for (std::size_t at = 0; at < headers.size(); ++at) {
    if (headers.compare(at, 3, "\r\n ") == 0) {
      unfolded += ' ';
      at += 2;
    } else {
      unfolded += headers[at];
    }
  }
  const auto plain = unfolded.find(" " + name + "=\"");
  if (plain != std::string::npos) {
    const auto start = plain + name.size() + 3;
    return unfolded.substr(start, unfolded.find('"', start) - start);
  }
  std::string encoded;
  for (int section = -1;; ++section) {
    const std::string key =
        section < 0 ? " " + name + "*=" : " " + name + "*" + std::to_string(section) + "*=";
    const auto at = unfolded.find(key);
    if (at == std::string::npos) {
      if (section < 0) continue;
      break;
    }
    const auto start = at + key.size();
    encoded += unfolded.substr(start, unfolded.find_first_of(";\r", start) - start);
    if (section < 0) break;
  }
  EXPECT_EQ(encoded.rfind("UTF-8''", 0), 0u) << unfolded;
  encoded = encoded.substr(7);
  std::string decoded;
  for (std::size_t at = 0; at < encoded.size(); ++at) {
    if (encoded[at] == '%') {
      decoded += static_cast<char>(std::stoi(encoded.substr(at + 1, 2), nullptr, 16));
      at += 2;
    } else {
      decoded += encoded[at];
    }
  }
  return decoded;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) {
    ++count;
  }
  return count;
}

// The parts of a multipart body between "--boundary" lines.
std::vector<std::string> Parts(const std::string& mime, const std::string& boundary) {
  std::vector<std::string> parts;
  const std::string delimiter = "\r\n--" + boundary;
  auto at = mime.find("--" + boundary + "\r\n");
  EXPECT_NE(at, std::string::npos);
  at += boundary.size() + 4;
  while (true) {
    const auto end = mime.find(delimiter, at);
    if (end == std::string::npos) break;
    parts.push_back(mime.substr(at, end - at));
    at = end + delimiter.size();
    if (mime.compare(at, 2, "--") == 0) break;
    at += 2;  // CRLF
  }
  return parts;
}

Email WithAttachments() {
  std::string pdf = "%PDF-1.4\n";
  for (int i = 0; i < 300; ++i) pdf += static_cast<char>(i % 256);
  // The boundary itself, raw, inside a file: base64 must hide it.
  pdf += "\r\n--=_karton_mixed_ab12\r\n--=_karton_ab12--\r\n";
  return Email{
      .to = "anna@vevo.example",
      .subject = "Árajánlat",
      .text_body = "Kedves Anna!\nMellékelve az árajánlat.\n",
      .html_body = "<p>Kedves Anna!</p>",
      .message_id = "ab12@ceg.example",
      .unsubscribe_url = "",
      .cc = {"bela@vevo.example", "Anna@Vevo.Example", "cecil@masik.example"},
      .reply_to = "ertekesites@ceg.example",
      .attachments =
          {{.file_name = "árajánlat-ő.pdf", .media_type = "application/pdf", .content = pdf},
           {.file_name = "list (1).csv", .media_type = "text/csv", .content = "a;b\r\n1;2\r\n"}},
      .calendar_method = ""};
}

TEST(EmailMimeTest, AttachmentsMakeAMixedMessageWithTheBodyFirstAndEachFileInBase64) {
  const Email email = WithAttachments();
  const std::string mime = BuildMime(email, "Karton <noreply@ceg.example>", {});
  EXPECT_NE(mime.find("Content-Type: multipart/mixed; boundary=\"=_karton_mixed_ab12\"\r\n"),
            std::string::npos)
      << mime.substr(0, 800);
  const auto parts = Parts(mime, "=_karton_mixed_ab12");
  ASSERT_EQ(parts.size(), 3u);
  // The body as before: text and HTML as alternatives, in a part of its own.
  EXPECT_EQ(parts[0].rfind("Content-Type: multipart/alternative; boundary=\"=_karton_ab12\"", 0),
            0u)
      << parts[0];
  const auto alternatives = Parts(parts[0], "=_karton_ab12");
  ASSERT_EQ(alternatives.size(), 2u);
  EXPECT_EQ(DecodeBase64(alternatives[0].substr(alternatives[0].find("\r\n\r\n") + 4)),
            email.text_body);

  for (std::size_t i = 0; i < email.attachments.size(); ++i) {
    const std::string& part = parts[i + 1];
    const std::string headers = part.substr(0, part.find("\r\n\r\n") + 2);
    const std::string body = part.substr(part.find("\r\n\r\n") + 4);
    EXPECT_EQ(headers.rfind("Content-Type: " + email.attachments[i].media_type + ";", 0), 0u)
        << headers;
    EXPECT_NE(headers.find("\r\nContent-Disposition: attachment;"), std::string::npos) << headers;
    EXPECT_NE(headers.find("\r\nContent-Transfer-Encoding: base64\r\n"), std::string::npos);
    EXPECT_EQ(Rfc2231Parameter(headers, "filename"), email.attachments[i].file_name) << headers;
    EXPECT_EQ(Rfc2231Parameter(headers, "name"), email.attachments[i].file_name) << headers;
    EXPECT_EQ(DecodeBase64(body), email.attachments[i].content);
    // Base64 lines of 76 characters at most.
    for (std::size_t at = 0; at < body.size();) {
      const auto end = std::min(body.find("\r\n", at), body.size());
      EXPECT_LE(end - at, 76u);
      at = end + 2;
    }
  }
  // The non-ASCII name is RFC 2231 UTF-8, the plain one a quoted string.
  EXPECT_NE(parts[1].find("filename*=UTF-8''%C3%A1raj%C3%A1nlat-%C5%91.pdf"), std::string::npos)
      << parts[1];
  EXPECT_NE(parts[2].find("filename=\"list (1).csv\""), std::string::npos) << parts[2];
  // Each boundary shows only where it delimits: the copy inside the PDF is
  // hidden by base64.
  EXPECT_EQ(Count(mime, "--=_karton_mixed_ab12"), 4u);  // 3 parts and the close
  EXPECT_EQ(Count(mime, "--=_karton_ab12"), 3u);        // 2 parts and the close
}

TEST(EmailMimeTest, CcAndReplyToAreHeadersAndTheEnvelopeReachesEveryRecipientOnce) {
  const Email email = WithAttachments();
  const std::string mime = BuildMime(email, "noreply@ceg.example", {});
  const std::string headers = mime.substr(0, mime.find("\r\n\r\n") + 2);
  EXPECT_NE(headers.find("\r\nTo: <anna@vevo.example>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("\r\nCc: <bela@vevo.example>,\r\n <Anna@Vevo.Example>,\r\n "
                         "<cecil@masik.example>\r\n"),
            std::string::npos)
      << headers;
  EXPECT_NE(headers.find("\r\nReply-To: <ertekesites@ceg.example>\r\n"), std::string::npos);
  // RCPT TO: To first, then Cc, an address that repeats To (any case) once.
  EXPECT_EQ(
      EnvelopeRecipients(email),
      (std::vector<std::string>{"anna@vevo.example", "bela@vevo.example", "cecil@masik.example"}));

  Email plain = email;
  plain.cc.clear();
  plain.reply_to.clear();
  plain.attachments.clear();
  plain.html_body.clear();
  const std::string simple = BuildMime(plain, "noreply@ceg.example", {});
  EXPECT_EQ(simple.find("Cc:"), std::string::npos);
  EXPECT_EQ(simple.find("Reply-To:"), std::string::npos);
  EXPECT_EQ(simple.find("multipart"), std::string::npos);
  EXPECT_EQ(EnvelopeRecipients(plain), std::vector<std::string>{"anna@vevo.example"});
}

TEST(EmailMimeTest, LongAndAwkwardFileNamesAreSplitIntoRfc2231Sections) {
  // 80 Hungarian letters: 160 bytes, 480 characters percent-encoded.
  std::string name;
  for (int i = 0; i < 80; ++i) name += i % 2 == 0 ? "ő" : "ű";
  name += ".pdf";
  const std::string parameter = MimeParameter("filename", name);
  EXPECT_EQ(parameter.rfind("filename*0*=UTF-8''%C5%91", 0), 0u) << parameter;
  EXPECT_NE(parameter.find(";\r\n filename*1*="), std::string::npos) << parameter;
  for (std::size_t at = 0; at < parameter.size();) {
    const auto end = std::min(parameter.find("\r\n", at), parameter.size());
    EXPECT_LE(end - at, 78u) << parameter;
    // A section never splits a character: it starts with a lead byte.
    const auto section = parameter.find("*=", at);
    if (section < end) {
      const std::string first = parameter.substr(section + 2, 2);  // %8x to %Bx continue one
      EXPECT_TRUE(first != "%8" && first != "%9" && first != "%A" && first != "%B") << parameter;
    }
    at = end + 2;
  }
  EXPECT_EQ(Rfc2231Parameter(" " + parameter, "filename"), name);
  // Quotes, backslashes and '=' are encoded, never quoted.
  EXPECT_EQ(MimeParameter("filename", "a\"b\\c=d.txt"), "filename*=UTF-8''a%22b%5Cc%3Dd.txt");
  EXPECT_EQ(MimeParameter("filename", "report 2026.pdf"), "filename=\"report 2026.pdf\"");
}

TEST(EmailMimeTest, AddressOfTakesTheAngleBracketPart) {
  EXPECT_EQ(AddressOf("Karton <noreply@example.org>"), "noreply@example.org");
  EXPECT_EQ(AddressOf("noreply@example.org"), "noreply@example.org");
}

}  // namespace
}  // namespace karton::messaging

namespace karton::messaging {
namespace {

TEST(EmailMimeTest, CalendarInvitationIsAnAlternativeAndAnAttachmentWithTheMethod) {
  const std::string ics =
      "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x@karton\r\n"
      "END:VEVENT\r\nEND:VCALENDAR\r\n";
  Email email{
      .to = "anna@vevo.example",
      .subject = "Meghívó: Tárgyalás",
      .text_body = "Kedves Anna!\n",
      .html_body = "",
      .message_id = "cafe@ceg.example",
      .unsubscribe_url = "",
      .cc = {},
      .reply_to = "",
      .attachments = {{.file_name = "invite.ics", .media_type = "text/calendar", .content = ics}},
      .calendar_method = "REQUEST"};
  const std::string mime = BuildMime(email, "noreply@ceg.example", {});
  const auto mixed = Parts(mime, "=_karton_mixed_cafe");
  ASSERT_EQ(mixed.size(), 2u) << mime;
  const auto alternatives = Parts(mixed[0], "=_karton_cafe");
  ASSERT_EQ(alternatives.size(), 2u) << mixed[0];
  EXPECT_EQ(alternatives[0].rfind("Content-Type: text/plain; charset=UTF-8\r\n", 0), 0u);
  EXPECT_EQ(
      alternatives[1].rfind("Content-Type: text/calendar; method=REQUEST; charset=UTF-8\r\n", 0),
      0u)
      << alternatives[1];
  const std::string body = alternatives[1].substr(alternatives[1].find("\r\n\r\n") + 4);
  EXPECT_EQ(DecodeBase64(body), ics);
  EXPECT_EQ(mixed[1].rfind("Content-Type: text/calendar; method=REQUEST; charset=UTF-8;\r\n "
                           "name=\"invite.ics\"",
                           0),
            0u)
      << mixed[1];

  // Without a method, a text/calendar file is an attachment like any other.
  email.calendar_method.clear();
  const std::string plain = BuildMime(email, "noreply@ceg.example", {});
  EXPECT_EQ(plain.find("method="), std::string::npos);
  EXPECT_EQ(plain.find("multipart/alternative"), std::string::npos);
}

}  // namespace
}  // namespace karton::messaging
