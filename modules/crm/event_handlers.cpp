#include "event_handlers.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <span>

#include "activities/activity_repository.h"
#include "forms/web_form_repository.h"
#include "karton/crm/v1/activity.pb.h"
#include "karton/crm/v1/crm.pb.h"
#include "karton/crm/v1/opportunity_service.grpc.pb.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/orders/v1/orders.pb.h"
#include "karton/partner_timeline/partner_timeline.h"
#include "leads/lead_repository.h"
#include "personal_data_service.h"
#include "pipeline/opportunity_repository.h"

namespace karton::crm {
namespace {

namespace mv1 = messaging::v1;

// Sends through messaging; a channel that is not configured (or a template
// that is gone) is logged and skipped, since retrying cannot help; other
// failures throw, so the event is delivered again.
void Send(const kernel::ServiceParts& services, const mv1::SendMessageRequest& request,
          const std::string& what) {
  auto call = kernel::KernelCallContext(std::chrono::seconds(30));
  mv1::Message message;
  const auto status = mv1::MessagingService::NewStub(services.channel())
                          ->SendMessage(call.get(), request, &message);
  if (status.ok()) return;
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    services.log.warn("{} not sent: {}", what, status.error_message());
    return;
  }
  throw std::runtime_error(fmt::format("{}: {}", what, status.error_message()));
}

// Earlier form leads to the same address within a day of this one (the
// lead's own create time, so a redelivered event decides the same way).
long long EarlierFormLeadsTo(soci::session& session, const v1::Lead& lead) {
  const long long created_us =
      google::protobuf::util::TimeUtil::TimestampToMicroseconds(lead.create_time());
  const std::string lead_id = std::to_string(lead.id());
  const std::string since_us = std::to_string(created_us - 24LL * 3600 * 1000000);
  const auto earlier = kernel::RunPrepared(
      session,
      "SELECT count(*) FROM crm.lead WHERE web_form_id IS NOT NULL AND email <> '' "
      "AND lower(email) = lower($1) AND create_time > to_timestamp($2::bigint / 1e6) "
      "AND id < $3::bigint",
      {lead.email(), since_us, lead_id});
  return kernel::ParseInt64(earlier.Text(0, 0)).value_or(0);
}

// The confirmation of a form's lead to its submitter.
mv1::SendMessageRequest Confirmation(const v1::Lead& lead, const v1::WebForm& form) {
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_EMAIL);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_address(lead.email());
  request.set_template_name(form.confirmation_template());
  request.set_language(form.language());
  // The template sees {{lead.contactName}}, {{form.title}}, ...
  std::string lead_json;
  google::protobuf::util::MessageToJsonString(lead, &lead_json);
  google::protobuf::util::JsonStringToMessage(
      fmt::format("{{\"lead\":{},\"form\":{{\"title\":{},\"slug\":{}}}}}", lead_json,
                  kernel::JsonString(form.title()), kernel::JsonString(form.slug())),
      request.mutable_variables());
  request.set_idempotency_key(fmt::format("crm.lead.{}.confirmation", lead.id()));
  return request;
}

