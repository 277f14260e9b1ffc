// The seller and the buyer as an invoice names them (InvoiceParty): the
// buyer from the partner card, the seller from the module's settings.
#pragma once

#include <string>
#include <string_view>

#include "karton/invoicing/v1/invoicing.pb.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::invoicing {

// "12345678-2-42": the written form partners stores (partners checks the
// digits when the card is saved; this only checks the shape).
bool IsHungarianTaxNumber(std::string_view text);

// The buyer of an invoice to `partner`: the legal name (else the display
// name), the tax numbers, the billing address (else the first one); a
// person with no tax number is a private person (NAV: PRIVATE_PERSON).
v1::InvoiceParty BuyerOf(const partners::v1::Partner& partner);

// What the seller still lacks to issue an invoice ("" when nothing): the
// option to set, for the error the accountant reads.
std::string MissingSellerSetting(const v1::InvoiceParty& seller);

// The party as its jsonb column holds it (protobuf's JSON mapping, which
// typed rows read back).
std::string PartyJson(const v1::InvoiceParty& party);

}  // namespace karton::invoicing
