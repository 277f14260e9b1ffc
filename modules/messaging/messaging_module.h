// The messaging module: templates and outbound email (docs/messaging.md).
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::messaging {

class MessagingServiceImpl;
class EmailDelivery;

class MessagingModule final : public kernel::Module {
 public:
  MessagingModule();
  ~MessagingModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;

 private:
  std::unique_ptr<MessagingServiceImpl> service_;
  std::unique_ptr<EmailDelivery> delivery_;
};

}  // namespace karton::messaging
