// The "tracking" test module: subscribes to the parcels module's events and
// records what it handled (tests/e2e/events_test.cpp).
#pragma once

#include "karton/kernel/module.h"

namespace karton::tracking {

class TrackingModule final : public kernel::Module {
 public:
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
};

}  // namespace karton::tracking
