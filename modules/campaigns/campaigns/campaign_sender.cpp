#include "campaigns/campaign_sender.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "campaigns/campaign_repository.h"
#include "campaigns/messaging_channel.h"
#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/transaction.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "segments/segment_members.h"
#include "segments/segment_repository.h"

namespace karton::campaigns {
namespace {

namespace mv1 = messaging::v1;

std::int64_t Integer(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string StatusOf(mv1::MessageStatus status) {
  switch (status) {
    case mv1::MESSAGE_STATUS_SENT:
      return "sent";
    case mv1::MESSAGE_STATUS_FAILED:
      return "failed";
    case mv1::MESSAGE_STATUS_SUPPRESSED:
      return "suppressed";
    case mv1::MESSAGE_STATUS_BOUNCED:
      return "bounced";
    default:
      return "queued";
  }
}

// "campaign-12-345": campaign 12, recipient 345.
bool ParseKey(const std::string& key, std::int64_t& campaign_id, std::int64_t& recipient_id) {
  constexpr std::string_view kPrefix = "campaign-";
  if (key.rfind(kPrefix, 0) != 0) return false;
  const auto dash = key.find('-', kPrefix.size());
  if (dash == std::string::npos) return false;
  campaign_id = Integer(std::string_view(key).substr(kPrefix.size(), dash - kPrefix.size()));
  recipient_id = Integer(std::string_view(key).substr(dash + 1));
  return campaign_id > 0 && recipient_id > 0;
}

}  // namespace

const std::vector<std::string>& CampaignSender::StatusTopics() {
  static const std::vector<std::string> topics = {
      "messaging.message.queued",     "messaging.message.sent",    "messaging.message.failed",
      "messaging.message.suppressed", "messaging.message.bounced", "messaging.consent.withdrawn"};
  return topics;
}

void CampaignSender::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "scheduled", "started", "completed", "canceled"}) {
    events.DeclareTopic<v1::Campaign>(std::string("campaigns.campaign.") + verb);
  }
}

void CampaignSender::Schedule(soci::session& session, std::int64_t campaign_id,
                              kernel::TimePoint at, const std::string& step) {
  kernel::JobSpec spec;
  spec.kind = kJob;
  spec.payload = std::to_string(campaign_id);
  spec.run_at = at;
  spec.max_attempts = 10;
  spec.unique_key = fmt::format("campaign-{}-{}", campaign_id, step);
  jobs_.Schedule(session, spec);
}

void CampaignSender::Run(const kernel::JobRun& run) {
  const std::int64_t id = Integer(run.payload);
  std::optional<v1::Campaign> campaign;
  {
    auto lease = parts_.database.Acquire();
    campaign = campaign_repository::Find(lease.Session(), id);
  }
  if (!campaign) return;
  if (campaign->state() == v1::CAMPAIGN_STATE_SCHEDULED) {
    if (!Start(id)) return;
    auto lease = parts_.database.Acquire();
    campaign = campaign_repository::Find(lease.Session(), id);
  }
  if (!campaign || campaign->state() != v1::CAMPAIGN_STATE_SENDING) return;
  // Batch after batch while there is no rate to keep, for a while; then a
  // new run carries on, so one run never holds a job thread for long.
  const auto began = std::chrono::steady_clock::now();
  while (SendBatch(*campaign)) {
    if (std::chrono::steady_clock::now() - began > kRunBudget) {
      auto lease = parts_.database.Acquire();
      kernel::Transaction transaction(lease.Session());
      Schedule(lease.Session(), id, parts_.clock.Now(),
               fmt::format("run-{}-{}", run.id, run.attempt));
      transaction.Commit();
      return;
    }
  }
}

