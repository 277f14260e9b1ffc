#include "event_store.h"

#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <cstring>
#include <stdexcept>

#include "event_topics.h"
#include "karton/kernel/copy.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "query_cells.h"
#include "sequencer_wakeup.h"

namespace karton::kernel::event_store {
namespace {

// A macro so each statement below stays one constant literal. Payloads
// travel as base64: SOCI binds text parameters, which cannot hold the NUL
// bytes of serialized protobuf.
#define KARTON_EVENT_COLUMNS(e)                               \
  e ".id, " e ".module, " e ".topic, " e ".aggregate_id, " e  \
    ".payload_type, "                                         \
    "encode(" e ".payload, 'base64'), (extract(epoch from " e \
    ".publish_time) * 1000000)::bigint, "                     \
    "coalesce(" e ".actor_user_id, 0)"
constexpr int kEventColumnCount = 8;

// Every publish runs it: prepared once per connection (RunPrepared).
const std::string kInsertOutbox = R"sql(
INSERT INTO kernel.event_outbox (module, topic, aggregate_id, payload_type, payload,
                                 publish_time, actor_user_id)
VALUES ($1, $2, $3, $4, decode($5, 'base64'),
        to_timestamp(cast($6 AS bigint) / 1e6), nullif(cast($7 AS bigint), 0)))sql";

// Sent with each event published outside a kernel::Transaction; it reaches
// the listeners at commit, once (PostgreSQL folds identical notifications of
// one transaction). A kernel::Transaction wakes the sequencer of its process
// after its COMMIT instead (sequencer_wakeup.h).
const std::string kNotifyOutbox = "SELECT pg_notify('karton_events', 'outbox')";

// Runs at once: outside a kernel::Transaction there is no COMMIT to queue
// it with.
void WakeSequencersByNotify(soci::session& session) { RunPrepared(session, kNotifyOutbox, {}); }

// The statements a sequencer move and every delivery round run are prepared
// once per connection (RunPrepared): sent unnamed, PostgreSQL planned each
// again every time, and planning cost more than running for most of them
// (pg_stat_statements with track_planning, docs/performance.md).

// Any constant both sides agree on; "karton.ev" in ASCII. A sequencer that
// stalls must not hold the lock (and every kartond's events) for long: the
// same statement bounds the transaction, as SET LOCAL would.
const std::string kTakeSequencerLock =
    "SELECT pg_try_advisory_xact_lock(7021735117657446)::int, "
    "set_config('statement_timeout', '30s', true), "
    "set_config('idle_in_transaction_session_timeout', '60s', true)";

// INSERT ... SELECT ... ORDER BY numbers the rows in that order, so the log
// keeps the outbox order among the rows moved together.
const std::string kMoveOutboxToLog = R"sql(
WITH moved AS (
  DELETE FROM kernel.event_outbox
  WHERE id IN (SELECT id FROM kernel.event_outbox ORDER BY id LIMIT cast($1 AS int))
  RETURNING *),
inserted AS (
  INSERT INTO kernel.event (module, topic, aggregate_id, payload_type, payload, publish_time,
                            actor_user_id)
  SELECT module, topic, aggregate_id, payload_type, payload, publish_time, actor_user_id
  FROM moved ORDER BY id
  RETURNING id, topic)
SELECT count(*), coalesce(max(id), 0), coalesce(string_agg(DISTINCT topic, ','), '')
FROM inserted)sql";

constexpr const char* kTopicsBetween =
    "SELECT coalesce(string_agg(DISTINCT topic, ','), '') FROM kernel.event "
    "WHERE id > :after AND id <= :through";

const std::string kNotifyLog = "SELECT pg_notify('karton_events', 'log ' || $1)";

#define KARTON_EVENT_HEAD \
  "greatest(coalesce(max(id), 0), (SELECT purged_through FROM kernel.event_retention))"
const std::string kHead = "SELECT " KARTON_EVENT_HEAD " FROM kernel.event";
constexpr const char* kPurgedThrough = "SELECT purged_through FROM kernel.event_retention";

// One statement, one snapshot: the head is exactly what the batch query saw.
const std::string kReadBatch =
    "SELECT h.head, h.purged, " KARTON_EVENT_COLUMNS("e") " FROM "
    "(SELECT " KARTON_EVENT_HEAD " AS head, "
    "(SELECT purged_through FROM kernel.event_retention) AS purged FROM kernel.event) h "
    "LEFT JOIN LATERAL "
    "(SELECT * FROM kernel.event WHERE id > cast($1 AS bigint) "
    "AND topic LIKE ANY (string_to_array($2, ',')) ORDER BY id LIMIT cast($3 AS int)) e ON true "
    "ORDER BY e.id";

