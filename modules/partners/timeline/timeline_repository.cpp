// The SQL of the timeline.
#include "timeline/timeline_repository.h"

#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>

#include <stdexcept>

#include "karton/kernel/proto_json.h"
#include "visibility.h"

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

#define KARTON_INTERACTION_JSON                                                                  \
  "jsonb_build_object('id', i.id::text, 'partnerId', i.partner_id::text, "                       \
  "'contactId', coalesce(i.contact_id, 0)::text, "                                               \
  "'channel', 'INTERACTION_CHANNEL_' || upper(i.channel), "                                      \
  "'direction', 'INTERACTION_DIRECTION_' || upper(i.direction), "                                \
  "'occurTime', to_char(i.occur_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
  "'userId', coalesce(i.user_id, 0)::text, 'subject', i.subject, 'body', i.body, "               \
  "'sourceModule', i.source_module, 'sourceReference', coalesce(i.source_reference, ''), "       \
  "'resourceType', coalesce(i.resource_type, ''), 'resourceId', coalesce(i.resource_id, "        \
  "0)::text, "                                                                                   \
  "'createTime', to_char(i.create_time AT TIME ZONE 'UTC', "                                     \
  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))::text"

constexpr const char* kFindInteraction =
    "SELECT " KARTON_INTERACTION_JSON " FROM partners.interaction i WHERE i.id = :id";
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

v1::Interaction InteractionFromJson(const std::string& json) {
  v1::Interaction interaction;
  try {
    kernel::ParseProtoJson(json, interaction);
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error("a stored interaction does not read back: " +
                             std::string(error.what()));
  }
  return interaction;
}

}  // namespace

std::optional<v1::Interaction> FindInteraction(soci::session& session, std::int64_t id) {
  long long interaction_id = id;
  std::string json;
  session << kFindInteraction, soci::use(interaction_id), soci::into(json);
  if (!session.got_data()) return std::nullopt;
  return InteractionFromJson(json);
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
  std::string sql = "SELECT " KARTON_INTERACTION_JSON
                    ", i.occur_time::text FROM partners.interaction i "
                    "WHERE i.partner_id = cast(:partner_id AS bigint)";
  if (visibility.external) {
    // What they logged themselves, what belongs to a record shared with
    // them, and the calls and meetings people logged on the partner once the
    // partner itself is shared with them (a shared deal shows the card, not
    // these); never a note among colleagues, a message's body (messaging's
    // copies belong to no shared record) or a call of another deal
    // (security review).
    sql +=
        " AND ((i.source_module = 'partners' AND i.user_id = cast(:own_user AS bigint)) OR "
        "(i.direction <> 'internal' AND i.source_module = 'partners' AND "
        "(i.resource_type IS NULL OR i.resource_type = 'partners.partner') AND "
        "kernel.is_shared_directly_with('partners.partner', i.partner_id, "
        "cast(:direct_user AS bigint))) OR "
        "(i.direction <> 'internal' AND i.resource_type IS NOT NULL AND "
        "i.resource_type <> 'partners.partner' AND "
        "kernel.is_shared_with(i.resource_type, i.resource_id, cast(:shared_user AS bigint))))";
    params.push_back(std::to_string(visibility.user_id));
    params.push_back(std::to_string(visibility.user_id));
    params.push_back(std::to_string(visibility.user_id));
  }
  if (after_time) {
    sql +=
        " AND (i.occur_time, i.id) < (cast(:after_time AS timestamptz), "
        "cast(:after_id AS bigint))";
    params.push_back(*after_time);
    params.push_back(std::to_string(after_id));
  }
  sql += " ORDER BY i.occur_time DESC, i.id DESC LIMIT cast(:limit AS int)";
  params.push_back(std::to_string(limit));
  auto prepared = (session.prepare << sql);
  for (const auto& param : params) prepared, soci::use(param);
  soci::rowset<soci::row> rows(prepared);
  std::vector<ListedInteraction> listed;
  for (const auto& row : rows) {
    listed.push_back({InteractionFromJson(row.get<std::string>(0)), row.get<std::string>(1)});
  }
  return listed;
}

}  // namespace karton::partners::repository
