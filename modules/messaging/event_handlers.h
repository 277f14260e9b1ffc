// What the messaging module does when events arrive (subscriptions made in
// messaging_module.cpp). Each runs inside the event's delivery transaction
// and is safe to repeat: events come at least once.
#pragma once

#include <span>

#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"
#include "karton/messaging/v1/message.pb.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace karton::messaging {

// A run of messaging.message.sent events: each message sent to a partner
// on the partner's timeline (A5), once; the partners module keeps one entry
// per (messaging, message id). The run goes in one BatchLogInteractions
// (libs/partner_timeline). `partners` gives the channel to the partners
// module.
void LogRunOnTimeline(const kernel::ChannelSource& partners, spdlog::logger& log,
                      std::span<const kernel::Event> run);

// partners.partner.erased / partners.contact.erased (A10): the person's
// messages are blanked here too, and the payloads of their events.
void EraseMessagesOfPerson(kernel::DomainEvents& events, spdlog::logger& log,
                           const kernel::Event& event, soci::session& session);

// partners.partner.merged (A8): the merged partner's messages follow.
void FollowMerge(const kernel::Event& event, soci::session& session);

}  // namespace karton::messaging
