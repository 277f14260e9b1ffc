// Received email (modules/messaging/inbound/inbound_mime.cpp): whatever
// arrives in the polled mailbox is read by GMime into what messaging keeps,
// or refused with a problem. What it keeps goes into protobuf strings and
// PostgreSQL text, so every text it returns must be valid UTF-8, and
// Utf8Cut must cut only between characters.
#include <glib.h>

#include <string>

#include "fuzz_check.h"
#include "inbound/inbound_mime.h"

using karton::fuzz::Check;
namespace messaging = karton::messaging;

namespace {

void CheckUtf8(const std::string& text, const char* what) {
  Check(g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr), what, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static messaging::GMimeLibrary library;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  std::string problem;
  const auto email = messaging::ParseEmail(raw, problem);
  if (!email) {
    Check(!problem.empty(), "an unreadable email says why");
    return 0;
  }
  CheckUtf8(email->subject, "the subject is UTF-8");
  CheckUtf8(email->text, "the text is UTF-8");
  CheckUtf8(email->from_name, "the sender's name is UTF-8");
  CheckUtf8(email->from_address, "the sender's address is UTF-8");
  CheckUtf8(email->message_id, "the Message-ID is UTF-8");
  for (const auto& id : email->references) CheckUtf8(id, "a reference is UTF-8");
  for (const auto& id : email->in_reply_to) CheckUtf8(id, "an In-Reply-To id is UTF-8");
  for (const auto& attachment : email->attachments) {
    CheckUtf8(attachment.file_name, "an attachment's name is UTF-8");
    CheckUtf8(attachment.media_type, "an attachment's type is UTF-8");
  }
  for (const auto& report : email->delivery_reports) {
    CheckUtf8(report.recipient, "a bounce's recipient is UTF-8");
    CheckUtf8(report.diagnostic, "a bounce's diagnostic is UTF-8");
    CheckUtf8(report.original_message_id, "a bounce's message id is UTF-8");
    CheckUtf8(report.status, "a bounce's status is UTF-8");
    CheckUtf8(report.action, "a bounce's action is UTF-8");
    (void)report.Hard();
  }
  (void)email->ThreadId();
  for (const std::size_t bytes :
       {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{200}}) {
    const std::string cut = messaging::Utf8Cut(email->text, bytes);
    Check(cut.size() <= bytes && email->text.compare(0, cut.size(), cut) == 0,
          "Utf8Cut keeps a prefix of at most the bytes asked", cut);
    CheckUtf8(cut, "Utf8Cut cuts between characters");
  }
  return 0;
}
