// The export files: CSV as Excel reads it, XLSX as a zip.
#include "report_files.h"

#include <gtest/gtest.h>

namespace karton::reports {
namespace {

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
  row->add_cells()->set_percent_basis_points(4550);
  auto* empty = report.add_rows();
  empty->add_cells()->set_text("(nobody)");
  empty->add_cells()->set_integer(0);
  empty->add_cells()->mutable_money()->set_minor_units(-5);
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

}  // namespace
}  // namespace karton::reports
