#include "message_repository.h"

#include <libpq-fe.h>
#include <soci/soci.h>
#include <sodium.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "addresses.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"

namespace karton::messaging::repository {
namespace {

using kernel::ToEpochMicros;

// Templates and messages are read as typed rows (kernel::TypedQuery): each
// column is named after the field it fills, and no JSON is built in the
// database. A message's postal address is JSON in the row already.
#define KARTON_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

#define KARTON_TEMPLATE_COLUMNS \
  "t.id, t.name, t.language, t.channel, t.subject, t.text_body, t.html_body, "          \
  KARTON_MICROS("t.create_time") " AS create_time, " KARTON_MICROS("t.update_time")     \
  " AS update_time, t.version::text AS etag"

#define KARTON_MESSAGE_COLUMNS \
  "m.id, m.channel, m.category, m.partner_id AS \"recipient.partner_id\", "                \
  "m.contact_id AS \"recipient.contact_id\", m.address, m.template_name, m.language, "     \
  "m.subject, m.text_body, m.html_body, m.status, m.attempts, m.last_error, "               \
  "m.provider_message_id, m.idempotency_key, " KARTON_MICROS("m.create_time")              \
  " AS create_time, " KARTON_MICROS("m.sent_time") " AS sent_time, m.document_id, "        \
  "m.actor_user_id AS sender_user_id, m.recipient_name, m.postal_address, m.cc, "          \
  "m.reply_to, m.calendar_method, att.file_name AS \"attachments.file_name\", "           \
  "att.media_type AS \"attachments.media_type\", att.size_bytes AS \"attachments.size_bytes\", " \
  "att.document_id AS \"attachments.document_id\""

// A message's attachments, in the order sent, as one array per field of
// AttachmentReference (KARTON_MESSAGE_COLUMNS reads them).
#define KARTON_MESSAGE_FROM "messaging.message m " KARTON_MESSAGE_ATTACHMENTS
#define KARTON_MESSAGE_ATTACHMENTS                                            \
  "CROSS JOIN LATERAL (SELECT array_agg(a.file_name ORDER BY a.position) "    \
  "AS file_name, array_agg(a.media_type ORDER BY a.position) AS media_type, " \
  "array_agg(a.size_bytes ORDER BY a.position) AS size_bytes, "               \
  "array_agg(a.document_id ORDER BY a.position) AS document_id "              \
  "FROM messaging.attachment a WHERE a.message_id = m.id) att"

#define KARTON_SUPPRESSION_COLUMNS                                          \
  "s.channel, s.address, s.source, s.reason, s.message_id, " KARTON_MICROS( \
      "s.create_time") " AS create_time"

const std::string kInsertTemplate =
    "INSERT INTO messaging.template (name, language, channel, subject, text_body, html_body, "
    "request_id, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), "
    "to_timestamp(cast($8 AS bigint) / 1e6), to_timestamp(cast($8 AS bigint) / 1e6)) "
    "ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id RETURNING id";
const std::string kFindTemplate =
    "SELECT " KARTON_TEMPLATE_COLUMNS " FROM messaging.template t WHERE t.id = $1";
const std::string kFindTemplateByName =
    "SELECT " KARTON_TEMPLATE_COLUMNS
    " FROM messaging.template t "
    "WHERE t.name = $1 AND t.channel = $2 ORDER BY (t.language = $3) DESC, t.id LIMIT 1";
const std::string kUpdateTemplate =
    "UPDATE messaging.template SET subject = $1, text_body = $2, html_body = $3, "
    "update_time = to_timestamp(cast($4 AS bigint) / 1e6), version = version + 1 WHERE id = $5";
const std::string kListTemplates =
    "SELECT " KARTON_TEMPLATE_COLUMNS
    " FROM messaging.template t "
    "WHERE ($1 = '' OR t.name = $1) AND t.id > cast($2 AS bigint) ORDER BY t.id LIMIT $3";

const std::string kNextMessageId =
    "SELECT nextval(pg_get_serial_sequence('messaging.message', 'id'))";
const std::string kInsertMessage =
    "INSERT INTO messaging.message (id, channel, category, partner_id, contact_id, address, "
    "template_name, language, subject, text_body, html_body, provider_message_id, "
    "idempotency_key, actor_user_id, create_time, status, last_error, recipient_name, "
    "postal_address, cc, reply_to, calendar_method) OVERRIDING SYSTEM VALUE VALUES ("
    // $15 is 0 when the id was not taken ahead (NextMessageId).
    "CASE WHEN cast($15 AS bigint) = 0 THEN nextval(pg_get_serial_sequence('messaging.message', "
    "'id')) ELSE cast($15 AS bigint) END, $1, $2, "
    "nullif(cast($3 AS bigint), 0), nullif(cast($4 AS bigint), 0), $5, $6, $7, $8, $9, $10, $11, "
    "nullif($12, ''), nullif(cast($13 AS bigint), 0), to_timestamp(cast($14 AS bigint) / 1e6), "
    "$16, $17, $18, cast(nullif($19, '') AS jsonb), cast($20 AS text[]), $21, $22) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING *";
const std::string kFindMessage =
    "SELECT " KARTON_MESSAGE_COLUMNS " FROM " KARTON_MESSAGE_FROM " WHERE m.id = $1";
const std::string kFindMessageByKey =
    "SELECT " KARTON_MESSAGE_COLUMNS " FROM " KARTON_MESSAGE_FROM " WHERE m.idempotency_key = $1";
const std::string kListMessages =
    "SELECT " KARTON_MESSAGE_COLUMNS " FROM " KARTON_MESSAGE_FROM
    " "
    "WHERE (cast($1 AS bigint) = 0 OR m.partner_id = cast($1 AS bigint)) "
    "AND ($2 = '' OR m.status = $2) AND ($3 = '' OR m.category = $3) "
    "AND (cast($4 AS bigint) = 0 OR m.create_time >= to_timestamp(cast($4 AS bigint) / 1e6)) "
    "AND (cast($5 AS bigint) = 0 OR m.create_time < to_timestamp(cast($5 AS bigint) / 1e6)) "
    "AND (cast($6 AS bigint) = 0 OR m.id < cast($6 AS bigint)) "
    "AND ($8 = '' OR m.channel = $8) "
    "AND (cast($9 AS bigint) = 0 OR m.contact_id = cast($9 AS bigint)) "
    "ORDER BY m.id DESC LIMIT $7";
const std::string kListLetters =
    "SELECT " KARTON_MESSAGE_COLUMNS " FROM " KARTON_MESSAGE_FROM
    " "
    "WHERE m.channel = 'letter' AND m.status = 'sent' "
    "AND ($1 = '' OR m.category = $1) "
    "AND (cast($2 AS bigint) = 0 OR m.create_time >= to_timestamp(cast($2 AS bigint) / 1e6)) "
    "AND (cast($3 AS bigint) = 0 OR m.create_time < to_timestamp(cast($3 AS bigint) / 1e6)) "
    "AND m.id > cast($4 AS bigint) AND ($6 = '' OR starts_with(m.idempotency_key, $6)) "
    "ORDER BY m.id LIMIT $5";

const kernel::TypedQuery<v1::Template> kFindTemplateRow(kFindTemplate);
const kernel::TypedQuery<v1::Template> kFindTemplateRowLocked(kFindTemplate + " FOR UPDATE");
const kernel::TypedQuery<v1::Template> kFindTemplateByNameRow(kFindTemplateByName);
const kernel::TypedQuery<v1::Template> kListTemplateRows(kListTemplates);
const kernel::TypedQuery<v1::Message> kFindMessageRow(kFindMessage);
// The message as written, in the same statement (its event's payload); it
// has no attachments yet.
const kernel::TypedQuery<v1::Message> kInsertMessageRow("WITH m AS (" + kInsertMessage +
                                                        ") SELECT " KARTON_MESSAGE_COLUMNS
                                                        " FROM m " KARTON_MESSAGE_ATTACHMENTS);
const kernel::TypedQuery<v1::Message> kFindMessageRowLocked(kFindMessage + " FOR UPDATE OF m");
const kernel::TypedQuery<v1::Message> kFindMessageByKeyRow(kFindMessageByKey);
// In id order, so two transactions locking overlapping sets wait rather
// than deadlock.
const kernel::TypedQuery<v1::Message> kFindMessagesLocked(
    "SELECT " KARTON_MESSAGE_COLUMNS " FROM " KARTON_MESSAGE_FROM
    " WHERE m.id = ANY (cast($1 AS bigint[])) ORDER BY m.id FOR UPDATE OF m");
const kernel::TypedQuery<v1::Message> kFindMessages("SELECT " KARTON_MESSAGE_COLUMNS
                                                    " FROM " KARTON_MESSAGE_FROM
                                                    " WHERE m.id = ANY (cast($1 AS bigint[]))");
// The message as it is once SENT, in the same statement (its event's payload).
const kernel::TypedQuery<v1::Message> kMarkSent(
    "WITH m AS (UPDATE messaging.message SET status = 'sent', last_error = '', "
    "sent_time = to_timestamp(cast($2 AS bigint) / 1e6), "
    "provider_message_id = coalesce(nullif($3, ''), provider_message_id), "
    "document_id = nullif(cast($4 AS bigint), 0) WHERE id = $1 RETURNING *) "
    "SELECT " KARTON_MESSAGE_COLUMNS " FROM m " KARTON_MESSAGE_ATTACHMENTS);
const kernel::TypedQuery<v1::Message> kFindMessagesByKeys(
    "SELECT " KARTON_MESSAGE_COLUMNS " FROM " KARTON_MESSAGE_FROM
    " WHERE m.idempotency_key = ANY(cast($1 AS text[]))");
const kernel::TypedQuery<v1::Message> kListMessageRows(kListMessages);
const kernel::TypedQuery<v1::Message> kListLetterRows(kListLetters);

// What erasure blanks: everything that names or reaches the person.
#define KARTON_ERASED_MESSAGE_SET                                                 \
  "SET address = '[erased]', recipient_name = '', subject = '', text_body = '', " \
  "html_body = '', postal_address = NULL, last_error = '', cc = '{}', reply_to = '' "

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Attachments of erased messages keep their size, type and document; the
// name may name the person, the bytes are theirs.
void EraseAttachments(soci::session& session, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return;
  kernel::RunPrepared(session,
                      "UPDATE messaging.attachment SET file_name = '', content = NULL "
                      "WHERE message_id = ANY(cast($1 AS bigint[]))",
                      {kernel::BigintArrayLiteral(ids)});
}

// What ends a message also drops the attachment bytes a document keeps
// (all of them when `all`: a suppressed message is never sent).
const std::string kDropAttachmentBytes =
    "UPDATE messaging.attachment SET content = NULL WHERE message_id = $1 "
    "AND content IS NOT NULL AND ($2 OR document_id IS NOT NULL)";

void DropAttachmentBytes(soci::session& session, std::int64_t id, bool all) {
  kernel::RunPrepared(session, kDropAttachmentBytes, {std::to_string(id), all ? "true" : "false"});
}

}  // namespace

std::string ChannelName(v1::Channel channel) {
  switch (channel) {
    case v1::CHANNEL_EMAIL:
      return "email";
    case v1::CHANNEL_SMS:
      return "sms";
    case v1::CHANNEL_LETTER:
      return "letter";
    default:
      throw std::invalid_argument("no channel");
  }
}

std::int64_t InsertTemplate(soci::session& session, const v1::Template& tmpl,
                            const std::string& request_id, TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session, kInsertTemplate,
      {tmpl.name(), tmpl.language(), ChannelName(tmpl.channel()), tmpl.subject(), tmpl.text_body(),
       tmpl.html_body(), request_id, std::to_string(ToEpochMicros(now))});
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::optional<v1::Template> FindTemplate(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindTemplateRowLocked : kFindTemplateRow).One(session, {std::to_string(id)});
}

