// SQL of the messaging module: templates and messages (schema/messaging).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/messaging/v1/messaging_service.pb.h"

namespace soci {
class session;
}  // namespace soci

typedef struct pg_conn PGconn;

namespace karton::messaging::repository {

namespace v1 = karton::messaging::v1;
using kernel::TimePoint;

// "email", "sms", "letter" and back.
std::string ChannelName(v1::Channel channel);

// The new template's id, or the earlier one's when `request_id` was used.
std::int64_t InsertTemplate(soci::session& session, const v1::Template& tmpl,
                            const std::string& request_id, TimePoint now);
std::optional<v1::Template> FindTemplate(soci::session& session, std::int64_t id, bool lock);
// `language` when it exists, otherwise the template's first language.
std::optional<v1::Template> FindTemplateByName(soci::session& session, const std::string& name,
                                               v1::Channel channel, const std::string& language);
void UpdateTemplate(soci::session& session, const v1::Template& tmpl, TimePoint now);
// Ordered by name, channel, language, id; after `after_id` in that order.
std::vector<v1::Template> ListTemplates(soci::session& session, const std::string& name,
                                        std::int64_t after_id, int limit);

// The id the next message will get: taken before rendering, so the
// unsubscribe link inside the text can name it.
std::int64_t NextMessageId(soci::session& session);
// Inserts `message` with its status (QUEUED or SUPPRESSED) and its id, or
// the next one when it has none, and returns it as stored, without
// attachments (they come after); nullopt when its idempotency key is taken.
std::optional<v1::Message> InsertMessage(soci::session& session, const v1::Message& message,
                                         TimePoint now);
std::optional<v1::Message> FindMessage(soci::session& session, std::int64_t id, bool lock);
std::optional<v1::Message> FindMessageByKey(soci::session& session, const std::string& key);
// The messages queued under any of `keys`, by key.
std::map<std::string, v1::Message> FindMessagesByKeys(soci::session& session,
                                                      const std::vector<std::string>& keys);

struct MessageFilter {
  std::int64_t partner_id = 0;
  std::int64_t contact_id = 0;
  std::string channel;                 // "" for any
  std::string status;                  // "" for any
  std::string category;                // "" for any
  long long start_us = 0, end_us = 0;  // 0 for open
  std::string key_prefix;              // letters only: idempotency keys starting so; "" for any
};
// Newest first, before `before_id` (0: from the newest).
std::vector<v1::Message> ListMessages(soci::session& session, const MessageFilter& filter,
                                      std::int64_t before_id, int limit);

// Letters whose PDF exists (SENT), oldest first, after `after_id`.
std::vector<v1::Message> ListLetters(soci::session& session, const MessageFilter& filter,
                                     std::int64_t after_id, int limit);

// Email attachments (messaging.attachment), by position in the message.
struct NewAttachment {
  std::string file_name;
  std::string media_type;
  std::string content;
  // A stored document the request named (the message refers to it), or 0.
  std::int64_t document_id = 0;
};
// Stores the attachments of message `message_id` on the lease's connection,
// inside its open transaction; the bytes travel in binary, not as text.
// Without the bytes when `keep_content` is false (a message suppressed when
// queued is never sent).
void InsertAttachments(PGconn* connection, std::int64_t message_id,
                       const std::vector<NewAttachment>& attachments, bool keep_content);

struct StoredAttachment {
  int position = 0;
  std::string file_name;
  std::string media_type;
  std::int64_t size_bytes = 0;
  std::int64_t document_id = 0;  // 0: not stored as a document yet
  std::optional<std::string> content;
};
// In order, with their bytes where they are kept.
std::vector<StoredAttachment> AttachmentsOf(PGconn* connection, std::int64_t message_id);
// Delivery stored the attachment as document `document_id` on `resource`
// ("partners.partner" or "messaging.message").
void SetAttachmentDocument(soci::session& session, std::int64_t message_id, int position,
                           std::int64_t document_id, const std::string& resource);
// The documents delivery stored on messages themselves (raw addresses), for
// the messages `ids`: what erasing those messages must delete too.
std::vector<std::int64_t> DocumentsOnMessages(soci::session& session,
                                              const std::vector<std::int64_t>& ids);

// Status changes of delivery.
// A delivery batch's writes and reads, one statement each whatever the
// batch's size: the messages among `ids` that exist, locked to the end of
// the transaction, by id; SENDING for all of `ids` (queued in a
// kernel::Transaction: nothing reads its result).
std::map<std::int64_t, v1::Message> FindMessagesLocked(soci::session& session,
                                                       const std::vector<std::int64_t>& ids);
// The same read without the lock, for checks made before the transaction.
std::map<std::int64_t, v1::Message> FindMessages(soci::session& session,
                                                 const std::vector<std::int64_t>& ids);
void MarkSending(soci::session& session, const std::vector<std::int64_t>& ids);
// `provider_message_id` replaces the stored one when not empty; a
// `document_id` of 0 leaves none. MarkSent, MarkFailed and MarkSuppressed
// end the message: the bytes of its attachments are dropped where a
// document keeps them (every one, when suppressed: it is never sent).
// MarkSent answers with the message as it is now (nullopt: no such message).
std::optional<v1::Message> MarkSent(soci::session& session, std::int64_t id, TimePoint now,
                                    const std::string& provider_message_id,
                                    std::int64_t document_id);
void MarkFailed(soci::session& session, std::int64_t id, const std::string& error);
void MarkSuppressed(soci::session& session, std::int64_t id, const std::string& reason);
void RecordAttemptError(soci::session& session, std::int64_t id, const std::string& error);

// Personal data erasure (partners.partner.erased, partners.contact.erased):
// addresses, names and texts of the person's messages are blanked, with
// their Cc and Reply-To and their attachments' names and bytes; ids,
// channel, status, times and document references stay. Returns the erased messages' ids.
std::vector<std::int64_t> EraseMessagesOfPartner(soci::session& session, std::int64_t partner_id);
std::vector<std::int64_t> EraseMessagesOfContact(soci::session& session, std::int64_t contact_id);
// A merge (partners.partner.merged): the merged partner's messages and
// received email follow.
void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id);

