// A module that does nothing: the body of the loader's failure fixtures
// (cycle, missing dependency, wrong API version, duplicate name) and of
// "alpha", which has no dependencies at all.
#pragma once

#include "karton/kernel/module.h"

namespace karton::testing {

class EmptyModule final : public kernel::Module {
 public:
  void Register(kernel::ModuleContext&, kernel::Registrar&) override {}
};

}  // namespace karton::testing