std::optional<v1::Template> FindTemplateByName(soci::session& session, const std::string& name,
                                               v1::Channel channel, const std::string& language) {
  return kFindTemplateByNameRow.One(session, {name, ChannelName(channel), language});
}

void UpdateTemplate(soci::session& session, const v1::Template& tmpl, TimePoint now) {
  kernel::RunPrepared(session, kUpdateTemplate,
                      {tmpl.subject(), tmpl.text_body(), tmpl.html_body(),
                       std::to_string(ToEpochMicros(now)), std::to_string(tmpl.id())});
}

std::vector<v1::Template> ListTemplates(soci::session& session, const std::string& name,
                                        std::int64_t after_id, int limit) {
  return kListTemplateRows.All(session, {name, std::to_string(after_id), std::to_string(limit)});
}

std::int64_t NextMessageId(soci::session& session) {
  return std::stoll(std::string(kernel::RunPrepared(session, kNextMessageId, {}).Text(0, 0)));
}

std::optional<v1::Message> InsertMessage(soci::session& session, const v1::Message& message,
                                         TimePoint now) {
  const std::string status =
      message.status() == v1::MESSAGE_STATUS_SUPPRESSED ? "suppressed" : "queued";
  const std::string postal =
      message.has_postal_address()
          ? kernel::PrintProtoJson(message.postal_address(), kernel::ProtoJsonNames::kJson)
          : "";
  return kInsertMessageRow.One(
      session, {ChannelName(message.channel()),
                message.category() == v1::CATEGORY_MARKETING ? "marketing" : "transactional",
                std::to_string(message.recipient().partner_id()),
                std::to_string(message.recipient().contact_id()),
                message.address(),
                message.template_name(),
                message.language(),
                message.subject(),
                message.text_body(),
                message.html_body(),
                message.provider_message_id(),
                message.idempotency_key(),
                std::to_string(message.sender_user_id()),
                std::to_string(ToEpochMicros(now)),
                std::to_string(message.id()),
                status,
                message.last_error(),
                message.recipient_name(),
                postal,
                kernel::TextArrayLiteral(message.cc()),
                message.reply_to(),
                message.calendar_method()});
}

