#include "inbound/inbound_repository.h"

#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>
#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "karton/kernel/personal_data.h"
#include "karton/kernel/prepared_query.h"
#include "message_repository.h"

namespace karton::messaging::repository {
namespace {

using kernel::ToEpochMicros;

// The raw message travels as hex text (bytea on the server): any bytes,
// 8-bit charsets included, arrive as they were.
std::string Hex(const std::string& bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  hex.pop_back();
  return hex;
}

std::string FromHex(std::string_view hex) {
  std::string bytes(hex.size() / 2, '\0');
  std::size_t length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), hex.data(),
                     hex.size(), nullptr, &length, nullptr) != 0) {
    throw std::runtime_error("an inbound email's stored bytes are not hex");
  }
  bytes.resize(length);
  return bytes;
}

std::string KindName(v1::InboundKind kind) {
  switch (kind) {
    case v1::INBOUND_KIND_KNOWN_SENDER:
      return "known_sender";
    case v1::INBOUND_KIND_UNKNOWN_SENDER_LEAD:
      return "unknown_sender_lead";
    case v1::INBOUND_KIND_UNKNOWN_SENDER_IGNORED:
      return "unknown_sender_ignored";
    case v1::INBOUND_KIND_BOUNCE:
      return "bounce";
    case v1::INBOUND_KIND_UNKNOWN_SENDER_ROUTED:
      return "unknown_sender_routed";
    default:
      return "";
  }
}

std::vector<std::int64_t> Ids(const kernel::QueryRows& rows) {
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row)
    ids.push_back(std::stoll(std::string(rows.Text(row, 0))));
  return ids;
}

constexpr const char* kEraseInbound =
    "UPDATE messaging.inbound_email SET from_address = '', subject = '', raw = NULL, "
    "thread_id = '' ";

}  // namespace

InboundCursor LockCursor(soci::session& session, const std::string& mailbox,
                         std::uint64_t uid_validity) {
  kernel::RunPrepared(session,
                      "INSERT INTO messaging.inbound_cursor (mailbox, uid_validity, last_uid) "
                      "VALUES ($1, $2, 0) ON CONFLICT (mailbox) DO NOTHING",
                      {mailbox, std::to_string(uid_validity)});
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT uid_validity, last_uid FROM messaging.inbound_cursor WHERE mailbox = $1 FOR UPDATE",
      {mailbox});
  InboundCursor cursor;
  cursor.uid_validity = std::stoull(std::string(rows.Text(0, 0)));
  cursor.last_uid = std::stoull(std::string(rows.Text(0, 1)));
  return cursor;
}

void SaveCursor(soci::session& session, const std::string& mailbox, const InboundCursor& cursor) {
  kernel::RunPrepared(
      session,
      "UPDATE messaging.inbound_cursor SET uid_validity = $2, last_uid = $3 "
      "WHERE mailbox = $1",
      {mailbox, std::to_string(cursor.uid_validity), std::to_string(cursor.last_uid)});
}

