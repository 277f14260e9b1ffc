// NAV's answers read back, the exchange token's AES-128-ECB, and the
// tokenExchange and queryTransactionStatus requests valid against
// invoiceApi.xsd.
#include "nav/nav_api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "nav/manage_invoice.h"
#include "nav/nav_schemas.h"

namespace karton::invoicing::nav {
namespace {

using namespace std::string_literals;

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kHex[c >> 4];
    hex += kHex[c & 0x0F];
  }
  return hex;
}

std::string Unhex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

TEST(ExchangeToken, IsAes128EcbAsFips197Computes) {
  // FIPS-197 appendix C.1: this key and block give 69c4e0d8...
  const std::string key = Unhex("000102030405060708090a0b0c0d0e0f");
  const std::string block = Unhex("00112233445566778899aabbccddeeff");
  const std::string encrypted = FromBase64(EncryptExchangeToken(block, key));
  ASSERT_EQ(encrypted.size(), 32u);  // the block and a block of PKCS#7 padding
  EXPECT_EQ(Hex(encrypted.substr(0, 16)), "69c4e0d86a7b0430d8cdb78070b4c55a");
  EXPECT_EQ(DecryptExchangeToken(EncryptExchangeToken(block, key), key), block);
}

TEST(ExchangeToken, DecryptsWhatNavEncodedWithTheUsersKey) {
  const std::string token = "8ec32a37-7c4b-4a6e-a2a4-4e3b1a2f9c01TOKEN";
  const std::string encoded = EncryptExchangeToken(token, "ce8f5e215119fa7d");
  EXPECT_EQ(DecryptExchangeToken(encoded, "ce8f5e215119fa7d"), token);
  try {
    (void)DecryptExchangeToken(encoded, "0000000000000000");
    FAIL() << "a wrong key decrypted";
  } catch (const NavError& error) {
    EXPECT_EQ(error.error_code(), "DECRYPT");
  }
  EXPECT_THROW((void)DecryptExchangeToken(encoded, "short"), NavError);
  EXPECT_THROW((void)DecryptExchangeToken("not base64!", "ce8f5e215119fa7d"), NavError);
}

constexpr char kHeader[] =
    "<common:header><common:requestId>KRT1</common:requestId>"
    "<common:timestamp>2026-01-15T10:15:00.000Z</common:timestamp>"
    "<common:requestVersion>3.0</common:requestVersion></common:header>";

std::string Response(const std::string& root, const std::string& func_code, const std::string& rest,
                     const std::string& error = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><" + root +
         " xmlns=\"http://schemas.nav.gov.hu/OSA/3.0/api\" "
         "xmlns:common=\"http://schemas.nav.gov.hu/NTCA/1.0/common\">" +
         kHeader + "<common:result><common:funcCode>" + func_code + "</common:funcCode>" + error +
         "</common:result><software><softwareId>HU12345676KARTON01</softwareId>"
         "<softwareName>Karton</softwareName><softwareOperation>ONLINE_SERVICE"
         "</softwareOperation><softwareMainVersion>1.0</softwareMainVersion>"
         "<softwareDevName>Karton</softwareDevName><softwareDevContact>dev@karton.example"
         "</softwareDevContact></software>" +
         rest + "</" + root + ">";
}

TEST(NavResponses, ATokenExchangeAnswerGivesTheEncodedToken) {
  const auto body = Response("TokenExchangeResponse", "OK",
                             "<encodedExchangeToken>QWJjZDEyMzQ=</encodedExchangeToken>"
                             "<tokenValidityFrom>2026-01-15T10:15:00.000Z</tokenValidityFrom>"
                             "<tokenValidityTo>2026-01-15T10:20:00.000Z</tokenValidityTo>");
  EXPECT_TRUE(ValidateInvoiceApi(body).empty()) << ValidateInvoiceApi(body)[0];
  EXPECT_EQ(ParseTokenExchangeResponse(body), "QWJjZDEyMzQ=");
  EXPECT_NO_THROW(ThrowIfError(body, 200));
}

TEST(NavResponses, AManageInvoiceAnswerGivesTheTransactionId) {
  const auto body =
      Response("ManageInvoiceResponse", "OK", "<transactionId>4A5BW1NNK7DUD4EO</transactionId>");
  EXPECT_TRUE(ValidateInvoiceApi(body).empty()) << ValidateInvoiceApi(body)[0];
  EXPECT_EQ(ParseManageInvoiceResponse(body), "4A5BW1NNK7DUD4EO");
  // The wrong answer for the question is an error, not an empty id.
  EXPECT_THROW((void)ParseTokenExchangeResponse(body), NavError);
}

