#include "forms/web_form_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>

#include <optional>
#include <vector>

#include "forms/web_form_repository.h"
#include "forms/web_form_rules.h"
#include "karton/helpdesk/v1/ticket_type_service.grpc.pb.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "leads/lead_service.h"

namespace karton::crm {

kernel::MethodRoles WebFormServiceImpl::Roles() {
  return {{"CreateWebForm", CrmManagers()},
          {"GetWebForm", kernel::StaffRoles()},
          {"ListWebForms", kernel::StaffRoles()},
          {"UpdateWebForm", CrmManagers()}};
}

grpc::Status WebFormServiceImpl::CheckReferences(const v1::WebForm& form) {
  auto identity = kernel::v1::IdentityService::NewStub(services_.channel());
  for (int i = 0; i < form.categories_size(); ++i) {
    const auto& category = form.categories(i);
    if (category.team_id() != 0 && !teams_.ExistsNow(category.team_id())) {
      return kernel::InvalidField(fmt::format("web_form.categories[{}].team_id", i),
                                  fmt::format("there is no team {}", category.team_id()));
    }
    if (category.user_id() != 0) {
      kernel::v1::GetUserRequest get;
      get.set_id(category.user_id());
      kernel::v1::User user;
      if (!identity->GetUser(kernel::KernelCallContext().get(), get, &user).ok()) {
        return kernel::InvalidField(fmt::format("web_form.categories[{}].user_id", i),
                                    fmt::format("there is no user {}", category.user_id()));
      }
    }
  }
  if (!form.confirmation_template().empty()) {
    messaging::v1::ListTemplatesRequest request;
    request.set_name(form.confirmation_template());
    messaging::v1::ListTemplatesResponse templates;
    auto status = messaging::v1::MessagingService::NewStub(services_.channel())
                      ->ListTemplates(kernel::KernelCallContext().get(), request, &templates);
    if (!status.ok()) return status;
    const bool email = std::any_of(
        templates.templates().begin(), templates.templates().end(),
        [](const auto& tmpl) { return tmpl.channel() == messaging::v1::CHANNEL_EMAIL; });
    if (!email) {
      return kernel::InvalidField(
          "web_form.confirmation_template",
          fmt::format("there is no email template named '{}'", form.confirmation_template()));
    }
  }
  return CheckTicketTarget(form);
}

grpc::Status WebFormServiceImpl::CheckTicketTarget(const v1::WebForm& form) {
  if (form.target() != v1::WEB_FORM_TARGET_TICKET) return grpc::Status::OK;
  // The helpdesk is not a dependency of crm: it is asked over the module
  // channel, and a form cannot send posts to it when it is not loaded.
  auto types = helpdesk::v1::TicketTypeService::NewStub(services_.channel());
  grpc::Status status;
  helpdesk::v1::TicketType type;
  if (form.ticket_type_id() != 0) {
    helpdesk::v1::GetTicketTypeRequest request;
    request.set_id(form.ticket_type_id());
    status = types->GetTicketType(kernel::KernelCallContext().get(), request, &type);
  } else {
    helpdesk::v1::ListTicketTypesRequest request;
    request.set_page_size(1);
    helpdesk::v1::ListTicketTypesResponse listed;
    status = types->ListTicketTypes(kernel::KernelCallContext().get(), request, &listed);
  }
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return kernel::FailedPreconditionOnField(
        "web_form.target", "the helpdesk module is not loaded: no tickets can be made");
  }
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return kernel::InvalidField("web_form.ticket_type_id",
                                fmt::format("there is no ticket type {}", form.ticket_type_id()));
  }
  if (!status.ok()) return status;
  if (form.ticket_type_id() != 0 && !type.active()) {
    return kernel::InvalidField("web_form.ticket_type_id",
                                fmt::format("the ticket type '{}' is retired", type.name()));
  }
  return grpc::Status::OK;
}