std::optional<std::int64_t> InsertInbound(soci::session& session, const NewInbound& inbound) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO messaging.inbound_email (message_key, mailbox, uid_validity, uid, raw, "
      "receive_time) VALUES ($1, $2, $3, $4, decode($5, 'hex'), "
      "to_timestamp(cast($6 AS bigint) / 1e6)) ON CONFLICT DO NOTHING RETURNING id",
      {inbound.message_key, inbound.mailbox, std::to_string(inbound.uid_validity),
       std::to_string(inbound.uid), Hex(inbound.raw),
       std::to_string(ToEpochMicros(inbound.receive_time))});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::optional<std::int64_t> InsertSkippedInbound(soci::session& session, const NewInbound& inbound,
                                                 std::uint64_t size_bytes,
                                                 const std::string& reason) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO messaging.inbound_email (message_key, mailbox, uid_validity, uid, raw, "
      "status, size_bytes, skip_reason, receive_time) VALUES ($1, $2, $3, $4, NULL, 'skipped', "
      "cast($5 AS bigint), $6, to_timestamp(cast($7 AS bigint) / 1e6)) ON CONFLICT DO NOTHING "
      "RETURNING id",
      {inbound.message_key, inbound.mailbox, std::to_string(inbound.uid_validity),
       std::to_string(inbound.uid), std::to_string(size_bytes), reason,
       std::to_string(ToEpochMicros(inbound.receive_time))});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::optional<StoredInbound> FindInbound(soci::session& session, std::int64_t id, bool lock) {
  const auto rows =
      kernel::RunPrepared(session,
                          lock ? "SELECT id, status, encode(coalesce(raw, ''::bytea), 'hex'), "
                                 "(extract(epoch FROM receive_time) * 1000000)::bigint "
                                 "FROM messaging.inbound_email WHERE id = $1 FOR UPDATE"
                               : "SELECT id, status, encode(coalesce(raw, ''::bytea), 'hex'), "
                                 "(extract(epoch FROM receive_time) * 1000000)::bigint "
                                 "FROM messaging.inbound_email WHERE id = $1",
                          {std::to_string(id)});
  if (rows.Count() == 0) return std::nullopt;
  StoredInbound stored;
  stored.id = id;
  stored.processed = rows.Text(0, 1) == "processed";
  stored.raw = FromHex(rows.Text(0, 2));
  stored.receive_time =
      kernel::TimePoint(std::chrono::microseconds(std::stoll(std::string(rows.Text(0, 3)))));
  return stored;
}

std::map<int, std::int64_t> InboundDocuments(soci::session& session, std::int64_t id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT position, document_id FROM messaging.inbound_attachment WHERE inbound_email_id = $1",
      {std::to_string(id)});
  std::map<int, std::int64_t> documents;
  for (int row = 0; row < rows.Count(); ++row) {
    documents[std::stoi(std::string(rows.Text(row, 0)))] =
        std::stoll(std::string(rows.Text(row, 1)));
  }
  return documents;
}

void RecordInboundDocument(soci::session& session, std::int64_t id, int position,
                           std::int64_t document_id) {
  kernel::RunPrepared(session,
                      "INSERT INTO messaging.inbound_attachment (inbound_email_id, position, "
                      "document_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                      {std::to_string(id), std::to_string(position), std::to_string(document_id)});
}

void MarkInboundProcessed(soci::session& session, const v1::InboundEmail& email,
                          kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE messaging.inbound_email SET status = 'processed', raw = NULL, kind = $2, "
      "from_address = $3, subject = $4, partner_id = nullif(cast($5 AS bigint), 0), "
      "contact_id = nullif(cast($6 AS bigint), 0), "
      "related_message_id = (SELECT id FROM messaging.message WHERE id = cast($7 AS bigint)), "
      "thread_id = $8, lead_id = nullif(cast($9 AS bigint), 0), "
      "process_time = to_timestamp(cast($10 AS bigint) / 1e6), route = $11 WHERE id = $1",
      {std::to_string(email.id()), KindName(email.kind()), email.from_address(), email.subject(),
       std::to_string(email.partner_id()), std::to_string(email.contact_id()),
       std::to_string(email.related_message_id()), email.thread_id(),
       std::to_string(email.lead_id()), std::to_string(ToEpochMicros(now)), email.route()});
}

std::optional<std::int64_t> MessageIdByHeader(soci::session& session,
                                              const std::string& header_id) {
  if (header_id.empty()) return std::nullopt;
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id FROM messaging.message WHERE provider_message_id = $1 AND channel = 'email' "
      "ORDER BY id LIMIT 1",
      {header_id});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::string IdempotencyKeyOf(soci::session& session, std::int64_t id) {
  const auto rows = kernel::RunPrepared(
      session, "SELECT coalesce(idempotency_key, '') FROM messaging.message WHERE id = $1",
      {std::to_string(id)});
  return rows.Count() == 0 ? "" : std::string(rows.Text(0, 0));
}

bool MarkBounced(soci::session& session, std::int64_t id, const std::string& detail) {
  return kernel::RunPrepared(session,
                             "UPDATE messaging.message SET status = 'bounced', last_error = $2 "
                             "WHERE id = $1 AND status IN ('sent', 'sending') RETURNING id",
                             {std::to_string(id), detail})
             .Count() > 0;
}

