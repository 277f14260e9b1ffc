// What a rule's actions do outside the automation module: an activity in
// crm, a message through messaging, a change of a record through its own
// module's Update method, a POST to a webhook. Each carries a key derived
// from the run and the action, so an attempt repeated after a crash does
// its effect once where the callee honours keys (CreateActivity's
// request_id, SendMessage's idempotency_key, the webhook's Idempotency-Key).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "karton/kernel/clock.h"
#include "karton/kernel/module.h"
#include "rules/rule_definition.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace karton::automation {

// The event and run an action acts for.
struct ActionScope {
  std::int64_t rule_id = 0;
  std::int64_t run_id = 0;
  int action_index = 0;
  std::int64_t event_id = 0;
  std::string topic;
  std::int64_t aggregate_id = 0;
  kernel::TimePoint event_time;
  const google::protobuf::Message* payload = nullptr;
  EventRecord record;
  // The idempotency key of this action's effect: "automation-<run>-<action>"
  // for a rule, "journey-<enrolment>-<step>-<occurrence>" for a journey.
  std::string key;
};

// What an action made.
struct ActionResult {
  std::string made;  // "crm.activity 42", "messaging.message 7"
  // A message: the address it went to, and whether messaging suppressed it
  // (unsubscribed, consent withdrawn, bounced).
  std::string address;
  bool suppressed = false;
};

// An action that cannot succeed by trying again (the template does not
// exist, the record is gone, the callee refused the request): the run says
// why and no retry follows.
class PermanentActionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ActionEffects {
 public:
  virtual ~ActionEffects() = default;
  // Does the action; returns what it made ("crm.activity 42"). Throws
  // PermanentActionError, or anything else for a failure worth retrying.
  virtual ActionResult Perform(const CompiledAction& action, const ActionScope& scope) = 0;
};

// The effects over kartond's in-process channel, as the kernel (a rule is
// the installation's own decision, made by an admin or sales manager).
class GrpcActionEffects final : public ActionEffects {
 public:
  using PostJson = std::function<kernel::OutboundPostResult(const kernel::OutboundPost&)>;
  GrpcActionEffects(std::function<std::shared_ptr<grpc::Channel>()> channel, PostJson post,
                    const kernel::Clock& clock)
      : channel_(std::move(channel)), post_(std::move(post)), clock_(clock) {}

  ActionResult Perform(const CompiledAction& action, const ActionScope& scope) override;

 private:
  std::string CreateActivities(const CompiledAction& action, const ActionScope& scope);
  ActionResult SendTemplate(const CompiledAction& action, const ActionScope& scope);
  std::string SetFields(const CompiledAction& action, const ActionScope& scope);
  std::string CallWebhook(const CompiledAction& action, const ActionScope& scope);

  std::function<std::shared_ptr<grpc::Channel>()> channel_;
  PostJson post_;
  const kernel::Clock& clock_;
};

// The event as a webhook action posts it.
std::string WebhookBody(const ActionScope& scope);

}  // namespace karton::automation
