// The CRM module: leads, web forms, routing, qualification, pipelines and
// opportunities (docs/crm.md). This file only wires; the work is in the
// services, the web form pages and the event handlers.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::crm {

class Router;
class LeadIntake;
class LeadServiceImpl;
class WebFormServiceImpl;
class WebFormPages;
class AssignmentRuleServiceImpl;
class PipelineServiceImpl;
class OpportunityServiceImpl;

class CrmModule final : public kernel::Module {
 public:
  CrmModule();
  ~CrmModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<Router> router_;
  std::unique_ptr<LeadIntake> intake_;
  std::unique_ptr<LeadServiceImpl> leads_;
  std::unique_ptr<WebFormServiceImpl> web_forms_;
  std::unique_ptr<WebFormPages> web_form_pages_;
  std::unique_ptr<AssignmentRuleServiceImpl> assignment_rules_;
  std::unique_ptr<PipelineServiceImpl> pipelines_;
  std::unique_ptr<OpportunityServiceImpl> opportunities_;
};

}  // namespace karton::crm
