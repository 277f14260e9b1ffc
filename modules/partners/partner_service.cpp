#include "partner_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "contacts/contact_repository.h"
#include "documents/document_repository.h"
#include "karton/kernel/callback_calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "partner_filter.h"
#include "partner_repository.h"
#include "partner_rules.h"
#include "service_support.h"
#include "timeline/timeline_repository.h"
#include "visibility.h"

namespace karton::partners {
namespace {

using google::protobuf::util::FieldMaskUtil;

constexpr const char* kDefinitionResource = "partners.custom_field_definition";

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no partner with id {}", id)};
}

// A create or update whose write found the custom field definitions
// changed three times since its card was checked.
grpc::Status DefinitionsKeptChanging() {
  return {grpc::StatusCode::ABORTED,
          "the custom field definitions changed while the partner was written: send it again"};
}

// Maps what the database refused while writing a partner.
std::optional<grpc::Status> WriteRefusal(const std::exception& error, const v1::Partner& partner) {
  const std::string state = SqlState(error);
  if (state == "23503" &&
      std::string_view(error.what()).find("parent_partner_id") != std::string_view::npos) {
    // Deleted between CheckGroup and the write.
    return kernel::InvalidField("partner.parent_partner_id",
                                fmt::format("there is no partner {}", partner.parent_partner_id()));
  }
  if (state == "23503") {
    return kernel::InvalidField("partner.owner_user_id",
                                fmt::format("there is no user {}", partner.owner_user_id()));
  }
  if (state == "23505") {
    return grpc::Status{grpc::StatusCode::ALREADY_EXISTS,
                        "partner.external_ids: a key is already taken by another partner"};
  }
  return std::nullopt;
}

// Copies the masked fields from `source` into `target`: a masked field that
// is empty in `source` is cleared, "custom_fields.<key>" changes one key.
void ApplyMask(const v1::Partner& source, const std::vector<std::string>& paths,
               v1::Partner& target) {
  google::protobuf::FieldMask whole_fields;
  for (const auto& path : paths) {
    if (path.rfind("custom_fields.", 0) == 0) {
      const std::string key = path.substr(14);
      const auto value = source.custom_fields().find(key);
      if (value == source.custom_fields().end()) {
        target.mutable_custom_fields()->erase(key);
      } else {
        (*target.mutable_custom_fields())[key] = value->second;
      }
    } else {
      whole_fields.add_paths(path);
    }
  }
  kernel::ApplyUpdateMask(source, {whole_fields.paths().begin(), whole_fields.paths().end()},
                          target);
}

std::string DefinitionTypeWord(v1::CustomFieldType type) {
  switch (type) {
    case v1::CUSTOM_FIELD_TYPE_NUMBER:
      return "number";
    case v1::CUSTOM_FIELD_TYPE_DATE:
      return "date";
    case v1::CUSTOM_FIELD_TYPE_BOOL:
      return "bool";
    case v1::CUSTOM_FIELD_TYPE_CHOICE:
      return "choice";
    default:
      return "text";
  }
}

bool IsPhoneish(const std::string& query, std::string& digits) {
  digits.clear();
  for (char c : query) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (std::string_view(" +-/().").find(c) == std::string_view::npos) {
      digits.clear();
      return false;
    }
  }
  return digits.size() >= 3;
}

}  // namespace

static std::vector<std::string> StaffAndExternalPartners() {
  auto roles = kernel::StaffRoles();
  roles.emplace_back(kernel::kRoleExternalPartner);
  return roles;
}

