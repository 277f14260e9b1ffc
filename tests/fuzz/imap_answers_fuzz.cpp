// What an IMAP server answers (modules/messaging/inbound/imap_mailbox.cpp):
// the untagged STATUS, FETCH (RFC822.SIZE) and SEARCH answers messaging's
// poller reads, from whatever server the mailbox URL names, and the
// mailbox URL itself. Answers are read or refused with std::exception's
// kinds the poller catches; UIDs read are above the last one asked for.
//
// The first byte picks: 0 STATUS, 1 FETCH sizes, 2 SEARCH, 3 a mailbox URL.
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "inbound/imap_mailbox.h"

using karton::fuzz::Check;
namespace messaging = karton::messaging;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::uint8_t mode = input.Byte() % 4;
  const std::uint64_t last_uid = input.Byte();
  const std::string text(input.Rest());
  try {
    switch (mode) {
      case 0:
        (void)messaging::ParseStatusAnswer(text);
        break;
      case 1:
        for (const auto& [uid, bytes] : messaging::ParseSizeAnswer(text, last_uid)) {
          Check(uid > last_uid, "sizes only of UIDs after the last", text);
        }
        break;
      case 2: {
        std::uint64_t previous = last_uid;
        for (const std::uint64_t uid : messaging::ParseSearchAnswer(text, last_uid)) {
          Check(uid > previous, "UIDs after the last, ascending", text);
          previous = uid;
        }
        break;
      }
      default: {
        const auto settings = messaging::ParseImapUrl(text, "secret");
        (void)settings.Name();
      }
    }
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
