// The NAV InvoiceData export of issued invoices built in memory the way
// the module builds them (PriceLines, TotalsOf): each one valid against
// NAV's invoiceData.xsd, with amounts that add up line by line, row by row
// and to the invoice's totals, in the invoice's currency and in forints.
#include "nav/invoice_data_xml.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "invoices/invoice_lines.h"
#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/money.h"
#include "nav/nav_schemas.h"

namespace karton::invoicing::nav {
namespace {

using common::v1::VatCategory;

// ------------------------------------------------------------ invoices

common::v1::Address Address(const std::string& country, const std::string& postal_code,
                            const std::string& city, const std::string& street) {
  common::v1::Address address;
  address.set_type(common::v1::ADDRESS_TYPE_BILLING);
  address.set_country(country);
  address.set_postal_code(postal_code);
  address.set_city(city);
  address.set_street(street);
  return address;
}

v1::InvoiceParty Seller() {
  v1::InvoiceParty seller;
  seller.set_name("Karton Hőtechnika Kft.");
  seller.set_tax_number("12345676-2-42");
  seller.set_eu_vat_number("HU12345676");
  *seller.mutable_address() = Address("HU", "1134", "Budapest", "Váci út 12. 3/4.");
  seller.set_bank_account("11773016-11111018-00000000");
  return seller;
}

v1::InvoiceParty DomesticBuyer() {
  v1::InvoiceParty buyer;
  buyer.set_name("Beszerző & Társa Kft.");
  buyer.set_tax_number("99887764-2-02");
  *buyer.mutable_address() = Address("HU", "7600", "Pécs", "Északi sugárút 123.");
  return buyer;
}

v1::InvoiceParty EuBuyer() {
  v1::InvoiceParty buyer;
  buyer.set_name("Käufer GmbH");
  buyer.set_eu_vat_number("ATU12345678");
  *buyer.mutable_address() = Address("AT", "1010", "Wien", "Kärntner Straße 1");
  return buyer;
}

v1::InvoiceParty PrivateBuyer() {
  v1::InvoiceParty buyer;
  buyer.set_name("Kovács Éva");
  *buyer.mutable_address() = Address("HU", "2000", "Szentendre", "Fő tér 1.");
  buyer.set_private_person(true);
  return buyer;
}

v1::InvoiceLine Line(const std::string& description, const std::string& quantity,
                     const std::string& unit, std::int64_t unit_price_minor, VatCategory category,
                     const std::string& discount = "") {
  v1::InvoiceLine line;
  line.set_description(description);
  line.set_quantity(quantity);
  line.set_unit(unit);
  line.mutable_unit_price()->set_minor_units(unit_price_minor);
  line.set_vat_category(category);
  line.set_discount_percent(discount);
  return line;
}

common::v1::Date Date(int year, int month, int day) {
  common::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// An issued invoice as GetInvoice returns it: lines priced, totals with
// the VAT summary and the VAT in forints.
v1::Invoice Issued(const std::string& currency, const std::string& rate,
                   std::vector<v1::InvoiceLine> lines, const v1::InvoiceParty& buyer) {
  v1::Invoice invoice;
  invoice.set_id(41);
  invoice.set_number("KRT-2026-000123");
  invoice.set_state(v1::INVOICE_STATE_ISSUED);
  invoice.set_kind(v1::INVOICE_KIND_INVOICE);
  invoice.set_currency_code(currency);
  invoice.set_exchange_rate(rate);
  *invoice.mutable_issue_date() = Date(2026, 1, 15);
  *invoice.mutable_fulfillment_date() = Date(2026, 1, 12);
  *invoice.mutable_due_date() = Date(2026, 1, 23);
  invoice.set_payment_method(v1::PAYMENT_METHOD_TRANSFER);
  for (auto& line : lines) *invoice.add_lines() = std::move(line);
  const auto violations = PriceLines(*invoice.mutable_lines(), currency, "invoice.");
  EXPECT_TRUE(violations.empty()) << violations.front().field;
  *invoice.mutable_totals() =
      TotalsOf(invoice.lines(), currency, ParseRate(currency == "HUF" ? "1" : rate).value());
  *invoice.mutable_seller() = Seller();
  *invoice.mutable_buyer() = buyer;
  return invoice;
}

v1::Invoice DomesticHufInvoice() {
  return Issued("HUF", "1",
                {Line("Kondenzációs gázkazán 24 kW", "2", "db", 48'900'000,
                      common::v1::VAT_CATEGORY_STANDARD_27),
                 Line("Kezelési kézikönyv (nyomtatott)", "3", "db", 499'000,
                      common::v1::VAT_CATEGORY_REDUCED_5),
                 Line("Szerelési munkadíj", "1.5", "óra", 1'450'000,
                      common::v1::VAT_CATEGORY_STANDARD_27, "10"),
                 Line("Oktatás (alanyi adómentes)", "2", "alkalom", 2'000'000,
                      common::v1::VAT_CATEGORY_EXEMPT_AAM)},
                DomesticBuyer());
}

// A credit note of `original` as CreateCreditNote makes it: its own
// number, the original's, the lines given continuing the chain's numbers
// from `first_reference`.
v1::Invoice CreditNote(v1::InvoiceKind kind, const std::string& number, int index,
                       int first_reference, std::vector<v1::InvoiceLine> lines) {
  v1::Invoice note = Issued("HUF", "1", std::move(lines), DomesticBuyer());
  note.set_kind(kind);
  note.set_number(number);
  note.set_original_invoice_id(41);
  note.set_original_number("KRT-2026-000123");
  note.set_modification_index(index);
  note.set_reason("Hibás mennyiség");
  for (int i = 0; i < note.lines_size(); ++i) {
    note.mutable_lines(i)->set_line_number_reference(first_reference + i);
  }
  return note;
}

// ------------------------------------------------------------ reading the XML back

// The texts of every <name> element, in document order.
std::vector<std::string> Values(const std::string& xml, const std::string& name) {
  std::vector<std::string> values;
  const std::string open = "<" + name + ">";
  const std::string close = "</" + name + ">";
  for (auto at = xml.find(open); at != std::string::npos; at = xml.find(open, at + 1)) {
    const auto start = at + open.size();
    values.push_back(xml.substr(start, xml.find(close, start) - start));
  }
  return values;
}

std::string Value(const std::string& xml, const std::string& name) {
  const auto values = Values(xml, name);
  EXPECT_EQ(values.size(), 1u) << name;
  return values.empty() ? "" : values.front();
}

// Minor units of an amount as the XML writes it ("-1234.50").
std::int64_t Minor(const std::string& text) {
  const auto value = kernel::ParseScaledDecimal(text, 2);
  EXPECT_TRUE(value.has_value()) << text;
  return value.value_or(0);
}

std::int64_t Sum(const std::string& xml, const std::string& name) {
  std::int64_t sum = 0;
  for (const auto& value : Values(xml, name)) sum += Minor(value);
  return sum;
}

void ExpectValid(const std::string& xml) {
  const auto problems = ValidateInvoiceData(xml);
  std::string text;
  for (const auto& problem : problems) text += problem + "\n";
  EXPECT_TRUE(problems.empty()) << text << xml;
}

// Lines add up to the VAT rows and the rows to the invoice's totals, in the
// invoice's currency and in forints, and the forint VAT is the invoice's.
void ExpectAmountsAddUp(const std::string& xml, const v1::Invoice& invoice) {
  const auto& totals = invoice.totals();
  EXPECT_EQ(Sum(xml, "lineNetAmount"), totals.net_amount().minor_units());
  EXPECT_EQ(Sum(xml, "vatRateNetAmount"), totals.net_amount().minor_units());
  EXPECT_EQ(Minor(Value(xml, "invoiceNetAmount")), totals.net_amount().minor_units());
  EXPECT_EQ(Sum(xml, "vatRateVatAmount"), totals.vat_amount().minor_units());
  EXPECT_EQ(Minor(Value(xml, "invoiceVatAmount")), totals.vat_amount().minor_units());
  EXPECT_EQ(Sum(xml, "vatRateGrossAmount"), totals.gross_amount().minor_units());
  EXPECT_EQ(Minor(Value(xml, "invoiceGrossAmount")), totals.gross_amount().minor_units());
  // The lines' own VAT is the one they show; the document's VAT is per row
  // on the summed net (docs/orders.md, "Money"): equal up to rounding.
  std::int64_t line_vat = 0;
  for (const auto& line : invoice.lines()) line_vat += line.vat_amount().minor_units();
  EXPECT_EQ(Sum(xml, "lineVatAmount"), line_vat);
  EXPECT_EQ(Sum(xml, "lineGrossAmountNormal"), totals.net_amount().minor_units() + line_vat);

  const std::int64_t net_huf = Minor(Value(xml, "invoiceNetAmountHUF"));
  const std::int64_t vat_huf = Minor(Value(xml, "invoiceVatAmountHUF"));
  EXPECT_EQ(vat_huf, totals.vat_amount_huf().minor_units());
  EXPECT_EQ(Sum(xml, "vatRateNetAmountHUF"), net_huf);
  EXPECT_EQ(Sum(xml, "vatRateVatAmountHUF"), vat_huf);
  EXPECT_EQ(Sum(xml, "vatRateGrossAmountHUF"), net_huf + vat_huf);
  EXPECT_EQ(Minor(Value(xml, "invoiceGrossAmountHUF")), net_huf + vat_huf);
  EXPECT_EQ(Sum(xml, "lineNetAmountHUF"), net_huf);
  const auto rows = Values(xml, "vatRateVatAmountHUF");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(totals.vat_summary_size()));
  for (int r = 0; r < totals.vat_summary_size(); ++r) {
    EXPECT_EQ(Minor(rows[static_cast<std::size_t>(r)]),
              totals.vat_summary(r).vat_amount_huf().minor_units());
  }
  const auto line_nets = Values(xml, "lineNetAmountHUF");
  const auto line_vats = Values(xml, "lineVatAmountHUF");
  const auto line_grosses = Values(xml, "lineGrossAmountNormalHUF");
  ASSERT_EQ(line_nets.size(), static_cast<std::size_t>(invoice.lines_size()));
  for (std::size_t i = 0; i < line_nets.size(); ++i) {
    EXPECT_EQ(Minor(line_grosses[i]), Minor(line_nets[i]) + Minor(line_vats[i]));
  }
}

// ------------------------------------------------------------ tests

TEST(InvoiceDataXml, DomesticHufInvoiceWithThreeVatCategories) {
  const v1::Invoice invoice = DomesticHufInvoice();
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);