kernel::MethodRoles PartnerServiceImpl::Roles() {
  const std::vector<std::string> readers = {std::string(kernel::kAnyRole)};
  const std::vector<std::string> writers = {
      std::string(kernel::kRoleSales), std::string(kernel::kRoleSalesManager),
      std::string(kernel::kRoleAccounting), std::string(kernel::kRoleAdmin)};
  const std::vector<std::string> admin = {std::string(kernel::kRoleAdmin)};
  return {{"CreatePartner", writers},
          {"GetPartner", readers},
          {"BatchGetPartners", readers},
          {"UpdatePartner", writers},
          {"ArchivePartner", writers},
          {"RestorePartner", writers},
          {"DeletePartner", writers},
          {"ListPartners", readers},
          {"SearchPartners", readers},
          {"CreateCustomFieldDefinition", admin},
          {"ListCustomFieldDefinitions", readers},
          {"UpdateCustomFieldDefinition", admin},
          {"CreateContact", writers},
          {"GetContact", readers},
          {"BatchGetContacts", readers},
          {"UpdateContact", writers},
          {"DeleteContact", writers},
          {"ListContacts", readers},
          // Support logs calls too; external partners on what is shared
          // with them (collaborative CRM).
          {"LogInteraction", StaffAndExternalPartners()},
          // In bulk for modules and integrations: staff.
          {"BatchLogInteractions", kernel::StaffRoles()},
          {"ListTimeline", readers},
          // Documents attach to any record, helpdesk tickets too: all staff.
          {"UploadDocument", kernel::StaffRoles()},
          {"DownloadDocument", readers},
          {"ListDocuments", readers},
          {"DeleteDocument", kernel::StaffRoles()},
          {"ImportPartners", writers},
          {"GetImport", writers},
          {"ListImportErrors", writers},
          // A whole customer list leaves the building: staff only.
          {"ExportPartners", kernel::StaffRoles()},
          {"FindDuplicates", writers},
          {"MergePartners", writers},
          // Data protection is the administrators' duty.
          {"ExportPersonalData", admin},
          {"ErasePersonalData", admin},
          {"SharePartner", writers},
          {"UnsharePartner", writers},
          // Consent is part of the card: its writers record it.
          {"RecordMarketingConsent", writers},
          {"ListMarketingConsents", readers}};
}

void PartnerServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* topic :
       {kTopicCreated, kTopicUpdated, kTopicArchived, kTopicRestored, kTopicDeleted}) {
    events.DeclareTopic<v1::PartnerChanged>(topic);
  }
  for (const char* topic :
       {"partners.contact.created", "partners.contact.updated", "partners.contact.deleted"}) {
    events.DeclareTopic<v1::ContactChanged>(topic);
  }
  events.DeclareTopic<v1::Interaction>("partners.interaction.logged");
  events.DeclareTopic<v1::Document>("partners.document.uploaded");
  events.DeclareTopic<v1::Document>("partners.document.deleted");
  events.DeclareTopic<v1::PartnersMerged>(kTopicMerged);
  events.DeclareTopic<v1::PartnerChanged>(kTopicErased);
  events.DeclareTopic<v1::ContactChanged>("partners.contact.erased");
  // kernel::ChangeSharing's (sharing_service.cpp).
  events.DeclareTopic<v1::CustomFieldDefinition>("partners.custom_field_definition.created");
  events.DeclareTopic<v1::CustomFieldDefinition>("partners.custom_field_definition.updated");
  events.DeclareTopic<v1::PartnerChanged>("partners.partner.shared");
  events.DeclareTopic<v1::PartnerChanged>("partners.partner.unshared");
  events.DeclareTopic<v1::MarketingConsent>(kTopicConsentRecorded);
}

