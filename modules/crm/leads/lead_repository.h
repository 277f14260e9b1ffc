// SQL of leads (schema/crm): the only place that reads and writes crm.lead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/clock.h"
#include "scope.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm::lead_repository {

namespace v1 = karton::crm::v1;
using kernel::TimePoint;

// "manual", "web_form", ... and back.
std::string SourceName(v1::LeadSource source);
std::string StatusName(v1::LeadStatus status);

struct InsertedLead {
  v1::Lead lead;  // as stored
  bool inserted;  // false: `lead` is the one an earlier use of the request id made
};
// Inserts `lead` (its status NEW, the history's first entry) and returns it
// as stored, or the earlier lead when `request_id` was used before: one
// statement either way. With `turn_among` (the active members of the
// lead's team, in id order), the lead goes to the member whose turn it is
// in the team's rotation (crm.team_rotation, whose row this takes and
// creates on the first lead): meant as the last statement before the
// COMMIT, since the team's row stays locked to it and every other lead for
// the team waits for it.
InsertedLead Insert(soci::session& session, const v1::Lead& lead, const std::string& request_id,
                    std::int64_t actor_user_id, TimePoint now,
                    const std::vector<std::int64_t>& turn_among = {});
std::optional<v1::Lead> Find(soci::session& session, std::int64_t id, const Scope& scope,
                             bool lock);
// Writes every field of `lead` that an update may change, bumps the
// version, and returns the lead as stored. The lead must exist (read and
// locked first).
v1::Lead Update(soci::session& session, const v1::Lead& lead, TimePoint now);
// A status change with its history entry.
void SetStatus(soci::session& session, std::int64_t id, v1::LeadStatus status,
               const std::string& note, std::int64_t user_id, TimePoint now);
// The lead a web form post by the same person (same form, the email case
// aside; for a post without email, the phone's digits) made since `since`,
// still NEW, locked; the newest.
std::optional<std::int64_t> FindRepost(soci::session& session, std::int64_t web_form_id,
                                       const std::string& email, const std::string& phone,
                                       TimePoint since);
// Adds the message and custom fields of `post` to the lead's messages.
void AddMessage(soci::session& session, std::int64_t id, const v1::Lead& post, TimePoint now);
void SetQualified(soci::session& session, std::int64_t id, std::int64_t partner_id,
                  std::int64_t opportunity_id);

struct ListFilter {
  std::string status, source, category;
  std::int64_t assigned_user_id = 0, team_id = 0, partner_id = 0;
  long long start_us = 0, end_us = 0;
};
// Newest first, before `before_id` (0: from the newest).
std::vector<v1::Lead> List(soci::session& session, const Scope& scope, const ListFilter& filter,
                           std::int64_t before_id, int limit);

// NEW leads of a customer: matched to `partner_id`, or written from one of
// its `emails` (lower case) before anyone matched them; newest first.
std::vector<v1::Lead> OpenForPartner(soci::session& session, const Scope& scope,
                                     std::int64_t partner_id,
                                     const std::vector<std::string>& emails, int limit);

// Merges and erasure (partners' events).
void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id);
// Blanks the person's details on leads matched to `partner_id`; returns
// their ids.
std::vector<std::int64_t> ErasePartner(soci::session& session, std::int64_t partner_id);

// Personal data (karton/common/v1/personal_data.proto): the leads of a
// partner, or that name one of the addresses or phone numbers (JSON
// arrays of strings, '["a@b.hu"]': an address may hold any character),
// oldest first; and blanking the person's
// fields of given leads (as ErasePartner does), returning those changed.
std::vector<std::int64_t> IdsOfPerson(soci::session& session, std::int64_t partner_id,
                                      const std::string& emails, const std::string& phones);
void EraseLeads(soci::session& session, const std::vector<std::int64_t>& ids);

}  // namespace karton::crm::lead_repository
