// SQL of personal data erasure (A10).
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

}  // namespace karton::partners::repository