grpc::Status WebFormServiceImpl::CreateWebForm(grpc::ServerContext* context,
                                               const v1::CreateWebFormRequest* request,
                                               v1::WebForm* response) {
  v1::WebForm form = request->web_form();
  std::vector<kernel::FieldViolation> violations;
  NormalizeWebForm(form, violations);
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  return kernel::Guarded(services_.log, "CreateWebForm", [&]() -> grpc::Status {
    teams_.Refresh();
    if (auto status = CheckReferences(form); !status.ok()) return status;
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    std::int64_t id = 0;
    // A refusal returns before the COMMIT: the transaction rolls back whole.
    try {
      id = web_form_repository::Insert(lease.Session(), form, request->request_id(),
                                       services_.clock.Now());
    } catch (const std::exception& error) {
      if (kernel::SqlState(error) != "23505") throw;
      return {grpc::StatusCode::ALREADY_EXISTS,
              fmt::format("web_form.slug: a form at /forms/{} exists already", form.slug())};
    }
    *response = *web_form_repository::Find(lease.Session(), id, false);
    services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                           kernel::AuditAction::kCreate, "crm.web_form", id,
                           {kernel::FieldChange::Created("slug", response->slug())});
    services_.events.Publish(lease.Session(), "crm.web_form.created", id, *response,
                             kernel::CallerOf(*context));
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status WebFormServiceImpl::GetWebForm(grpc::ServerContext*,
                                            const v1::GetWebFormRequest* request,
                                            v1::WebForm* response) {
  return kernel::Guarded(services_.log, "GetWebForm", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const auto found = request->id() != 0
                           ? web_form_repository::Find(lease.Session(), request->id(), false)
                           : web_form_repository::FindBySlug(lease.Session(), request->slug());
    if (!found) return {grpc::StatusCode::NOT_FOUND, "no such web form"};
    *response = *found;
    return grpc::Status::OK;
  });
}

grpc::Status WebFormServiceImpl::ListWebForms(grpc::ServerContext*,
                                              const v1::ListWebFormsRequest* request,
                                              v1::ListWebFormsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(services_.log, "ListWebForms", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows = web_form_repository::List(lease.Session(), page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_web_forms() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status WebFormServiceImpl::UpdateWebForm(grpc::ServerContext* context,
                                               const v1::UpdateWebFormRequest* request,
                                               v1::WebForm* response) {
  const v1::WebForm& change = request->web_form();
  if (change.id() <= 0) return kernel::InvalidField("web_form.id", "is required");
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"title", "description", "fields", "categories", "confirmation_template", "language",
           "allowed_origins", "redirect_url", "disabled", "target", "ticket_type_id"},
          paths);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(services_.log, "UpdateWebForm", [&]() -> grpc::Status {
    teams_.Refresh();
    // The references are checked with identity and messaging, so with no
    // connection held (database.h): read, build and check the new form,
    // then write it if the stored one is still the one read.
    std::optional<v1::WebForm> read;
    {
      auto lease = services_.database.Acquire();
      read = web_form_repository::Find(lease.Session(), change.id(), false);
    }
    if (!read) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no web form with id {}", change.id())};
    }
    if (auto status = kernel::CheckEtag("web form", change.id(), change.etag(), read->etag());
        !status.ok()) {
      return status;
    }
    v1::WebForm updated = *read;
    kernel::ApplyUpdateMask(change, paths, updated);
    std::vector<kernel::FieldViolation> violations;
    NormalizeWebForm(updated, violations);
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    if (auto status = CheckReferences(updated); !status.ok()) return status;

    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto stored = web_form_repository::Find(lease.Session(), change.id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no web form with id {}", change.id())};
    }
    if (auto status = kernel::CheckEtag("web form", change.id(), read->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    web_form_repository::Update(lease.Session(), updated, services_.clock.Now());
    *response = *web_form_repository::Find(lease.Session(), change.id(), false);
    const auto changes = kernel::DiffFields(&*stored, *response);
    if (!changes.empty()) {
      services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                             kernel::AuditAction::kUpdate, "crm.web_form", change.id(), changes);
      services_.events.Publish(lease.Session(), "crm.web_form.updated", change.id(), *response,
                               kernel::CallerOf(*context));
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
