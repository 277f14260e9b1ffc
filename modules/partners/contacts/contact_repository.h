// SQL of contacts (partners.contact); see partner_repository.h for how
// rows map to messages.
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

// The document jsonb_populate_record spreads onto partners.contact.
std::string ContactStorageJson(const v1::Contact& contact);
std::optional<v1::Contact> FindContact(soci::session& session, std::int64_t id,
                                       const Visibility& visibility, bool lock = false);
// Contacts by id, in the order asked; missing ones and ones the caller may
// not see are left out.
std::vector<v1::Contact> FindContacts(soci::session& session, const std::vector<std::int64_t>& ids,
                                      const Visibility& visibility);
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

}  // namespace karton::partners::repository
