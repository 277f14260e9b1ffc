#include "calls/call_list_repository.h"

#include "campaigns_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::campaigns::call_list_repository {
namespace {

using sql::IdArray;
using sql::Micros;

#define KARTON_CALL_LIST_COLUMNS                                \
  "l.id, l.name, l.segment_id, l.assignee_user_ids, l.script, " \
  "l.create_user_id, "             \
  KARTON_CAMPAIGNS_MICROS("l.create_time") " AS create_time, "                                \
  "st.entries AS \"statistics.entries\", st.open AS \"statistics.open\", "                    \
  "st.reached AS \"statistics.reached\", st.not_interested AS \"statistics.not_interested\", " \
  "st.wrong_number AS \"statistics.wrong_number\""

#define KARTON_CALL_LIST_STATISTICS                                                        \
  " CROSS JOIN LATERAL (SELECT count(*)::integer AS entries, "                             \
  "count(*) FILTER (WHERE e.open)::integer AS open, "                                      \
  "count(*) FILTER (WHERE e.last_outcome = 'reached')::integer AS reached, "               \
  "count(*) FILTER (WHERE e.last_outcome = 'not_interested')::integer AS not_interested, " \
  "count(*) FILTER (WHERE e.last_outcome = 'wrong_number')::integer AS wrong_number "      \
  "FROM campaigns.call_entry e WHERE e.call_list_id = l.id) st"

#define KARTON_CALL_ENTRY_COLUMNS \
  "e.id, e.call_list_id, e.partner_id, e.contact_id, e.display_name, e.phone, "                 \
  "e.assigned_user_id, e.last_outcome, e.open, e.attempts, e.note, " KARTON_CAMPAIGNS_MICROS(   \
      "e.call_back_time") " AS call_back_time, " KARTON_CAMPAIGNS_MICROS("e.last_call_time")    \
  " AS last_call_time"

const kernel::TypedQuery<v1::CallList> kFind(
    "SELECT " KARTON_CALL_LIST_COLUMNS " FROM campaigns.call_list l" KARTON_CALL_LIST_STATISTICS
    " WHERE l.id = $1");
const kernel::TypedQuery<v1::CallList> kList(
    "SELECT " KARTON_CALL_LIST_COLUMNS " FROM campaigns.call_list l" KARTON_CALL_LIST_STATISTICS
    " WHERE ($1::bigint = 0 OR l.id < $1::bigint) ORDER BY l.id DESC LIMIT $2");
const kernel::TypedQuery<v1::CallListEntry> kFindEntry(
    "SELECT " KARTON_CALL_ENTRY_COLUMNS " FROM campaigns.call_entry e WHERE e.id = $1");
const kernel::TypedQuery<v1::CallListEntry> kFindEntryLocked(
    "SELECT " KARTON_CALL_ENTRY_COLUMNS " FROM campaigns.call_entry e WHERE e.id = $1 FOR UPDATE");
const kernel::TypedQuery<v1::CallListEntry> kListEntries(
    "SELECT " KARTON_CALL_ENTRY_COLUMNS
    " FROM campaigns.call_entry e WHERE e.call_list_id = $1 AND ($2::bigint = 0 OR "
    "e.assigned_user_id = $2::bigint) AND (NOT $3::boolean OR e.open) AND e.id > $4 "
    "ORDER BY e.id LIMIT $5");
const kernel::TypedQuery<v1::CallListEntry> kRecordCall(
    "UPDATE campaigns.call_entry e SET last_outcome = $2, open = $3::boolean, attempts = "
    "$4::integer, note = $5, call_back_time = " KARTON_CAMPAIGNS_AT(
        "nullif($6, '')") ", last_call_time = " KARTON_CAMPAIGNS_AT(
        "$7") ", version = e.version + 1 WHERE e.id = $1 RETURNING " KARTON_CALL_ENTRY_COLUMNS);

std::string MicrosOf(const google::protobuf::Timestamp& time) {
  return std::to_string(time.seconds() * 1'000'000 + time.nanos() / 1000);
}

}  // namespace

