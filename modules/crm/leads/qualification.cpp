// LeadService/QualifyLead and DisqualifyLead (C4).
//
// Qualification finds the lead's partner — the one given, else one with the
// same tax number, else one with the same email, else one with a similar
// name — or creates it through PartnerService, then opens an opportunity.
// The partner is created in its own module's transaction (request_id
// "crm.lead.<id>.partner", so a retry never creates a second one); the
// opportunity and the lead's new status commit together.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "leads/lead_repository.h"
#include "leads/lead_rules.h"
#include "leads/lead_service.h"
#include "pipeline/opportunity_service.h"

namespace karton::crm {
namespace {

namespace pv1 = partners::v1;

// Names at least this similar (trigram similarity of the accent-folded
// names, as the partners module's duplicate finder uses) are the same.
constexpr double kSimilarName = 0.6;

struct PartnerMatch {
  std::int64_t partner_id = 0;
  // The contact qualification created for the lead's person, if any.
  std::int64_t contact_id = 0;
  std::string how;  // "given", "tax_number", "email", "name", "created"
  grpc::Status status;
};

// Qualifying may search and create partners: more time than a read gets.
constexpr std::chrono::seconds kPartnersCallLimit{30};

// A value for the partners' filter grammar: quoted, with \ and " escaped.
std::string Quoted(const std::string& value) {
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// "12345678112" -> "12345678-1-12": the form the partners module stores
// Hungarian tax numbers in.
std::string HungarianTaxNumber(const std::string& text) {
  std::string digits;
  for (const char c : text) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() != 11) return text;
  return digits.substr(0, 8) + "-" + digits.substr(8, 1) + "-" + digits.substr(9, 2);
}

std::int64_t FirstWithFilter(pv1::PartnerService::Stub& partners, const grpc::ServerContext& caller,
                             const std::string& filter, grpc::Status& status) {
  pv1::ListPartnersRequest request;
  request.set_filter(filter);
  request.set_page_size(1);
  pv1::ListPartnersResponse response;
  status = partners.ListPartners(kernel::CallContext(caller, kPartnersCallLimit).get(), request,
                                 &response);
  if (!status.ok() || response.partners_size() == 0) return 0;
  return response.partners(0).id();
}

// Runs without a database connection of its own (PartnerService needs
// one for each call): a handler that held one while waiting for another
// could, many at once, exhaust the pool.
PartnerMatch FindOrCreatePartner(const kernel::ServiceParts& services,
                                 const grpc::ServerContext& caller, const v1::Lead& lead,
                                 std::int64_t given) {
  auto partners = pv1::PartnerService::NewStub(services.channel());
  PartnerMatch match;
  if (given != 0) {
    pv1::GetPartnerRequest request;
    request.set_id(given);
    pv1::Partner partner;
    match.status = partners->GetPartner(kernel::CallContext(caller, kPartnersCallLimit).get(),
                                        request, &partner);
    if (match.status.error_code() == grpc::StatusCode::NOT_FOUND) {
      match.status = kernel::InvalidField("partner_id", match.status.error_message());
    }
    match.partner_id = partner.id();
    match.how = "given";
    return match;
  }
  if (!lead.tax_number().empty()) {
    const std::string tax = HungarianTaxNumber(lead.tax_number());
    match.partner_id =
        FirstWithFilter(*partners, caller, "tax_number = " + Quoted(tax), match.status);
    if (!match.status.ok()) return match;
    if (match.partner_id == 0) {
      match.partner_id = FirstWithFilter(
          *partners, caller, "eu_vat_number = " + Quoted(lead.tax_number()), match.status);
      if (!match.status.ok()) return match;
    }
    if (match.partner_id != 0) {
      match.how = "tax_number";
      return match;
    }
  }
  if (!lead.email().empty()) {
    match.partner_id =
        FirstWithFilter(*partners, caller, "email = " + Quoted(lead.email()), match.status);
    if (!match.status.ok()) return match;
    if (match.partner_id != 0) {
      match.how = "email";
      return match;
    }
  }
  const std::string name = lead.company_name().empty() ? lead.contact_name() : lead.company_name();
  if (name.size() >= 3) {
    pv1::SearchPartnersRequest request;
    request.set_query(name);
    request.set_page_size(5);
    pv1::SearchPartnersResponse found;
    match.status = partners->SearchPartners(kernel::CallContext(caller, kPartnersCallLimit).get(),
                                            request, &found);
    if (!match.status.ok()) return match;
    double best = 0;
    auto lease = services.database.Acquire();
    for (const auto& candidate : found.partners()) {
      const auto rows = kernel::RunPrepared(
          lease.Session(), "SELECT kernel.similarity(kernel.fold($1), kernel.fold($2))",
          {name, candidate.display_name()});
      const double similarity = std::stod(std::string(rows.Text(0, 0)));
      if (similarity >= kSimilarName && similarity > best) {
        best = similarity;
        match.partner_id = candidate.id();
      }
    }
    if (match.partner_id != 0) {
      match.how = "name";
      return match;
    }
  }
  // Nobody matched: the lead becomes a partner (and its person a contact).
  pv1::CreatePartnerRequest create;
  create.set_request_id(fmt::format("crm.lead.{}.partner", lead.id()));
  auto* partner = create.mutable_partner();
  const bool organisation = !lead.company_name().empty();
  partner->set_kind(organisation ? pv1::PARTNER_KIND_ORGANIZATION : pv1::PARTNER_KIND_PERSON);
  partner->set_display_name(organisation ? lead.company_name() : lead.contact_name());
  if (!lead.email().empty()) partner->add_emails(lead.email());
  if (!lead.phone().empty()) partner->add_phones(lead.phone());
  if (!lead.tax_number().empty()) partner->set_tax_number(lead.tax_number());
  if (!lead.city().empty()) {
    auto* address = partner->add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_BILLING);
    address->set_country(lead.country().empty() ? "HU" : lead.country());
    address->set_postal_code(lead.postal_code());
    address->set_city(lead.city());
  }
  partner->set_owner_user_id(lead.assigned_user_id());
  pv1::Partner created;
  match.status = partners->CreatePartner(kernel::CallContext(caller, kPartnersCallLimit).get(),
                                         create, &created);
  if (match.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // The partner's checks are stricter (a tax number's check digit, say):
    // name the lead's field the value came from.
    std::string field = "lead";
    for (const auto& violation : kernel::FieldViolationsOf(match.status)) {
      if (violation.field.find("tax_number") != std::string::npos) field = "lead.tax_number";
      if (violation.field.find("emails") != std::string::npos) field = "lead.email";
      if (violation.field.find("phones") != std::string::npos) field = "lead.phone";
      if (violation.field.find("address") != std::string::npos) field = "lead.country";
    }
    match.status =
        kernel::InvalidField(field, "cannot become a partner: " + match.status.error_message());
    return match;
  }
  if (!match.status.ok()) return match;
  match.partner_id = created.id();
  match.how = "created";
  if (organisation && !lead.contact_name().empty()) {
    pv1::CreateContactRequest contact;
    contact.set_partner_id(created.id());
    contact.mutable_contact()->set_name(lead.contact_name());
    if (!lead.email().empty()) contact.mutable_contact()->add_emails(lead.email());
    if (!lead.phone().empty()) contact.mutable_contact()->add_phones(lead.phone());
    contact.mutable_contact()->set_primary(true);
    pv1::Contact stored;
    const auto status = partners->CreateContact(
        kernel::CallContext(caller, kPartnersCallLimit).get(), contact, &stored);
    if (!status.ok()) {
      services.log.warn("lead {}: partner {} created, its contact not: {}", lead.id(), created.id(),
                        status.error_message());
    } else {
      match.contact_id = stored.id();
    }
  }
  return match;
}

// Records the consent the lead's person gave on the web form on the
// partner (or the contact qualification created for them), where its
// current state is not that already: a retried qualification records it
// once. As the caller, so the partners module applies its roles and sharing.
grpc::Status CopyConsents(const kernel::ServiceParts& services, const grpc::ServerContext& caller,
                          const v1::Lead& lead, const PartnerMatch& match) {
  if (lead.marketing_consents_size() == 0) return grpc::Status::OK;
  auto partners = pv1::PartnerService::NewStub(services.channel());
  google::protobuf::RepeatedPtrField<pv1::MarketingConsent> current;
  if (match.contact_id != 0) {
    pv1::GetContactRequest get;
    get.set_id(match.contact_id);
    pv1::Contact contact;
    auto status =
        partners->GetContact(kernel::CallContext(caller, kPartnersCallLimit).get(), get, &contact);
    if (!status.ok()) return status;
    current = contact.marketing_consents();
  } else {
    pv1::GetPartnerRequest get;
    get.set_id(match.partner_id);
    pv1::Partner partner;
    auto status =
        partners->GetPartner(kernel::CallContext(caller, kPartnersCallLimit).get(), get, &partner);
    if (!status.ok()) return status;
    current = partner.marketing_consents();
  }
  for (const auto& consent : lead.marketing_consents()) {
    const bool already =
        std::any_of(current.begin(), current.end(), [&](const pv1::MarketingConsent& now) {
          return now.channel() == consent.channel() && now.granted() == consent.granted();
        });
    if (already) continue;
    pv1::RecordMarketingConsentRequest record;
    if (match.contact_id != 0) {
      record.set_contact_id(match.contact_id);
    } else {
      record.set_partner_id(match.partner_id);
    }
    record.set_channel(consent.channel());
    record.set_granted(consent.granted());
    record.set_source(consent.source());
    // When and where the person gave it: the post's time and the form.
    record.set_evidence(fmt::format(
        "{}, lead {}, posted {}", consent.evidence(), lead.id(),
        google::protobuf::util::TimeUtil::ToString(consent.record_time()).substr(0, 19) + "Z"));
    pv1::MarketingConsent stored;
    auto status = partners->RecordMarketingConsent(
        kernel::CallContext(caller, kPartnersCallLimit).get(), record, &stored);
    if (!status.ok()) return status;
  }
  return grpc::Status::OK;
}

grpc::Status NotNew(const v1::Lead& lead) {
  return {grpc::StatusCode::FAILED_PRECONDITION,
          fmt::format("lead {} is {} already", lead.id(), v1::LeadStatus_Name(lead.status()))};
}

}  // namespace

