// The "loyalty" test module: a module the CRM has never heard of that adds a
// section to the CRM's customer overview through the kernel's extension
// point "customer_overview.section" (docs/crm.md "Customer overview"). It
// has no dependencies, no tables and no state: the section is computed from
// the partner id alone.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::loyalty {

class LoyaltyServiceImpl;

class LoyaltyModule final : public kernel::Module {
 public:
  LoyaltyModule();
  ~LoyaltyModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;

 private:
  std::unique_ptr<LoyaltyServiceImpl> service_;
};

}  // namespace karton::loyalty
