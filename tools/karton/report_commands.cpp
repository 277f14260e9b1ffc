// karton reports run|export|saved ...: the reports module (docs/reports.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/reports/v1/report_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace rv1 = reports::v1;
using Reports = rv1::ReportService::Stub;

const std::vector<std::string> kReports = {
    "pipeline_by_stage",         "forecast_by_month",  "win_rate_by_owner", "activities_by_owner",
    "lead_conversion_by_source", "customer_purchases", "payment_behaviour", "customer_rfm",
    "customer_churn_risk"};

struct Options {
  std::string report, from, to, format, out, name;
  std::int64_t owner = 0, team = 0, saved = 0, id = 0;
};

// --from, --to, --owner and --team.
void AddFilters(CLI::App* command, Options& o) {
  command->add_option("--from", o.from, "First day, YYYY-MM-DD (what it bounds: docs/reports.md)");
  command->add_option("--to", o.to, "Last day, YYYY-MM-DD");
  command->add_option("--owner", o.owner, "Only this owner's records (user id)");
  command->add_option("--team", o.team, "Only this team's records (team id)");
}

template <class Request>
void FillFilters(const Options& o, Request& request) {
  request.set_report(FromWord<rv1::Report>(o.report, "REPORT_"));
  if (!o.from.empty()) *request.mutable_from_date() = ParseDate(o.from, "--from");
  if (!o.to.empty()) *request.mutable_to_date() = ParseDate(o.to, "--to");
  request.set_owner_user_id(o.owner);
  request.set_team_id(o.team);
}

std::string CellText(const rv1::Cell& cell) {
  switch (cell.value_case()) {
    case rv1::Cell::kText:
      return cell.text();
    case rv1::Cell::kInteger:
      return std::to_string(cell.integer());
    case rv1::Cell::kMoney:
      if (cell.money().currency_code().empty()) {  // a deal with no currency given
        const auto minor = cell.money().minor_units();
        return fmt::format("{}{}.{:02}", minor < 0 ? "-" : "", std::abs(minor) / 100,
                           std::abs(minor) % 100);
      }
      return FormatMoney(cell.money());
    case rv1::Cell::kPercentBasisPoints: {
      const auto points = cell.percent_basis_points();
      return fmt::format("{}{}.{:02}%", points < 0 ? "-" : "", std::abs(points) / 100,
                         std::abs(points) % 100);
    }
    case rv1::Cell::VALUE_NOT_SET:
      break;
  }
  return "-";
}

