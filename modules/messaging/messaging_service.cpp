#include "messaging_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <re2/re2.h>
#include <soci/soci.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <set>

#include "addresses.h"
#include "attachments.h"
#include "delivery/sms_delivery.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "letters/letters.h"
#include "message_repository.h"
#include "recipient.h"
#include "templates/template_engine.h"

namespace karton::messaging {
namespace {

constexpr const char* kTemplateResource = "messaging.template";
constexpr const char* kMessageResource = "messaging.message";
// Beyond ten SMS segments providers refuse or bill absurdly.
constexpr std::size_t kMaxSmsCharacters = 1530;
constexpr std::size_t kMaxSubjectBytes = 500;
constexpr std::size_t kMaxBodyBytes = 1 << 20;

using kernel::Guarded;
using kernel::SqlState;
namespace pv1 = partners::v1;

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
  static const RE2 kName("[a-z0-9][a-z0-9_.-]*");
  if (tmpl.name().size() > 200 || !RE2::FullMatch(tmpl.name(), kName)) {
    return kernel::InvalidField("template.name",
                                "is required: lower-case letters, digits, '_', '.', '-'");
  }
  static const RE2 kLanguage("[a-z]{2,3}(-[A-Za-z0-9]{2,8})*");
  if (tmpl.language().size() > 35 || !RE2::FullMatch(tmpl.language(), kLanguage)) {
    return kernel::InvalidField("template.language", "is required: a BCP 47 tag such as hu or en");
  }
  if (tmpl.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(tmpl.channel())) {
    return kernel::InvalidField("template.channel", "is required: EMAIL, SMS or LETTER");
  }
  if (tmpl.channel() == v1::CHANNEL_EMAIL && tmpl.subject().empty()) {
    return kernel::InvalidField("template.subject", "is required for email");
  }
  if (tmpl.channel() == v1::CHANNEL_SMS && !tmpl.subject().empty()) {
    return kernel::InvalidField("template.subject", "an SMS has no subject");
  }
  if (tmpl.subject().size() > kMaxSubjectBytes) {
    return kernel::InvalidField("template.subject",
                                fmt::format("is longer than {} bytes", kMaxSubjectBytes));
  }
  if (tmpl.text_body().empty()) return kernel::InvalidField("template.text_body", "is required");
  if (tmpl.text_body().size() > kMaxBodyBytes || tmpl.html_body().size() > kMaxBodyBytes) {
    return kernel::InvalidField(
        tmpl.text_body().size() > kMaxBodyBytes ? "template.text_body" : "template.html_body",
        fmt::format("is longer than {} bytes", kMaxBodyBytes));
  }
  if (tmpl.channel() != v1::CHANNEL_EMAIL && !tmpl.html_body().empty()) {
    return kernel::InvalidField("template.html_body", "is for email only");
  }
  return CheckTexts(tmpl, "template.");
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

// The template data: the recipient's cards, then the caller's variables.
boost::json::object TemplateData(boost::json::object data,
                                 const google::protobuf::Struct& variables) {
  std::string json;
  google::protobuf::util::MessageToJsonString(variables, &json);
  const boost::json::value parsed = boost::json::parse(json);
  for (const auto& [key, value] : parsed.as_object()) data[key] = value;
  return data;
}

// A template whose loops the data would repeat too often (or render too
// large) is refused on the variables: the template was checked when saved,
// and the caller's lists are what differ from call to call.
[[nodiscard]] grpc::Status Render(const v1::Template& tmpl, const boost::json::object& data,
                                  std::string& subject, std::string& text_body,
                                  std::string& html_body) {
  try {
    subject = RenderTemplate(tmpl.subject(), data, Escaping::kNone);
    text_body = RenderTemplate(tmpl.text_body(), data, Escaping::kNone);
    html_body = RenderTemplate(tmpl.html_body(), data, Escaping::kHtml);
  } catch (const TemplateTooCostly& refused) {
    return kernel::InvalidField("variables",
                                fmt::format("template '{}': {}", tmpl.name(), refused.what()));
  }
  return grpc::Status::OK;
}

// Characters, not bytes: what an SMS's length is counted in.
std::size_t Utf8Length(const std::string& text) {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

// Marketing messages carry their unsubscribe link (consent): templates
// place it with {{unsubscribe_url}}; where they did not, a line is added.
void EnsureUnsubscribeLink(v1::Message& message, const std::string& url) {
  const bool hungarian = message.language().rfind("hu", 0) == 0;
  const char* label = hungarian ? "Leiratkozás" : "Unsubscribe";
  if (message.text_body().find(url) == std::string::npos) {
    message.set_text_body(fmt::format("{}\n\n{}: {}", message.text_body(), label, url));
  }
  if (!message.html_body().empty() && message.html_body().find(url) == std::string::npos) {
    const std::string link =
        fmt::format("<p style=\"font-size:small\"><a href=\"{}\">{}</a></p>", url, label);
    std::string html = message.html_body();
    const auto body_end = html.rfind("</body>");
    html.insert(body_end == std::string::npos ? html.size() : body_end, link);
    message.set_html_body(std::move(html));
  }
}

std::string AttachmentField(int index, const char* field) {
  return fmt::format("attachments[{}]{}{}", index, *field == '\0' ? "" : ".", field);
}

// A calendar invitation (RFC 6047): an iTIP method and the one
// text/calendar file it goes with, given as content.
grpc::Status CheckCalendarMethod(const v1::SendMessageRequest& request) {
  if (request.calendar_method().empty()) return grpc::Status::OK;
  static const std::set<std::string> kMethods = {"PUBLISH", "REQUEST", "REPLY",   "ADD",
                                                 "CANCEL",  "REFRESH", "COUNTER", "DECLINECOUNTER"};
  if (kMethods.count(request.calendar_method()) == 0) {
    return kernel::InvalidField("calendar_method",
                                "is an iTIP method in capitals: REQUEST, CANCEL, PUBLISH, ...");
  }
  std::string problem;
  if (request.attachments_size() != 1 ||
      request.attachments(0).source_case() != v1::Attachment::kContent ||
      AttachmentMediaType(request.attachments(0).media_type(), problem).value_or("") !=
          "text/calendar") {
    return kernel::InvalidField("calendar_method",
                                "goes with exactly one attachment: text/calendar content");
  }
  return grpc::Status::OK;
}

// Cc, Reply-To and the attachments as far as the request shows them (a
// stored document's name, type and size are checked once it is read).
grpc::Status CheckEmailExtras(const v1::SendMessageRequest& request,
                              const ChannelSettings& settings) {
  if (request.channel() != v1::CHANNEL_EMAIL) {
    if (request.cc_size() > 0) return kernel::InvalidField("cc", "is for email only");
    if (!request.reply_to().empty()) return kernel::InvalidField("reply_to", "is for email only");
    if (request.attachments_size() > 0) {
      return kernel::InvalidField("attachments", "are for email only");
    }
    if (!request.calendar_method().empty()) {
      return kernel::InvalidField("calendar_method", "is for email only");
    }
    return grpc::Status::OK;
  }
  if (request.cc_size() > 0 && request.category() == v1::CATEGORY_MARKETING) {
    // One message, one unsubscribe link: a Cc recipient who used it would
    // opt out the To address, not themselves.
    return kernel::InvalidField("cc",
                                "marketing email goes to one recipient: its unsubscribe link "
                                "speaks for that address alone; send each a message of their own");
  }
  if (request.cc_size() > kMaxCc) {
    return kernel::InvalidField("cc", fmt::format("at most {} addresses", kMaxCc));
  }
  for (int i = 0; i < request.cc_size(); ++i) {
    if (!LooksLikeEmail(request.cc(i))) {
      return kernel::InvalidField(fmt::format("cc[{}]", i), "is not an email address");
    }
  }
  if (!request.reply_to().empty() && !LooksLikeEmail(request.reply_to())) {
    return kernel::InvalidField("reply_to", "is not an email address");
  }
  if (request.attachments_size() > kMaxAttachments) {
    return kernel::InvalidField("attachments", fmt::format("at most {} files", kMaxAttachments));
  }
  std::int64_t total = 0;
  for (int i = 0; i < request.attachments_size(); ++i) {
    const v1::Attachment& attachment = request.attachments(i);
    switch (attachment.source_case()) {
      case v1::Attachment::kContent:
        if (attachment.content().empty()) {
          return kernel::InvalidField(AttachmentField(i, "content"), "is empty");
        }
        if (attachment.file_name().empty()) {
          return kernel::InvalidField(AttachmentField(i, "file_name"), "is required");
        }
        total += static_cast<std::int64_t>(attachment.content().size());
        if (total > settings.attachments_max_bytes) {
          return kernel::InvalidField(
              AttachmentField(i, "content"),
              fmt::format("takes the attachments past {} together (the limit)",
                          SizeText(settings.attachments_max_bytes)));
        }
        break;
      case v1::Attachment::kDocumentId:
        if (attachment.document_id() <= 0) {
          return kernel::InvalidField(AttachmentField(i, "document_id"), "must be positive");
        }
        break;
      default:
        return kernel::InvalidField(AttachmentField(i, ""), "give its content or a document_id");
    }
    if (!attachment.file_name().empty()) {
      if (const auto problem = FileNameProblem(attachment.file_name())) {
        return kernel::InvalidField(AttachmentField(i, "file_name"), *problem);
      }
    }
    std::string problem;
    if (!AttachmentMediaType(attachment.media_type(), problem)) {
      return kernel::InvalidField(AttachmentField(i, "media_type"), problem);
    }
  }
  return CheckCalendarMethod(request);
}

grpc::Status CheckSendRequest(const v1::SendMessageRequest& request,
                              const ChannelSettings& settings) {
  if (request.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(request.channel())) {
    return kernel::InvalidField("channel", "is required: EMAIL, SMS or LETTER");
  }
  if (request.channel() == v1::CHANNEL_EMAIL && !settings.smtp) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "channel: email is not configured on this server (start kartond with --smtp-url and "
            "--mail-from)"};
  }
  if (request.channel() == v1::CHANNEL_SMS && !settings.sms) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "channel: SMS is not configured on this server (--module-option "
            "messaging.sms_url=...; see docs/messaging.md)"};
  }
  if (request.category() == v1::CATEGORY_UNSPECIFIED || !v1::Category_IsValid(request.category())) {
    return kernel::InvalidField("category", "is required: TRANSACTIONAL or MARKETING");
  }
  if (request.idempotency_key().size() > 200) {
    return kernel::InvalidField("idempotency_key", "is longer than 200 characters");
  }
  const v1::Recipient& recipient = request.recipient();
  if (recipient.partner_id() < 0 || recipient.contact_id() < 0) {
    return kernel::InvalidField(
        recipient.partner_id() < 0 ? "recipient.partner_id" : "recipient.contact_id",
        "must not be negative");
  }
  if (recipient.partner_id() == 0 && recipient.contact_id() == 0 && recipient.address().empty()) {
    return kernel::InvalidField("recipient", "give a partner_id, a contact_id or an address");
  }
  if (!recipient.address().empty()) {
    if (request.channel() == v1::CHANNEL_EMAIL && !LooksLikeEmail(recipient.address())) {
      return kernel::InvalidField("recipient.address", "is not an email address");
    }
    if (request.channel() == v1::CHANNEL_SMS && !NormalizeSmsAddress(recipient.address())) {
      return kernel::InvalidField("recipient.address",
                                  "is not a phone number with its country code, e.g. +36301234567");
    }
    if (request.channel() == v1::CHANNEL_LETTER) {
      return kernel::InvalidField("recipient.address",
                                  "letters go to a partner or contact (their postal address is "
                                  "printed and the PDF is kept on the partner)");
    }
  }
  const bool templated = !request.template_name().empty();
  if (templated && (!request.subject().empty() || !request.text_body().empty() ||
                    !request.html_body().empty())) {
    return kernel::InvalidField("template_name",
                                "give either a template or inline subject and body, not both");
  }
  if (!templated) {
    if (request.channel() == v1::CHANNEL_EMAIL && request.subject().empty()) {
      return kernel::InvalidField("subject", "is required without a template_name");
    }
    if (request.text_body().empty()) {
      return kernel::InvalidField("text_body", "is required without a template_name");
    }
    if (request.channel() == v1::CHANNEL_SMS && !request.subject().empty()) {
      return kernel::InvalidField("subject", "an SMS has no subject");
    }
    if (request.channel() != v1::CHANNEL_EMAIL && !request.html_body().empty()) {
      return kernel::InvalidField("html_body", "is for email only");
    }
  }
  return CheckEmailExtras(request, settings);
}

