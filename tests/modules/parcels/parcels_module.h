// The "parcels" test module: publishes a domain event for every change
// (tests/e2e/events_test.cpp).
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::parcels {

class ParcelsServiceImpl;

class ParcelsModule final : public kernel::Module {
 public:
  ParcelsModule();
  ~ParcelsModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;

 private:
  std::unique_ptr<ParcelsServiceImpl> service_;
};

}  // namespace karton::parcels
