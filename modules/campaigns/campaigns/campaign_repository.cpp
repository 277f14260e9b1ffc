#include "campaigns/campaign_repository.h"

#include "campaigns_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::campaigns::campaign_repository {
namespace {

using sql::IdArray;
using sql::Micros;

// Statistics are counted from the recipients each time a campaign is read:
// delivery events change them all the time, and a count on the campaign's
// own rows is cheap (recipient_member index).
#define KARTON_CAMPAIGN_COLUMNS                                             \
  "c.id, c.name, c.description, c.segment_id, c.channel, c.template_name, " \
  "c.language, "         \
  KARTON_CAMPAIGNS_MICROS("c.send_time") " AS send_time, c.max_per_minute, c.state, "           \
  "c.create_user_id, c.version::text AS etag, " KARTON_CAMPAIGNS_MICROS(                         \
      "c.create_time") " AS create_time, " KARTON_CAMPAIGNS_MICROS("c.update_time")              \
  " AS update_time, " KARTON_CAMPAIGNS_MICROS("c.start_time") " AS start_time, "                 \
  KARTON_CAMPAIGNS_MICROS("c.complete_time") " AS complete_time, "                               \
  "st.recipients AS \"statistics.recipients\", st.pending AS \"statistics.pending\", "           \
  "st.queued AS \"statistics.queued\", st.sent AS \"statistics.sent\", "                         \
  "st.failed AS \"statistics.failed\", st.bounced AS \"statistics.bounced\", "                   \
  "st.suppressed AS \"statistics.suppressed\", st.unsubscribed AS \"statistics.unsubscribed\""

#define KARTON_CAMPAIGN_STATISTICS                                              \
  " CROSS JOIN LATERAL (SELECT count(*)::integer AS recipients, "               \
  "count(*) FILTER (WHERE r.status = 'pending')::integer AS pending, "          \
  "count(*) FILTER (WHERE r.status = 'queued')::integer AS queued, "            \
  "count(*) FILTER (WHERE r.status = 'sent')::integer AS sent, "                \
  "count(*) FILTER (WHERE r.status = 'failed')::integer AS failed, "            \
  "count(*) FILTER (WHERE r.status = 'bounced')::integer AS bounced, "          \
  "count(*) FILTER (WHERE r.status = 'suppressed')::integer AS suppressed, "    \
  "count(*) FILTER (WHERE r.status = 'unsubscribed')::integer AS unsubscribed " \
  "FROM campaigns.recipient r WHERE r.campaign_id = c.id) st"

const kernel::TypedQuery<v1::Campaign> kFind("SELECT " KARTON_CAMPAIGN_COLUMNS
                                             " FROM campaigns.campaign c" KARTON_CAMPAIGN_STATISTICS
                                             " WHERE c.id = $1");
const kernel::TypedQuery<v1::Campaign> kList(
    "SELECT " KARTON_CAMPAIGN_COLUMNS " FROM campaigns.campaign c" KARTON_CAMPAIGN_STATISTICS
    " WHERE ($1 = '' OR c.state = $1) AND ($2::bigint = 0 OR c.id < $2::bigint) "
    "ORDER BY c.id DESC LIMIT $3");

const kernel::TypedQuery<v1::CampaignRecipient> kPending(
    "SELECT r.id, r.campaign_id, r.partner_id, r.contact_id, r.status FROM campaigns.recipient r "
    "WHERE r.campaign_id = $1 AND r.status = 'pending' ORDER BY r.id LIMIT $2");
const kernel::TypedQuery<v1::CampaignRecipient> kListRecipients(
    "SELECT r.id, r.campaign_id, r.partner_id, r.contact_id, r.status, r.message_id, r.address, "
    "r.detail, " KARTON_CAMPAIGNS_MICROS("r.update_time") " AS update_time "
    "FROM campaigns.recipient r WHERE r.campaign_id = $1 AND ($2 = '' OR r.status = $2) "
    "AND r.id > $3 ORDER BY r.id LIMIT $4");

// The order statuses move in; a recipient's status never goes back.
#define KARTON_RECIPIENT_RANK(status)                                                     \
  "array_position(ARRAY['pending', 'queued', 'sent', 'failed', 'suppressed', 'bounced', " \
  "'unsubscribed'], " status ")"

}  // namespace