// Reads document `id` as the caller of `context`, at most `max_bytes` of
// it: `too_large` when it holds more.
grpc::Status ReadDocument(const kernel::ChannelSource& channel, const grpc::ServerContext& context,
                          std::int64_t id, std::int64_t max_bytes, pv1::Document& document,
                          std::string& content, bool& too_large) {
  // Ten MiB from the document store in 1 MiB pieces: well within this.
  constexpr auto kDownloadLimit = std::chrono::seconds(30);
  auto call = kernel::CallContext(context, kDownloadLimit);
  pv1::DownloadDocumentRequest request;
  request.set_id(id);
  auto reader = pv1::PartnerService::NewStub(channel())->DownloadDocument(call.get(), request);
  pv1::DownloadDocumentResponse part;
  too_large = false;
  while (reader->Read(&part)) {
    if (part.has_document()) {
      document = part.document();
      too_large = document.size_bytes() > max_bytes;
    } else {
      content += part.chunk();
      too_large = too_large || static_cast<std::int64_t>(content.size()) > max_bytes;
    }
    if (too_large) {
      call->TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  return too_large ? grpc::Status::OK : status;
}

// The request's attachments with their bytes: inline ones as given,
// stored documents read as the caller (who must be allowed to download
// them), with their names and types where the request gives none. Every
// problem names the attachment's field.
grpc::Status GatherAttachments(const kernel::ChannelSource& channel,
                               const grpc::ServerContext& context,
                               const v1::SendMessageRequest& request, std::int64_t max_bytes,
                               std::vector<repository::NewAttachment>& attachments) {
  std::int64_t total = 0;
  for (int i = 0; i < request.attachments_size(); ++i) {
    const v1::Attachment& given = request.attachments(i);
    repository::NewAttachment attachment;
    std::string ignored;
    attachment.file_name = given.file_name();
    attachment.media_type = *AttachmentMediaType(given.media_type(), ignored);
    if (given.source_case() == v1::Attachment::kContent) {
      attachment.content = given.content();
    } else {
      pv1::Document document;
      bool too_large = false;
      const grpc::Status status =
          ReadDocument(channel, context, given.document_id(), max_bytes - total, document,
                       attachment.content, too_large);
      const std::string field = AttachmentField(i, "document_id");
      if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
          status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        return kernel::InvalidField(field, "names no document you may read");
      }
      if (!status.ok()) {
        return {status.error_code(),
                fmt::format("{}: reading the document: {}", field, status.error_message())};
      }
      if (too_large) {
        return kernel::InvalidField(
            field,
            fmt::format("takes the attachments past {} together (the limit)", SizeText(max_bytes)));
      }
      if (attachment.content.empty()) return kernel::InvalidField(field, "the document is empty");
      attachment.document_id = document.id();
      if (attachment.file_name.empty()) {
        attachment.file_name = document.name();
        if (const auto problem = FileNameProblem(attachment.file_name)) {
          return kernel::InvalidField(
              AttachmentField(i, "file_name"),
              fmt::format("give one: the document's own name {}", *problem));
        }
      }
      if (given.media_type().empty()) {
        // The stored type without its parameters; anything odd goes as bytes.
        const std::string stored =
            document.content_type().substr(0, document.content_type().find(';'));
        attachment.media_type =
            AttachmentMediaType(stored, ignored).value_or("application/octet-stream");
      }
    }
    total += static_cast<std::int64_t>(attachment.content.size());
    if (total > max_bytes) {
      return kernel::InvalidField(
          AttachmentField(
              i, given.source_case() == v1::Attachment::kContent ? "content" : "document_id"),
          fmt::format("takes the attachments past {} together (the limit)", SizeText(max_bytes)));
    }
    for (int j = 0; j < i; ++j) {
      // Documents are kept by name: two of one name would be two versions.
      if (LowerAscii(attachments[j].file_name) == LowerAscii(attachment.file_name)) {
        return kernel::InvalidField(AttachmentField(i, "file_name"),
                                    fmt::format("is the name of attachments[{}] too", j));
      }
    }
    attachments.push_back(std::move(attachment));
  }
  return grpc::Status::OK;
}

// The message's address on its channel, and its name and postal address.
grpc::Status Address(const v1::SendMessageRequest& request, const ResolvedRecipient& resolved,
                     v1::Message& message) {
  const std::string& raw = request.recipient().address();
  message.set_recipient_name(resolved.name);
  switch (request.channel()) {
    case v1::CHANNEL_EMAIL:
      message.set_address(raw.empty() ? resolved.email : raw);
      if (message.address().empty()) {
        return kernel::InvalidField("recipient", "the partner or contact has no email address");
      }
      return grpc::Status::OK;
    case v1::CHANNEL_SMS:
      message.set_address(raw.empty() ? resolved.phone : *NormalizeSmsAddress(raw));
      if (message.address().empty()) {
        return kernel::InvalidField("recipient", "the partner or contact has no phone number");
      }
      if (!NormalizeSmsAddress(message.address())) {
        // Not quoted: a module that logs this answer must not log the number.
        return kernel::InvalidField(
            "recipient",
            "the partner's or contact's phone number is not E.164: it cannot take SMS");
      }
      return grpc::Status::OK;
    default: {
      if (!resolved.postal_address || resolved.postal_address->city().empty()) {
        return kernel::InvalidField(
            "recipient",
            fmt::format("partner {} has no postal address with a city", resolved.partner_id));
      }
      const bool to_contact = !resolved.organisation.empty();
      const auto lines = AddressLines(to_contact ? resolved.organisation : resolved.name,
                                      to_contact ? resolved.name : "", *resolved.postal_address);
      message.set_address(fmt::format("{}", fmt::join(lines, "\n")));
      *message.mutable_postal_address() = *resolved.postal_address;
      return grpc::Status::OK;
    }
  }
}

// What is checked after rendering: the sizes a channel can carry.
grpc::Status CheckRendered(const v1::Message& message) {
  if (message.subject().size() > kMaxSubjectBytes) {
    return kernel::InvalidField("subject",
                                fmt::format("is longer than {} bytes", kMaxSubjectBytes));
  }
  if (message.text_body().size() > kMaxBodyBytes || message.html_body().size() > kMaxBodyBytes) {
    return kernel::InvalidField("text_body", fmt::format("is longer than {} bytes", kMaxBodyBytes));
  }
  if (message.channel() == v1::CHANNEL_SMS && Utf8Length(message.text_body()) > kMaxSmsCharacters) {
    return kernel::InvalidField(
        "text_body", fmt::format("an SMS holds at most {} characters (ten segments); this one "
                                 "has {}",
                                 kMaxSmsCharacters, Utf8Length(message.text_body())));
  }
  return grpc::Status::OK;
}

}  // namespace

