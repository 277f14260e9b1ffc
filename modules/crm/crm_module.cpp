#include "crm_module.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <stdexcept>
#include <string_view>

#include "activities/activity_service.h"
#include "activities/invitation.h"
#include "customer_overview_service.h"
#include "demo_data.h"
#include "event_handlers.h"
#include "forms/web_form_pages.h"
#include "forms/web_form_service.h"
#include "karton/kernel/database.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/options.h"
#include "karton/kernel/service_parts.h"
#include "karton/kernel/sharing.h"
#include "leads/assignment_rule_service.h"
#include "leads/lead_service.h"
#include "leads/routing.h"
#include "personal_data_service.h"
#include "pipeline/opportunity_service.h"
#include "record_access_service.h"

namespace karton::crm {

CrmModule::CrmModule() = default;
CrmModule::~CrmModule() = default;

void CrmModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  auto& events = context.Events();
  for (const char* topic : {"crm.lead.created", "crm.lead.updated", "crm.lead.assigned",
                            "crm.lead.qualified", "crm.lead.disqualified"}) {
    events.DeclareTopic<v1::Lead>(topic);
  }
  for (const char* topic : {"crm.opportunity.created", "crm.opportunity.stage_changed",
                            "crm.opportunity.won", "crm.opportunity.lost"}) {
    events.DeclareTopic<v1::Opportunity>(topic);
  }
  for (const char* topic : {"crm.activity.created", "crm.activity.due", "crm.activity.completed",
                            "crm.activity.canceled"}) {
    events.DeclareTopic<v1::Activity>(topic);
  }
  events.DeclareTopic<v1::Opportunity>("crm.opportunity.updated");
  events.DeclareTopic<v1::Activity>("crm.activity.updated");
  events.DeclareTopic<v1::Pipeline>("crm.pipeline.created");
  events.DeclareTopic<v1::Pipeline>("crm.pipeline.updated");
  events.DeclareTopic<v1::WebForm>("crm.web_form.created");
  events.DeclareTopic<v1::WebForm>("crm.web_form.updated");
  // A post of a form whose target is TICKET: the helpdesk opens the ticket.
  events.DeclareTopic<v1::WebFormSubmission>("crm.web_form.submitted");
  events.DeclareTopic<v1::AssignmentRule>("crm.assignment_rule.created");
  events.DeclareTopic<v1::AssignmentRule>("crm.assignment_rule.deleted");
  kernel::DeclareSharingTopics<v1::Lead>(events, "crm.lead");
  kernel::DeclareSharingTopics<v1::Opportunity>(events, "crm.opportunity");
  // The channel, the public URL and the offers exist from Start() on:
  // asked at each use.
  const kernel::ServiceParts services = kernel::PartsOf(context);
  // These call partners and messaging: they hold no connection meanwhile.
  events.SubscribeCallingRuns(
      "activity_timeline", {"crm.activity.completed"},
      [services](std::span<const kernel::Event> run) { LogActivitiesOnTimeline(services, run); });
  // Reminders, assignee notices and confirmations are emails through
  // messaging. Each subscription takes its events as runs: the run's
  // messages go in one SendMessages (one transaction in messaging), each
  // user and form read once a run. After a run fails its events go one at
  // a time, two calls each (the user or the form, then the message): at
  // four at once the assignee notices fell 13 a second behind 58 leads a
  // second in the soak (bench/soak's backlog table), eight keep up; four
  // keep up with the reminders and confirmations. A confirmation's
  // per-recipient limit counts the form's earlier leads to that address
  // (committed before its event), not the confirmations sent, so runs side
  // by side decide the same.
  kernel::SubscriptionOptions four_at_once;
  four_at_once.calling_concurrency = 4;
  events.SubscribeCallingRuns(
      "activity_reminders", {"crm.activity.due"},
      [services](std::span<const kernel::Event> run) { SendActivityReminders(services, run); },
      four_at_once);
  const int confirmations_per_recipient = static_cast<int>(
      kernel::IntegerOption(context, "form_confirmations_per_recipient", 3, 0, 1000));
  events.SubscribeCallingRuns(
      "confirmations", {"crm.lead.created"},
      [services, confirmations_per_recipient](std::span<const kernel::Event> run) {
        SendConfirmations(services, run, confirmations_per_recipient);
      },
      four_at_once);
  kernel::SubscriptionOptions eight_at_once;
  eight_at_once.calling_concurrency = 8;
  events.SubscribeCallingRuns(
      "assignee_notices", {"crm.lead.assigned"},
      [services](std::span<const kernel::Event> run) { NotifyAssignees(services, run); },
      eight_at_once);
  // A won quotation wins its deal (orders, when loaded, publishes it).
  events.SubscribeCalling(
      "quotation_wins", {"orders.quotation.accepted"},
      [services](const kernel::Event& event) { WinDealOfAcceptedQuotation(services, event); });
  events.Subscribe("merge", {"partners.partner.merged"}, FollowMerge);
  events.Subscribe("erasure", {"partners.partner.erased"},
                   [services](const kernel::Event& event, soci::session& session) {
                     EraseLeadsOfPartner(services.events, event, session);
                   });
  events.Subscribe("invitation_erasure", {"partners.contact.erased"},
                   [services](const kernel::Event& event, soci::session& session) {
                     EraseInvitationsOfContact(services, event, session);
                   });

