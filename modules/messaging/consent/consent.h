// Consent: the suppression list and the unsubscribe pages every marketing
// message links to (GET /u/<token> asks, POST /u/<token> records the
// opt-out; a mail client's RFC 8058 one-click POST lands on the same).
#pragma once

#include <cstdint>

#include "consent/unsubscribe_token.h"
#include "karton/kernel/access.h"
#include "karton/kernel/http.h"
#include "karton/kernel/module.h"
#include "karton/messaging/v1/message.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::messaging {

// Adds `suppression` (address normalised already) inside `session`'s
// transaction, with its audit entry and the messaging.consent.withdrawn
// event. False when the address was listed already (nothing written).
bool RecordOptOut(kernel::ModuleContext& context, soci::session& session,
                  const v1::Suppression& suppression, const kernel::Caller& actor);

class UnsubscribePages {
 public:
  UnsubscribePages(kernel::ModuleContext& context, const UnsubscribeTokens& tokens)
      : context_(context), tokens_(tokens) {}

  kernel::HttpResponse Ask(const kernel::HttpRequest& request);
  kernel::HttpResponse Confirm(const kernel::HttpRequest& request);

 private:
  kernel::ModuleContext& context_;
  const UnsubscribeTokens& tokens_;
};

}  // namespace karton::messaging
