#include "helpdesk_module.h"

#include "demo_data.h"
#include "intake/ticket_intake.h"
#include "karton/kernel/events.h"
#include "karton/kernel/jobs.h"
#include "knowledge/kb_pages.h"
#include "knowledge/knowledge_base_service.h"
#include "notices/customer_notices.h"
#include "outreach.h"
#include "overview/helpdesk_overview_service.h"
#include "partner_directory.h"
#include "partner_events.h"
#include "process/step_actions.h"
#include "process/ticket_process.h"
#include "process/ticket_type_service.h"
#include "reports/helpdesk_report_service.h"
#include "sla/sla_service.h"
#include "sla/ticket_sla.h"
#include "tickets/ticket_service.h"
#include "tickets/ticket_timeline.h"

namespace karton::helpdesk {

HelpdeskModule::HelpdeskModule() = default;
HelpdeskModule::~HelpdeskModule() = default;

void HelpdeskModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  // The channel exists from Start() on; it is read at each call.
  auto channel = [&context] { return context.Channel(); };
  partners_ = std::make_unique<GrpcPartnerDirectory>(channel);
  outreach_ = std::make_unique<GrpcOutreach>(channel);
  kernel::ServiceParts parts = kernel::PartsOf(context);
  TicketServiceImpl::DeclareTopics(context.Events());
  TicketTypeServiceImpl::DeclareTopics(context.Events());
  SlaServiceImpl::DeclareTopics(context.Events());
  KnowledgeBaseServiceImpl::DeclareTopics(context.Events());
  tickets_ = std::make_unique<TicketServiceImpl>(parts, *partners_);
  types_ = std::make_unique<TicketTypeServiceImpl>(parts);
  step_actions_ = std::make_unique<StepActions>(parts, *outreach_);
  sla_ = std::make_unique<SlaServiceImpl>(parts);
  sla_checks_ = std::make_unique<SlaChecks>(parts, *outreach_);
  knowledge_base_ = std::make_unique<KnowledgeBaseServiceImpl>(parts);
  kb_pages_ = std::make_unique<KbPages>(parts);
  reports_ = std::make_unique<HelpdeskReportServiceImpl>(parts);
  overview_ = std::make_unique<HelpdeskOverviewServiceImpl>(parts, *partners_);

  context.JobQueue().Handle(kStepActionsJob,
                            [this](const kernel::JobRun& run) { step_actions_->Run(run); });
  context.JobQueue().Handle(kSlaCheckJob,
                            [this](const kernel::JobRun& run) { sla_checks_->Run(run); });

  context.Events().Subscribe("partner_merges", {"partners.partner.merged"}, FollowPartnerMerge);
  // The customer hears of their ticket (notices/customer_notices.h).
  customer_notices_ = std::make_unique<CustomerNotices>(parts, *outreach_);
  context.Events().SubscribeCalling(
      "customer_notices", {kTicketCreatedTopic, kTicketStateChangedTopic},
      [this](const kernel::Event& event) { customer_notices_->Handle(event); });
  // Each ticket opened, resolved or closed on its partner's timeline
  // (tickets/ticket_timeline.h): a run of events in one call to partners.
  // Four at once, as when it was one call per ticket: after a run fails,
  // its events go one at a time, and four at once kept up with a burst.
  kernel::SubscriptionOptions four_at_once;
  four_at_once.calling_concurrency = 4;
  context.Events().SubscribeCallingRuns(
      "partner_timeline", {kTicketCreatedTopic, kTicketStateChangedTopic},
      [parts](std::span<const kernel::Event> run) { LogTicketsOnTimeline(parts, run); },
      four_at_once);
  // Tickets from email routed to the helpdesk and from web forms
  // (intake/ticket_intake.h).
  intake_ = std::make_unique<TicketIntake>(parts, *partners_);
  intake_->Subscribe(context.Events());

  registrar.AddGrpcService(*tickets_, v1::TicketService::service_full_name(),
                           TicketServiceImpl::Roles());
  registrar.AddGrpcService(*types_, v1::TicketTypeService::service_full_name(),
                           TicketTypeServiceImpl::Roles());
  registrar.AddGrpcService(*sla_, v1::SlaService::service_full_name(), SlaServiceImpl::Roles());
  registrar.AddGrpcService(*knowledge_base_, v1::KnowledgeBaseService::service_full_name(),
                           KnowledgeBaseServiceImpl::Roles());
  registrar.AddGrpcService(*reports_, v1::HelpdeskReportService::service_full_name(),
                           HelpdeskReportServiceImpl::Roles());
  registrar.AddGrpcService(*overview_, v1::HelpdeskOverviewService::service_full_name(),
                           HelpdeskOverviewServiceImpl::Roles());
  // The partner card's section (the CRM's customer overview).
  registrar.OfferExtension(kOverviewSectionPoint,
                           "/karton.helpdesk.v1.HelpdeskOverviewService/CustomerOverviewSection");

  // The public articles as HTML pages (knowledge/kb_pages.h).
  auto* kb = kb_pages_.get();
  using kernel::HttpMethod;
  using kernel::HttpRequest;
  registrar.AddHttpRoute(HttpMethod::kGet, "/kb",
                         [kb](const HttpRequest& request) { return kb->Index(request); });
  registrar.AddHttpRoute(HttpMethod::kGet, "/kb/{slug}",
                         [kb](const HttpRequest& request) { return kb->Show(request); });
}

void HelpdeskModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadHelpdeskDemoData(context, session);
}

}  // namespace karton::helpdesk
