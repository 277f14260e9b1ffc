// CampaignService: campaigns, their sending and their recipients
// (campaign_service.proto).
#pragma once

#include "campaigns/campaign_sender.h"
#include "karton/campaigns/v1/campaign_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::campaigns {

class CampaignServiceImpl final : public v1::CampaignService::Service {
 public:
  static kernel::MethodRoles Roles();

  CampaignServiceImpl(kernel::ServiceParts parts, CampaignSender& sender)
      : parts_(std::move(parts)), sender_(sender) {}

  grpc::Status CreateCampaign(grpc::ServerContext* context,
                              const v1::CreateCampaignRequest* request,
                              v1::Campaign* response) override;
  grpc::Status GetCampaign(grpc::ServerContext* context, const v1::GetCampaignRequest* request,
                           v1::Campaign* response) override;
  grpc::Status ListCampaigns(grpc::ServerContext* context, const v1::ListCampaignsRequest* request,
                             v1::ListCampaignsResponse* response) override;
  grpc::Status UpdateCampaign(grpc::ServerContext* context,
                              const v1::UpdateCampaignRequest* request,
                              v1::Campaign* response) override;
  grpc::Status ScheduleCampaign(grpc::ServerContext* context,
                                const v1::ScheduleCampaignRequest* request,
                                v1::Campaign* response) override;
  grpc::Status CancelCampaign(grpc::ServerContext* context,
                              const v1::CancelCampaignRequest* request,
                              v1::Campaign* response) override;
  grpc::Status ListCampaignRecipients(grpc::ServerContext* context,
                                      const v1::ListCampaignRecipientsRequest* request,
                                      v1::ListCampaignRecipientsResponse* response) override;
  grpc::Status ExportCampaignLetters(
      grpc::ServerContext* context, const v1::ExportCampaignLettersRequest* request,
      grpc::ServerWriter<v1::ExportCampaignLettersResponse>* writer) override;

 private:
  // The definition's fields, its segment and its template (asked of
  // messaging as the caller). No connection is held after.
  grpc::Status Check(const grpc::ServerContext& context, const v1::Campaign& campaign);
  grpc::Status Read(std::int64_t id, v1::Campaign& campaign);

  kernel::ServiceParts parts_;
  CampaignSender& sender_;
};

}  // namespace karton::campaigns