TEST(NavResponses, AnErrorCarriesNavsCodeAndMessage) {
  const auto body = Response("GeneralErrorResponse", "ERROR", "",
                             "<common:errorCode>INVALID_SECURITY_USER</common:errorCode>"
                             "<common:message>Helytelen authentikációs adatok</common:message>");
  try {
    ThrowIfError(body, 401);
    FAIL() << "no error";
  } catch (const NavError& error) {
    EXPECT_EQ(error.error_code(), "INVALID_SECURITY_USER");
    EXPECT_EQ(error.message(), "Helytelen authentikációs adatok");
    EXPECT_EQ(error.http_status(), 401);
    EXPECT_NE(std::string(error.what()).find("INVALID_SECURITY_USER"), std::string::npos);
  }
  // GeneralExceptionResponse: the result at the root.
  const std::string exception =
      "<GeneralExceptionResponse xmlns=\"http://schemas.nav.gov.hu/NTCA/1.0/common\">"
      "<funcCode>ERROR</funcCode><errorCode>OPERATION_FAILED</errorCode>"
      "<message>Átmeneti hiba</message></GeneralExceptionResponse>";
  try {
    ThrowIfError(exception, 500);
    FAIL() << "no error";
  } catch (const NavError& error) {
    EXPECT_EQ(error.error_code(), "OPERATION_FAILED");
    EXPECT_EQ(error.message(), "Átmeneti hiba");
  }
  // An outage's HTML page, or nothing at all.
  try {
    ThrowIfError("<html><body>Bad gateway</body></html>", 502);
    FAIL() << "no error";
  } catch (const NavError& error) {
    EXPECT_EQ(error.error_code(), "HTTP 502");
  }
  EXPECT_THROW(ThrowIfError("", 500), NavError);
}

TEST(NavResponses, TheTransactionStatusGivesEachInvoicesStatusAndMessages) {
  const auto body = Response(
      "QueryTransactionStatusResponse", "OK",
      "<processingResults><processingResult><index>1</index><invoiceStatus>ABORTED"
      "</invoiceStatus><technicalValidationMessages><common:validationResultCode>ERROR"
      "</common:validationResultCode><common:validationErrorCode>SCHEMA_VIOLATION"
      "</common:validationErrorCode><common:message>Hibás adószám</common:message>"
      "</technicalValidationMessages><compressedContentIndicator>false"
      "</compressedContentIndicator></processingResult><processingResult><index>2</index>"
      "<invoiceStatus>DONE</invoiceStatus><businessValidationMessages><validationResultCode>"
      "WARN</validationResultCode><validationErrorCode>INCORRECT_COUNTY_CODE"
      "</validationErrorCode><message>Megyekód</message><pointer><tag>countyCode</tag>"
      "<value>99</value><line>12</line></pointer></businessValidationMessages>"
      "<compressedContentIndicator>false</compressedContentIndicator></processingResult>"
      "<originalRequestVersion>3.0</originalRequestVersion></processingResults>");
  EXPECT_TRUE(ValidateInvoiceApi(body).empty()) << ValidateInvoiceApi(body)[0];
  const auto results = ParseTransactionStatusResponse(body);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].index, 1);
  EXPECT_EQ(results[0].status, "ABORTED");
  EXPECT_TRUE(results[0].Finished());
  EXPECT_TRUE(results[0].Rejected());
  ASSERT_EQ(results[0].messages.size(), 1u);
  EXPECT_EQ(results[0].messages[0].error_code, "SCHEMA_VIOLATION");
  EXPECT_EQ(results[0].messages[0].message, "Hibás adószám");
  EXPECT_EQ(results[1].status, "DONE");
  EXPECT_FALSE(results[1].Rejected());  // a warning only
  ASSERT_EQ(results[1].messages.size(), 1u);
  EXPECT_EQ(results[1].messages[0].result_code, "WARN");
  EXPECT_EQ(results[1].messages[0].pointer, "countyCode, 99, 12");
  // Still processing: no result yet is not an error.
  EXPECT_TRUE(
      ParseTransactionStatusResponse(Response("QueryTransactionStatusResponse", "OK", "")).empty());
  ProcessingResult processing{1, "PROCESSING", {}};
  EXPECT_FALSE(processing.Finished());
  ProcessingResult done_with_error{1, "DONE", {{"ERROR", "X", "y", ""}}};
  EXPECT_TRUE(done_with_error.Rejected());
}

TEST(NavRequests, TokenExchangeAndStatusQueryAreValidRequests) {
  const NavUser user{"karton1234", "jelszó", "ce-8f5e-215119fa7dd621DLMRHRLH2S", "12345676-2-41"};
  NavSoftware software;
  software.id = "HU12345676KARTON01";
  software.name = "Karton";
  software.main_version = "1.0";
  software.dev_name = "Karton Kft.";
  software.dev_contact = "dev@karton.example";
  const BasicRequest request{"KRT7R1T1TABC", std::chrono::system_clock::now()};
  const std::string token = TokenExchangeXml(request, user, software);
  EXPECT_TRUE(ValidateInvoiceApi(token).empty()) << ValidateInvoiceApi(token)[0];
  EXPECT_NE(token.find("<TokenExchangeRequest"), std::string::npos);
  EXPECT_NE(
      token.find(RequestSignature(request.request_id, request.timestamp, user.signature_key, {})),
      std::string::npos);
  const std::string query = QueryTransactionStatusXml(request, "4A5BW1NNK7DUD4EO", user, software);
  EXPECT_TRUE(ValidateInvoiceApi(query).empty()) << ValidateInvoiceApi(query)[0];
  EXPECT_NE(query.find("<transactionId>4A5BW1NNK7DUD4EO</transactionId>"), std::string::npos);
  EXPECT_THROW((void)QueryTransactionStatusXml(request, "", user, software), std::invalid_argument);
  EXPECT_THROW((void)TokenExchangeXml({"bad id!", request.timestamp}, user, software),
               std::invalid_argument);
}

}  // namespace
}  // namespace karton::invoicing::nav
