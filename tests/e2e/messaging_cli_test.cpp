// The `karton messages ...` commands end to end: the real karton binary
// against kartond with messaging and partners, email to a real SMTP server.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <fstream>

#include "json_fields.h"
#include "messaging_fixture.h"

namespace karton::testing {
namespace {

TEST_F(MessagingTest, CommandLineClientSendsListsAndManagesTemplatesAndSuppressions) {
  Start();
  const pv1::Partner partner = CreatePartner("Kovács és Társa Kft.", "iroda@kovacs.example");
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path()) + " ";
  TemporaryDirectory files;
  const auto body = files.Path() / "ajanlat.txt";
  std::ofstream(body) << "Kedves {{partner.displayName}}!\nRendelés: {{order}}\n";

  // A template from a file, then a new subject by etag.
  const auto [create_exit, created] = RunCommand(fmt::format(
      "{} --output json messages templates create --name offer --language hu --channel email "
      "--subject 'Ajánlat' --body-file '{}'",
      karton, body.string()));
  ASSERT_EQ(create_exit, 0) << created;
  const auto stored = ParseObject(created);
  EXPECT_EQ(Field(stored, "channel"), "CHANNEL_EMAIL");
  const auto [update_exit, updated] =
      RunCommand(fmt::format("{} messages templates update {} --etag '{}' --subject 'Ajánlat: "
                             "{{{{partner.displayName}}}}'",
                             karton, Field(stored, "id"), Field(stored, "etag")));
  ASSERT_EQ(update_exit, 0) << updated;
  EXPECT_NE(updated.find("subject      Ajánlat: {{partner.displayName}}"), std::string::npos)
      << updated;
  const auto [stale_exit, stale] =
      RunCommand(fmt::format("{} messages templates update {} --etag '{}' --subject x 2>&1", karton,
                             Field(stored, "id"), Field(stored, "etag")));
  EXPECT_EQ(stale_exit, 1) << stale;
  EXPECT_NE(stale.find("ABORTED"), std::string::npos) << stale;

  const auto [render_exit, rendered] = RunCommand(
      fmt::format("{} messages templates render --name offer --partner {} --var order=A-17", karton,
                  partner.id()));
  EXPECT_EQ(render_exit, 0) << rendered;
  EXPECT_NE(rendered.find("subject      Ajánlat: Kovács és Társa Kft."), std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("Kedves Kovács és Társa Kft.!\nRendelés: A-17\n"), std::string::npos)
      << rendered;

  // Sent from the template and waited for: SENT, and the SMTP server has it.
  const auto [send_exit, sent] = RunCommand(fmt::format(
      "{} messages send --channel email --category transactional --partner {} --template offer "
      "--language hu --vars-json '{{\"order\":\"B-2\"}}' --key cli-1 --wait",
      karton, partner.id()));
  ASSERT_EQ(send_exit, 0) << sent;
  EXPECT_NE(sent.find(": sent\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("address      iroda@kovacs.example"), std::string::npos) << sent;
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(5)));
  EXPECT_EQ(sink_->Messages().at(0).recipients, std::vector<std::string>{"iroda@kovacs.example"});
  EXPECT_EQ(DecodeEncodedWords(sink_->Messages().at(0).Header("Subject")),
            "Ajánlat: Kovács és Társa Kft.");

  // A permanent failure ends --wait with exit code 1.
  const auto [failed_exit, failed] = RunCommand(
      karton +
      "messages send --channel email --category transactional --to nobody@rejected.example "
      "--subject Teszt --body Szöveg --wait 2>&1");
  EXPECT_EQ(failed_exit, 1) << failed;
  EXPECT_NE(failed.find("failed"), std::string::npos) << failed;

