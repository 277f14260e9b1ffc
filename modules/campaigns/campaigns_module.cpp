#include "campaigns_module.h"

#include "calls/call_list_service.h"
#include "campaigns/campaign_sender.h"
#include "campaigns/campaign_service.h"
#include "demo_data.h"
#include "segments/segment_service.h"

namespace karton::campaigns {

CampaignsModule::CampaignsModule() = default;
CampaignsModule::~CampaignsModule() = default;

void CampaignsModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  kernel::ServiceParts parts = kernel::PartsOf(context);
  SegmentServiceImpl::DeclareTopics(context.Events());
  CampaignSender::DeclareTopics(context.Events());
  CallListServiceImpl::DeclareTopics(context.Events());
  segments_ = std::make_unique<SegmentServiceImpl>(parts);
  sender_ = std::make_unique<CampaignSender>(parts, context.JobQueue());
  campaigns_ = std::make_unique<CampaignServiceImpl>(parts, *sender_);
  call_lists_ = std::make_unique<CallListServiceImpl>(parts);

  context.JobQueue().Handle(CampaignSender::kJob,
                            [this](const kernel::JobRun& run) { sender_->Run(run); });
  // Each recipient's status follows its message: queued, sent, failed,
  // bounced, and unsubscribed when its link was used.
  context.Events().Subscribe("recipient_statuses", CampaignSender::StatusTopics(),
                             [this](const kernel::Event& event, soci::session& session) {
                               sender_->OnStatusEvent(event, session);
                             });

  registrar.AddGrpcService(*segments_, v1::SegmentService::service_full_name(),
                           SegmentServiceImpl::Roles());
  registrar.AddGrpcService(*campaigns_, v1::CampaignService::service_full_name(),
                           CampaignServiceImpl::Roles());
  registrar.AddGrpcService(*call_lists_, v1::CallListService::service_full_name(),
                           CallListServiceImpl::Roles());
}

void CampaignsModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadCampaignsDemoData(context, session);
}

}  // namespace karton::campaigns
