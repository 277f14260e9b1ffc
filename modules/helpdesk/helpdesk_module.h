// The helpdesk module (docs/helpdesk.md): tickets with hand-overs,
// comments, states and merges; ticket types with their standard processes;
// SLA; the knowledge base.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::helpdesk {

class CustomerNotices;
class GrpcOutreach;
class GrpcPartnerDirectory;
class HelpdeskOverviewServiceImpl;
class HelpdeskReportServiceImpl;
class KbPages;
class KnowledgeBaseServiceImpl;
class SlaChecks;
class SlaServiceImpl;
class StepActions;
class TicketIntake;
class TicketServiceImpl;
class TicketTypeServiceImpl;

class HelpdeskModule final : public kernel::Module {
 public:
  HelpdeskModule();
  ~HelpdeskModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<GrpcPartnerDirectory> partners_;
  std::unique_ptr<GrpcOutreach> outreach_;
  std::unique_ptr<TicketServiceImpl> tickets_;
  std::unique_ptr<TicketTypeServiceImpl> types_;
  std::unique_ptr<StepActions> step_actions_;
  std::unique_ptr<SlaServiceImpl> sla_;
  std::unique_ptr<SlaChecks> sla_checks_;
  std::unique_ptr<KnowledgeBaseServiceImpl> knowledge_base_;
  std::unique_ptr<KbPages> kb_pages_;
  std::unique_ptr<CustomerNotices> customer_notices_;
  std::unique_ptr<HelpdeskReportServiceImpl> reports_;
  std::unique_ptr<HelpdeskOverviewServiceImpl> overview_;
  std::unique_ptr<TicketIntake> intake_;
};

}  // namespace karton::helpdesk