  const auto [list_exit, listed] = RunCommand(fmt::format(
      "{} --output json messages list --partner {} --channel email", karton, partner.id()));
  ASSERT_EQ(list_exit, 0) << listed;
  const auto list = ParseObject(listed);
  ASSERT_TRUE(list.contains("messages")) << listed;
  const auto& messages = list.at("messages").as_array();
  ASSERT_EQ(messages.size(), 1u) << listed;
  const auto& message = messages.at(0).as_object();
  EXPECT_EQ(Field(message, "status"), "MESSAGE_STATUS_SENT");
  EXPECT_EQ(Field(message, "template_name"), "offer");
  EXPECT_EQ(Field(message, "idempotency_key"), "cli-1");
  EXPECT_EQ(Field(message, "text_body"), "Kedves Kovács és Társa Kft.!\nRendelés: B-2\n");
  const auto [table_exit, table] = RunCommand(karton + "messages list --status failed");
  EXPECT_EQ(table_exit, 0) << table;
  EXPECT_NE(table.find("nobody@rejected.example"), std::string::npos) << table;
  EXPECT_EQ(table.find("iroda@kovacs.example"), std::string::npos) << table;

  // An opt-out taken by phone stops the next marketing mail, until removed.
  const auto [add_exit, added] =
      RunCommand(karton +
                 "messages suppressions add --channel email --address Promo@Example.com "
                 "--reason 'telefonon kérte'");
  EXPECT_EQ(add_exit, 0) << added;
  const auto [suppressed_exit, suppressed] =
      RunCommand(karton +
                 "--output json messages send --channel email --category marketing "
                 "--to promo@example.com --subject Akció --body Olcsó --wait");
  EXPECT_EQ(suppressed_exit, 0) << suppressed;
  EXPECT_EQ(Field(ParseObject(suppressed), "status"), "MESSAGE_STATUS_SUPPRESSED");
  const auto [suppressions_exit, suppressions] =
      RunCommand(karton + "--output json messages suppressions list --channel email");
  EXPECT_EQ(suppressions_exit, 0) << suppressions;
  const auto listed_suppressions = ParseObject(suppressions);
  ASSERT_TRUE(listed_suppressions.contains("suppressions")) << suppressions;
  ASSERT_EQ(listed_suppressions.at("suppressions").as_array().size(), 1u) << suppressions;
  const auto& entry = listed_suppressions.at("suppressions").as_array().at(0).as_object();
  EXPECT_EQ(Field(entry, "address"), "promo@example.com");
  EXPECT_EQ(Field(entry, "source"), "SUPPRESSION_SOURCE_MANUAL");
  EXPECT_EQ(Field(entry, "reason"), "telefonon kérte");
  const auto [remove_exit, removed] = RunCommand(
      karton + "messages suppressions remove --channel email --address promo@example.com");
  EXPECT_EQ(remove_exit, 0) << removed;
  const auto [empty_exit, empty] = RunCommand(karton + "messages suppressions list");
  EXPECT_EQ(empty_exit, 0);
  EXPECT_EQ(empty.find("promo@example.com"), std::string::npos) << empty;

  // No letters yet: the CSV is its header alone.
  const auto csv = files.Path() / "letters.csv";
  const auto [export_exit, exported] = RunCommand(
      fmt::format("{} messages letters export --format csv --out '{}'", karton, csv.string()));
  EXPECT_EQ(export_exit, 0) << exported;
  EXPECT_NE(exported.find("0 letter(s)"), std::string::npos) << exported;
  std::ifstream csv_file(csv);
  std::string header;
  std::getline(csv_file, header);
  EXPECT_EQ(header.rfind("\"message_id\",\"partner_id\",\"contact_id\"", 0), 0u) << header;

