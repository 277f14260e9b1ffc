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

// messaging.message.sent: the message on the partner's timeline (A5), once;
// the partners module keeps one entry per (messaging, message id).
// `partners` gives the channel to the partners module.
void LogOnTimeline(const kernel::ChannelSource& partners, spdlog::logger& log,
                   const v1::Message& message);
// The same for a run of messaging.message.sent events, with one
// BatchLogInteractions. If a partner is gone, which fails the whole batch,
// the run's messages are logged one at a time, skipping that one.
void LogRunOnTimeline(const kernel::ChannelSource& partners, spdlog::logger& log,
                      std::span<const kernel::Event> run);

// partners.partner.erased / partners.contact.erased (A10): the person's
// messages are blanked here too, and the payloads of their events.
void EraseMessagesOfPerson(kernel::DomainEvents& events, spdlog::logger& log,
                           const kernel::Event& event, soci::session& session);

// partners.partner.merged (A8): the merged partner's messages follow.
void FollowMerge(const kernel::Event& event, soci::session& session);

}  // namespace karton::messaging