#define KARTON_SUBSCRIPTION_COLUMNS                                                            \
  "s.id, s.name, s.kind, s.topics, s.cursor, s.active::int, s.disabled_reason, "               \
  "s.consecutive_failures, s.last_error, (extract(epoch from s.retry_at) * 1000000)::bigint, " \
  "(extract(epoch from s.last_success_at) * 1000000)::bigint, s.parked_count, "                \
  "(SELECT count(*) FROM kernel.event_parked p WHERE p.subscription_id = s.id "                \
  "AND p.state = 'retrying'), (extract(epoch from s.create_time) * 1000000)::bigint, "         \
  "coalesce(w.id, 0), coalesce(w.url, ''), coalesce(w.secret, ''), "                           \
  "(SELECT purged_through FROM kernel.event_retention)"
#define KARTON_SUBSCRIPTION_FROM \
  " FROM kernel.event_subscription s LEFT JOIN kernel.webhook w ON w.subscription_id = s.id "

constexpr const char* kRegisterModuleSubscription = R"sql(
INSERT INTO kernel.event_subscription (name, kind, topics, cursor, registered_at, create_time)
VALUES (:name, 'module', :topics,
        CASE WHEN :from_oldest = 1 THEN (SELECT purged_through FROM kernel.event_retention)
             ELSE (SELECT )sql" KARTON_EVENT_HEAD R"sql( FROM kernel.event) END,
        now(), to_timestamp(:now / 1e6))
ON CONFLICT (name) DO UPDATE SET topics = EXCLUDED.topics, registered_at = EXCLUDED.registered_at
RETURNING id)sql";

constexpr const char* kTouchModuleSubscriptions =
    "UPDATE kernel.event_subscription SET registered_at = now() "
    "WHERE kind = 'module' AND name = ANY (string_to_array(:names, ','))";

// Every read of subscription rows runs prepared and is read by one
// SubscriptionFromRow, the hot ones (the claim) and the rare ones alike.
const std::string kLoadSubscriptions =
    "SELECT " KARTON_SUBSCRIPTION_COLUMNS KARTON_SUBSCRIPTION_FROM
    "WHERE s.kind = 'webhook' OR s.name = ANY (string_to_array($1, ',')) ORDER BY s.id";

const std::string kListAllSubscriptions =
    "SELECT " KARTON_SUBSCRIPTION_COLUMNS KARTON_SUBSCRIPTION_FROM "ORDER BY s.name";

const std::string kFindSubscription =
    "SELECT " KARTON_SUBSCRIPTION_COLUMNS KARTON_SUBSCRIPTION_FROM "WHERE s.name = $1";

const std::string kFindWebhook = "SELECT " KARTON_SUBSCRIPTION_COLUMNS KARTON_SUBSCRIPTION_FROM
                                 "WHERE w.id = cast($1 AS bigint)";

const std::string kListWebhooks =
    "SELECT " KARTON_SUBSCRIPTION_COLUMNS KARTON_SUBSCRIPTION_FROM
    "WHERE w.id > cast($1 AS bigint) ORDER BY w.id LIMIT cast($2 AS int)";

// Claims the subscription and answers with its row, in one statement.
const std::string kClaim =
    "WITH s AS (UPDATE kernel.event_subscription "
    "SET claimed_by = $1, claim_until = clock_timestamp() + make_interval(secs => cast($2 AS int)) "
    "WHERE id = cast($3 AS bigint) AND active "
    "AND (claimed_by IS NULL OR claimed_by = $1 OR claim_until < clock_timestamp()) "
    "AND (retry_at IS NULL OR retry_at <= to_timestamp(cast($4 AS bigint) / 1e6)) "
    "RETURNING *) "
    "SELECT " KARTON_SUBSCRIPTION_COLUMNS
    " FROM s LEFT JOIN kernel.webhook w ON w.subscription_id = s.id";

const std::string kLockClaimed =
    "SELECT id FROM kernel.event_subscription WHERE id = cast($1 AS bigint) AND claimed_by = $2 "
    "AND cursor = cast($3 AS bigint) FOR UPDATE";

constexpr const char* kRenewClaim =
    "UPDATE kernel.event_subscription "
    "SET claim_until = clock_timestamp() + make_interval(secs => :lease) "
    "WHERE id = :id AND claimed_by = :node RETURNING id";

constexpr const char* kSkipDeleted =
    "UPDATE kernel.event_subscription SET cursor = :to, last_error = :note "
    "WHERE id = :id AND claimed_by = :node AND cursor = :from RETURNING id";

const std::string kRelease =
    "UPDATE kernel.event_subscription SET claimed_by = NULL, claim_until = NULL "
    "WHERE id = cast($1 AS bigint) AND claimed_by = $2";