std::vector<std::int64_t> InboundIdsOfPerson(soci::session& session, std::int64_t partner_id,
                                             const std::string& contact_ids,
                                             const std::string& emails) {
  return Ids(kernel::RunPrepared(
      session,
      "SELECT id FROM messaging.inbound_email WHERE (cast($1 AS bigint) <> 0 AND partner_id = "
      "cast($1 AS bigint)) OR contact_id = ANY(cast($2 AS bigint[])) OR (from_address <> '' AND "
      "lower(from_address) IN (SELECT lower(address) FROM jsonb_array_elements_text(cast($3 AS "
      "jsonb)) AS address)) ORDER BY id",
      {std::to_string(partner_id), contact_ids, emails}));
}

std::optional<v1::InboundEmail> FindInboundEmail(soci::session& session, std::int64_t id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT kind, from_address, coalesce(partner_id, 0), coalesce(contact_id, 0), subject, "
      "CASE WHEN message_key = mailbox || '/' || uid_validity || '/' || uid THEN '' ELSE "
      "message_key END, thread_id, coalesce(related_message_id, 0), coalesce(lead_id, 0), "
      "(extract(epoch FROM receive_time) * 1000000)::bigint, (SELECT coalesce(string_agg("
      "document_id::text, ',' ORDER BY position), '') FROM messaging.inbound_attachment WHERE "
      "inbound_email_id = e.id), route FROM messaging.inbound_email e WHERE id = $1",
      {std::to_string(id)});
  if (rows.Count() == 0) return std::nullopt;
  v1::InboundEmail email;
  email.set_id(id);
  const std::string kind(rows.Text(0, 0));
  for (const auto candidate : {v1::INBOUND_KIND_KNOWN_SENDER, v1::INBOUND_KIND_UNKNOWN_SENDER_LEAD,
                               v1::INBOUND_KIND_UNKNOWN_SENDER_IGNORED, v1::INBOUND_KIND_BOUNCE,
                               v1::INBOUND_KIND_UNKNOWN_SENDER_ROUTED}) {
    if (KindName(candidate) == kind) email.set_kind(candidate);
  }
  email.set_from_address(std::string(rows.Text(0, 1)));
  email.set_partner_id(std::stoll(std::string(rows.Text(0, 2))));
  email.set_contact_id(std::stoll(std::string(rows.Text(0, 3))));
  email.set_subject(std::string(rows.Text(0, 4)));
  email.set_message_id(std::string(rows.Text(0, 5)));
  email.set_thread_id(std::string(rows.Text(0, 6)));
  email.set_related_message_id(std::stoll(std::string(rows.Text(0, 7))));
  email.set_lead_id(std::stoll(std::string(rows.Text(0, 8))));
  *email.mutable_receive_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      std::stoll(std::string(rows.Text(0, 9))));
  email.set_route(std::string(rows.Text(0, 11)));
  std::string documents(rows.Text(0, 10));
  for (std::size_t at = 0; !documents.empty();) {
    const auto comma = documents.find(',', at);
    email.add_document_ids(std::stoll(documents.substr(at, comma - at)));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return email;
}

void EraseInbound(soci::session& session, const std::vector<std::int64_t>& ids) {
  kernel::RunPrepared(session, std::string(kEraseInbound) + "WHERE id = ANY(cast($1 AS bigint[]))",
                      {kernel::BigintArrayLiteral(ids)});
}

std::vector<std::int64_t> EraseInboundOfPartner(soci::session& session, std::int64_t partner_id) {
  return Ids(kernel::RunPrepared(session,
                                 std::string(kEraseInbound) + "WHERE partner_id = $1 RETURNING id",
                                 {std::to_string(partner_id)}));
}

std::vector<std::int64_t> EraseInboundOfContact(soci::session& session, std::int64_t contact_id) {
  return Ids(kernel::RunPrepared(session,
                                 std::string(kEraseInbound) + "WHERE contact_id = $1 RETURNING id",
                                 {std::to_string(contact_id)}));
}

}  // namespace karton::messaging::repository
