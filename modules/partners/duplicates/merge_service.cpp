// FindDuplicates and MergePartners (A8; docs/partners.md, "Duplicates and
// merging").
#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <limits>
#include <map>

#include "consent/consent_repository.h"
#include "duplicates/duplicate_repository.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/pagination.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "service_support.h"

namespace karton::partners {
namespace {

constexpr int kDefaultDuplicatePageSize = 50;
constexpr int kMaxDuplicatePageSize = 500;
// Partners one page of a full scan looks at: bounds the work of a request
// on a big database; a page may then hold fewer pairs than asked, even
// none, and still have a next page.
constexpr int kScanWindow = 1000;
// What a page token of the full scan is bound to.

v1::DuplicatePair PairOf(const repository::DuplicateMatch& match) {
  v1::DuplicatePair pair;
  pair.set_partner_id(match.partner_id);
  pair.set_duplicate_id(match.duplicate_id);
  if (match.same_tax_number) pair.add_reasons(v1::DUPLICATE_REASON_SAME_TAX_NUMBER);
  if (match.same_email) pair.add_reasons(v1::DUPLICATE_REASON_SAME_EMAIL);
  if (match.same_phone) pair.add_reasons(v1::DUPLICATE_REASON_SAME_PHONE);
  if (match.name_similarity >= repository::kSimilarNameThreshold)
    pair.add_reasons(v1::DUPLICATE_REASON_SIMILAR_NAME);
  pair.set_name_similarity(match.name_similarity);
  return pair;
}

// Adds both cards to each pair, loaded in one query.
void AttachCards(soci::session& session, const std::vector<repository::DuplicateMatch>& matches,
                 v1::FindDuplicatesResponse& response) {
  std::vector<std::int64_t> ids;
  for (const auto& match : matches) {
    ids.push_back(match.partner_id);
    ids.push_back(match.duplicate_id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::map<std::int64_t, v1::Partner> cards;
  for (auto& card : repository::FindPartners(session, ids)) {
    const std::int64_t id = card.id();
    cards.emplace(id, std::move(card));
  }
  for (const auto& match : matches) {
    auto& pair = *response.add_pairs() = PairOf(match);
    *pair.mutable_partner() = cards[match.partner_id];
    *pair.mutable_duplicate() = cards[match.duplicate_id];
  }
}

grpc::Status PartnerNotFound(const char* field, std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("{}: no partner with id {}", field, id)};
}

grpc::Status Refused(const std::string& message) {
  return {grpc::StatusCode::FAILED_PRECONDITION, message};
}

}  // namespace

grpc::Status PartnerServiceImpl::FindDuplicates(grpc::ServerContext* context,
                                                const v1::FindDuplicatesRequest* request,
                                                v1::FindDuplicatesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(
          *request, page,
          {.default_size = kDefaultDuplicatePageSize, .max_size = kMaxDuplicatePageSize});
      !status.ok()) {
    return status;
  }
  if (request->partner_id() < 0) return kernel::InvalidField("partner_id", "must not be negative");
  if (page.after && request->partner_id() != 0) {
    return kernel::InvalidField("page_token", "the duplicates of one partner come on one page");
  }
  const int page_size = page.size;
  const auto& cursor = page.after;
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "FindDuplicates", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    // Read only; the transaction scopes the similarity threshold.
    soci::transaction transaction(session);
    if (request->partner_id() != 0) {
      if (!repository::FindPartner(session, request->partner_id(), VisibilityOf(caller))) {
        return PartnerNotFound("partner_id", request->partner_id());
      }
      AttachCards(session, repository::FindDuplicatesOf(session, request->partner_id(), page_size),
                  *response);
      return grpc::Status::OK;
    }

