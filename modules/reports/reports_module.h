// The reports module (docs/reports.md): sales and activity reports over the
// modules' published reporting views, their export as CSV and XLSX, and
// each user's saved reports.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::reports {

class ReportServiceImpl;

class ReportsModule final : public kernel::Module {
 public:
  ReportsModule();
  ~ReportsModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  // A saved report for each demo colleague crm's demo data made.
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<ReportServiceImpl> reports_;
};

}  // namespace karton::reports
