// The partners module: the partner card, master data every other module
// refers to (docs/partners.md). This file only wires; the work is in
// partner_service.cpp and the files it uses.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::partners {

class PartnerServiceImpl;

class PartnersModule final : public kernel::Module {
 public:
  PartnersModule();
  ~PartnersModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  // Marks imports whose kartond stopped as FAILED (nothing of them applied).
  void Start(kernel::ModuleContext& context) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<PartnerServiceImpl> partner_service_;
};

}  // namespace karton::partners