    const std::int64_t after_partner = cursor ? cursor->id : 0;
    const auto after_duplicate =
        cursor ? kernel::ParseInt64(cursor->key) : std::optional<std::int64_t>(0);
    if (!after_duplicate) return kernel::InvalidField("page_token", "is not a token of this list");
    auto scan = repository::ScanDuplicates(session, after_partner, *after_duplicate, kScanWindow,
                                           page_size);
    if (static_cast<int>(scan.matches.size()) == page_size) {
      // The page is full: go on after its last pair (the window may hold more).
      const auto& last = scan.matches.back();
      response->set_next_page_token(
          kernel::NextPageToken(page, {std::to_string(last.duplicate_id), last.partner_id}));
    } else if (scan.window_full) {
      // Every pair of the window is here; the next page starts after it.
      response->set_next_page_token(kernel::NextPageToken(
          page, {std::to_string(std::numeric_limits<std::int64_t>::max()), scan.window_last_id}));
    }
    AttachCards(session, scan.matches, *response);
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::MergePartners(grpc::ServerContext* context,
                                               const v1::MergePartnersRequest* request,
                                               v1::Partner* response) {
  const std::int64_t keep_id = request->keep_partner_id();
  const std::int64_t merge_id = request->merge_partner_id();
  std::vector<kernel::FieldViolation> violations;
  if (keep_id <= 0) violations.push_back({"keep_partner_id", "is required"});
  if (merge_id <= 0) violations.push_back({"merge_partner_id", "is required"});
  if (keep_id > 0 && keep_id == merge_id) {
    violations.push_back({"merge_partner_id", "must differ from keep_partner_id"});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "MergePartners", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    // The merge may change the group (subsidiaries move to the kept
    // partner): serialised with the other writes that do, before any row
    // is locked.
    repository::LockHierarchy(session);
    // Locked in id order, so two merges of the same pair cannot deadlock.
    const auto everyone = repository::Visibility::Everyone();
    std::optional<v1::Partner> keep, merged;
    if (keep_id < merge_id) {
      keep = repository::FindPartner(session, keep_id, everyone, true);
      merged = repository::FindPartner(session, merge_id, everyone, true);
    } else {
      merged = repository::FindPartner(session, merge_id, everyone, true);
      keep = repository::FindPartner(session, keep_id, everyone, true);
    }
    if (!keep) return PartnerNotFound("keep_partner_id", keep_id);
    if (!merged) return PartnerNotFound("merge_partner_id", merge_id);
    if (auto status = kernel::CheckEtag("partner", keep_id, request->keep_etag(), keep->etag());
        !status.ok()) {
      return status;
    }
    if (merged->merged_into_id() == keep_id) {  // done before: the same answer again
      *response = *keep;
      return grpc::Status::OK;
    }
    if (auto status = kernel::CheckEtag("partner", merge_id, request->merge_etag(), merged->etag());
        !status.ok()) {
      return status;
    }
    if (merged->merged_into_id() != 0) {
      return Refused(fmt::format("partner {} was already merged into partner {}", merge_id,
                                 merged->merged_into_id()));
    }
    if (keep->merged_into_id() != 0) {
      return Refused(fmt::format("partner {} was merged into partner {}: merge into that one",
                                 keep_id, keep->merged_into_id()));
    }
    if (keep->archived()) {
      return Refused(
          fmt::format("partner {} is archived: restore it before merging into it", keep_id));
    }

    // The merged partner's subsidiaries become the kept one's, which must
    // then be an organization.
    const auto children = repository::ChildrenOf(session, merge_id);
    const auto moving = std::count_if(children.begin(), children.end(),
                                      [&](std::int64_t child) { return child != keep_id; });
    if (moving > 0 && keep->kind() != v1::PARTNER_KIND_ORGANIZATION) {
      return Refused(fmt::format(
          "partner {} is the parent of {} partner(s), and partner {} is a person, which cannot "
          "be a parent: give them another parent first",
          merge_id, moving, keep_id));
    }
    v1::Partner card = MergeCards(*keep, *merged);
    // The kept partner takes the merged one's place in the group: below
    // the merged one (at any depth), it moves up to the merged one's parent,
    // or the merged one's subsidiaries would close a cycle through it; a
    // parent taken from the merged card that is in the kept one's own group
    // would close one too, and is left out.
    if (repository::IsAtOrAbove(session, merge_id, keep_id)) {
      card.set_parent_partner_id(merged->parent_partner_id());
    } else if (card.parent_partner_id() != keep->parent_partner_id() &&
               repository::IsAtOrAbove(session, keep_id, card.parent_partner_id())) {
      card.set_parent_partner_id(keep->parent_partner_id());
    }
    NormalizePartner(card, LoadDefinitions(session), "partner", violations);
    if (!violations.empty()) {
      const auto& first = violations.front();
      return Refused(
          fmt::format("the merged card would not be valid ({}: {}); tidy up one of "
                      "the partners first",
                      first.field, first.description));
    }
    // External ids move when the kept partner has no key of that source;
    // the others stay with the merged partner, so nothing is lost.
    google::protobuf::Map<std::string, std::string> left_behind;
    for (const auto& [source, key] : merged->external_ids()) {
      if (card.external_ids().at(source) != key) left_behind[source] = key;
    }
    const auto now = services_.clock.Now();
    repository::ReplaceExternalIds(session, merge_id, left_behind);
    repository::ReplaceExternalIds(session, keep_id, card.external_ids());
    repository::UpdatePartner(session, card, now);
    repository::MoveToPartner(session, merge_id, keep_id, now);
    repository::MoveConsents(session, merge_id, keep_id);
    repository::MarkMerged(session, merge_id, keep_id, now);
    const auto repointed = repository::RepointChildren(session, merge_id, keep_id, now);

    *response = *repository::FindPartner(session, keep_id, everyone);
    const auto kept_diffs = DiffPartners(&*keep, *response);
    std::vector<kernel::FieldChange> merged_diffs = {
        {"merged_into_id", std::nullopt, fmt::format("\"{}\"", keep_id)}};
    if (!merged->archived()) merged_diffs.push_back({"archived", "false", "true"});
    services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kPartnerResource, keep_id,
                           kept_diffs);
    services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kPartnerResource,
                           merge_id, merged_diffs);
    if (!kept_diffs.empty()) {
      services_.events.Publish(session, kTopicUpdated, keep_id,
                               ChangedPayload(*response, kept_diffs), caller);
    }
    // Each re-pointed subsidiary is updated as any card whose parent
    // changes: an audit entry and partners.partner.updated.
    for (auto& child : repository::FindPartners(session, repointed)) {
      v1::Partner before = child;
      before.set_parent_partner_id(merge_id);
      const auto diffs = DiffPartners(&before, child);
      services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kPartnerResource,
                             child.id(), diffs);
      services_.events.Publish(session, kTopicUpdated, child.id(), ChangedPayload(child, diffs),
                               caller);
    }
    v1::PartnersMerged payload;
    payload.set_kept_partner_id(keep_id);
    payload.set_merged_partner_id(merge_id);
    *payload.mutable_kept() = *response;
    services_.events.Publish(session, kTopicMerged, merge_id, payload, caller);
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
