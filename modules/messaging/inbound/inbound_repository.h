// SQL of inbound email (schema/messaging/0004_add_inbound_email_and_bounces.sql).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "karton/kernel/clock.h"
#include "karton/messaging/v1/message.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::messaging::repository {

struct InboundCursor {
  std::uint64_t uid_validity = 0;
  std::uint64_t last_uid = 0;
};
// Locks the mailbox's cursor row (creating it at 0 for `uid_validity`), so
// two polls of one mailbox run one after the other.
InboundCursor LockCursor(soci::session& session, const std::string& mailbox,
                         std::uint64_t uid_validity);
void SaveCursor(soci::session& session, const std::string& mailbox, const InboundCursor& cursor);

struct NewInbound {
  std::string message_key;
  std::string mailbox;
  std::uint64_t uid_validity = 0;
  std::uint64_t uid = 0;
  std::string raw;
  kernel::TimePoint receive_time;
};
// The new row's id; nullopt when the key (or the mailbox's UID) was taken
// before: the same email again.
std::optional<std::int64_t> InsertInbound(soci::session& session, const NewInbound& inbound);

// A message not downloaded (over messaging.inbound_max_mib): a row with
// status 'skipped', no raw bytes, its size and why. nullopt as above.
std::optional<std::int64_t> InsertSkippedInbound(soci::session& session, const NewInbound& inbound,
                                                 std::uint64_t size_bytes,
                                                 const std::string& reason);

struct StoredInbound {
  std::int64_t id = 0;
  bool processed = false;
  std::string raw;  // empty once processed
  kernel::TimePoint receive_time;
};
std::optional<StoredInbound> FindInbound(soci::session& session, std::int64_t id, bool lock);

// Attachments stored as documents so far: position -> document id.
std::map<int, std::int64_t> InboundDocuments(soci::session& session, std::int64_t id);
void RecordInboundDocument(soci::session& session, std::int64_t id, int position,
                           std::int64_t document_id);

// Records the outcome and drops the raw message.
void MarkInboundProcessed(soci::session& session, const v1::InboundEmail& email,
                          kernel::TimePoint now);

// The email Karton sent with this Message-ID (no angle brackets).
std::optional<std::int64_t> MessageIdByHeader(soci::session& session, const std::string& header_id);

// The idempotency key the sender gave message `id`; "" when none.
std::string IdempotencyKeyOf(soci::session& session, std::int64_t id);

// SENT (or SENDING) -> BOUNCED with the report as last_error; false when
// the message is in no such state (bounced already, say).
bool MarkBounced(soci::session& session, std::int64_t id, const std::string& detail);

// Personal data: the received email of a partner, of one of `contact_ids`
// (a bigint[] literal) or from one of `emails` (a JSON array; any case),
// oldest first; one of them as the InboundEmail it published (what is kept:
// no excerpt, and no In-Reply-To); and blanking them as below.
std::vector<std::int64_t> InboundIdsOfPerson(soci::session& session, std::int64_t partner_id,
                                             const std::string& contact_ids,
                                             const std::string& emails);
std::optional<v1::InboundEmail> FindInboundEmail(soci::session& session, std::int64_t id);
void EraseInbound(soci::session& session, const std::vector<std::int64_t>& ids);

// Personal data erasure: blanks the addresses, subjects and raw bytes of
// the person's inbound email and returns their ids.
std::vector<std::int64_t> EraseInboundOfPartner(soci::session& session, std::int64_t partner_id);
std::vector<std::int64_t> EraseInboundOfContact(soci::session& session, std::int64_t contact_id);

}  // namespace karton::messaging::repository
