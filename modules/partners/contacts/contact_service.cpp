// PartnerService's contact methods (A2): people at a partner.
#include <fmt/format.h>
#include <soci/soci.h>

#include "contacts/contact_repository.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "service_support.h"

namespace karton::partners {
namespace {

constexpr const char* kContactResource = "partners.contact";

grpc::Status NoContact(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no contact with id {}", id)};
}

v1::ContactChanged ChangedPayload(const v1::Contact& contact,
                                  const std::vector<kernel::FieldChange>& diffs) {
  v1::ContactChanged payload;
  *payload.mutable_contact() = contact;
  for (const auto& diff : diffs) payload.add_changed_fields(diff.field);
  return payload;
}

grpc::Status CheckContactExternalIds(soci::session& session, const v1::Contact& contact) {
  for (const auto& [source, key] : contact.external_ids()) {
    const auto owner = repository::FindContactByExternalId(session, source, key);
    if (owner && *owner != contact.id()) {
      return {grpc::StatusCode::ALREADY_EXISTS,
              fmt::format("contact.external_ids[{}]: key '{}' already belongs to contact {}",
                          source, key, *owner)};
    }
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status PartnerServiceImpl::CreateContact(grpc::ServerContext* context,
                                               const v1::CreateContactRequest* request,
                                               v1::Contact* response) {
  if (request->partner_id() <= 0) return kernel::InvalidField("partner_id", "is required");
  if (request->request_id().size() > 200) {
    return kernel::InvalidField("request_id", "must be at most 200 bytes");
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "CreateContact", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    if (!request->request_id().empty()) {
      repository::LockKey(session, "partners.contact.request." + request->request_id());
      if (const auto existing =
              repository::FindContactByRequestId(session, request->request_id())) {
        *response =
            *repository::FindContact(session, *existing, repository::Visibility::Everyone());
        transaction.Commit();
        return grpc::Status::OK;
      }
    }
    // Locking the partner serialises the writers of its contacts (the
    // primary flag) and checks that the caller may see it.
    if (!repository::FindPartner(session, request->partner_id(), VisibilityOf(caller), true)) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("partner_id: no partner with id {}", request->partner_id())};
    }
    v1::Contact contact = request->contact();
    contact.clear_id();
    contact.set_partner_id(request->partner_id());
    std::vector<kernel::FieldViolation> violations;
    NormalizeContact(contact, "contact", violations);
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    if (auto status = CheckContactExternalIds(session, contact); !status.ok()) return status;
    const auto now = services_.clock.Now();
    // Before the insert: the unique index allows one primary per partner.
    if (contact.primary()) {
      repository::ClearOtherPrimaryContacts(session, contact.partner_id(), 0, now);
    }
    contact.set_id(repository::InsertContact(session, request->partner_id(), contact,
                                             request->request_id(), now));
    repository::ReplaceContactExternalIds(session, contact.id(), contact.external_ids());
    *response = *repository::FindContact(session, contact.id(), repository::Visibility::Everyone());
    const auto diffs = kernel::DiffFields(nullptr, *response);
    services_.audit.Record(session, caller, kernel::AuditAction::kCreate, kContactResource,
                           response->id(), diffs);
    services_.events.Publish(session, "partners.contact.created", response->id(),
                             ChangedPayload(*response, diffs), caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::GetContact(grpc::ServerContext* context,
                                            const v1::GetContactRequest* request,
                                            v1::Contact* response) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "GetContact", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const auto contact =
        repository::FindContact(lease.Session(), request->id(), VisibilityOf(caller));
    if (!contact) return NoContact(request->id());
    *response = *contact;
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::BatchGetContacts(grpc::ServerContext* context,
                                                  const v1::BatchGetContactsRequest* request,
                                                  v1::BatchGetContactsResponse* response) {
  if (auto status = CheckBatchIds(request->ids()); !status.ok()) return status;
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "BatchGetContacts", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const std::vector<std::int64_t> ids(request->ids().begin(), request->ids().end());
    for (auto& contact : repository::FindContacts(lease.Session(), ids, VisibilityOf(caller))) {
      *response->add_contacts() = std::move(contact);
    }
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::UpdateContact(grpc::ServerContext* context,
                                               const v1::UpdateContactRequest* request,
                                               v1::Contact* response) {
  std::vector<std::string> paths;
  if (auto status =
          kernel::UpdatePaths(*request, request->contact(), IsUpdatableContactField, paths);
      !status.ok()) {
    return status;
  }
  const std::int64_t id = request->contact().id();
  if (id <= 0) return kernel::InvalidField("contact.id", "is required");
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "UpdateContact", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    const auto unlocked = repository::FindContact(session, id, VisibilityOf(caller));
    if (!unlocked) return NoContact(id);
    // The partner first, then the contact: the same lock order as creates.
    repository::FindPartner(session, unlocked->partner_id(), repository::Visibility::Everyone(),
                            true);
    const auto existing =
        repository::FindContact(session, id, repository::Visibility::Everyone(), true);
    if (!existing) return NoContact(id);
    const std::string& etag = request->contact().etag();
    if (auto status = kernel::CheckEtag("contact", id, etag, existing->etag()); !status.ok()) {
      return status;
    }
    v1::Contact merged = *existing;
    kernel::ApplyUpdateMask(request->contact(), paths, merged);
    std::vector<kernel::FieldViolation> violations;
    NormalizeContact(merged, "contact", violations);
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    const auto diffs = kernel::DiffFields(&*existing, merged, {"marketing_consents"});
    if (diffs.empty()) {
      *response = *existing;
      return grpc::Status::OK;
    }
    if (auto status = CheckContactExternalIds(session, merged); !status.ok()) return status;
    const auto now = services_.clock.Now();
    if (merged.primary()) {
      repository::ClearOtherPrimaryContacts(session, merged.partner_id(), id, now);
    }
    repository::UpdateContact(session, merged, now);
    repository::ReplaceContactExternalIds(session, id, merged.external_ids());
    *response = *repository::FindContact(session, id, repository::Visibility::Everyone());
    services_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kContactResource, id,
                           diffs);
    services_.events.Publish(session, "partners.contact.updated", id,
                             ChangedPayload(*response, diffs), caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::DeleteContact(grpc::ServerContext* context,
                                               const v1::DeleteContactRequest* request,
                                               v1::DeleteContactResponse*) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  const std::int64_t id = request->id();
  return Guarded(services_.log, "DeleteContact", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    const auto existing = repository::FindContact(session, id, VisibilityOf(caller), true);
    if (!existing) return NoContact(id);
    if (auto status = kernel::CheckEtag("contact", id, request->etag(), existing->etag());
        !status.ok()) {
      return status;
    }
    repository::DeleteContact(session, id);
    services_.audit.Record(session, caller, kernel::AuditAction::kDelete, kContactResource, id,
                           (kernel::DiffFields(&*existing, v1::Contact{}, {"marketing_consents"})));
    services_.events.Publish(session, "partners.contact.deleted", id, ChangedPayload(*existing, {}),
                             caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::ListContacts(grpc::ServerContext* context,
                                              const v1::ListContactsRequest* request,
                                              v1::ListContactsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "ListContacts", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    if (!repository::FindPartner(session, request->partner_id(), VisibilityOf(caller))) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("partner_id: no partner with id {}", request->partner_id())};
    }
    auto rows = repository::ListContacts(
        session, request->partner_id(),
        page.after ? std::optional<std::string>(page.after->key) : std::nullopt, page.AfterId(),
        page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{row.key, row.contact.id()};
    }));
    for (auto& row : rows) *response->add_contacts() = std::move(row.contact);
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
