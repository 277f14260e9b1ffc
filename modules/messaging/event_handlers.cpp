#include "event_handlers.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <span>
#include <vector>

#include "inbound/inbound_repository.h"
#include "karton/partner_timeline/partner_timeline.h"
#include "message_repository.h"

namespace karton::messaging {
namespace {

namespace pv1 = partners::v1;

pv1::InteractionChannel TimelineChannel(v1::Channel channel) {
  switch (channel) {
    case v1::CHANNEL_SMS:
      return pv1::INTERACTION_CHANNEL_SMS;
    case v1::CHANNEL_LETTER:
      return pv1::INTERACTION_CHANNEL_LETTER;
    default:
      return pv1::INTERACTION_CHANNEL_EMAIL;
  }
}

// At most `bytes` bytes, cut between whole UTF-8 characters.
std::string Utf8Prefix(const std::string& text, std::size_t bytes) {
  if (text.size() <= bytes) return text;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return text.substr(0, bytes);
}

// The timeline entry of a message sent to a partner.
pv1::Interaction TimelineEntry(const v1::Message& message) {
  pv1::Interaction entry;
  entry.set_partner_id(message.recipient().partner_id());
  entry.set_contact_id(message.recipient().contact_id());
  entry.set_channel(TimelineChannel(message.channel()));
  entry.set_direction(pv1::INTERACTION_DIRECTION_OUTBOUND);
  *entry.mutable_occur_time() = message.sent_time();
  entry.set_user_id(message.sender_user_id());
  entry.set_subject(Utf8Prefix(message.subject().empty()
                                   ? message.text_body().substr(0, message.text_body().find('\n'))
                                   : message.subject(),
                               200));
  entry.set_body(Utf8Prefix(message.text_body(), 100000));
  entry.set_source_module("messaging");
  entry.set_source_reference(std::to_string(message.id()));
  return entry;
}

}  // namespace

void LogRunOnTimeline(const kernel::ChannelSource& partners, spdlog::logger& log,
                      std::span<const kernel::Event> run) {
  std::vector<partner_timeline::Entry> entries;
  for (const auto& event : run) {
    v1::Message message;
    // A message to a raw address has no partner to log it on.
    if (!event.ParsePayload(message) || message.recipient().partner_id() == 0) continue;
    entries.push_back({TimelineEntry(message), fmt::format("message {}", message.id())});
  }
  partner_timeline::Log(partners, log, entries);
}

void EraseMessagesOfPerson(kernel::DomainEvents& events, spdlog::logger& log,
                           const kernel::Event& event, soci::session& session) {
  const bool partner = event.topic == "partners.partner.erased";
  const auto erased = partner ? repository::EraseMessagesOfPartner(session, event.aggregate_id)
                              : repository::EraseMessagesOfContact(session, event.aggregate_id);
  for (const std::int64_t id : erased) {
    events.ErasePayloads(
        session,
        {"messaging.message.queued", "messaging.message.sent", "messaging.message.failed",
         "messaging.message.suppressed", "messaging.message.bounced"},
        id);
  }
  // Email received from the person: addresses, subjects and excerpts.
  const auto received = partner ? repository::EraseInboundOfPartner(session, event.aggregate_id)
                                : repository::EraseInboundOfContact(session, event.aggregate_id);
  for (const std::int64_t id : received) {
    events.ErasePayloads(session, {"messaging.email.received"}, id);
  }
  log.info("erased {} message(s) and {} received email(s) of {} {}", erased.size(), received.size(),
           partner ? "partner" : "contact", event.aggregate_id);
}

void FollowMerge(const kernel::Event& event, soci::session& session) {
  pv1::PartnersMerged merged;
  if (!event.ParsePayload(merged)) return;
  repository::RepointPartner(session, merged.merged_partner_id(), merged.kept_partner_id());
}

}  // namespace karton::messaging
