#include <gtest/gtest.h>
#include <sodium.h>

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
              .unsubscribe_url = ""};
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
              .unsubscribe_url = "https://crm.example.org/u/token"};
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

TEST(EmailMimeTest, AddressOfTakesTheAngleBracketPart) {
  EXPECT_EQ(AddressOf("Karton <noreply@example.org>"), "noreply@example.org");
  EXPECT_EQ(AddressOf("noreply@example.org"), "noreply@example.org");
}

}  // namespace
}  // namespace karton::messaging