// Sends a run's messages: a single one with SendMessage, more in one
// SendMessages (a run is at most a delivery batch, 100 events, under its
// 1,000), one transaction in messaging. `what` names them in the log
// ("the confirmation"), each with its idempotency key.
void SendAll(const kernel::ServiceParts& services, const mv1::SendMessagesRequest& batch,
             std::string_view what) {
  if (batch.requests_size() == 0) return;
  if (batch.requests_size() == 1) {  // a run of one: as SendMessage judges it
    Send(services, batch.requests(0),
         fmt::format("{} {}", what, batch.requests(0).idempotency_key()));
    return;
  }
  auto call = kernel::KernelCallContext(std::chrono::seconds(30));
  mv1::SendMessagesResponse answer;
  const auto status =
      mv1::MessagingService::NewStub(services.channel())->SendMessages(call.get(), batch, &answer);
  // Anything refused as a whole, or a message refused for a reason a retry
  // could mend, fails the run: its events then go one at a time, and each
  // is judged as SendMessage judges it.
  if (!status.ok()) {
    throw std::runtime_error(
        fmt::format("{} messages ({}): {}", batch.requests_size(), what, status.error_message()));
  }
  for (int i = 0; i < answer.results_size(); ++i) {
    const auto& error = answer.results(i).error();
    if (error.code() == 0) continue;
    if (error.code() == grpc::StatusCode::FAILED_PRECONDITION ||
        error.code() == grpc::StatusCode::INVALID_ARGUMENT) {
      services.log.warn("{} {} not sent: {}", what, batch.requests(i).idempotency_key(),
                        error.message());
      continue;
    }
    throw std::runtime_error(
        fmt::format("{} {}: {}", what, batch.requests(i).idempotency_key(), error.message()));
  }
}

}  // namespace

void SendConfirmations(const kernel::ServiceParts& services, std::span<const kernel::Event> events,
                       int max_per_recipient_per_day) {
  std::vector<v1::Lead> leads;
  for (const auto& event : events) {
    v1::Lead lead;
    if (!event.ParsePayload(lead) || lead.web_form_id() == 0 || lead.email().empty()) continue;
    leads.push_back(std::move(lead));
  }
  if (leads.empty()) return;
  // What the decisions need is read first, each form once a run; the lease
  // is given back before messaging is called (a call holding it could
  // starve the pool).
  mv1::SendMessagesRequest batch;
  {
    auto lease = services.database.Acquire();
    std::map<std::int64_t, std::optional<v1::WebForm>> forms;
    for (const auto& lead : leads) {
      auto [form, first] = forms.try_emplace(lead.web_form_id());
      if (first) {
        form->second = web_form_repository::Find(lease.Session(), lead.web_form_id(), false);
      }
      if (!form->second || form->second->confirmation_template().empty()) continue;
      if (max_per_recipient_per_day > 0) {
        const long long earlier = EarlierFormLeadsTo(lease.Session(), lead);
        if (earlier >= max_per_recipient_per_day) {
          services.log.info(
              "the confirmation of lead {} not sent: its address had {} form confirmations in "
              "the day before",
              lead.id(), earlier);
          continue;
        }
      }
      *batch.add_requests() = Confirmation(lead, *form->second);
    }
  }
  SendAll(services, batch, "the confirmation");
}

namespace {

// A transactional email in Hungarian to a colleague.
mv1::SendMessageRequest EmailToColleague(const kernel::v1::User& user) {
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_EMAIL);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_address(user.email());
  request.set_language("hu");
  return request;
}

// The assignee's notice of `lead`, assigned by the event `event_id`.
mv1::SendMessageRequest AssigneeNotice(const v1::Lead& lead, const kernel::v1::User& user,
                                       std::int64_t event_id) {
  auto request = EmailToColleague(user);
  request.set_subject(fmt::format("Új érdeklődő: {}", lead.title()));
  request.set_text_body(fmt::format(
      "Kedves {}!\n\nÖnhöz került egy új érdeklődő (#{}).\n\nNév: {}\nCég: {}\nE-mail: {}\n"
      "Telefon: {}\nTémakör: {}\n\n{}\n",
      user.name(), lead.id(), lead.contact_name(), lead.company_name(), lead.email(), lead.phone(),
      lead.category(), lead.message()));
  // One notice per assignment (the event), whatever the retries.
  request.set_idempotency_key(fmt::format("crm.lead.{}.assigned.{}", lead.id(), event_id));
  return request;
}

// The user a notice goes to, if it can go: a user without an email
// address, disabled or gone gets none. Any other failure to look the user
// up throws, so the events come again instead of the notice being lost.
std::optional<kernel::v1::User> NoticeRecipient(const kernel::ServiceParts& services,
                                                std::int64_t user_id) {
  auto call = kernel::KernelCallContext();
  kernel::v1::GetUserRequest get;
  get.set_id(user_id);
  kernel::v1::User user;
  const auto status =
      kernel::v1::IdentityService::NewStub(services.channel())->GetUser(call.get(), get, &user);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("user {}: {}", user_id, status.error_message()));
  }
  if (user.email().empty() || user.disabled()) return std::nullopt;
  return user;
}

