// ExportPersonalData and ErasePersonalData (A10; docs/partners.md,
// "Personal data").
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>

#include <cctype>
#include <chrono>

#include "consent/consent_repository.h"
#include "contacts/contact_repository.h"
#include "documents/document_repository.h"
#include "karton/common/v1/personal_data.pb.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/v1/audit_service.pb.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "personal_data/personal_data_repository.h"
#include "service_support.h"
#include "timeline/timeline_repository.h"

namespace karton::partners {
namespace {

constexpr const char* kContactResource = "partners.contact";
constexpr const char* kDocumentResource = "partners.document";
constexpr int kBatch = 1000;

// Every topic whose events about a partner (aggregate: the partner id)
// carry its data.
const std::vector<std::string> kPartnerTopics = {kTopicCreated,
                                                 kTopicUpdated,
                                                 kTopicArchived,
                                                 kTopicRestored,
                                                 kTopicDeleted,
                                                 kTopicMerged,
                                                 "partners.interaction.logged"};
const std::vector<std::string> kContactTopics = {
    "partners.contact.created", "partners.contact.updated", "partners.contact.deleted"};
const std::vector<std::string> kDocumentTopics = {"partners.document.uploaded",
                                                  "partners.document.deleted"};

std::vector<v1::Contact> AllContacts(soci::session& session, std::int64_t partner_id) {
  std::vector<v1::Contact> contacts;
  std::optional<std::string> after_key;
  std::int64_t after_id = 0;
  while (true) {
    auto page = repository::ListContacts(session, partner_id, after_key, after_id, kBatch);
    for (auto& listed : page) contacts.push_back(std::move(listed.contact));
    if (static_cast<int>(page.size()) < kBatch) return contacts;
    after_key = page.back().key;
    after_id = contacts.back().id();
  }
}

std::vector<v1::Interaction> AllInteractions(soci::session& session, std::int64_t partner_id) {
  std::vector<v1::Interaction> interactions;
  std::optional<std::string> after_time;
  std::int64_t after_id = 0;
  while (true) {
    auto page = repository::ListTimeline(session, partner_id, repository::Visibility::Everyone(),
                                         after_time, after_id, kBatch);
    for (auto& listed : page) interactions.push_back(std::move(listed.interaction));
    if (static_cast<int>(page.size()) < kBatch) return interactions;
    after_time = page.back().key;
    after_id = interactions.back().id();
  }
}

void AddDocuments(soci::session& session, const std::string& resource_type,
                  std::int64_t resource_id, v1::PersonalData& data) {
  std::optional<std::string> after_name;
  int after_version = 0;
  while (true) {
    auto page = repository::ListDocuments(session, resource_type, resource_id, true,
                                          repository::Visibility::Everyone(), after_name,
                                          after_version, kBatch);
    for (auto& listed : page) *data.add_documents() = std::move(listed.document);
    if (static_cast<int>(page.size()) < kBatch) return;
    after_name = data.documents(data.documents_size() - 1).name();
    after_version = data.documents(data.documents_size() - 1).version();
  }
}

void AddHistory(kernel::AuditLog& audit, soci::session& session, const char* resource_type,
                std::int64_t id, v1::PersonalData& data) {
  for (auto& entry : audit.History(session, resource_type, id)) {
    *data.add_history() = std::move(entry);
  }
}

grpc::Status NoSubject() {
  return kernel::InvalidField("subject", "name a partner_id, a contact_id or an email");
}

// Other modules answer for what they hold; they may take a while over a
// long history.
constexpr auto kModuleCallLimit = std::chrono::seconds(60);

// The address as the modules store it, or empty when it is none.
std::string NormalizedEmail(std::string email) {
  email.erase(0, email.find_first_not_of(" \t\r\n"));
  email.erase(email.find_last_not_of(" \t\r\n") + 1);
  for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = email.find('@');
  if (email.size() > 254 || at == std::string::npos || at == 0 || at + 1 == email.size()) {
    return "";
  }
  return email;
}

// An address that a partner or contact has belongs to that record: the
// export or erasure of the record covers it, the address alone would not
// (FAILED_PRECONDITION naming it).
grpc::Status CheckAddressIsNobodysCard(soci::session& session, const std::string& email) {
  long long partner = 0, contact = 0;
  session << "SELECT coalesce((SELECT id FROM partners.partner WHERE emails @> ARRAY[cast(:e AS "
             "text)] ORDER BY id LIMIT 1), 0), coalesce((SELECT id FROM partners.contact WHERE "
             "emails @> ARRAY[cast(:e2 AS text)] ORDER BY id LIMIT 1), 0)",
      soci::use(email), soci::use(email), soci::into(partner), soci::into(contact);
  if (partner != 0) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("email: the address belongs to partner {}: ask by partner_id, which "
                        "covers the address too",
                        partner)};
  }
  if (contact != 0) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("email: the address belongs to contact {}: ask by contact_id, which "
                        "covers the address too",
                        contact)};
  }
  return grpc::Status::OK;
}

