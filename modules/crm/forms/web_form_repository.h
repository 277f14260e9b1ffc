// SQL of web forms (crm.web_form): the definition is stored as its API
// document; slug and the disabled switch are columns for the public side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm::web_form_repository {

namespace v1 = karton::crm::v1;

// The new form's id, or the earlier one's when `request_id` was used before.
// Throws the database's unique violation (23505) for a slug in use.
std::int64_t Insert(soci::session& session, const v1::WebForm& form, const std::string& request_id,
                    kernel::TimePoint now);
std::optional<v1::WebForm> Find(soci::session& session, std::int64_t id, bool lock);
std::optional<v1::WebForm> FindBySlug(soci::session& session, const std::string& slug);
void Update(soci::session& session, const v1::WebForm& form, kernel::TimePoint now);
// By id, after `after_id`.
std::vector<v1::WebForm> List(soci::session& session, std::int64_t after_id, int limit);

}  // namespace karton::crm::web_form_repository