std::optional<v1::Message> FindMessage(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindMessageRowLocked : kFindMessageRow).One(session, {std::to_string(id)});
}

std::map<std::string, v1::Message> FindMessagesByKeys(soci::session& session,
                                                      const std::vector<std::string>& keys) {
  std::map<std::string, v1::Message> found;
  if (keys.empty()) return found;
  for (auto& message : kFindMessagesByKeys.All(session, {kernel::TextArrayLiteral(keys)})) {
    std::string key = message.idempotency_key();
    found.emplace(std::move(key), std::move(message));
  }
  return found;
}

std::optional<v1::Message> FindMessageByKey(soci::session& session, const std::string& key) {
  return kFindMessageByKeyRow.One(session, {key});
}

std::vector<v1::Message> ListMessages(soci::session& session, const MessageFilter& filter,
                                      std::int64_t before_id, int limit) {
  return kListMessageRows.All(
      session,
      {std::to_string(filter.partner_id), filter.status, filter.category,
       std::to_string(filter.start_us), std::to_string(filter.end_us), std::to_string(before_id),
       std::to_string(limit), filter.channel, std::to_string(filter.contact_id)});
}

std::vector<v1::Message> ListLetters(soci::session& session, const MessageFilter& filter,
                                     std::int64_t after_id, int limit) {
  return kListLetterRows.All(
      session, {filter.category, std::to_string(filter.start_us), std::to_string(filter.end_us),
                std::to_string(after_id), std::to_string(limit), filter.key_prefix});
}

