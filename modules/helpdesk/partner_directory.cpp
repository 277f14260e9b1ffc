#include "partner_directory.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>

#include "karton/kernel/calls.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::helpdesk {
namespace {

namespace pv1 = partners::v1;

// A string value of the partners filter grammar.
std::string Quoted(const std::string& value) {
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

grpc::Status GrpcPartnerDirectory::CheckPartner(const grpc::ServerContext* from,
                                                std::int64_t partner_id) {
  auto call = kernel::CallContextFor(from);
  pv1::GetPartnerRequest request;
  request.set_id(partner_id);
  pv1::Partner partner;
  return pv1::PartnerService::NewStub(channel_())->GetPartner(call.get(), request, &partner);
}

grpc::Status GrpcPartnerDirectory::CheckContact(const grpc::ServerContext* from,
                                                std::int64_t partner_id, std::int64_t contact_id) {
  auto call = kernel::CallContextFor(from);
  pv1::GetContactRequest request;
  request.set_id(contact_id);
  pv1::Contact contact;
  auto status = pv1::PartnerService::NewStub(channel_())->GetContact(call.get(), request, &contact);
  if (!status.ok()) return status;
  if (contact.partner_id() != partner_id) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("contact {} belongs to partner {}, not {}", contact_id,
                        contact.partner_id(), partner_id)};
  }
  return grpc::Status::OK;
}

grpc::Status GrpcPartnerDirectory::Match(const grpc::ServerContext* from, const std::string& email,
                                         const std::string& phone, PartnerMatch& match) {
  match = {};
  auto stub = pv1::PartnerService::NewStub(channel_());
  struct Probe {
    const char* field;
    const std::string& value;
    bool contact;
  };
  // A contact's address names the contact and its partner; a partner's
  // own address the partner only. Email before phone.
  for (const Probe& probe : {Probe{"contact.email", email, true}, Probe{"email", email, false},
                             Probe{"contact.phone", phone, true}, Probe{"phone", phone, false}}) {
    if (probe.value.empty()) continue;
    pv1::ListPartnersRequest request;
    request.set_filter(fmt::format("{} = {}", probe.field, Quoted(probe.value)));
    request.set_page_size(1);
    pv1::ListPartnersResponse response;
    auto call = kernel::CallContextFor(from);
    auto status = stub->ListPartners(call.get(), request, &response);
    if (!status.ok()) return status;
    if (response.partners_size() == 0) continue;
    match.partner_id = response.partners(0).id();
    if (!probe.contact) return grpc::Status::OK;
    pv1::ListContactsRequest contacts_request;
    contacts_request.set_partner_id(match.partner_id);
    contacts_request.set_page_size(1000);
    pv1::ListContactsResponse contacts;
    auto listed_call = kernel::CallContextFor(from);
    status = stub->ListContacts(listed_call.get(), contacts_request, &contacts);
    if (!status.ok()) return status;
    for (const auto& contact : contacts.contacts()) {
      const auto& values =
          std::string(probe.field) == "contact.email" ? contact.emails() : contact.phones();
      const bool found = std::any_of(values.begin(), values.end(), [&](const std::string& value) {
        return (std::string(probe.field) == "contact.email" ? Lower(value) : value) == probe.value;
      });
      if (found) {
        match.contact_id = contact.id();
        return grpc::Status::OK;
      }
    }
    return grpc::Status::OK;
  }
  return grpc::Status::OK;
}

}  // namespace karton::helpdesk
