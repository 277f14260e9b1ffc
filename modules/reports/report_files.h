// A report as a file: CSV (RFC 4180, UTF-8 with a byte order mark, so Excel
// reads it as UTF-8) or XLSX (one sheet, written by libxlsxwriter). Money
// is written as the decimal amount in major units (in CSV the currency has
// its own column; in XLSX a number shown with its currency), percentages as
// fractions in XLSX ("45.50%" shown) and as the percentage in CSV
// ("45.50").
#pragma once

#include <string>

#include "karton/reports/v1/report_service.pb.h"

namespace karton::reports {

std::string ReportCsv(const v1::RunReportResponse& report);

// Throws std::runtime_error when the workbook cannot be written.
std::string ReportXlsx(const v1::RunReportResponse& report);

// The XLSX number format of money in `currency_code`: `#,##0.00 "HUF"`;
// `#,##0.00` when there is no currency (a deal's revenue without one).
std::string MoneyNumberFormat(const std::string& currency_code);

// One CSV field, quoted when it holds a comma, quote, CR or LF.
std::string CsvField(const std::string& text);

}  // namespace karton::reports