void InsertAttachments(PGconn* connection, std::int64_t message_id,
                       const std::vector<NewAttachment>& attachments, bool keep_content) {
  static constexpr const char* kInsert =
      "INSERT INTO messaging.attachment (message_id, position, file_name, media_type, size_bytes, "
      "content, document_id) VALUES ($1, $2, $3, $4, $5, $6, nullif(cast($7 AS bigint), 0))";
  const std::string id_text = std::to_string(message_id);
  for (std::size_t position = 0; position < attachments.size(); ++position) {
    const NewAttachment& attachment = attachments[position];
    const std::string position_text = std::to_string(position);
    const std::string size_text = std::to_string(attachment.content.size());
    const std::string document_text = std::to_string(attachment.document_id);
    const char* values[] = {id_text.c_str(),
                            position_text.c_str(),
                            attachment.file_name.c_str(),
                            attachment.media_type.c_str(),
                            size_text.c_str(),
                            keep_content ? attachment.content.data() : nullptr,
                            document_text.c_str()};
    const int lengths[] = {0, 0, 0, 0, 0, static_cast<int>(attachment.content.size()), 0};
    const int formats[] = {0, 0, 0, 0, 0, 1, 0};  // the bytes go in binary
    Result result(
        PQexecParams(connection, kInsert, 7, nullptr, values, lengths, formats, /*text*/ 0),
        &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      throw std::runtime_error(std::string("storing an attachment failed: ") +
                               PQerrorMessage(connection));
    }
  }
}

