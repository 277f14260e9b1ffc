#include "inbound/inbound_mime.h"

#include <gtest/gtest.h>

namespace karton::messaging {
namespace {

class InboundMimeTest : public ::testing::Test {
 protected:
  static ReceivedEmail Parse(const std::string& raw) {
    std::string problem;
    auto email = ParseEmail(raw, problem);
    EXPECT_TRUE(email.has_value()) << problem;
    return email.value_or(ReceivedEmail{});
  }

  GMimeLibrary gmime_;
};

TEST_F(InboundMimeTest, PlainMail) {
  const auto email = Parse(
      "From: Kovács Anna <Anna.Kovacs@Example.HU>\r\n"
      "To: ajanlat@karton.example\r\n"
      "Subject: Plain question\r\n"
      "Date: Fri, 04 Dec 2026 10:15:00 +0100\r\n"
      "Message-ID: <plain-1@example.hu>\r\n"
      "Content-Type: text/plain; charset=ISO-8859-2\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "K=E9rek egy =E1raj=E1nlatot. =F5 =FB\r\n");
  EXPECT_EQ(email.message_id, "plain-1@example.hu");
  EXPECT_EQ(email.from_address, "anna.kovacs@example.hu");
  EXPECT_EQ(email.from_name, "Kovács Anna");
  EXPECT_EQ(email.subject, "Plain question");
  // Latin-2 to UTF-8: ő and ű are where Latin-1 would be wrong.
  EXPECT_EQ(email.text.substr(0, email.text.find_last_not_of("\r\n") + 1),
            "Kérek egy árajánlatot. ő ű");
  ASSERT_TRUE(email.date.has_value());
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::seconds>(email.date->time_since_epoch()).count(),
      1796375700);  // 2026-12-04T09:15:00Z
  EXPECT_TRUE(email.attachments.empty());
  EXPECT_FALSE(email.is_delivery_report);
  EXPECT_FALSE(email.automatic);
  EXPECT_EQ(email.ThreadId(), "plain-1@example.hu");
}

TEST_F(InboundMimeTest, ToAndCcAddresses) {
  const auto email = Parse(
      "From: anna@example.hu\r\n"
      "To: \"Ügyfélszolgálat\" <Support@Karton.Example>, peter@example.hu\r\n"
      "Cc: Csapat: bela@example.hu, <Cecil@Example.HU>;\r\n"
      "Subject: Cím\r\n"
      "\r\n"
      "Szöveg\r\n");
  EXPECT_EQ(email.to_addresses,
            (std::vector<std::string>{"support@karton.example", "peter@example.hu"}));
  EXPECT_EQ(email.cc_addresses, (std::vector<std::string>{"bela@example.hu", "cecil@example.hu"}));
}

TEST_F(InboundMimeTest, MultipartWithAttachment) {
  const auto email = Parse(
      "From: anna@example.hu\r\n"
      "Subject: Rajz\r\n"
      "Message-ID: <multi-1@example.hu>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
      "\r\n"
      "--b1\r\n"
      "Content-Type: multipart/alternative; boundary=\"b2\"\r\n"
      "\r\n"
      "--b2\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "\r\n"
      "Csatoltam a rajzot.\r\n"
      "--b2\r\n"
      "Content-Type: text/html; charset=UTF-8\r\n"
      "\r\n"
      "<p>Csatoltam a <b>rajzot</b>.</p>\r\n"
      "--b2--\r\n"
      "--b1\r\n"
      "Content-Type: application/pdf\r\n"
      "Content-Disposition: attachment; filename*=UTF-8''rajz-%C5%91.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "JVBERi0xLjQKJcOkw7w=\r\n"
      "--b1--\r\n");
  EXPECT_EQ(email.text.substr(0, 19), "Csatoltam a rajzot.");
  ASSERT_EQ(email.attachments.size(), 1u);
  EXPECT_EQ(email.attachments[0].file_name, "rajz-ő.pdf");
  EXPECT_EQ(email.attachments[0].media_type, "application/pdf");
  EXPECT_EQ(email.attachments[0].content, "%PDF-1.4\n%\xC3\xA4\xC3\xBC");
}

TEST_F(InboundMimeTest, HtmlOnlyMailGivesItsText) {
  const auto email = Parse(
      "From: anna@example.hu\r\n"
      "Subject: HTML\r\n"
      "Content-Type: text/html; charset=UTF-8\r\n"
      "\r\n"
      "<html><style>p {color: red}</style><p>Sz&eacute;p &amp; j&oacute;</p><p>Második</p>\r\n");
  EXPECT_NE(email.text.find("Második"), std::string::npos) << email.text;
  EXPECT_EQ(email.text.find("color"), std::string::npos) << email.text;
  EXPECT_EQ(email.text.find('<'), std::string::npos) << email.text;
}

TEST_F(InboundMimeTest, HungarianEncodedWordSubject) {
  const auto email = Parse(
      "From: =?UTF-8?Q?Sz=C5=91ke_=C3=81rp=C3=A1d?= <arpad@example.hu>\r\n"
      "Subject: =?UTF-8?B?w4FyYWrDoW5sYXTDoXQga8OpcmVrIMWRc3pyZQ==?=\r\n"
      " =?ISO-8859-2?Q?_=FBr=E1llom=E1sra?=\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "\r\n"
      "Köszönöm\r\n");
  EXPECT_EQ(email.subject, "Árajánlatát kérek őszre űrállomásra");
  EXPECT_EQ(email.from_name, "Szőke Árpád");
  EXPECT_EQ(email.from_address, "arpad@example.hu");
}

TEST_F(InboundMimeTest, ReplyNamesWhatItAnswers) {
  const auto email = Parse(
      "From: anna@example.hu\r\n"
      "Subject: Re: Árajánlat\r\n"
      "Message-ID: <reply-1@example.hu>\r\n"
      "In-Reply-To: <0123abcd@karton.example>\r\n"
      "References: <root-9@karton.example>\r\n"
      " <0123abcd@karton.example>\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "\r\n"
      "Elfogadjuk.\r\n");
  ASSERT_EQ(email.in_reply_to.size(), 1u);
  EXPECT_EQ(email.in_reply_to[0], "0123abcd@karton.example");
  ASSERT_EQ(email.references.size(), 2u);
  EXPECT_EQ(email.references[0], "root-9@karton.example");
  EXPECT_EQ(email.references[1], "0123abcd@karton.example");
  EXPECT_EQ(email.ThreadId(), "root-9@karton.example");
}

std::string Dsn(const std::string& action, const std::string& status, const std::string& returned) {
  return "From: MAILER-DAEMON@mx.example.hu (Mail Delivery System)\r\n"
         "To: noreply@karton.example\r\n"
         "Subject: Undelivered Mail Returned to Sender\r\n"
         "Message-ID: <dsn-" +
         status +
         "@mx.example.hu>\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/report; report-type=delivery-status;\r\n"
         "\tboundary=\"rep\"\r\n"
         "\r\n"
         "--rep\r\n"
         "Content-Type: text/plain; charset=us-ascii\r\n"
         "\r\n"
         "I'm sorry to have to inform you that your message could not be delivered.\r\n"
         "--rep\r\n"
         "Content-Type: message/delivery-status\r\n"
         "\r\n"
         "Reporting-MTA: dns; mx.example.hu\r\n"
         "Arrival-Date: Fri,  4 Dec 2026 10:00:00 +0100 (CET)\r\n"
         "\r\n"
         "Final-Recipient: rfc822; Nobody@Example.HU\r\n"
         "Original-Recipient: rfc822;nobody@example.hu\r\n"
         "Action: " +
         action +
         "\r\n"
         "Status: " +
         status +
         "\r\n"
         "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.hu>: Recipient address\r\n"
         "    rejected: User unknown\r\n"
         "\r\n" +
         returned + "--rep--\r\n";
}

TEST_F(InboundMimeTest, HardBounceWithReturnedHeaders) {
  const auto email = Parse(Dsn("failed", "5.1.1",
                               "--rep\r\n"
                               "Content-Type: text/rfc822-headers\r\n"
                               "\r\n"
                               "From: noreply@karton.example\r\n"
                               "To: nobody@example.hu\r\n"
                               "Subject: =?UTF-8?B?U3rDoW1sYQ==?=\r\n"
                               "Message-ID: <feedbeef@karton.example>\r\n"
                               "\r\n"));
  ASSERT_TRUE(email.is_delivery_report);
  ASSERT_EQ(email.delivery_reports.size(), 1u);
  const auto& report = email.delivery_reports[0];
  EXPECT_EQ(report.recipient, "nobody@example.hu");
  EXPECT_EQ(report.action, "failed");
  EXPECT_EQ(report.status, "5.1.1");
  EXPECT_EQ(report.original_message_id, "feedbeef@karton.example");
  EXPECT_NE(report.diagnostic.find("User unknown"), std::string::npos) << report.diagnostic;
  EXPECT_TRUE(report.Failed());
  EXPECT_TRUE(report.Hard());
  EXPECT_TRUE(email.automatic);  // from MAILER-DAEMON
  // The report's own parts are not attachments.
  EXPECT_TRUE(email.attachments.empty());
}

TEST_F(InboundMimeTest, SoftBounceWithReturnedMessage) {
  const auto email = Parse(Dsn("failed", "4.2.2",
                               "--rep\r\n"
                               "Content-Type: message/rfc822\r\n"
                               "\r\n"
                               "From: noreply@karton.example\r\n"
                               "To: nobody@example.hu\r\n"
                               "Subject: Hello\r\n"
                               "Message-ID: <cafe01@karton.example>\r\n"
                               "\r\n"
                               "The mailbox is full.\r\n"
                               "\r\n"));
  ASSERT_TRUE(email.is_delivery_report);
  ASSERT_EQ(email.delivery_reports.size(), 1u);
  const auto& report = email.delivery_reports[0];
  EXPECT_EQ(report.status, "4.2.2");
  EXPECT_EQ(report.original_message_id, "cafe01@karton.example");
  EXPECT_TRUE(report.Failed());
  EXPECT_FALSE(report.Hard());
  EXPECT_TRUE(email.attachments.empty());
}

TEST_F(InboundMimeTest, OriginalMessageIdFieldWins) {
  std::string raw = Dsn("failed", "5.7.1", "");
  const std::string anchor = "Reporting-MTA: dns; mx.example.hu\r\n";
  raw.insert(raw.find(anchor) + anchor.size(), "Original-Message-ID: <given@karton.example>\r\n");
  const auto email = Parse(raw);
  ASSERT_EQ(email.delivery_reports.size(), 1u);
  EXPECT_EQ(email.delivery_reports[0].original_message_id, "given@karton.example");
}

TEST_F(InboundMimeTest, AutoSubmittedIsAutomatic) {
  EXPECT_TRUE(
      Parse("From: anna@example.hu\r\nAuto-Submitted: auto-replied\r\n\r\nOut\r\n").automatic);
  EXPECT_FALSE(Parse("From: anna@example.hu\r\nAuto-Submitted: no\r\n\r\nHello\r\n").automatic);
}

TEST_F(InboundMimeTest, CutsBetweenCharacters) {
  EXPECT_EQ(Utf8Cut("ááá", 3), "á");
  EXPECT_EQ(Utf8Cut("abc", 10), "abc");
}

// Found by tests/fuzz (mime): a part without a charset kept its raw bytes,
// which are not UTF-8, and what messaging keeps must be (protobuf strings,
// PostgreSQL text). Whatever the bytes, the texts come out as UTF-8.
// Well-formed UTF-8, as PostgreSQL checks text (2- to 4-byte sequences
// with their continuation bytes; overlongs and surrogates are refused).
bool IsUtf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80                 ? 1
                               : c >= 0xC2 && c <= 0xDF ? 2
                               : c >= 0xE0 && c <= 0xEF ? 3
                               : c >= 0xF0 && c <= 0xF4 ? 4
                                                        : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    const auto second = length > 1 ? static_cast<unsigned char>(text[i + 1]) : 0x80;
    if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) ||
        (c == 0xF0 && second < 0x90) || (c == 0xF4 && second > 0x8F)) {
      return false;
    }
    i += length;
  }
  return true;
}

