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
// Prepared once per connection, so a kernel::Transaction's BEGIN goes with
// the first of them.
const std::string kFindByReference =
    "SELECT id FROM partners.interaction WHERE source_module = $1 AND source_reference = $2";
// The new entry answered as FindInteraction reads it: no read after it.
const kernel::TypedQuery<v1::Interaction> kInsertInteraction(
    "INSERT INTO partners.interaction AS i (partner_id, contact_id, channel, direction, "
    "occur_time, user_id, subject, body, source_module, source_reference, create_time, "
    "resource_type, resource_id) VALUES (cast($1 AS bigint), nullif(cast($2 AS bigint), 0), $3, "
    "$4, cast($5 AS timestamptz), nullif(cast($6 AS bigint), 0), $7, $8, $9, nullif($10, ''), "
    "to_timestamp(cast($11 AS bigint) / 1e6), nullif($12, ''), nullif(cast($13 AS bigint), 0)) "
    "RETURNING " KARTON_INTERACTION_COLUMNS);

// The batch's statements: arrays in, one round trip each.
const std::string kTimelineReferences =
    "SELECT 'p', id, 0 FROM partners.partner WHERE id = ANY(cast($1 AS bigint[])) "
    "UNION ALL SELECT 'c', id, partner_id FROM partners.contact "
    "WHERE id = ANY(cast($2 AS bigint[])) "
    "UNION ALL SELECT 'u', id, 0 FROM kernel.user_account WHERE id = ANY(cast($3 AS bigint[]))";
// Entries with a source reference go in first, in the order of their
// references, so two batches naming the same references wait for each
// other in the same order and never deadlock; the rest follow in the order
// given, which their identity ids keep.
const kernel::TypedQuery<v1::Interaction> kInsertInteractions(
    "INSERT INTO partners.interaction AS i (partner_id, contact_id, channel, direction, "
    "occur_time, user_id, subject, body, source_module, source_reference, create_time, "
    "resource_type, resource_id) "
    "SELECT e.partner_id, nullif(e.contact_id, 0), e.channel, e.direction, "
    "cast(e.occur_time AS timestamptz), nullif(e.user_id, 0), e.subject, e.body, "
    "e.source_module, nullif(e.source_reference, ''), to_timestamp(cast($13 AS bigint) / 1e6), "
    "nullif(e.resource_type, ''), nullif(e.resource_id, 0) "
    "FROM unnest(cast($1 AS bigint[]), cast($2 AS bigint[]), cast($3 AS text[]), "
    "cast($4 AS text[]), cast($5 AS text[]), cast($6 AS bigint[]), cast($7 AS text[]), "
    "cast($8 AS text[]), cast($9 AS text[]), cast($10 AS text[]), cast($11 AS text[]), "
    "cast($12 AS bigint[])) WITH ORDINALITY AS e(partner_id, contact_id, channel, direction, "
    "occur_time, user_id, subject, body, source_module, source_reference, resource_type, "
    "resource_id, position) "
    "ORDER BY e.source_reference = '', e.source_module, e.source_reference, e.position "
    "ON CONFLICT (source_module, source_reference) DO NOTHING "
    "RETURNING " KARTON_INTERACTION_COLUMNS);
const kernel::TypedQuery<v1::Interaction> kFindInteractionsByReference(
    "SELECT " KARTON_INTERACTION_COLUMNS
    " FROM unnest(cast($1 AS text[]), cast($2 AS text[])) AS r(source_module, reference) "
    "JOIN partners.interaction i ON i.source_module = r.source_module "
    "AND i.source_reference = r.reference");

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
  const auto rows = kernel::RunPrepared(session, kFindByReference, {source_module, reference});
  if (rows.Count() == 0) return std::nullopt;
  return std::stoll(std::string(rows.Text(0, 0)));
}