std::string StatusName(v1::MessageStatus status) {
  std::string name = v1::MessageStatus_Name(status).substr(15);  // MESSAGE_STATUS_
  return LowerAscii(std::move(name));
}

long long MicrosOf(const google::protobuf::Timestamp& timestamp) {
  return google::protobuf::util::TimeUtil::TimestampToMicroseconds(timestamp);
}

kernel::MethodRoles MessagingServiceImpl::Roles() {
  const std::vector<std::string> staff = kernel::StaffRoles();
  const std::vector<std::string> editors = {std::string(kernel::kRoleAdmin),
                                            std::string(kernel::kRoleSalesManager)};
  return {{"CreateTemplate", editors},   {"UpdateTemplate", editors},  {"GetTemplate", staff},
          {"ListTemplates", staff},      {"RenderTemplate", staff},    {"SendMessage", staff},
          {"SendMessages", staff},       {"GetMessage", staff},        {"ListMessages", staff},
          {"ExportLetters", staff},      {"CreateSuppression", staff}, {"ListSuppressions", staff},
          {"DeleteSuppression", editors}};
}

void MessagingServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* topic : {"messaging.message.queued", "messaging.message.sent",
                            "messaging.message.failed", "messaging.message.suppressed"}) {
    events.DeclareTopic<v1::Message>(topic);
  }
  events.DeclareTopic<v1::Suppression>("messaging.consent.withdrawn");
  // DeleteSuppression: the address may receive marketing again.
  events.DeclareTopic<v1::Suppression>("messaging.consent.restored");
  events.DeclareTopic<v1::Template>("messaging.template.created");
  events.DeclareTopic<v1::Template>("messaging.template.updated");
}

