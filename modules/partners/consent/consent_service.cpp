// PartnerService's marketing consent (issue 16): opt-in per channel, kept
// with the partner or contact it belongs to; messaging honours the current
// state (docs/partners.md, "Marketing consent").
#include <fmt/format.h>
#include <soci/soci.h>

#include <cctype>

#include "consent/consent_repository.h"
#include "contacts/contact_repository.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "service_support.h"

namespace karton::partners {
namespace {

constexpr std::size_t kMaxEvidence = 500;

// Exactly one of partner_id and contact_id, both not negative.
grpc::Status CheckSubject(std::int64_t partner_id, std::int64_t contact_id) {
  if (partner_id < 0) return kernel::InvalidField("partner_id", "must not be negative");
  if (contact_id < 0) return kernel::InvalidField("contact_id", "must not be negative");
  if ((partner_id == 0) == (contact_id == 0)) {
    return kernel::InvalidField("partner_id", "give partner_id or contact_id, exactly one");
  }
  return grpc::Status::OK;
}

}  // namespace

// The person (partner or contact) as the caller sees it: the partner id
// (the contact's partner for a contact) in `partner_id`; NOT_FOUND naming
// the field otherwise. Erased people take no new grants.
static grpc::Status FindSubject(soci::session& session, const kernel::Caller& caller,
                                std::int64_t partner_id, std::int64_t contact_id,
                                std::int64_t& subject_partner, bool& erased) {
  if (contact_id != 0) {
    const auto contact = repository::FindContact(session, contact_id, VisibilityOf(caller));
    if (!contact) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("contact_id: no contact with id {}", contact_id)};
    }
    subject_partner = contact->partner_id();
    erased = contact->has_erase_time();
    return grpc::Status::OK;
  }
  const auto partner = repository::FindPartner(session, partner_id, VisibilityOf(caller));
  if (!partner) {
    return {grpc::StatusCode::NOT_FOUND,
            fmt::format("partner_id: no partner with id {}", partner_id)};
  }
  subject_partner = partner->id();
  erased = partner->has_erase_time();
  return grpc::Status::OK;
}

grpc::Status PartnerServiceImpl::RecordMarketingConsent(
    grpc::ServerContext* context, const v1::RecordMarketingConsentRequest* request,
    v1::MarketingConsent* response) {
  if (auto status = CheckSubject(request->partner_id(), request->contact_id()); !status.ok()) {
    return status;
  }
  std::vector<kernel::FieldViolation> violations;
  if (repository::ConsentChannelWord(request->channel()).empty()) {
    violations.push_back(
        {"channel", "is required: MARKETING_CHANNEL_EMAIL, _SMS, _LETTER or _PHONE"});
  }
  if (repository::ConsentSourceWord(request->source()).empty()) {
    violations.push_back({"source", "is required: how the consent was given or withdrawn"});
  } else if (request->source() == v1::CONSENT_SOURCE_UNSUBSCRIBE && request->granted()) {
    violations.push_back({"source", "an unsubscribe withdraws a consent; it never grants one"});
  }
  std::string evidence = request->evidence();
  while (!evidence.empty() && std::isspace(static_cast<unsigned char>(evidence.back()))) {
    evidence.pop_back();
  }
  evidence.erase(0, evidence.find_first_not_of(" \t\r\n"));
  if (evidence.empty()) {
    violations.push_back({"evidence",
                          "is required: what proves it (a form's name, an import, "
                          "\"phone call on 5 May\")"});
  } else if (evidence.size() > kMaxEvidence) {
    violations.push_back({"evidence", fmt::format("must be at most {} bytes", kMaxEvidence)});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "RecordMarketingConsent", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    std::int64_t partner_id = 0;
    bool erased = false;
    if (auto status = FindSubject(session, caller, request->partner_id(), request->contact_id(),
                                  partner_id, erased);
        !status.ok()) {
      return status;
    }
    // A shared deal shows its partner's card for reading only: writing
    // takes the partner shared directly (as logging on it does).
    if (caller.IsExternalPartner() &&
        !repository::IsSharedDirectly(session, partner_id, caller.user_id)) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("partner {} is not shared with you directly", partner_id)};
    }
    if (erased && request->granted()) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "the person's personal data was erased: a consent cannot be granted"};
    }
    v1::MarketingConsent consent;
    consent.set_partner_id(partner_id);
    consent.set_contact_id(request->contact_id());
    consent.set_channel(request->channel());
    consent.set_granted(request->granted());
    consent.set_source(request->source());
    consent.set_evidence(evidence);
    *response = repository::InsertConsent(session, consent, caller.user_id, services_.clock.Now());
    services_.audit.Record(
        session, caller, kernel::AuditAction::kCreate, kConsentResource, response->id(),
        {kernel::FieldChange{"partner_id", std::nullopt, std::to_string(response->partner_id())},
         kernel::FieldChange{"contact_id", std::nullopt, std::to_string(response->contact_id())},
         kernel::FieldChange::Created("channel",
                                      repository::ConsentChannelWord(response->channel())),
         kernel::FieldChange{"granted", std::nullopt, response->granted() ? "true" : "false"},
         kernel::FieldChange::Created("source", repository::ConsentSourceWord(response->source())),
         kernel::FieldChange::Created("evidence", response->evidence())});
    services_.events.Publish(session, kTopicConsentRecorded, response->partner_id(), *response,
                             caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::ListMarketingConsents(
    grpc::ServerContext* context, const v1::ListMarketingConsentsRequest* request,
    v1::ListMarketingConsentsResponse* response) {
  if (auto status = CheckSubject(request->partner_id(), request->contact_id()); !status.ok()) {
    return status;
  }
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page, {.default_size = 100, .max_size = 1000});
      !status.ok()) {
    return status;
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "ListMarketingConsents", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    std::int64_t partner_id = 0;
    bool erased = false;
    if (auto status = FindSubject(session, caller, request->partner_id(), request->contact_id(),
                                  partner_id, erased);
        !status.ok()) {
      return status;
    }
    auto rows = repository::ListConsents(
        session, partner_id, request->contact_id(),
        page.after ? std::optional<std::string>(page.after->key) : std::nullopt, page.AfterId(),
        page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{row.key, row.consent.id()};
    }));
    for (auto& row : rows) *response->add_consents() = std::move(row.consent);
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
