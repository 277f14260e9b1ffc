// Money from outside text (kernel/src/money.cpp and the line rules of
// orders and invoicing, which price what clients send): decimals read and
// written back, and whole documents' lines priced and totalled. Amounts
// are exact: every line's gross is its net plus its VAT, and nothing
// overflows silently (UBSan watches the 128-bit arithmetic; std::
// overflow_error is the only refusal TotalsOf may throw).
//
// The first byte picks what the rest is:
//   0  a decimal, read at every scale, and an exchange rate
//   1  an invoice as proto3 JSON (currency, exchange_rate, lines)
//   2  a quotation as proto3 JSON, its lines naming catalogue products
#include <map>
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "invoices/invoice_lines.h"
#include "karton/kernel/money.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/proto_json.h"
#include "sales/sales_lines.h"

using karton::fuzz::Check;
namespace kernel = karton::kernel;

namespace {

template <class Message>
bool Read(std::string_view json, Message& message) {
  try {
    kernel::ParseProtoJson(json, message);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

template <class Lines>
void CheckLines(const Lines& lines, std::string_view input) {
  for (const auto& line : lines) {
    Check(line.net_amount().minor_units() + line.vat_amount().minor_units() ==
              line.gross_amount().minor_units(),
          "a line's gross is its net plus its VAT", input);
  }
}

void Decimals(std::string_view text) {
  for (int digits = 0; digits <= 9; ++digits) {
    const auto value = kernel::ParseScaledDecimal(text, digits);
    if (!value) continue;
    const std::string written = kernel::FormatScaledDecimal(*value, digits);
    Check(kernel::ParseScaledDecimal(written, digits) == value, "a decimal reads back as written",
          written);
    (void)kernel::FormatMoney(*value, digits % 2 == 0 ? "HUF" : "EUR");
  }
  if (const auto number = kernel::ParseInt64(text)) {
    Check(std::to_string(*number) == text || text.front() == '+' || text.front() == '0' ||
              text.rfind("-0", 0) == 0,
          "a whole number is the whole text", text);
  }
  (void)karton::invoicing::ParseRate(std::string(text));
}

void Invoice(std::string_view json) {
  karton::invoicing::v1::Invoice invoice;
  if (!Read(json, invoice)) return;
  const auto violations =
      karton::invoicing::PriceLines(*invoice.mutable_lines(), invoice.currency_code(), "invoice.");
  if (!violations.empty()) return;
  CheckLines(invoice.lines(), json);
  const auto rate = karton::invoicing::ParseRate(invoice.exchange_rate());
  if (!rate) return;
  try {
    (void)karton::invoicing::TotalsOf(invoice.lines(), invoice.currency_code(), *rate);
  } catch (const std::overflow_error&) {
  }
}

void Quotation(std::string_view json) {
  karton::orders::v1::Quotation quotation;
  if (!Read(json, quotation)) return;
  std::map<std::int64_t, karton::orders::PricedProduct> products;
  products[1] = {1,    "Kazán",   "db", karton::common::v1::VAT_CATEGORY_STANDARD_27,
                 true, 1'990'000, 0};
  products[2] = {2, "Régi", "db", karton::common::v1::VAT_CATEGORY_REDUCED_5, false, 100, 0};
  products[3] = {3,    "Árazatlan",  "óra", karton::common::v1::VAT_CATEGORY_REDUCED_18,
                 true, std::nullopt, 0};
  const auto violations = karton::orders::PriceLines(
      *quotation.mutable_lines(), quotation.currency_code(), products, "quotation.");
  if (!violations.empty()) return;
  CheckLines(quotation.lines(), json);
  try {
    (void)karton::orders::TotalsOf(quotation.lines(), quotation.currency_code());
  } catch (const std::overflow_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::uint8_t mode = input.Byte() % 3;
  const std::string_view text = input.Rest();
  if (mode == 0) {
    Decimals(text);
  } else if (mode == 1) {
    Invoice(text);
  } else {
    Quotation(text);
  }
  return 0;
}