void AddKeys(common::v1::PersonalDataSubject& subject,
             const google::protobuf::RepeatedPtrField<std::string>& emails,
             const google::protobuf::RepeatedPtrField<std::string>& phones) {
  for (const auto& email : emails) {
    if (auto normalized = NormalizedEmail(email); !normalized.empty()) {
      *subject.add_emails() = std::move(normalized);
    }
  }
  for (const auto& phone : phones) {
    if (!phone.empty()) *subject.add_phones() = phone;
  }
}

// Whom the other modules are asked about: the partner with its contacts,
// the contact, or the address; with every address and number they carry.
common::v1::PersonalDataSubject SubjectOfPartner(soci::session& session,
                                                 const v1::Partner& partner) {
  common::v1::PersonalDataSubject subject;
  subject.set_partner_id(partner.id());
  AddKeys(subject, partner.emails(), partner.phones());
  for (const auto contact_id : repository::ContactIdsOf(session, partner.id())) {
    subject.add_contact_ids(contact_id);
    const auto contact =
        repository::FindContact(session, contact_id, repository::Visibility::Everyone());
    if (contact) AddKeys(subject, contact->emails(), contact->phones());
  }
  return subject;
}

common::v1::PersonalDataSubject SubjectOfContact(const v1::Contact& contact) {
  common::v1::PersonalDataSubject subject;
  subject.add_contact_ids(contact.id());
  AddKeys(subject, contact.emails(), contact.phones());
  return subject;
}

// Calls every module's offer at `point` with `request`, as the caller, all
// at once, and collects their sections in the order the modules offered
// them. Holds no database connection: each module takes its own. A module
// that fails fails the whole, named (the first of them in that order).
template <typename Request, typename Response>
grpc::Status AskEveryModule(
    const kernel::ServiceParts& parts, const grpc::ServerContext& caller, const char* point,
    const Request& request,
    google::protobuf::RepeatedPtrField<common::v1::PersonalDataSection>& sections) {
  auto answers = kernel::CallExtensions<Response>(parts.channel(), caller, parts.offers(point),
                                                  request, kModuleCallLimit);
  for (const auto& answer : answers) {
    if (!answer.status.ok()) {
      return {answer.status.error_code(),
              fmt::format("module {} could not answer: {}", answer.module,
                          answer.status.error_message())};
    }
  }
  for (auto& answer : answers) *sections.Add() = std::move(*answer.response.mutable_section());
  return grpc::Status::OK;
}

}  // namespace

