// The greeting recipes: a daily job at automation.greeting_time, in the
// module's time zone, that greets the persons whose birthday or name day
// it is, once per person and day, through messaging (marketing: opt-outs
// and suppressions are honoured there).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "automation_settings.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace soci {
class session;
}  // namespace soci

namespace karton::automation {

class Greetings {
 public:
  static constexpr char kJob[] = "greetings";

  Greetings(kernel::ServiceParts parts, std::function<std::shared_ptr<grpc::Channel>()> channel,
            AutomationSettings settings)
      : parts_(parts), channel_(std::move(channel)), settings_(std::move(settings)) {}

  // Plans the daily job at the configured time (once, whoever starts first).
  void Schedule(kernel::Jobs& jobs, soci::session& session) const;
  // The job: today's greetings of every greeting recipe switched on.
  void Run(const kernel::JobRun& run);

 private:
  // Greets `partner_id` with `template_name` unless it was greeted today;
  // false when messaging refused for good (no address, say).
  bool Greet(const std::string& recipe, const std::string& template_name, std::int64_t partner_id,
             const std::string& day, const std::string& name);

  kernel::ServiceParts parts_;
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
  const AutomationSettings settings_;
};

// The given names of a person's display name in Hungarian order (family
// name first): every word after the first. "Kovács Béla Ádám" -> Béla, Ádám.
std::vector<std::string> GivenNames(const std::string& display_name);

}  // namespace karton::automation
