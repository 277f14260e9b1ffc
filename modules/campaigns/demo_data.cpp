#include "demo_data.h"

#include <chrono>

#include "campaigns/campaign_repository.h"
#include "campaigns_sql.h"
#include "karton/kernel/module.h"
#include "karton/kernel/prepared_query.h"
#include "segments/segment_repository.h"

namespace karton::campaigns {

void LoadCampaignsDemoData(kernel::ModuleContext& context, soci::session& session) {
  const auto now = context.Time().Now();
  v1::Segment subscribers;
  subscribers.set_name("Hírlevél-feliratkozók");
  subscribers.set_description("Everyone tagged newsletter: the autumn campaign's audience.");
  subscribers.set_members(v1::SEGMENT_MEMBERS_PARTNERS);
  subscribers.set_filter("tag = \"newsletter\"");
  subscribers = segment_repository::Insert(session, subscribers, 0, now);

  v1::Segment forgotten;
  forgotten.set_name("Budapesti ügyfelek, fél éve nem hívtuk");
  forgotten.set_description(
      "Customers in Budapest with nothing on their timeline for six months: a call list's "
      "audience.");
  forgotten.set_members(v1::SEGMENT_MEMBERS_CONTACTS);
  forgotten.set_filter(
      "customer = true and city = \"Budapest\" and last_interaction_time < "
      "\"2026-06-01T00:00:00Z\"");
  segment_repository::Insert(session, forgotten, 0, now);

  // The autumn newsletter went out a month ago. Its recipients are the
  // subscribers as partners' demo data made them (read here, in the demo
  // transaction, as orders' demo data does); their statuses are what a
  // real send of this size looks like.
  v1::Campaign autumn;
  autumn.set_name("Őszi ajánlatok 2026");
  autumn.set_description("The autumn offers to every newsletter subscriber.");
  autumn.set_segment_id(subscribers.id());
  autumn.set_channel(v1::CAMPAIGN_CHANNEL_EMAIL);
  autumn.set_template_name("newsletter");
  autumn.set_language("hu");
  autumn.set_state(v1::CAMPAIGN_STATE_COMPLETED);
  const auto sent_at = now - std::chrono::hours(24 * 30);
  autumn.mutable_send_time()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(sent_at.time_since_epoch()).count());
  const auto campaign = campaign_repository::Insert(session, autumn, 0, sent_at);
  kernel::RunPrepared(
      session,
      "INSERT INTO campaigns.recipient (campaign_id, partner_id, contact_id, status, address, "
      "detail, update_time) SELECT $1::bigint, p.id, 0, CASE WHEN cardinality(p.emails) = 0 "
      "THEN 'suppressed' WHEN p.id % 29 = 0 THEN 'bounced' WHEN p.id % 23 = 0 THEN "
      "'unsubscribed' ELSE 'sent' END, coalesce(p.emails[1], ''), CASE WHEN "
      "cardinality(p.emails) = 0 THEN 'the partner or contact has no email address' WHEN p.id % "
      "29 = 0 THEN '550 5.1.1 mailbox unavailable' ELSE '' END, " KARTON_CAMPAIGNS_AT(
          "$2") " FROM partners.partner p WHERE 'newsletter' = ANY (p.tags) AND p.merged_into_id "
                "IS NULL AND p.erase_time IS NULL ORDER BY p.id",
      {std::to_string(campaign.id()), sql::Micros(sent_at)});
  kernel::RunPrepared(
      session,
      "UPDATE campaigns.campaign SET start_time = " KARTON_CAMPAIGNS_AT(
          "$2") ", complete_time = " KARTON_CAMPAIGNS_AT("$2") " WHERE id = $1",
      {std::to_string(campaign.id()), sql::Micros(sent_at + std::chrono::minutes(4))});
}

}  // namespace karton::campaigns
