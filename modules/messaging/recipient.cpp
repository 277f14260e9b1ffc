#include "recipient.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <boost/json/parse.hpp>
#include <map>
#include <set>

#include "karton/kernel/calls.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/proto_json.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::messaging {
namespace {

namespace pv1 = partners::v1;

// Recipients are looked up for delivery jobs too, where nobody waits.
constexpr std::chrono::seconds kPartnersCallLimit{30};
// What one BatchGetPartners or BatchGetContacts call takes.
constexpr int kMaxBatchIds = 1000;

// Asks a BatchGet method for every one of `ids`, kMaxBatchIds a call, and
// files what comes back under its id; what is missing or hidden is left
// out. The first failed call's status ends it.
template <class Request, class Call, class Response, class Item>
grpc::Status BatchGetById(const std::set<std::int64_t>& ids, const Call& call,
                          google::protobuf::RepeatedPtrField<Item>* (Response::*items)(),
                          std::map<std::int64_t, Item>& found) {
  for (auto first = ids.begin(); first != ids.end();) {
    Request request;
    for (int n = 0; first != ids.end() && n < kMaxBatchIds; ++first, ++n) request.add_ids(*first);
    Response response;
    if (auto status = call(request, response); !status.ok()) return status;
    for (auto& item : *(response.*items)()) found.emplace(item.id(), std::move(item));
  }
  return grpc::Status::OK;
}

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

namespace {

// What a contact gives the message; false (with resolved.status set) when
// it is not the recipient's partner's.
bool TakeContact(ResolvedRecipient& resolved, const pv1::Contact& contact) {
  if (resolved.partner_id != 0 && resolved.partner_id != contact.partner_id()) {
    resolved.status =
        kernel::InvalidField("recipient.contact_id",
                             fmt::format("contact {} belongs to partner {}, not to partner {}",
                                         contact.id(), contact.partner_id(), resolved.partner_id));
    return false;
  }
  resolved.partner_id = contact.partner_id();
  resolved.contact_id = contact.id();
  resolved.name = contact.name();
  if (contact.emails_size() > 0) resolved.email = contact.emails(0);
  if (contact.phones_size() > 0) resolved.phone = contact.phones(0);
  resolved.marketing_consents = contact.marketing_consents();
  resolved.data["contact"] =
      boost::json::parse(kernel::PrintProtoJson(contact, kernel::ProtoJsonNames::kJson));
  return true;
}

void TakePartner(ResolvedRecipient& resolved, const pv1::Partner& partner) {
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
    if (!TakeContact(resolved, contact)) return resolved;
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
    TakePartner(resolved, partner);
  }
  return resolved;
}

std::vector<ResolvedRecipient> ResolveRecipients(
    const kernel::ChannelSource& partners_channel, const grpc::ServerContext* caller,
    const std::vector<const v1::Recipient*>& recipients) {
  std::vector<ResolvedRecipient> resolved(recipients.size());
  if (recipients.empty()) return resolved;
  auto partners = pv1::PartnerService::NewStub(partners_channel());
  // Contacts first: they name the partners of recipients given only by
  // contact. BatchGet leaves out what is missing or hidden from the caller.
  std::map<std::int64_t, pv1::Contact> contacts;
  {
    std::set<std::int64_t> wanted;
    for (const auto* recipient : recipients) {
      if (recipient->contact_id() > 0) wanted.insert(recipient->contact_id());
    }
    const auto status = BatchGetById<pv1::BatchGetContactsRequest>(
        wanted,
        [&](const auto& request, pv1::BatchGetContactsResponse& response) {
          return partners->BatchGetContacts(
              kernel::CallContextFor(caller, kPartnersCallLimit).get(), request, &response);
        },
        &pv1::BatchGetContactsResponse::mutable_contacts, contacts);
    if (!status.ok()) {
      for (auto& each : resolved) each.status = status;
      return resolved;
    }
  }
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    resolved[i].partner_id = recipients[i]->partner_id();
    const std::int64_t contact_id = recipients[i]->contact_id();
    if (contact_id == 0) continue;
    const auto found = contacts.find(contact_id);
    if (found == contacts.end()) {
      resolved[i].status = kernel::InvalidField("recipient.contact_id",
                                                fmt::format("no contact with id {}", contact_id));
    } else {
      TakeContact(resolved[i], found->second);
    }
  }
  std::map<std::int64_t, pv1::Partner> partner_cards;
  {
    std::set<std::int64_t> wanted;
    for (const auto& each : resolved) {
      if (each.status.ok() && each.partner_id > 0) wanted.insert(each.partner_id);
    }
    const auto status = BatchGetById<pv1::BatchGetPartnersRequest>(
        wanted,
        [&](const auto& request, pv1::BatchGetPartnersResponse& response) {
          return partners->BatchGetPartners(
              kernel::CallContextFor(caller, kPartnersCallLimit).get(), request, &response);
        },
        &pv1::BatchGetPartnersResponse::mutable_partners, partner_cards);
    if (!status.ok()) {
      for (auto& each : resolved) each.status = status;
      return resolved;
    }
  }
  for (auto& each : resolved) {
    if (!each.status.ok() || each.partner_id == 0) continue;
    const auto found = partner_cards.find(each.partner_id);
    if (found == partner_cards.end()) {
      each.status = kernel::InvalidField("recipient.partner_id",
                                         fmt::format("no partner with id {}", each.partner_id));
    } else {
      TakePartner(each, found->second);
    }
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
