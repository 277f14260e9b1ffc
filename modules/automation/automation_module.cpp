#include "automation_module.h"

#include <stdexcept>

#include "actions/action_effects.h"
#include "demo_data.h"
#include "journeys/journey_runner.h"
#include "journeys/journey_service.h"
#include "karton/kernel/database.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "recipes/greetings.h"
#include "recipes/recipe_service.h"
#include "rules/rule_definition.h"
#include "rules/rule_service.h"
#include "runs/rule_runner.h"

namespace karton::automation {

AutomationModule::AutomationModule() = default;
AutomationModule::~AutomationModule() = default;

void AutomationModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  settings_.time_zone = context.Option("time_zone").value_or(settings_.time_zone);
  settings_.greeting_time = context.Option("greeting_time").value_or(settings_.greeting_time);
  if (!IsLocalTime(settings_.greeting_time)) {
    throw std::invalid_argument("--module-option automation.greeting_time must be HH:MM, not '" +
                                settings_.greeting_time + "'");
  }
  // The channel exists from Start() on; it is read at each call.
  auto channel = [&context] { return context.Channel(); };
  environment_ = std::make_unique<KartondRuleEnvironment>(
      channel, [&context](const std::string& url) { return context.OutboundUrlProblem(url); });
  effects_ = std::make_unique<GrpcActionEffects>(
      channel, [&context](const kernel::OutboundPost& post) { return context.PostJson(post); },
      context.Time());

  kernel::ServiceParts parts = kernel::PartsOf(context);
  RuleServiceImpl::DeclareTopics(context.Events());
  runner_ = std::make_unique<RuleRunner>(parts, context.JobQueue(), *effects_, settings_);
  rules_ = std::make_unique<RuleServiceImpl>(parts, *environment_);
  JourneyServiceImpl::DeclareTopics(context.Events());
  journey_runner_ =
      std::make_unique<JourneyRunner>(parts, context.JobQueue(), *effects_, channel, settings_);
  journeys_ =
      std::make_unique<JourneyServiceImpl>(parts, *environment_, *journey_runner_, settings_);

  RecipeServiceImpl::DeclareTopics(context.Events());
  greetings_ = std::make_unique<Greetings>(parts, channel, settings_);
  recipes_ = std::make_unique<RecipeServiceImpl>(parts, *environment_);
  context.JobQueue().Handle(Greetings::kJob,
                            [this](const kernel::JobRun& run) { greetings_->Run(run); });

  // Every topic: which ones a rule waits for changes while kartond runs.
  // A run is recorded in the delivery's transaction, so each rule runs
  // once per event; the effects happen in jobs.
  // The rules of a delivered run of events are read once, for all its topics.
  kernel::SubscriptionOptions rules_options;
  rules_options.prepare_run = [this](std::span<const kernel::Event> events,
                                     soci::session& session) {
    runner_->PrepareRun(events, session);
  };
  context.Events().Subscribe(
      "rules", {"*"},
      [this](const kernel::Event& event, soci::session& session) {
        runner_->OnEvent(event, session);
      },
      rules_options);
  // Enrolments by event, and stops on a purchase, a reply or an
  // unsubscription, each once per event like rule runs.
  kernel::SubscriptionOptions journeys_options;
  journeys_options.prepare_run = [this](std::span<const kernel::Event> events,
                                        soci::session& session) {
    journey_runner_->PrepareRun(events, session);
  };
  context.Events().Subscribe(
      "journeys", {"*"},
      [this](const kernel::Event& event, soci::session& session) {
        journey_runner_->OnEvent(event, session);
      },
      journeys_options);
  context.JobQueue().Handle(JourneyRunner::kStepJob,
                            [this](const kernel::JobRun& run) { journey_runner_->RunStep(run); });
  context.JobQueue().Handle(RuleRunner::kActionJob,
                            [this](const kernel::JobRun& run) { runner_->RunAction(run); });

  registrar.AddGrpcService(*rules_, v1::RuleService::service_full_name(), RuleServiceImpl::Roles());
  registrar.AddGrpcService(*journeys_, v1::JourneyService::service_full_name(),
                           JourneyServiceImpl::Roles());
  registrar.AddGrpcService(*recipes_, v1::RecipeService::service_full_name(),
                           RecipeServiceImpl::Roles());
}

void AutomationModule::Start(kernel::ModuleContext& context) {
  // A time zone PostgreSQL does not know stops kartond here, by name,
  // rather than failing every timed action later.
  auto lease = context.Db().Acquire();
  const auto rows =
      kernel::RunPrepared(lease.Session(), "SELECT count(*) FROM pg_timezone_names WHERE name = $1",
                          {settings_.time_zone});
  if (rows.Text(0, 0) == "0") {
    throw std::invalid_argument(
        "--module-option automation.time_zone: PostgreSQL knows no time "
        "zone '" +
        settings_.time_zone + "'");
  }
  // The daily greetings job; its unique key makes this once per database.
  kernel::Transaction transaction(lease.Session());
  greetings_->Schedule(context.JobQueue(), lease.Session());
  transaction.Commit();
}

void AutomationModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadAutomationDemoData(context, session);
}

}  // namespace karton::automation