std::vector<StoredAttachment> AttachmentsOf(PGconn* connection, std::int64_t message_id) {
  static constexpr const char* kSelect =
      "SELECT position, file_name, media_type, size_bytes, coalesce(document_id, 0), content "
      "FROM messaging.attachment WHERE message_id = $1 ORDER BY position";
  const std::string id_text = std::to_string(message_id);
  const char* values[] = {id_text.c_str()};
  // Text results but for the bytes, which only the binary format hands over
  // as they are: every column is asked for in binary, the numbers come back
  // as big-endian integers.
  Result result(PQexecParams(connection, kSelect, 1, nullptr, values, nullptr, nullptr,
                             /*binary*/ 1),
                &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    throw std::runtime_error(std::string("reading attachments failed: ") +
                             PQerrorMessage(connection));
  }
  const auto integer = [&](int row, int column) {
    const auto* bytes =
        reinterpret_cast<const unsigned char*>(PQgetvalue(result.get(), row, column));
    std::uint64_t value = 0;
    for (int i = 0; i < PQgetlength(result.get(), row, column); ++i) value = value << 8 | bytes[i];
    return value;
  };
  const auto text = [&](int row, int column) {
    return std::string(PQgetvalue(result.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result.get(), row, column)));
  };
  std::vector<StoredAttachment> attachments;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    StoredAttachment attachment;
    attachment.position = static_cast<int>(static_cast<std::uint32_t>(integer(row, 0)));
    attachment.file_name = text(row, 1);
    attachment.media_type = text(row, 2);
    attachment.size_bytes = static_cast<std::int64_t>(integer(row, 3));
    attachment.document_id = static_cast<std::int64_t>(integer(row, 4));
    if (!PQgetisnull(result.get(), row, 5)) attachment.content = text(row, 5);
    attachments.push_back(std::move(attachment));
  }
  return attachments;
}

void SetAttachmentDocument(soci::session& session, std::int64_t message_id, int position,
                           std::int64_t document_id, const std::string& resource) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.attachment SET document_id = $3, document_resource = $4 "
                      "WHERE message_id = $1 AND position = $2",
                      {std::to_string(message_id), std::to_string(position),
                       std::to_string(document_id), resource});
}

