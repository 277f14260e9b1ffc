// Campaigns and their recipients as stored (schema/campaigns).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/campaigns/v1/campaigns.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::campaigns::campaign_repository {

// Campaigns are read with their statistics, counted from their recipients.
v1::Campaign Insert(soci::session& session, const v1::Campaign& campaign, std::int64_t user_id,
                    kernel::TimePoint now);
std::optional<v1::Campaign> Find(soci::session& session, std::int64_t id, bool lock = false);
// Newest first; `state` UNSPECIFIED for all.
std::vector<v1::Campaign> List(soci::session& session, v1::CampaignState state,
                               std::int64_t before_id, int limit);
// Writes the definition (name ... max_per_minute) and the state.
v1::Campaign Update(soci::session& session, const v1::Campaign& campaign, kernel::TimePoint now);
// Moves the campaign to `state`; sending stamps start_time, completed
// complete_time.
v1::Campaign SetState(soci::session& session, std::int64_t id, v1::CampaignState state,
                      kernel::TimePoint now);
bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id);

std::string StateWord(v1::CampaignState state);
std::string ChannelWord(v1::CampaignChannel channel);

// The members listed when sending begins, pending.
struct NewRecipients {
  std::vector<std::int64_t> partner_ids;
  std::vector<std::int64_t> contact_ids;
};
void InsertRecipients(soci::session& session, std::int64_t campaign_id,
                      const NewRecipients& recipients, kernel::TimePoint now);
// The next `limit` pending recipients, by id.
std::vector<v1::CampaignRecipient> Pending(soci::session& session, std::int64_t campaign_id,
                                           int limit);
bool AnyPending(soci::session& session, std::int64_t campaign_id);

// What became of one recipient. A status never goes back (a sent message
// reported bounced stays bounced; a late "queued" changes nothing).
struct RecipientOutcome {
  std::int64_t recipient_id = 0;
  std::string status;  // "queued", "sent", ...
  std::int64_t message_id = 0;
  std::string address;
  std::string detail;
};
void Record(soci::session& session, std::int64_t campaign_id, const RecipientOutcome& outcome,
            kernel::TimePoint now);
// The recipient written to by `message_id` used its unsubscribe link.
void MarkUnsubscribed(soci::session& session, std::int64_t message_id, kernel::TimePoint now);

// By id; `status` empty for all.
std::vector<v1::CampaignRecipient> ListRecipients(soci::session& session, std::int64_t campaign_id,
                                                  const std::string& status, std::int64_t after_id,
                                                  int limit);

}  // namespace karton::campaigns::campaign_repository
