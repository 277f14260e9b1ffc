// The reports module (docs/reports.md): sales and activity reports over the
// modules' published reporting views, their export as CSV and XLSX, and
// each user's saved reports.
#pragma once

#include <memory>
#include <string>

#include "karton/kernel/module.h"

namespace karton::reports {

class ReportServiceImpl;

class ReportsModule final : public kernel::Module {
 public:
  static constexpr KartonModuleOption kOptions[] = {
      {"time_zone", "text",
       "The time zone whose calendar days the reports' dates, \"today\" and a timestamp's day "
       "are (an IANA name PostgreSQL knows)",
       "Europe/Budapest", ""},
  };

  ReportsModule();
  ~ReportsModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  // Stops kartond at start on a time zone PostgreSQL does not know.
  void Start(kernel::ModuleContext& context) override;
  // A saved report for each demo colleague crm's demo data made.
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<ReportServiceImpl> reports_;
  std::string time_zone_ = "Europe/Budapest";
};

}  // namespace karton::reports
