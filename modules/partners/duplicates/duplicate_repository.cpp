// The SQL of duplicate detection and merging.
#include "duplicates/duplicate_repository.h"

#include <soci/soci.h>

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

// pg_trgm's % operator compares with the threshold of the transaction.
constexpr const char* kSetNameThreshold =
    "SELECT set_config('pg_trgm.similarity_threshold', :threshold, true)";

void SetNameThreshold(soci::session& session) {
  const std::string threshold = std::to_string(kSimilarNameThreshold);
  std::string previous;
  session << kSetNameThreshold, soci::use(threshold), soci::into(previous);
}

// Given partner `me` (with its name key as me_key), the partners `o` that
// share a key with it or have a similar name, and why. Every branch of the
// OR has its own index (tax number, the GIN indexes of emails and phones,
// the trigram index of name keys), so PostgreSQL combines bitmap scans
// instead of reading every partner.
#define KARTON_DUPLICATE_MATCH                                                       \
  "(me.tax_number <> '' AND o.tax_number = me.tax_number) OR o.emails && me.emails " \
  "OR o.phones && me.phones "                                                        \
  "OR partners.name_key(o.display_name) OPERATOR(kernel.%) me.me_key"
#define KARTON_DUPLICATE_REASONS                                                                \
  "(me.tax_number <> '' AND o.tax_number = me.tax_number)::int, (o.emails && me.emails)::int, " \
  "(o.phones && me.phones)::int, "                                                              \
  "kernel.similarity(partners.name_key(o.display_name), me.me_key)"

constexpr const char* kDuplicatesOf =
    "SELECT o.id, " KARTON_DUPLICATE_REASONS
    " FROM (SELECT p.*, partners.name_key(p.display_name) AS me_key FROM partners.partner p "
    "WHERE p.id = cast(:id AS bigint)) me "
    "JOIN partners.partner o ON o.id <> me.id AND NOT o.archived AND (" KARTON_DUPLICATE_MATCH
    ") ORDER BY ((me.tax_number <> '' AND o.tax_number = me.tax_number)::int + "
    "(o.emails && me.emails)::int + (o.phones && me.phones)::int) DESC, "
    "kernel.similarity(partners.name_key(o.display_name), me.me_key) DESC, o.id "
    "LIMIT cast(:limit AS int)";

// A window of partners in id order, each paired with its duplicates of a
// higher id, so every pair appears once.
constexpr const char* kScanDuplicates =
    "SELECT me.id, o.id, " KARTON_DUPLICATE_REASONS
    " FROM (SELECT p.*, partners.name_key(p.display_name) AS me_key FROM partners.partner p "
    "WHERE p.id >= cast(:after_partner AS bigint) AND NOT p.archived ORDER BY p.id "
    "LIMIT cast(:window AS int)) me "
    "JOIN partners.partner o ON o.id > me.id AND NOT o.archived AND (" KARTON_DUPLICATE_MATCH
    ") WHERE me.id > cast(:after_partner2 AS bigint) OR o.id > cast(:after_duplicate AS bigint) "
    "ORDER BY me.id, o.id LIMIT cast(:limit AS int)";
constexpr const char* kScanWindowEnd =
    "SELECT count(*), coalesce(max(id), 0) FROM (SELECT id FROM partners.partner "
    "WHERE id >= cast(:after_partner AS bigint) AND NOT archived ORDER BY id "
    "LIMIT cast(:window AS int)) w";

constexpr const char* kUnsetMergedPrimary =
    "UPDATE partners.contact SET is_primary = false WHERE partner_id = cast(:merged AS bigint) "
    "AND is_primary AND EXISTS (SELECT 1 FROM partners.contact k "
    "WHERE k.partner_id = cast(:keep AS bigint) AND k.is_primary)";
constexpr const char* kMoveContacts =
    "UPDATE partners.contact SET partner_id = cast(:keep AS bigint), "
    "update_time = to_timestamp(:now / 1e6), version = version + 1 "
    "WHERE partner_id = cast(:merged AS bigint)";
