// A campaign's channel as messaging names it: the sender writes messages
// on it, the service looks for a template of it.
#pragma once

#include "karton/campaigns/v1/campaigns.pb.h"
#include "karton/messaging/v1/message.pb.h"

namespace karton::campaigns {

inline messaging::v1::Channel MessagingChannel(v1::CampaignChannel channel) {
  switch (channel) {
    case v1::CAMPAIGN_CHANNEL_SMS:
      return messaging::v1::CHANNEL_SMS;
    case v1::CAMPAIGN_CHANNEL_LETTER:
      return messaging::v1::CHANNEL_LETTER;
    default:
      return messaging::v1::CHANNEL_EMAIL;
  }
}

}  // namespace karton::campaigns
