// Consent: the suppression list and the unsubscribe pages every marketing
// message links to (GET /u/<token> asks, POST /u/<token> records the
// opt-out; a mail client's RFC 8058 one-click POST lands on the same).
#pragma once

#include <cstdint>
#include <utility>

#include "consent/unsubscribe_token.h"
#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/events.h"
#include "karton/kernel/http.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/message.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::messaging {

// Adds `suppression` (address normalised already) inside `session`'s
// transaction, with its audit entry and the messaging.consent.withdrawn
// event. False when the address was listed already (nothing written).
bool RecordOptOut(const kernel::Clock& clock, kernel::AuditLog& audit, kernel::DomainEvents& events,
                  soci::session& session, const v1::Suppression& suppression,
                  const kernel::Caller& actor);

class UnsubscribePages {
 public:
  UnsubscribePages(kernel::ServiceParts services, const UnsubscribeTokens& tokens)
      : services_(std::move(services)), tokens_(tokens) {}

  kernel::HttpResponse Ask(const kernel::HttpRequest& request);
  kernel::HttpResponse Confirm(const kernel::HttpRequest& request);

 private:
  // Records the withdrawal of the message's person's consent in the
  // partners module (source unsubscribe), when the message has a partner
  // or contact; logs a failure.
  void WithdrawConsent(const v1::Message& message);

  const kernel::ServiceParts services_;
  const UnsubscribeTokens& tokens_;
};

}  // namespace karton::messaging
