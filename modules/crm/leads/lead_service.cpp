#include "leads/lead_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "leads/lead_repository.h"
#include "leads/lead_rules.h"

namespace karton::crm {
namespace {

using kernel::Guarded;

long long MicrosOf(const google::protobuf::Timestamp& timestamp) {
  return google::protobuf::util::TimeUtil::TimestampToMicroseconds(timestamp);
}

}  // namespace

std::vector<std::string> CrmWriters() {
  return {std::string(kernel::kRoleSales), std::string(kernel::kRoleSalesManager)};
}

std::vector<std::string> CrmReaders() { return {std::string(kernel::kAnyRole)}; }

std::vector<std::string> CrmManagers() { return {std::string(kernel::kRoleSalesManager)}; }

kernel::MethodRoles LeadServiceImpl::Roles() {
  return {{"CreateLead", CrmWriters()},  {"GetLead", CrmReaders()},
          {"UpdateLead", CrmWriters()},  {"ListLeads", CrmReaders()},
          {"QualifyLead", CrmWriters()}, {"DisqualifyLead", CrmWriters()},
          {"ShareLead", CrmWriters()},   {"UnshareLead", CrmWriters()}};
}

grpc::Status LeadServiceImpl::CreateLead(grpc::ServerContext* context,
                                         const v1::CreateLeadRequest* request, v1::Lead* response) {
  v1::Lead lead = request->lead();
  std::vector<kernel::FieldViolation> violations;
  NormalizeLead(lead, "lead.", violations);
  if (lead.source() == v1::LEAD_SOURCE_UNSPECIFIED) lead.set_source(v1::LEAD_SOURCE_MANUAL);
  if (!v1::LeadSource_IsValid(lead.source()) || lead.source() == v1::LEAD_SOURCE_WEB_FORM) {
    violations.push_back(
        {"lead.source", "MANUAL, IMPORT, EMAIL or API (WEB_FORM is set by forms)"});
  }
  if (lead.assigned_user_id() < 0 || lead.team_id() < 0) {
    violations.push_back({"lead.assigned_user_id", "must not be negative"});
  }
  if (request->request_id().size() > 200) {
    violations.push_back({"request_id", "is longer than 200 characters"});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  // What the caller may not set.
  lead.clear_id();
  lead.clear_status();
  lead.clear_disqualify_reason();
  lead.clear_partner_id();
  lead.clear_opportunity_id();
  lead.clear_web_form_id();
  lead.clear_status_history();
  lead.clear_messages();
  lead.clear_marketing_consents();
  return Guarded(services_.log, "CreateLead", [&]() -> grpc::Status {
    intake_.Prepare();
    auto lease = services_.database.Acquire();
    // BEGIN goes with the lead's INSERT (or the routing rules' read), the
    // audit entry and the events with the COMMIT: a lead given to someone
    // is two round trips. A refused INSERT needs no savepoint: the
    // transaction is rolled back whole.
    kernel::Transaction transaction(lease.Session());
    try {
      *response = intake_.Accept(lease.Session(), lead, request->request_id(),
                                 kernel::CallerOf(*context), nullptr);
    } catch (const std::exception& error) {
      if (kernel::SqlState(error) != "23503") throw;
      return kernel::InvalidField(
          lead.assigned_user_id() != 0 ? "lead.assigned_user_id" : "lead.team_id",
          "names no user or team");
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status LeadServiceImpl::GetLead(grpc::ServerContext* context,
                                      const v1::GetLeadRequest* request, v1::Lead* response) {
  return Guarded(services_.log, "GetLead", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const auto found = lead_repository::Find(lease.Session(), request->id(),
                                             ScopeOf(kernel::CallerOf(*context)), false);
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no lead with id {}", request->id())};
    }
    *response = *found;
    return grpc::Status::OK;
  });
}

grpc::Status LeadServiceImpl::UpdateLead(grpc::ServerContext* context,
                                         const v1::UpdateLeadRequest* request, v1::Lead* response) {
  const v1::Lead& change = request->lead();
  if (change.id() <= 0) return kernel::InvalidField("lead.id", "is required");
  // Status moves with Qualify/Disqualify; the source is where it came from.
  std::vector<std::string> paths;
  if (auto status =
          kernel::UpdatePaths(*request, change,
                              {"title", "contact_name", "email", "phone", "company_name",
                               "tax_number", "country", "postal_code", "city", "message",
                               "category", "assigned_user_id", "team_id", "custom_fields"},
                              paths);
      !status.ok()) {
    return status;
  }
  return Guarded(services_.log, "UpdateLead", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    // BEGIN goes with the locked read, the audit entry and the events with
    // the COMMIT: three round trips (LeadServiceTest counts them).
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto stored = lead_repository::Find(lease.Session(), change.id(), ScopeOf(caller), true);
    if (!stored)
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no lead with id {}", change.id())};
    if (auto status = kernel::CheckEtag("lead", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Lead updated = *stored;
    kernel::ApplyUpdateMask(change, paths, updated);
    std::vector<kernel::FieldViolation> violations;
    NormalizeLead(updated, "lead.", violations);
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    // A refused UPDATE needs no savepoint: the transaction is rolled back whole.
    try {
      *response = lead_repository::Update(lease.Session(), updated, services_.clock.Now());
    } catch (const std::exception& error) {
      if (kernel::SqlState(error) != "23503") throw;
      return kernel::InvalidField("lead.assigned_user_id", "names no user or team");
    }
    // Every field that changed, custom fields too.
    const auto changes = kernel::DiffFields(&*stored, *response);
    if (!changes.empty()) {
      services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, "crm.lead",
                             change.id(), changes);
      services_.events.Publish(lease.Session(), "crm.lead.updated", change.id(), *response, caller);
    }
    // Routing follows assignments: said on a topic of its own as well.
    if (response->assigned_user_id() != stored->assigned_user_id() ||
        response->team_id() != stored->team_id()) {
      services_.events.Publish(lease.Session(), "crm.lead.assigned", change.id(), *response,
                               caller);
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status LeadServiceImpl::ShareLead(grpc::ServerContext* context,
                                        const v1::ShareLeadRequest* request, v1::Lead* response) {
  return ChangeSharing(context, "ShareLead", Sharing::kShare, request->id(), request->user_id(),
                       request->team_id(), response);
}

grpc::Status LeadServiceImpl::UnshareLead(grpc::ServerContext* context,
                                          const v1::UnshareLeadRequest* request,
                                          v1::Lead* response) {
  return ChangeSharing(context, "UnshareLead", Sharing::kUnshare, request->id(), request->user_id(),
                       request->team_id(), response);
}

grpc::Status LeadServiceImpl::ChangeSharing(grpc::ServerContext* context, const char* method,
                                            Sharing sharing, std::int64_t id, std::int64_t user_id,
                                            std::int64_t team_id, v1::Lead* response) {
  return Guarded(services_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto lead = lead_repository::Find(lease.Session(), id, ScopeOf(caller), true);
    if (!lead) return {grpc::StatusCode::NOT_FOUND, fmt::format("no lead with id {}", id)};
    if (auto status =
            kernel::ChangeSharing(sharing, services_.audit, services_.events, lease.Session(),
                                  caller, "crm.lead", *lead, lead->id(), user_id, team_id);
        !status.ok()) {
      return status;
    }
    *response = *lead;
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status LeadServiceImpl::ListLeads(grpc::ServerContext* context,
                                        const v1::ListLeadsRequest* request,
                                        v1::ListLeadsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  lead_repository::ListFilter filter;
  if (request->status() != v1::LEAD_STATUS_UNSPECIFIED) {
    if (!v1::LeadStatus_IsValid(request->status())) {
      return kernel::InvalidField("status", "is not a lead status");
    }
    filter.status = lead_repository::StatusName(request->status());
  }
  if (request->source() != v1::LEAD_SOURCE_UNSPECIFIED) {
    if (!v1::LeadSource_IsValid(request->source())) {
      return kernel::InvalidField("source", "is not a lead source");
    }
    filter.source = lead_repository::SourceName(request->source());
  }
  filter.category = request->category();
  filter.assigned_user_id = request->assigned_user_id();
  filter.team_id = request->team_id();
  filter.partner_id = request->partner_id();
  if (request->has_start_time()) filter.start_us = MicrosOf(request->start_time());
  if (request->has_end_time()) filter.end_us = MicrosOf(request->end_time());
  return Guarded(services_.log, "ListLeads", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows = lead_repository::List(lease.Session(), ScopeOf(kernel::CallerOf(*context)), filter,
                                      page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_leads() = std::move(row);
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
