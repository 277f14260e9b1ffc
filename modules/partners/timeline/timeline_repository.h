// SQL of the timeline (partners.interaction).
#pragma once

#include <cstdint>
#include <optional>
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