grpc::Status PartnerServiceImpl::ExportPersonalData(grpc::ServerContext* context,
                                                    const v1::ExportPersonalDataRequest* request,
                                                    v1::PersonalData* response) {
  const bool by_partner = request->subject_case() == v1::ExportPersonalDataRequest::kPartnerId;
  const bool by_email = request->subject_case() == v1::ExportPersonalDataRequest::kEmail;
  const std::int64_t id = by_partner ? request->partner_id() : request->contact_id();
  if (request->subject_case() == v1::ExportPersonalDataRequest::SUBJECT_NOT_SET) return NoSubject();
  const std::string email = by_email ? NormalizedEmail(request->email()) : "";
  if (by_email && email.empty()) return kernel::InvalidField("email", "is not an email address");
  if (!by_email && id <= 0) {
    return kernel::InvalidField(by_partner ? "partner_id" : "contact_id", "must be positive");
  }
  common::v1::PersonalDataSubject subject;
  const auto status = Guarded(services_.log, "ExportPersonalData", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    // One snapshot: the parts of the document agree with each other.
    soci::transaction transaction(session);
    session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
    *response->mutable_export_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
        kernel::ToEpochMicros(services_.clock.Now()));
    auto& audit = services_.audit;
    if (by_email) {
      if (auto refused = CheckAddressIsNobodysCard(session, email); !refused.ok()) return refused;
      response->set_email(email);
      *subject.add_emails() = email;
    } else if (by_partner) {
      auto partner = repository::FindPartner(session, id, repository::Visibility::Everyone());
      if (!partner) {
        return {grpc::StatusCode::NOT_FOUND, fmt::format("partner_id: no partner with id {}", id)};
      }
      *response->mutable_partner() = std::move(*partner);
      AddHistory(audit, session, kPartnerResource, id, *response);
      AddDocuments(session, kPartnerResource, id, *response);
      for (auto& contact : AllContacts(session, id)) {
        AddHistory(audit, session, kContactResource, contact.id(), *response);
        AddDocuments(session, kContactResource, contact.id(), *response);
        *response->add_contacts() = std::move(contact);
      }
      for (auto& interaction : AllInteractions(session, id)) {
        *response->add_interactions() = std::move(interaction);
      }
      // Duplicates merged into it: their cards stay behind, archived.
      for (const auto merged_id : repository::MergedInto(session, id)) {
        AddHistory(audit, session, kPartnerResource, merged_id, *response);
        *response->add_merged_partners() =
            *repository::FindPartner(session, merged_id, repository::Visibility::Everyone());
      }
      for (auto& consent : repository::AllConsentsOf(session, id, 0)) {
        *response->add_marketing_consents() = std::move(consent);
      }
      subject = SubjectOfPartner(session, response->partner());
    } else {
      auto contact = repository::FindContact(session, id, repository::Visibility::Everyone());
      if (!contact) {
        return {grpc::StatusCode::NOT_FOUND, fmt::format("contact_id: no contact with id {}", id)};
      }
      const auto partner = repository::FindPartner(session, contact->partner_id(),
                                                   repository::Visibility::Everyone());
      response->mutable_contact_partner()->set_id(partner->id());
      response->mutable_contact_partner()->set_display_name(partner->display_name());
      AddHistory(audit, session, kContactResource, id, *response);
      AddDocuments(session, kContactResource, id, *response);
      for (auto& interaction : AllInteractions(session, contact->partner_id())) {
        if (interaction.contact_id() == id) *response->add_interactions() = std::move(interaction);
      }
      for (auto& consent : repository::AllConsentsOf(session, contact->partner_id(), id)) {
        *response->add_marketing_consents() = std::move(consent);
      }
      subject = SubjectOfContact(*contact);
      *response->mutable_contact() = std::move(*contact);
    }
    transaction.commit();
    return grpc::Status::OK;
  });
  if (!status.ok()) return status;
  // What every other module holds about the same person.
  return AskEveryModule<common::v1::ExportPersonalDataSectionRequest,
                        common::v1::ExportPersonalDataSectionResponse>(
      services_, *context, "personal_data_export",
      [&] {
        common::v1::ExportPersonalDataSectionRequest ask;
        *ask.mutable_subject() = subject;
        return ask;
      }(),
      *response->mutable_sections());
}

