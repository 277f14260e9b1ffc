// The validator against NAV's own XSDs: NAV's 30 sample invoices pass it,
// broken documents fail it with a message naming what is wrong, and it
// serves several threads at once.
#include "nav/nav_schemas.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <thread>
#include <vector>

#include "nav/embedded_file.h"

namespace karton::invoicing::nav {

// nav/samples/*.xml, compiled into this test (modules/invoicing/CMakeLists.txt).
std::span<const EmbeddedFile> NavSampleInvoices();

namespace {

std::string Sample(std::string_view name) {
  for (const auto& file : NavSampleInvoices()) {
    if (name == file.name) return std::string(file.Bytes());
  }
  ADD_FAILURE() << "no sample " << name;
  return "";
}

std::string Replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string Joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += problem + "\n";
  return text;
}

TEST(ValidateInvoiceData, AcceptsEveryOneOfNavsThirtySamples) {
  ASSERT_EQ(NavSampleInvoices().size(), 30u);
  for (const auto& sample : NavSampleInvoices()) {
    const auto problems = ValidateInvoiceData(sample.Bytes());
    EXPECT_TRUE(problems.empty()) << sample.name << ":\n" << Joined(problems);
  }
}

TEST(ValidateInvoiceData, NamesAnElementThatDoesNotBelong) {
  const std::string xml =
      Replaced(Replaced(Sample("Tagorszagi_devizas_szamla.xml"), "<invoiceNumber>", "<invoiceNo>"),
               "</invoiceNumber>", "</invoiceNo>");
  const auto problems = ValidateInvoiceData(xml);
  ASSERT_EQ(problems.size(), 1u) << Joined(problems);
  EXPECT_EQ(problems[0].rfind("line 4: ", 0), 0u) << problems[0];
  EXPECT_NE(problems[0].find("invoiceNo'"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("Expected is ( {http://schemas.nav.gov.hu/OSA/3.0/data}invoiceNumber"),
            std::string::npos)
      << problems[0];
}

TEST(ValidateInvoiceData, NamesAValueOutsideItsType) {
  const std::string xml =
      Replaced(Sample("Tagorszagi_devizas_szamla.xml"), "<exchangeRate>310.00</exchangeRate>",
               "<exchangeRate>-310</exchangeRate>");
  const auto problems = ValidateInvoiceData(xml);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("exchangeRate"), std::string::npos) << problems[0];
}

TEST(ValidateInvoiceData, NamesAMissingRequiredElement) {
  const std::string xml = Replaced(Sample("Tagorszagi_devizas_szamla.xml"),
                                   "<invoiceCategory>NORMAL</invoiceCategory>", "");
  const auto problems = ValidateInvoiceData(xml);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("invoiceDeliveryDate"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("invoiceCategory"), std::string::npos) << problems[0];
}

TEST(ValidateInvoiceData, ReportsTheParserErrorsOfTextThatIsNotXml) {
  const auto problems = ValidateInvoiceData("<InvoiceData><invoiceNumber>1</InvoiceData>");
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("mismatch"), std::string::npos) << problems[0];
  EXPECT_FALSE(ValidateInvoiceData("").empty());
}

TEST(ValidateInvoiceData, RefusesAnotherDocument) {
  const auto problems =
      ValidateInvoiceData("<InvoiceData xmlns=\"http://example.com/other\"></InvoiceData>");
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("No matching global declaration"), std::string::npos) << problems[0];
}

TEST(ValidateInvoiceData, ServesSeveralThreadsAtOnce) {
  const std::string good(Sample("Belfoldi_ertekesites_tobb_AFA_tipus.xml"));
  const std::string bad =
      Replaced(good, "<currencyCode>HUF</currencyCode>", "<currencyCode>forint</currencyCode>");
  std::vector<int> failures(8, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!ValidateInvoiceData(good).empty()) ++failures[t];
        if (ValidateInvoiceData(bad).empty()) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : failures) EXPECT_EQ(count, 0);
}

TEST(ValidateInvoiceApi, AcceptsARequestAndRefusesAnInvoice) {
  const std::string request = R"(<?xml version="1.0" encoding="UTF-8"?>
<TokenExchangeRequest xmlns="http://schemas.nav.gov.hu/OSA/3.0/api"
    xmlns:common="http://schemas.nav.gov.hu/NTCA/1.0/common">
  <common:header>
    <common:requestId>RID20260115001</common:requestId>
    <common:timestamp>2026-01-15T10:00:00.000Z</common:timestamp>
    <common:requestVersion>3.0</common:requestVersion>
    <common:headerVersion>1.0</common:headerVersion>
  </common:header>
  <common:user>
    <common:login>abcdefghijklmno</common:login>
    <common:passwordHash cryptoType="SHA-512">ABC</common:passwordHash>
    <common:taxNumber>12345676</common:taxNumber>
    <common:requestSignature cryptoType="SHA3-512">DEF</common:requestSignature>
  </common:user>
  <software>
    <softwareId>HU12345676KARTON01</softwareId>
    <softwareName>Karton</softwareName>
    <softwareOperation>ONLINE_SERVICE</softwareOperation>
    <softwareMainVersion>0.1</softwareMainVersion>
    <softwareDevName>Karton</softwareDevName>
    <softwareDevContact>dev@example.com</softwareDevContact>
  </software>
</TokenExchangeRequest>)";
  const auto problems = ValidateInvoiceApi(request);
  EXPECT_TRUE(problems.empty()) << Joined(problems);
  EXPECT_FALSE(ValidateInvoiceApi(Sample("Tagorszagi_devizas_szamla.xml")).empty());
}

}  // namespace
}  // namespace karton::invoicing::nav