const std::string kAdvanceCursor = R"sql(
UPDATE kernel.event_subscription
SET cursor = cast($1 AS bigint), consecutive_failures = 0, last_error = '', retry_at = NULL,
    last_success_at = to_timestamp(cast($2 AS bigint) / 1e6),
    claim_until = clock_timestamp() + make_interval(secs => cast($3 AS int))
WHERE id = cast($4 AS bigint) AND claimed_by = $5 AND cursor = cast($6 AS bigint)
RETURNING id)sql";

constexpr const char* kRecordFailure = R"sql(
UPDATE kernel.event_subscription
SET consecutive_failures = :failures, last_error = :error, retry_at = to_timestamp(:retry / 1e6)
WHERE id = :id AND claimed_by = :node)sql";

constexpr const char* kDisable = R"sql(
UPDATE kernel.event_subscription
SET active = false, disabled_reason = :reason, consecutive_failures = :failures,
    last_error = :error, retry_at = NULL, claimed_by = NULL, claim_until = NULL
WHERE id = :id AND claimed_by = :node)sql";

constexpr const char* kParkedAggregates =
    "SELECT aggregate_type, aggregate_id, min(event_id) FROM kernel.event_parked "
    "WHERE subscription_id = :id GROUP BY aggregate_type, aggregate_id";

constexpr const char* kPark = R"sql(
INSERT INTO kernel.event_parked (subscription_id, event_id, aggregate_type, aggregate_id, attempts,
                                 last_error, blocked_by_event_id, park_time)
VALUES (:subscription, :event, :aggregate_type, :aggregate_id, :attempts, :error,
        nullif(cast(:blocked_by AS bigint), 0), to_timestamp(:now / 1e6))
ON CONFLICT DO NOTHING)sql";

constexpr const char* kCountParked =
    "UPDATE kernel.event_subscription SET parked_count = "
    "(SELECT count(*) FROM kernel.event_parked WHERE subscription_id = :id1) WHERE id = :id2";

const std::string kRetryingEvents =
    "SELECT " KARTON_EVENT_COLUMNS("e") ", p.attempts, "
    "coalesce((SELECT min(q.event_id) FROM kernel.event_parked q "
    "WHERE q.subscription_id = p.subscription_id AND q.aggregate_type = p.aggregate_type "
    "AND q.aggregate_id = p.aggregate_id AND q.state = 'parked' AND q.event_id < p.event_id), 0) "
    "FROM kernel.event_parked p JOIN kernel.event e ON e.id = p.event_id "
    "WHERE p.subscription_id = cast($1 AS bigint) AND p.state = 'retrying' ORDER BY p.event_id";

constexpr const char* kUnpark =
    "DELETE FROM kernel.event_parked WHERE subscription_id = :subscription AND event_id = :event "
    "AND state = 'retrying' RETURNING event_id";

constexpr const char* kRepark = R"sql(
UPDATE kernel.event_parked
SET state = 'parked',
    attempts = attempts + CASE WHEN :error1 = '' THEN 0 ELSE 1 END,
    last_error = CASE WHEN :error2 = '' THEN last_error ELSE :error3 END,
    blocked_by_event_id = nullif(cast(:blocked_by AS bigint), 0)
WHERE subscription_id = :subscription AND event_id = :event)sql";

constexpr const char* kQueueParkedForRetry =
    "UPDATE kernel.event_parked SET state = 'retrying' "
    "WHERE subscription_id = :id AND state = 'parked' RETURNING event_id";

const std::string kListParked =
    "SELECT " KARTON_EVENT_COLUMNS("e") ", s.name, p.attempts, p.last_error, "
    "(extract(epoch from p.park_time) * 1000000)::bigint, coalesce(p.blocked_by_event_id, 0) "
    "FROM kernel.event_parked p JOIN kernel.event e ON e.id = p.event_id "
    "JOIN kernel.event_subscription s ON s.id = p.subscription_id "
    "WHERE ($1 = '' OR s.name = $1) AND p.event_id > cast($2 AS bigint) "
    "ORDER BY p.event_id, s.name LIMIT cast($3 AS int)";

constexpr const char* kFindWebhookByRequest =
    "SELECT id FROM kernel.webhook WHERE request_id = :request_id";

constexpr const char* kInsertWebhookSubscription = R"sql(
INSERT INTO kernel.event_subscription (name, kind, topics, cursor, create_time)
VALUES ('webhook.' || gen_random_uuid(), 'webhook', :topics,
        CASE WHEN cast(:after1 AS bigint) < 0
             THEN (SELECT )sql" KARTON_EVENT_HEAD R"sql( FROM kernel.event)
             ELSE cast(:after2 AS bigint) END,
        to_timestamp(:now / 1e6))
