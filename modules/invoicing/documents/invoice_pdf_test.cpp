// The invoice PDF, checked by what a reader of the file gets back
// (poppler's pdftotext, pdfinfo and pdftoppm; Debian: poppler-utils), not by
// how cairo encodes it. The invoices are priced by the module's own rules
// (PriceLines, TotalsOf), and the amounts expected are worked out by hand.
#include "documents/invoice_pdf.h"

#include <cairo.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "invoices/invoice_lines.h"
#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/money.h"

namespace karton::invoicing {
namespace {

using common::v1::VatCategory;

// Every accented letter Hungarian has that Latin-1 lacks, in the names.
constexpr char kSellerName[] = "Őrség Kőműves és Űrtechnika Kft.";
constexpr char kBuyerName[] = "Fűzfa Ügynökség Zrt.";

// A temporary folder for the files the poppler tools read and write.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/invoice_pdf_test_XXXXXX";
    if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `bytes` to `name` inside the folder and returns its path.
  std::string Write(const std::string& name, const std::string& bytes) const {
    const std::string path = path_ + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// stdout of `command`; a tool that is missing or fails fails the test.
std::string RunTool(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << " failed";
  return output;
}

// `pages` e.g. "-f 2 -l 2" for one page. -layout keeps a table row on one
// line, as a reader sees it.
std::string PdfText(const std::string& pdf, const std::string& pages = "") {
  TempDir dir;
  return RunTool("pdftotext -layout -enc UTF-8 " + pages + " '" + dir.Write("i.pdf", pdf) + "' -");
}

// The value of a "Name:   value" line of pdfinfo; empty if there is none.
std::string InfoField(const std::string& pdf, const std::string& name) {
  TempDir dir;
  std::istringstream lines(RunTool("pdfinfo -enc UTF-8 '" + dir.Write("i.pdf", pdf) + "'"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + ":", 0) == 0) {
      return line.substr(line.find_first_not_of(' ', name.size() + 1));
    }
  }
  return "";
}

int PageCount(const std::string& pdf) { return std::stoi(InfoField(pdf, "Pages")); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

int Occurrences(const std::string& haystack, const std::string& needle) {
  int count = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The last line with text, without its spaces: pdftotext guesses spaces
// from glyph gaps, so "2 / 3" may come back as "2/3".
std::string LastLineCompact(const std::string& text) {
  std::istringstream lines(text);
  std::string last;
  for (std::string line; std::getline(lines, line);) {
    std::string compact;
    for (char c : line) {
      if (c != ' ' && c != '\f' && c != '\r') compact += c;
    }
    if (!compact.empty()) last = compact;
  }
  return last;
}

v1::InvoiceParty Party(const std::string& name, const std::string& tax_number,
                       const std::string& street, const std::string& postal_code,
                       const std::string& city) {
  v1::InvoiceParty party;
  party.set_name(name);
  party.set_tax_number(tax_number);
  party.mutable_address()->set_country("HU");
  party.mutable_address()->set_postal_code(postal_code);
  party.mutable_address()->set_city(city);
  party.mutable_address()->set_street(street);
  return party;
}

v1::InvoiceLine Line(const std::string& description, const std::string& quantity,
                     const std::string& unit, std::int64_t unit_price_minor, VatCategory category,
                     const std::string& discount = "") {
  v1::InvoiceLine line;
  line.set_description(description);
  line.set_quantity(quantity);
  line.set_unit(unit);
  line.mutable_unit_price()->set_minor_units(unit_price_minor);
  line.set_discount_percent(discount);
  line.set_vat_category(category);
  return line;
}

void SetDate(common::v1::Date* date, int year, int month, int day) {
  date->set_year(year);
  date->set_month(month);
  date->set_day(day);
}

// An issued invoice as GetInvoice returns it: priced and totalled by the
// module's rules.
v1::Invoice Issued(const std::string& number, const std::string& currency, const std::string& rate,
                   const std::vector<v1::InvoiceLine>& lines) {
  v1::Invoice invoice;
  invoice.set_id(41);
  invoice.set_state(v1::INVOICE_STATE_ISSUED);
  invoice.set_kind(v1::INVOICE_KIND_INVOICE);
  invoice.set_number(number);
  invoice.set_currency_code(currency);
  invoice.set_exchange_rate(rate);
  SetDate(invoice.mutable_issue_date(), 2026, 12, 1);
  SetDate(invoice.mutable_fulfillment_date(), 2026, 11, 28);
  SetDate(invoice.mutable_due_date(), 2026, 12, 9);
  invoice.set_payment_method(v1::PAYMENT_METHOD_TRANSFER);
  *invoice.mutable_seller() = Party(kSellerName, "12345678-2-42", "Váci út 1.", "1062", "Budapest");
  invoice.mutable_seller()->set_eu_vat_number("HU12345678");
  invoice.mutable_seller()->set_bank_account("11773016-11111111-00000000");
  *invoice.mutable_buyer() = Party(kBuyerName, "87654321-2-13", "Őrház utca 12.", "7621", "Pécs");
  for (const auto& line : lines) *invoice.add_lines() = line;
  const auto violations = PriceLines(*invoice.mutable_lines(), currency, "invoice.");
  EXPECT_TRUE(violations.empty()) << violations.front().field;
  const auto rate_millionths = ParseRate(rate);
  EXPECT_TRUE(rate_millionths.has_value());
  *invoice.mutable_totals() = TotalsOf(invoice.lines(), currency, rate_millionths.value_or(0));
  return invoice;
}

// 2 × 45,000 at 27%: 90,000 + 24,300; 3 × 4,000 at 5%: 12,000 + 600;
// 20,000 − 10% at 18%: 18,000 + 3,240; 50,000 exempt (TAM).
// Net 170,000, VAT 28,140, gross 198,140.
v1::Invoice HufInvoice() {
  auto invoice = Issued(
      "KRT-2026-000123", "HUF", "1",
      {Line("Irodai szék, ergonomikus", "2", "db", 4'500'000, common::v1::VAT_CATEGORY_STANDARD_27),
       Line("Árvíztűrő tükörfúrógép", "3", "db", 400'000, common::v1::VAT_CATEGORY_REDUCED_5),
       Line("Szállás (1 éj)", "1", "éj", 2'000'000, common::v1::VAT_CATEGORY_REDUCED_18, "10"),
       Line("Felnőttképzés", "1", "alkalom", 5'000'000, common::v1::VAT_CATEGORY_EXEMPT_TAM)});
  invoice.set_note("Kérjük, a közleményben tüntesse fel a számla sorszámát.");
  return invoice;
}

// 10 × 120.00 + 99.99 at 27%: 1,299.99 net, 351.00 VAT (on the summed
// net); 100.00 EUFAD37 without VAT. Net 1,399.99, VAT 351.00, gross
// 1,750.99; the VAT at 395.12 HUF/EUR is 138,687.12, so 138,687 HUF.
v1::Invoice EurInvoice() {
  return Issued("KRT-2026-000124", "EUR", "395.12",
                {Line("Tanácsadás", "10", "óra", 12'000, common::v1::VAT_CATEGORY_STANDARD_27),
                 Line("Szoftverlicenc", "1", "db", 9'999, common::v1::VAT_CATEGORY_STANDARD_27),
                 Line("Szolgáltatás (AT)", "1", "db", 10'000,
                      common::v1::VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37)});
}

// Cancels the first line of an invoice KRT-2026-000041: −2 × 45,000 at 27%.
v1::Invoice StornoCreditNote() {
  auto invoice = Issued("KRT-2026-000125", "HUF", "1",
                        {Line("Irodai szék, ergonomikus", "-2", "db", 4'500'000,
                              common::v1::VAT_CATEGORY_STANDARD_27)});
  invoice.set_kind(v1::INVOICE_KIND_STORNO);
  invoice.set_original_invoice_id(40);
  invoice.set_original_number("KRT-2026-000041");
  invoice.set_modification_index(1);
  invoice.set_reason("Téves számlázás: a vevő visszaküldte az árut");
  return invoice;
}

std::string Numbered(int i) {
  char text[8];
  std::snprintf(text, sizeof text, "%03d", i);
  return text;
}

TEST(InvoicePdfTest, HufInvoiceShowsPartiesDatesLinesAndTotals) {
  const v1::Invoice invoice = HufInvoice();
  const std::string pdf = RenderInvoicePdf(invoice);
  ASSERT_EQ(pdf.rfind("%PDF-", 0), 0u);
  const std::string text = PdfText(pdf);

  for (const char* expected :
       {"Számla", "KRT-2026-000123", kSellerName, kBuyerName,
        // parties
        "Váci út 1.", "1062 Budapest", "Őrház utca 12.", "7621 Pécs", "Adószám: 12345678-2-42",
        "Közösségi adószám: HU12345678", "Bankszámlaszám: 11773016-11111111-00000000",
        "Adószám: 87654321-2-13",
        // dates and payment
        "Kelte", "Teljesítés dátuma", "Fizetési határidő", "2026.12.01.", "2026.11.28.",
        "2026.12.09.", "Átutalás",
        // lines
        "Irodai szék, ergonomikus", "Árvíztűrő tükörfúrógép", "Felnőttképzés", "2 db", "45,000 HUF",
        "90,000 HUF", "24,300 HUF", "114,300 HUF", "10%", "18,000 HUF", "3,240 HUF", "1 alkalom",
        "27%", "18%", "5%", "TAM",
        // summary and totals
        "ÁFA-összesítő", "170,000 HUF", "28,140 HUF", "198,140 HUF",
        "Bruttó végösszeg: 198,140 HUF", "TAM: tárgyi adómentes",
        // note
        "Megjegyzés", "tüntesse fel a számla sorszámát."}) {
    EXPECT_TRUE(Contains(text, expected)) << expected << " missing from:\n" << text;
  }
  // Nothing a forint invoice does not need, nor a credit note's lines.
  for (const char* unexpected : {"Árfolyam", "ÁFA (HUF)", "forintban", "eredeti számla", " / "}) {
    EXPECT_FALSE(Contains(text, unexpected)) << unexpected << " in:\n" << text;
  }
  EXPECT_EQ(PageCount(pdf), 1);
  EXPECT_EQ(InfoField(pdf, "Title"), "KRT-2026-000123");
  EXPECT_EQ(InfoField(pdf, "Page size"), "595.276 x 841.89 pts (A4)");
}

TEST(InvoicePdfTest, EuroInvoiceShowsTheRateAndTheVatInForints) {
  const v1::Invoice invoice = EurInvoice();
  ASSERT_EQ(invoice.totals().vat_amount_huf().minor_units(), 13'868'700) << "fixture";
  const std::string text = PdfText(RenderInvoicePdf(invoice));
  for (const char* expected :
       {"KRT-2026-000124", "Pénznem", "EUR", "Árfolyam", "1 EUR = 395.12 HUF", "10 óra",
        "120.00 EUR", "1,200.00 EUR", "EUFAD37", "ÁFA (HUF)", "1,399.99 EUR", "351.00 EUR",
        "1,750.99 EUR", "Bruttó végösszeg: 1,750.99 EUR", "Az áfa összege forintban: 138,687 HUF",
        "EUFAD37: fordított adózás"}) {
    EXPECT_TRUE(Contains(text, expected)) << expected << " missing from:\n" << text;
  }
  // The 27% row's and the total's VAT in forints, in the summary's column.
  EXPECT_GE(Occurrences(text, "138,687 HUF"), 3) << text;
}

TEST(InvoicePdfTest, StornoNamesTheOriginalInvoiceAndNegatesTheLines) {
  const std::string pdf = RenderInvoicePdf(StornoCreditNote());
  const std::string text = PdfText(pdf);
  for (const char* expected :
       {"Sztornó számla", "KRT-2026-000125", "Az eredeti számla száma: KRT-2026-000041",
        "A módosítás sorszáma: 1", "A módosítás oka: Téves számlázás: a vevő visszaküldte az árut",
        "-2 db", "45,000 HUF", "-90,000 HUF", "-24,300 HUF", "Bruttó végösszeg: -114,300 HUF",
        kSellerName, kBuyerName}) {
    EXPECT_TRUE(Contains(text, expected)) << expected << " missing from:\n" << text;
  }
  EXPECT_EQ(InfoField(pdf, "Title"), "KRT-2026-000125");

  v1::Invoice modification = StornoCreditNote();
  modification.set_kind(v1::INVOICE_KIND_MODIFICATION);
  const std::string modified = PdfText(RenderInvoicePdf(modification));
  EXPECT_TRUE(Contains(modified, "Módosító számla")) << modified;
  EXPECT_FALSE(Contains(modified, "Sztornó")) << modified;
}

TEST(InvoicePdfTest, PrivatePersonBuyerShowsNoTaxNumber) {
  v1::Invoice invoice = HufInvoice();
  invoice.mutable_buyer()->set_name("Szőke Ödön Űrhajós");
  invoice.mutable_buyer()->set_private_person(true);
  invoice.mutable_buyer()->set_tax_number("87654321-2-13");  // a stale card must not show
  const std::string text = PdfText(RenderInvoicePdf(invoice));
  EXPECT_TRUE(Contains(text, "Szőke Ödön Űrhajós")) << text;
  EXPECT_TRUE(Contains(text, "Adószám: 12345678-2-42")) << "the seller's";
  EXPECT_FALSE(Contains(text, "87654321-2-13")) << text;
  EXPECT_EQ(Occurrences(text, "Adószám:"), 1) << text;
}

TEST(InvoicePdfTest, LongInvoiceContinuesUnderRepeatedHeadersWithPageNumbers) {
  constexpr int kLines = 120;
  std::vector<v1::InvoiceLine> lines;
  for (int i = 1; i <= kLines; ++i) {
    lines.push_back(Line("Tétel " + Numbered(i) + " Őrölt kávé Űr", "1", "db", 100'000 + i * 100,
                         common::v1::VAT_CATEGORY_STANDARD_27));
  }
  const v1::Invoice invoice = Issued("KRT-2026-000777", "HUF", "1", lines);
  const std::string pdf = RenderInvoicePdf(invoice);
  const int pages = PageCount(pdf);
  ASSERT_GE(pages, 3) << "120 lines do not fit two pages";

  // Every line exactly once: none lost or repeated at a page break.
  const std::string text = PdfText(pdf);
  for (int i = 1; i <= kLines; ++i) {
    const std::string description = "Tétel " + Numbered(i) + " Őrölt kávé Űr";
    EXPECT_EQ(Occurrences(text, description), 1) << i;
    // Its row on one line, starting with its whole position: a column too
    // narrow for "120" would wrap it.
    const auto at = text.find(description);
    if (at == std::string::npos) continue;
    const auto start = text.rfind('\n', at) + 1;  // npos + 1 is 0
    std::istringstream row(text.substr(start, text.find('\n', at) - start));
    std::string position;
    row >> position;
    EXPECT_EQ(position, std::to_string(i)) << text.substr(start, at - start + 40);
  }
  int line_pages = 0;
  for (int page = 1; page <= pages; ++page) {
    const std::string one =
        PdfText(pdf, "-f " + std::to_string(page) + " -l " + std::to_string(page));
    EXPECT_EQ(LastLineCompact(one),
              "SzámlaKRT-2026-000777" + std::to_string(page) + "/" + std::to_string(pages))
        << "footer of page " << page << ":\n"
        << one;
    if (Contains(one, "Tétel ")) {
      ++line_pages;
      EXPECT_EQ(Occurrences(one, "Megnevezés"), 1) << "header row on page " << page << ":\n" << one;
    }
    if (page == 1) {
      EXPECT_TRUE(Contains(one, "Tétel 001")) << one;
    }
    if (page == pages) {
      EXPECT_TRUE(Contains(
          one, "Bruttó végösszeg: " +
                   kernel::FormatMoney(invoice.totals().gross_amount().minor_units(), "HUF")))
          << one;
    }
  }
  EXPECT_GE(line_pages, 3);
}

TEST(InvoicePdfTest, LongNoteAndDescriptionWrapOntoFurtherPages) {
  v1::Invoice invoice = HufInvoice();
  std::string description;
  while (description.size() < 900) description += "Őrölt kávé Űrcsomagban, ";
  invoice.mutable_lines(0)->set_description(description + "vége.");
  std::string note;
  for (int i = 1; i <= 120; ++i) note += "Megjegyzés sora " + Numbered(i) + ".\n";
  invoice.set_note(note);
  const std::string pdf = RenderInvoicePdf(invoice);
  const int pages = PageCount(pdf);
  EXPECT_GE(pages, 2);
  const std::string text = PdfText(pdf);
  EXPECT_TRUE(Contains(text, "vége.")) << "the long description is cut";
  for (int i = 1; i <= 120; ++i) {
    EXPECT_EQ(Occurrences(text, "Megjegyzés sora " + Numbered(i) + "."), 1) << i;
  }
  const std::string last = "-f " + std::to_string(pages) + " -l " + std::to_string(pages);
  EXPECT_TRUE(Contains(PdfText(pdf, last), "Megjegyzés sora 120.")) << "the note ends last";
}

// The first page as a 50 dpi PNG, as a preview would show it: a page with
// ink on it, not a blank one (a missing font or a layout drawn off the page
// would leave it white).
TEST(InvoicePdfTest, FirstPageRastersToAPageWithInk) {
  TempDir dir;
  const std::string pdf = dir.Write("invoice.pdf", RenderInvoicePdf(HufInvoice()));
  RunTool("pdftoppm -r 50 -png -f 1 -l 1 -singlefile '" + pdf + "' '" + dir.path() + "/page'");
  const std::string png = dir.path() + "/page.png";
  ASSERT_TRUE(std::filesystem::exists(png));

  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> image(
      cairo_image_surface_create_from_png(png.c_str()), &cairo_surface_destroy);
  ASSERT_EQ(cairo_surface_status(image.get()), CAIRO_STATUS_SUCCESS) << "not a PNG";
  cairo_surface_flush(image.get());
  const int width = cairo_image_surface_get_width(image.get());
  const int height = cairo_image_surface_get_height(image.get());
  EXPECT_NEAR(width, 413, 1) << "A4 at 50 dpi";
  EXPECT_NEAR(height, 585, 1);
  const cairo_format_t format = cairo_image_surface_get_format(image.get());
  ASSERT_EQ(format, CAIRO_FORMAT_RGB24) << "pdftoppm writes opaque pixels";
  const unsigned char* data = cairo_image_surface_get_data(image.get());
  const int stride = cairo_image_surface_get_stride(image.get());
  // Black ink, as text leaves it; the grey rules and header shading stay
  // lighter than this, so a page with them alone still counts as blank.
  long ink = 0;
  for (int y = 0; y < height; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
    for (int x = 0; x < width; ++x) {
      const std::uint32_t pixel = row[x];
      const int luminance = (((pixel >> 16) & 0xff) + ((pixel >> 8) & 0xff) + (pixel & 0xff)) / 3;
      if (luminance < 100) ++ink;
    }
  }
  const long total = static_cast<long>(width) * height;
  EXPECT_GT(ink, total / 200) << "hardly any text: " << ink << " of " << total;
  EXPECT_LT(ink, total / 4) << "mostly black: " << ink << " of " << total;
}

TEST(InvoicePdfTest, RefusesWhatIsNotAnIssuedInvoice) {
  v1::Invoice draft = HufInvoice();
  draft.set_state(v1::INVOICE_STATE_DRAFT);
  draft.clear_number();
  EXPECT_THROW(RenderInvoicePdf(draft), std::invalid_argument);
  draft.set_number("KRT-2026-000123");  // a number alone does not make it issued
  EXPECT_THROW(RenderInvoicePdf(draft), std::invalid_argument);
  v1::Invoice unnumbered = HufInvoice();
  unnumbered.clear_number();
  EXPECT_THROW(RenderInvoicePdf(unnumbered), std::invalid_argument);

  v1::Invoice no_rate = EurInvoice();
  no_rate.clear_exchange_rate();
  EXPECT_THROW(RenderInvoicePdf(no_rate), std::invalid_argument);
  v1::Invoice no_original = StornoCreditNote();
  no_original.clear_original_number();
  EXPECT_THROW(RenderInvoicePdf(no_original), std::invalid_argument);
  v1::Invoice no_category = HufInvoice();
  no_category.mutable_lines(0)->set_vat_category(common::v1::VAT_CATEGORY_UNSPECIFIED);
  EXPECT_THROW(RenderInvoicePdf(no_category), std::invalid_argument);
}

// The message names the field, so the caller's log says which data is bad.
std::string RefusalOf(const v1::Invoice& invoice) {
  try {
    RenderInvoicePdf(invoice);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "(rendered)";
}

TEST(InvoicePdfTest, RefusesTextThatIsNotUtf8) {
  v1::Invoice buyer = HufInvoice();
  buyer.mutable_buyer()->set_name("F\xFBzfa Zrt.");  // Latin-2 ű
  EXPECT_TRUE(Contains(RefusalOf(buyer), "invoice.buyer.name")) << RefusalOf(buyer);
  v1::Invoice line = HufInvoice();
  line.mutable_lines(1)->set_description("hib\xE1s");
  EXPECT_TRUE(Contains(RefusalOf(line), "invoice.lines[1].description")) << RefusalOf(line);
  v1::Invoice address = HufInvoice();
  address.mutable_seller()->mutable_address()->set_city(
      "P\xE9"
      "cs");
  EXPECT_TRUE(Contains(RefusalOf(address), "invoice.seller.address.city"));
  v1::Invoice note = HufInvoice();
  note.set_note(std::string("before\0after", 12));  // pango would stop at the NUL
  EXPECT_TRUE(Contains(RefusalOf(note), "invoice.note"));
}

}  // namespace
}  // namespace karton::invoicing