std::vector<std::int64_t> DocumentsOnMessages(soci::session& session,
                                              const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT document_id FROM messaging.attachment WHERE message_id = ANY(cast($1 AS bigint[])) "
      "AND document_resource = 'messaging.message' ORDER BY message_id, position",
      {kernel::BigintArrayLiteral(ids)});
  std::vector<std::int64_t> documents;
  for (int row = 0; row < rows.Count(); ++row) {
    documents.push_back(std::stoll(std::string(rows.Text(row, 0))));
  }
  return documents;
}

namespace {

std::map<std::int64_t, v1::Message> MessagesById(const kernel::TypedQuery<v1::Message>& query,
                                                 soci::session& session,
                                                 const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, v1::Message> found;
  if (ids.empty()) return found;
  for (auto& message : query.All(session, {kernel::BigintArrayLiteral(ids)})) {
    const std::int64_t id = message.id();
    found.emplace(id, std::move(message));
  }
  return found;
}

}  // namespace

std::map<std::int64_t, v1::Message> FindMessagesLocked(soci::session& session,
                                                       const std::vector<std::int64_t>& ids) {
  return MessagesById(kFindMessagesLocked, session, ids);
}

std::map<std::int64_t, v1::Message> FindMessages(soci::session& session,
                                                 const std::vector<std::int64_t>& ids) {
  return MessagesById(kFindMessages, session, ids);
}

void MarkSending(soci::session& session, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return;
  kernel::RunPreparedLater(
      session,
      "UPDATE messaging.message SET status = 'sending', attempts = attempts + 1 "
      "WHERE id = ANY (cast($1 AS bigint[]))",
      {kernel::BigintArrayLiteral(ids)});
}

std::optional<v1::Message> MarkSent(soci::session& session, std::int64_t id, TimePoint now,
                                    const std::string& provider_message_id,
                                    std::int64_t document_id) {
  auto sent = kMarkSent.One(session, {std::to_string(id), std::to_string(ToEpochMicros(now)),
                                      provider_message_id, std::to_string(document_id)});
  // Without attachments there are no bytes to drop: no statement. Queued:
  // nothing reads its result (in a kernel::Transaction it goes with the
  // COMMIT).
  if (sent && sent->attachments_size() > 0) {
    kernel::RunPreparedLater(session, kDropAttachmentBytes, {std::to_string(id), "false"});
  }
  return sent;
}

void MarkSuppressed(soci::session& session, std::int64_t id, const std::string& reason) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message SET status = 'suppressed', last_error = $2 "
                      "WHERE id = $1",
                      {std::to_string(id), reason});
  DropAttachmentBytes(session, id, true);
}

void MarkFailed(soci::session& session, std::int64_t id, const std::string& error) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message SET status = 'failed', last_error = $2 "
                      "WHERE id = $1",
                      {std::to_string(id), error});
  DropAttachmentBytes(session, id, false);
}

void RecordAttemptError(soci::session& session, std::int64_t id, const std::string& error) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message SET status = 'queued', last_error = $2 "
                      "WHERE id = $1",
                      {std::to_string(id), error});
}

namespace {
std::vector<std::int64_t> Ids(const kernel::QueryRows& rows) {
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row) {
    ids.push_back(std::stoll(std::string(rows.Text(row, 0))));
  }
  return ids;
}
}  // namespace

std::vector<std::int64_t> EraseMessagesOfPartner(soci::session& session, std::int64_t partner_id) {
  auto ids = Ids(kernel::RunPrepared(session,
                                     "UPDATE messaging.message " KARTON_ERASED_MESSAGE_SET
                                     "WHERE partner_id = $1 RETURNING id",
                                     {std::to_string(partner_id)}));
  EraseAttachments(session, ids);
  return ids;
}

std::vector<std::int64_t> EraseMessagesOfContact(soci::session& session, std::int64_t contact_id) {
  auto ids = Ids(kernel::RunPrepared(session,
                                     "UPDATE messaging.message " KARTON_ERASED_MESSAGE_SET
                                     "WHERE contact_id = $1 RETURNING id",
                                     {std::to_string(contact_id)}));
  EraseAttachments(session, ids);
  return ids;
}

