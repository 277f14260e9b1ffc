#include "crm_module.h"

#include <fmt/format.h>

#include <stdexcept>

#include "assignment_rule_service.h"
#include "demo_data.h"
#include "event_handlers.h"
#include "lead_service.h"
#include "opportunity_service.h"
#include "routing.h"
#include "web_form_pages.h"
#include "web_form_service.h"

namespace karton::crm {
namespace {

WebFormLimits ReadLimits(kernel::ModuleContext& context) {
  WebFormLimits limits;
  if (const auto text = context.Option("form_posts_per_minute")) {
    std::size_t parsed = 0;
    double rate = -1;
    try {
      rate = std::stod(*text, &parsed);
    } catch (const std::exception&) {
      parsed = 0;
    }
    if (parsed != text->size() || rate < 0 || rate > 1e6) {
      throw std::invalid_argument(
          "--module-option crm.form_posts_per_minute must be 0 (no limit) to 1000000");
    }
    limits.posts_per_minute = rate;
  }
  return limits;
}

}  // namespace

CrmModule::CrmModule() = default;
CrmModule::~CrmModule() = default;

void CrmModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  auto& events = context.Events();
  for (const char* topic :
       {"crm.lead.created", "crm.lead.assigned", "crm.lead.qualified", "crm.lead.disqualified"}) {
    events.DeclareTopic<v1::Lead>(topic);
  }
  for (const char* topic : {"crm.opportunity.created", "crm.opportunity.stage_changed",
                            "crm.opportunity.won", "crm.opportunity.lost"}) {
    events.DeclareTopic<v1::Opportunity>(topic);
  }
  events.Subscribe("confirmations", {"crm.lead.created"},
                   [&context](const kernel::Event& event, soci::session& session) {
                     SendConfirmation(context, event, session);
                   });
  events.Subscribe(
      "assignee_notices", {"crm.lead.assigned"},
      [&context](const kernel::Event& event, soci::session&) { NotifyAssignee(context, event); });
  events.Subscribe("merge", {"partners.partner.merged"}, FollowMerge);
  events.Subscribe("erasure", {"partners.partner.erased"},
                   [&context](const kernel::Event& event, soci::session& session) {
                     EraseLeadsOfPartner(context, event, session);
                   });

  router_ = std::make_unique<Router>(context);
  intake_ = std::make_unique<LeadIntake>(context, *router_);
  leads_ = std::make_unique<LeadServiceImpl>(context, *intake_);
  registrar.AddGrpcService(*leads_, v1::LeadService::service_full_name(), LeadServiceImpl::Roles());
  web_forms_ = std::make_unique<WebFormServiceImpl>(context);
  registrar.AddGrpcService(*web_forms_, v1::WebFormService::service_full_name(),
                           WebFormServiceImpl::Roles());
  assignment_rules_ = std::make_unique<AssignmentRuleServiceImpl>(context);
  registrar.AddGrpcService(*assignment_rules_, v1::AssignmentRuleService::service_full_name(),
                           AssignmentRuleServiceImpl::Roles());
  pipelines_ = std::make_unique<PipelineServiceImpl>(context);
  registrar.AddGrpcService(*pipelines_, v1::PipelineService::service_full_name(),
                           PipelineServiceImpl::Roles());
  opportunities_ = std::make_unique<OpportunityServiceImpl>(context);
  registrar.AddGrpcService(*opportunities_, v1::OpportunityService::service_full_name(),
                           OpportunityServiceImpl::Roles());

  web_form_pages_ = std::make_unique<WebFormPages>(context, *intake_, ReadLimits(context));
  auto* pages = web_form_pages_.get();
  using kernel::HttpMethod;
  using kernel::HttpRequest;
  registrar.AddHttpRoute(HttpMethod::kGet, "/forms/{slug}",
                         [pages](const HttpRequest& request) { return pages->Show(request); });
  registrar.AddHttpRoute(HttpMethod::kGet, "/forms/{slug}/embed",
                         [pages](const HttpRequest& request) { return pages->Embed(request); });
  registrar.AddHttpRoute(HttpMethod::kGet, "/forms/{slug}/thanks",
                         [pages](const HttpRequest& request) { return pages->Thanks(request); });
  registrar.AddHttpRoute(HttpMethod::kPost, "/forms/{slug}",
                         [pages](const HttpRequest& request) { return pages->Submit(request); });
  registrar.AddHttpRoute(HttpMethod::kOptions, "/forms/{slug}",
                         [pages](const HttpRequest& request) { return pages->Preflight(request); });
}

void CrmModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadCrmDemoData(context, session);
}

}  // namespace karton::crm
