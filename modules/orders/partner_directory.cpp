#include "partner_directory.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "karton/common/v1/credit_exposure.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::orders {

grpc::Status GrpcPartnerDirectory::FindPartner(const grpc::ServerContext* from,
                                               std::int64_t partner_id, PartnerFacts& facts) {
  auto call = kernel::CallContextFor(from);
  partners::v1::GetPartnerRequest request;
  request.set_id(partner_id);
  partners::v1::Partner partner;
  auto status =
      partners::v1::PartnerService::NewStub(channel_())->GetPartner(call.get(), request, &partner);
  if (!status.ok()) return status;
  facts.id = partner.id();
  facts.display_name = partner.display_name();
  facts.credit_limit = partner.credit_limit();
  facts.legal_name = partner.legal_name();
  facts.tax_number = partner.tax_number();
  facts.preferred_language = partner.preferred_language();
  facts.address.Clear();
  if (partner.addresses_size() > 0) facts.address = partner.addresses(0);
  for (const auto& address : partner.addresses()) {
    if (address.type() == common::v1::ADDRESS_TYPE_BILLING) {
      facts.address = address;
      break;
    }
  }
  return grpc::Status::OK;
}

grpc::Status GrpcPartnerDirectory::CheckContact(const grpc::ServerContext* from,
                                                std::int64_t partner_id, std::int64_t contact_id) {
  ContactFacts facts;
  return FindContact(from, partner_id, contact_id, facts);
}

grpc::Status GrpcPartnerDirectory::FindContact(const grpc::ServerContext* from,
                                               std::int64_t partner_id, std::int64_t contact_id,
                                               ContactFacts& facts) {
  auto call = kernel::CallContextFor(from);
  partners::v1::GetContactRequest request;
  request.set_id(contact_id);
  partners::v1::Contact contact;
  auto status =
      partners::v1::PartnerService::NewStub(channel_())->GetContact(call.get(), request, &contact);
  if (!status.ok()) return status;
  if (contact.partner_id() != partner_id) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("contact {} belongs to partner {}, not {}", contact_id,
                        contact.partner_id(), partner_id)};
  }
  facts.id = contact.id();
  facts.name = contact.name();
  return grpc::Status::OK;
}

grpc::Status ExtensionCreditExposure::Ask(const grpc::ServerContext& from, std::int64_t partner_id,
                                          const std::string& currency_code,
                                          std::vector<ExposureAnswer>& answers) {
  const auto offers = offers_();
  if (offers.empty()) return grpc::Status::OK;
  common::v1::CreditExposureRequest request;
  request.set_partner_id(partner_id);
  request.set_currency_code(currency_code);
  auto replies =
      kernel::CallExtensions<common::v1::CreditExposure>(channel_(), from, offers, request);
  for (auto& reply : replies) {
    if (!reply.status.ok()) {
      return {grpc::StatusCode::UNAVAILABLE,
              fmt::format("the credit check needs {}'s open amount, which it could not give: {}",
                          reply.module, reply.status.error_message())};
    }
    const auto& open = reply.response.open_amount();
    if (open.minor_units() != 0 && open.currency_code() != currency_code) {
      return {grpc::StatusCode::INTERNAL,
              fmt::format("{} answered the credit check in {}, not {}", reply.module,
                          open.currency_code(), currency_code)};
    }
    answers.push_back({reply.module, open.minor_units(), reply.response.description(),
                       reply.response.not_counted()});
  }
  return grpc::Status::OK;
}

}  // namespace karton::orders
