// The campaigns module (docs/campaigns.md): saved segments of partners and
// contacts, campaigns that write to them through messaging, and cold-call
// lists shared among colleagues.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::campaigns {

class SegmentServiceImpl;
class CampaignSender;
class CampaignServiceImpl;
class CallListServiceImpl;

class CampaignsModule final : public kernel::Module {
 public:
  CampaignsModule();
  ~CampaignsModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<SegmentServiceImpl> segments_;
  std::unique_ptr<CampaignSender> sender_;
  std::unique_ptr<CampaignServiceImpl> campaigns_;
  std::unique_ptr<CallListServiceImpl> call_lists_;
};

}  // namespace karton::campaigns