bool CampaignSender::Start(std::int64_t campaign_id) {
  std::optional<v1::Campaign> campaign;
  std::optional<v1::Segment> segment;
  {
    auto lease = parts_.database.Acquire();
    campaign = campaign_repository::Find(lease.Session(), campaign_id);
    if (campaign) segment = segment_repository::Find(lease.Session(), campaign->segment_id());
  }
  // Listed as kartond, no connection held while partners answers.
  campaign_repository::NewRecipients recipients;
  std::string problem;
  if (!segment) {
    problem = fmt::format("segment {} was deleted", campaign ? campaign->segment_id() : 0);
  } else {
    const auto status =
        ForEachMember(parts_.channel, nullptr, *segment, 0, [&](v1::SegmentMember&& member) {
          recipients.partner_ids.push_back(member.partner_id());
          recipients.contact_ids.push_back(member.contact_id());
          return true;
        });
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
        status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      problem = status.error_message();  // no retry can change it
    } else if (!status.ok()) {
      throw std::runtime_error("listing the segment's members: " + status.error_message());
    }
  }
  auto lease = parts_.database.Acquire();
  kernel::Transaction transaction(lease.Session());
  auto locked = campaign_repository::Find(lease.Session(), campaign_id, true);
  if (!locked || locked->state() != v1::CAMPAIGN_STATE_SCHEDULED) return false;
  const kernel::Caller kartond = kernel::Caller::Internal();
  const auto now = parts_.clock.Now();
  if (!problem.empty()) {
    // The campaign cannot be sent as defined: canceled, saying why.
    parts_.log.warn("campaign {} canceled: {}", campaign_id, problem);
    auto canceled = campaign_repository::SetState(lease.Session(), campaign_id,
                                                  v1::CAMPAIGN_STATE_CANCELED, now);
    parts_.audit.Record(lease.Session(), kartond, kernel::AuditAction::kUpdate,
                        "campaigns.campaign", campaign_id,
                        {kernel::FieldChange::Of("state", "scheduled", "canceled"),
                         kernel::FieldChange::Of("reason", "", problem)});
    parts_.events.Publish(lease.Session(), "campaigns.campaign.canceled", campaign_id, canceled,
                          kartond);
    transaction.Commit();
    return false;
  }
  campaign_repository::InsertRecipients(lease.Session(), campaign_id, recipients, now);
  auto started =
      campaign_repository::SetState(lease.Session(), campaign_id, v1::CAMPAIGN_STATE_SENDING, now);
  parts_.audit.Record(
      lease.Session(), kartond, kernel::AuditAction::kUpdate, "campaigns.campaign", campaign_id,
      {kernel::FieldChange::Of("state", "scheduled", "sending"),
       kernel::FieldChange::Of("recipients", 0,
                               static_cast<std::int64_t>(recipients.partner_ids.size()))});
  parts_.events.Publish(lease.Session(), "campaigns.campaign.started", campaign_id, started,
                        kartond);
  transaction.Commit();
  parts_.log.info("campaign {}: {} recipient(s)", campaign_id, recipients.partner_ids.size());
  return true;
}

namespace {

mv1::SendMessageRequest MessageFor(const v1::Campaign& campaign,
                                   const v1::CampaignRecipient& recipient) {
  mv1::SendMessageRequest request;
  request.set_channel(MessagingChannel(campaign.channel()));
  request.set_category(mv1::CATEGORY_MARKETING);
  request.mutable_recipient()->set_partner_id(recipient.partner_id());
  request.mutable_recipient()->set_contact_id(recipient.contact_id());
  request.set_template_name(campaign.template_name());
  request.set_language(campaign.language());
  request.set_idempotency_key(fmt::format("campaign-{}-{}", campaign.id(), recipient.id()));
  (*request.mutable_variables()->mutable_fields())["campaign"].set_string_value(campaign.name());
  return request;
}

// What became of one recipient handed to messaging.
campaign_repository::RecipientOutcome OutcomeOf(const v1::CampaignRecipient& recipient,
                                                const mv1::SendMessagesResult& result) {
  campaign_repository::RecipientOutcome outcome;
  outcome.recipient_id = recipient.id();
  if (result.has_message()) {
    const auto& message = result.message();
    outcome.status = StatusOf(message.status());
    outcome.message_id = message.id();
    outcome.address = message.address();
    outcome.detail = message.last_error();
    return outcome;
  }
  // This recipient cannot be written to (no address on the channel, a
  // partner erased meanwhile): not sent, and no retry changes that. A
  // template refused is the campaign's fault: failed.
  const auto code = static_cast<grpc::StatusCode>(result.error().code());
  outcome.status = code == grpc::StatusCode::INVALID_ARGUMENT &&
                           result.error().message().find("template") == std::string::npos
                       ? "suppressed"
                       : "failed";
  outcome.detail = result.error().message();
  return outcome;
}

// Recipients `first` to `last` of `pending` handed to messaging in one
// SendMessages call. `transient_error` is set (and no outcome) when
// messaging could not be reached: those recipients stay pending.
void HandOver(mv1::MessagingService::Stub& messaging, const v1::Campaign& campaign,
              const std::vector<v1::CampaignRecipient>& pending, std::size_t first,
              std::size_t last, std::vector<campaign_repository::RecipientOutcome>& outcomes,
              std::string& transient_error) {
  mv1::SendMessagesRequest request;
  for (std::size_t i = first; i < last; ++i) {
    *request.add_requests() = MessageFor(campaign, pending[i]);
  }
  mv1::SendMessagesResponse response;
  const auto status = messaging.SendMessages(kernel::KernelCallContext().get(), request, &response);
  if (!status.ok() || response.results_size() != request.requests_size()) {
    transient_error = status.ok() ? "SendMessages answered a result count that does not match"
                                  : status.error_message();
    return;
  }
  for (std::size_t i = first; i < last; ++i) {
    const auto& result = response.results(static_cast<int>(i - first));
    const auto code = static_cast<grpc::StatusCode>(result.error().code());
    if (!result.has_message() && code != grpc::StatusCode::INVALID_ARGUMENT &&
        code != grpc::StatusCode::FAILED_PRECONDITION && code != grpc::StatusCode::NOT_FOUND &&
        code != grpc::StatusCode::PERMISSION_DENIED) {
      // Partners could not be asked, say: the recipient stays pending.
      transient_error = result.error().message();
      continue;
    }
    outcomes[i] = OutcomeOf(pending[i], result);
  }
}

}  // namespace