void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id) {
  kernel::RunPrepared(session, "UPDATE messaging.message SET partner_id = $2 WHERE partner_id = $1",
                      {std::to_string(merged_id), std::to_string(kept_id)});
  kernel::RunPrepared(session,
                      "UPDATE messaging.inbound_email SET partner_id = $2 WHERE partner_id = $1",
                      {std::to_string(merged_id), std::to_string(kept_id)});
}

ListedSuppressions SuppressionsListedFor(soci::session& session,
                                         const std::vector<const v1::Message*>& messages) {
  ListedSuppressions listed;
  std::vector<std::string> channels, keys;
  for (const v1::Message* message : messages) {
    for (auto& key : SuppressionKeysOf(*message)) {
      if (key.empty()) continue;
      channels.push_back(ChannelName(message->channel()));
      keys.push_back(std::move(key));
    }
  }
  if (keys.empty()) return listed;
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT s.channel, s.address, s.source FROM unnest(cast($1 AS text[]), "
      "cast($2 AS text[])) AS k (channel, address) "
      "JOIN messaging.suppression s ON s.channel = k.channel AND s.address = k.address",
      {kernel::TextArrayLiteral(channels), kernel::TextArrayLiteral(keys)});
  for (int row = 0; row < rows.Count(); ++row) {
    listed[{std::string(rows.Text(row, 0)), std::string(rows.Text(row, 1))}] =
        std::string(rows.Text(row, 2));
  }
  return listed;
}

SuppressionVerdict CheckSuppressionList(const v1::Message& message,
                                        const ListedSuppressions& listed) {
  const bool marketing = message.category() == v1::CATEGORY_MARKETING;
  const std::string channel = ChannelName(message.channel());
  for (const auto& key : SuppressionKeysOf(message)) {
    const auto entry = listed.find({channel, key});
    if (entry == listed.end()) continue;
    if (marketing) return SuppressionVerdict::kOptedOut;
    if (entry->second == "bounce") return SuppressionVerdict::kBouncedHard;
  }
  return SuppressionVerdict::kGoes;
}

