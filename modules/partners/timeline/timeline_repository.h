// SQL of the timeline (partners.interaction).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/partners/v1/partner.pb.h"
#include "visibility.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::partners::repository {

using kernel::TimePoint;

std::optional<v1::Interaction> FindInteraction(soci::session& session, std::int64_t id);
std::optional<std::int64_t> FindInteractionByReference(soci::session& session,
                                                       const std::string& source_module,
                                                       const std::string& reference);
// `interaction` is validated; source_module and occur_time are set. Answers
// the entry as FindInteraction reads it.
v1::Interaction InsertInteraction(soci::session& session, const v1::Interaction& interaction,
                                  TimePoint now);

// What a batch of entries names, read in one statement: the partners that
// exist, the partner of each contact that exists, and the users that exist.
struct TimelineReferences {
  std::set<std::int64_t> partners;
  std::map<std::int64_t, std::int64_t> contact_partners;
  std::set<std::int64_t> users;
};
TimelineReferences FindTimelineReferences(soci::session& session,
                                          const std::vector<std::int64_t>& partner_ids,
                                          const std::vector<std::int64_t>& contact_ids,
                                          const std::vector<std::int64_t>& user_ids);
// Inserts `entries` (validated; source_module and occur_time set) in one
// statement, leaving out each one whose source_module and source_reference
// were logged before, by a committed transaction or by this one (the same
// reference twice in `entries` is inserted once). Answers the rows
// inserted as FindInteraction reads them, in no particular order.
std::vector<v1::Interaction> InsertInteractions(soci::session& session,
                                                const std::vector<v1::Interaction>& entries,
                                                TimePoint now);
// The entries logged under these (source_module, source_reference) pairs.
std::vector<v1::Interaction> FindInteractionsByReference(
    soci::session& session, const std::vector<std::pair<std::string, std::string>>& references);

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

}  // namespace karton::partners::repository