RETURNING id)sql";

constexpr const char* kInsertWebhook = R"sql(
INSERT INTO kernel.webhook (subscription_id, url, secret, request_id, create_time)
VALUES (:subscription, :url, :secret, nullif(:request_id, ''), to_timestamp(:now / 1e6))
RETURNING id)sql";

// The subscription is named after the webhook once its id is known.
constexpr const char* kNameWebhookSubscription =
    "UPDATE kernel.event_subscription SET name = 'webhook.' || :webhook WHERE id = :subscription";

constexpr const char* kDeleteWebhook = R"sql(
WITH gone AS (DELETE FROM kernel.webhook WHERE id = :id RETURNING subscription_id)
DELETE FROM kernel.event_subscription WHERE id IN (SELECT subscription_id FROM gone)
RETURNING id)sql";

constexpr const char* kEnableWebhook = R"sql(
UPDATE kernel.event_subscription
SET active = true, disabled_reason = '', consecutive_failures = 0, last_error = '',
    retry_at = NULL
WHERE id = (SELECT subscription_id FROM kernel.webhook WHERE id = :id)
RETURNING id)sql";

constexpr const char* kReplayWebhook = R"sql(
UPDATE kernel.event_subscription
SET cursor = :after, consecutive_failures = 0, last_error = '', retry_at = NULL
WHERE id = (SELECT subscription_id FROM kernel.webhook WHERE id = :id)
RETURNING id)sql";

// The horizon never passes the cursor of a live subscriber (an active
// webhook, or a module subscription some kartond registered within the
// retention period, by the database's clock: liveness is about processes,
// so a moved test clock does not orphan anyone).
constexpr const char* kAdvanceRetentionHorizon = R"sql(
WITH horizon AS (
  SELECT coalesce(max(id), 0) AS id FROM kernel.event
  WHERE publish_time < to_timestamp(:cutoff / 1e6)),
keep_from AS (
  SELECT least((SELECT id FROM horizon),
               coalesce((SELECT min(cursor) FROM kernel.event_subscription
                         WHERE active AND (kind = 'webhook'
                                           OR registered_at >= now() - make_interval(days => :days))),
                        (SELECT id FROM horizon))) AS id)
UPDATE kernel.event_retention
SET purged_through = greatest(purged_through, (SELECT id FROM keep_from))
RETURNING purged_through)sql";

// Parked events stay: they are still to be delivered.
constexpr const char* kDeleteEventsThrough = R"sql(
WITH doomed AS (
  SELECT e.id FROM kernel.event e
  WHERE e.id <= :through
    AND NOT EXISTS (SELECT 1 FROM kernel.event_parked p WHERE p.event_id = e.id)
  ORDER BY e.id LIMIT :limit),
deleted AS (DELETE FROM kernel.event WHERE id IN (SELECT id FROM doomed) RETURNING 1)
SELECT count(*) FROM deleted)sql";

TimePoint FromMicros(long long micros) { return TimePoint(std::chrono::microseconds(micros)); }

std::string ToBase64(const std::string& bytes) {
  std::string encoded(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL),
                      '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

// PostgreSQL's encode(..., 'base64') breaks lines every 76 characters.
std::string FromBase64(const std::string& text) {
  std::string bytes(text.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), "\n\r", &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    throw std::runtime_error("an event payload in the database is not valid base64");
  }
  bytes.resize(length);
  return bytes;
}

Event EventFromRow(const QueryRows& rows, int row, int first) {
  Event event;
  event.id = IntegerCell(rows, row, first);
  event.module = rows.Text(row, first + 1);
  event.topic = rows.Text(row, first + 2);
  event.aggregate_id = IntegerCell(rows, row, first + 3);
  event.payload_type = rows.Text(row, first + 4);
  event.payload = FromBase64(std::string(rows.Text(row, first + 5)));
  event.publish_time = FromMicros(IntegerCell(rows, row, first + 6));
  event.actor_user_id = IntegerCell(rows, row, first + 7);
  return event;
}

std::optional<TimePoint> OptionalTime(const QueryRows& rows, int row, int column) {
  if (rows.IsNull(row, column)) return std::nullopt;
  return FromMicros(IntegerCell(rows, row, column));
}

