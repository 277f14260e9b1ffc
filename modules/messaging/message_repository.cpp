#include "message_repository.h"

#include <soci/soci.h>

#include <stdexcept>

#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"

namespace karton::messaging::repository {
namespace {

using kernel::ToEpochMicros;

#define KARTON_TIME_JSON(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define KARTON_TEMPLATE_JSON \
  "jsonb_build_object('id', t.id::text, 'name', t.name, 'language', t.language, "              \
  "'channel', 'CHANNEL_' || upper(t.channel), 'subject', t.subject, 'textBody', t.text_body, " \
  "'htmlBody', t.html_body, 'createTime', " KARTON_TIME_JSON("t.create_time")                  \
  ", 'updateTime', " KARTON_TIME_JSON("t.update_time") ", 'etag', t.version::text)::text"

#define KARTON_MESSAGE_JSON \
  "jsonb_strip_nulls(jsonb_build_object('id', m.id::text, "                                   \
  "'channel', 'CHANNEL_' || upper(m.channel), 'category', 'CATEGORY_' || upper(m.category), " \
  "'recipient', jsonb_build_object('partnerId', coalesce(m.partner_id, 0)::text, "            \
  "'contactId', coalesce(m.contact_id, 0)::text), "                                           \
  "'address', m.address, 'templateName', m.template_name, 'language', m.language, "           \
  "'subject', m.subject, 'textBody', m.text_body, 'htmlBody', m.html_body, "                  \
  "'status', 'MESSAGE_STATUS_' || upper(m.status), 'attempts', m.attempts, "                  \
  "'lastError', m.last_error, 'providerMessageId', m.provider_message_id, "                   \
  "'idempotencyKey', m.idempotency_key, "                                                     \
  "'createTime', " KARTON_TIME_JSON("m.create_time") ", "                                     \
  "'sentTime', " KARTON_TIME_JSON("m.sent_time") "))::text"

template <class Message>
Message FromJson(std::string_view json) {
  Message message;
  kernel::ParseProtoJson(json, message);
  return message;
}

template <class Message>
std::vector<Message> AllFromJson(const kernel::QueryRows& rows) {
  std::vector<Message> messages;
  for (int row = 0; row < rows.Count(); ++row)
    messages.push_back(FromJson<Message>(rows.Text(row, 0)));
  return messages;
}

template <class Message>
std::optional<Message> FirstFromJson(const kernel::QueryRows& rows) {
  if (rows.Count() == 0) return std::nullopt;
  return FromJson<Message>(rows.Text(0, 0));
}

const std::string kInsertTemplate =
    "INSERT INTO messaging.template (name, language, channel, subject, text_body, html_body, "
    "request_id, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), "
    "to_timestamp(cast($8 AS bigint) / 1e6), to_timestamp(cast($8 AS bigint) / 1e6)) "
    "ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id RETURNING id";
const std::string kFindTemplate =
    "SELECT " KARTON_TEMPLATE_JSON " FROM messaging.template t WHERE t.id = $1";
const std::string kFindTemplateByName =
    "SELECT " KARTON_TEMPLATE_JSON
    " FROM messaging.template t "
    "WHERE t.name = $1 AND t.channel = $2 ORDER BY (t.language = $3) DESC, t.id LIMIT 1";
const std::string kUpdateTemplate =
    "UPDATE messaging.template SET subject = $1, text_body = $2, html_body = $3, "
    "update_time = to_timestamp(cast($4 AS bigint) / 1e6), version = version + 1 WHERE id = $5";
const std::string kListTemplates =
    "SELECT " KARTON_TEMPLATE_JSON
    " FROM messaging.template t "
    "WHERE ($1 = '' OR t.name = $1) AND t.id > cast($2 AS bigint) ORDER BY t.id LIMIT $3";

const std::string kInsertMessage =
    "INSERT INTO messaging.message (channel, category, partner_id, contact_id, address, "
    "template_name, language, subject, text_body, html_body, provider_message_id, "
    "idempotency_key, actor_user_id, create_time) VALUES ($1, $2, nullif(cast($3 AS bigint), 0), "
    "nullif(cast($4 AS bigint), 0), $5, $6, $7, $8, $9, $10, $11, nullif($12, ''), "
    "nullif(cast($13 AS bigint), 0), to_timestamp(cast($14 AS bigint) / 1e6)) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id";
const std::string kFindMessage =
    "SELECT " KARTON_MESSAGE_JSON " FROM messaging.message m WHERE m.id = $1";
const std::string kFindMessageByKey =
    "SELECT " KARTON_MESSAGE_JSON " FROM messaging.message m WHERE m.idempotency_key = $1";
const std::string kListMessages =
    "SELECT " KARTON_MESSAGE_JSON
    " FROM messaging.message m "
    "WHERE (cast($1 AS bigint) = 0 OR m.partner_id = cast($1 AS bigint)) "
    "AND ($2 = '' OR m.status = $2) AND ($3 = '' OR m.category = $3) "
    "AND (cast($4 AS bigint) = 0 OR m.create_time >= to_timestamp(cast($4 AS bigint) / 1e6)) "
    "AND (cast($5 AS bigint) = 0 OR m.create_time < to_timestamp(cast($5 AS bigint) / 1e6)) "
    "AND (cast($6 AS bigint) = 0 OR m.id < cast($6 AS bigint)) ORDER BY m.id DESC LIMIT $7";

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
  static const std::string kLocked = kFindTemplate + " FOR UPDATE";
  return FirstFromJson<v1::Template>(
      kernel::RunPrepared(session, lock ? kLocked : kFindTemplate, {std::to_string(id)}));
}

std::optional<v1::Template> FindTemplateByName(soci::session& session, const std::string& name,
                                               v1::Channel channel, const std::string& language) {
  return FirstFromJson<v1::Template>(
      kernel::RunPrepared(session, kFindTemplateByName, {name, ChannelName(channel), language}));
}

void UpdateTemplate(soci::session& session, const v1::Template& tmpl, TimePoint now) {
  kernel::RunPrepared(session, kUpdateTemplate,
                      {tmpl.subject(), tmpl.text_body(), tmpl.html_body(),
                       std::to_string(ToEpochMicros(now)), std::to_string(tmpl.id())});
}

std::vector<v1::Template> ListTemplates(soci::session& session, const std::string& name,
                                        std::int64_t after_id, int limit) {
  return AllFromJson<v1::Template>(kernel::RunPrepared(
      session, kListTemplates, {name, std::to_string(after_id), std::to_string(limit)}));
}

std::optional<std::int64_t> InsertMessage(soci::session& session, const v1::Message& message,
                                          std::int64_t actor_user_id, TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session, kInsertMessage,
      {ChannelName(message.channel()),
       message.category() == v1::CATEGORY_MARKETING ? "marketing" : "transactional",
       std::to_string(message.recipient().partner_id()),
       std::to_string(message.recipient().contact_id()), message.address(), message.template_name(),
       message.language(), message.subject(), message.text_body(), message.html_body(),
       message.provider_message_id(), message.idempotency_key(), std::to_string(actor_user_id),
       std::to_string(ToEpochMicros(now))});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::optional<v1::Message> FindMessage(soci::session& session, std::int64_t id, bool lock) {
  static const std::string kLocked = kFindMessage + " FOR UPDATE";
  return FirstFromJson<v1::Message>(
      kernel::RunPrepared(session, lock ? kLocked : kFindMessage, {std::to_string(id)}));
}

std::optional<v1::Message> FindMessageByKey(soci::session& session, const std::string& key) {
  return FirstFromJson<v1::Message>(kernel::RunPrepared(session, kFindMessageByKey, {key}));
}

std::vector<v1::Message> ListMessages(soci::session& session, const MessageFilter& filter,
                                      std::int64_t before_id, int limit) {
  return AllFromJson<v1::Message>(
      kernel::RunPrepared(session, kListMessages,
                          {std::to_string(filter.partner_id), filter.status, filter.category,
                           std::to_string(filter.start_us), std::to_string(filter.end_us),
                           std::to_string(before_id), std::to_string(limit)}));
}

void MarkSending(soci::session& session, std::int64_t id) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message SET status = 'sending', attempts = attempts + 1 "
                      "WHERE id = $1",
                      {std::to_string(id)});
}

void MarkSent(soci::session& session, std::int64_t id, TimePoint now) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message SET status = 'sent', last_error = '', "
                      "sent_time = to_timestamp(cast($2 AS bigint) / 1e6) WHERE id = $1",
                      {std::to_string(id), std::to_string(ToEpochMicros(now))});
}

void MarkFailed(soci::session& session, std::int64_t id, const std::string& error) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message SET status = 'failed', last_error = $2 "
                      "WHERE id = $1",
                      {std::to_string(id), error});
}

void RecordAttemptError(soci::session& session, std::int64_t id, const std::string& error) {
  kernel::RunPrepared(session,
                      "UPDATE messaging.message SET status = 'queued', last_error = $2 "
                      "WHERE id = $1",
                      {std::to_string(id), error});
}

}  // namespace karton::messaging::repository