grpc::Status PartnerServiceImpl::CreatePartner(grpc::ServerContext* context,
                                               const v1::CreatePartnerRequest* request,
                                               v1::Partner* response) {
  if (request->request_id().size() > 200) {
    return kernel::InvalidField("request_id", "must be at most 200 bytes");
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  // A plain create makes two round trips (docs/partners.md, "Creating a
  // partner"): BEGIN with the INSERT, then the audit entry and the event
  // with the COMMIT (kernel::Transaction). The card is checked against the
  // custom field definitions this kartond last read, which the INSERT
  // confirms are still the stored ones; the request id is claimed by the
  // INSERT too. A parent, external ids, a refusal or a changed definition
  // each take more.
  return Guarded(services_.log, "CreatePartner", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    const std::string& request_id = request->request_id();
    // The same request again: answer with what it created.
    const auto answer_earlier_create = [&](std::int64_t id) {
      *response = *repository::FindPartner(session, id, repository::Visibility::Everyone());
      transaction.Commit();
      return grpc::Status::OK;
    };
    const auto earlier_create = [&]() -> std::optional<std::int64_t> {
      if (request_id.empty()) return std::nullopt;
      return repository::FindPartnerByRequestId(session, request_id);
    };

    v1::Partner partner;
    std::vector<kernel::FieldViolation> violations;
    const auto check_card = [&](const Definitions& definitions) {
      partner = request->partner();
      partner.clear_id();
      violations.clear();
      NormalizePartner(partner, definitions, "partner", violations);
      return violations.empty();
    };
    auto definitions = known_definitions_.CheckCard(session, check_card);
    // Checks that read (and may refuse) come after the look for an earlier
    // create of the request: its external ids are the partner's own.
    if (!violations.empty() || partner.parent_partner_id() != 0 ||
        !partner.external_ids().empty()) {
      if (const auto earlier = earlier_create()) return answer_earlier_create(*earlier);
    }
    if (partner.parent_partner_id() != 0) {
      repository::LockHierarchy(session);
      CheckGroup(session, partner, nullptr, violations);
    }
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    if (auto status = CheckExternalIds(session, partner); !status.ok()) return status;

    for (int attempt = 1;; ++attempt) {
      std::optional<v1::Partner> inserted;
      try {
        inserted = repository::InsertPartner(session, partner, request_id, services_.clock.Now(),
                                             definitions->fingerprint);
      } catch (const std::exception& error) {
        if (auto refusal = WriteRefusal(error, partner)) return *refusal;
        throw;
      }
      if (inserted) {
        *response = std::move(*inserted);
        break;
      }
      // Nothing inserted: the request created a partner before, or a
      // definition changed since `definitions` were read.
      if (const auto earlier = earlier_create()) return answer_earlier_create(*earlier);
      if (attempt == 3) return DefinitionsKeptChanging();
      definitions = known_definitions_.CheckCardAgain(session, check_card);
      if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    }
    if (!partner.external_ids().empty()) {
      try {
        repository::ReplaceExternalIds(session, response->id(), partner.external_ids(),
                                       /*new_partner=*/true);
      } catch (const std::exception& error) {
        if (auto refusal = WriteRefusal(error, partner)) return *refusal;
        throw;
      }
      *response->mutable_external_ids() = partner.external_ids();
    }
    const auto diffs = DiffPartners(nullptr, *response);
    services_.audit.Record(session, caller, kernel::AuditAction::kCreate, kPartnerResource,
                           response->id(), diffs);
    services_.events.Publish(session, kTopicCreated, response->id(),
                             ChangedPayload(*response, diffs), caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::GetPartner(grpc::CallbackServerContext* context,
                                                         const v1::GetPartnerRequest* request,
                                                         v1::Partner* response) {
  return kernel::AnswerOnThisThread(
      context, [&] { return GetPartnerFor(kernel::CallerOf(*context), *request, response); });
}

grpc::Status PartnerServiceImpl::GetPartnerFor(const kernel::Caller& caller,
                                               const v1::GetPartnerRequest& request,
                                               v1::Partner* response) {
  return Guarded(services_.log, "GetPartner", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const auto partner =
        repository::FindPartner(lease.Session(), request.id(), VisibilityOf(caller));
    if (!partner) return NotFound(request.id());
    *response = *partner;
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::BatchGetPartners(grpc::ServerContext* context,
                                                  const v1::BatchGetPartnersRequest* request,
                                                  v1::BatchGetPartnersResponse* response) {
  if (auto status = CheckBatchIds(request->ids()); !status.ok()) return status;
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "BatchGetPartners", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const std::vector<std::int64_t> ids(request->ids().begin(), request->ids().end());
    for (auto& partner : repository::FindPartners(lease.Session(), ids, VisibilityOf(caller))) {
      *response->add_partners() = std::move(partner);
    }
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::UpdatePartner(grpc::ServerContext* context,
                                               const v1::UpdatePartnerRequest* request,
                                               v1::Partner* response) {
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(*request, request->partner(), IsUpdatableField, paths);
      !status.ok()) {
    return status;
  }
  const std::int64_t id = request->partner().id();
  if (id <= 0) return kernel::InvalidField("partner.id", "is required");
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "UpdatePartner", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    // A new parent or kind changes the group: serialised before the row is
    // locked (CheckGroup).
    const bool changes_group =
        std::find_if(paths.begin(), paths.end(), [](const std::string& path) {
          return path == "parent_partner_id" || path == "kind";
        }) != paths.end();
    if (changes_group) repository::LockHierarchy(session);
    const auto existing = repository::FindPartner(session, id, VisibilityOf(caller), true);
    if (!existing) return NotFound(id);
    const std::string& etag = request->partner().etag();
    if (auto status = kernel::CheckEtag("partner", id, etag, existing->etag()); !status.ok()) {
      return status;
    }

    // The card is checked against the definitions this kartond last read,
    // which the UPDATE confirms are still the stored ones (as in
    // CreatePartner).
    v1::Partner merged;
    std::vector<kernel::FieldViolation> violations;
    const auto check_card = [&](const Definitions& definitions) {
      merged = *existing;
      ApplyMask(request->partner(), paths, merged);
      violations.clear();
      NormalizePartner(merged, definitions, "partner", violations);
      return violations.empty();
    };
    auto definitions = known_definitions_.CheckCard(session, check_card);
    if (changes_group) CheckGroup(session, merged, &*existing, violations);
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    auto diffs = DiffPartners(&*existing, merged);
    if (diffs.empty()) {  // nothing changes: no write, no event
      *response = *existing;
      return grpc::Status::OK;
    }
    // External ids are checked and rewritten only when they change.
    const auto& before_ids = existing->external_ids();
    const bool external_ids_change =
        before_ids.size() != merged.external_ids().size() ||
        std::any_of(merged.external_ids().begin(), merged.external_ids().end(),
                    [&](const auto& entry) {
                      const auto found = before_ids.find(entry.first);
                      return found == before_ids.end() || found->second != entry.second;
                    });
    if (external_ids_change) {
      if (auto status = CheckExternalIds(session, merged); !status.ok()) return status;
    }
    for (int attempt = 1;; ++attempt) {
      std::optional<v1::Partner> updated;
      try {
        updated = repository::UpdatePartner(session, merged, services_.clock.Now(),
                                            definitions->fingerprint);
      } catch (const std::exception& error) {
        if (auto refusal = WriteRefusal(error, merged)) return *refusal;
        throw;
      }
      if (updated) {
        *response = std::move(*updated);
        break;
      }
      // Nothing updated (the row is locked, so it is there): a definition
      // changed since `definitions` were read.
      if (attempt == 3) return DefinitionsKeptChanging();
      definitions = known_definitions_.CheckCardAgain(session, check_card);
      if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
      diffs = DiffPartners(&*existing, merged);
      if (diffs.empty()) {
        *response = *existing;
        return grpc::Status::OK;
      }
    }
    if (external_ids_change) {
      try {
        repository::ReplaceExternalIds(session, id, merged.external_ids());
      } catch (const std::exception& error) {
        if (auto refusal = WriteRefusal(error, merged)) return *refusal;
        throw;
      }
    }
    *response->mutable_external_ids() = merged.external_ids();
    services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kPartnerResource, id,
                           diffs);
    services_.events.Publish(session, kTopicUpdated, id, ChangedPayload(*response, diffs), caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::SetArchived(grpc::ServerContext* context, std::int64_t id,
                                             const std::string& etag, bool archived,
                                             v1::Partner* response) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(
      services_.log, archived ? "ArchivePartner" : "RestorePartner", [&]() -> grpc::Status {
        auto lease = services_.database.Acquire();
        soci::session& session = lease.Session();
        kernel::Transaction transaction(session);
        const auto existing = repository::FindPartner(session, id, VisibilityOf(caller), true);
        if (!existing) return NotFound(id);
        if (auto status = kernel::CheckEtag("partner", id, etag, existing->etag()); !status.ok()) {
          return status;
        }
        if (!archived && existing->merged_into_id() != 0) {
          return {grpc::StatusCode::FAILED_PRECONDITION,
                  fmt::format("partner {} was merged into partner {} and stays archived", id,
                              existing->merged_into_id())};
        }
        if (existing->archived() == archived) {  // already so: nothing to do
          *response = *existing;
          return grpc::Status::OK;
        }
        repository::SetArchived(session, id, archived, services_.clock.Now());
        *response = *repository::FindPartner(session, id, repository::Visibility::Everyone());
        const std::vector<kernel::FieldChange> diffs = {
            {"archived", archived ? "false" : "true", archived ? "true" : "false"}};
        services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kPartnerResource, id,
                               diffs);
        services_.events.Publish(session, archived ? kTopicArchived : kTopicRestored, id,
                                 ChangedPayload(*response, diffs), caller);
        transaction.Commit();
        return grpc::Status::OK;
      });
}

grpc::Status PartnerServiceImpl::ArchivePartner(grpc::ServerContext* context,
                                                const v1::ArchivePartnerRequest* request,
                                                v1::Partner* response) {
  return SetArchived(context, request->id(), request->etag(), true, response);
}

grpc::Status PartnerServiceImpl::RestorePartner(grpc::ServerContext* context,
                                                const v1::RestorePartnerRequest* request,
                                                v1::Partner* response) {
  return SetArchived(context, request->id(), request->etag(), false, response);
}

grpc::Status PartnerServiceImpl::DeletePartner(grpc::ServerContext* context,
                                               const v1::DeletePartnerRequest* request,
                                               v1::DeletePartnerResponse*) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  const std::int64_t id = request->id();
  return Guarded(services_.log, "DeletePartner", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    const auto existing = repository::FindPartner(session, id, VisibilityOf(caller), true);
    if (!existing) return NotFound(id);
    if (auto status = kernel::CheckEtag("partner", id, request->etag(), existing->etag());
        !status.ok()) {
      return status;
    }
    try {
      // A savepoint, so a refused delete leaves the transaction usable.
      session << "SAVEPOINT delete_partner";
      repository::DeleteDocumentsOfPartner(session, id);
      repository::DeletePartner(session, id);
    } catch (const std::exception& error) {
      if (SqlState(error) != "23503") throw;
      session << "ROLLBACK TO SAVEPOINT delete_partner";
      // The database's text names tables and constraints: it stays in the
      // log, the caller gets what to do.
      services_.log.info("DeletePartner {}: {}", id, kernel::DescribeDatabaseError(error));
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("partner {} is still referred to by other records (deals, leads, "
                          "other modules' records); archive it instead",
                          id)};
    }
    const auto diffs = DiffPartners(&*existing, v1::Partner{});
    services_.audit.Record(session, caller, kernel::AuditAction::kDelete, kPartnerResource, id,
                           diffs);
    services_.events.Publish(session, kTopicDeleted, id, ChangedPayload(*existing, {}), caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::ListPartners(grpc::ServerContext* context,
                                              const v1::ListPartnersRequest* request,
                                              v1::ListPartnersResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  repository::ListQuery query;
  query.visibility = VisibilityOf(kernel::CallerOf(*context));
  query.limit = page.FetchLimit();
  if (!ParseOrderBy(request->order_by(), query.order_column, query.descending)) {
    return kernel::InvalidField(
        "order_by", "must be display_name, create_time, update_time or id, optionally with desc");
  }
  if (page.after) {
    query.after_key = page.after->key;
    query.after_id = page.after->id;
  }
  return Guarded(services_.log, "ListPartners", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    // The definitions type custom.* conditions; most lists have no filter
    // and need no read for them.
    CustomFieldTypes custom_types;
    if (!request->filter().empty()) {
      for (const auto& [key, definition] : LoadDefinitions(session)) {
        custom_types[key] = DefinitionTypeWord(definition.type());
      }
    }
    std::string problem;
    const auto filter = ParseFilter(request->filter(), custom_types, problem);
    if (!filter) return kernel::InvalidField("filter", problem);
    query.filter_where = filter->where;
    query.filter_params = filter->params;
    query.include_archived = filter->mentions_archived;
    // Without a filter the statement runs prepared, and its plan is the
    // same for every page.
    auto rows = [&] {
      if (!query.filter_where.empty()) return repository::ListPartners(session, query);
      soci::transaction transaction(session);
      repository::PreferGenericPlans(session);
      auto listed = repository::ListPartners(session, query);
      transaction.commit();
      return listed;
    }();
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{row.key, row.partner.id()};
    }));
    for (auto& row : rows) *response->add_partners() = std::move(row.partner);
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::SearchPartners(grpc::ServerContext* context,
                                                const v1::SearchPartnersRequest* request,
                                                v1::SearchPartnersResponse* response) {
  std::string query_text = request->query();
  query_text.erase(0, query_text.find_first_not_of(" \t"));
  query_text.erase(query_text.find_last_not_of(" \t") + 1);
  if (query_text.size() < 3) return kernel::InvalidField("query", "must be at least 3 characters");
  if (query_text.size() > 200) return kernel::InvalidField("query", "must be at most 200 bytes");
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page, {.default_size = 20, .max_size = 100});
      !status.ok()) {
    return status;
  }
  repository::SearchQuery query;
  query.visibility = VisibilityOf(kernel::CallerOf(*context));
  query.include_archived = request->include_archived();
  query.limit = page.FetchLimit();
  IsPhoneish(query_text, query.digits);
  // A search keeps the ranking its first page chose: the page token's key
  // is a similarity, or kRecentKeyPrefix and an update_time in microseconds.
  static constexpr std::string_view kRecentKeyPrefix = "recent:";
  std::optional<v1::SearchRanking> ranking;
  if (const auto& cursor = page.after) {
    if (cursor->key.starts_with(kRecentKeyPrefix)) {
      ranking = v1::SEARCH_RANKING_RECENTLY_CHANGED;
      query.after_key = cursor->key.substr(kRecentKeyPrefix.size());
    } else {
      ranking = v1::SEARCH_RANKING_SIMILARITY;
      query.after_key = cursor->key;
    }
    // Tokens are not signed: a hand-made key must not reach the SQL casts,
    // so it must be a whole number (microseconds) or a plain decimal
    // (similarity), nothing else.
    const std::string& key = *query.after_key;
    const char* const end = key.data() + key.size();
    bool well_formed = false;
    if (*ranking == v1::SEARCH_RANKING_RECENTLY_CHANGED) {
      std::int64_t micros = 0;
      const auto parsed = std::from_chars(key.data(), end, micros);
      well_formed = !key.empty() && parsed.ec == std::errc() && parsed.ptr == end;
    } else {
      double score = 0;
      const auto parsed = std::from_chars(key.data(), end, score);
      well_formed =
          !key.empty() && parsed.ec == std::errc() && parsed.ptr == end && std::isfinite(score);
    }
    if (!well_formed) return kernel::InvalidField("page_token", "is not a token of this search");
    query.after_id = cursor->id;
  }
  return Guarded(services_.log, "SearchPartners", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    session << "SELECT kernel.fold(:query)", soci::use(query_text), soci::into(query.folded);
    repository::PlanSearch(session);
    if (!ranking) {
      // External partners see only what is shared with them: few rows,
      // always ranked. For staff, a fragment the statistics call ten times
      // too common is broad without counting (counting costs about half a
      // microsecond a match: 100 ms for a fragment in every partner);
      // otherwise the matches are counted, up to the limit.
      const std::int64_t limit = options_.search_ranked_matches;
      const bool clearly_broad =
          !query.visibility.external && repository::EstimateMatches(session, query) > 10 * limit;
      // The estimate needed the values; the statements below do not.
      repository::PreferGenericPlans(session);
      const bool too_broad =
          clearly_broad || (!query.visibility.external &&
                            repository::CountMatchesUpTo(session, query, limit + 1) > limit);
      ranking = too_broad ? v1::SEARCH_RANKING_RECENTLY_CHANGED : v1::SEARCH_RANKING_SIMILARITY;
    } else {
      repository::PreferGenericPlans(session);
    }
    const bool recent = *ranking == v1::SEARCH_RANKING_RECENTLY_CHANGED;
    auto rows = recent ? repository::SearchRecentlyChanged(session, query)
                       : repository::SearchBySimilarity(session, query);
    transaction.commit();
    response->set_next_page_token(kernel::FinishPage(rows, page, [&](const auto& row) {
      return kernel::PageCursor{recent ? std::string(kRecentKeyPrefix) + row.key : row.key,
                                row.partner.id()};
    }));
    response->set_ranking(*ranking);
    for (auto& row : rows) *response->add_partners() = std::move(row.partner);
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::CreateCustomFieldDefinition(
    grpc::ServerContext* context, const v1::CreateCustomFieldDefinitionRequest* request,
    v1::CustomFieldDefinition* response) {
  std::vector<kernel::FieldViolation> violations;
  CheckDefinition(request->definition(), "definition", violations);
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "CreateCustomFieldDefinition", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    std::int64_t id = 0;
    try {
      session << "SAVEPOINT create_definition";
      id = repository::InsertDefinition(session, request->definition(), services_.clock.Now());
    } catch (const std::exception& error) {
      if (SqlState(error) != "23505") throw;
      return {grpc::StatusCode::ALREADY_EXISTS,
              fmt::format("definition.key: a custom field '{}' exists already",
                          request->definition().key())};
    }
    *response = *repository::FindDefinition(session, request->definition().key(), false);
    services_.audit.Record(
        session, caller, kernel::AuditAction::kCreate, kDefinitionResource, id,
        {kernel::FieldChange::Created("key", response->key()),
         kernel::FieldChange::Created("label", response->label()),
         kernel::FieldChange::Created("type", v1::CustomFieldType_Name(response->type()))});
    services_.events.Publish(session, "partners.custom_field_definition.created", id, *response,
                             caller);
    transaction.commit();
    known_definitions_.Forget();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::ListCustomFieldDefinitions(
    grpc::ServerContext*, const v1::ListCustomFieldDefinitionsRequest*,
    v1::ListCustomFieldDefinitionsResponse* response) {
  return Guarded(services_.log, "ListCustomFieldDefinitions", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    for (auto& definition : repository::ListDefinitions(lease.Session())) {
      *response->add_definitions() = std::move(definition);
    }
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::UpdateCustomFieldDefinition(
    grpc::ServerContext* context, const v1::UpdateCustomFieldDefinitionRequest* request,
    v1::CustomFieldDefinition* response) {
  std::vector<std::string> paths(request->update_mask().paths().begin(),
                                 request->update_mask().paths().end());
  if (paths.empty()) {
    if (!request->definition().label().empty()) paths.push_back("label");
    if (!request->definition().choices().empty()) paths.push_back("choices");
    if (request->definition().required()) paths.push_back("required");
  }
  for (const auto& path : paths) {
    if (path != "label" && path != "choices" && path != "required") {
      return kernel::InvalidField("update_mask",
                                  fmt::format("'{}' cannot change (only label, choices and "
                                              "required can)",
                                              path));
    }
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  const std::string& key = request->definition().key();
  return Guarded(services_.log, "UpdateCustomFieldDefinition", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto existing = repository::FindDefinition(session, key, true);
    if (!existing) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no custom field '{}'", key)};
    }
    const std::string& etag = request->definition().etag();
    if (!etag.empty() && etag != existing->etag()) {
      return {grpc::StatusCode::ABORTED,
              fmt::format("custom field '{}' was changed meanwhile (etag {} is stale)", key, etag)};
    }
    v1::CustomFieldDefinition merged = *existing;
    google::protobuf::FieldMask mask;
    for (const auto& path : paths) mask.add_paths(path);
    FieldMaskUtil::MergeOptions options;
    options.set_replace_repeated_fields(true);
    FieldMaskUtil::MergeMessageTo(request->definition(), mask, options, &merged);
    std::vector<kernel::FieldViolation> violations;
    CheckDefinition(merged, "definition", violations);
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    for (const auto& choice : existing->choices()) {
      if (std::find(merged.choices().begin(), merged.choices().end(), choice) !=
          merged.choices().end()) {
        continue;
      }
      if (const long long users = repository::CountCustomValue(session, key, choice); users > 0) {
        return {grpc::StatusCode::FAILED_PRECONDITION,
                fmt::format("definition.choices: '{}' is still the value of {} partner(s); change "
                            "them first",
                            choice, users)};
      }
    }
    repository::UpdateDefinition(session, merged, services_.clock.Now());
    *response = *repository::FindDefinition(session, key, false);
    std::vector<kernel::FieldChange> changes;
    if (existing->label() != response->label()) {
      changes.push_back(kernel::FieldChange::Of("label", existing->label(), response->label()));
    }
    if (!std::equal(existing->choices().begin(), existing->choices().end(),
                    response->choices().begin(), response->choices().end())) {
      auto as_json = [](const v1::CustomFieldDefinition& definition) {
        std::string json = "[";
        for (const auto& choice : definition.choices()) {
          json += (json.size() > 1 ? "," : "") + kernel::JsonString(choice);
        }
        return json + "]";
      };
      changes.push_back({"choices", as_json(*existing), as_json(*response)});
    }
    if (existing->required() != response->required()) {
      changes.push_back(
          kernel::FieldChange::Of("required", existing->required(), response->required()));
    }
    if (!google::protobuf::util::MessageDifferencer::Equals(*existing, *response)) {
      const std::int64_t id = repository::DefinitionId(session, key);
      services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kDefinitionResource, id,
                             changes);
      services_.events.Publish(session, "partners.custom_field_definition.updated", id, *response,
                               caller);
    }
    transaction.commit();
    known_definitions_.Forget();
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