grpc::Status LeadServiceImpl::QualifyLead(grpc::ServerContext* context,
                                          const v1::QualifyLeadRequest* request,
                                          v1::QualifyLeadResponse* response) {
  if (request->id() <= 0) return kernel::InvalidField("id", "is required");
  if (request->etag().empty()) return kernel::InvalidField("etag", "is required");
  return kernel::Guarded(services_.log, "QualifyLead", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    const Scope scope = ScopeOf(caller);
    std::optional<v1::Lead> lead;
    {
      auto lease = services_.database.Acquire();
      lead = lead_repository::Find(lease.Session(), request->id(), scope, false);
    }
    if (!lead) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no lead with id {}", request->id())};
    }
    if (lead->status() != v1::LEAD_STATUS_NEW) return NotNew(*lead);
    if (lead->etag() != request->etag()) {
      return {grpc::StatusCode::ABORTED, fmt::format("lead {} was changed meanwhile", lead->id())};
    }
    const PartnerMatch match =
        FindOrCreatePartner(services_, *context, *lead, request->partner_id());
    if (!match.status.ok()) return match.status;
    if (auto status = CopyConsents(services_, *context, *lead, match); !status.ok()) {
      return status;
    }

    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto locked = lead_repository::Find(lease.Session(), request->id(), scope, true);
    if (!locked || locked->status() != v1::LEAD_STATUS_NEW || locked->etag() != request->etag()) {
      return {grpc::StatusCode::ABORTED,
              fmt::format("lead {} was changed while it was being qualified", request->id())};
    }
    v1::Opportunity opportunity;
    opportunity.set_name(
        request->opportunity_name().empty()
            ? (lead->title().empty() ? lead->company_name() + lead->contact_name() : lead->title())
            : request->opportunity_name());
    opportunity.set_partner_id(match.partner_id);
    opportunity.set_pipeline_id(request->pipeline_id());
    if (request->has_expected_revenue()) {
      *opportunity.mutable_expected_revenue() = request->expected_revenue();
    }
    opportunity.set_owner_user_id(lead->assigned_user_id() != 0 ? lead->assigned_user_id()
                                                                : caller.user_id);
    opportunity.set_team_id(lead->team_id());
    opportunity.set_lead_id(lead->id());
    if (auto status =
            OpenOpportunity(services_.clock, services_.audit, services_.events, lease.Session(),
                            opportunity, fmt::format("crm.lead.{}.opportunity", lead->id()), caller,
                            "", *response->mutable_opportunity());
        !status.ok()) {
      return status;
    }
    lead_repository::SetStatus(lease.Session(), lead->id(), v1::LEAD_STATUS_QUALIFIED,
                               fmt::format("partner {} ({}), opportunity {}", match.partner_id,
                                           match.how, response->opportunity().id()),
                               caller.user_id, services_.clock.Now());
    lead_repository::SetQualified(lease.Session(), lead->id(), match.partner_id,
                                  response->opportunity().id());
    *response->mutable_lead() =
        *lead_repository::Find(lease.Session(), lead->id(), Scope::Everything(), false);
    response->set_partner_created(match.how == "created");
    response->set_partner_match(match.how);
    services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, "crm.lead",
                           lead->id(),
                           {kernel::FieldChange::Of("status", "new", "qualified"),
                            kernel::FieldChange::Of("partner_id", 0, match.partner_id)});
    services_.events.Publish(lease.Session(), "crm.lead.qualified", lead->id(), response->lead(),
                             caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status LeadServiceImpl::DisqualifyLead(grpc::ServerContext* context,
                                             const v1::DisqualifyLeadRequest* request,
                                             v1::Lead* response) {
  if (request->id() <= 0) return kernel::InvalidField("id", "is required");
  if (request->etag().empty()) return kernel::InvalidField("etag", "is required");
  const std::string reason = Trimmed(request->reason());
  if (reason.empty() || !IsAcceptableText(reason, 500)) {
    return kernel::InvalidField("reason", "is required: why, at most 500 bytes");
  }
  return kernel::Guarded(services_.log, "DisqualifyLead", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto lead = lead_repository::Find(lease.Session(), request->id(), ScopeOf(caller), true);
    if (!lead)
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no lead with id {}", request->id())};
    if (lead->status() != v1::LEAD_STATUS_NEW) return NotNew(*lead);
    if (lead->etag() != request->etag()) {
      return {grpc::StatusCode::ABORTED, fmt::format("lead {} was changed meanwhile", lead->id())};
    }
    lead_repository::SetStatus(lease.Session(), lead->id(), v1::LEAD_STATUS_DISQUALIFIED, reason,
                               caller.user_id, services_.clock.Now());
    *response = *lead_repository::Find(lease.Session(), lead->id(), Scope::Everything(), false);
    services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, "crm.lead",
                           lead->id(),
                           {kernel::FieldChange::Of("status", "new", "disqualified"),
                            kernel::FieldChange::Of("disqualify_reason", "", reason)});
    services_.events.Publish(lease.Session(), "crm.lead.disqualified", lead->id(), *response,
                             caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
