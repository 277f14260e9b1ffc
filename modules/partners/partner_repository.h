// The partner card's SQL (partners.partner, custom field definitions).
// Rows come back as protobuf messages through typed rows (kernel::TypedQuery:
// columns named after the fields). CreatePartner and UpdatePartner bind a
// typed parameter per column; the set-based import writes a JSON document
// per row (StorageJson) that jsonb_populate_record spreads onto the columns.
// One repository per header: contacts, the timeline, documents, duplicates
// and personal data have their own, in the same namespace.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/partners/v1/partner.pb.h"
#include "visibility.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::partners::repository {

using kernel::TimePoint;

// The import's document that jsonb_populate_record spreads onto
// partners.partner's columns; with `columns`, only those keys. The same
// values as the typed parameters of CreatePartner and UpdatePartner
// (StoredParams in partner_repository.cpp): a field added to one is added
// to both.
std::string StorageJson(const v1::Partner& partner,
                        const std::vector<std::string>* columns = nullptr);
// Partners by id, in the order asked (missing ones left out); read
// set-based, so thousands at once are fine (an import's events).
std::vector<v1::Partner> FindPartners(soci::session& session, const std::vector<std::int64_t>& ids);
// The same, leaving out the ones the caller may not see.
std::vector<v1::Partner> FindPartners(soci::session& session, const std::vector<std::int64_t>& ids,
                                      const Visibility& visibility);

std::optional<v1::Partner> FindPartner(soci::session& session, std::int64_t id,
                                       const Visibility& visibility, bool lock = false);
// Whether the partner is shared with the user on the partner itself (or
// through a team), not only shown as the card of a shared deal.
bool IsSharedDirectly(soci::session& session, std::int64_t partner_id, std::int64_t user_id);
std::optional<std::int64_t> FindPartnerByRequestId(soci::session& session,
                                                   const std::string& request_id);
// `partner` is validated and normalised; returns the stored row (without
// external ids, which ReplaceExternalIds stores). Inserts nothing, and
// returns nullopt, when `request_id` names a partner already (waiting for
// a concurrent create of the same request to end first) or when
// `definitions_fingerprint` is given and the stored custom field
// definitions are no longer those (DefinitionsFingerprint).
std::optional<v1::Partner> InsertPartner(
    soci::session& session, const v1::Partner& partner, const std::string& request_id,
    TimePoint now, const std::optional<std::string>& definitions_fingerprint = std::nullopt);
// What InsertPartner compares with the stored definitions: "key.version"
// of each, in key order.
std::string DefinitionsFingerprint(
    const std::map<std::string, v1::CustomFieldDefinition>& definitions);
// Writes every stored field of `partner` and bumps the version; returns
// the row as stored, without external ids (ReplaceExternalIds stores them).
// Throws when the row is gone. With `definitions_fingerprint`, updates
// nothing and returns nullopt when the stored custom field definitions are
// no longer those (the caller holds the row's lock, so the row is there).
std::optional<v1::Partner> UpdatePartner(
    soci::session& session, const v1::Partner& partner, TimePoint now,
    const std::optional<std::string>& definitions_fingerprint = std::nullopt);
void SetArchived(soci::session& session, std::int64_t id, bool archived, TimePoint now);
// Throws the database's foreign-key error while other records refer to it.
bool DeletePartner(soci::session& session, std::int64_t id);
// Replaces the partner's external ids; throws the unique violation when a
// key of a source already belongs to another partner. A `new_partner` has
// none to delete first.
void ReplaceExternalIds(soci::session& session, std::int64_t id,
                        const google::protobuf::Map<std::string, std::string>& external_ids,
                        bool new_partner = false);
// The partner that holds `key` of `source`, if any.
std::optional<std::int64_t> FindByExternalId(soci::session& session, const std::string& source,
                                             const std::string& key);

// --- the group (parent_partner_id) ------------------------------------------