std::string StateWord(v1::CampaignState state) {
  switch (state) {
    case v1::CAMPAIGN_STATE_SCHEDULED:
      return "scheduled";
    case v1::CAMPAIGN_STATE_SENDING:
      return "sending";
    case v1::CAMPAIGN_STATE_COMPLETED:
      return "completed";
    case v1::CAMPAIGN_STATE_CANCELED:
      return "canceled";
    case v1::CAMPAIGN_STATE_DRAFT:
      return "draft";
    default:
      return "";
  }
}

std::string ChannelWord(v1::CampaignChannel channel) {
  switch (channel) {
    case v1::CAMPAIGN_CHANNEL_SMS:
      return "sms";
    case v1::CAMPAIGN_CHANNEL_LETTER:
      return "letter";
    default:
      return "email";
  }
}

v1::Campaign Insert(soci::session& session, const v1::Campaign& campaign, std::int64_t user_id,
                    kernel::TimePoint now) {
  const std::string send_time = campaign.has_send_time()
                                    ? std::to_string(campaign.send_time().seconds() * 1'000'000 +
                                                     campaign.send_time().nanos() / 1000)
                                    : "";
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO campaigns.campaign (name, description, segment_id, channel, template_name, "
      "language, send_time, max_per_minute, state, create_user_id, create_time, update_time) "
      "VALUES ($1, $2, $3::bigint, $4, $5, $6, " KARTON_CAMPAIGNS_AT(
          "nullif($7, '')") ", $8::integer, $9, $10::bigint, " KARTON_CAMPAIGNS_AT(
          "$11") ", " KARTON_CAMPAIGNS_AT("$11") ") RETURNING id",
      {campaign.name(), campaign.description(), std::to_string(campaign.segment_id()),
       ChannelWord(campaign.channel()), campaign.template_name(), campaign.language(), send_time,
       std::to_string(campaign.max_per_minute()), StateWord(campaign.state()),
       std::to_string(user_id), Micros(now)});
  return *Find(session, std::stoll(std::string(rows.Text(0, 0))));
}

std::optional<v1::Campaign> Find(soci::session& session, std::int64_t id, bool lock) {
  if (lock) {
    kernel::RunPrepared(session, "SELECT 1 FROM campaigns.campaign WHERE id = $1 FOR UPDATE",
                        {std::to_string(id)});
  }
  return kFind.One(session, {std::to_string(id)});
}

std::vector<v1::Campaign> List(soci::session& session, v1::CampaignState state,
                               std::int64_t before_id, int limit) {
  return kList.All(session, {StateWord(state), std::to_string(before_id), std::to_string(limit)});
}

v1::Campaign Update(soci::session& session, const v1::Campaign& campaign, kernel::TimePoint now) {
  const std::string send_time = campaign.has_send_time()
                                    ? std::to_string(campaign.send_time().seconds() * 1'000'000 +
                                                     campaign.send_time().nanos() / 1000)
                                    : "";
  kernel::RunPrepared(
      session,
      "UPDATE campaigns.campaign SET name = $2, description = $3, segment_id = $4::bigint, "
      "channel = $5, template_name = $6, language = $7, send_time = " KARTON_CAMPAIGNS_AT(
          "nullif($8, '')") ", max_per_minute = $9::integer, state = $10, update_time = "
      KARTON_CAMPAIGNS_AT("$11") ", version = version + 1 WHERE id = $1",
      {std::to_string(campaign.id()), campaign.name(), campaign.description(),
       std::to_string(campaign.segment_id()), ChannelWord(campaign.channel()),
       campaign.template_name(), campaign.language(), send_time,
       std::to_string(campaign.max_per_minute()), StateWord(campaign.state()), Micros(now)});
  return *Find(session, campaign.id());
}

