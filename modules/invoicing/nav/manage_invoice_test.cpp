// The manageInvoice request: its signature exactly as the specification's
// worked example computes it (1.5.1), and a request of real invoices that
// invoiceApi.xsd accepts, carrying each InvoiceData intact.
#include "nav/manage_invoice.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "invoices/invoice_lines.h"
#include "karton/common/v1/vat.pb.h"
#include "nav/invoice_data_xml.h"
#include "nav/nav_schemas.h"

namespace karton::invoicing::nav {
namespace {

using namespace std::chrono;

// 2017-12-30T18:25:45.000Z, the specification's example.
system_clock::time_point ExampleTime() {
  return sys_days{year{2017} / 12 / 30} + hours{18} + minutes{25} + seconds{45};
}

std::string Between(const std::string& xml, const std::string& open, const std::string& close) {
  const auto start = xml.find(open);
  if (start == std::string::npos) return "";
  const auto from = start + open.size();
  return xml.substr(from, xml.find(close, from) - from);
}

TEST(RequestSignature, IsTheSpecificationsWorkedExample) {
  // invoiceData QWJjZDEyMzQ= and RGNiYTQzMjE= are these bytes in base64.
  const std::vector<InvoiceReport> invoices = {{InvoiceOperation::kCreate, "Abcd1234"},
                                               {InvoiceOperation::kModify, "Dcba4321"}};
  EXPECT_EQ(Base64("Abcd1234"), "QWJjZDEyMzQ=");
  EXPECT_EQ(Sha3_512Hex("CREATEQWJjZDEyMzQ="),
            "4317798460962869BC67F07C48EA7E4A3AFA301513CEB87B8EB94ECF92BC220A89C480F87F0860E85E29"
            "A3B6C0463D4F29712C5AD48104A6486CE839DC2F24CB");
  EXPECT_EQ(Sha3_512Hex("MODIFYRGNiYTQzMjE="),
            "A881218238933F6FFB9E167445CB4DAA9749BCF484FDE48AB7649FD25E8B634A4736A65A7C4A8E283111"
            "9F739837E006566F97370415AAD55E268605206F2A6C");
  EXPECT_EQ(RequestSignature("TSTKFT1222564", ExampleTime(), "ce-8f5e-215119fa7dd621DLMRHRLH2S",
                             invoices),
            "60BC80609EE3B8F42FE904200A49A1921A1DADA08D55319ACD40C59F626514B74EEA49011D372600A10D"
            "BCF8199D590DA9C2841D987308F2D83DAE17C2470C42");
  // Milliseconds are not part of it.
  EXPECT_EQ(RequestSignature("TSTKFT1222564", ExampleTime() + milliseconds{999},
                             "ce-8f5e-215119fa7dd621DLMRHRLH2S", invoices),
            RequestSignature("TSTKFT1222564", ExampleTime(), "ce-8f5e-215119fa7dd621DLMRHRLH2S",
                             invoices));
}

TEST(RequestSignature, WithoutInvoicesHashesIdTimeAndKey) {
  EXPECT_EQ(
      RequestSignature("TSTKFT1222564", ExampleTime(), "ce-8f5e-215119fa7dd621DLMRHRLH2S", {}),
      Sha3_512Hex("TSTKFT122256420171230182545ce-8f5e-215119fa7dd621DLMRHRLH2S"));
}

TEST(PasswordHash, IsUpperCaseSha512) {
  EXPECT_EQ(PasswordHash("abc"),
            "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992A274FC1A836BA"
            "3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F");
}

v1::Invoice IssuedInvoice(v1::InvoiceKind kind) {
  v1::Invoice invoice;
  invoice.set_number(kind == v1::INVOICE_KIND_INVOICE ? "KRT-2026-000123" : "KRT-2026-000124");
  invoice.set_state(v1::INVOICE_STATE_ISSUED);
  invoice.set_kind(kind);
  invoice.set_currency_code("HUF");
  invoice.set_exchange_rate("1");
  invoice.mutable_issue_date()->set_year(2026);
  invoice.mutable_issue_date()->set_month(1);
  invoice.mutable_issue_date()->set_day(15);
  auto* line = invoice.add_lines();
  line->set_description("Okostermosztát Wi-Fi");
  line->set_quantity(kind == v1::INVOICE_KIND_INVOICE ? "1" : "-1");
  line->mutable_unit_price()->set_minor_units(3'990'000);
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  EXPECT_TRUE(PriceLines(*invoice.mutable_lines(), "HUF", "").empty());
  *invoice.mutable_totals() = TotalsOf(invoice.lines(), "HUF", 1'000'000);
  if (kind != v1::INVOICE_KIND_INVOICE) {
    invoice.set_original_number("KRT-2026-000123");
    invoice.set_modification_index(1);
    line->set_line_number_reference(2);
  }
  auto* seller = invoice.mutable_seller();
  seller->set_name("Karton Hőtechnika Kft.");
  seller->set_tax_number("12345676-2-42");
  seller->mutable_address()->set_country("HU");
  seller->mutable_address()->set_postal_code("1134");
  seller->mutable_address()->set_city("Budapest");
  seller->mutable_address()->set_street("Váci út 12.");
  invoice.mutable_buyer()->set_private_person(true);
  return invoice;
}

NavUser User() {
  return {"abcdefghij12345", "Titok123!", "ce-8f5e-215119fa7dd621DLMRHRLH2S", "12345676-2-42"};
}

NavSoftware Software() {
  NavSoftware software;
  software.id = "HU12345676-KARTON1";
  software.name = "Karton";
  software.main_version = "0.1";
  software.dev_name = "Karton fejlesztők";
  software.dev_contact = "fejlesztes@example.com";
  software.dev_country_code = "HU";
  return software;
}

TEST(ManageInvoiceXml, IsAValidRequestCarryingEachInvoice) {
  const v1::Invoice invoice = IssuedInvoice(v1::INVOICE_KIND_INVOICE);
  const v1::Invoice storno = IssuedInvoice(v1::INVOICE_KIND_STORNO);
  const ManageInvoiceRequest request{
      .request_id = "KRT20260115101500042",
      .timestamp = sys_days{year{2026} / 1 / 15} + hours{9} + minutes{15} + milliseconds{42},
      .exchange_token = "7d9ba28a-1b4e-4b2b-9d5e-8b4b7d4c0c1e",
      .invoices = {{OperationOf(invoice), InvoiceDataXml(invoice)},
                   {OperationOf(storno), InvoiceDataXml(storno)}}};
  const std::string xml = ManageInvoiceXml(request, User(), Software());
  const auto problems = ValidateInvoiceApi(xml);
  std::string text;
  for (const auto& problem : problems) text += problem + "\n";
  EXPECT_TRUE(problems.empty()) << text << xml;

  EXPECT_EQ(Between(xml, "<common:timestamp>", "<"), "2026-01-15T09:15:00.042Z");
  EXPECT_EQ(Between(xml, "<common:requestVersion>", "<"), "3.0");
  EXPECT_EQ(Between(xml, "<common:headerVersion>", "<"), "1.0");
  EXPECT_EQ(Between(xml, "<common:taxNumber>", "<"), "12345676");
  EXPECT_EQ(Between(xml, "<common:passwordHash cryptoType=\"SHA-512\">", "<"),
            PasswordHash("Titok123!"));
  EXPECT_EQ(Between(xml, "<common:requestSignature cryptoType=\"SHA3-512\">", "<"),
            RequestSignature(request.request_id, request.timestamp, User().signature_key,
                             request.invoices));
  EXPECT_EQ(Between(xml, "<softwareOperation>", "<"), "ONLINE_SERVICE");
  EXPECT_EQ(Between(xml, "<compressedContent>", "<"), "false");
  const std::string second = xml.substr(xml.find("<index>2</index>"));
  EXPECT_EQ(Between(xml, "<index>", "<"), "1");
  EXPECT_EQ(Between(xml, "</index>\n      <invoiceOperation>", "<"), "CREATE");
  EXPECT_EQ(Between(second, "</index>\n      <invoiceOperation>", "<"), "STORNO");
  EXPECT_EQ(Between(xml, "<invoiceData>", "<"), Base64(request.invoices[0].invoice_data));
  EXPECT_EQ(Between(second, "<invoiceData>", "<"), Base64(request.invoices[1].invoice_data));
}

TEST(ManageInvoiceXml, RefusesWhatTheSchemaWouldNamingTheField) {
  const v1::Invoice invoice = IssuedInvoice(v1::INVOICE_KIND_INVOICE);
  ManageInvoiceRequest request{.request_id = "KRT-1",
                               .timestamp = ExampleTime(),
                               .exchange_token = "token",
                               .invoices = {{InvoiceOperation::kCreate, InvoiceDataXml(invoice)}}};
  const auto refusal = [&](const NavUser& user, const NavSoftware& software) -> std::string {
    try {
      ManageInvoiceXml(request, user, software);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "accepted";
  };
  EXPECT_EQ(refusal(User(), Software()).rfind("request.request_id: ", 0), 0u);
  request.request_id = "KRT1";
  EXPECT_EQ(refusal(User(), Software()), "accepted");
  NavUser user = User();
  user.login = "abc";
  EXPECT_EQ(refusal(user, Software()).rfind("user.login: ", 0), 0u);
  NavSoftware software = Software();
  software.id = "karton";
  EXPECT_EQ(refusal(User(), software).rfind("software.id: ", 0), 0u);
  request.invoices.clear();
  EXPECT_EQ(refusal(User(), Software()).rfind("request.invoices: ", 0), 0u);
}

TEST(OperationOf, FollowsTheInvoiceKind) {
  EXPECT_EQ(OperationName(OperationOf(IssuedInvoice(v1::INVOICE_KIND_INVOICE))), "CREATE");
  EXPECT_EQ(OperationName(OperationOf(IssuedInvoice(v1::INVOICE_KIND_MODIFICATION))), "MODIFY");
  EXPECT_EQ(OperationName(OperationOf(IssuedInvoice(v1::INVOICE_KIND_STORNO))), "STORNO");
}

}  // namespace
}  // namespace karton::invoicing::nav