// Serialises the writes that change the group (a parent, a kind, a merge)
// until the transaction ends, so two of them cannot together make a cycle
// or a parent a person. Taken before any partner row is locked.
void LockHierarchy(soci::session& session);
// Whether `ancestor` is `partner_id` itself or above it: its parent, its
// parent's parent, and so on.
bool IsAtOrAbove(soci::session& session, std::int64_t ancestor, std::int64_t partner_id);
// The partners whose parent is `parent_id`, by id.
std::vector<std::int64_t> ChildrenOf(soci::session& session, std::int64_t parent_id);
// Gives the subsidiaries of `from` (except `to` itself) `to` as their
// parent, bumping their versions; returns their ids.
std::vector<std::int64_t> RepointChildren(soci::session& session, std::int64_t from,
                                          std::int64_t to, TimePoint now);

struct ListQuery {
  Visibility visibility;
  std::string filter_where;  // from ParseFilter: conditions on "p", placeholders :f0...
  std::vector<std::string> filter_params;
  bool include_archived = false;
  std::string order_column = "id";  // display_name | create_time | update_time | id
  bool descending = false;
  std::optional<std::string> after_key;  // keyset: the last row's key and id
  std::int64_t after_id = 0;
  int limit = 100;
};
struct Listed {
  v1::Partner partner;
  std::string key;  // its sort key as text, for the next page token
};
std::vector<Listed> ListPartners(soci::session& session, const ListQuery& query);

struct SearchQuery {
  Visibility visibility;
  std::string folded;  // the query, lower case without accents
  std::string digits;  // its digits when it looks like a phone or tax number; else ""
  bool include_archived = false;
  // keyset: the last row's key (its similarity, or its update_time in
  // microseconds since 1970) and id
  std::optional<std::string> after_key;
  std::int64_t after_id = 0;
  int limit = 20;
};
// For the rest of the transaction, prepared statements run on their generic
// plan. A LIMIT parameter makes PostgreSQL cost the generic plan of a list
// as if it read a tenth of the table, so by default it plans such a
// statement afresh at every call, for the same plan (a tenth of
// PostgreSQL's time for ListPartners' first page). Only for statements whose
// plan does not depend on their values.
void PreferGenericPlans(soci::session& session);
// Sets the planner up for the search statements below, for the rest of the
// transaction: no sequential scans. A LIKE '%fragment%' estimate is a guess,
// and a guess that a rare fragment is common would otherwise read the
// whole table.
void PlanSearch(soci::session& session);
// PostgreSQL's estimate of how many partners match, from the statistics
// ANALYZE keeps: good for common fragments (it tests the pattern against a
// sample of rows), a small floor for the rest. Ignores visibility.
std::int64_t EstimateMatches(soci::session& session, const SearchQuery& query);
// How many partners match (archived ones only if the query includes them),
// counting no further than `cap`: the cheap question "is this query too
// broad to rank?". Ignores visibility; meant for staff callers.
std::int64_t CountMatchesUpTo(soci::session& session, const SearchQuery& query, std::int64_t cap);
// Matches by trigram similarity, best first, then by id. Computes the
// similarity of every match, so its cost grows with their number.
std::vector<Listed> SearchBySimilarity(soci::session& session, const SearchQuery& query);
// Matches most recently changed first (update_time, id descending), walking
// the update_time index and stopping at `limit`: its cost grows with how
// rare the matches are, not with their number.
std::vector<Listed> SearchRecentlyChanged(soci::session& session, const SearchQuery& query);

// Serialises writers of one key (a request_id) until the transaction ends.
void LockKey(soci::session& session, const std::string& key);

// --- custom field definitions -------------------------------------------------

std::vector<v1::CustomFieldDefinition> ListDefinitions(soci::session& session);
std::optional<v1::CustomFieldDefinition> FindDefinition(soci::session& session,
                                                        const std::string& key, bool lock);
// Throws the unique violation when the key exists. Returns the definition's
// number (what the audit trail and events name it by).
std::int64_t InsertDefinition(soci::session& session, const v1::CustomFieldDefinition& definition,
                              TimePoint now);
std::int64_t DefinitionId(soci::session& session, const std::string& key);
void UpdateDefinition(soci::session& session, const v1::CustomFieldDefinition& definition,
                      TimePoint now);
// How many partners hold `value` in custom field `key`.
long long CountCustomValue(soci::session& session, const std::string& key,
                           const std::string& value);

}  // namespace karton::partners::repository
