#include "campaigns/campaign_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <optional>

#include "campaigns/campaign_repository.h"
#include "campaigns/messaging_channel.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "segments/segment_repository.h"

namespace karton::campaigns {
namespace {

namespace mv1 = messaging::v1;
using google::protobuf::util::TimeUtil;

constexpr char kCampaign[] = "campaigns.campaign";

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no campaign with id {}", id)};
}

kernel::TimePoint TimeOf(const google::protobuf::Timestamp& timestamp) {
  return kernel::TimePoint(std::chrono::microseconds(TimeUtil::TimestampToMicroseconds(timestamp)));
}

void ClearOutputOnly(v1::Campaign& campaign) {
  campaign.clear_id();
  campaign.clear_etag();
  campaign.clear_state();
  campaign.clear_statistics();
  campaign.clear_create_user_id();
  campaign.clear_create_time();
  campaign.clear_update_time();
  campaign.clear_start_time();
  campaign.clear_complete_time();
  if (campaign.language().empty()) campaign.set_language("hu");
}

// A change moves a campaign only while it is not under way.
bool Editable(v1::CampaignState state) {
  return state == v1::CAMPAIGN_STATE_DRAFT || state == v1::CAMPAIGN_STATE_SCHEDULED;
}

}  // namespace

kernel::MethodRoles CampaignServiceImpl::Roles() {
  const std::vector<std::string> writers = {std::string(kernel::kRoleAdmin),
                                            std::string(kernel::kRoleSalesManager)};
  const auto readers = kernel::StaffRoles();
  return {{"CreateCampaign", writers},         {"GetCampaign", readers},
          {"ListCampaigns", readers},          {"UpdateCampaign", writers},
          {"ScheduleCampaign", writers},       {"CancelCampaign", writers},
          {"ListCampaignRecipients", readers}, {"ExportCampaignLetters", writers}};
}

