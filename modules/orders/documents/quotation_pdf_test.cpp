// The quotation PDF, checked by what a reader of the file gets back
// (poppler's pdftotext and pdfinfo; Debian: poppler-utils). The renderer
// is pure, so the amounts are set on the quotation by hand.
#include "documents/quotation_pdf.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

namespace karton::orders {
namespace {

// The text poppler reads from `pdf` (-layout keeps a table row on a line).
std::string PdfText(const std::string& pdf, const std::string& tool = "pdftotext -layout") {
  char path[] = "/tmp/quotation_pdf_test_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  std::ofstream(path, std::ios::binary).write(pdf.data(), static_cast<std::streamsize>(pdf.size()));
  const std::string command = tool + " -enc UTF-8 '" + path + "'" + (tool == "pdfinfo" ? "" : " -");
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  std::remove(path);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << " failed";
  return output;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

common::v1::Money Huf(std::int64_t forints) {
  common::v1::Money money;
  money.set_currency_code("HUF");
  money.set_minor_units(forints * 100);
  return money;
}

void AddLine(v1::Quotation& quotation, const std::string& description, const std::string& quantity,
             std::int64_t unit_price, std::int64_t net, std::int64_t vat,
             common::v1::VatCategory category) {
  auto* line = quotation.add_lines();
  line->set_position(quotation.lines_size());
  line->set_description(description);
  line->set_quantity(quantity);
  line->set_unit("db");
  *line->mutable_unit_price() = Huf(unit_price);
  line->set_vat_category(category);
  *line->mutable_net_amount() = Huf(net);
  *line->mutable_vat_amount() = Huf(vat);
  *line->mutable_gross_amount() = Huf(net + vat);
}

// Two boilers at 27% and an exempt training: 978,000 + 264,060 VAT, and
// 50,000 without VAT.
v1::Quotation Boilers() {
  v1::Quotation quotation;
  quotation.set_id(42);
  quotation.set_number("AJ-2026-000042");
  quotation.set_currency_code("HUF");
  quotation.mutable_valid_until()->set_year(2026);
  quotation.mutable_valid_until()->set_month(6);
  quotation.mutable_valid_until()->set_day(30);
  quotation.set_note("A szállítás díjtalan.");
  AddLine(quotation, "Kondenzációs gázkazán 24 kW (fűtő)", "2", 489'000, 978'000, 264'060,
          common::v1::VAT_CATEGORY_STANDARD_27);
  AddLine(quotation, "Üzemeltetői oktatás", "1", 50'000, 50'000, 0,
          common::v1::VAT_CATEGORY_EXEMPT_AAM);
  auto& totals = *quotation.mutable_totals();
  *totals.mutable_net_amount() = Huf(1'028'000);
  *totals.mutable_vat_amount() = Huf(264'060);
  *totals.mutable_gross_amount() = Huf(1'292'060);
  auto* standard = totals.add_by_category();
  standard->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  *standard->mutable_net_amount() = Huf(978'000);
  *standard->mutable_vat_amount() = Huf(264'060);
  auto* exempt = totals.add_by_category();
  exempt->set_vat_category(common::v1::VAT_CATEGORY_EXEMPT_AAM);
  *exempt->mutable_net_amount() = Huf(50'000);
  *exempt->mutable_vat_amount() = Huf(0);
  return quotation;
}

QuotationPrint PrintOf(const v1::Quotation& quotation, DocumentLanguage language) {
  OfferedTo customer;
  customer.name = "Fűzfa Ügynökség Zrt.";
  customer.address.set_country("HU");
  customer.address.set_postal_code("2040");
  customer.address.set_city("Budaörs");
  customer.address.set_street("Szabadság út 7.");
  customer.tax_number = "12345676-2-13";
  customer.contact_name = "Kőváry Őrs";
  common::v1::Date date;
  date.set_year(2026);
  date.set_month(6);
  date.set_day(10);
  return {quotation,
          {"Őrség Kőműves és Űrtechnika Kft.", "1132 Budapest, Váci út 18.", "12345676-2-41",
           "ajanlat@karton.example", "+36 1 234 5678"},
          customer,
          date,
          language};
}

TEST(QuotationPdfTest, HungarianQuotationShowsBothPartiesLinesTotalsAndValidity) {
  const v1::Quotation quotation = Boilers();
  const std::string pdf = RenderQuotationPdf(PrintOf(quotation, DocumentLanguage::kHungarian));
  ASSERT_EQ(pdf.substr(0, 5), "%PDF-");
  const std::string text = PdfText(pdf);
  for (const char* expected :
       {"Árajánlat", "Szám: AJ-2026-000042", "Ajánlatot adó", "Ajánlatkérő",
        "Őrség Kőműves és Űrtechnika Kft.", "1132 Budapest, Váci út 18.", "Fűzfa Ügynökség Zrt.",
        "2040 Budaörs", "Kapcsolattartó: Kőváry Őrs", "2026.06.10.", "2026.06.30.",
        "Kondenzációs gázkazán 24", "kW (fűtő)", "Üzemeltetői oktatás", "264,060 HUF",
        "1,292,060 HUF", "AAM: alanyi adómentes", "A szállítás díjtalan.",
        "Az ajánlat 2026.06.30. végéig érvényes."}) {
    EXPECT_TRUE(Contains(text, expected)) << expected << " not in:\n" << text;
  }
  EXPECT_TRUE(Contains(PdfText(pdf, "pdfinfo"), "AJ-2026-000042"));
  EXPECT_EQ(QuotationFileName(quotation, DocumentLanguage::kHungarian),
            "Arajanlat-AJ-2026-000042.pdf");
}

TEST(QuotationPdfTest, EnglishQuotationIsWordedInEnglish) {
  const v1::Quotation quotation = Boilers();
  const std::string text =
      PdfText(RenderQuotationPdf(PrintOf(quotation, DocumentLanguage::kEnglish)));
  for (const char* expected :
       {"Quotation", "No. AJ-2026-000042", "Valid until", "2026-06-30",
        "Total (gross): 1,292,060 HUF", "This offer is valid until the end of 2026-06-30."}) {
    EXPECT_TRUE(Contains(text, expected)) << expected << " not in:\n" << text;
  }
  EXPECT_FALSE(Contains(text, "Árajánlat"));
  EXPECT_EQ(QuotationFileName(quotation, DocumentLanguage::kEnglish),
            "Quotation-AJ-2026-000042.pdf");
}

TEST(QuotationPdfTest, LongQuotationContinuesOnNumberedPages) {
  v1::Quotation quotation = Boilers();
  for (int i = 0; i < 150; ++i) {
    AddLine(quotation, "Radiátor szelep " + std::to_string(i), "1", 1'000, 1'000, 270,
            common::v1::VAT_CATEGORY_STANDARD_27);
  }
  const std::string pdf = RenderQuotationPdf(PrintOf(quotation, DocumentLanguage::kHungarian));
  const std::string info = PdfText(pdf, "pdfinfo");
  EXPECT_FALSE(Contains(info, "Pages:           1\n")) << info;
  const std::string text = PdfText(pdf);
  EXPECT_TRUE(Contains(text, "Radiátor szelep 149"));
  EXPECT_TRUE(Contains(text, "Árajánlat AJ-2026-000042")) << "the page footer";
}

TEST(QuotationPdfTest, RefusesWhatCannotBeAnOffer) {
  v1::Quotation quotation = Boilers();
  QuotationPrint print = PrintOf(quotation, DocumentLanguage::kHungarian);
  print.company.name.clear();
  EXPECT_THROW(RenderQuotationPdf(print), std::invalid_argument);

  v1::Quotation unnumbered = Boilers();
  unnumbered.clear_number();
  EXPECT_THROW(RenderQuotationPdf(PrintOf(unnumbered, DocumentLanguage::kHungarian)),
               std::invalid_argument);
  v1::Quotation empty = Boilers();
  empty.clear_lines();
  EXPECT_THROW(RenderQuotationPdf(PrintOf(empty, DocumentLanguage::kHungarian)),
               std::invalid_argument);
  v1::Quotation unlabelled = Boilers();
  unlabelled.mutable_lines(0)->clear_vat_category();
  EXPECT_THROW(RenderQuotationPdf(PrintOf(unlabelled, DocumentLanguage::kHungarian)),
               std::invalid_argument);

  DocumentLanguage language;
  EXPECT_TRUE(ParseDocumentLanguage("", language));
  EXPECT_EQ(language, DocumentLanguage::kHungarian);
  EXPECT_TRUE(ParseDocumentLanguage("en", language));
  EXPECT_EQ(language, DocumentLanguage::kEnglish);
  EXPECT_FALSE(ParseDocumentLanguage("de", language));
}

}  // namespace
}  // namespace karton::orders
