#include "event_handlers.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "lead_repository.h"
#include "opportunity_repository.h"
#include "web_form_repository.h"

namespace karton::crm {
namespace {

namespace mv1 = messaging::v1;

// Sends through messaging; a channel that is not configured (or a template
// that is gone) is logged and skipped, since retrying cannot help; other
// failures throw, so the event is delivered again.
void Send(kernel::ModuleContext& context, const mv1::SendMessageRequest& request,
          const std::string& what) {
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  mv1::Message message;
  const auto status =
      mv1::MessagingService::NewStub(context.Channel())->SendMessage(&call, request, &message);
  if (status.ok()) return;
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    context.Log().warn("{} not sent: {}", what, status.error_message());
    return;
  }
  throw std::runtime_error(fmt::format("{}: {}", what, status.error_message()));
}

}  // namespace

void SendConfirmation(kernel::ModuleContext& context, const kernel::Event& event,
                      soci::session& session) {
  v1::Lead lead;
  if (!event.ParsePayload(lead) || lead.web_form_id() == 0 || lead.email().empty()) return;
  const auto form = web_form_repository::Find(session, lead.web_form_id(), false);
  if (!form || form->confirmation_template().empty()) return;
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_EMAIL);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_address(lead.email());
  request.set_template_name(form->confirmation_template());
  request.set_language(form->language());
  // The template sees {{lead.contactName}}, {{form.title}}, ...
  std::string lead_json;
  google::protobuf::util::MessageToJsonString(lead, &lead_json);
  google::protobuf::util::JsonStringToMessage(
      fmt::format("{{\"lead\":{},\"form\":{{\"title\":{},\"slug\":{}}}}}", lead_json,
                  kernel::JsonString(form->title()), kernel::JsonString(form->slug())),
      request.mutable_variables());
  request.set_idempotency_key(fmt::format("crm.lead.{}.confirmation", lead.id()));
  Send(context, request, fmt::format("the confirmation of lead {}", lead.id()));
}

void NotifyAssignee(kernel::ModuleContext& context, const kernel::Event& event) {
  v1::Lead lead;
  if (!event.ParsePayload(lead) || lead.assigned_user_id() == 0) return;
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  kernel::v1::GetUserRequest get;
  get.set_id(lead.assigned_user_id());
  kernel::v1::User user;
  const auto status =
      kernel::v1::IdentityService::NewStub(context.Channel())->GetUser(&call, get, &user);
  if (!status.ok() || user.email().empty() || user.disabled()) return;
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_EMAIL);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_address(user.email());
  request.set_language("hu");
  request.set_subject(fmt::format("Új érdeklődő: {}", lead.title()));
  request.set_text_body(fmt::format(
      "Kedves {}!\n\nÖnhöz került egy új érdeklődő (#{}).\n\nNév: {}\nCég: {}\nE-mail: {}\n"
      "Telefon: {}\nTémakör: {}\n\n{}\n",
      user.name(), lead.id(), lead.contact_name(), lead.company_name(), lead.email(), lead.phone(),
      lead.category(), lead.message()));
  // One notice per assignment (the event), whatever the retries.
  request.set_idempotency_key(fmt::format("crm.lead.{}.assigned.{}", lead.id(), event.id));
  Send(context, request, fmt::format("the assignment notice of lead {}", lead.id()));
}

void FollowMerge(const kernel::Event& event, soci::session& session) {
  partners::v1::PartnersMerged merged;
  if (!event.ParsePayload(merged)) return;
  lead_repository::RepointPartner(session, merged.merged_partner_id(), merged.kept_partner_id());
  opportunity_repository::RepointPartner(session, merged.merged_partner_id(),
                                         merged.kept_partner_id());
}

void EraseLeadsOfPartner(kernel::ModuleContext& context, const kernel::Event& event,
                         soci::session& session) {
  for (const std::int64_t id : lead_repository::ErasePartner(session, event.aggregate_id)) {
    context.Events().ErasePayloads(
        session,
        {"crm.lead.created", "crm.lead.assigned", "crm.lead.qualified", "crm.lead.disqualified"},
        id);
  }
}

}  // namespace karton::crm