grpc::Status CampaignServiceImpl::Check(const grpc::ServerContext& context,
                                        const v1::Campaign& campaign) {
  std::vector<kernel::FieldViolation> violations;
  if (campaign.name().empty()) violations.push_back({"campaign.name", "is required"});
  if (campaign.name().size() > 200) {
    violations.push_back({"campaign.name", "is longer than 200 characters"});
  }
  if (campaign.channel() == v1::CAMPAIGN_CHANNEL_UNSPECIFIED) {
    violations.push_back({"campaign.channel", "is required: EMAIL, SMS or LETTER"});
  }
  if (campaign.template_name().empty()) {
    violations.push_back({"campaign.template_name", "is required"});
  }
  if (campaign.max_per_minute() < 0 || campaign.max_per_minute() > 100'000) {
    violations.push_back({"campaign.max_per_minute", "must be between 0 and 100000"});
  }
  if (campaign.language().size() > 35) {
    violations.push_back({"campaign.language", "is not a language tag"});
  }
  if (campaign.segment_id() <= 0) {
    violations.push_back({"campaign.segment_id", "is required"});
  } else {
    auto status = kernel::Guarded(parts_.log, "CheckCampaign", [&] {
      auto lease = parts_.database.Acquire();
      if (!segment_repository::Find(lease.Session(), campaign.segment_id())) {
        violations.push_back(
            {"campaign.segment_id", fmt::format("there is no segment {}", campaign.segment_id())});
      }
      return grpc::Status::OK;
    });
    if (!status.ok()) return status;
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  // The template must exist for the channel.
  auto channel = parts_.channel();
  if (!channel) return {grpc::StatusCode::UNAVAILABLE, "kartond is not serving yet"};
  auto messaging = mv1::MessagingService::NewStub(channel);
  mv1::ListTemplatesRequest request;
  request.set_name(campaign.template_name());
  request.set_page_size(1000);
  mv1::ListTemplatesResponse templates;
  auto status = messaging->ListTemplates(kernel::CallContext(context).get(), request, &templates);
  if (!status.ok()) return status;
  const auto wanted = MessagingChannel(campaign.channel());
  for (const auto& found : templates.templates()) {
    if (found.channel() == wanted) return grpc::Status::OK;
  }
  return kernel::InvalidField(
      "campaign.template_name",
      fmt::format("messaging has no {} template named '{}'",
                  campaign_repository::ChannelWord(campaign.channel()), campaign.template_name()));
}

grpc::Status CampaignServiceImpl::Read(std::int64_t id, v1::Campaign& campaign) {
  std::optional<v1::Campaign> found;
  auto status = kernel::Guarded(parts_.log, "ReadCampaign", [&] {
    auto lease = parts_.database.Acquire();
    found = campaign_repository::Find(lease.Session(), id);
    return grpc::Status::OK;
  });
  if (!status.ok()) return status;
  if (!found) return NotFound(id);
  campaign = std::move(*found);
  return grpc::Status::OK;
}

grpc::Status CampaignServiceImpl::CreateCampaign(grpc::ServerContext* context,
                                                 const v1::CreateCampaignRequest* request,
                                                 v1::Campaign* response) {
  v1::Campaign campaign = request->campaign();
  ClearOutputOnly(campaign);
  campaign.set_state(v1::CAMPAIGN_STATE_DRAFT);
  if (auto status = Check(*context, campaign); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreateCampaign", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (campaign_repository::NameTaken(lease.Session(), campaign.name(), 0)) {
      return kernel::InvalidField("campaign.name",
                                  fmt::format("another campaign is named '{}'", campaign.name()));
    }
    auto created = campaign_repository::Insert(lease.Session(), campaign,
                                               kernel::ActorUserId(caller), parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kCampaign,
                        created.id(), kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "campaigns.campaign.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status CampaignServiceImpl::GetCampaign(grpc::ServerContext*,
                                              const v1::GetCampaignRequest* request,
                                              v1::Campaign* response) {
  return Read(request->id(), *response);
}

grpc::Status CampaignServiceImpl::ListCampaigns(grpc::ServerContext*,
                                                const v1::ListCampaignsRequest* request,
                                                v1::ListCampaignsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListCampaigns", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = campaign_repository::List(lease.Session(), request->state(), page.AfterId(),
                                          page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Campaign& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_campaigns() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status CampaignServiceImpl::UpdateCampaign(grpc::ServerContext* context,
                                                 const v1::UpdateCampaignRequest* request,
                                                 v1::Campaign* response) {
  const v1::Campaign& change = request->campaign();
  std::vector<std::string> paths;
  if (auto status =
          kernel::UpdatePaths(*request, change,
                              {"name", "description", "segment_id", "channel", "template_name",
                               "language", "send_time", "max_per_minute"},
                              paths);
      !status.ok()) {
    return status;
  }
  v1::Campaign preview;
  if (auto status = Read(change.id(), preview); !status.ok()) return status;
  kernel::ApplyUpdateMask(change, paths, preview);
  if (preview.language().empty()) preview.set_language("hu");
  if (auto status = Check(*context, preview); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "UpdateCampaign", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = campaign_repository::Find(lease.Session(), change.id(), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("campaign", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (!Editable(stored->state())) {
      return kernel::FailedPreconditionOnField(
          "campaign.id", fmt::format("campaign {} is {}: only a draft or a scheduled campaign "
                                     "may change",
                                     change.id(), campaign_repository::StateWord(stored->state())));
    }
    v1::Campaign next = *stored;
    kernel::ApplyUpdateMask(preview, paths, next);
    // A scheduled campaign that changes goes back to draft, to be
    // scheduled again on purpose.
    next.set_state(v1::CAMPAIGN_STATE_DRAFT);
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    if (campaign_repository::NameTaken(lease.Session(), next.name(), next.id())) {
      return kernel::InvalidField("campaign.name",
                                  fmt::format("another campaign is named '{}'", next.name()));
    }
    auto written = campaign_repository::Update(lease.Session(), next, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kCampaign,
                        written.id(), changes);
    parts_.events.Publish(lease.Session(), "campaigns.campaign.updated", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status CampaignServiceImpl::ScheduleCampaign(grpc::ServerContext* context,
                                                   const v1::ScheduleCampaignRequest* request,
                                                   v1::Campaign* response) {
  v1::Campaign current;
  if (auto status = Read(request->id(), current); !status.ok()) return status;
  // The template and segment may have gone since the draft was written.
  if (auto status = Check(*context, current); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ScheduleCampaign", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = campaign_repository::Find(lease.Session(), request->id(), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("campaign", request->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->state() != v1::CAMPAIGN_STATE_DRAFT) {
      return kernel::FailedPreconditionOnField(
          "id", fmt::format("campaign {} is {}: only a draft can be scheduled", request->id(),
                            campaign_repository::StateWord(stored->state())));
    }
    const auto now = parts_.clock.Now();
    v1::Campaign next = *stored;
    if (request->has_send_time()) *next.mutable_send_time() = request->send_time();
    if (!next.has_send_time()) {
      *next.mutable_send_time() = TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(now));
    }
    next.set_state(v1::CAMPAIGN_STATE_SCHEDULED);
    const auto changes = kernel::DiffFields(&*stored, next);
    auto written = campaign_repository::Update(lease.Session(), next, now);
    sender_.Schedule(lease.Session(), written.id(), TimeOf(written.send_time()),
                     fmt::format("start-{}", written.etag()));
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kCampaign,
                        written.id(), changes);
    parts_.events.Publish(lease.Session(), "campaigns.campaign.scheduled", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status CampaignServiceImpl::CancelCampaign(grpc::ServerContext* context,
                                                 const v1::CancelCampaignRequest* request,
                                                 v1::Campaign* response) {
  return kernel::Guarded(parts_.log, "CancelCampaign", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = campaign_repository::Find(lease.Session(), request->id(), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("campaign", request->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->state() == v1::CAMPAIGN_STATE_COMPLETED ||
        stored->state() == v1::CAMPAIGN_STATE_CANCELED) {
      return kernel::FailedPreconditionOnField(
          "id", fmt::format("campaign {} is {} already", request->id(),
                            campaign_repository::StateWord(stored->state())));
    }
    auto written = campaign_repository::SetState(lease.Session(), request->id(),
                                                 v1::CAMPAIGN_STATE_CANCELED, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kCampaign,
                        written.id(),
                        {kernel::FieldChange::Of(
                            "state", campaign_repository::StateWord(stored->state()), "canceled")});
    parts_.events.Publish(lease.Session(), "campaigns.campaign.canceled", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status CampaignServiceImpl::ListCampaignRecipients(
    grpc::ServerContext*, const v1::ListCampaignRecipientsRequest* request,
    v1::ListCampaignRecipientsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  std::string status_word;
  if (request->status() != v1::RECIPIENT_STATUS_UNSPECIFIED) {
    status_word =
        v1::RecipientStatus_Name(request->status()).substr(sizeof("RECIPIENT_STATUS_") - 1);
    for (auto& c : status_word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return kernel::Guarded(parts_.log, "ListCampaignRecipients", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    if (!campaign_repository::Find(lease.Session(), request->campaign_id())) {
      return NotFound(request->campaign_id());
    }
    auto rows = campaign_repository::ListRecipients(lease.Session(), request->campaign_id(),
                                                    status_word, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_recipients() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status CampaignServiceImpl::ExportCampaignLetters(
    grpc::ServerContext* context, const v1::ExportCampaignLettersRequest* request,
    grpc::ServerWriter<v1::ExportCampaignLettersResponse>* writer) {
  if (request->format() == v1::LETTER_FILE_FORMAT_UNSPECIFIED) {
    return kernel::InvalidField("format", "is required: PDF or CSV");
  }
  v1::Campaign campaign;
  if (auto status = Read(request->campaign_id(), campaign); !status.ok()) return status;
  if (campaign.channel() != v1::CAMPAIGN_CHANNEL_LETTER) {
    return kernel::FailedPreconditionOnField(
        "campaign_id", fmt::format("campaign {} sends {}, not letters", campaign.id(),
                                   campaign_repository::ChannelWord(campaign.channel())));
  }
  auto channel = parts_.channel();
  if (!channel) return {grpc::StatusCode::UNAVAILABLE, "kartond is not serving yet"};
  auto messaging = mv1::MessagingService::NewStub(channel);
  mv1::ExportLettersRequest export_request;
  export_request.set_format(request->format() == v1::LETTER_FILE_FORMAT_PDF
                                ? mv1::LETTER_EXPORT_FORMAT_PDF
                                : mv1::LETTER_EXPORT_FORMAT_CSV);
  export_request.set_category(mv1::CATEGORY_MARKETING);
  export_request.set_duplex(request->duplex());
  export_request.set_idempotency_key_prefix(fmt::format("campaign-{}-", campaign.id()));
  auto call = kernel::CallContext(*context, std::chrono::minutes(5));
  auto reader = messaging->ExportLetters(call.get(), export_request);
  mv1::ExportLettersResponse piece;
  while (reader->Read(&piece)) {
    v1::ExportCampaignLettersResponse out;
    out.set_data(std::move(*piece.mutable_data()));
    out.set_letter_count(piece.letter_count());
    if (!writer->Write(out)) return {grpc::StatusCode::CANCELLED, "the client went away"};
  }
  return reader->Finish();
}

}  // namespace karton::campaigns
