// Who a message goes to, read through PartnerService as the caller: a
// caller can only write to partners it may see, and partner data is read
// where it is owned, never copied in advance.
#pragma once

#include <grpcpp/support/status.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/common/v1/address.pb.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/message.pb.h"
#include "karton/partners/v1/partner.pb.h"

namespace grpc {
class ServerContext;
}  // namespace grpc

namespace karton::messaging {

struct ResolvedRecipient {
  // For templates: "partner" and "contact", the cards with JSON field names.
  boost::json::object data;
  std::int64_t partner_id = 0;
  std::int64_t contact_id = 0;
  // The partner's display name; for a contact, the contact's name.
  std::string name;
  // A contact's organisation, printed above the contact's name on letters.
  std::string organisation;
  std::string email;  // the first one; the contact's before the partner's
  std::string phone;  // likewise, E.164 as the partners module stores it
  // The address letters go to: POSTAL, then BILLING, then HOME, then any.
  std::optional<common::v1::Address> postal_address;
  // The current marketing consent of the person written to: the contact's
  // for a contact, else the partner's (docs/messaging.md, "Consent").
  google::protobuf::RepeatedPtrField<partners::v1::MarketingConsent> marketing_consents;
  // Not OK when the partner or contact cannot be read; NOT_FOUND comes back
  // as INVALID_ARGUMENT naming recipient.partner_id or recipient.contact_id.
  grpc::Status status;
};

// `caller` is forwarded, so the partners module applies the caller's
// visibility; pass nullptr for system work (delivery jobs). `partners` is
// asked for the channel to the partners module.
ResolvedRecipient ResolveRecipient(const kernel::ChannelSource& partners,
                                   const grpc::ServerContext* caller,
                                   const messaging::v1::Recipient& recipient);

// The same for many recipients at once (SendMessages): the contacts in one
// BatchGetContacts call and the partners in one BatchGetPartners call per
// thousand. Each answer is what ResolveRecipient would give alone, except
// that a missing or hidden partner or contact reads "no partner with id N"
// either way; a failed call sets every answer's status.
std::vector<ResolvedRecipient> ResolveRecipients(
    const kernel::ChannelSource& partners, const grpc::ServerContext* caller,
    const std::vector<const v1::Recipient*>& recipients);

// Why marketing may not go to `resolved` on `channel` under the opt-in rule
// (messaging.marketing_requires_opt_in): "no marketing consent for email"
// when the person has no granted consent for the channel, or the message
// has no partner or contact to hold one (a bare address). "" when it may.
std::string MissingMarketingConsent(const ResolvedRecipient& resolved, v1::Channel channel);

}  // namespace karton::messaging
