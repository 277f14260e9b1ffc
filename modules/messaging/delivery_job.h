// The durable job that hands one queued email to the SMTP server.
//
// Crash safety: the message is marked SENDING (committed) before the SMTP
// transaction and SENT (committed) after the server's final 250. A crash in
// between leaves it SENDING; the job runs again once its claim expires and
// sends it again with the same Message-ID — the one window where a receiver
// can get a duplicate (docs/messaging.md).
#pragma once

#include "email_delivery.h"
#include "karton/kernel/module.h"

namespace karton::messaging {

class EmailDelivery {
 public:
  EmailDelivery(kernel::ModuleContext& context, SmtpSettings smtp)
      : context_(context), smtp_(std::move(smtp)) {}
  // One attempt at message `run.payload`; throws to have the kernel retry
  // it later (temporary failures), returns when the message is final.
  void Run(const kernel::JobRun& run, int max_attempts);

 private:
  kernel::ModuleContext& context_;
  SmtpSettings smtp_;
};

}  // namespace karton::messaging
