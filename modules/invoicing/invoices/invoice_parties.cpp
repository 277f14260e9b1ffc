#include "invoices/invoice_parties.h"

#include <google/protobuf/util/json_util.h>

#include <stdexcept>

namespace karton::invoicing {

bool IsHungarianTaxNumber(std::string_view text) {
  if (text.size() != 13 || text[8] != '-' || text[10] != '-') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 10) continue;
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

v1::InvoiceParty BuyerOf(const partners::v1::Partner& partner) {
  v1::InvoiceParty buyer;
  buyer.set_name(partner.legal_name().empty() ? partner.display_name() : partner.legal_name());
  buyer.set_tax_number(partner.tax_number());
  buyer.set_eu_vat_number(partner.eu_vat_number());
  const common::v1::Address* chosen = nullptr;
  for (const auto& address : partner.addresses()) {
    if (address.type() == common::v1::ADDRESS_TYPE_BILLING) {
      chosen = &address;
      break;
    }
    if (chosen == nullptr) chosen = &address;
  }
  if (chosen != nullptr) *buyer.mutable_address() = *chosen;
  buyer.set_private_person(partner.kind() == partners::v1::PARTNER_KIND_PERSON &&
                           partner.tax_number().empty() && partner.eu_vat_number().empty());
  return buyer;
}

std::string MissingSellerSetting(const v1::InvoiceParty& seller) {
  if (seller.name().empty()) return "invoicing.seller_name";
  if (seller.tax_number().empty()) return "invoicing.seller_tax_number";
  if (seller.address().postal_code().empty()) return "invoicing.seller_postal_code";
  if (seller.address().city().empty()) return "invoicing.seller_city";
  if (seller.address().street().empty()) return "invoicing.seller_street";
  return "";
}

std::string PartyJson(const v1::InvoiceParty& party) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  if (!google::protobuf::util::MessageToJsonString(party, &json, options).ok()) {
    throw std::runtime_error("an invoice party does not print as JSON");
  }
  return json;
}

}  // namespace karton::invoicing
