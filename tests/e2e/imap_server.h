// A real IMAP server on loopback for the inbound email tests: Debian's Dovecot
// (dovecot-imapd), started as a throwaway instance with its own
// configuration, run and state directories and one passwd-file user whose
// Maildir lives in a temporary directory; stopped and removed afterwards.
// Email arrives by APPEND over IMAP (libcurl), as a delivery agent would
// put it there.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "temporary_directory.h"

namespace karton::testing {

class ImapServer {
 public:
  ImapServer();
  ~ImapServer();
  ImapServer(const ImapServer&) = delete;
  ImapServer& operator=(const ImapServer&) = delete;

  // imap://karton:<password>@127.0.0.1:<port>/INBOX
  std::string Url() const;
  // Adds `raw` (a whole email, CRLF line ends) to INBOX. libcurl's APPEND
  // flags it \Seen.
  void Append(const std::string& raw) const;
  // Takes \Seen off every message in INBOX, so that a fetch shows.
  void MarkAllUnseen() const;
  // How many messages INBOX holds with and without \Seen.
  int CountUnseen() const;
  // Dovecot's log, for failure messages.
  std::string Log() const;

 private:
  // One IMAP command, without a mailbox selected (STATUS ...) or in
  // `mailbox` (STORE ...): its untagged answers.
  std::string Command(const std::string& command, const std::string& mailbox = "") const;

  TemporaryDirectory directory_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string password_;
};

}  // namespace karton::testing