// The columns of KARTON_SUBSCRIPTION_COLUMNS.
SubscriptionRow SubscriptionFromRow(const QueryRows& rows, int row) {
  SubscriptionRow s;
  s.id = IntegerCell(rows, row, 0);
  s.name = rows.Text(row, 1);
  s.kind = rows.Text(row, 2);
  s.topics = rows.Text(row, 3);
  s.cursor = IntegerCell(rows, row, 4);
  s.active = IntegerCell(rows, row, 5) != 0;
  s.disabled_reason = rows.Text(row, 6);
  s.consecutive_failures = static_cast<int>(IntegerCell(rows, row, 7));
  s.last_error = rows.Text(row, 8);
  s.retry_at = OptionalTime(rows, row, 9);
  s.last_success_at = OptionalTime(rows, row, 10);
  s.parked_count = static_cast<int>(IntegerCell(rows, row, 11));
  s.retrying_count = static_cast<int>(IntegerCell(rows, row, 12));
  s.create_time = OptionalTime(rows, row, 13);
  s.webhook_id = IntegerCell(rows, row, 14);
  s.url = rows.Text(row, 15);
  s.secret = rows.Text(row, 16);
  s.purged_through = IntegerCell(rows, row, 17);
  return s;
}

std::vector<SubscriptionRow> SubscriptionsFrom(const QueryRows& rows) {
  std::vector<SubscriptionRow> subscriptions;
  subscriptions.reserve(static_cast<std::size_t>(rows.Count()));
  for (int row = 0; row < rows.Count(); ++row)
    subscriptions.push_back(SubscriptionFromRow(rows, row));
  return subscriptions;
}

std::optional<SubscriptionRow> OneSubscription(const QueryRows& rows) {
  if (rows.Count() == 0) return std::nullopt;
  return SubscriptionFromRow(rows, 0);
}

}  // namespace

void AppendToOutbox(soci::session& session, const OutboxEntry& entry) {
  const std::string payload = ToBase64(entry.payload);
  const std::string aggregate_id = std::to_string(entry.aggregate_id);
  const std::string publish_us = std::to_string(ToEpochMicros(entry.publish_time));
  const std::string actor = std::to_string(entry.actor_user_id);
  // Inside a kernel::Transaction the row goes out with its COMMIT, after
  // which the transaction wakes this process's sequencer itself: no NOTIFY,
  // which would serialise the commit with every other (sequencer_wakeup.h).
  RunPreparedLater(
      session, kInsertOutbox,
      {entry.module, entry.topic, aggregate_id, entry.payload_type, payload, publish_us, actor});
  if (!WakeSequencersAfterCommit(session)) WakeSequencersByNotify(session);
}

void AnnounceCredentialsChanged(soci::session& session) {
  const std::string kind = kCredentialsChangedNotification;
  session << "SELECT pg_notify('karton_events', :kind)", soci::use(kind);
}

#define KARTON_ERASE_PAYLOADS(table)                                                  \
  "UPDATE " table                                                                     \
  " SET payload = ''::bytea WHERE module = :module "                                  \
  "AND cast(:topics AS jsonb) ? topic AND aggregate_id = cast(:aggregate AS bigint) " \
  "AND payload <> ''::bytea"
constexpr const char* kErasePayloads = KARTON_ERASE_PAYLOADS("kernel.event");
constexpr const char* kEraseOutboxPayloads = KARTON_ERASE_PAYLOADS("kernel.event_outbox");
#undef KARTON_ERASE_PAYLOADS

void ErasePayloads(soci::session& session, const std::string& module,
                   const std::vector<std::string>& topics, std::int64_t aggregate_id) {
  boost::json::array names;
  for (const auto& topic : topics) names.emplace_back(topic);
  const std::string topics_json = boost::json::serialize(names);
  long long aggregate = aggregate_id;
  // No index serves (module, topic, aggregate): erasures are rare and
  // manual, and an index would cost every publish.
  // The outbox first: a move to the log that is under way holds the outbox
  // rows, so this waits for it to commit, and the log's UPDATE after it (a
  // new statement, a new snapshot) then sees the moved events. The other way
  // round the log was read before the move committed and the outbox after
  // it, and a moved payload escaped (seen once in CI). A move that starts
  // later waits for this transaction and moves the emptied payloads.
  for (const char* sql : {kEraseOutboxPayloads, kErasePayloads}) {
    session << sql, soci::use(module), soci::use(topics_json), soci::use(aggregate);
  }
}

void AppendManyToOutbox(soci::session& session, const std::vector<OutboxEntry>& entries) {
  if (entries.empty()) return;
  CopyIn copy(session,
              "COPY kernel.event_outbox (module, topic, aggregate_id, payload_type, payload, "
              "publish_time, actor_user_id) FROM STDIN");
  for (const auto& entry : entries) {
    copy.Field(entry.module);
    copy.Field(entry.topic);
    copy.Field(entry.aggregate_id);
    copy.Field(entry.payload_type);
    copy.Bytes(entry.payload);
    copy.Field(google::protobuf::util::TimeUtil::ToString(
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
            ToEpochMicros(entry.publish_time))));
    if (entry.actor_user_id == 0) {
      copy.Null();
    } else {
      copy.Field(entry.actor_user_id);
    }
    copy.EndRow();
  }
  copy.Finish();
  if (!WakeSequencersAfterCommit(session)) WakeSequencersByNotify(session);
}

