// SQL of duplicate finding and merging.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/partners/v1/partner.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::partners::repository {

using kernel::TimePoint;

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

}  // namespace karton::partners::repository
