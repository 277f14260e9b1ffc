// The automation module (docs/automation.md): rules that act on domain
// events (RuleService), and what they did.
#pragma once

#include <memory>

#include "automation_settings.h"
#include "karton/kernel/module.h"

namespace karton::automation {

class RuleServiceImpl;
class KartondRuleEnvironment;
class GrpcActionEffects;
class RuleRunner;
class JourneyRunner;
class JourneyServiceImpl;
class RecipeServiceImpl;
class Greetings;

class AutomationModule final : public kernel::Module {
 public:
  static constexpr KartonModuleOption kOptions[] = {
      {"time_zone", "text",
       "The time zone of a rule's local times (\"09:00 on the date in a field\"), an IANA name "
       "PostgreSQL knows",
       "Europe/Budapest", ""},
      {"greeting_time", "text",
       "The local time, HH:MM, at which the birthday and name-day greetings go out", "08:00", ""},
  };

  AutomationModule();
  ~AutomationModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void Start(kernel::ModuleContext& context) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  AutomationSettings settings_;
  std::unique_ptr<KartondRuleEnvironment> environment_;
  std::unique_ptr<GrpcActionEffects> effects_;
  std::unique_ptr<RuleRunner> runner_;
  std::unique_ptr<RuleServiceImpl> rules_;
  std::unique_ptr<JourneyRunner> journey_runner_;
  std::unique_ptr<JourneyServiceImpl> journeys_;
  std::unique_ptr<Greetings> greetings_;
  std::unique_ptr<RecipeServiceImpl> recipes_;
};

}  // namespace karton::automation
