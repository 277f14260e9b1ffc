// The "chores" test module: durable jobs on demand (tests/e2e/jobs_test.cpp).
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::chores {

class ChoresServiceImpl;

class ChoresModule final : public kernel::Module {
 public:
  ChoresModule();
  ~ChoresModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;

 private:
  std::unique_ptr<ChoresServiceImpl> service_;
};

}  // namespace karton::chores