std::string OutcomeWord(v1::CallOutcome outcome) {
  switch (outcome) {
    case v1::CALL_OUTCOME_REACHED:
      return "reached";
    case v1::CALL_OUTCOME_NO_ANSWER:
      return "no_answer";
    case v1::CALL_OUTCOME_CALL_BACK:
      return "call_back";
    case v1::CALL_OUTCOME_NOT_INTERESTED:
      return "not_interested";
    case v1::CALL_OUTCOME_WRONG_NUMBER:
      return "wrong_number";
    default:
      return "";
  }
}

v1::CallList Insert(soci::session& session, const v1::CallList& list,
                    const std::vector<v1::SegmentMember>& members, std::int64_t user_id,
                    kernel::TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO campaigns.call_list (name, segment_id, assignee_user_ids, script, "
      "create_user_id, create_time) VALUES ($1, $2::bigint, $3::bigint[], $4, "
      "$5::bigint, " KARTON_CAMPAIGNS_AT("$6") ") RETURNING id",
      {list.name(), std::to_string(list.segment_id()), IdArray(list.assignee_user_ids()),
       list.script(), std::to_string(user_id), Micros(now)});
  const std::string id(rows.Text(0, 0));
  // The members in turn: the first to the first assignee, and so on.
  std::vector<std::int64_t> partners, contacts, assignees;
  std::string names = "{", phones = "{";
  auto quoted = [](const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  for (std::size_t i = 0; i < members.size(); ++i) {
    partners.push_back(members[i].partner_id());
    contacts.push_back(members[i].contact_id());
    assignees.push_back(list.assignee_user_ids(
        static_cast<int>(i % static_cast<std::size_t>(list.assignee_user_ids_size()))));
    names += (i == 0 ? "" : ",") + quoted(members[i].display_name());
    phones += (i == 0 ? "" : ",") + quoted(members[i].phone());
  }
  names += "}";
  phones += "}";
  kernel::RunPrepared(
      session,
      "INSERT INTO campaigns.call_entry (call_list_id, partner_id, contact_id, display_name, "
      "phone, assigned_user_id) SELECT $1::bigint, m.partner_id, m.contact_id, m.display_name, "
      "m.phone, m.assigned_user_id FROM unnest($2::bigint[], $3::bigint[], $4::text[], "
      "$5::text[], $6::bigint[]) WITH ORDINALITY AS m (partner_id, contact_id, display_name, "
      "phone, assigned_user_id, position) ORDER BY m.position",
      {id, IdArray(partners), IdArray(contacts), names, phones, IdArray(assignees)});
  return *Find(session, std::stoll(id));
}

std::optional<v1::CallList> Find(soci::session& session, std::int64_t id) {
  return kFind.One(session, {std::to_string(id)});
}

std::vector<v1::CallList> List(soci::session& session, std::int64_t before_id, int limit) {
  return kList.All(session, {std::to_string(before_id), std::to_string(limit)});
}

std::optional<v1::CallListEntry> FindEntry(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindEntryLocked : kFindEntry).One(session, {std::to_string(id)});
}

std::vector<v1::CallListEntry> ListEntries(soci::session& session, const EntryFilter& filter,
                                           std::int64_t after_id, int limit) {
  return kListEntries.All(
      session,
      {std::to_string(filter.call_list_id), std::to_string(filter.assigned_user_id),
       filter.open_only ? "true" : "false", std::to_string(after_id), std::to_string(limit)});
}

v1::CallListEntry RecordCall(soci::session& session, const v1::CallListEntry& entry) {
  return *kRecordCall.One(
      session, {std::to_string(entry.id()), OutcomeWord(entry.last_outcome()),
                entry.open() ? "true" : "false", std::to_string(entry.attempts()), entry.note(),
                entry.has_call_back_time() ? MicrosOf(entry.call_back_time()) : "",
                MicrosOf(entry.last_call_time())});
}

}  // namespace karton::campaigns::call_list_repository