  teams_ = std::make_unique<TeamDirectory>(
      services.channel,
      std::chrono::seconds(kernel::IntegerOption(context, "team_cache_seconds", 5, 0, 300)));
  router_ = std::make_unique<Router>(context.Log(), *teams_);
  intake_ = std::make_unique<LeadIntake>(services, *router_);
  leads_ = std::make_unique<LeadServiceImpl>(services, *intake_);
  registrar.AddGrpcService(*leads_, v1::LeadService::service_full_name(), LeadServiceImpl::Roles());
  web_forms_ = std::make_unique<WebFormServiceImpl>(services, *teams_);
  registrar.AddGrpcService(*web_forms_, v1::WebFormService::service_full_name(),
                           WebFormServiceImpl::Roles());
  assignment_rules_ = std::make_unique<AssignmentRuleServiceImpl>(services);
  registrar.AddGrpcService(*assignment_rules_, v1::AssignmentRuleService::service_full_name(),
                           AssignmentRuleServiceImpl::Roles());
  pipelines_ = std::make_unique<PipelineServiceImpl>(services);
  registrar.AddGrpcService(*pipelines_, v1::PipelineService::service_full_name(),
                           PipelineServiceImpl::Roles());
  // Activities first: a stage move brings its next step along (C8).
  activities_ = std::make_unique<ActivityServiceImpl>(services, *teams_);
  opportunities_ = std::make_unique<OpportunityServiceImpl>(services, *activities_);
  registrar.AddGrpcService(*opportunities_, v1::OpportunityService::service_full_name(),
                           OpportunityServiceImpl::Roles());
  registrar.AddGrpcService(*activities_, v1::ActivityService::service_full_name(),
                           ActivityServiceImpl::Roles());
  overview_ = std::make_unique<CustomerOverviewServiceImpl>(services);
  registrar.AddGrpcService(*overview_, v1::CustomerOverviewService::service_full_name(),
                           CustomerOverviewServiceImpl::Roles());
  record_access_ = std::make_unique<RecordAccessServiceImpl>(services);
  registrar.AddGrpcService(*record_access_, v1::RecordAccessService::service_full_name(),
                           RecordAccessServiceImpl::Roles());
  // Documents and timeline entries on leads, deals and activities are shown
  // only to those who may see the record (karton/common/v1/record_access.proto).
  registrar.OfferExtension("record_access", "/karton.crm.v1.RecordAccessService/CheckRecordAccess");
  // Leads and activities join partners' personal data export and erasure
  // (karton/common/v1/personal_data.proto).
  personal_data_ = std::make_unique<PersonalDataServiceImpl>(services);
  registrar.AddGrpcService(*personal_data_, v1::PersonalDataService::service_full_name(),
                           PersonalDataServiceImpl::Roles());
  registrar.OfferExtension("personal_data_export",
                           "/karton.crm.v1.PersonalDataService/ExportPersonalDataSection");
  registrar.OfferExtension("personal_data_erase",
                           "/karton.crm.v1.PersonalDataService/ErasePersonalDataSection");
  context.JobQueue().Handle(kReminderJob,
                            [this](const kernel::JobRun& run) { activities_->FireReminder(run); });
  // Invitations go out after the activity's commit, with no connection held
  // while messaging is called.
  context.JobQueue().Handle(
      kInvitationJob, [services](const kernel::JobRun& run) { SendInvitations(services, run); });
  context.JobQueue().Handle(kStaleOpportunitiesJob, [services](const kernel::JobRun&) {
    RemindStaleOpportunityOwners(services);
  });

  WebFormLimits limits;
  limits.posts_per_minute =
      kernel::NumberOption(context, "form_posts_per_minute", limits.posts_per_minute, 0, 1e6);
  limits.repost_window =
      std::chrono::hours(kernel::IntegerOption(context, "form_repost_window_hours", 24, 0, 8760));
  web_form_pages_ = std::make_unique<WebFormPages>(services, *intake_, limits);
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
  auto* activities = activities_.get();
  registrar.AddHttpRoute(
      HttpMethod::kGet, "/calendar/{file}",
      [activities](const HttpRequest& request) { return activities->Feed(request); });
}

void CrmModule::Start(kernel::ModuleContext& context) {
  // Once across every kartond on the database (the unique key).
  auto lease = context.Db().Acquire();
  // The first run is the next 07:00 in the installation's time zone.
  context.JobQueue().Schedule(lease.Session(), {.kind = kStaleOpportunitiesJob,
                                                .payload = "",
                                                .run_at = {},
                                                .recurrence = "daily 07:00",
                                                .max_attempts = 5,
                                                .unique_key = "crm.stale_opportunities"});
}

void CrmModule::PrepareDemoData(kernel::ModuleContext& context) {
  demo_ = std::make_unique<CrmDemoPrepared>(PrepareCrmDemoData(context));
}

void CrmModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  if (!demo_) throw std::logic_error("crm demo data loaded before it was prepared");
  LoadCrmDemoData(context, session, *demo_);
  demo_.reset();
}

}  // namespace karton::crm