// The reminder of `activity` to its assignee, for the event `event_id`.
mv1::SendMessageRequest Reminder(const v1::Activity& activity, const kernel::v1::User& user,
                                 std::int64_t event_id) {
  const auto& when = activity.has_start_time() ? activity.start_time() : activity.due_time();
  auto request = EmailToColleague(user);
  request.set_subject(fmt::format("Emlékeztető: {}", activity.subject()));
  request.set_text_body(
      fmt::format("Kedves {}!\n\n{} (UTC): {}\n{}{}\n", user.name(),
                  google::protobuf::util::TimeUtil::ToString(when), activity.subject(),
                  activity.location().empty() ? "" : "Helyszín: " + activity.location() + "\n",
                  activity.description()));
  request.set_idempotency_key(fmt::format("crm.activity.{}.due.{}", activity.id(), event_id));
  return request;
}

// The messages of a run of events to the users they name: `user_of` gives
// an event payload's user (0: none), `message` its message to that user.
// Each user is looked up once a run; one who cannot be told gets none.
template <typename Payload, typename UserOf, typename Message>
mv1::SendMessagesRequest UserMessages(const kernel::ServiceParts& services,
                                      std::span<const kernel::Event> events, UserOf user_of,
                                      Message message) {
  std::map<std::int64_t, std::optional<kernel::v1::User>> recipients;
  mv1::SendMessagesRequest batch;
  for (const auto& event : events) {
    Payload payload;
    if (!event.ParsePayload(payload) || user_of(payload) == 0) continue;
    auto [recipient, first] = recipients.try_emplace(user_of(payload));
    if (first) recipient->second = NoticeRecipient(services, user_of(payload));
    if (!recipient->second) continue;
    *batch.add_requests() = message(payload, *recipient->second, event.id);
  }
  return batch;
}

// The timeline entry of a completed activity about a partner.
partners::v1::Interaction ActivityTimelineEntry(const v1::Activity& activity) {
  namespace pv1 = partners::v1;
  pv1::Interaction entry;
  entry.set_partner_id(activity.partner_id());
  entry.set_contact_id(activity.contact_id());
  switch (activity.type()) {
    case v1::ACTIVITY_TYPE_CALL:
      entry.set_channel(pv1::INTERACTION_CHANNEL_CALL);
      entry.set_direction(pv1::INTERACTION_DIRECTION_OUTBOUND);
      break;
    case v1::ACTIVITY_TYPE_MEETING:
      entry.set_channel(pv1::INTERACTION_CHANNEL_MEETING);
      entry.set_direction(pv1::INTERACTION_DIRECTION_OUTBOUND);
      break;
    case v1::ACTIVITY_TYPE_EMAIL:
      entry.set_channel(pv1::INTERACTION_CHANNEL_EMAIL);
      entry.set_direction(pv1::INTERACTION_DIRECTION_OUTBOUND);
      break;
    default:
      entry.set_channel(pv1::INTERACTION_CHANNEL_NOTE);
      entry.set_direction(pv1::INTERACTION_DIRECTION_INTERNAL);
  }
  *entry.mutable_occur_time() =
      activity.has_start_time() ? activity.start_time() : activity.complete_time();
  entry.set_user_id(activity.assigned_user_id());
  entry.set_subject(activity.subject());
  std::string body = activity.description();
  if (!activity.outcome().empty()) body += (body.empty() ? "" : "\n\n") + activity.outcome();
  entry.set_body(body);
  entry.set_source_module("crm");
  entry.set_source_reference(fmt::format("activity/{}", activity.id()));
  // The deal or lead it was about decides who outside the company sees it.
  if (activity.opportunity_id() != 0) {
    entry.set_resource_type("crm.opportunity");
    entry.set_resource_id(activity.opportunity_id());
  } else if (activity.lead_id() != 0) {
    entry.set_resource_type("crm.lead");
    entry.set_resource_id(activity.lead_id());
  }
  return entry;
}

}  // namespace

