#include "process/ticket_type_service.h"

#include <fmt/format.h>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "process/process_rules.h"
#include "process/ticket_type_repository.h"
#include "tickets/ticket_repository.h"

namespace karton::helpdesk {
namespace {

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no ticket type with id {}", id)};
}

grpc::Status NameTaken(const std::string& name) {
  return {grpc::StatusCode::ALREADY_EXISTS,
          fmt::format("ticket_type.name: there is a ticket type named '{}' already", name)};
}

// The teams the steps name exist.
grpc::Status CheckTeams(soci::session& session, const v1::TicketType& type) {
  for (int i = 0; i < type.steps_size(); ++i) {
    const auto team = type.steps(i).responsible_team_id();
    if (team > 0 && !ticket_repository::TeamExists(session, team)) {
      return kernel::InvalidField(fmt::format("ticket_type.steps[{}].responsible_team_id", i),
                                  fmt::format("there is no team {}", team));
    }
  }
  return grpc::Status::OK;
}

}  // namespace

void TicketTypeServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::TicketType>("helpdesk.ticket_type.created");
  events.DeclareTopic<v1::TicketType>("helpdesk.ticket_type.updated");
}

kernel::MethodRoles TicketTypeServiceImpl::Roles() {
  // The processes are the support team's and its managers' to define.
  const std::vector<std::string> owners = {std::string(kernel::kRoleSupport),
                                           std::string(kernel::kRoleSalesManager)};
  return {{"CreateTicketType", owners},
          {"GetTicketType", kernel::StaffRoles()},
          {"ListTicketTypes", kernel::StaffRoles()},
          {"UpdateTicketType", owners}};
}

grpc::Status TicketTypeServiceImpl::CreateTicketType(grpc::ServerContext* context,
                                                     const v1::CreateTicketTypeRequest* request,
                                                     v1::TicketType* response) {
  v1::TicketType type = request->ticket_type();
  type.clear_id();
  type.clear_etag();
  type.clear_create_time();
  type.clear_update_time();
  type.set_active(true);
  if (auto problems = CheckTicketType(type, "ticket_type."); !problems.empty()) {
    return kernel::InvalidFields(std::move(problems));
  }
  return kernel::Guarded(parts_.log, "CreateTicketType", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (auto status = CheckTeams(lease.Session(), type); !status.ok()) return status;
    auto created = ticket_type_repository::Insert(lease.Session(), type, parts_.clock.Now());
    if (!created) return NameTaken(type.name());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kTicketTypeResource,
                        created->id(), kernel::DiffFields(nullptr, *created));
    parts_.events.Publish(lease.Session(), "helpdesk.ticket_type.created", created->id(), *created,
                          caller);
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status TicketTypeServiceImpl::GetTicketType(grpc::ServerContext*,
                                                  const v1::GetTicketTypeRequest* request,
                                                  v1::TicketType* response) {
  return kernel::Guarded(parts_.log, "GetTicketType", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = ticket_type_repository::Find(lease.Session(), request->id());
    if (!found) return NotFound(request->id());
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status TicketTypeServiceImpl::ListTicketTypes(grpc::ServerContext*,
                                                    const v1::ListTicketTypesRequest* request,
                                                    v1::ListTicketTypesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListTicketTypes", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = ticket_type_repository::List(lease.Session(), request->include_inactive(),
                                             page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::TicketType& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_ticket_types() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status TicketTypeServiceImpl::UpdateTicketType(grpc::ServerContext* context,
                                                     const v1::UpdateTicketTypeRequest* request,
                                                     v1::TicketType* response) {
  const v1::TicketType& change = request->ticket_type();
  std::vector<std::string> paths;
  if (auto status =
          kernel::UpdatePaths(*request, change, {"name", "description", "active", "steps"}, paths);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "UpdateTicketType", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = ticket_type_repository::Find(lease.Session(), change.id(), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("ticket type", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::TicketType next = *stored;
    kernel::ApplyUpdateMask(change, paths, next);
    if (auto problems = CheckTicketType(next, "ticket_type."); !problems.empty()) {
      return kernel::InvalidFields(std::move(problems));
    }
    if (auto status = CheckTeams(lease.Session(), next); !status.ok()) return status;
    if (kernel::DiffFields(&*stored, next).empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = ticket_type_repository::Update(lease.Session(), next, parts_.clock.Now());
    if (!written) return NameTaken(next.name());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kTicketTypeResource,
                        written->id(), kernel::DiffFields(&*stored, *written));
    parts_.events.Publish(lease.Session(), "helpdesk.ticket_type.updated", written->id(), *written,
                          caller);
    transaction.Commit();
    *response = std::move(*written);
    return grpc::Status::OK;
  });
}

}  // namespace karton::helpdesk
