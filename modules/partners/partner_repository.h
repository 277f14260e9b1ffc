// Every SQL statement of the partners module. Rows come back as protobuf
// messages: PostgreSQL builds each row's protobuf JSON (one expression per
// resource), and writes go in as one JSON document spread onto the columns
// with jsonb_populate_record, so the mapping between the API and the tables
// lives in one place each way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/partners/v1/partner.pb.h"

namespace soci {
class session;
}  // namespace soci

typedef struct pg_conn PGconn;

namespace karton::partners::repository {

using kernel::TimePoint;

// Who is reading. Restricted (external) readers see only what is shared with
// user_id: an external partner its grants, nobody (user 0) nothing. The
// default is restricted, so a forgotten visibility hides rather than shows;
// staff and kartond's own reads say Everyone() (see VisibilityOf).
struct Visibility {
  bool external = true;
  std::int64_t user_id = 0;

  static Visibility Everyone() { return {false, 0}; }
};

// --- partners ---------------------------------------------------------------

// The document jsonb_populate_record spreads onto partners.partner's
// columns; with `columns`, only those keys.
std::string StorageJson(const v1::Partner& partner,
                        const std::vector<std::string>* columns = nullptr);
// Partners by id, in the order asked (missing ones left out).
std::vector<v1::Partner> FindPartners(soci::session& session, const std::vector<std::int64_t>& ids);

std::optional<v1::Partner> FindPartner(soci::session& session, std::int64_t id,
                                       const Visibility& visibility, bool lock = false);
// Whether the partner is shared with the user on the partner itself (or
// through a team), not only shown as the card of a shared deal.
bool IsSharedDirectly(soci::session& session, std::int64_t partner_id, std::int64_t user_id);
std::optional<std::int64_t> FindPartnerByRequestId(soci::session& session,
                                                   const std::string& request_id);
// Serialises creates of one request_id until the transaction ends.
void LockRequestId(soci::session& session, const std::string& request_id);
// `partner` is validated and normalised; returns the stored row (without
// external ids, which ReplaceExternalIds stores).
v1::Partner InsertPartner(soci::session& session, const v1::Partner& partner,
                          const std::string& request_id, TimePoint now);
// Writes every stored field of `partner` and bumps the version.
void UpdatePartner(soci::session& session, const v1::Partner& partner, TimePoint now);
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

// --- contacts (contact_repository.cpp) --------------------------------------

// The document jsonb_populate_record spreads onto partners.contact.
std::string ContactStorageJson(const v1::Contact& contact);
std::optional<v1::Contact> FindContact(soci::session& session, std::int64_t id,
                                       const Visibility& visibility, bool lock = false);
std::optional<std::int64_t> FindContactByRequestId(soci::session& session,
                                                   const std::string& request_id);
std::int64_t InsertContact(soci::session& session, std::int64_t partner_id,
                           const v1::Contact& contact, const std::string& request_id,
                           TimePoint now);
void UpdateContact(soci::session& session, const v1::Contact& contact, TimePoint now);
// Clears the primary flag of the partner's other contacts.
void ClearOtherPrimaryContacts(soci::session& session, std::int64_t partner_id,
                               std::int64_t keep_contact_id, TimePoint now);
bool DeleteContact(soci::session& session, std::int64_t id);
void ReplaceContactExternalIds(soci::session& session, std::int64_t id,
                               const google::protobuf::Map<std::string, std::string>& external_ids);
std::optional<std::int64_t> FindContactByExternalId(soci::session& session,
                                                    const std::string& source,
                                                    const std::string& key);
struct ListedContact {
  v1::Contact contact;
  std::string key;  // "<0|1><name>": not-primary flag and name, for the page token
};
// The primary contact first, then by name; after the keyset position.
std::vector<ListedContact> ListContacts(soci::session& session, std::int64_t partner_id,
                                        const std::optional<std::string>& after_key,
                                        std::int64_t after_id, int limit);

// --- the timeline (timeline_repository.cpp) ---------------------------------

std::optional<v1::Interaction> FindInteraction(soci::session& session, std::int64_t id);
std::optional<std::int64_t> FindInteractionByReference(soci::session& session,
                                                       const std::string& source_module,
                                                       const std::string& reference);
// `interaction` is validated; source_module and occur_time are set.
std::int64_t InsertInteraction(soci::session& session, const v1::Interaction& interaction,
                               TimePoint now);
struct ListedInteraction {
  v1::Interaction interaction;
  std::string key;  // occur_time as text, for the page token
};
// Newest first, after the keyset position. Restricted readers see only
// their own entries and those of records shared with them.
std::vector<ListedInteraction> ListTimeline(soci::session& session, std::int64_t partner_id,
                                            const Visibility& visibility,
                                            const std::optional<std::string>& after_time,
                                            std::int64_t after_id, int limit);

// --- documents (document_repository.cpp) ------------------------------------

// External partners see documents of records shared with them (and of the
// contacts of partners shared with them).
std::optional<v1::Document> FindDocument(soci::session& session, std::int64_t id,
                                         const Visibility& visibility);
// The next version number of `name` on the record; call under LockKey.
int NextDocumentVersion(soci::session& session, const std::string& resource_type,
                        std::int64_t resource_id, const std::string& name);
// A pending upload: invisible, without a version, until FinishDocument.
std::int64_t InsertPendingDocument(soci::session& session, const v1::Document& document,
                                   std::int64_t uploaded_by, TimePoint now);
// Deletes pending uploads begun before `before` (their kartond died).
int DeleteAbandonedUploads(soci::session& session, TimePoint before);
// Chunks go through libpq in binary: SOCI binds text, which cannot carry
// the NUL bytes of a file. `connection` is the session's own, so the
// chunks are part of its transaction.
void InsertDocumentChunk(PGconn* connection, std::int64_t document_id, int seq,
                         std::string_view data);
// Makes pending upload `id` a visible document of `version`; false when it
// is no longer pending (deleted as abandoned meanwhile).
bool FinishDocument(soci::session& session, std::int64_t id, int version, std::int64_t size_bytes,
                    const std::string& sha256, TimePoint now);
int DocumentChunkCount(soci::session& session, std::int64_t id);
// nullopt when the chunk does not exist (the document was deleted meanwhile).
std::optional<std::string> ReadDocumentChunk(PGconn* connection, std::int64_t document_id, int seq);
bool DeleteDocument(soci::session& session, std::int64_t id);
// The documents of a partner and of its contacts, when the partner goes.
void DeleteDocumentsOfPartner(soci::session& session, std::int64_t partner_id);
struct ListedDocument {
  v1::Document document;
};
// By name, newest version first (or only the newest of each name); after
// the keyset position (name, version).
std::vector<ListedDocument> ListDocuments(soci::session& session, const std::string& resource_type,
                                          std::int64_t resource_id, bool all_versions,
                                          const Visibility& visibility,
                                          const std::optional<std::string>& after_name,
                                          int after_version, int limit);

// --- duplicates and merging (duplicate_repository.cpp) ------------------------

// How alike two names must be to count as duplicates: pg_trgm similarity
// of their name keys (partners.name_key: folded, legal forms left out).
// 0.6 pairs "Kovács és Társa Kft." with "Kovacs es Tarsa Bt." and "Nagy
// Anna" with "Anna Nagy", not "Nagy Anna" with "Nagy Péter"
// (tests/e2e/partners_test.cpp holds such pairs).
inline constexpr double kSimilarNameThreshold = 0.6;

// Why two partners look like one.
struct DuplicateMatch {
  std::int64_t partner_id = 0;
  std::int64_t duplicate_id = 0;
  bool same_tax_number = false;
  bool same_email = false;
  bool same_phone = false;
  double name_similarity = 0;  // of the name keys (partners.name_key)
};
// The active partners that look like `partner_id`, strongest first (shared
// keys, then name similarity). Needs a transaction (it sets the similarity
// threshold for it).
std::vector<DuplicateMatch> FindDuplicatesOf(soci::session& session, std::int64_t partner_id,
                                             int limit);
struct DuplicateScan {
  std::vector<DuplicateMatch> matches;  // by (partner_id, duplicate_id)
  bool window_full = false;             // more partners may follow the window
  std::int64_t window_last_id = 0;
};
// Pairs of active partners (duplicate_id > partner_id) after the pair
// (after_partner, after_duplicate), looking at `window` partners from
// after_partner on. Needs a transaction, like FindDuplicatesOf.
DuplicateScan ScanDuplicates(soci::session& session, std::int64_t after_partner,
                             std::int64_t after_duplicate, int window, int limit);
// Moves contacts (the merged partner's primary one stays primary only when
// the kept partner has none), timeline entries and documents (as newer
// versions of names the kept partner has) to the kept partner.
void MoveToPartner(soci::session& session, std::int64_t merged_id, std::int64_t keep_id,
                   TimePoint now);
// Archives the merged partner, pointing at the kept one.
void MarkMerged(soci::session& session, std::int64_t merged_id, std::int64_t keep_id,
                TimePoint now);

// --- personal data erasure (personal_data_repository.cpp) ---------------------

// Sets erase_time (and archives the partner): the anonymised values are
// written with UpdatePartner / UpdateContact first.
void MarkPartnerErased(soci::session& session, std::int64_t id, TimePoint now);
void MarkContactErased(soci::session& session, std::int64_t id, TimePoint now);
std::vector<std::int64_t> ContactIdsOf(soci::session& session, std::int64_t partner_id);
// The partners merged into this one, directly or through others.
std::vector<std::int64_t> MergedInto(soci::session& session, std::int64_t partner_id);
// Blanks subject and body of the partner's timeline entries.
void EraseInteractionTexts(soci::session& session, std::int64_t partner_id);
// Deletes every version of every document of the record; returns their ids.
std::vector<std::int64_t> DeleteDocumentsOf(soci::session& session,
                                            const std::string& resource_type,
                                            std::int64_t resource_id);

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