  EXPECT_EQ(Value(xml, "invoiceNumber"), "KRT-2026-000123");
  EXPECT_EQ(Value(xml, "invoiceIssueDate"), "2026-01-15");
  EXPECT_EQ(Value(xml, "completenessIndicator"), "false");
  EXPECT_EQ(Values(xml, "invoiceReference").size(), 0u);
  EXPECT_EQ(Values(xml, "base:taxpayerId"), (std::vector<std::string>{"12345676", "99887764"}));
  EXPECT_EQ(Values(xml, "base:vatCode"), (std::vector<std::string>{"2", "2"}));
  EXPECT_EQ(Values(xml, "base:countyCode"), (std::vector<std::string>{"42", "02"}));
  EXPECT_EQ(Value(xml, "communityVatNumber"), "HU12345676");
  EXPECT_EQ(Value(xml, "supplierName"), "Karton Hőtechnika Kft.");
  EXPECT_EQ(Value(xml, "supplierBankAccountNumber"), "11773016-11111018-00000000");
  EXPECT_EQ(Values(xml, "base:additionalAddressDetail"),
            (std::vector<std::string>{"Váci út 12. 3/4.", "Északi sugárút 123."}));
  EXPECT_EQ(Value(xml, "customerVatStatus"), "DOMESTIC");
  EXPECT_EQ(Value(xml, "customerName"), "Beszerző &amp; Társa Kft.");
  EXPECT_EQ(Value(xml, "invoiceCategory"), "NORMAL");
  EXPECT_EQ(Value(xml, "invoiceDeliveryDate"), "2026-01-12");
  EXPECT_EQ(Value(xml, "currencyCode"), "HUF");
  EXPECT_EQ(Value(xml, "exchangeRate"), "1");
  EXPECT_EQ(Value(xml, "paymentMethod"), "TRANSFER");
  EXPECT_EQ(Value(xml, "paymentDate"), "2026-01-23");
  EXPECT_EQ(Value(xml, "invoiceAppearance"), "ELECTRONIC");