void NotifyAssignees(const kernel::ServiceParts& services, std::span<const kernel::Event> events) {
  SendAll(services,
          UserMessages<v1::Lead>(
              services, events, [](const v1::Lead& lead) { return lead.assigned_user_id(); },
              AssigneeNotice),
          "the assignment notice");
}

void LogActivitiesOnTimeline(const kernel::ServiceParts& services,
                             std::span<const kernel::Event> events) {
  std::vector<partner_timeline::Entry> entries;
  for (const auto& event : events) {
    v1::Activity activity;
    if (!event.ParsePayload(activity) || activity.partner_id() == 0) continue;
    entries.push_back({ActivityTimelineEntry(activity), fmt::format("activity {}", activity.id())});
  }
  partner_timeline::Log(services.channel, services.log, entries);
}

void SendActivityReminders(const kernel::ServiceParts& services,
                           std::span<const kernel::Event> events) {
  SendAll(services,
          UserMessages<v1::Activity>(
              services, events,
              [](const v1::Activity& activity) { return activity.assigned_user_id(); }, Reminder),
          "the reminder");
}

void WinDealOfAcceptedQuotation(const kernel::ServiceParts& services, const kernel::Event& event) {
  orders::v1::Quotation quotation;
  if (!event.ParsePayload(quotation) || quotation.opportunity_id() <= 0) return;
  auto deals = v1::OpportunityService::NewStub(services.channel());
  v1::GetOpportunityRequest get;
  get.set_id(quotation.opportunity_id());
  v1::Opportunity deal;
  auto status = deals->GetOpportunity(kernel::KernelCallContext().get(), get, &deal);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return;
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("opportunity {}: {}", get.id(), status.error_message()));
  }
  if (deal.status() != v1::OPPORTUNITY_STATUS_OPEN) return;
  v1::MarkWonRequest win;
  win.set_id(deal.id());
  win.set_etag(deal.etag());
  status = deals->MarkWon(kernel::KernelCallContext().get(), win, &deal);
  // ABORTED: the deal changed since it was read; the retry reads it again.
  if (!status.ok() && status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
    throw std::runtime_error(fmt::format("opportunity {}: {}", win.id(), status.error_message()));
  }
  services.log.info("opportunity {} won: quotation {} was accepted", win.id(), quotation.number());
}

void FollowMerge(const kernel::Event& event, soci::session& session) {
  partners::v1::PartnersMerged merged;
  if (!event.ParsePayload(merged)) return;
  lead_repository::RepointPartner(session, merged.merged_partner_id(), merged.kept_partner_id());
  opportunity_repository::RepointPartner(session, merged.merged_partner_id(),
                                         merged.kept_partner_id());
  activity_repository::RepointPartner(session, merged.merged_partner_id(),
                                      merged.kept_partner_id());
}

void EraseLeadsOfPartner(kernel::DomainEvents& events, const kernel::Event& event,
                         soci::session& session) {
  for (const std::int64_t id : lead_repository::ErasePartner(session, event.aggregate_id)) {
    events.ErasePayloads(
        session,
        {"crm.lead.created", "crm.lead.updated", "crm.lead.assigned", "crm.lead.qualified",
         "crm.lead.disqualified", "crm.lead.shared", "crm.lead.unshared"},
        id);
  }
}

void EraseInvitationsOfContact(const kernel::ServiceParts& services, const kernel::Event& event,
                               soci::session& session) {
  if (event.aggregate_id <= 0) return;
  EraseInvitations(services, session, kernel::BigintArrayLiteral({event.aggregate_id}), "[]");
}

}  // namespace karton::crm