constexpr const char* kMoveInteractions =
    "UPDATE partners.interaction SET partner_id = cast(:keep AS bigint) "
    "WHERE partner_id = cast(:merged AS bigint)";
// A document whose name the kept partner also has becomes that name's
// newer versions; the subquery sees the rows as they were before the
// statement, so the offsets come from the kept partner's own versions.
constexpr const char* kMoveDocuments =
    "UPDATE partners.document d SET resource_id = cast(:keep AS bigint), "
    "version = d.version + coalesce((SELECT max(k.version) FROM partners.document k "
    "WHERE k.resource_type = 'partners.partner' AND k.resource_id = cast(:keep2 AS bigint) "
    "AND k.name = d.name), 0) "
    "WHERE d.resource_type = 'partners.partner' AND d.resource_id = cast(:merged AS bigint)";
constexpr const char* kMarkMerged =
    "UPDATE partners.partner SET merged_into_id = cast(:keep AS bigint), archived = true, "
    "update_time = to_timestamp(:now / 1e6), version = version + 1 "
    "WHERE id = cast(:merged AS bigint)";

DuplicateMatch ReadMatch(const soci::row& row, std::size_t first) {
  DuplicateMatch match;
  match.same_tax_number = row.get<int>(first) != 0;
  match.same_email = row.get<int>(first + 1) != 0;
  match.same_phone = row.get<int>(first + 2) != 0;
  match.name_similarity = row.get<double>(first + 3);
  return match;
}

}  // namespace

std::vector<DuplicateMatch> FindDuplicatesOf(soci::session& session, std::int64_t partner_id,
                                             int limit) {
  SetNameThreshold(session);
  long long id = partner_id;
  soci::rowset<soci::row> rows =
      (session.prepare << kDuplicatesOf, soci::use(id), soci::use(limit));
  std::vector<DuplicateMatch> matches;
  for (const auto& row : rows) {
    DuplicateMatch match = ReadMatch(row, 1);
    match.partner_id = partner_id;
    match.duplicate_id = row.get<long long>(0);
    matches.push_back(match);
  }
  return matches;
}

DuplicateScan ScanDuplicates(soci::session& session, std::int64_t after_partner,
                             std::int64_t after_duplicate, int window, int limit) {
  SetNameThreshold(session);
  long long partner = after_partner, duplicate = after_duplicate;
  DuplicateScan scan;
  {
    soci::rowset<soci::row> rows =
        (session.prepare << kScanDuplicates, soci::use(partner), soci::use(window),
         soci::use(partner), soci::use(duplicate), soci::use(limit));
    for (const auto& row : rows) {
      DuplicateMatch match = ReadMatch(row, 2);
      match.partner_id = row.get<long long>(0);
      match.duplicate_id = row.get<long long>(1);
      scan.matches.push_back(match);
    }
  }
  long long scanned = 0, last = 0;
  session << kScanWindowEnd, soci::use(partner), soci::use(window), soci::into(scanned),
      soci::into(last);
  scan.window_full = scanned >= window;
  scan.window_last_id = last;
  return scan;
}

void MoveToPartner(soci::session& session, std::int64_t merged_id, std::int64_t keep_id,
                   TimePoint now) {
  long long merged = merged_id, keep = keep_id, now_us = ToEpochMicros(now);
  session << kUnsetMergedPrimary, soci::use(merged), soci::use(keep);
  session << kMoveContacts, soci::use(keep), soci::use(now_us), soci::use(merged);
  session << kMoveInteractions, soci::use(keep), soci::use(merged);
  session << kMoveDocuments, soci::use(keep), soci::use(keep), soci::use(merged);
}

void MarkMerged(soci::session& session, std::int64_t merged_id, std::int64_t keep_id,
                TimePoint now) {
  long long merged = merged_id, keep = keep_id, now_us = ToEpochMicros(now);
  session << kMarkMerged, soci::use(keep), soci::use(now_us), soci::use(merged);
}

}  // namespace karton::partners::repository