std::optional<std::int64_t> InsertSuppression(soci::session& session,
                                              const v1::Suppression& suppression,
                                              std::int64_t actor_user_id, TimePoint now) {
  const std::string source = suppression.source() == v1::SUPPRESSION_SOURCE_UNSUBSCRIBE_LINK
                                 ? "unsubscribe_link"
                             : suppression.source() == v1::SUPPRESSION_SOURCE_BOUNCE ? "bounce"
                                                                                     : "manual";
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO messaging.suppression (channel, address, source, reason, message_id, "
      "actor_user_id, create_time) VALUES ($1, $2, $3, $4, nullif(cast($5 AS bigint), 0), "
      "nullif(cast($6 AS bigint), 0), to_timestamp(cast($7 AS bigint) / 1e6)) "
      "ON CONFLICT (channel, address) DO NOTHING RETURNING id",
      {ChannelName(suppression.channel()), suppression.address(), source, suppression.reason(),
       std::to_string(suppression.message_id()), std::to_string(actor_user_id),
       std::to_string(ToEpochMicros(now))});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::optional<v1::Suppression> FindSuppression(soci::session& session, const std::string& channel,
                                               const std::string& address) {
  // Read before every email is sent, so a typed row.
  static const kernel::TypedQuery<v1::Suppression> kFind(
      "SELECT " KARTON_SUPPRESSION_COLUMNS
      " FROM messaging.suppression s WHERE s.channel = $1 AND s.address = $2");
  return kFind.One(session, {channel, address});
}

std::vector<std::pair<std::int64_t, v1::Suppression>> ListSuppressions(soci::session& session,
                                                                       const std::string& channel,
                                                                       const std::string& address,
                                                                       std::int64_t after_id,
                                                                       int limit) {
  // _id is the page's key, not a field of Suppression.
  static const kernel::TypedQuery<v1::Suppression> kList(
      "SELECT s.id AS _id, " KARTON_SUPPRESSION_COLUMNS
      " FROM messaging.suppression s "
      "WHERE ($1 = '' OR s.channel = $1) AND ($2 = '' OR s.address = $2) "
      "AND s.id > cast($3 AS bigint) ORDER BY s.id LIMIT $4");
  const auto rows = kernel::RunPrepared(
      session, kList.Sql(), {channel, address, std::to_string(after_id), std::to_string(limit)});
  const std::vector<v1::Suppression> suppressions = kList.Messages(rows);
  std::vector<std::pair<std::int64_t, v1::Suppression>> entries;
  for (int row = 0; row < rows.Count(); ++row) {
    entries.emplace_back(std::stoll(std::string(rows.Text(row, 0))),
                         suppressions[static_cast<std::size_t>(row)]);
  }
  return entries;
}

std::optional<std::int64_t> DeleteSuppression(soci::session& session, const std::string& channel,
                                              const std::string& address) {
  const auto rows = kernel::RunPrepared(
      session, "DELETE FROM messaging.suppression WHERE channel = $1 AND address = $2 RETURNING id",
      {channel, address});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::string SigningKey(soci::session& session, const std::string& fresh) {
  std::string hex(fresh.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(fresh.data()),
                 fresh.size());
  hex.pop_back();
  kernel::RunPrepared(session,
                      "INSERT INTO messaging.signing_key (name, key) "
                      "VALUES ('unsubscribe', decode($1, 'hex')) ON CONFLICT (name) DO NOTHING",
                      {hex});
  const auto rows = kernel::RunPrepared(
      session, "SELECT encode(key, 'hex') FROM messaging.signing_key WHERE name = 'unsubscribe'",
      {});
  const std::string_view stored = rows.Text(0, 0);
  std::string key(stored.size() / 2, '\0');
  std::size_t length = 0;
  sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), stored.data(),
                 stored.size(), nullptr, &length, nullptr);
  key.resize(length);
  return key;
}

std::vector<std::int64_t> MessageIdsOfPerson(soci::session& session, std::int64_t partner_id,
                                             const std::string& contact_ids,
                                             const std::string& emails, const std::string& phones) {
  return Ids(kernel::RunPrepared(
      session,
      "SELECT id FROM messaging.message WHERE (cast($1 AS bigint) <> 0 AND partner_id = cast($1 "
      "AS bigint)) OR contact_id = ANY(cast($2 AS bigint[])) OR lower(address) IN (SELECT "
      "jsonb_array_elements_text(cast($3 AS jsonb))) OR address IN (SELECT "
      "jsonb_array_elements_text(cast($4 AS jsonb))) ORDER BY id",
      {std::to_string(partner_id), contact_ids, emails, phones}));
}

void EraseMessages(soci::session& session, const std::vector<std::int64_t>& ids) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message " KARTON_ERASED_MESSAGE_SET
                      "WHERE id = ANY(cast($1 AS bigint[]))",
                      {kernel::BigintArrayLiteral(ids)});
  EraseAttachments(session, ids);
}

std::vector<SuppressionKey> SuppressionsOfPerson(soci::session& session, const std::string& emails,
                                                 const std::string& phones) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id, channel, address FROM messaging.suppression WHERE lower(address) IN (SELECT "
      "jsonb_array_elements_text(cast($1 AS jsonb))) OR address IN (SELECT "
      "jsonb_array_elements_text(cast($2 AS jsonb))) ORDER BY id",
      {emails, phones});
  std::vector<SuppressionKey> keys;
  for (int row = 0; row < rows.Count(); ++row) {
    keys.push_back({kernel::ParseInt64(rows.Text(row, 0)).value_or(0),
                    std::string(rows.Text(row, 1)), std::string(rows.Text(row, 2))});
  }
  return keys;
}

}  // namespace karton::messaging::repository