// The table with its columns as wide as their widest cell; text left,
// numbers right.
void PrintTable(const rv1::RunReportResponse& table) {
  std::cout << table.title() << "\n";
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const auto& column : table.columns()) widths.push_back(column.title().size());
  for (const auto& row : table.rows()) {
    auto& texts = cells.emplace_back();
    for (int c = 0; c < row.cells_size() && c < table.columns_size(); ++c) {
      texts.push_back(CellText(row.cells(c)));
      widths[static_cast<std::size_t>(c)] =
          std::max(widths[static_cast<std::size_t>(c)], texts.back().size());
    }
  }
  const auto line = [&](const std::vector<std::string>& texts) {
    std::string out;
    for (std::size_t c = 0; c < texts.size(); ++c) {
      const bool left = table.columns(static_cast<int>(c)).type() == rv1::COLUMN_TYPE_TEXT;
      out += c == 0 ? "" : "  ";
      out += left ? fmt::format("{:<{}}", texts[c], widths[c])
                  : fmt::format("{:>{}}", texts[c], widths[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  std::vector<std::string> header;
  for (const auto& column : table.columns()) header.push_back(column.title());
  line(header);
  for (const auto& texts : cells) line(texts);
}

void PrintSaved(const rv1::SavedReport& saved) {
  std::cout << fmt::format("saved report {}: {} ({})\n", saved.id(), saved.name(),
                           Word(saved.report(), "REPORT_"));
}

void PrintSavedList(const rv1::ListSavedReportsResponse& response) {
  constexpr auto kRow = "{:>5}  {:<36} {:<20} {:<10} {:<10} {:>6} {:>6}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "REPORT", "FROM", "TO", "OWNER", "TEAM");
  const auto date = [](const common::v1::Date& d) {
    return d.year() == 0 ? std::string("-")
                         : fmt::format("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
  };
  for (const auto& saved : response.saved_reports()) {
    std::cout << fmt::format(kRow, saved.id(), Cut(saved.name(), 36),
                             Word(saved.report(), "REPORT_"), date(saved.from_date()),
                             date(saved.to_date()), Id(saved.owner_user_id()), Id(saved.team_id()));
  }
}

int SaveExport(grpc::ClientReader<rv1::ExportReportResponse>& reader, const std::string& path,
               const GlobalOptions& options) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  rv1::ExportReportResponse part;
  std::string name;
  std::int64_t bytes = 0;
  while (reader.Read(&part)) {
    if (part.has_file_info()) name = part.file_info().name();
    out << part.chunk();
    bytes += static_cast<std::int64_t>(part.chunk().size());
  }
  out.close();
  auto status = reader.Finish();
  if (status.ok() && !out) status = grpc::Status(grpc::StatusCode::DATA_LOSS, "write failed");
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return ReportError(status, options);
  }
  if (options.output == "json") {
    std::cout << fmt::format("{{\"name\": \"{}\", \"bytes\": {}}}\n", name, bytes);
  } else {
    std::cout << fmt::format("{} ({} bytes) written to {}\n", name, bytes, path);
  }
  return 0;
}

}  // namespace

void AddReportsCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* reports =
      app.add_subcommand("reports", "Sales and activity reports, their export, saved reports")
          ->require_subcommand(1);
  auto o = std::make_shared<Options>();

  auto* run = Rpcs(reports->add_subcommand("run", "One report as a table"),
                   {"karton.reports.v1.ReportService/RunReport"});
  run->add_option("report", o->report)->check(CLI::IsMember(kReports))->required();
  AddFilters(run, *o);
  run->callback(Run(options, exit_code, [&options, o] {
    rv1::RunReportRequest request;
    FillFilters(*o, request);
    return Call(options, &Reports::RunReport, request, PrintTable);
  }));

  auto* exported =
      Rpcs(reports->add_subcommand("export", "A report (or a saved one) as CSV or XLSX, to a file"),
           {"karton.reports.v1.ReportService/ExportReport"});
  exported->add_option("report", o->report)->check(CLI::IsMember(kReports));
  exported->add_option("--saved", o->saved, "A saved report's id, instead of report and filters");
  AddChoice(exported, "--format", o->format, std::vector<std::string>{"csv", "xlsx"})->required();
  exported->add_option("--out", o->out, "The file to write")->required();
  AddFilters(exported, *o);
  exported->callback(Run(options, exit_code, [&options, o] {
    if (o->report.empty() == (o->saved == 0)) throw UsageError("give a report or --saved");
    rv1::ExportReportRequest request;
    if (o->saved == 0) FillFilters(*o, request);
    request.set_saved_report_id(o->saved);
    request.set_format(o->format == "csv" ? rv1::EXPORT_FORMAT_CSV : rv1::EXPORT_FORMAT_XLSX);
    // Before the call: a file that cannot be written is bad usage (exit 2).
    if (!std::ofstream(o->out, std::ios::binary | std::ios::trunc)) {
      throw UsageError("cannot write " + o->out);
    }
    auto context = MakeContext(options, /*streaming=*/true);
    auto reader =
        rv1::ReportService::NewStub(ChannelFor(options))->ExportReport(context.get(), request);
    return SaveExport(*reader, o->out, options);
  }));

  auto* saved = reports->add_subcommand("saved", "Your saved reports")->require_subcommand(1);
  auto* list = Rpcs(saved->add_subcommand("list", "Your saved reports, by name"),
                    {"karton.reports.v1.ReportService/ListSavedReports"});
  list->callback(Run(options, exit_code, [&options] {
    return Call(options, &Reports::ListSavedReports, rv1::ListSavedReportsRequest(),
                PrintSavedList);
  }));
  auto* create = Rpcs(saved->add_subcommand("create", "Saves a report and its filters by name"),
                      {"karton.reports.v1.ReportService/CreateSavedReport"});
  create->add_option("report", o->report)->check(CLI::IsMember(kReports))->required();
  create->add_option("--name", o->name)->required();
  AddFilters(create, *o);
  create->callback(Run(options, exit_code, [&options, o] {
    rv1::CreateSavedReportRequest request;
    auto* saved_report = request.mutable_saved_report();
    saved_report->set_name(o->name);
    saved_report->set_report(FromWord<rv1::Report>(o->report, "REPORT_"));
    if (!o->from.empty()) *saved_report->mutable_from_date() = ParseDate(o->from, "--from");
    if (!o->to.empty()) *saved_report->mutable_to_date() = ParseDate(o->to, "--to");
    saved_report->set_owner_user_id(o->owner);
    saved_report->set_team_id(o->team);
    return Call(options, &Reports::CreateSavedReport, request, PrintSaved);
  }));
  auto* remove = Rpcs(saved->add_subcommand("delete", "Deletes one of your saved reports"),
                      {"karton.reports.v1.ReportService/DeleteSavedReport"});
  remove->add_option("id", o->id)->required();
  remove->callback(Run(options, exit_code, [&options, o] {
    rv1::DeleteSavedReportRequest request;
    request.set_id(o->id);
    return Call(options, &Reports::DeleteSavedReport, request,
                [&](const rv1::DeleteSavedReportResponse&) {
                  std::cout << "saved report " << o->id << " deleted\n";
                });
  }));
}

}  // namespace karton::cli