  EXPECT_EQ(Values(xml, "lineNumber"), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(Values(xml, "lineModificationReference").size(), 0u);
  EXPECT_EQ(Values(xml, "unitOfMeasure"),
            (std::vector<std::string>{"PIECE", "PIECE", "HOUR", "OWN"}));
  EXPECT_EQ(Value(xml, "unitOfMeasureOwn"), "alkalom");
  // A piece may be goods or a service; an hour is work.
  EXPECT_EQ(Values(xml, "lineNatureIndicator"),
            (std::vector<std::string>{"OTHER", "OTHER", "SERVICE", "OTHER"}));
  // It charges VAT: not a subjectively exempt seller.
  EXPECT_EQ(Values(xml, "individualExemption").size(), 0u);
  EXPECT_EQ(Values(xml, "quantity"), (std::vector<std::string>{"2", "3", "1.5", "2"}));
  EXPECT_EQ(Values(xml, "unitPrice"),
            (std::vector<std::string>{"489000.00", "4990.00", "14500.00", "20000.00"}));
  EXPECT_EQ(Values(xml, "unitPriceHUF"),
            (std::vector<std::string>{"489000", "4990", "14500", "20000"}));
  // 1.5 × 14,500 = 21,750, less 10%: 19,575 net, 2,175 discount.
  EXPECT_EQ(Value(xml, "discountValue"), "2175.00");
  EXPECT_EQ(Value(xml, "discountRate"), "0.1");
  EXPECT_EQ(Values(xml, "lineNetAmount"),
            (std::vector<std::string>{"978000.00", "14970.00", "19575.00", "40000.00"}));
  EXPECT_EQ(Values(xml, "vatPercentage"),
            (std::vector<std::string>{"0.27", "0.05", "0.27", "0.27", "0.05"}));
  EXPECT_EQ(Values(xml, "case"), (std::vector<std::string>{"AAM", "AAM"}));
  // On a HUF invoice the forint amounts are the amounts.
  EXPECT_EQ(Values(xml, "lineNetAmountHUF"), Values(xml, "lineNetAmount"));
  EXPECT_EQ(Values(xml, "lineVatAmountHUF"), Values(xml, "lineVatAmount"));
  // 27%: (978,000 + 19,575) × 27% = 269,345.25 -> 269,345.
  EXPECT_EQ(Values(xml, "vatRateVatAmount"),
            (std::vector<std::string>{"269345.00", "749.00", "0.00"}));
  EXPECT_EQ(Value(xml, "invoiceGrossAmount"), "1322639.00");
}

TEST(InvoiceDataXml, EurInvoiceToAnEuBuyerWithForintsAtTheRate) {
  const v1::Invoice invoice = Issued(
      "EUR", "395.12",
      {Line("Hűtött házi sertés (fél)", "1500", "kg", 200, common::v1::VAT_CATEGORY_EXEMPT_KBAET),
       Line("Kenőmájas", "4000", "dkg", 3, common::v1::VAT_CATEGORY_EXEMPT_KBAET),
       Line("Szállítás", "1", "db", 5, common::v1::VAT_CATEGORY_STANDARD_27),
       Line("Csomagolás", "1", "db", 5, common::v1::VAT_CATEGORY_STANDARD_27),
       Line("Raklap", "1", "db", 5, common::v1::VAT_CATEGORY_STANDARD_27)},
      EuBuyer());
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);

