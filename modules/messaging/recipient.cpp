#include "recipient.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <boost/json/parse.hpp>

#include "karton/kernel/calls.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/proto_json.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::messaging {
namespace {

namespace pv1 = partners::v1;

// Recipients are looked up for delivery jobs too, where nobody waits.
constexpr std::chrono::seconds kPartnersCallLimit{30};

grpc::Status FieldOrStatus(const grpc::Status& status, const char* field) {
  return status.error_code() == grpc::StatusCode::NOT_FOUND
             ? kernel::InvalidField(field, status.error_message())
             : status;
}

std::optional<common::v1::Address> PostalAddress(
    const google::protobuf::RepeatedPtrField<common::v1::Address>& addresses) {
  for (const auto type : {common::v1::ADDRESS_TYPE_POSTAL, common::v1::ADDRESS_TYPE_BILLING,
                          common::v1::ADDRESS_TYPE_HOME}) {
    for (const auto& address : addresses) {
      if (address.type() == type) return address;
    }
  }
  if (addresses.empty()) return std::nullopt;
  return addresses[0];
}

}  // namespace

ResolvedRecipient ResolveRecipient(const kernel::ChannelSource& partners_channel,
                                   const grpc::ServerContext* caller,
                                   const messaging::v1::Recipient& recipient) {
  ResolvedRecipient resolved;
  auto partners = pv1::PartnerService::NewStub(partners_channel());
  resolved.partner_id = recipient.partner_id();
  if (recipient.contact_id() != 0) {
    pv1::GetContactRequest request;
    request.set_id(recipient.contact_id());
    pv1::Contact contact;
    if (auto status = partners->GetContact(kernel::CallContextFor(caller, kPartnersCallLimit).get(),
                                           request, &contact);
        !status.ok()) {
      resolved.status = FieldOrStatus(status, "recipient.contact_id");
      return resolved;
    }
    if (resolved.partner_id != 0 && resolved.partner_id != contact.partner_id()) {
      resolved.status = kernel::InvalidField(
          "recipient.contact_id",
          fmt::format("contact {} belongs to partner {}, not to partner {}", contact.id(),
                      contact.partner_id(), resolved.partner_id));
      return resolved;
    }
    resolved.partner_id = contact.partner_id();
    resolved.contact_id = contact.id();
    resolved.name = contact.name();
    if (contact.emails_size() > 0) resolved.email = contact.emails(0);
    if (contact.phones_size() > 0) resolved.phone = contact.phones(0);
    resolved.marketing_consents = contact.marketing_consents();
    resolved.data["contact"] =
        boost::json::parse(kernel::PrintProtoJson(contact, kernel::ProtoJsonNames::kJson));
  }
  if (resolved.partner_id != 0) {
    pv1::GetPartnerRequest request;
    request.set_id(resolved.partner_id);
    pv1::Partner partner;
    if (auto status = partners->GetPartner(kernel::CallContextFor(caller, kPartnersCallLimit).get(),
                                           request, &partner);
        !status.ok()) {
      resolved.status = FieldOrStatus(status, "recipient.partner_id");
      return resolved;
    }
    if (resolved.contact_id == 0) {
      resolved.name = partner.display_name();
      resolved.marketing_consents = partner.marketing_consents();
    } else if (partner.kind() == pv1::PARTNER_KIND_ORGANIZATION) {
      resolved.organisation = partner.display_name();
    }
    if (resolved.email.empty() && partner.emails_size() > 0) resolved.email = partner.emails(0);
    if (resolved.phone.empty() && partner.phones_size() > 0) resolved.phone = partner.phones(0);
    resolved.postal_address = PostalAddress(partner.addresses());
    resolved.data["partner"] =
        boost::json::parse(kernel::PrintProtoJson(partner, kernel::ProtoJsonNames::kJson));
  }
  return resolved;
}

std::string MissingMarketingConsent(const ResolvedRecipient& resolved, v1::Channel channel) {
  pv1::MarketingChannel wanted = pv1::MARKETING_CHANNEL_UNSPECIFIED;
  std::string word;
  switch (channel) {
    case v1::CHANNEL_EMAIL:
      wanted = pv1::MARKETING_CHANNEL_EMAIL;
      word = "email";
      break;
    case v1::CHANNEL_SMS:
      wanted = pv1::MARKETING_CHANNEL_SMS;
      word = "sms";
      break;
    case v1::CHANNEL_LETTER:
      wanted = pv1::MARKETING_CHANNEL_LETTER;
      word = "letter";
      break;
    default:
      return "no marketing consent: the message has no channel";
  }
  if (resolved.partner_id == 0 && resolved.contact_id == 0) {
    return fmt::format(
        "no marketing consent for {}: the address belongs to no partner or contact to hold one",
        word);
  }
  for (const auto& consent : resolved.marketing_consents) {
    if (consent.channel() != wanted) continue;
    if (consent.granted()) return "";
    return fmt::format("no marketing consent for {}: withdrawn", word);
  }
  return fmt::format("no marketing consent for {}", word);
}

}  // namespace karton::messaging
