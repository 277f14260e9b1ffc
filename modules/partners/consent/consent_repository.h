// The SQL of marketing consent (partners.marketing_consent): a history of
// grants and withdrawals per person and channel, never changed; the latest
// entry of a channel is its current state (docs/partners.md, "Marketing
// consent"). Rows come back as protobuf JSON built by PostgreSQL
// (partners.marketing_consent_json).
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

// "email", "sms", "letter", "phone"; "" for UNSPECIFIED.
std::string ConsentChannelWord(v1::MarketingChannel channel);
// "form", "import", ..., "unsubscribe"; "" for UNSPECIFIED.
std::string ConsentSourceWord(v1::ConsentSource source);

// Stores one entry (partner_id, contact_id (0: the partner's own), channel,
// granted, source and evidence of `consent`) recorded by `user_id` (0:
// Karton itself) at `now`; returns it as stored.
v1::MarketingConsent InsertConsent(soci::session& session, const v1::MarketingConsent& consent,
                                   std::int64_t user_id, kernel::TimePoint now);

struct ListedConsent {
  v1::MarketingConsent consent;
  std::string key;  // record_time as text, for the page token
};
// A partner's own entries (contact_id 0) or a contact's, newest first, after
// the keyset position.
std::vector<ListedConsent> ListConsents(soci::session& session, std::int64_t partner_id,
                                        std::int64_t contact_id,
                                        const std::optional<std::string>& after_time,
                                        std::int64_t after_id, int limit);
// Every entry of a partner and its contacts (or of one contact), oldest
// first: the personal data export.
std::vector<v1::MarketingConsent> AllConsentsOf(soci::session& session, std::int64_t partner_id,
                                                std::int64_t contact_id);
// On erasure: drops the grants of a partner and its contacts (or of one
// contact) and blanks the evidence of the withdrawals, which stay to prove
// that the person opted out and was not written to again.
void EraseConsents(soci::session& session, std::int64_t partner_id, std::int64_t contact_id);
// A merge: the merged partner's entries (its own and its contacts') become
// the kept one's.
void MoveConsents(soci::session& session, std::int64_t from_partner, std::int64_t to_partner);

}  // namespace karton::partners::repository