  EXPECT_EQ(Value(xml, "customerVatStatus"), "OTHER");
  EXPECT_EQ(Values(xml, "communityVatNumber"),
            (std::vector<std::string>{"HU12345676", "ATU12345678"}));
  EXPECT_EQ(Values(xml, "base:countryCode"), (std::vector<std::string>{"HU", "AT"}));
  EXPECT_EQ(Value(xml, "currencyCode"), "EUR");
  EXPECT_EQ(Value(xml, "exchangeRate"), "395.12");
  EXPECT_EQ(Values(xml, "unitOfMeasure"),
            (std::vector<std::string>{"KILOGRAM", "OWN", "PIECE", "PIECE", "PIECE"}));
  // Exactly the unit price at the rate: 2.00 EUR is 790.24 Ft, 0.03 EUR 11.8536 Ft.
  EXPECT_EQ(Values(xml, "unitPriceHUF"),
            (std::vector<std::string>{"790.24", "11.8536", "19.756", "19.756", "19.756"}));
  EXPECT_EQ(Values(xml, "case")[0], "KBAET");
  EXPECT_EQ(Values(xml, "lineNetAmount"),
            (std::vector<std::string>{"3000.00", "120.00", "0.05", "0.05", "0.05"}));
  // The rows in category order: 27%, then KBAET. KBAET: 3,120 EUR at
  // 395.12 = 1,232,774.40 -> 1,232,774 Ft, split 1,185,360 + 47,414.
  EXPECT_EQ(Values(xml, "lineNetAmountHUF")[0], "1185360.00");
  EXPECT_EQ(Values(xml, "lineNetAmountHUF")[1], "47414.00");
  EXPECT_EQ(Values(xml, "vatRateNetAmountHUF"), (std::vector<std::string>{"59.00", "1232774.00"}));
  // 27%: 0.15 EUR = 59.268 Ft -> 59, each line 19.756: 20 + 20 + 19; its
  // VAT 0.04 EUR (on the summed net) = 15.8048 -> 16 Ft, the lines' VAT
  // 0.01 EUR each, given the 16 Ft as 6 + 5 + 5.
  const auto nets = Values(xml, "lineNetAmountHUF");
  EXPECT_EQ(std::vector<std::string>(nets.begin() + 2, nets.end()),
            (std::vector<std::string>{"20.00", "20.00", "19.00"}));
  const auto vats = Values(xml, "lineVatAmountHUF");
  EXPECT_EQ(std::vector<std::string>(vats.begin() + 2, vats.end()),
            (std::vector<std::string>{"6.00", "5.00", "5.00"}));
  EXPECT_EQ(Values(xml, "vatRateVatAmountHUF"), (std::vector<std::string>{"16.00", "0.00"}));
  EXPECT_EQ(Value(xml, "invoiceVatAmountHUF"), "16.00");
  // Every line's net in forints is within a forint of its own net at the rate.
  for (int i = 0; i < invoice.lines_size(); ++i) {
    const std::int64_t exact =
        kernel::ConvertAtRate(invoice.lines(i).net_amount().minor_units(), 395'120'000, 1);
    EXPECT_LE(std::abs(Minor(nets[static_cast<std::size_t>(i)]) - exact), 100) << i;
  }
}

TEST(InvoiceDataXml, ForintsOfLinesWithMixedSignsStillAddUp) {
  // A returned item (negative quantity) among the lines of one VAT rate.
  const v1::Invoice invoice =
      Issued("EUR", "401.234567",
             {Line("Radiátor", "10", "db", 1'234, common::v1::VAT_CATEGORY_STANDARD_27),
              Line("Visszáru: radiátor", "-1", "db", 555, common::v1::VAT_CATEGORY_STANDARD_27),
              Line("Tömítés", "3", "db", 7, common::v1::VAT_CATEGORY_STANDARD_27),
              Line("Szerelés", "2.5", "óra", 3'333, common::v1::VAT_CATEGORY_STANDARD_27, "12.5")},
             EuBuyer());
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);
  EXPECT_EQ(Value(xml, "exchangeRate"), "401.234567");
  const auto nets = Values(xml, "lineNetAmountHUF");
  for (int i = 0; i < invoice.lines_size(); ++i) {
    const std::int64_t exact =
        kernel::ConvertAtRate(invoice.lines(i).net_amount().minor_units(), 401'234'567, 1);
    EXPECT_LE(std::abs(Minor(nets[static_cast<std::size_t>(i)]) - exact), 100) << i;
  }
}

TEST(InvoiceDataXml, FiveHundredLinesAreWrittenAndValidated) {
  std::vector<v1::InvoiceLine> lines;
  for (int i = 0; i < 500; ++i) {
    lines.push_back(Line("Tétel " + std::to_string(i), std::to_string(i % 7 + 1) + ".125", "kg",
                         1'000 + i * 37, static_cast<VatCategory>(i % 16 + 1)));
  }
  const v1::Invoice invoice = Issued("EUR", "395.5", std::move(lines), EuBuyer());
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);
  EXPECT_EQ(Values(xml, "line").size(), 500u);
}

TEST(InvoiceDataXml, PrivatePersonIsReportedWithoutNameOrAddress) {
  const v1::Invoice invoice = Issued(
      "HUF", "1",
      {Line("Okostermosztát Wi-Fi", "1", "db", 3'990'000, common::v1::VAT_CATEGORY_STANDARD_27)},
      PrivateBuyer());
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);
  EXPECT_NE(
      xml.find("<customerInfo>\n          <customerVatStatus>PRIVATE_PERSON</customerVatStatus>\n"
               "        </customerInfo>"),
      std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("Kovács"), std::string::npos);
  EXPECT_EQ(xml.find("Szentendre"), std::string::npos);
}

TEST(InvoiceDataXml, ModificationReferencesTheOriginalAndContinuesItsLines) {
  // The original had 4 lines: one boiler less and an extra hour of work.
  const v1::Invoice note = CreditNote(
      v1::INVOICE_KIND_MODIFICATION, "KRT-2026-000140", 1, 5,
      {Line("Kondenzációs gázkazán 24 kW", "-1", "db", 48'900'000,
            common::v1::VAT_CATEGORY_STANDARD_27),
       Line("Szerelési munkadíj", "1", "óra", 1'450'000, common::v1::VAT_CATEGORY_STANDARD_27)});
  const std::string xml = InvoiceDataXml(note);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, note);
  EXPECT_EQ(Value(xml, "invoiceNumber"), "KRT-2026-000140");
  EXPECT_EQ(Value(xml, "originalInvoiceNumber"), "KRT-2026-000123");
  EXPECT_EQ(Value(xml, "modifyWithoutMaster"), "false");
  EXPECT_EQ(Value(xml, "modificationIndex"), "1");
  EXPECT_EQ(Values(xml, "lineNumber"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Values(xml, "lineNumberReference"), (std::vector<std::string>{"5", "6"}));
  EXPECT_EQ(Values(xml, "lineOperation"), (std::vector<std::string>{"CREATE", "CREATE"}));
  EXPECT_EQ(Values(xml, "quantity"), (std::vector<std::string>{"-1", "1"}));
  EXPECT_EQ(Values(xml, "lineNetAmount"), (std::vector<std::string>{"-489000.00", "14500.00"}));
  // (−489,000 + 14,500) × 27% = −128,115.
  EXPECT_EQ(Value(xml, "invoiceNetAmount"), "-474500.00");
  EXPECT_EQ(Value(xml, "invoiceVatAmount"), "-128115.00");
  EXPECT_EQ(Value(xml, "invoiceGrossAmountHUF"), "-602615.00");
}

TEST(InvoiceDataXml, StornoNegatesEveryLineOfTheOriginal) {
  const v1::Invoice original = DomesticHufInvoice();
  std::vector<v1::InvoiceLine> negated;
  for (const auto& line : original.lines()) {
    negated.push_back(Line(line.description(), "-" + line.quantity(), line.unit(),
                           line.unit_price().minor_units(), line.vat_category(),
                           line.discount_percent()));
  }
  // After the original's 4 lines and the modification's 2.
  const v1::Invoice storno =
      CreditNote(v1::INVOICE_KIND_STORNO, "KRT-2026-000141", 2, 7, std::move(negated));
  const std::string xml = InvoiceDataXml(storno);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, storno);
  EXPECT_EQ(Value(xml, "modificationIndex"), "2");
  EXPECT_EQ(Values(xml, "lineNumberReference"), (std::vector<std::string>{"7", "8", "9", "10"}));
  EXPECT_EQ(Values(xml, "quantity"), (std::vector<std::string>{"-2", "-3", "-1.5", "-2"}));
  EXPECT_EQ(Value(xml, "discountValue"), "-2175.00");
  EXPECT_EQ(Minor(Value(xml, "invoiceGrossAmount")),
            -original.totals().gross_amount().minor_units());
  EXPECT_EQ(Minor(Value(xml, "invoiceVatAmountHUF")),
            -original.totals().vat_amount_huf().minor_units());
}

TEST(InvoiceDataXml, PaperAppearanceAndOtherPaymentMethods) {
  v1::Invoice invoice = DomesticHufInvoice();
  invoice.set_payment_method(v1::PAYMENT_METHOD_CARD);
  invoice.clear_due_date();
  invoice.clear_fulfillment_date();
  const std::string xml = InvoiceDataXml(invoice, {.appearance = InvoiceAppearance::kPaper});
  ExpectValid(xml);
  EXPECT_EQ(Value(xml, "invoiceAppearance"), "PAPER");
  EXPECT_EQ(Value(xml, "paymentMethod"), "CARD");
  EXPECT_EQ(Values(xml, "paymentDate").size(), 0u);
  EXPECT_EQ(Value(xml, "invoiceDeliveryDate"), "2026-01-15");  // the issue date
}

TEST(InvoiceDataXml, TextsAreEscapedFlattenedAndCutToNavsLengths) {
  v1::Invoice invoice = DomesticHufInvoice();
  invoice.mutable_lines(0)->set_description("Kazán <24 kW> & \"tartozékok\"\nsor\ttörés");
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "ő";
  invoice.mutable_lines(1)->set_description(long_text);
  invoice.mutable_buyer()->mutable_address()->set_extra("II. emelet");
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  const auto descriptions = Values(xml, "lineDescription");
  EXPECT_EQ(descriptions[0], "Kazán &lt;24 kW&gt; &amp; &quot;tartozékok&quot; sor törés");
  EXPECT_EQ(descriptions[1].size(), 512u * 2);  // 512 characters of two bytes
  EXPECT_EQ(Values(xml, "base:additionalAddressDetail")[1], "Északi sugárút 123., II. emelet");
}

TEST(InvoiceDataXml, ForeignBuyerWithoutVatNumberIsOther) {
  v1::InvoiceParty buyer = EuBuyer();
  buyer.clear_eu_vat_number();
  buyer.mutable_address()->set_country("us");
  buyer.mutable_address()->set_postal_code("ny 10001");
  const v1::Invoice invoice = Issued(
      "EUR", "400",
      {Line("Tanácsadás", "3", "óra", 12'000, common::v1::VAT_CATEGORY_OUT_OF_SCOPE_HO)}, buyer);
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);
  EXPECT_EQ(Value(xml, "customerVatStatus"), "OTHER");
  EXPECT_EQ(Values(xml, "customerVatData").size(), 0u);
  EXPECT_EQ(Values(xml, "base:countryCode")[1], "US");
  EXPECT_EQ(Values(xml, "base:postalCode")[1], "NY 10001");
  EXPECT_EQ(Values(xml, "case"), (std::vector<std::string>{"HO", "HO"}));
  EXPECT_EQ(Value(xml, "invoiceNetAmountHUF"), "144000.00");
}

TEST(InvoiceDataXml, EveryVatCategoryHasItsNavName) {
  std::vector<v1::InvoiceLine> lines;
  for (int category = common::v1::VAT_CATEGORY_STANDARD_27;
       category <= common::v1::VAT_CATEGORY_DOMESTIC_REVERSE_CHARGE; ++category) {
    lines.push_back(Line("Tétel", "1", "db", 100'000, static_cast<VatCategory>(category)));
  }
  const v1::Invoice invoice = Issued("HUF", "1", std::move(lines), DomesticBuyer());
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);
  // Lines, then the summary rows: the same order (category order).
  const std::vector<std::string> cases = {"AAM", "TAM",     "KBAET",  "KBAUK", "EAM", "NAM",
                                          "ATK", "EUFAD37", "EUFADE", "EUE",   "HO"};
  std::vector<std::string> twice = cases;
  twice.insert(twice.end(), cases.begin(), cases.end());
  EXPECT_EQ(Values(xml, "case"), twice);
  EXPECT_EQ(Values(xml, "vatPercentage"),
            (std::vector<std::string>{"0.27", "0.18", "0.05", "0", "0.27", "0.18", "0.05", "0"}));
  EXPECT_EQ(Values(xml, "vatDomesticReverseCharge"), (std::vector<std::string>{"true", "true"}));
  EXPECT_EQ(Values(xml, "vatExemption").size(), 12u);  // 6 cases, lines and rows
  EXPECT_EQ(Values(xml, "vatOutOfScope").size(), 10u);
}

std::string RefusalOf(const v1::Invoice& invoice) {
  try {
    InvoiceDataXml(invoice);
  } catch (const std::invalid_argument& refusal) {
    return refusal.what();
  }
  return "accepted";
}

TEST(InvoiceDataXml, RefusesWhatNavCannotTakeNamingTheField) {
  v1::Invoice draft = DomesticHufInvoice();
  draft.set_state(v1::INVOICE_STATE_DRAFT);
  EXPECT_EQ(RefusalOf(draft).rfind("state: ", 0), 0u) << RefusalOf(draft);

  v1::Invoice invoice = DomesticHufInvoice();
  invoice.mutable_seller()->set_tax_number("12345678-2-42");  // check digit 6, not 8
  EXPECT_EQ(RefusalOf(invoice).rfind("seller.tax_number: ", 0), 0u) << RefusalOf(invoice);

  invoice = DomesticHufInvoice();
  invoice.mutable_buyer()->mutable_address()->set_postal_code("7");
  EXPECT_EQ(RefusalOf(invoice).rfind("buyer.address.postal_code: ", 0), 0u);

  invoice = DomesticHufInvoice();
  invoice.mutable_buyer()->clear_address();
  EXPECT_EQ(RefusalOf(invoice), "buyer.address: is required");

  invoice = DomesticHufInvoice();
  invoice.mutable_buyer()->set_name(" \n ");
  EXPECT_EQ(RefusalOf(invoice), "buyer.name: is required");

  invoice = DomesticHufInvoice();
  invoice.mutable_seller()->set_bank_account("HU-12");
  EXPECT_EQ(RefusalOf(invoice).rfind("seller.bank_account: ", 0), 0u);

  invoice = DomesticHufInvoice();
  invoice.mutable_buyer()->set_tax_number("");
  invoice.mutable_buyer()->set_eu_vat_number("1234");
  EXPECT_EQ(RefusalOf(invoice).rfind("buyer.eu_vat_number: ", 0), 0u);

  invoice =
      Issued("EUR", "395.12", {Line("Tétel", "1", "db", 100, common::v1::VAT_CATEGORY_STANDARD_27)},
             EuBuyer());
  invoice.set_exchange_rate("");
  EXPECT_EQ(RefusalOf(invoice).rfind("exchange_rate: ", 0), 0u);

  v1::Invoice note =
      CreditNote(v1::INVOICE_KIND_STORNO, "KRT-2026-000141", 1, 5,
                 {Line("Tétel", "-1", "db", 100, common::v1::VAT_CATEGORY_STANDARD_27)});
  note.mutable_lines(0)->set_line_number_reference(0);
  EXPECT_EQ(RefusalOf(note).rfind("lines[0].line_number_reference: ", 0), 0u);
  note.mutable_lines(0)->set_line_number_reference(5);
  note.set_modification_index(0);
  EXPECT_EQ(RefusalOf(note).rfind("modification_index: ", 0), 0u);
}

TEST(InvoiceDataXml, RefusesAmountsThatDoNotAddUp) {
  v1::Invoice invoice = DomesticHufInvoice();
  invoice.mutable_totals()->mutable_vat_summary(0)->mutable_vat_amount()->set_minor_units(1);
  invoice.mutable_totals()->mutable_vat_summary(0)->mutable_vat_amount_huf()->set_minor_units(1);
  EXPECT_EQ(RefusalOf(invoice), "totals.vat_amount: is not the sum of totals.vat_summary");

  invoice = DomesticHufInvoice();
  invoice.mutable_lines(0)->mutable_net_amount()->set_minor_units(1);
  EXPECT_EQ(RefusalOf(invoice), "lines[0].gross_amount: is not net + VAT");

  invoice = DomesticHufInvoice();
  invoice.mutable_totals()->clear_vat_summary();
  EXPECT_EQ(RefusalOf(invoice).rfind("totals.vat_summary: ", 0), 0u);

  invoice =
      Issued("EUR", "395.12", {Line("Tétel", "1", "db", 100, common::v1::VAT_CATEGORY_STANDARD_27)},
             EuBuyer());
  invoice.mutable_totals()->mutable_vat_summary(0)->clear_vat_amount_huf();
  EXPECT_EQ(RefusalOf(invoice),
            "totals.vat_summary[0].vat_amount_huf: is required on a foreign-currency invoice");
}

TEST(InvoiceDataXml, ASubjectivelyExemptSellerIsReportedAsOne) {
  const v1::Invoice invoice =
      Issued("HUF", "1",
             {Line("Nyelvóra", "10", "óra", 800'000, common::v1::VAT_CATEGORY_EXEMPT_AAM),
              Line("Tankönyv", "1", "kg", 450'000, common::v1::VAT_CATEGORY_EXEMPT_AAM)},
             DomesticBuyer());
  const std::string xml = InvoiceDataXml(invoice);
  ExpectValid(xml);
  ExpectAmountsAddUp(xml, invoice);
  EXPECT_EQ(Value(xml, "individualExemption"), "true");
  EXPECT_EQ(Values(xml, "lineNatureIndicator"), (std::vector<std::string>{"SERVICE", "PRODUCT"}));
  // Each line's exemption, and the VAT row's.
  EXPECT_EQ(Values(xml, "case"), (std::vector<std::string>{"AAM", "AAM", "AAM"}));
}

TEST(NavLineNature, FollowsTheUnit) {
  EXPECT_EQ(NavLineNature("HOUR"), "SERVICE");
  EXPECT_EQ(NavLineNature("MONTH"), "SERVICE");
  EXPECT_EQ(NavLineNature("KILOMETER"), "SERVICE");
  EXPECT_EQ(NavLineNature("KILOGRAM"), "PRODUCT");
  EXPECT_EQ(NavLineNature("LITER"), "PRODUCT");
  EXPECT_EQ(NavLineNature("PIECE"), "OTHER");
  EXPECT_EQ(NavLineNature(""), "OTHER");
}

TEST(NavUnitOfMeasure, MapsTheUsualHungarianUnits) {
  EXPECT_EQ(NavUnitOfMeasure("db"), "PIECE");
  EXPECT_EQ(NavUnitOfMeasure("DB"), "PIECE");
  EXPECT_EQ(NavUnitOfMeasure("kg"), "KILOGRAM");
  EXPECT_EQ(NavUnitOfMeasure("óra"), "HOUR");
  EXPECT_EQ(NavUnitOfMeasure("Óra"), "HOUR");
  EXPECT_EQ(NavUnitOfMeasure("kWh"), "KWH");
  EXPECT_EQ(NavUnitOfMeasure("hónap"), "MONTH");
  EXPECT_EQ(NavUnitOfMeasure("l"), "LITER");
  EXPECT_EQ(NavUnitOfMeasure("m³"), "CUBIC_METER");
  EXPECT_EQ(NavUnitOfMeasure("fm"), "LINEAR_METER");
  EXPECT_EQ(NavUnitOfMeasure(" csomag "), "PACK");
  EXPECT_EQ(NavUnitOfMeasure("alkalom"), "");
  EXPECT_EQ(NavUnitOfMeasure("m2"), "");
}

}  // namespace
}  // namespace karton::invoicing::nav
