// Sends a campaign (docs/campaigns.md, "How a campaign is sent"): a durable
// job lists the segment's members once, as recipients, then hands them to
// messaging in batches, one job run a batch, so a restart resumes where it
// stopped and a rate limit is a wait between batches. Each message's
// idempotency key is "campaign-<campaign>-<recipient>": a batch run twice
// sends nothing twice. Delivery events bring each recipient's status up to
// date.
#pragma once

#include <chrono>
#include <cstdint>

#include "karton/campaigns/v1/campaigns.pb.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/events.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::campaigns {

class CampaignSender {
 public:
  static constexpr const char* kJob = "send_campaign";
  // Recipients handed over in one batch when the campaign sets no rate.
  static constexpr int kBatch = 500;
  // Recipients handed to messaging in one SendMessages call (one
  // transaction there), and such calls in flight at once.
  static constexpr std::size_t kHandOverChunk = 100;
  static constexpr std::size_t kConcurrentCalls = 5;
  // How long one job run goes on sending batches before a new run takes
  // over (without a rate; with one, each run is one batch).
  static constexpr std::chrono::seconds kRunBudget{20};
  // The topics whose events update recipients.
  static const std::vector<std::string>& StatusTopics();

  CampaignSender(kernel::ServiceParts parts, kernel::Jobs& jobs)
      : parts_(std::move(parts)), jobs_(jobs) {}

  static void DeclareTopics(kernel::DomainEvents& events);

  // Inside `session`'s transaction: the campaign's next run at `at`.
  void Schedule(soci::session& session, std::int64_t campaign_id, kernel::TimePoint at,
                const std::string& step);
  // The job's handler. Throws to retry the run (messaging unreachable).
  void Run(const kernel::JobRun& run);
  // A messaging event: the status of the recipient it is about.
  void OnStatusEvent(const kernel::Event& event, soci::session& session);

 private:
  // Lists the members of a scheduled campaign as its recipients; false
  // when there is nothing to send (canceled, or no longer scheduled).
  bool Start(std::int64_t campaign_id);
  // Hands the next batch to messaging and records what it answered;
  // completes the campaign when none is left, or schedules the next
  // batch a minute on when it has a rate. True when another batch may
  // follow at once.
  bool SendBatch(const v1::Campaign& campaign);

  kernel::ServiceParts parts_;
  kernel::Jobs& jobs_;
};

}  // namespace karton::campaigns