v1::Interaction InsertInteraction(soci::session& session, const v1::Interaction& interaction,
                                  TimePoint now) {
  return kInsertInteraction
      .One(session,
           {std::to_string(interaction.partner_id()), std::to_string(interaction.contact_id()),
            Word(v1::InteractionChannel_Name(interaction.channel()), "INTERACTION_CHANNEL_"),
            Word(v1::InteractionDirection_Name(interaction.direction()), "INTERACTION_DIRECTION_"),
            google::protobuf::util::TimeUtil::ToString(interaction.occur_time()),
            std::to_string(interaction.user_id()), interaction.subject(), interaction.body(),
            interaction.source_module(), interaction.source_reference(),
            std::to_string(ToEpochMicros(now)), interaction.resource_type(),
            std::to_string(interaction.resource_id())})
      .value();
}

TimelineReferences FindTimelineReferences(soci::session& session,
                                          const std::vector<std::int64_t>& partner_ids,
                                          const std::vector<std::int64_t>& contact_ids,
                                          const std::vector<std::int64_t>& user_ids) {
  const auto rows = kernel::RunPrepared(
      session, kTimelineReferences,
      {kernel::IntegerArrayLiteral(partner_ids), kernel::IntegerArrayLiteral(contact_ids),
       kernel::IntegerArrayLiteral(user_ids)});
  TimelineReferences found;
  for (int row = 0; row < rows.Count(); ++row) {
    const std::int64_t id = std::stoll(std::string(rows.Text(row, 1)));
    switch (rows.Text(row, 0).front()) {
      case 'p':
        found.partners.insert(id);
        break;
      case 'c':
        found.contact_partners[id] = std::stoll(std::string(rows.Text(row, 2)));
        break;
      default:
        found.users.insert(id);
    }
  }
  return found;
}

std::vector<v1::Interaction> InsertInteractions(soci::session& session,
                                                const std::vector<v1::Interaction>& entries,
                                                TimePoint now) {
  std::vector<std::int64_t> partner_ids, contact_ids, user_ids, resource_ids;
  std::vector<std::string> channels, directions, occur_times, subjects, bodies, modules, references,
      resource_types;
  for (const auto& entry : entries) {
    partner_ids.push_back(entry.partner_id());
    contact_ids.push_back(entry.contact_id());
    channels.push_back(Word(v1::InteractionChannel_Name(entry.channel()), "INTERACTION_CHANNEL_"));
    directions.push_back(
        Word(v1::InteractionDirection_Name(entry.direction()), "INTERACTION_DIRECTION_"));
    occur_times.push_back(google::protobuf::util::TimeUtil::ToString(entry.occur_time()));
    user_ids.push_back(entry.user_id());
    subjects.push_back(entry.subject());
    bodies.push_back(entry.body());
    modules.push_back(entry.source_module());
    references.push_back(entry.source_reference());
    resource_types.push_back(entry.resource_type());
    resource_ids.push_back(entry.resource_id());
  }
  return kInsertInteractions.All(
      session, {kernel::IntegerArrayLiteral(partner_ids), kernel::IntegerArrayLiteral(contact_ids),
                kernel::TextArrayLiteral(channels), kernel::TextArrayLiteral(directions),
                kernel::TextArrayLiteral(occur_times), kernel::IntegerArrayLiteral(user_ids),
                kernel::TextArrayLiteral(subjects), kernel::TextArrayLiteral(bodies),
                kernel::TextArrayLiteral(modules), kernel::TextArrayLiteral(references),
                kernel::TextArrayLiteral(resource_types), kernel::IntegerArrayLiteral(resource_ids),
                std::to_string(ToEpochMicros(now))});
}

std::vector<v1::Interaction> FindInteractionsByReference(
    soci::session& session, const std::vector<std::pair<std::string, std::string>>& references) {
  std::vector<std::string> modules, keys;
  for (const auto& [module, key] : references) {
    modules.push_back(module);
    keys.push_back(key);
  }
  return kFindInteractionsByReference.All(
      session, {kernel::TextArrayLiteral(modules), kernel::TextArrayLiteral(keys)});
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