// The suppression list.
// The entries listed for `messages`' keys (SuppressionKeysOf), by (channel,
// key), each with its source ("bounce", "unsubscribe_link", "manual"): one
// statement whatever the number of messages.
using ListedSuppressions = std::map<std::pair<std::string, std::string>, std::string>;
ListedSuppressions SuppressionsListedFor(soci::session& session,
                                         const std::vector<const v1::Message*>& messages);
// What the list says of one message, read from `listed`. An opt-out (any
// source) stops marketing only; an address that bounced hard (source
// "bounce", a 5.x.x report) does not exist and takes nothing, transactional
// included (an invoice to it would only bounce again).
enum class SuppressionVerdict { kGoes, kOptedOut, kBouncedHard };
SuppressionVerdict CheckSuppressionList(const v1::Message& message,
                                        const ListedSuppressions& listed);
// Adds an entry and returns its number; nullopt when the address was
// listed already (kept as it was).
std::optional<std::int64_t> InsertSuppression(soci::session& session,
                                              const v1::Suppression& suppression,
                                              std::int64_t actor_user_id, TimePoint now);
std::optional<v1::Suppression> FindSuppression(soci::session& session, const std::string& channel,
                                               const std::string& address);
// Oldest first, after the entry numbered `after_id`; each with its number
// (the page cursor).
std::vector<std::pair<std::int64_t, v1::Suppression>> ListSuppressions(soci::session& session,
                                                                       const std::string& channel,
                                                                       const std::string& address,
                                                                       std::int64_t after_id,
                                                                       int limit);
// The deleted entry's number; nullopt when there was none.
std::optional<std::int64_t> DeleteSuppression(soci::session& session, const std::string& channel,
                                              const std::string& address);

// The key that signs unsubscribe links: the stored one, or `fresh` when
// there was none yet (whichever kartond inserts first wins).
std::string SigningKey(soci::session& session, const std::string& fresh);

// Personal data (karton/common/v1/personal_data.proto): the messages to a
// partner, to one of the contacts (a PostgreSQL array literal of ids), or
// to one of the addresses or phone numbers (JSON arrays of strings),
// oldest first; blanking them; and the suppression entries of those
// addresses (number, channel, address).
std::vector<std::int64_t> MessageIdsOfPerson(soci::session& session, std::int64_t partner_id,
                                             const std::string& contact_ids,
                                             const std::string& emails, const std::string& phones);
void EraseMessages(soci::session& session, const std::vector<std::int64_t>& ids);
struct SuppressionKey {
  std::int64_t id = 0;
  std::string channel, address;
};
std::vector<SuppressionKey> SuppressionsOfPerson(soci::session& session, const std::string& emails,
                                                 const std::string& phones);

}  // namespace karton::messaging::repository