TEST_F(InboundMimeTest, TextWithoutACharsetComesOutAsUtf8) {
  const auto email = Parse(
      "From: =?utf-8?b?/w==?= <anna@example.hu>\r\n"
      "Subject: =?utf-8?q?=C3=28?=\r\n"
      "Message-ID: <8bit-\xff@example.hu>\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "K\xe9rek egy \xe1raj\xe1nlatot \xff\xfe\x80.\r\n");
  for (const std::string* text :
       {&email.text, &email.subject, &email.from_name, &email.message_id}) {
    EXPECT_TRUE(IsUtf8(*text)) << *text;
  }
  EXPECT_EQ(email.from_address, "anna@example.hu");
  EXPECT_NE(email.text.find("rek egy"), std::string::npos) << email.text;
}

// Found by tests/fuzz (mime): a Date beyond what the clock holds (2262 in
// nanoseconds) overflowed when converted; it now counts as no date.
TEST_F(InboundMimeTest, ADateTheClockCannotHoldIsNone) {
  const auto far = Parse(
      "From: anna@example.hu\r\nDate: Mon, 01 Jan 7000 00:00:00 +0000\r\n"
      "Subject: x\r\n\r\nbody\r\n");
  EXPECT_FALSE(far.date.has_value());
  const auto near = Parse(
      "From: anna@example.hu\r\nDate: Thu, 31 Dec 2199 23:00:00 +0000\r\n"
      "Subject: x\r\n\r\nbody\r\n");
  EXPECT_TRUE(near.date.has_value());
}

}  // namespace
}  // namespace karton::messaging