v1::Campaign SetState(soci::session& session, std::int64_t id, v1::CampaignState state,
                      kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE campaigns.campaign SET state = $2, update_time = " KARTON_CAMPAIGNS_AT(
          "$3") ", start_time = CASE WHEN $2 = 'sending' THEN " KARTON_CAMPAIGNS_AT(
          "$3") " ELSE start_time END, complete_time = CASE WHEN $2 = 'completed' THEN "
      KARTON_CAMPAIGNS_AT("$3") " ELSE complete_time END, version = version + 1 WHERE id = $1",
      {std::to_string(id), StateWord(state), Micros(now)});
  return *Find(session, id);
}

bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id) {
  const auto rows = kernel::RunPrepared(
      session, "SELECT count(*) FROM campaigns.campaign WHERE lower(name) = lower($1) AND id <> $2",
      {name, std::to_string(except_id)});
  return rows.Text(0, 0) != "0";
}

void InsertRecipients(soci::session& session, std::int64_t campaign_id,
                      const NewRecipients& recipients, kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "INSERT INTO campaigns.recipient (campaign_id, partner_id, contact_id, status, update_time) "
      "SELECT $1::bigint, m.partner_id, m.contact_id, 'pending', " KARTON_CAMPAIGNS_AT(
          "$4") " FROM unnest($2::bigint[], $3::bigint[]) AS m (partner_id, contact_id) "
                "ON CONFLICT (campaign_id, partner_id, contact_id) DO NOTHING",
      {std::to_string(campaign_id), IdArray(recipients.partner_ids),
       IdArray(recipients.contact_ids), Micros(now)});
}

std::vector<v1::CampaignRecipient> Pending(soci::session& session, std::int64_t campaign_id,
                                           int limit) {
  return kPending.All(session, {std::to_string(campaign_id), std::to_string(limit)});
}

bool AnyPending(soci::session& session, std::int64_t campaign_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT EXISTS (SELECT 1 FROM campaigns.recipient WHERE campaign_id = $1 AND status = "
      "'pending')",
      {std::to_string(campaign_id)});
  return rows.Text(0, 0) == "t";
}

void Record(soci::session& session, std::int64_t campaign_id, const RecipientOutcome& outcome,
            kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE campaigns.recipient SET status = $3, message_id = CASE WHEN $4::bigint <> 0 THEN "
      "$4::bigint ELSE message_id END, address = CASE WHEN $5 <> '' THEN $5 ELSE address END, "
      "detail = $6, update_time = " KARTON_CAMPAIGNS_AT(
          "$7") " WHERE id = $1 AND campaign_id = $2 AND " KARTON_RECIPIENT_RANK(
          "status") " <= " KARTON_RECIPIENT_RANK("$3::text"),
      {std::to_string(outcome.recipient_id), std::to_string(campaign_id), outcome.status,
       std::to_string(outcome.message_id), outcome.address, outcome.detail, Micros(now)});
}

void MarkUnsubscribed(soci::session& session, std::int64_t message_id, kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE campaigns.recipient SET status = 'unsubscribed', update_time = " KARTON_CAMPAIGNS_AT(
          "$2") " WHERE message_id = $1 AND message_id <> 0",
      {std::to_string(message_id), Micros(now)});
}

std::vector<v1::CampaignRecipient> ListRecipients(soci::session& session, std::int64_t campaign_id,
                                                  const std::string& status, std::int64_t after_id,
                                                  int limit) {
  return kListRecipients.All(session, {std::to_string(campaign_id), status,
                                       std::to_string(after_id), std::to_string(limit)});
}

}  // namespace karton::campaigns::campaign_repository
