// The export files: CSV as Excel reads it, XLSX as a zip.
#include "report_files.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>

namespace karton::reports {
namespace {

// One file of a zip archive, from its central directory (libxlsxwriter's
// local headers may leave the sizes to a trailing descriptor), inflated.
std::string ZipEntry(const std::string& zip, const std::string& name) {
  const auto u16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(zip.at(at)) |
                                    static_cast<unsigned char>(zip.at(at + 1)) << 8);
  };
  const auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
  const std::size_t end = zip.rfind(std::string("PK\x05\x06", 4));
  if (end == std::string::npos) throw std::runtime_error("no end of central directory");
  std::size_t at = u32(end + 16);
  for (std::size_t i = 0; i < u16(end + 10); ++i) {
    const std::size_t method = u16(at + 10), packed = u32(at + 20), size = u32(at + 24);
    const std::size_t name_length = u16(at + 28);
    const std::size_t local = u32(at + 42);
    if (zip.substr(at + 46, name_length) == name) {
      const std::size_t data = local + 30 + u16(local + 26) + u16(local + 28);
      if (method == 0) return zip.substr(data, size);
      std::string out(size, '\0');
      z_stream stream{};
      inflateInit2(&stream, -MAX_WBITS);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zip.data() + data));
      stream.avail_in = static_cast<uInt>(packed);
      stream.next_out = reinterpret_cast<Bytef*>(out.data());
      stream.avail_out = static_cast<uInt>(size);
      const int result = inflate(&stream, Z_FINISH);
      inflateEnd(&stream);
      if (result != Z_STREAM_END) throw std::runtime_error("cannot inflate " + name);
      return out;
    }
    at += 46 + name_length + u16(at + 30) + u16(at + 32);
  }
  throw std::runtime_error("no " + name + " in the zip");
}

v1::RunReportResponse Sample() {
  v1::RunReportResponse report;
  report.set_title("Pipeline by stage");
  const auto column = [&](const char* key, const char* title, v1::ColumnType type) {
    auto* added = report.add_columns();
    added->set_key(key);
    added->set_title(title);
    added->set_type(type);
  };
  column("owner", "Owner", v1::COLUMN_TYPE_TEXT);
  column("deals", "Deals", v1::COLUMN_TYPE_INTEGER);
  column("total", "Expected revenue", v1::COLUMN_TYPE_MONEY);
  column("win_rate", "Win rate", v1::COLUMN_TYPE_PERCENT);
  auto* row = report.add_rows();
  row->add_cells()->set_text("Kovács, \"Kati\" Ő");
  row->add_cells()->set_integer(3);
  row->add_cells()->mutable_money()->set_minor_units(123456);
  row->mutable_cells(2)->mutable_money()->set_currency_code("HUF");
  row->add_cells()->set_percent_basis_points(4550);
  auto* empty = report.add_rows();
  empty->add_cells()->set_text("(nobody)");
  empty->add_cells()->set_integer(0);
  empty->add_cells()->mutable_money()->set_minor_units(-5);
  empty->mutable_cells(2)->mutable_money()->set_currency_code("EUR");
  empty->add_cells();  // no value
  return report;
}

TEST(ReportFilesTest, CsvIsRfc4180WithAByteOrderMark) {
  EXPECT_EQ(ReportCsv(Sample()),
            "\xEF\xBB\xBFOwner,Deals,Expected revenue,Win rate\r\n"
            "\"Kovács, \"\"Kati\"\" Ő\",3,1234.56,45.50\r\n"
            "(nobody),0,-0.05,\r\n");
}

TEST(ReportFilesTest, CsvQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(CsvField("a\rb"), "\"a\rb\"");
}

TEST(ReportFilesTest, XlsxIsAZipWorkbook) {
  const std::string xlsx = ReportXlsx(Sample());
  ASSERT_GT(xlsx.size(), 100U);
  EXPECT_EQ(xlsx.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_NE(xlsx.find("xl/worksheets/sheet1.xml"), std::string::npos);
}

// Money cells are the amounts as numbers, shown with their currency;
// percentages fractions shown as percentages.
TEST(ReportFilesTest, XlsxMoneyIsANumberInItsCurrencysFormat) {
  const std::string xlsx = ReportXlsx(Sample());
  const std::string sheet = ZipEntry(xlsx, "xl/worksheets/sheet1.xml");
  EXPECT_NE(sheet.find("<v>1234.56</v>"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("<v>-0.05</v>"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("<v>0.455</v>"), std::string::npos) << sheet;
  const std::string styles = ZipEntry(xlsx, "xl/styles.xml");
  EXPECT_NE(styles.find("formatCode=\"#,##0.00 &quot;HUF&quot;\""), std::string::npos) << styles;
  EXPECT_NE(styles.find("formatCode=\"#,##0.00 &quot;EUR&quot;\""), std::string::npos) << styles;
  EXPECT_NE(styles.find("formatCode=\"0.00%\""), std::string::npos) << styles;
}

TEST(ReportFilesTest, MoneyFormatsQuoteOnlyCurrencyCodes) {
  EXPECT_EQ(MoneyNumberFormat("HUF"), "#,##0.00 \"HUF\"");
  EXPECT_EQ(MoneyNumberFormat(""), "#,##0.00");
  EXPECT_EQ(MoneyNumberFormat("H\"F"), "#,##0.00");
  EXPECT_EQ(MoneyNumberFormat("huf"), "#,##0.00");
}

}  // namespace
}  // namespace karton::reports
