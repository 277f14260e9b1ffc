#include "nav/invoice_data_xml.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/money.h"
#include "nav/libxml.h"

namespace karton::invoicing::nav {
namespace {

using common::v1::VatCategory;
// GCC's 128-bit integer: an amount times an exchange rate in millionths.
__extension__ using Wide = __int128;

constexpr char kDataNamespace[] = "http://schemas.nav.gov.hu/OSA/3.0/data";
constexpr char kCommonNamespace[] = "http://schemas.nav.gov.hu/NTCA/1.0/common";
constexpr char kBaseNamespace[] = "http://schemas.nav.gov.hu/OSA/3.0/base";

// An exchange rate of 1: forints per forint, in millionths.
constexpr std::int64_t kOneMillionths = 1'000'000;
// Minor units times a rate in millionths are 10^-8 of the target currency.
constexpr int kRateProductScale = 8;

[[noreturn]] void Refuse(std::string_view field, std::string_view why) {
  throw std::invalid_argument(fmt::format("{}: {}", field, why));
}

// ---------------------------------------------------------------- text

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlnumUpper(char c) { return IsDigit(c) || IsUpper(c); }

std::string UpperAscii(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

// Text as NAV's SimpleText types take it: control characters (line breaks,
// tabs) become spaces, since the types' pattern .*[^\s].* matches no line
// break; spaces trimmed; cut at `max_characters` UTF-8 characters, as the
// specification says a longer text is ("cropped at the maximum length").
std::string NavText(std::string_view text, std::size_t max_characters) {
  std::string out;
  std::size_t characters = 0;
  for (std::size_t at = 0; at < text.size() && characters < max_characters; ++characters) {
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = 1;
    if (lead >= 0xF0) {
      length = 4;
    } else if (lead >= 0xE0) {
      length = 3;
    } else if (lead >= 0xC0) {
      length = 2;
    }
    length = std::min(length, text.size() - at);
    if (lead < 0x20 || lead == 0x7F) {
      out += ' ';
    } else {
      out.append(text.substr(at, length));
    }
    at += length;
  }
  return std::string(Trimmed(out));
}

std::string RequiredText(std::string_view field, std::string_view text,
                         std::size_t max_characters) {
  std::string nav = NavText(text, max_characters);
  if (nav.empty()) Refuse(field, "is required");
  return nav;
}

// An identifier NAV takes whole or not at all (an invoice number): never
// cut, refused when longer.
std::string Identifier(std::string_view field, std::string_view text, std::size_t max_bytes) {
  std::string nav = NavText(text, std::numeric_limits<std::size_t>::max());
  if (nav.empty()) Refuse(field, "is required");
  if (nav.size() > max_bytes)
    Refuse(field, fmt::format("NAV takes at most {} characters", max_bytes));
  return nav;
}

// Without the separators people type into identifiers.
std::string Compact(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ' && c != '-' && c != '.' && c != '\t') compact += c;
  }
  return compact;
}

// ---------------------------------------------------------------- numbers

// 123456 -> "1234.56", -5 -> "-0.05": minor units with two decimals.
std::string Amount(std::int64_t minor_units) {
  const bool negative = minor_units < 0;
  const auto magnitude = negative ? 0ULL - static_cast<unsigned long long>(minor_units)
                                  : static_cast<unsigned long long>(minor_units);
  return fmt::format("{}{}.{:02}", negative ? "-" : "", magnitude / 100, magnitude % 100);
}

Wide FloorDivide(Wide numerator, Wide denominator) {
  Wide quotient = numerator / denominator;
  if (numerator % denominator != 0 && ((numerator < 0) != (denominator < 0))) --quotient;
  return quotient;
}

std::string WideDigits(Wide magnitude) {
  std::string digits;
  do {
    digits += static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude > 0);
  std::reverse(digits.begin(), digits.end());
  return digits;
}

// value × 10^-scale as a decimal without trailing zeros, in at most
// max_digits digits (fraction digits rounded away, half away from zero,
// when it is longer): NAV's QuantityType for unitPriceHUF.
std::string ExactDecimal(Wide value, int scale, int max_digits) {
  while (true) {
    if (scale > 0 && value % 10 == 0) {
      value /= 10;
      --scale;
      continue;
    }
    const std::string digits = WideDigits(value < 0 ? -value : value);
    if (scale == 0 ||
        static_cast<int>(std::max(digits.size(), std::size_t(scale) + 1)) <= max_digits) {
      break;
    }
    Wide quotient = value / 10;
    const Wide rest = value % 10;
    if (rest >= 5) ++quotient;
    if (rest <= -5) --quotient;
    value = quotient;
    --scale;
  }
  std::string digits = WideDigits(value < 0 ? -value : value);
  if (scale > 0) {
    if (digits.size() <= static_cast<std::size_t>(scale)) {
      digits.insert(0, static_cast<std::size_t>(scale) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<std::size_t>(scale), ".");
  }
  return value < 0 ? "-" + digits : digits;
}

// Splits target_minor (a multiple of `unit` minor units: 100 is whole
// forints) among amounts whose exact values are exact[i] (minor units ×
// rate in millionths), by largest remainder: each gets its value rounded
// down to the unit, the units still missing go one each to the largest
// remainders (evenly to all first when more are missing than there are
// amounts). The result sums to target_minor exactly.
std::vector<std::int64_t> Apportion(const std::vector<Wide>& exact, std::int64_t target_minor,
                                    std::int64_t unit) {
  const auto count = static_cast<Wide>(exact.size());
  std::vector<std::int64_t> shares(exact.size());
  if (exact.empty()) return shares;
  const Wide unit_scale = Wide{unit} * kOneMillionths;
  std::vector<Wide> base(exact.size());
  std::vector<Wide> remainder(exact.size());
  Wide missing = target_minor / unit;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    base[i] = FloorDivide(exact[i], unit_scale);
    remainder[i] = exact[i] - base[i] * unit_scale;
    missing -= base[i];
  }
  const Wide each = FloorDivide(missing, count);
  const Wide extra = missing - each * count;  // 0 <= extra < count
  std::vector<std::size_t> order(exact.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    const std::size_t i = order[rank];
    const Wide units = base[i] + each + (static_cast<Wide>(rank) < extra ? 1 : 0);
    shares[i] = static_cast<std::int64_t>(units * unit);
  }
  return shares;
}

// ---------------------------------------------------------------- identifiers

struct TaxNumber {
  std::string taxpayer_id;  // 8 digits
  std::string vat_code;     // 1 digit, 1-5; empty when not given
  std::string county_code;  // 2 digits; empty when not given
};

// "12345676-2-42", "12345676242" or the first eight digits alone, with
// the törzsszám's check digit right (weights 9 7 3 1 9 7 3).
TaxNumber ParseTaxNumber(std::string_view field, std::string_view text) {
  const std::string digits = Compact(text);
  if ((digits.size() != 8 && digits.size() != 11) ||
      !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    Refuse(field, "must be a Hungarian tax number, 12345676-2-42");
  }
  static constexpr int kWeights[] = {9, 7, 3, 1, 9, 7, 3};
  int sum = 0;
  for (std::size_t i = 0; i < 7; ++i) sum += (digits[i] - '0') * kWeights[i];
  if (digits[7] - '0' != (10 - sum % 10) % 10) {
    Refuse(field, "is not a Hungarian tax number: its check digit (the 8th) is wrong");
  }
  TaxNumber number{digits.substr(0, 8), "", ""};
  if (digits.size() == 11) {
    if (digits[8] < '1' || digits[8] > '5')
      Refuse(field, "has a VAT code (9th digit) other than 1-5");
    number.vat_code = digits.substr(8, 1);
    number.county_code = digits.substr(9, 2);
  }
  return number;
}

// "ATU12345678": a country prefix and 2 to 13 letters or digits.
std::string CommunityVatNumber(std::string_view field, std::string_view text) {
  const std::string number = UpperAscii(Compact(text));
  if (number.size() < 4 || number.size() > 15 || !IsUpper(number[0]) || !IsUpper(number[1]) ||
      !std::all_of(number.begin() + 2, number.end(), IsAlnumUpper)) {
    Refuse(field, "must be a community VAT number, a country prefix and 2 to 13 letters or digits");
  }
  return number;
}

// A Hungarian GIRO account (16 or 24 digits, written 8-8 or 8-8-8) or an
// IBAN, as NAV's BankAccountNumberType takes it.
std::string BankAccount(std::string_view field, std::string_view text) {
  const std::string compact = UpperAscii(Compact(text));
  if (std::all_of(compact.begin(), compact.end(), IsDigit) &&
      (compact.size() == 16 || compact.size() == 24)) {
    std::string giro = compact.substr(0, 8) + "-" + compact.substr(8, 8);
    if (compact.size() == 24) giro += "-" + compact.substr(16, 8);
    return giro;
  }
  if (compact.size() >= 15 && compact.size() <= 34 && IsUpper(compact[0]) && IsUpper(compact[1]) &&
      IsDigit(compact[2]) && IsDigit(compact[3]) &&
      std::all_of(compact.begin() + 4, compact.end(), IsAlnumUpper)) {
    return compact;
  }
  Refuse(field, "must be an IBAN or a Hungarian account number, 12345678-12345678-12345678");
}

// NAV's PostalCodeType: 3 to 10 letters, digits, spaces and dashes,
// beginning and ending with a letter or digit.
std::string PostalCode(std::string_view field, std::string_view text) {
  const std::string code = UpperAscii(Trimmed(text));
  const bool valid = code.size() >= 3 && code.size() <= 10 && IsAlnumUpper(code.front()) &&
                     IsAlnumUpper(code.back()) && std::all_of(code.begin(), code.end(), [](char c) {
                       return IsAlnumUpper(c) || c == ' ' || c == '-';
                     });
  if (!valid) Refuse(field, "NAV takes 3 to 10 letters, digits, spaces and dashes");
  return code;
}

std::string DateOf(std::string_view field, const common::v1::Date& date) {
  if (!kernel::IsValidDate(date)) Refuse(field, "is required, a valid date");
  return kernel::DateText(date);
}

bool IsSet(const common::v1::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

// ---------------------------------------------------------------- VAT

struct NavVatRate {
  enum class Kind { kPercentage, kExemption, kOutOfScope, kDomesticReverseCharge };
  Kind kind;
  std::string percentage;  // "0.27"
  const char* nav_case = nullptr;
  const char* reason = nullptr;
};

// The VAT category as NAV names it (common.v1.VatCategory's comments).
NavVatRate NavVatRateOf(std::string_view field, int category) {
  using Kind = NavVatRate::Kind;
  const auto exemption = [](const char* nav_case, const char* reason) {
    return NavVatRate{Kind::kExemption, "", nav_case, reason};
  };
  const auto out_of_scope = [](const char* nav_case, const char* reason) {
    return NavVatRate{Kind::kOutOfScope, "", nav_case, reason};
  };
  switch (category) {
    case common::v1::VAT_CATEGORY_STANDARD_27:
    case common::v1::VAT_CATEGORY_REDUCED_18:
    case common::v1::VAT_CATEGORY_REDUCED_5:
    case common::v1::VAT_CATEGORY_ZERO: {
      const int basis_points = *kernel::VatRateBasisPoints(static_cast<VatCategory>(category));
      return {Kind::kPercentage, kernel::FormatScaledDecimal(basis_points, 4)};
    }
    case common::v1::VAT_CATEGORY_EXEMPT_AAM:
      return exemption("AAM", "Alanyi adómentesség (Áfa tv. XIII. fejezet)");
    case common::v1::VAT_CATEGORY_EXEMPT_TAM:
      return exemption("TAM", "Tárgyi adómentes ügylet (Áfa tv. 85-86. §)");
    case common::v1::VAT_CATEGORY_EXEMPT_KBAET:
      return exemption("KBAET", "Közösségen belüli adómentes termékértékesítés (Áfa tv. 89. §)");
    case common::v1::VAT_CATEGORY_EXEMPT_KBAUK:
      return exemption("KBAUK",
                       "Új közlekedési eszköz Közösségen belüli adómentes értékesítése "
                       "(Áfa tv. 89. § (2))");
    case common::v1::VAT_CATEGORY_EXEMPT_EAM:
      return exemption("EAM", "Adómentes termékexport harmadik országba (Áfa tv. 98-109. §)");
    case common::v1::VAT_CATEGORY_EXEMPT_NAM:
      return exemption("NAM",
                       "Nemzetközi ügyletekhez kapcsolódó adómentesség (Áfa tv. 110-118. §)");
    case common::v1::VAT_CATEGORY_OUT_OF_SCOPE_ATK:
      return out_of_scope("ATK", "Áfa tv. hatályán kívüli ügylet (Áfa tv. 2-3. §)");
    case common::v1::VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37:
      return out_of_scope("EUFAD37",
                          "Más tagállamban teljesített szolgáltatás, fordított adózás "
                          "(Áfa tv. 37. § (1))");
    case common::v1::VAT_CATEGORY_OUT_OF_SCOPE_EUFADE:
      return out_of_scope("EUFADE", "Más tagállamban teljesített, fordítottan adózó ügylet");
    case common::v1::VAT_CATEGORY_OUT_OF_SCOPE_EUE:
      return out_of_scope("EUE", "Más tagállamban teljesített, nem fordítottan adózó ügylet");
    case common::v1::VAT_CATEGORY_OUT_OF_SCOPE_HO:
      return out_of_scope("HO", "Harmadik országban teljesített ügylet");
    case common::v1::VAT_CATEGORY_DOMESTIC_REVERSE_CHARGE:
      return {Kind::kDomesticReverseCharge, ""};
    default:
      Refuse(field, "is not a VAT category");
  }
}

void WriteVatRate(xml::Writer& writer, const char* element, const NavVatRate& rate) {
  writer.Start(element);
  switch (rate.kind) {
    case NavVatRate::Kind::kPercentage:
      writer.Element("vatPercentage", rate.percentage);
      break;
    case NavVatRate::Kind::kExemption:
    case NavVatRate::Kind::kOutOfScope:
      writer.Start(rate.kind == NavVatRate::Kind::kExemption ? "vatExemption" : "vatOutOfScope");
      writer.Element("case", rate.nav_case);
      writer.Element("reason", rate.reason);
      writer.End();
      break;
    case NavVatRate::Kind::kDomesticReverseCharge:
      writer.Element("vatDomesticReverseCharge", "true");
      break;
  }
  writer.End();
}

// ---------------------------------------------------------------- parties

void WriteTaxNumber(xml::Writer& writer, const char* element, const TaxNumber& number) {
  writer.Start(element);
  writer.Element("base:taxpayerId", number.taxpayer_id);
  if (!number.vat_code.empty()) writer.Element("base:vatCode", number.vat_code);
  if (!number.county_code.empty()) writer.Element("base:countyCode", number.county_code);
  writer.End();
}

// Always NAV's simpleAddress: Karton keeps the street, number and door in
// one text, which detailedAddress would want split by guesswork.
void WriteAddress(xml::Writer& writer, const char* element, std::string_view field,
                  bool has_address, const common::v1::Address& address) {
  if (!has_address) Refuse(field, "is required");
  const std::string country = UpperAscii(Trimmed(address.country()));
  if (country.size() != 2 || !IsUpper(country[0]) || !IsUpper(country[1])) {
    Refuse(fmt::format("{}.country", field), "must be a two-letter country code");
  }
  const std::string region = NavText(address.region(), 50);
  const std::string postal_code =
      PostalCode(fmt::format("{}.postal_code", field), address.postal_code());
  const std::string city = RequiredText(fmt::format("{}.city", field), address.city(), 255);
  std::string detail = NavText(address.street(), 255);
  const std::string extra = NavText(address.extra(), 255);
  if (!extra.empty()) detail = detail.empty() ? extra : detail + ", " + extra;
  detail = RequiredText(fmt::format("{}.street", field), detail, 255);

  writer.Start(element);
  writer.Start("base:simpleAddress");
  writer.Element("base:countryCode", country);
  if (!region.empty()) writer.Element("base:region", region);
  writer.Element("base:postalCode", postal_code);
  writer.Element("base:city", city);
  writer.Element("base:additionalAddressDetail", detail);
  writer.End();
  writer.End();
}

void WriteSupplier(xml::Writer& writer, const v1::InvoiceParty& seller, bool individual_exemption) {
  writer.Start("supplierInfo");
  WriteTaxNumber(writer, "supplierTaxNumber",
                 ParseTaxNumber("seller.tax_number", seller.tax_number()));
  if (!Trimmed(seller.eu_vat_number()).empty()) {
    writer.Element("communityVatNumber",
                   CommunityVatNumber("seller.eu_vat_number", seller.eu_vat_number()));
  }
  writer.Element("supplierName", RequiredText("seller.name", seller.name(), 512));
  WriteAddress(writer, "supplierAddress", "seller.address", seller.has_address(), seller.address());
  if (!Trimmed(seller.bank_account()).empty()) {
    writer.Element("supplierBankAccountNumber",
                   BankAccount("seller.bank_account", seller.bank_account()));
  }
  // Alanyi adómentes (VAT Act XIII.): the seller invoices AAM.
  if (individual_exemption) writer.Element("individualExemption", "true");
  writer.End();
}

void WriteCustomer(xml::Writer& writer, const v1::InvoiceParty& buyer) {
  writer.Start("customerInfo");
  if (buyer.private_person()) {
    // NAV refuses a private person's name, address and numbers
    // (INVOICE_COMPLETENESS: "individual customer details should not be
    // provided"); the invoice itself shows them.
    writer.Element("customerVatStatus", "PRIVATE_PERSON");
    writer.End();
    return;
  }
  if (!Trimmed(buyer.tax_number()).empty()) {
    writer.Element("customerVatStatus", "DOMESTIC");
    writer.Start("customerVatData");
    WriteTaxNumber(writer, "customerTaxNumber",
                   ParseTaxNumber("buyer.tax_number", buyer.tax_number()));
    writer.End();
  } else {
    writer.Element("customerVatStatus", "OTHER");
    if (!Trimmed(buyer.eu_vat_number()).empty()) {
      writer.Start("customerVatData");
      writer.Element("communityVatNumber",
                     CommunityVatNumber("buyer.eu_vat_number", buyer.eu_vat_number()));
      writer.End();
    }
  }
  writer.Element("customerName", RequiredText("buyer.name", buyer.name(), 512));
  WriteAddress(writer, "customerAddress", "buyer.address", buyer.has_address(), buyer.address());
  writer.End();
}

// ---------------------------------------------------------------- amounts

struct HufAmounts {
  std::int64_t net = 0;
  std::int64_t vat = 0;
  std::int64_t gross = 0;
};

// What the report writes besides the invoice's own amounts: the forint
// amounts of each line, each VAT row and the invoice; checked to add up.
struct Amounts {
  std::vector<HufAmounts> lines;
  std::vector<HufAmounts> rows;
  HufAmounts total;
};

std::int64_t Narrow(std::string_view field, Wide value) {
  if (value > std::numeric_limits<std::int64_t>::max() ||
      value < std::numeric_limits<std::int64_t>::min()) {
    Refuse(field, "is too large");
  }
  return static_cast<std::int64_t>(value);
}

Amounts AmountsOf(const v1::Invoice& invoice, bool is_huf, std::int64_t rate_millionths) {
  const auto& lines = invoice.lines();
  const auto& totals = invoice.totals();
  const auto& rows = totals.vat_summary();
  if (rows.empty()) Refuse("totals.vat_summary", "is required (GetInvoice fills it)");

  std::map<int, int> row_of_category;
  for (int r = 0; r < rows.size(); ++r) {
    if (!row_of_category.emplace(rows[r].vat_category(), r).second) {
      Refuse(fmt::format("totals.vat_summary[{}].vat_category", r), "appears twice");
    }
  }
  std::vector<std::vector<int>> lines_of_row(static_cast<std::size_t>(rows.size()));
  std::vector<Wide> row_nets(static_cast<std::size_t>(rows.size()), 0);
  for (int i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const auto row = row_of_category.find(line.vat_category());
    if (row == row_of_category.end()) {
      Refuse(fmt::format("lines[{}].vat_category", i), "has no row in totals.vat_summary");
    }
    lines_of_row[static_cast<std::size_t>(row->second)].push_back(i);
    row_nets[static_cast<std::size_t>(row->second)] += line.net_amount().minor_units();
    if (Wide{line.net_amount().minor_units()} + line.vat_amount().minor_units() !=
        line.gross_amount().minor_units()) {
      Refuse(fmt::format("lines[{}].gross_amount", i), "is not net + VAT");
    }
  }

  Amounts amounts;
  amounts.lines.resize(static_cast<std::size_t>(lines.size()));
  Wide net = 0, vat = 0, net_huf = 0, vat_huf = 0;
  for (int r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const std::string field = fmt::format("totals.vat_summary[{}]", r);
    const auto index = static_cast<std::size_t>(r);
    if (row_nets[index] != row.net_amount().minor_units()) {
      Refuse(field + ".net_amount", "is not the sum of its lines' net amounts");
    }
    HufAmounts huf;
    if (is_huf) {
      huf.net = row.net_amount().minor_units();
      huf.vat = row.vat_amount().minor_units();
      if (row.has_vat_amount_huf() && row.vat_amount_huf().minor_units() != huf.vat) {
        Refuse(field + ".vat_amount_huf", "differs from vat_amount on a HUF invoice");
      }
    } else {
      if (!row.has_vat_amount_huf()) {
        Refuse(field + ".vat_amount_huf", "is required on a foreign-currency invoice");
      }
      huf.net = kernel::ConvertAtRate(row.net_amount().minor_units(), rate_millionths, 100);
      huf.vat = row.vat_amount_huf().minor_units();
    }
    huf.gross = Narrow(field, Wide{huf.net} + huf.vat);
    amounts.rows.push_back(huf);
    net += row.net_amount().minor_units();
    vat += row.vat_amount().minor_units();
    net_huf += huf.net;
    vat_huf += huf.vat;

    const auto& members = lines_of_row[index];
    if (is_huf) {
      for (int i : members) {
        const auto& line = lines[i];
        amounts.lines[static_cast<std::size_t>(i)] = {line.net_amount().minor_units(),
                                                      line.vat_amount().minor_units(),
                                                      line.gross_amount().minor_units()};
      }
      continue;
    }
    std::vector<Wide> exact_nets, exact_vats;
    for (int i : members) {
      exact_nets.push_back(Wide{lines[i].net_amount().minor_units()} * rate_millionths);
      exact_vats.push_back(Wide{lines[i].vat_amount().minor_units()} * rate_millionths);
    }
    const auto nets = Apportion(exact_nets, huf.net, 100);
    const auto vats = Apportion(exact_vats, huf.vat, huf.vat % 100 == 0 ? 100 : 1);
    for (std::size_t k = 0; k < members.size(); ++k) {
      auto& line = amounts.lines[static_cast<std::size_t>(members[k])];
      line = {nets[k], vats[k], Narrow(field, Wide{nets[k]} + vats[k])};
    }
  }
  if (net != totals.net_amount().minor_units()) {
    Refuse("totals.net_amount", "is not the sum of totals.vat_summary");
  }
  if (vat != totals.vat_amount().minor_units()) {
    Refuse("totals.vat_amount", "is not the sum of totals.vat_summary");
  }
  if (net + vat != totals.gross_amount().minor_units()) {
    Refuse("totals.gross_amount", "is not net + VAT");
  }
  if (totals.has_vat_amount_huf() && vat_huf != totals.vat_amount_huf().minor_units()) {
    Refuse("totals.vat_amount_huf", "is not the sum of totals.vat_summary");
  }
  amounts.total = {Narrow("totals", net_huf), Narrow("totals", vat_huf),
                   Narrow("totals", net_huf + vat_huf)};
  return amounts;
}

// ---------------------------------------------------------------- lines

void WriteLine(xml::Writer& writer, const v1::InvoiceLine& line, int index, bool credit_note,
               const HufAmounts& huf, std::int64_t rate_millionths) {
  const std::string field = fmt::format("lines[{}]", index);
  const auto quantity = kernel::ParseScaledDecimal(line.quantity(), 3);
  if (!quantity) Refuse(field + ".quantity", "must be a decimal with at most 3 fraction digits");
  const auto discount = kernel::ParseScaledDecimal(
      line.discount_percent().empty() ? "0" : line.discount_percent(), 2);
  if (!discount || *discount < 0 || *discount > 10000) {
    Refuse(field + ".discount_percent", "must be a decimal from 0 to 100");
  }
  const std::string unit = line.unit().empty() ? "db" : line.unit();
  const std::string_view nav_unit = NavUnitOfMeasure(unit);
  const std::int64_t unit_price = line.unit_price().minor_units();

  writer.Start("line");
  writer.Element("lineNumber", std::to_string(index + 1));
  if (credit_note) {
    if (line.line_number_reference() < 1) {
      Refuse(field + ".line_number_reference", "is required on an issued credit note");
    }
    writer.Start("lineModificationReference");
    writer.Element("lineNumberReference", std::to_string(line.line_number_reference()));
    // NAV accepts only CREATE (INVALID_LINE_OPERATION): a credit note adds
    // lines to the chain, negative ones taking away.
    writer.Element("lineOperation", "CREATE");
    writer.End();
  }
  writer.Element("lineExpressionIndicator", "true");
  writer.Element("lineNatureIndicator", NavLineNature(nav_unit));
  writer.Element("lineDescription", RequiredText(field + ".description", line.description(), 512));
  writer.Element("quantity", kernel::FormatScaledDecimal(*quantity, 3));
  if (nav_unit.empty()) {
    writer.Element("unitOfMeasure", "OWN");
    writer.Element("unitOfMeasureOwn", RequiredText(field + ".unit", unit, 50));
  } else {
    writer.Element("unitOfMeasure", nav_unit);
  }
  writer.Element("unitPrice", Amount(unit_price));
  writer.Element("unitPriceHUF",
                 ExactDecimal(Wide{unit_price} * rate_millionths, kRateProductScale, 22));
  if (*discount != 0) {
    // quantity × unit price − discountValue = lineNetAmount (NAV's rule),
    // the product rounded to the minor unit.
    const Wide undiscounted = Wide{*quantity} * unit_price;
    Wide rounded = undiscounted / 1000;
    const Wide rest = undiscounted % 1000;
    if (rest >= 500) ++rounded;
    if (rest <= -500) --rounded;
    writer.Start("lineDiscountData");
    writer.Element("discountValue", Amount(Narrow(field + ".discount_percent",
                                                  rounded - line.net_amount().minor_units())));
    writer.Element("discountRate", kernel::FormatScaledDecimal(*discount, 4));
    writer.End();
  }
  writer.Start("lineAmountsNormal");
  writer.Start("lineNetAmountData");
  writer.Element("lineNetAmount", Amount(line.net_amount().minor_units()));
  writer.Element("lineNetAmountHUF", Amount(huf.net));
  writer.End();
  WriteVatRate(writer, "lineVatRate", NavVatRateOf(field + ".vat_category", line.vat_category()));
  writer.Start("lineVatData");
  writer.Element("lineVatAmount", Amount(line.vat_amount().minor_units()));
  writer.Element("lineVatAmountHUF", Amount(huf.vat));
  writer.End();
  writer.Start("lineGrossAmountData");
  writer.Element("lineGrossAmountNormal", Amount(line.gross_amount().minor_units()));
  writer.Element("lineGrossAmountNormalHUF", Amount(huf.gross));
  writer.End();
  writer.End();  // lineAmountsNormal
  writer.End();  // line
}

void WriteSummary(xml::Writer& writer, const v1::InvoiceTotals& totals, const Amounts& amounts) {
  writer.Start("invoiceSummary");
  writer.Start("summaryNormal");
  for (int r = 0; r < totals.vat_summary().size(); ++r) {
    const auto& row = totals.vat_summary(r);
    const auto& huf = amounts.rows[static_cast<std::size_t>(r)];
    writer.Start("summaryByVatRate");
    WriteVatRate(
        writer, "vatRate",
        NavVatRateOf(fmt::format("totals.vat_summary[{}].vat_category", r), row.vat_category()));
    writer.Start("vatRateNetData");
    writer.Element("vatRateNetAmount", Amount(row.net_amount().minor_units()));
    writer.Element("vatRateNetAmountHUF", Amount(huf.net));
    writer.End();
    writer.Start("vatRateVatData");
    writer.Element("vatRateVatAmount", Amount(row.vat_amount().minor_units()));
    writer.Element("vatRateVatAmountHUF", Amount(huf.vat));
    writer.End();
    writer.Start("vatRateGrossData");
    writer.Element("vatRateGrossAmount",
                   Amount(row.net_amount().minor_units() + row.vat_amount().minor_units()));
    writer.Element("vatRateGrossAmountHUF", Amount(huf.gross));
    writer.End();
    writer.End();
  }
  writer.Element("invoiceNetAmount", Amount(totals.net_amount().minor_units()));
  writer.Element("invoiceNetAmountHUF", Amount(amounts.total.net));
  writer.Element("invoiceVatAmount", Amount(totals.vat_amount().minor_units()));
  writer.Element("invoiceVatAmountHUF", Amount(amounts.total.vat));
  writer.End();  // summaryNormal
  writer.Start("summaryGrossData");
  writer.Element("invoiceGrossAmount", Amount(totals.gross_amount().minor_units()));
  writer.Element("invoiceGrossAmountHUF", Amount(amounts.total.gross));
  writer.End();
  writer.End();  // invoiceSummary
}

const char* PaymentMethodName(v1::PaymentMethod method) {
  switch (method) {
    case v1::PAYMENT_METHOD_CASH:
      return "CASH";
    case v1::PAYMENT_METHOD_CARD:
      return "CARD";
    default:  // transfer, and the default when unspecified
      return "TRANSFER";
  }
}

}  // namespace

std::string_view NavLineNature(std::string_view nav_unit) {
  static const std::set<std::string_view> kServices = {"HOUR", "MINUTE", "DAY", "MONTH",
                                                       "KILOMETER"};
  static const std::set<std::string_view> kProducts = {
      "KILOGRAM", "TON", "KWH", "LITER", "CUBIC_METER", "METER", "LINEAR_METER", "CARTON", "PACK"};
  if (kServices.contains(nav_unit)) return "SERVICE";
  if (kProducts.contains(nav_unit)) return "PRODUCT";
  return "OTHER";
}

std::string_view NavUnitOfMeasure(std::string_view unit) {
  // ASCII and Latin-1 capitals folded ("Óra" is "óra").
  std::string folded(Trimmed(unit));
  for (std::size_t i = 0; i < folded.size(); ++i) {
    auto c = static_cast<unsigned char>(folded[i]);
    if (c >= 'A' && c <= 'Z') {
      folded[i] = static_cast<char>(c - 'A' + 'a');
    } else if (c == 0xC3 && i + 1 < folded.size()) {
      const auto next = static_cast<unsigned char>(folded[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97)
        folded[i + 1] = static_cast<char>(next + 0x20);
      ++i;
    }
  }
  static const std::map<std::string_view, std::string_view> kUnits = {
      {"db", "PIECE"},
      {"darab", "PIECE"},
      {"pcs", "PIECE"},
      {"pc", "PIECE"},
      {"piece", "PIECE"},
      {"kg", "KILOGRAM"},
      {"kilogramm", "KILOGRAM"},
      {"t", "TON"},
      {"tonna", "TON"},
      {"kwh", "KWH"},
      {"nap", "DAY"},
      {"day", "DAY"},
      {"óra", "HOUR"},
      {"hour", "HOUR"},
      {"perc", "MINUTE"},
      {"min", "MINUTE"},
      {"minute", "MINUTE"},
      {"hó", "MONTH"},
      {"hónap", "MONTH"},
      {"month", "MONTH"},
      {"l", "LITER"},
      {"liter", "LITER"},
      {"km", "KILOMETER"},
      {"m3", "CUBIC_METER"},
      {"m³", "CUBIC_METER"},
      {"m", "METER"},
      {"méter", "METER"},
      {"fm", "LINEAR_METER"},
      {"folyóméter", "LINEAR_METER"},
      {"karton", "CARTON"},
      {"carton", "CARTON"},
      {"csomag", "PACK"},
      {"cs", "PACK"},
      {"pack", "PACK"},
  };
  const auto found = kUnits.find(folded);
  return found == kUnits.end() ? std::string_view() : found->second;
}

std::string InvoiceDataXml(const v1::Invoice& invoice, const InvoiceDataOptions& options) {
  if (invoice.state() != v1::INVOICE_STATE_ISSUED) {
    Refuse("state", "only an issued invoice is reported to NAV");
  }
  const bool credit_note =
      invoice.kind() == v1::INVOICE_KIND_MODIFICATION || invoice.kind() == v1::INVOICE_KIND_STORNO;
  const std::string number = Identifier("number", invoice.number(), 50);
  const std::string issue_date = DateOf("issue_date", invoice.issue_date());
  const std::string delivery_date = IsSet(invoice.fulfillment_date())
                                        ? DateOf("fulfillment_date", invoice.fulfillment_date())
                                        : issue_date;
  const std::string currency = invoice.currency_code().empty() ? "HUF" : invoice.currency_code();
  if (!kernel::IsSupportedCurrency(currency)) Refuse("currency_code", "must be HUF or EUR");
  const bool is_huf = currency == "HUF";
  std::int64_t rate = kOneMillionths;
  if (!is_huf) {
    const auto parsed = kernel::ParseScaledDecimal(invoice.exchange_rate(), 6);
    if (!parsed || *parsed <= 0) {
      Refuse("exchange_rate", "is required on a foreign-currency invoice, at most 6 decimals");
    }
    rate = *parsed;
  }
  if (invoice.lines().empty()) Refuse("lines", "an issued invoice has at least one line");
  const Amounts amounts = AmountsOf(invoice, is_huf, rate);

  xml::Writer writer;
  writer.Start("InvoiceData");
  writer.Attribute("xmlns", kDataNamespace);
  writer.Attribute("xmlns:common", kCommonNamespace);
  writer.Attribute("xmlns:base", kBaseNamespace);
  writer.Element("invoiceNumber", number);
  writer.Element("invoiceIssueDate", issue_date);
  // The report is not itself the invoice (the PDF is).
  writer.Element("completenessIndicator", "false");
  writer.Start("invoiceMain");
  writer.Start("invoice");

  if (credit_note) {
    if (invoice.modification_index() < 1) {
      Refuse("modification_index", "is required on an issued credit note");
    }
    writer.Start("invoiceReference");
    writer.Element("originalInvoiceNumber",
                   Identifier("original_number", invoice.original_number(), 50));
    // The original is always an invoice Karton issued, and every issued
    // invoice is reportable and reported (sent by Karton, or its export
    // uploaded): NAV knows the master, so false, never true.
    writer.Element("modifyWithoutMaster", "false");
    writer.Element("modificationIndex", std::to_string(invoice.modification_index()));
    writer.End();
  }

  writer.Start("invoiceHead");
  // Only a subjectively exempt seller (alanyi adómentes) invoices every
  // line AAM; anyone charging VAT on a line is not one.
  const bool individual_exemption =
      !invoice.lines().empty() &&
      std::all_of(invoice.lines().begin(), invoice.lines().end(), [](const v1::InvoiceLine& line) {
        return line.vat_category() == common::v1::VAT_CATEGORY_EXEMPT_AAM;
      });
  WriteSupplier(writer, invoice.seller(), individual_exemption);
  WriteCustomer(writer, invoice.buyer());
  writer.Start("invoiceDetail");
  writer.Element("invoiceCategory", "NORMAL");
  writer.Element("invoiceDeliveryDate", delivery_date);
  writer.Element("currencyCode", currency);
  writer.Element("exchangeRate", kernel::FormatScaledDecimal(rate, 6));
  writer.Element("paymentMethod", PaymentMethodName(invoice.payment_method()));
  if (IsSet(invoice.due_date()))
    writer.Element("paymentDate", DateOf("due_date", invoice.due_date()));
  writer.Element("invoiceAppearance",
                 options.appearance == InvoiceAppearance::kPaper ? "PAPER" : "ELECTRONIC");
  writer.End();  // invoiceDetail
  writer.End();  // invoiceHead

  writer.Start("invoiceLines");
  writer.Element("mergedItemIndicator", "false");
  for (int i = 0; i < invoice.lines().size(); ++i) {
    WriteLine(writer, invoice.lines(i), i, credit_note, amounts.lines[static_cast<std::size_t>(i)],
              rate);
  }
  writer.End();  // invoiceLines

  WriteSummary(writer, invoice.totals(), amounts);
  writer.End();  // invoice
  writer.End();  // invoiceMain
  writer.End();  // InvoiceData
  return std::move(writer).Finish();
}

}  // namespace karton::invoicing::nav
