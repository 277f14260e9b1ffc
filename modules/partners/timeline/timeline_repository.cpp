// The SQL of the timeline.
#include "timeline/timeline_repository.h"

#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>

#include <stdexcept>

#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"
#include "visibility.h"

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

// The columns an Interaction reads from, by field name (typed rows: no
// JSON is built in the database and none parsed here).
#define KARTON_INTERACTION_COLUMNS                                                              \
  "i.id, i.partner_id, coalesce(i.contact_id, 0) AS contact_id, i.channel, i.direction, "       \
  "(extract(epoch FROM i.occur_time) * 1000000)::bigint AS occur_time, "                        \
  "coalesce(i.user_id, 0) AS user_id, i.subject, i.body, i.source_module, "                     \
  "coalesce(i.source_reference, '') AS source_reference, "                                      \
  "coalesce(i.resource_type, '') AS resource_type, coalesce(i.resource_id, 0) AS resource_id, " \
  "(extract(epoch FROM i.create_time) * 1000000)::bigint AS create_time"

const kernel::TypedQuery<v1::Interaction> kFindInteraction(
    "SELECT " KARTON_INTERACTION_COLUMNS " FROM partners.interaction i WHERE i.id = $1");
// Lists differ only in their WHERE clause: one shape, planned once.
const kernel::RowShape<v1::Interaction> kListedShape;
constexpr const char* kFindByReference =
    "SELECT id FROM partners.interaction WHERE source_module = :module AND "
    "source_reference = :reference";
constexpr const char* kInsertInteraction =
    "INSERT INTO partners.interaction (partner_id, contact_id, channel, direction, occur_time, "
    "user_id, subject, body, source_module, source_reference, create_time, resource_type, "
    "resource_id) VALUES ("
    "cast(:partner_id AS bigint), nullif(cast(:contact_id AS bigint), 0), :channel, :direction, "
    "cast(:occur_time AS timestamptz), nullif(cast(:user_id AS bigint), 0), :subject, :body, "
    ":module, nullif(:reference, ''), to_timestamp(:now / 1e6), nullif(:resource_type, ''), "
    "nullif(cast(:resource_id AS bigint), 0)) RETURNING id";

std::string Word(const std::string& enum_name, const std::string& prefix) {
  std::string word = enum_name.substr(prefix.size());
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

}  // namespace

std::optional<v1::Interaction> FindInteraction(soci::session& session, std::int64_t id) {
  return kFindInteraction.One(session, {std::to_string(id)});
}

std::optional<std::int64_t> FindInteractionByReference(soci::session& session,
                                                       const std::string& source_module,
                                                       const std::string& reference) {
  long long id = 0;
  session << kFindByReference, soci::use(source_module), soci::use(reference), soci::into(id);
  if (!session.got_data()) return std::nullopt;
  return id;
}

std::int64_t InsertInteraction(soci::session& session, const v1::Interaction& interaction,
                               TimePoint now) {
  const std::string partner = std::to_string(interaction.partner_id());
  const std::string contact = std::to_string(interaction.contact_id());
  const std::string channel =
      Word(v1::InteractionChannel_Name(interaction.channel()), "INTERACTION_CHANNEL_");
  const std::string direction =
      Word(v1::InteractionDirection_Name(interaction.direction()), "INTERACTION_DIRECTION_");
  const std::string occur_time =
      google::protobuf::util::TimeUtil::ToString(interaction.occur_time());
  const std::string user = std::to_string(interaction.user_id());
  const std::string resource_id = std::to_string(interaction.resource_id());
  long long now_us = ToEpochMicros(now), id = 0;
  session << kInsertInteraction, soci::use(partner), soci::use(contact), soci::use(channel),
      soci::use(direction), soci::use(occur_time), soci::use(user),
      soci::use(interaction.subject()), soci::use(interaction.body()),
      soci::use(interaction.source_module()), soci::use(interaction.source_reference()),
      soci::use(now_us), soci::use(interaction.resource_type()), soci::use(resource_id),
      soci::into(id);
  return id;
}

std::vector<ListedInteraction> ListTimeline(soci::session& session, std::int64_t partner_id,
                                            const Visibility& visibility,
                                            const std::optional<std::string>& after_time,
                                            std::int64_t after_id, int limit) {
  std::vector<std::string> params = {std::to_string(partner_id)};
  const auto next = [&params](std::string value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  std::string sql = "SELECT " KARTON_INTERACTION_COLUMNS
                    ", i.occur_time::text AS _key FROM partners.interaction i "
                    "WHERE i.partner_id = $1::bigint";
  if (visibility.external) {
    // What they logged themselves, what belongs to a record shared with
    // them, and the calls and meetings people logged on the partner once the
    // partner itself is shared with them (a shared deal shows the card, not
    // these); never a note among colleagues, a message's body (messaging's
    // copies belong to no shared record) or a call of another deal
    // (security review).
    const std::string user = next(std::to_string(visibility.user_id));
    sql += " AND ((i.source_module = 'partners' AND i.user_id = " + user +
           "::bigint) OR "
           "(i.direction <> 'internal' AND i.source_module = 'partners' AND "
           "(i.resource_type IS NULL OR i.resource_type = 'partners.partner') AND "
           "kernel.is_shared_directly_with('partners.partner', i.partner_id, " +
           user +
           "::bigint)) OR "
           "(i.direction <> 'internal' AND i.resource_type IS NOT NULL AND "
           "i.resource_type <> 'partners.partner' AND "
           "kernel.is_shared_with(i.resource_type, i.resource_id, " +
           user + "::bigint)))";
  }
  if (after_time) {
    const std::string time = next(*after_time);
    const std::string id = next(std::to_string(after_id));
    sql += " AND (i.occur_time, i.id) < (" + time + "::timestamptz, " + id + "::bigint)";
  }
  sql += " ORDER BY i.occur_time DESC, i.id DESC LIMIT " + next(std::to_string(limit)) + "::int";
  const std::vector<kernel::QueryParam> bound(params.begin(), params.end());
  const kernel::QueryRows rows = kernel::RunPrepared(session, sql, bound);
  std::vector<ListedInteraction> listed(static_cast<std::size_t>(rows.Count()));
  if (listed.empty()) return listed;
  const kernel::RowPlan& plan = kListedShape.PlanFor(rows);
  const int key_column = rows.Columns() - 1;
  for (int row = 0; row < rows.Count(); ++row) {
    auto& entry = listed[static_cast<std::size_t>(row)];
    plan.Read(rows, row, entry.interaction);
    entry.key = std::string(rows.Text(row, key_column));
  }
  return listed;
}

}  // namespace karton::partners::repository
