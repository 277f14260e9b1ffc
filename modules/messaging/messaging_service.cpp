#include "messaging_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <regex>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/proto_json.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "message_repository.h"
#include "template_engine.h"

namespace karton::messaging {
namespace {

constexpr const char* kTemplateResource = "messaging.template";
constexpr const char* kMessageResource = "messaging.message";

using kernel::Guarded;
using kernel::SqlState;

// Each text of a template must compile; the error names field, line, column.
grpc::Status CheckTexts(const v1::Template& tmpl, const std::string& prefix) {
  const std::pair<const char*, const std::string*> texts[] = {{"subject", &tmpl.subject()},
                                                              {"text_body", &tmpl.text_body()},
                                                              {"html_body", &tmpl.html_body()}};
  for (const auto& [field, text] : texts) {
    if (const auto error = CheckTemplate(*text)) {
      return kernel::InvalidField(prefix + field, fmt::format("line {}, column {}: {}", error->line,
                                                              error->column, error->reason));
    }
  }
  return grpc::Status::OK;
}

grpc::Status CheckTemplateFields(const v1::Template& tmpl) {
  static const std::regex kName("[a-z0-9][a-z0-9_.-]*");
  if (!std::regex_match(tmpl.name(), kName)) {
    return kernel::InvalidField("template.name",
                                "is required: lower-case letters, digits, '_', '.', '-'");
  }
  static const std::regex kLanguage("[a-z]{2,3}(-[A-Za-z0-9]{2,8})*");
  if (!std::regex_match(tmpl.language(), kLanguage)) {
    return kernel::InvalidField("template.language", "is required: a BCP 47 tag such as hu or en");
  }
  if (tmpl.channel() == v1::CHANNEL_UNSPECIFIED) {
    return kernel::InvalidField("template.channel", "is required: EMAIL, SMS or LETTER");
  }
  if (tmpl.channel() == v1::CHANNEL_EMAIL && tmpl.subject().empty()) {
    return kernel::InvalidField("template.subject", "is required for email");
  }
  if (tmpl.text_body().empty()) return kernel::InvalidField("template.text_body", "is required");
  if (tmpl.channel() != v1::CHANNEL_EMAIL && !tmpl.html_body().empty()) {
    return kernel::InvalidField("template.html_body", "is for email only");
  }
  return CheckTexts(tmpl, "template.");
}

bool LooksLikeEmail(const std::string& address) {
  static const std::regex kEmail(R"([^@\s<>]+@[^@\s<>]+\.[^@\s<>]+)");
  return address.size() <= 254 && std::regex_match(address, kEmail);
}

std::string RandomHex(std::size_t bytes) {
  std::string random(bytes, '\0');
  randombytes_buf(random.data(), random.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(random.data()),
                 random.size());
  hex.pop_back();
  return hex;
}

// The recipient's cards and address, read through PartnerService as the
// caller (so a caller sees only the partners it may see).
struct ResolvedRecipient {
  boost::json::object data;  // "partner", "contact"
  std::string email;
  grpc::Status status;
};

ResolvedRecipient Resolve(kernel::ModuleContext& context, const grpc::ServerContext& caller,
                          const v1::Recipient& recipient) {
  ResolvedRecipient resolved;
  auto partners = partners::v1::PartnerService::NewStub(context.Channel());
  std::int64_t partner_id = recipient.partner_id();
  if (recipient.contact_id() != 0) {
    grpc::ClientContext call;
    kernel::ForwardCaller(caller, call);
    partners::v1::GetContactRequest request;
    request.set_id(recipient.contact_id());
    partners::v1::Contact contact;
    if (auto status = partners->GetContact(&call, request, &contact); !status.ok()) {
      resolved.status = status.error_code() == grpc::StatusCode::NOT_FOUND
                            ? kernel::InvalidField("recipient.contact_id", status.error_message())
                            : status;
      return resolved;
    }
    if (partner_id != 0 && partner_id != contact.partner_id()) {
      resolved.status = kernel::InvalidField(
          "recipient.contact_id", fmt::format("contact {} belongs to partner {}, not to partner {}",
                                              contact.id(), contact.partner_id(), partner_id));
      return resolved;
    }
    partner_id = contact.partner_id();
    if (contact.emails_size() > 0) resolved.email = contact.emails(0);
    resolved.data["contact"] =
        boost::json::parse(kernel::PrintProtoJson(contact, kernel::ProtoJsonNames::kJson));
  }
  if (partner_id != 0) {
    grpc::ClientContext call;
    kernel::ForwardCaller(caller, call);
    partners::v1::GetPartnerRequest request;
    request.set_id(partner_id);
    partners::v1::Partner partner;
    if (auto status = partners->GetPartner(&call, request, &partner); !status.ok()) {
      resolved.status = status.error_code() == grpc::StatusCode::NOT_FOUND
                            ? kernel::InvalidField("recipient.partner_id", status.error_message())
                            : status;
      return resolved;
    }
    if (resolved.email.empty() && partner.emails_size() > 0) resolved.email = partner.emails(0);
    resolved.data["partner"] =
        boost::json::parse(kernel::PrintProtoJson(partner, kernel::ProtoJsonNames::kJson));
  }
  if (!recipient.address().empty()) resolved.email = recipient.address();
  return resolved;
}

// The template data: the recipient's cards, then the caller's variables.
boost::json::object TemplateData(boost::json::object data,
                                 const google::protobuf::Struct& variables) {
  std::string json;
  google::protobuf::util::MessageToJsonString(variables, &json);
  const boost::json::value parsed = boost::json::parse(json);
  for (const auto& [key, value] : parsed.as_object()) data[key] = value;
  return data;
}

void Render(const v1::Template& tmpl, const boost::json::object& data, std::string& subject,
            std::string& text_body, std::string& html_body) {
  subject = RenderTemplate(tmpl.subject(), data, Escaping::kNone);
  text_body = RenderTemplate(tmpl.text_body(), data, Escaping::kNone);
  html_body = RenderTemplate(tmpl.html_body(), data, Escaping::kHtml);
}

}  // namespace

kernel::MethodRoles MessagingServiceImpl::Roles() {
  const std::vector<std::string> staff = kernel::StaffRoles();
  const std::vector<std::string> editors = {std::string(kernel::kRoleAdmin),
                                            std::string(kernel::kRoleSalesManager)};
  return {{"CreateTemplate", editors}, {"UpdateTemplate", editors}, {"GetTemplate", staff},
          {"ListTemplates", staff},    {"RenderTemplate", staff},   {"SendMessage", staff},
          {"GetMessage", staff},       {"ListMessages", staff}};
}

grpc::Status MessagingServiceImpl::CreateTemplate(grpc::ServerContext* context,
                                                  const v1::CreateTemplateRequest* request,
                                                  v1::Template* response) {
  if (auto status = CheckTemplateFields(request->template_()); !status.ok()) return status;
  return Guarded(context_, "CreateTemplate", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    soci::transaction transaction(lease.Session());
    std::int64_t id = 0;
    try {
      id = repository::InsertTemplate(lease.Session(), request->template_(), request->request_id(),
                                      context_.Time().Now());
    } catch (const std::exception& error) {
      if (SqlState(error) != "23505") throw;
      return {grpc::StatusCode::ALREADY_EXISTS,
              fmt::format("template.name: a {} template '{}' in language '{}' exists already",
                          v1::Channel_Name(request->template_().channel()),
                          request->template_().name(), request->template_().language())};
    }
    *response = *repository::FindTemplate(lease.Session(), id, false);
    context_.Audit().Record(lease.Session(), kernel::CallerOf(*context),
                            kernel::AuditAction::kCreate, kTemplateResource, id,
                            {kernel::FieldChange::Created("name", response->name()),
                             kernel::FieldChange::Created("language", response->language())});
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::UpdateTemplate(grpc::ServerContext* context,
                                                  const v1::UpdateTemplateRequest* request,
                                                  v1::Template* response) {
  const v1::Template& change = request->template_();
  if (change.id() <= 0) return kernel::InvalidField("template.id", "is required");
  if (change.etag().empty()) return kernel::InvalidField("template.etag", "is required");
  if (request->update_mask().paths().empty()) {
    return kernel::InvalidField("update_mask", "names no field (subject, text_body, html_body)");
  }
  return Guarded(context_, "UpdateTemplate", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    soci::transaction transaction(lease.Session());
    auto stored = repository::FindTemplate(lease.Session(), change.id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no template with id {}", change.id())};
    }
    if (stored->etag() != change.etag()) {
      return {grpc::StatusCode::ABORTED,
              fmt::format("template {} was changed meanwhile (etag {} is stale, it is now {})",
                          change.id(), change.etag(), stored->etag())};
    }
    v1::Template updated = *stored;
    for (const auto& path : request->update_mask().paths()) {
      if (path == "subject") {
        updated.set_subject(change.subject());
      } else if (path == "text_body") {
        updated.set_text_body(change.text_body());
      } else if (path == "html_body") {
        updated.set_html_body(change.html_body());
      } else {
        return kernel::InvalidField(
            "update_mask",
            fmt::format("'{}' cannot be updated (subject, text_body, html_body can)", path));
      }
    }
    if (auto status = CheckTemplateFields(updated); !status.ok()) return status;
    repository::UpdateTemplate(lease.Session(), updated, context_.Time().Now());
    *response = *repository::FindTemplate(lease.Session(), change.id(), false);
    std::vector<kernel::FieldChange> changes;
    if (stored->subject() != response->subject()) {
      changes.push_back(kernel::FieldChange::Of("subject", stored->subject(), response->subject()));
    }
    if (stored->text_body() != response->text_body()) {
      changes.push_back(
          kernel::FieldChange::Of("text_body", stored->text_body(), response->text_body()));
    }
    if (stored->html_body() != response->html_body()) {
      changes.push_back(
          kernel::FieldChange::Of("html_body", stored->html_body(), response->html_body()));
    }
    context_.Audit().Record(lease.Session(), kernel::CallerOf(*context),
                            kernel::AuditAction::kUpdate, kTemplateResource, change.id(), changes);
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::GetTemplate(grpc::ServerContext*,
                                               const v1::GetTemplateRequest* request,
                                               v1::Template* response) {
  return Guarded(context_, "GetTemplate", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    auto found = repository::FindTemplate(lease.Session(), request->id(), false);
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no template with id {}", request->id())};
    }
    *response = *found;
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::ListTemplates(grpc::ServerContext*,
                                                 const v1::ListTemplatesRequest* request,
                                                 v1::ListTemplatesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(request->page_size(), request->page_token(), 't', page);
      !status.ok()) {
    return status;
  }
  return Guarded(context_, "ListTemplates", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    auto rows =
        repository::ListTemplates(lease.Session(), request->name(), page.cursor_id, page.size + 1);
    const bool more = static_cast<int>(rows.size()) > page.size;
    if (more) rows.pop_back();
    for (auto& row : rows) *response->add_templates() = std::move(row);
    if (more) response->set_next_page_token(kernel::PageToken('t', rows.back().id()));
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::RenderTemplate(grpc::ServerContext* context,
                                                  const v1::RenderTemplateRequest* request,
                                                  v1::RenderTemplateResponse* response) {
  return Guarded(context_, "RenderTemplate", [&]() -> grpc::Status {
    v1::Template tmpl;
    if (request->template_id() != 0 || !request->template_name().empty()) {
      auto lease = context_.Db().Acquire();
      std::optional<v1::Template> found =
          request->template_id() != 0
              ? repository::FindTemplate(lease.Session(), request->template_id(), false)
              : repository::FindTemplateByName(lease.Session(), request->template_name(),
                                               v1::CHANNEL_EMAIL, request->language());
      if (!found) return kernel::InvalidField("template_id", "names no template");
      tmpl = *found;
    } else if (request->has_template_()) {
      tmpl = request->template_();
      if (auto status = CheckTexts(tmpl, "template."); !status.ok()) return status;
    } else {
      return kernel::InvalidField("template", "give template_id, template_name or a template");
    }
    auto recipient = Resolve(context_, *context, request->recipient());
    if (!recipient.status.ok()) return recipient.status;
    const auto data = TemplateData(std::move(recipient.data), request->variables());
    Render(tmpl, data, *response->mutable_subject(), *response->mutable_text_body(),
           *response->mutable_html_body());
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::SendMessage(grpc::ServerContext* context,
                                               const v1::SendMessageRequest* request,
                                               v1::Message* response) {
  if (request->channel() == v1::CHANNEL_UNSPECIFIED) {
    return kernel::InvalidField("channel", "is required: EMAIL, SMS or LETTER");
  }
  if (request->channel() != v1::CHANNEL_EMAIL) {
    return {grpc::StatusCode::UNIMPLEMENTED,
            "channel: only EMAIL is delivered so far; SMS and LETTER are not built yet"};
  }
  if (!smtp_) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "channel: email is not configured on this server (start kartond with --smtp-url and "
            "--mail-from)"};
  }
  if (request->category() == v1::CATEGORY_UNSPECIFIED) {
    return kernel::InvalidField("category", "is required: TRANSACTIONAL or MARKETING");
  }
  if (request->idempotency_key().size() > 200) {
    return kernel::InvalidField("idempotency_key", "is longer than 200 characters");
  }
  const v1::Recipient& recipient = request->recipient();
  if (recipient.partner_id() == 0 && recipient.contact_id() == 0 && recipient.address().empty()) {
    return kernel::InvalidField("recipient", "give a partner_id, a contact_id or an address");
  }
  if (!recipient.address().empty() && !LooksLikeEmail(recipient.address())) {
    return kernel::InvalidField("recipient.address", "is not an email address");
  }
  const bool templated = !request->template_name().empty();
  if (templated && (!request->subject().empty() || !request->text_body().empty() ||
                    !request->html_body().empty())) {
    return kernel::InvalidField("template_name",
                                "give either a template or inline subject and body, not both");
  }
  if (!templated && (request->subject().empty() || request->text_body().empty())) {
    return kernel::InvalidField(request->subject().empty() ? "subject" : "text_body",
                                "is required without a template_name");
  }
  return Guarded(context_, "SendMessage", [&]() -> grpc::Status {
    if (!request->idempotency_key().empty()) {
      auto lease = context_.Db().Acquire();
      if (auto earlier =
              repository::FindMessageByKey(lease.Session(), request->idempotency_key())) {
        *response = *earlier;
        return grpc::Status::OK;
      }
    }
    auto resolved = Resolve(context_, *context, recipient);
    if (!resolved.status.ok()) return resolved.status;
    if (resolved.email.empty()) {
      return kernel::InvalidField("recipient", "the partner or contact has no email address");
    }
    v1::Message message;
    message.set_channel(request->channel());
    message.set_category(request->category());
    *message.mutable_recipient() = recipient;
    message.set_address(resolved.email);
    message.set_idempotency_key(request->idempotency_key());
    const std::string sender = AddressOf(smtp_->from);
    message.set_provider_message_id(
        fmt::format("{}@{}", RandomHex(16), sender.substr(sender.find('@') + 1)));
    auto lease = context_.Db().Acquire();
    soci::transaction transaction(lease.Session());
    if (templated) {
      const auto tmpl = repository::FindTemplateByName(lease.Session(), request->template_name(),
                                                       request->channel(), request->language());
      if (!tmpl) {
        return kernel::InvalidField(
            "template_name",
            fmt::format("no {} template named '{}'", v1::Channel_Name(request->channel()),
                        request->template_name()));
      }
      message.set_template_name(tmpl->name());
      message.set_language(tmpl->language());
      const auto data = TemplateData(std::move(resolved.data), request->variables());
      Render(*tmpl, data, *message.mutable_subject(), *message.mutable_text_body(),
             *message.mutable_html_body());
    } else {
      message.set_subject(request->subject());
      message.set_text_body(request->text_body());
      message.set_html_body(request->html_body());
    }
    const kernel::Caller caller = kernel::CallerOf(*context);
    const auto id =
        repository::InsertMessage(lease.Session(), message, caller.user_id, context_.Time().Now());
    if (!id) {
      // The same key raced in from another call: answer with that message.
      transaction.rollback();
      *response = *repository::FindMessageByKey(lease.Session(), request->idempotency_key());
      return grpc::Status::OK;
    }
    context_.JobQueue().Schedule(lease.Session(), {.kind = kDeliverEmailJob,
                                                   .payload = std::to_string(*id),
                                                   .run_at = context_.Time().Now(),
                                                   .recurrence = "",
                                                   .max_attempts = kDeliveryAttempts,
                                                   .unique_key = ""});
    *response = *repository::FindMessage(lease.Session(), *id, false);
    context_.Audit().Record(lease.Session(), caller, kernel::AuditAction::kCreate, kMessageResource,
                            *id,
                            {kernel::FieldChange::Created("address", response->address()),
                             kernel::FieldChange::Created("subject", response->subject())});
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::GetMessage(grpc::ServerContext*,
                                              const v1::GetMessageRequest* request,
                                              v1::Message* response) {
  return Guarded(context_, "GetMessage", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    auto found = repository::FindMessage(lease.Session(), request->id(), false);
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no message with id {}", request->id())};
    }
    *response = *found;
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::ListMessages(grpc::ServerContext*,
                                                const v1::ListMessagesRequest* request,
                                                v1::ListMessagesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(request->page_size(), request->page_token(), 'm', page);
      !status.ok()) {
    return status;
  }
  repository::MessageFilter filter;
  filter.partner_id = request->partner_id();
  if (request->status() != v1::MESSAGE_STATUS_UNSPECIFIED) {
    std::string name = v1::MessageStatus_Name(request->status()).substr(15);  // MESSAGE_STATUS_
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    filter.status = name;
  }
  if (request->category() != v1::CATEGORY_UNSPECIFIED) {
    filter.category = request->category() == v1::CATEGORY_MARKETING ? "marketing" : "transactional";
  }
  if (request->has_start_time()) {
    filter.start_us =
        request->start_time().seconds() * 1000000LL + request->start_time().nanos() / 1000;
  }
  if (request->has_end_time()) {
    filter.end_us = request->end_time().seconds() * 1000000LL + request->end_time().nanos() / 1000;
  }
  return Guarded(context_, "ListMessages", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    auto rows = repository::ListMessages(lease.Session(), filter, page.cursor_id, page.size + 1);
    const bool more = static_cast<int>(rows.size()) > page.size;
    if (more) rows.pop_back();
    for (auto& row : rows) *response->add_messages() = std::move(row);
    if (more) response->set_next_page_token(kernel::PageToken('m', rows.back().id()));
    return grpc::Status::OK;
  });
}

}  // namespace karton::messaging
