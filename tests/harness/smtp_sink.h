// A real SMTP server on loopback for the messaging tests: Debian's aiosmtpd
// running tests/harness/smtp_sink.py, which stores what it accepts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "temporary_directory.h"

namespace karton::testing {

struct ReceivedMail {
  std::vector<std::string> recipients;  // the envelope's RCPT TO
  std::string data;                     // the message as received after DATA
  std::string peer;                     // the client's "address:port": one per connection
  // The value of header `name` (first occurrence, folded lines joined).
  std::string Header(const std::string& name) const;
};

class SmtpSink {
 public:
  // `temporary_failures`: the first so many DATA commands get 451.
  explicit SmtpSink(int temporary_failures = 0);
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  std::string Url() const;  // smtp://127.0.0.1:<port>
  std::vector<ReceivedMail> Messages() const;
  bool WaitForMessages(std::size_t count, std::chrono::seconds timeout) const;

 private:
  TemporaryDirectory directory_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
};

}  // namespace karton::testing
