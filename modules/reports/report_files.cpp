#include "report_files.h"

#include <fmt/format.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace karton::reports {
namespace {

// Hundredths as a decimal with both digits: 123456 -> "1234.56", -5 ->
// "-0.05". Money (minor units of fillér and cent) and percentages (basis
// points) alike.
std::string Hundredths(std::int64_t value) {
  const bool negative = value < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  return fmt::format("{}{}.{:02}", negative ? "-" : "", magnitude / 100, magnitude % 100);
}

std::string CellText(const v1::Cell& cell) {
  switch (cell.value_case()) {
    case v1::Cell::kText:
      return cell.text();
    case v1::Cell::kInteger:
      return std::to_string(cell.integer());
    case v1::Cell::kMoney:
      return Hundredths(cell.money().minor_units());
    case v1::Cell::kPercentBasisPoints:
      return Hundredths(cell.percent_basis_points());
    case v1::Cell::VALUE_NOT_SET:
      break;
  }
  return "";
}

// A file in the temporary folder, removed when this goes.
class TemporaryFile {
 public:
  TemporaryFile() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "karton-report-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file for the workbook");
    ::close(fd);
    path_ = pattern;
  }
  ~TemporaryFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& Path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string MoneyNumberFormat(const std::string& currency_code) {
  // Only a code of three capital letters goes into the format (it is
  // quoted there); anything else gets the plain number.
  const bool code =
      currency_code.size() == 3 && std::all_of(currency_code.begin(), currency_code.end(),
                                               [](char c) { return c >= 'A' && c <= 'Z'; });
  return code ? "#,##0.00 \"" + currency_code + "\"" : std::string("#,##0.00");
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string ReportCsv(const v1::RunReportResponse& report) {
  std::string csv = "\xEF\xBB\xBF";  // the byte order mark
  const auto line = [&](const auto& fields) {
    bool first = true;
    for (const auto& field : fields) {
      if (!first) csv += ',';
      first = false;
      csv += CsvField(field);
    }
    csv += "\r\n";
  };
  std::vector<std::string> header;
  for (const auto& column : report.columns()) header.push_back(column.title());
  line(header);
  for (const auto& row : report.rows()) {
    std::vector<std::string> fields;
    for (int i = 0; i < report.columns_size(); ++i) {
      fields.push_back(i < row.cells_size() ? CellText(row.cells(i)) : "");
    }
    line(fields);
  }
  return csv;
}

std::string ReportXlsx(const v1::RunReportResponse& report) {
  TemporaryFile file;
  lxw_workbook_options options{};
  const std::string tmpdir = std::filesystem::temp_directory_path().string();
  options.tmpdir = const_cast<char*>(tmpdir.c_str());
  lxw_workbook* workbook = workbook_new_opt(file.Path().c_str(), &options);
  if (workbook == nullptr) throw std::runtime_error("cannot start the workbook");
  // Sheet names: at most 31 characters.
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, report.title().substr(0, 31).c_str());
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  // Money: the amount as a number, shown with its currency ("#,##0.00
  // \"HUF\""), one format per currency; none for an amount without one.
  std::map<std::string, lxw_format*> money_formats;
  const auto money_format = [&](const std::string& currency) {
    auto& format = money_formats[currency];
    if (format == nullptr) {
      format = workbook_add_format(workbook);
      format_set_num_format(format, MoneyNumberFormat(currency).c_str());
    }
    return format;
  };
  lxw_format* percent = workbook_add_format(workbook);
  format_set_num_format(percent, "0.00%");
  for (int c = 0; c < report.columns_size(); ++c) {
    worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), report.columns(c).title().c_str(),
                           bold);
  }
  for (int r = 0; r < report.rows_size(); ++r) {
    const auto& row = report.rows(r);
    const auto x = static_cast<lxw_row_t>(r + 1);
    for (int c = 0; c < row.cells_size() && c < report.columns_size(); ++c) {
      const auto y = static_cast<lxw_col_t>(c);
      const auto& cell = row.cells(c);
      switch (cell.value_case()) {
        case v1::Cell::kText:
          worksheet_write_string(sheet, x, y, cell.text().c_str(), nullptr);
          break;
        case v1::Cell::kInteger:
          worksheet_write_number(sheet, x, y, static_cast<double>(cell.integer()), nullptr);
          break;
        // The amount in major units: the double nearest the exact decimal
        // (one correctly rounded division), which is what a spreadsheet
        // stores for "1234.56" typed in; exact up to 2^53 minor units.
        case v1::Cell::kMoney:
          worksheet_write_number(sheet, x, y, static_cast<double>(cell.money().minor_units()) / 100,
                                 money_format(cell.money().currency_code()));
          break;
        case v1::Cell::kPercentBasisPoints:
          worksheet_write_number(sheet, x, y,
                                 static_cast<double>(cell.percent_basis_points()) / 10000, percent);
          break;
        case v1::Cell::VALUE_NOT_SET:
          break;
      }
    }
  }
  if (workbook_close(workbook) != LXW_NO_ERROR) {
    throw std::runtime_error("cannot write the workbook");
  }
  std::ifstream in(file.Path(), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace karton::reports
