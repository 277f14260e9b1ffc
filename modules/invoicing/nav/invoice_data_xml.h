// The NAV Online Számla 3.0 data report of an issued invoice or credit note:
// the <InvoiceData> document (invoiceData.xsd) that manageInvoice sends to
// the tax authority, base64-encoded. Pure: the invoice in, the XML out.
//
//   const std::string xml = nav::InvoiceDataXml(invoice);  // GetInvoice's invoice
//   // nav::ValidateInvoiceData(xml) is empty (nav/nav_schemas.h)
//
// How Karton's invoice becomes NAV's:
// - invoiceCategory NORMAL, completenessIndicator false (the report is not
//   the invoice itself), mergedItemIndicator false, lineExpressionIndicator
//   true (every line has a quantity, a unit and a unit price).
// - The seller's and the buyer's tax numbers "12345678-2-42" split into
//   taxpayerId, vatCode and countyCode; addresses are NAV's simpleAddress
//   (street and extra as additionalAddressDetail), never split into street
//   name, category and number by guesswork.
// - The buyer: PRIVATE_PERSON when buyer.private_person, with nothing else
//   (NAV refuses a private person's name and address); DOMESTIC with a
//   Hungarian tax number; OTHER with the community VAT number, or with
//   none (a foreign or a non-VAT buyer).
// - invoiceDeliveryDate is the fulfilment date, paymentDate the due date,
//   exchangeRate 1 for HUF and the invoice's rate otherwise.
// - A credit note (MODIFICATION or STORNO) names the original's number and
//   its modificationIndex, and each line its lineNumberReference with
//   lineOperation CREATE (NAV accepts no other); its amounts are negative
//   as the credit note's are.
// - Units: NavUnitOfMeasure below; anything else is OWN with the unit's own
//   text as unitOfMeasureOwn.
// - lineNatureIndicator from the unit (NavLineNature below): Karton's
//   products carry no goods-or-service flag, and a piece may be either.
// - individualExemption true when every line is VAT_CATEGORY_EXEMPT_AAM:
//   a subjectively exempt (alanyi adómentes) seller charges no VAT on
//   anything, and one that charges VAT on a line is not exempt.
// - modifyWithoutMaster false: a credit note's original is always an
//   invoice Karton issued, and NAV has its report.
// - VAT: vatPercentage 0.27, 0.18, 0.05, 0 for the rates; vatExemption or
//   vatOutOfScope with the category's NAV case (AAM, KBAET, ATK, ...) and a
//   Hungarian reason; vatDomesticReverseCharge for domestic reverse charge.
// - Money is written exactly from the integer minor units, two decimals.
//   On a HUF invoice the HUF amounts are the amounts. On a foreign-currency
//   invoice each VAT row's net in HUF is the net at the rate rounded to
//   whole forints (kernel::ConvertAtRate), its VAT in HUF the row's
//   vat_amount_huf (the invoice's figure), and each line's HUF amounts are
//   the line's share of its row's, apportioned by largest remainder: every
//   line is within a forint of its own amount at the rate (more only when
//   the lines' VAT and the row's differ by rounding), and the lines add up
//   exactly to the rows and the rows to the totals. unitPriceHUF is the
//   unit price at the rate, exact.
#pragma once

#include <string>
#include <string_view>

#include "karton/invoicing/v1/invoicing.pb.h"

namespace karton::invoicing::nav {

// How the invoice was issued to the buyer (NAV invoiceAppearance).
enum class InvoiceAppearance {
  // A PDF sent electronically (VAT Act 259. § 5.): what Karton issues.
  kElectronic,
  // Printed and handed over or posted.
  kPaper,
};

struct InvoiceDataOptions {
  InvoiceAppearance appearance = InvoiceAppearance::kElectronic;
};

// The <InvoiceData> document of an issued invoice or credit note, UTF-8,
// indented. Needs what GetInvoice returns: the lines, the totals with
// their VAT summary, the seller and the buyer. Throws std::invalid_argument
// with a message that starts with the invoice's field ("state: ...",
// "buyer.address.postal_code: ...") for a draft, for something NAV cannot
// take (a postal code, a tax number or a bank account in the wrong form, a
// missing name or address), and for amounts that do not add up (a line's
// gross that is not net + VAT, VAT rows that do not sum to the totals),
// which would otherwise be reported to the tax authority as they are.
std::string InvoiceDataXml(const v1::Invoice& invoice, const InvoiceDataOptions& options = {});

// NAV's unit of measure for a unit as Karton's lines write it: "db" PIECE,
// "kg" KILOGRAM, "t" TON, "kWh" KWH, "nap" DAY, "óra" HOUR, "perc" MINUTE,
// "hó"/"hónap" MONTH, "l" LITER, "km" KILOMETER, "m3"/"m³" CUBIC_METER,
// "m" METER, "fm" LINEAR_METER, "karton" CARTON, "csomag"/"cs" PACK (and
// their English names: "pcs", "hour", ...), ignoring ASCII case; "" for
// any other, which the report writes as OWN with the unit itself.
std::string_view NavUnitOfMeasure(std::string_view unit);

// NAV's lineNatureIndicator for a line of NAV unit `nav_unit`
// (NavUnitOfMeasure's answer, "" for OWN): SERVICE for time and distance
// (HOUR, MINUTE, DAY, MONTH, KILOMETER: work, rental, subscription,
// transport), PRODUCT for what only goods are measured in (KILOGRAM, TON,
// KWH, LITER, CUBIC_METER, METER, LINEAR_METER, CARTON, PACK), OTHER for
// PIECE and OWN units, which may be either.
std::string_view NavLineNature(std::string_view nav_unit);

}  // namespace karton::invoicing::nav