  // Cc, Reply-To and a file from disk, its media type from its extension.
  const auto pdf = files.Path() / "árajánlat-ő.pdf";
  std::ofstream(pdf, std::ios::binary) << "%PDF-1.4\n%\xe2\xe3\xcf\xd3\nnot really a PDF\n";
  const auto [attach_exit, attached] = RunCommand(fmt::format(
      "{} messages send --channel email --category transactional --partner {} --subject "
      "Árajánlat --body Mellékelve. --cc konyveles@kovacs.example --reply-to "
      "ertekesites@karton.example --attach '{}' --wait",
      karton, partner.id(), pdf.string()));
  ASSERT_EQ(attach_exit, 0) << attached;
  EXPECT_NE(attached.find("cc           konyveles@kovacs.example"), std::string::npos) << attached;
  EXPECT_NE(attached.find("reply to     ertekesites@karton.example"), std::string::npos)
      << attached;
  EXPECT_NE(attached.find("attachment   árajánlat-ő.pdf (application/pdf, 32 bytes, document "),
            std::string::npos)
      << attached;
  ASSERT_TRUE(sink_->WaitForMessages(2, std::chrono::seconds(5)));
  const ReceivedMail with_file = sink_->Messages().back();
  EXPECT_EQ(with_file.recipients,
            (std::vector<std::string>{"iroda@kovacs.example", "konyveles@kovacs.example"}));
  EXPECT_EQ(with_file.Header("Reply-To"), "<ertekesites@karton.example>");
  EXPECT_NE(with_file.data.find("filename*=UTF-8''%C3%A1raj%C3%A1nlat-%C5%91.pdf"),
            std::string::npos);
  const auto [bad_exit, bad] = RunCommand(
      karton +
      "messages send --channel email --category transactional --to a@example.com --subject s "
      "--body b --cc 'not an address' 2>&1");
  EXPECT_EQ(bad_exit, 1) << bad;
  EXPECT_NE(bad.find("cc[0]"), std::string::npos) << bad;

  // Bad usage is exit code 2, a server's refusal 1.
  const auto [no_recipient_exit, no_recipient] =
      RunCommand(karton + "messages send --channel email --category transactional --body x 2>&1");
  EXPECT_EQ(no_recipient_exit, 2) << no_recipient;
  EXPECT_NE(no_recipient.find("--partner ID, --contact ID or --to ADDRESS"), std::string::npos)
      << no_recipient;

  // A batch from a JSON file: each request judged alone; one refusal makes the exit code 1 and
  // names its field by the request's position, the others are queued all the same.
  const auto batch = files.Path() / "batch.json";
  std::ofstream(batch) << R"({"requests": [
    {"channel": "CHANNEL_EMAIL", "category": "CATEGORY_TRANSACTIONAL",
     "recipient": {"address": "elso@batch.example"}, "subject": "Első", "textBody": "1"},
    {"channel": "CHANNEL_EMAIL", "category": "CATEGORY_TRANSACTIONAL",
     "recipient": {"address": "not an address"}, "subject": "Hibás", "textBody": "2"},
    {"channel": "CHANNEL_EMAIL", "category": "CATEGORY_TRANSACTIONAL",
     "recipient": {"address": "harmadik@batch.example"}, "subject": "Harmadik", "textBody": "3"}
  ]})";
  const auto [batch_exit, batch_output] =
      RunCommand(karton + "messages send-batch '" + batch.string() + "' 2>&1");
  EXPECT_EQ(batch_exit, 1) << batch_output;
  EXPECT_NE(batch_output.find("elso@batch.example"), std::string::npos) << batch_output;
  EXPECT_NE(batch_output.find("1\trefused\t"), std::string::npos) << batch_output;
  EXPECT_NE(batch_output.find("harmadik@batch.example"), std::string::npos) << batch_output;
  ASSERT_TRUE(sink_->WaitForMessages(4, std::chrono::seconds(10)));
  const auto [not_json_exit, not_json] =
      RunCommand(karton + "messages send-batch '" + csv.string() + "' 2>&1");
  EXPECT_EQ(not_json_exit, 2) << not_json;
  EXPECT_NE(not_json.find("is not a SendMessagesRequest in JSON"), std::string::npos) << not_json;

  const auto [missing_exit, missing] = RunCommand(karton + "messages get 999999 2>&1");
  EXPECT_EQ(missing_exit, 1) << missing;
  EXPECT_NE(missing.find("NOT_FOUND"), std::string::npos) << missing;
}

}  // namespace
}  // namespace karton::testing