grpc::Status PartnerServiceImpl::ErasePersonalData(grpc::ServerContext* context,
                                                   const v1::ErasePersonalDataRequest* request,
                                                   v1::ErasePersonalDataResponse* response) {
  const bool by_partner = request->subject_case() == v1::ErasePersonalDataRequest::kPartnerId;
  const bool by_email = request->subject_case() == v1::ErasePersonalDataRequest::kEmail;
  const std::int64_t id = by_partner ? request->partner_id() : request->contact_id();
  const std::string email = by_email ? NormalizedEmail(request->email()) : "";
  std::vector<kernel::FieldViolation> violations;
  if (request->subject_case() == v1::ErasePersonalDataRequest::SUBJECT_NOT_SET) {
    violations.push_back({"subject", "name a partner_id, a contact_id or an email"});
  } else if (by_email && email.empty()) {
    violations.push_back({"email", "is not an email address"});
  } else if (!by_email && id <= 0) {
    violations.push_back({by_partner ? "partner_id" : "contact_id", "must be positive"});
  }
  std::string reason = request->reason();
  reason.erase(0, reason.find_first_not_of(" \t\r\n"));
  reason.erase(reason.find_last_not_of(" \t\r\n") + 1);
  if (reason.empty()) {
    violations.push_back({"reason", "is required: why the data is erased (the request's number)"});
  } else if (reason.size() > 500) {
    violations.push_back({"reason", "at most 500 bytes"});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  const kernel::Caller caller = kernel::CallerOf(*context);

  // The other modules erase first, each in its own transaction and
  // idempotently: should one fail, nothing here is erased yet, and the
  // whole request can simply be repeated. (The erased events published
  // below reach them again as a safety net for what arrives meanwhile.)
  common::v1::ErasePersonalDataSectionRequest ask;
  ask.set_reason(reason);
  const auto found = Guarded(services_.log, "ErasePersonalData", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    if (by_email) {
      if (auto refused = CheckAddressIsNobodysCard(session, email); !refused.ok()) return refused;
      *ask.mutable_subject()->add_emails() = email;
    } else if (by_partner) {
      const auto partner = repository::FindPartner(session, id, repository::Visibility::Everyone());
      if (!partner) {
        return {grpc::StatusCode::NOT_FOUND, fmt::format("partner_id: no partner with id {}", id)};
      }
      *ask.mutable_subject() = SubjectOfPartner(session, *partner);
    } else {
      const auto contact = repository::FindContact(session, id, repository::Visibility::Everyone());
      if (!contact) {
        return {grpc::StatusCode::NOT_FOUND, fmt::format("contact_id: no contact with id {}", id)};
      }
      *ask.mutable_subject() = SubjectOfContact(*contact);
    }
    return grpc::Status::OK;
  });
  if (!found.ok()) return found;
  if (auto status = AskEveryModule<common::v1::ErasePersonalDataSectionRequest,
                                   common::v1::ErasePersonalDataSectionResponse>(
          services_, *context, "personal_data_erase", ask, *response->mutable_sections());
      !status.ok()) {
    return {status.error_code(), status.error_message() +
                                     "; nothing on the partner card was erased yet, and the "
                                     "request may be repeated"};
  }
  if (by_email) return grpc::Status::OK;

  return Guarded(services_.log, "ErasePersonalData", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto now = services_.clock.Now();
    auto& audit = services_.audit;
    auto& events = services_.events;
    const std::vector<kernel::FieldChange> erase_entry = {
        {"reason", std::nullopt, kernel::JsonString(reason)}};

    // A contact: its card and documents; the timeline entries that name it
    // are its partner's record and stay (the contact they name is erased).
    auto erase_contact = [&](v1::Contact contact) {
      for (const auto document_id :
           repository::DeleteDocumentsOf(session, kContactResource, contact.id())) {
        audit.EraseValues(session, kDocumentResource, document_id, {});
        events.ErasePayloads(session, kDocumentTopics, document_id);
      }
      // Grants go; withdrawals stay, without their evidence, as proof of
      // the opt-out (docs/partners.md, "Marketing consent").
      const auto consents = repository::AllConsentsOf(session, contact.partner_id(), contact.id());
      for (const auto& consent : consents) {
        audit.EraseValues(session, kConsentResource, consent.id(), {"evidence"});
      }
      repository::EraseConsents(session, contact.partner_id(), contact.id());
      // Their events carry the evidence too. They are filed under the
      // partner (and, for records a merge moved, under the partner merged
      // into it), and payloads are erased per aggregate: the partner's
      // consent events lose their payloads with the contact's. The records
      // themselves (ListMarketingConsents) keep everybody else's history.
      if (!consents.empty()) {
        std::vector<std::int64_t> aggregates = {contact.partner_id()};
        for (const auto merged_id : repository::MergedInto(session, contact.partner_id())) {
          aggregates.push_back(merged_id);
        }
        for (const auto aggregate : aggregates) {
          events.ErasePayloads(session, {kTopicConsentRecorded}, aggregate);
        }
      }
      AnonymiseContact(contact);
      repository::UpdateContact(session, contact, now);
      repository::MarkContactErased(session, contact.id(), now);
      kernel::ForgetErasedRecord(audit, events, session, caller, kContactResource, contact.id(),
                                 kContactTopics, reason);
      v1::ContactChanged payload;
      *payload.mutable_contact() =
          *repository::FindContact(session, contact.id(), repository::Visibility::Everyone());
      events.Publish(session, "partners.contact.erased", contact.id(), payload, caller);
    };

    if (!by_partner) {
      auto contact = repository::FindContact(session, id, repository::Visibility::Everyone(), true);
      if (!contact) {
        return {grpc::StatusCode::NOT_FOUND, fmt::format("contact_id: no contact with id {}", id)};
      }
      erase_contact(std::move(*contact));
      *response->mutable_contact() =
          *repository::FindContact(session, id, repository::Visibility::Everyone());
      transaction.commit();
      return grpc::Status::OK;
    }

    // A partner: its card, its contacts, its documents, the texts of its
    // timeline; and the duplicates merged into it, which are the same
    // person's records.
    auto erase_partner = [&](v1::Partner partner) {
      const std::int64_t partner_id = partner.id();
      for (const auto contact_id : repository::ContactIdsOf(session, partner_id)) {
        erase_contact(*repository::FindContact(session, contact_id,
                                               repository::Visibility::Everyone(), true));
      }
      for (const auto document_id :
           repository::DeleteDocumentsOf(session, kPartnerResource, partner_id)) {
        audit.EraseValues(session, kDocumentResource, document_id, {});
        events.ErasePayloads(session, kDocumentTopics, document_id);
      }
      repository::EraseInteractionTexts(session, partner_id);
      for (const auto& consent : repository::AllConsentsOf(session, partner_id, 0)) {
        audit.EraseValues(session, kConsentResource, consent.id(), {"evidence"});
      }
      repository::EraseConsents(session, partner_id, 0);
      events.ErasePayloads(session, {kTopicConsentRecorded}, partner_id);
      AnonymisePartner(partner);
      repository::UpdatePartner(session, partner, now);
      repository::MarkPartnerErased(session, partner_id, now);
      audit.EraseValues(session, kPartnerResource, partner_id, PersonalPartnerFields());
      audit.Record(session, caller, kernel::AuditAction::kErase, kPartnerResource, partner_id,
                   erase_entry);
      // Earlier events would still carry the data; the erased event that
      // follows tells subscribers to erase their copies.
      events.ErasePayloads(session, kPartnerTopics, partner_id);
      v1::PartnerChanged payload;
      *payload.mutable_partner() =
          *repository::FindPartner(session, partner_id, repository::Visibility::Everyone());
      for (const auto& field : PersonalPartnerFields()) payload.add_changed_fields(field);
      events.Publish(session, kTopicErased, partner_id, payload, caller);
    };

    auto partner = repository::FindPartner(session, id, repository::Visibility::Everyone(), true);
    if (!partner) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("partner_id: no partner with id {}", id)};
    }
    erase_partner(std::move(*partner));
    for (const auto merged_id : repository::MergedInto(session, id)) {
      erase_partner(
          *repository::FindPartner(session, merged_id, repository::Visibility::Everyone(), true));
    }
    *response->mutable_partner() =
        *repository::FindPartner(session, id, repository::Visibility::Everyone());
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
