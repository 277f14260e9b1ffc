// The helpdesk module (docs/helpdesk.md): tickets with hand-overs,
// comments, states and merges.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::helpdesk {

class GrpcPartnerDirectory;
class TicketServiceImpl;

class HelpdeskModule final : public kernel::Module {
 public:
  HelpdeskModule();
  ~HelpdeskModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;

 private:
  std::unique_ptr<GrpcPartnerDirectory> partners_;
  std::unique_ptr<TicketServiceImpl> tickets_;
};

}  // namespace karton::helpdesk
