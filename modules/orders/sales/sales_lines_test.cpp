// How a line as a client writes it becomes a priced line, and what a
// document adds up to: defaults from the product, exact amounts, VAT per
// category, and a violation naming every bad field.
#include "sales/sales_lines.h"

#include <gtest/gtest.h>

#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/typed_rows.h"

namespace karton::orders {
namespace {

using google::protobuf::RepeatedPtrField;

std::map<std::int64_t, PricedProduct> Catalogue() {
  return {{7, {7, "Gázkazán 24 kW", "db", common::v1::VAT_CATEGORY_STANDARD_27, true, 48'900'000}},
          {8, {8, "Kézikönyv", "db", common::v1::VAT_CATEGORY_REDUCED_5, true, 499'000}},
          {9, {9, "Régi termosztát", "db", common::v1::VAT_CATEGORY_STANDARD_27, false, 100}},
          {10, {10, "Árazatlan", "óra", common::v1::VAT_CATEGORY_STANDARD_27, true, std::nullopt}}};
}

v1::SalesLine ProductLine(std::int64_t product, const std::string& quantity) {
  v1::SalesLine line;
  line.set_product_id(product);
  line.set_quantity(quantity);
  return line;
}

std::vector<std::string> Fields(const std::vector<kernel::FieldViolation>& violations) {
  std::vector<std::string> fields;
  for (const auto& violation : violations) fields.push_back(violation.field);
  return fields;
}

TEST(PriceLines, TakesNameUnitVatAndPriceFromTheProduct) {
  RepeatedPtrField<v1::SalesLine> lines;
  *lines.Add() = ProductLine(7, "2");
  ASSERT_TRUE(PriceLines(lines, "HUF", Catalogue(), "quotation.").empty());
  const auto& line = lines[0];
  EXPECT_EQ(line.position(), 1);
  EXPECT_EQ(line.description(), "Gázkazán 24 kW");
  EXPECT_EQ(line.unit(), "db");
  EXPECT_EQ(line.vat_category(), common::v1::VAT_CATEGORY_STANDARD_27);
  EXPECT_EQ(line.unit_price().minor_units(), 48'900'000);
  EXPECT_EQ(line.net_amount().minor_units(), 97'800'000);
  EXPECT_EQ(line.vat_amount().minor_units(), 26'406'000);
  EXPECT_EQ(line.gross_amount().minor_units(), 124'206'000);
  EXPECT_EQ(line.discount_percent(), "0");
}

TEST(PriceLines, AGivenPriceAndDiscountWinAndAreWrittenCanonically) {
  RepeatedPtrField<v1::SalesLine> lines;
  auto line = ProductLine(7, "1.500");
  line.mutable_unit_price()->set_minor_units(40'000'000);
  line.set_discount_percent("12.50");
  *lines.Add() = line;
  ASSERT_TRUE(PriceLines(lines, "HUF", Catalogue(), "").empty());
  EXPECT_EQ(lines[0].quantity(), "1.5");
  EXPECT_EQ(lines[0].discount_percent(), "12.5");
  EXPECT_EQ(lines[0].unit_price().currency_code(), "HUF");
  // 1.5 × 400,000 Ft − 12.5% = 525,000 Ft.
  EXPECT_EQ(lines[0].net_amount().minor_units(), 52'500'000);
}

TEST(PriceLines, NamesEveryBadFieldAndComputesNothing) {
  RepeatedPtrField<v1::SalesLine> lines;
  *lines.Add() = ProductLine(9, "1");    // inactive
  *lines.Add() = ProductLine(404, "1");  // no such product
  *lines.Add() = ProductLine(7, "1,5");  // not a decimal
  *lines.Add() = ProductLine(10, "1");   // no price anywhere
  v1::SalesLine free_text;               // no description, price, VAT
  free_text.set_quantity("0");
  *lines.Add() = free_text;
  auto euro = ProductLine(7, "1");
  euro.mutable_unit_price()->set_currency_code("EUR");
  euro.mutable_unit_price()->set_minor_units(100);
  euro.set_discount_percent("100.01");
  *lines.Add() = euro;
  const auto violations = PriceLines(lines, "HUF", Catalogue(), "order.");
  EXPECT_EQ(
      Fields(violations),
      (std::vector<std::string>{
          "order.lines[0].product_id", "order.lines[1].product_id", "order.lines[2].quantity",
          "order.lines[3].unit_price", "order.lines[4].description", "order.lines[4].quantity",
          "order.lines[4].unit_price", "order.lines[4].vat_category",
          "order.lines[5].unit_price.currency_code", "order.lines[5].discount_percent"}));
  EXPECT_FALSE(lines[0].has_net_amount());
}

TEST(PriceLines, RefusesNoLinesAndTooMany) {
  RepeatedPtrField<v1::SalesLine> none;
  EXPECT_EQ(Fields(PriceLines(none, "HUF", Catalogue(), "quotation.")),
            std::vector<std::string>{"quotation.lines"});
  RepeatedPtrField<v1::SalesLine> many;
  for (int i = 0; i <= kMaxLines; ++i) *many.Add() = ProductLine(7, "1");
  EXPECT_EQ(Fields(PriceLines(many, "HUF", Catalogue(), "")), std::vector<std::string>{"lines"});
}

TEST(TotalsOf, SumsNetsAndComputesVatPerCategoryOnTheSum) {
  RepeatedPtrField<v1::SalesLine> lines;
  // Three 27% lines of 1.50 Ft each: 0 Ft VAT each (0.405 rounds down),
  // but 4.50 Ft -> 5 Ft net... in whole forints each line is 2 Ft net.
  for (int i = 0; i < 3; ++i) {
    v1::SalesLine line;
    line.set_description("Csavar");
    line.set_quantity("1");
    line.mutable_unit_price()->set_minor_units(150);
    line.set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
    *lines.Add() = line;
  }
  *lines.Add() = ProductLine(8, "2");
  ASSERT_TRUE(PriceLines(lines, "HUF", Catalogue(), "").empty());
  EXPECT_EQ(lines[0].net_amount().minor_units(), 200);
  EXPECT_EQ(lines[0].vat_amount().minor_units(), 100);  // 0.54 Ft -> 1 Ft on the line
  const auto totals = TotalsOf(lines, "HUF");
  ASSERT_EQ(totals.by_category_size(), 2);
  // 27%: 6 Ft net, 1.62 Ft -> 2 Ft VAT (not the lines' 3 × 1 Ft).
  EXPECT_EQ(totals.by_category(0).vat_category(), common::v1::VAT_CATEGORY_STANDARD_27);
  EXPECT_EQ(totals.by_category(0).net_amount().minor_units(), 600);
  EXPECT_EQ(totals.by_category(0).vat_amount().minor_units(), 200);
  // 5%: 9,980 Ft net, 499 Ft VAT.
  EXPECT_EQ(totals.by_category(1).net_amount().minor_units(), 998'000);
  EXPECT_EQ(totals.by_category(1).vat_amount().minor_units(), 49'900);
  EXPECT_EQ(totals.net_amount().minor_units(), 998'600);
  EXPECT_EQ(totals.vat_amount().minor_units(), 50'100);
  EXPECT_EQ(totals.gross_amount().minor_units(), 1'048'700);
  EXPECT_EQ(totals.gross_amount().currency_code(), "HUF");
}

TEST(VatCategoryWords, RoundTrip) {
  EXPECT_EQ(VatCategoryWord(common::v1::VAT_CATEGORY_EXEMPT_AAM), "exempt_aam");
  EXPECT_EQ(VatCategoryOfWord("out_of_scope_eufad37"),
            common::v1::VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37);
  EXPECT_EQ(VatCategoryOfWord("nonsense"), common::v1::VAT_CATEGORY_UNSPECIFIED);
  EXPECT_EQ(kernel::EnumWord(*v1::OrderState_descriptor(), v1::ORDER_STATE_CANCELLED), "cancelled");
  EXPECT_EQ(kernel::EnumWord(*v1::OrderState_descriptor(), 99), "");
}

}  // namespace
}  // namespace karton::orders
