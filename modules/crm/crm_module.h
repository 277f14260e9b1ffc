// The CRM module: leads, web forms, routing, qualification, pipelines and
// opportunities (docs/crm.md). This file only wires; the work is in the
// services, the web form pages and the event handlers.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::crm {

class ActivityServiceImpl;
class CustomerOverviewServiceImpl;
class PersonalDataServiceImpl;
class RecordAccessServiceImpl;
class TeamDirectory;
class Router;
class LeadIntake;
class LeadServiceImpl;
class WebFormServiceImpl;
class WebFormPages;
class AssignmentRuleServiceImpl;
class PipelineServiceImpl;
class OpportunityServiceImpl;

struct CrmDemoPrepared;

class CrmModule final : public kernel::Module {
 public:
  // --module-option crm.<key>=<value> (docs/crm.md, "Options").
  static constexpr KartonModuleOption kOptions[] = {
      {"form_posts_per_minute", "number",
       "Web form submissions per minute from one visitor (IPv4 address or IPv6 /64); 0: no limit",
       "10", ""},
      {"form_confirmations_per_recipient", "integer",
       "Confirmation mails to one address from form leads within a day, 0 (no cap) to 1000", "3",
       ""},
      {"form_repost_window_hours", "integer",
       "Hours within which the same person (email, else phone) posting the same web form again "
       "adds the message to the earlier lead instead of making a new one, 0 (always a new lead) "
       "to 8760",
       "24", ""},
      {"team_cache_seconds", "integer",
       "Seconds team membership read from the kernel is kept for routing, 0 (read at every "
       "use) to 300",
       "5", ""},
  };

  CrmModule();
  ~CrmModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  // Schedules the daily stale-opportunity reminders (once per database).
  void Start(kernel::ModuleContext& context) override;
  void PrepareDemoData(kernel::ModuleContext& context) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<TeamDirectory> teams_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<LeadIntake> intake_;
  std::unique_ptr<LeadServiceImpl> leads_;
  std::unique_ptr<WebFormServiceImpl> web_forms_;
  std::unique_ptr<WebFormPages> web_form_pages_;
  std::unique_ptr<AssignmentRuleServiceImpl> assignment_rules_;
  std::unique_ptr<PipelineServiceImpl> pipelines_;
  // Before opportunities_, which uses it: destroyed after it.
  std::unique_ptr<ActivityServiceImpl> activities_;
  std::unique_ptr<OpportunityServiceImpl> opportunities_;
  std::unique_ptr<CustomerOverviewServiceImpl> overview_;
  std::unique_ptr<RecordAccessServiceImpl> record_access_;
  std::unique_ptr<PersonalDataServiceImpl> personal_data_;
  // Between PrepareDemoData and LoadDemoData only.
  std::unique_ptr<CrmDemoPrepared> demo_;
};

}  // namespace karton::crm