bool CampaignSender::SendBatch(const v1::Campaign& campaign) {
  const int batch = campaign.max_per_minute() > 0 ? campaign.max_per_minute() : kBatch;
  std::vector<v1::CampaignRecipient> pending;
  {
    auto lease = parts_.database.Acquire();
    pending = campaign_repository::Pending(lease.Session(), campaign.id(), batch);
  }
  auto channel = parts_.channel();
  if (!channel) throw std::runtime_error("kartond is not serving yet");
  // Chunks of recipients, a few calls at once: each SendMessages is one
  // transaction in messaging, and calls in flight share WAL flushes.
  std::vector<campaign_repository::RecipientOutcome> outcomes(pending.size());
  std::vector<std::string> transient(kConcurrentCalls);
  {
    std::vector<std::jthread> callers;
    for (std::size_t lane = 0; lane < kConcurrentCalls; ++lane) {
      callers.emplace_back([&, lane] {
        auto messaging = mv1::MessagingService::NewStub(channel);
        for (std::size_t first = lane * kHandOverChunk; first < pending.size();
             first += kConcurrentCalls * kHandOverChunk) {
          if (!transient[lane].empty()) break;
          HandOver(*messaging, campaign, pending, first,
                   std::min(pending.size(), first + kHandOverChunk), outcomes, transient[lane]);
        }
      });
    }
  }
  auto lease = parts_.database.Acquire();
  kernel::Transaction transaction(lease.Session());
  const auto now = parts_.clock.Now();
  for (const auto& outcome : outcomes) {
    if (!outcome.status.empty()) {
      campaign_repository::Record(lease.Session(), campaign.id(), outcome, now);
    }
  }
  for (const auto& error : transient) {
    if (!error.empty()) {
      // What was handed over is kept; the run is retried for the rest.
      transaction.Commit();
      throw std::runtime_error(
          fmt::format("SendMessages for campaign {}: {}", campaign.id(), error));
    }
  }
  bool more = false;
  auto locked = campaign_repository::Find(lease.Session(), campaign.id(), true);
  if (locked && locked->state() == v1::CAMPAIGN_STATE_SENDING) {
    if (campaign_repository::AnyPending(lease.Session(), campaign.id())) {
      more = true;
      if (campaign.max_per_minute() > 0) {
        // The rate: the next batch a minute from now, in a run of its own.
        Schedule(lease.Session(), campaign.id(), now + std::chrono::seconds(60),
                 fmt::format("after-{}", pending.empty() ? 0 : pending.back().id()));
      }
    } else {
      const kernel::Caller kartond = kernel::Caller::Internal();
      auto completed = campaign_repository::SetState(lease.Session(), campaign.id(),
                                                     v1::CAMPAIGN_STATE_COMPLETED, now);
      parts_.audit.Record(lease.Session(), kartond, kernel::AuditAction::kUpdate,
                          "campaigns.campaign", campaign.id(),
                          {kernel::FieldChange::Of("state", "sending", "completed")});
      parts_.events.Publish(lease.Session(), "campaigns.campaign.completed", campaign.id(),
                            completed, kartond);
    }
  }
  transaction.Commit();
  return more && campaign.max_per_minute() == 0;
}

void CampaignSender::OnStatusEvent(const kernel::Event& event, soci::session& session) {
  if (event.topic == "messaging.consent.withdrawn") {
    mv1::Suppression suppression;
    if (event.ParsePayload(suppression) && suppression.message_id() != 0) {
      campaign_repository::MarkUnsubscribed(session, suppression.message_id(), parts_.clock.Now());
    }
    return;
  }
  mv1::Message message;
  if (!event.ParsePayload(message)) return;
  std::int64_t campaign_id = 0;
  std::int64_t recipient_id = 0;
  if (!ParseKey(message.idempotency_key(), campaign_id, recipient_id)) return;
  campaign_repository::Record(session, campaign_id,
                              {recipient_id, StatusOf(message.status()), message.id(),
                               message.address(), message.last_error()},
                              parts_.clock.Now());
}

}  // namespace karton::campaigns
