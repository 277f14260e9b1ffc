// SQL of activities (crm.activity) and calendar feeds (crm.calendar_feed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "karton/crm/v1/activity.pb.h"
#include "karton/kernel/clock.h"
#include "scope.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm::activity_repository {

namespace v1 = karton::crm::v1;
using kernel::TimePoint;

std::string TypeName(v1::ActivityType type);

// Inserts a PLANNED activity; its id and true, or the earlier one's id and
// false for a repeated `request_id`.
std::pair<std::int64_t, bool> Insert(soci::session& session, const v1::Activity& activity,
                                     const std::string& request_id, TimePoint now);
std::optional<v1::Activity> Find(soci::session& session, std::int64_t id, const Scope& scope,
                                 bool lock);
// Writes every field an update may change and bumps the version.
void Update(soci::session& session, const v1::Activity& activity, TimePoint now);
// "done" or "canceled", with the outcome.
// Planned activities of the opportunity (C8: its next steps).
int PlannedForOpportunity(soci::session& session, std::int64_t opportunity_id);
void Close(soci::session& session, std::int64_t id, const std::string& status,
           const std::string& outcome, TimePoint now);

struct ListFilter {
  std::int64_t assigned_user_id = 0, partner_id = 0, lead_id = 0, opportunity_id = 0;
  std::string status;
};
// Newest first, before `before_id` (0: from the newest).
std::vector<v1::Activity> List(soci::session& session, const Scope& scope, const ListFilter& filter,
                               std::int64_t before_id, int limit);
// Activities standing in [start, end) (start time, else due time), by time:
// those assigned to one of `user_ids` or belonging to `team_id` (0: none).
// `with_canceled` for feeds, which must tell clients what was cancelled.
std::vector<v1::Activity> Calendar(soci::session& session, const std::string& user_ids,
                                   std::int64_t team_id, TimePoint start, TimePoint end,
                                   bool with_canceled);
// PLANNED activities about `partner_id`, soonest first.
std::vector<v1::Activity> NextForPartner(soci::session& session, std::int64_t partner_id,
                                         const Scope& scope, int limit);

// Calendar feeds of ("user"|"team", id). Only a hash of each token is
// stored. EnsureFeed stores `fresh` when the owner has no feed yet and says
// whether it did, and when the current token was made; RotateFeed replaces
// the token.
struct FeedState {
  bool created = false;  // `fresh` is now the feed's token
  google::protobuf::Timestamp create_time;
};
FeedState EnsureFeed(soci::session& session, const std::string& kind, std::int64_t owner_id,
                     const std::string& fresh, TimePoint now);
void RotateFeed(soci::session& session, const std::string& kind, std::int64_t owner_id,
                const std::string& fresh, TimePoint now);
// The owner of a feed token: ("user"|"team", id).
std::optional<std::pair<std::string, std::int64_t>> FeedOwner(soci::session& session,
                                                              const std::string& token);

// Invitations (docs/crm.md, "Invitations"): every invitee row of an
// activity, removed ones too, in order.
struct Invitation {
  std::int64_t id = 0;
  std::int64_t contact_id = 0;
  std::string email;
  std::string name;
  bool removed = false;     // left out by an update; told once with a CANCEL
  int sent_sequence = -1;   // of the last invitation sent; -1: none yet
  std::string sent_method;  // "REQUEST" or "CANCEL" ("" before the first)
  std::int64_t message_id = 0;
};
std::vector<Invitation> Invitations(soci::session& session, std::int64_t activity_id);
// Makes the invitee list `invitees` (matched by contact, else by address
// without regard to case): new ones are added, left-out ones are marked
// removed (or dropped when nothing was sent to them yet). Whether anyone
// came or went.
bool ReplaceInvitees(soci::session& session, std::int64_t activity_id,
                     const google::protobuf::RepeatedPtrField<v1::Invitee>& invitees);
// The invitations' SEQUENCE one up.
void BumpInviteSequence(soci::session& session, std::int64_t activity_id);
// Records what went to an invitee (never going back to an older sequence).
void MarkInvitationSent(soci::session& session, std::int64_t invitation_id, int sequence,
                        const std::string& method, std::int64_t message_id);

// Partners' events.
void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id);

// Personal data: the activities of a partner, of its contacts or of the
// leads given (PostgreSQL array literals), oldest first; and blanking their
// texts (subject, description, location, outcome), which name and describe
// the person.
std::vector<std::int64_t> IdsOfPerson(soci::session& session, std::int64_t partner_id,
                                      const std::string& contact_ids, const std::string& lead_ids);
void EraseTexts(soci::session& session, const std::vector<std::int64_t>& ids);
// Invitations of the person: the activities with an invitee row (removed
// ones too) of one of `contact_ids` (a bigint[] literal) or of one of
// `emails` (a JSON array; any case), oldest first; and deleting those rows,
// which hold the invitee's name and address (the activities' versions go
// up). The activities may be other people's: their texts stay.
std::vector<std::int64_t> IdsInviting(soci::session& session, const std::string& contact_ids,
                                      const std::string& emails);
void EraseInvitees(soci::session& session, const std::string& contact_ids,
                   const std::string& emails);

}  // namespace karton::crm::activity_repository