grpc::Status MessagingServiceImpl::CreateTemplate(grpc::ServerContext* context,
                                                  const v1::CreateTemplateRequest* request,
                                                  v1::Template* response) {
  if (auto status = CheckTemplateFields(request->template_()); !status.ok()) return status;
  return Guarded(services_.log, "CreateTemplate", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    std::int64_t id = 0;
    try {
      id = repository::InsertTemplate(lease.Session(), request->template_(), request->request_id(),
                                      services_.clock.Now());
    } catch (const std::exception& error) {
      if (SqlState(error) != "23505") throw;
      return {grpc::StatusCode::ALREADY_EXISTS,
              fmt::format("template.name: a {} template '{}' in language '{}' exists already",
                          v1::Channel_Name(request->template_().channel()),
                          request->template_().name(), request->template_().language())};
    }
    *response = *repository::FindTemplate(lease.Session(), id, false);
    services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                           kernel::AuditAction::kCreate, kTemplateResource, id,
                           {kernel::FieldChange::Created("name", response->name()),
                            kernel::FieldChange::Created("language", response->language())});
    services_.events.Publish(lease.Session(), "messaging.template.created", id, *response,
                             kernel::CallerOf(*context));
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::UpdateTemplate(grpc::ServerContext* context,
                                                  const v1::UpdateTemplateRequest* request,
                                                  v1::Template* response) {
  const v1::Template& change = request->template_();
  if (change.id() <= 0) return kernel::InvalidField("template.id", "is required");
  std::vector<std::string> paths;
  if (auto status =
          kernel::UpdatePaths(*request, change, {"subject", "text_body", "html_body"}, paths);
      !status.ok()) {
    return status;
  }
  return Guarded(services_.log, "UpdateTemplate", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    auto stored = repository::FindTemplate(lease.Session(), change.id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no template with id {}", change.id())};
    }
    if (auto status = kernel::CheckEtag("template", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Template updated = *stored;
    kernel::ApplyUpdateMask(change, paths, updated);
    if (auto status = CheckTemplateFields(updated); !status.ok()) return status;
    repository::UpdateTemplate(lease.Session(), updated, services_.clock.Now());
    *response = *repository::FindTemplate(lease.Session(), change.id(), false);
    const auto changes = kernel::DiffFields(&*stored, *response);
    if (!changes.empty()) {
      services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                             kernel::AuditAction::kUpdate, kTemplateResource, change.id(), changes);
      services_.events.Publish(lease.Session(), "messaging.template.updated", change.id(),
                               *response, kernel::CallerOf(*context));
    }
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::GetTemplate(grpc::ServerContext*,
                                               const v1::GetTemplateRequest* request,
                                               v1::Template* response) {
  return Guarded(services_.log, "GetTemplate", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
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
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return Guarded(services_.log, "ListTemplates", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows = repository::ListTemplates(lease.Session(), request->name(), page.AfterId(),
                                          page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_templates() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::RenderTemplate(grpc::ServerContext* context,
                                                  const v1::RenderTemplateRequest* request,
                                                  v1::RenderTemplateResponse* response) {
  return Guarded(services_.log, "RenderTemplate", [&]() -> grpc::Status {
    v1::Template tmpl;
    if (request->template_id() != 0 || !request->template_name().empty()) {
      auto lease = services_.database.Acquire();
      const v1::Channel channel =
          request->channel() == v1::CHANNEL_UNSPECIFIED ? v1::CHANNEL_EMAIL : request->channel();
      std::optional<v1::Template> found =
          request->template_id() != 0
              ? repository::FindTemplate(lease.Session(), request->template_id(), false)
              : repository::FindTemplateByName(lease.Session(), request->template_name(), channel,
                                               request->language());
      if (!found) {
        return kernel::InvalidField(request->template_id() != 0 ? "template_id" : "template_name",
                                    "names no template");
      }
      tmpl = *found;
    } else if (request->has_template_()) {
      tmpl = request->template_();
      if (auto status = CheckTexts(tmpl, "template."); !status.ok()) return status;
    } else {
      return kernel::InvalidField("template", "give template_id, template_name or a template");
    }
    auto recipient = ResolveRecipient(services_.channel, context, request->recipient());
    if (!recipient.status.ok()) return recipient.status;
    auto data = TemplateData(std::move(recipient.data), request->variables());
    if (!data.contains("unsubscribe_url")) {
      data["unsubscribe_url"] = services_.public_url() + "/u/preview";
    }
    return Render(tmpl, data, *response->mutable_subject(), *response->mutable_text_body(),
                  *response->mutable_html_body());
  });
}

grpc::Status MessagingServiceImpl::SendMessage(grpc::ServerContext* context,
                                               const v1::SendMessageRequest* request,
                                               v1::Message* response) {
  if (auto status = CheckSendRequest(*request, settings_); !status.ok()) return status;
  return Guarded(services_.log, "SendMessage", [&]() -> grpc::Status {
    if (!request->idempotency_key().empty()) {
      auto lease = services_.database.Acquire();
      if (auto earlier =
              repository::FindMessageByKey(lease.Session(), request->idempotency_key())) {
        *response = *earlier;
        return grpc::Status::OK;
      }
    }
    const v1::Recipient& recipient = request->recipient();
    ResolvedRecipient resolved;
    if (recipient.partner_id() != 0 || recipient.contact_id() != 0) {
      resolved = ResolveRecipient(services_.channel, context, recipient);
      if (!resolved.status.ok()) return resolved.status;
    }
    // Read before any connection is taken: the partners module needs one.
    std::vector<repository::NewAttachment> attachments;
    if (auto status = GatherAttachments(services_.channel, *context, *request,
                                        settings_.attachments_max_bytes, attachments);
        !status.ok()) {
      return status;
    }
    auto lease = services_.database.Acquire();
    // The message's event and audit entry go out with the COMMIT
    // (karton/kernel/transaction.h).
    kernel::Transaction transaction(lease.Session());
    TemplateCache templates;
    if (auto status = Queue(lease, *request, std::move(resolved), attachments,
                            kernel::CallerOf(*context), templates, *response);
        !status.ok()) {
      return status;
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::SendMessages(grpc::ServerContext* context,
                                                const v1::SendMessagesRequest* request,
                                                v1::SendMessagesResponse* response) {
  const int count = request->requests_size();
  if (count == 0) return kernel::InvalidField("requests", "is required");
  if (count > kMaxBatchMessages) {
    return kernel::InvalidField("requests",
                                fmt::format("at most {} messages at once", kMaxBatchMessages));
  }
  return Guarded(services_.log, "SendMessages", [&]() -> grpc::Status {
    std::vector<grpc::Status> refused(static_cast<std::size_t>(count));
    std::vector<std::optional<v1::Message>> answers(static_cast<std::size_t>(count));
    // Each request as SendMessage would judge it, in the same order: the
    // request itself, then an earlier message under its key, then its
    // recipient, then (in the transaction) its template and content.
    for (int i = 0; i < count; ++i) {
      const auto& one = request->requests(i);
      refused[i] = CheckSendRequest(one, settings_);
      if (refused[i].ok() && one.attachments_size() > 0) {
        refused[i] = kernel::InvalidField("attachments", "are sent with SendMessage, one by one");
      }
    }
    {
      std::vector<std::string> keys;
      for (int i = 0; i < count; ++i) {
        const auto& key = request->requests(i).idempotency_key();
        if (refused[i].ok() && !key.empty()) keys.push_back(key);
      }
      if (!keys.empty()) {
        auto lease = services_.database.Acquire();
        auto earlier = repository::FindMessagesByKeys(lease.Session(), keys);
        for (int i = 0; i < count; ++i) {
          const auto found = earlier.find(request->requests(i).idempotency_key());
          if (refused[i].ok() && found != earlier.end()) answers[i] = found->second;
        }
      }
    }
    std::vector<int> to_resolve;
    std::vector<const v1::Recipient*> recipients;
    for (int i = 0; i < count; ++i) {
      const auto& recipient = request->requests(i).recipient();
      if (refused[i].ok() && !answers[i] &&
          (recipient.partner_id() != 0 || recipient.contact_id() != 0)) {
        to_resolve.push_back(i);
        recipients.push_back(&recipient);
      }
    }
    // Read before any connection is taken: the partners module needs one.
    auto resolved_list = ResolveRecipients(services_.channel, context, recipients);
    std::vector<ResolvedRecipient> resolved(static_cast<std::size_t>(count));
    for (std::size_t n = 0; n < to_resolve.size(); ++n) {
      const int i = to_resolve[n];
      if (!resolved_list[n].status.ok()) {
        refused[i] = resolved_list[n].status;
      } else {
        resolved[i] = std::move(resolved_list[n]);
      }
    }
    const kernel::Caller caller = kernel::CallerOf(*context);
    {
      auto lease = services_.database.Acquire();
      kernel::Transaction transaction(lease.Session());
      TemplateCache templates;
      const std::vector<repository::NewAttachment> no_attachments;
      for (int i = 0; i < count; ++i) {
        if (!refused[i].ok() || answers[i]) continue;
        v1::Message queued;
        refused[i] = Queue(lease, request->requests(i), std::move(resolved[i]), no_attachments,
                           caller, templates, queued);
        if (refused[i].ok()) answers[i] = std::move(queued);
      }
      transaction.Commit();
    }
    for (int i = 0; i < count; ++i) {
      auto* result = response->add_results();
      if (answers[i]) {
        *result->mutable_message() = std::move(*answers[i]);
      } else {
        kernel::ToItemError(refused[i], fmt::format("requests[{}].", i), *result->mutable_error());
      }
    }
    return grpc::Status::OK;
  });
}

// One message rendered and written in the caller's transaction: the row,
// its attachments, its event, its delivery job and its audit entry. A
// refusal writes nothing, so a batch goes on with its other messages.
grpc::Status MessagingServiceImpl::Queue(kernel::Database::Lease& lease,
                                         const v1::SendMessageRequest& request,
                                         ResolvedRecipient resolved,
                                         const std::vector<repository::NewAttachment>& attachments,
                                         const kernel::Caller& caller, TemplateCache& templates,
                                         v1::Message& response) {
  const v1::Recipient& recipient = request.recipient();
  v1::Message message;
  message.set_channel(request.channel());
  message.set_category(request.category());
  message.mutable_recipient()->set_partner_id(resolved.partner_id);
  message.mutable_recipient()->set_contact_id(resolved.contact_id);
  message.mutable_recipient()->set_address(recipient.address());
  message.set_idempotency_key(request.idempotency_key());
  message.set_sender_user_id(caller.user_id);
  *message.mutable_cc() = request.cc();
  message.set_reply_to(request.reply_to());
  message.set_calendar_method(request.calendar_method());
  if (auto status = Address(request, resolved, message); !status.ok()) return status;

  soci::session& session = lease.Session();
  const v1::Template* tmpl = nullptr;
  if (!request.template_name().empty()) {
    const auto key = std::make_tuple(request.template_name(), static_cast<int>(request.channel()),
                                     request.language());
    auto cached = templates.find(key);
    if (cached == templates.end()) {
      cached =
          templates
              .emplace(key, repository::FindTemplateByName(session, request.template_name(),
                                                           request.channel(), request.language()))
              .first;
    }
    if (!cached->second) {
      return kernel::InvalidField("template_name", fmt::format("no {} template named '{}'",
                                                               v1::Channel_Name(request.channel()),
                                                               request.template_name()));
    }
    tmpl = &*cached->second;
  }
  const bool marketing = request.category() == v1::CATEGORY_MARKETING;
  const bool links_to_itself = marketing && request.channel() != v1::CHANNEL_LETTER;
  // Its id is taken ahead only when its body links to it (the unsubscribe
  // link); otherwise the INSERT takes it, a round trip less.
  if (links_to_itself) message.set_id(repository::NextMessageId(session));
  if (request.channel() == v1::CHANNEL_EMAIL) {
    // Chosen now, so every attempt carries the same Message-ID.
    const std::string sender = AddressOf(settings_.smtp->from);
    message.set_provider_message_id(
        fmt::format("{}@{}", RandomHex(16), sender.substr(sender.find('@') + 1)));
  }
  const std::string unsubscribe_url =
      links_to_itself ? UnsubscribeUrl(services_.public_url(), tokens_, message.id()) : "";
  if (tmpl) {
    message.set_template_name(tmpl->name());
    message.set_language(tmpl->language());
    auto data = TemplateData(std::move(resolved.data), request.variables());
    data["unsubscribe_url"] = unsubscribe_url;
    if (auto status = Render(*tmpl, data, *message.mutable_subject(), *message.mutable_text_body(),
                             *message.mutable_html_body());
        !status.ok()) {
      return status;
    }
  } else {
    message.set_language(request.language());
    message.set_subject(request.subject());
    message.set_text_body(request.text_body());
    message.set_html_body(request.html_body());
  }
  if (!unsubscribe_url.empty()) EnsureUnsubscribeLink(message, unsubscribe_url);
  if (auto status = CheckRendered(message); !status.ok()) return status;

  const auto verdict = repository::CheckSuppressionList(
      message, repository::SuppressionsListedFor(session, {&message}));
  const bool opted_out = verdict == repository::SuppressionVerdict::kOptedOut;
  const bool bounced = verdict == repository::SuppressionVerdict::kBouncedHard;
  const std::string no_consent = marketing && settings_.marketing_requires_opt_in
                                     ? MissingMarketingConsent(resolved, message.channel())
                                     : "";
  const bool suppressed = opted_out || bounced || !no_consent.empty();
  if (suppressed) {
    message.set_status(v1::MESSAGE_STATUS_SUPPRESSED);
    message.set_last_error(
        opted_out ? "the recipient opted out of marketing on this channel"
        : bounced ? "mail to this address bounced hard before (the suppression list, source "
                    "bounce): correct the address, or lift the suppression if it works again"
                  : no_consent);
  }
  auto stored = repository::InsertMessage(session, message, services_.clock.Now());
  if (!stored) {
    // The same key raced in from another call (or came earlier in the same
    // batch): answer with that message, and write nothing more.
    response = *repository::FindMessageByKey(session, request.idempotency_key());
    return grpc::Status::OK;
  }
  message.set_id(stored->id());
  if (attachments.empty()) {
    response = std::move(*stored);
  } else {
    // In the same transaction: an accepted message has its attachments,
    // which the answer and the event list.
    repository::InsertAttachments(lease.RawConnection(), message.id(), attachments, !suppressed);
    response = *repository::FindMessage(session, message.id(), false);
  }
  if (suppressed) {
    services_.events.Publish(session, "messaging.message.suppressed", message.id(), response,
                             caller);
  } else {
    services_.events.Publish(session, "messaging.message.queued", message.id(), response, caller);
    services_.jobs.Schedule(session, {.kind = DeliveryJobFor(message.channel()),
                                      .payload = std::to_string(message.id()),
                                      .run_at = services_.clock.Now(),
                                      .recurrence = "",
                                      .max_attempts = kDeliveryAttempts,
                                      .unique_key = ""});
  }
  std::vector<kernel::FieldChange> audited = {
      kernel::FieldChange::Created("address", response.address()),
      kernel::FieldChange::Created("subject", response.subject())};
  if (response.cc_size() > 0) {
    audited.push_back(
        kernel::FieldChange::Created("cc", fmt::format("{}", fmt::join(response.cc(), ", "))));
  }
  if (!attachments.empty()) {
    std::vector<std::string> names;
    for (const auto& attachment : attachments) names.push_back(attachment.file_name);
    audited.push_back(
        kernel::FieldChange::Created("attachments", fmt::format("{}", fmt::join(names, ", "))));
  }
  services_.audit.Record(session, caller, kernel::AuditAction::kCreate, kMessageResource,
                         message.id(), audited);
  return grpc::Status::OK;
}

grpc::Status MessagingServiceImpl::GetMessage(grpc::ServerContext*,
                                              const v1::GetMessageRequest* request,
                                              v1::Message* response) {
  return Guarded(services_.log, "GetMessage", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
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
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  repository::MessageFilter filter;
  filter.partner_id = request->partner_id();
  filter.contact_id = request->contact_id();
  if (request->status() != v1::MESSAGE_STATUS_UNSPECIFIED) {
    if (!v1::MessageStatus_IsValid(request->status())) {
      return kernel::InvalidField("status", "is not a message status");
    }
    filter.status = StatusName(request->status());
  }
  if (request->category() != v1::CATEGORY_UNSPECIFIED) {
    filter.category = request->category() == v1::CATEGORY_MARKETING ? "marketing" : "transactional";
  }
  if (request->channel() != v1::CHANNEL_UNSPECIFIED) {
    if (!v1::Channel_IsValid(request->channel())) {
      return kernel::InvalidField("channel", "is not a channel");
    }
    filter.channel = repository::ChannelName(request->channel());
  }
  if (request->has_start_time()) filter.start_us = MicrosOf(request->start_time());
  if (request->has_end_time()) filter.end_us = MicrosOf(request->end_time());
  return Guarded(services_.log, "ListMessages", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows =
        repository::ListMessages(lease.Session(), filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_messages() = std::move(row);
    return grpc::Status::OK;
  });
}

}  // namespace karton::messaging