namespace {
// "a.b,c.d" (topic names have no commas) -> {"a.b", "c.d"}.
std::vector<std::string> SplitTopicList(const std::string& list) {
  std::vector<std::string> topics;
  for (std::size_t start = 0; start < list.size();) {
    const auto comma = list.find(',', start);
    const auto end = comma == std::string::npos ? list.size() : comma;
    if (end > start) topics.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return topics;
}
}  // namespace

SequenceResult MoveOutboxToLog(soci::session& session, int limit) {
  SequenceResult result;
  soci::transaction transaction(session);
  if (IntegerCell(RunPrepared(session, kTakeSequencerLock, {}), 0, 0) == 0) {
    result.locked_out = true;
    return result;  // rolled back: another sequencer is at work
  }
  const std::string limit_text = std::to_string(limit);
  const QueryRows moved = RunPrepared(session, kMoveOutboxToLog, {limit_text});
  result.moved = static_cast<int>(IntegerCell(moved, 0, 0));
  const long long head = IntegerCell(moved, 0, 1);
  result.topics = SplitTopicList(std::string(moved.Text(0, 2)));
  if (result.moved > 0) {
    const std::string head_text = std::to_string(head);
    RunPrepared(session, kNotifyLog, {head_text});
  }
  transaction.commit();
  result.head = result.moved > 0 ? head : Head(session);
  return result;
}

std::vector<std::string> TopicsBetween(soci::session& session, std::int64_t after,
                                       std::int64_t through) {
  long long from = after, to = through;
  std::string topics;
  session << kTopicsBetween, soci::use(from), soci::use(to), soci::into(topics);
  return SplitTopicList(topics);
}

std::int64_t Head(soci::session& session) {
  return IntegerCell(RunPrepared(session, kHead, {}), 0, 0);
}

std::int64_t PurgedThrough(soci::session& session) {
  long long purged = 0;
  session << kPurgedThrough, soci::into(purged);
  return purged;
}

Batch ReadBatch(soci::session& session, std::int64_t after, const std::string& like_patterns,
                int limit) {
  Batch batch;
  const std::string after_text = std::to_string(after), limit_text = std::to_string(limit);
  const QueryRows rows = RunPrepared(session, kReadBatch, {after_text, like_patterns, limit_text});
  for (int row = 0; row < rows.Count(); ++row) {
    batch.head = IntegerCell(rows, row, 0);
    batch.purged_through = IntegerCell(rows, row, 1);
    if (rows.IsNull(row, 2)) continue;  // the head-only row
    batch.events.push_back(EventFromRow(rows, row, 2));
  }
  return batch;
}

std::int64_t RegisterModuleSubscription(soci::session& session, const std::string& name,
                                        const std::string& topics, bool from_oldest,
                                        TimePoint now) {
  const int oldest = from_oldest ? 1 : 0;
  long long now_us = ToEpochMicros(now), id = 0;
  session << kRegisterModuleSubscription, soci::use(name), soci::use(topics), soci::use(oldest),
      soci::use(now_us), soci::into(id);
  return id;
}

void TouchModuleSubscriptions(soci::session& session, const std::string& names) {
  session << kTouchModuleSubscriptions, soci::use(names);
}

std::vector<SubscriptionRow> LoadSubscriptions(soci::session& session, const std::string& names) {
  return SubscriptionsFrom(RunPrepared(session, kLoadSubscriptions, {names}));
}

std::vector<SubscriptionRow> ListAllSubscriptions(soci::session& session) {
  return SubscriptionsFrom(RunPrepared(session, kListAllSubscriptions, {}));
}

std::optional<SubscriptionRow> FindSubscription(soci::session& session, const std::string& name) {
  return OneSubscription(RunPrepared(session, kFindSubscription, {name}));
}

std::optional<SubscriptionRow> Claim(soci::session& session, std::int64_t id,
                                     const std::string& node, int lease_seconds, TimePoint now) {
  const std::string lease = std::to_string(lease_seconds), subscription = std::to_string(id),
                    now_us = std::to_string(ToEpochMicros(now));
  const QueryRows claimed = RunPrepared(session, kClaim, {node, lease, subscription, now_us});
  if (claimed.Count() == 0) return std::nullopt;
  return SubscriptionFromRow(claimed, 0);
}

void Release(soci::session& session, std::int64_t id, const std::string& node) {
  const std::string subscription = std::to_string(id);
  RunPrepared(session, kRelease, {subscription, node});
}

bool LockClaimed(soci::session& session, std::int64_t id, const std::string& node,
                 std::int64_t cursor) {
  const std::string subscription = std::to_string(id), at = std::to_string(cursor);
  return RunPrepared(session, kLockClaimed, {subscription, node, at}).Count() > 0;
}

bool RenewClaim(soci::session& session, std::int64_t id, const std::string& node,
                int lease_seconds) {
  long long subscription = id, renewed = 0;
  soci::indicator got = soci::i_null;
  session << kRenewClaim, soci::use(lease_seconds), soci::use(subscription), soci::use(node),
      soci::into(renewed, got);
  return session.got_data() && got == soci::i_ok;
}

bool SkipDeletedEvents(soci::session& session, std::int64_t id, const std::string& node,
                       std::int64_t from, std::int64_t to, const std::string& note) {
  long long subscription = id, from_id = from, to_id = to, moved = 0;
  soci::indicator got = soci::i_null;
  session << kSkipDeleted, soci::use(to_id), soci::use(note), soci::use(subscription),
      soci::use(node), soci::use(from_id), soci::into(moved, got);
  return session.got_data() && got == soci::i_ok;
}

bool AdvanceCursor(soci::session& session, std::int64_t id, const std::string& node,
                   std::int64_t from, std::int64_t to, TimePoint now, int lease_seconds) {
  const std::string to_id = std::to_string(to), now_us = std::to_string(ToEpochMicros(now)),
                    lease = std::to_string(lease_seconds), subscription = std::to_string(id),
                    from_id = std::to_string(from);
  return RunPrepared(session, kAdvanceCursor, {to_id, now_us, lease, subscription, node, from_id})
             .Count() > 0;
}

void RecordFailure(soci::session& session, std::int64_t id, const std::string& node, int failures,
                   const std::string& error, TimePoint retry_at) {
  long long subscription = id, retry_us = ToEpochMicros(retry_at);
  session << kRecordFailure, soci::use(failures), soci::use(error), soci::use(retry_us),
      soci::use(subscription), soci::use(node);
}

void DisableSubscription(soci::session& session, std::int64_t id, const std::string& node,
                         const std::string& reason, int failures, const std::string& error) {
  long long subscription = id;
  session << kDisable, soci::use(reason), soci::use(failures), soci::use(error),
      soci::use(subscription), soci::use(node);
}

std::map<std::pair<std::string, std::int64_t>, std::int64_t> ParkedAggregates(
    soci::session& session, std::int64_t subscription_id) {
  long long id = subscription_id;
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> parked;
  soci::rowset<soci::row> rows = (session.prepare << kParkedAggregates, soci::use(id));
  for (const auto& row : rows) {
    parked[{row.get<std::string>(0), row.get<long long>(1)}] = row.get<long long>(2);
  }
  return parked;
}

void Park(soci::session& session, std::int64_t subscription_id, const Event& event, int attempts,
          const std::string& error, std::int64_t blocked_by, TimePoint now) {
  long long subscription = subscription_id, event_id = event.id, aggregate_id = event.aggregate_id,
            blocked = blocked_by, now_us = ToEpochMicros(now);
  const std::string aggregate_type = AggregateTypeOf(event.topic);
  session << kPark, soci::use(subscription), soci::use(event_id), soci::use(aggregate_type),
      soci::use(aggregate_id), soci::use(attempts), soci::use(error), soci::use(blocked),
      soci::use(now_us);
  session << kCountParked, soci::use(subscription), soci::use(subscription);
}

std::vector<RetryingEvent> RetryingEvents(soci::session& session, std::int64_t subscription_id) {
  const QueryRows rows = RunPrepared(session, kRetryingEvents, {std::to_string(subscription_id)});
  std::vector<RetryingEvent> events;
  for (int row = 0; row < rows.Count(); ++row) {
    events.push_back({EventFromRow(rows, row, 0),
                      static_cast<int>(IntegerCell(rows, row, kEventColumnCount)),
                      IntegerCell(rows, row, kEventColumnCount + 1)});
  }
  return events;
}

bool Unpark(soci::session& session, std::int64_t subscription_id, std::int64_t event_id) {
  long long subscription = subscription_id, event = event_id, removed = 0;
  soci::indicator got = soci::i_null;
  session << kUnpark, soci::use(subscription), soci::use(event), soci::into(removed, got);
  if (!session.got_data() || got != soci::i_ok) return false;
  session << kCountParked, soci::use(subscription), soci::use(subscription);
  return true;
}

void Repark(soci::session& session, std::int64_t subscription_id, std::int64_t event_id,
            const std::string& error, std::int64_t blocked_by) {
  long long subscription = subscription_id, event = event_id, blocked = blocked_by;
  session << kRepark, soci::use(error), soci::use(error), soci::use(error), soci::use(blocked),
      soci::use(subscription), soci::use(event);
}

int QueueParkedForRetry(soci::session& session, std::int64_t subscription_id) {
  long long id = subscription_id;
  soci::rowset<long long> rows = (session.prepare << kQueueParkedForRetry, soci::use(id));
  int queued = 0;
  for (auto it = rows.begin(); it != rows.end(); ++it) ++queued;
  return queued;
}

std::vector<ParkedRow> ListParked(soci::session& session, const std::string& subscription,
                                  std::int64_t after_event_id, int limit) {
  const QueryRows rows = RunPrepared(
      session, kListParked, {subscription, std::to_string(after_event_id), std::to_string(limit)});
  std::vector<ParkedRow> parked;
  for (int row = 0; row < rows.Count(); ++row) {
    ParkedRow entry;
    entry.event = EventFromRow(rows, row, 0);
    entry.subscription = rows.Text(row, kEventColumnCount);
    entry.attempts = static_cast<int>(IntegerCell(rows, row, kEventColumnCount + 1));
    entry.last_error = rows.Text(row, kEventColumnCount + 2);
    entry.park_time = FromMicros(IntegerCell(rows, row, kEventColumnCount + 3));
    entry.blocked_by = IntegerCell(rows, row, kEventColumnCount + 4);
    parked.push_back(std::move(entry));
  }
  return parked;
}

SubscriptionRow CreateWebhook(soci::session& session, const NewWebhook& webhook, TimePoint now,
                              bool& created) {
  created = false;
  if (!webhook.request_id.empty()) {
    // Serialises two creates with one request_id; the loser finds the winner's.
    session << "SELECT pg_advisory_xact_lock(hashtext('karton.webhook.' || :r))",
        soci::use(webhook.request_id);
    long long existing = 0;
    session << kFindWebhookByRequest, soci::use(webhook.request_id), soci::into(existing);
    if (session.got_data()) return *FindWebhook(session, existing);
  }
  long long after = webhook.after_event_id, now_us = ToEpochMicros(now), subscription = 0,
            webhook_id = 0;
  session << kInsertWebhookSubscription, soci::use(webhook.topics), soci::use(after),
      soci::use(after), soci::use(now_us), soci::into(subscription);
  session << kInsertWebhook, soci::use(subscription), soci::use(webhook.url),
      soci::use(webhook.secret), soci::use(webhook.request_id), soci::use(now_us),
      soci::into(webhook_id);
  const std::string webhook_text = std::to_string(webhook_id);
  session << kNameWebhookSubscription, soci::use(webhook_text), soci::use(subscription);
  created = true;
  return *FindWebhook(session, webhook_id);
}

std::optional<SubscriptionRow> FindWebhook(soci::session& session, std::int64_t webhook_id) {
  return OneSubscription(RunPrepared(session, kFindWebhook, {std::to_string(webhook_id)}));
}

std::vector<SubscriptionRow> ListWebhooks(soci::session& session, std::int64_t after_id,
                                          int limit) {
  return SubscriptionsFrom(
      RunPrepared(session, kListWebhooks, {std::to_string(after_id), std::to_string(limit)}));
}

namespace {
bool ReturnsRow(soci::session& session, const char* sql, long long first, long long second = -1) {
  long long id = 0;
  soci::indicator got = soci::i_null;
  if (second < 0) {
    session << sql, soci::use(first), soci::into(id, got);
  } else {
    session << sql, soci::use(first), soci::use(second), soci::into(id, got);
  }
  return session.got_data() && got == soci::i_ok;
}
}  // namespace

bool DeleteWebhook(soci::session& session, std::int64_t webhook_id) {
  return ReturnsRow(session, kDeleteWebhook, webhook_id);
}

bool EnableWebhook(soci::session& session, std::int64_t webhook_id) {
  return ReturnsRow(session, kEnableWebhook, webhook_id);
}

bool ReplayWebhook(soci::session& session, std::int64_t webhook_id, std::int64_t after_event_id) {
  return ReturnsRow(session, kReplayWebhook, after_event_id, webhook_id);
}

std::int64_t AdvanceRetentionHorizon(soci::session& session, TimePoint cutoff, int retention_days) {
  long long cutoff_us = ToEpochMicros(cutoff), horizon = 0;
  session << kAdvanceRetentionHorizon, soci::use(cutoff_us), soci::use(retention_days),
      soci::into(horizon);
  return horizon;
}

long long DeleteEventsThrough(soci::session& session, std::int64_t through, int limit) {
  long long upper = through, deleted = 0;
  session << kDeleteEventsThrough, soci::use(upper), soci::use(limit), soci::into(deleted);
  return deleted;
}

}  // namespace karton::kernel::event_store
