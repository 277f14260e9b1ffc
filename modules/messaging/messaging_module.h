// The messaging module: templates, email over SMTP, SMS through a provider,
// letters as PDF, consent and delivery you can trust (docs/messaging.md).
// This file only wires; the work is in the service, the delivery jobs and
// the subscribers.
#pragma once

#include <memory>
#include <optional>

#include "delivery_job.h"
#include "karton/kernel/module.h"
#include "unsubscribe_token.h"

namespace karton::messaging {

class MessagingServiceImpl;
class PersonalDataServiceImpl;
class UnsubscribePages;

class MessagingModule final : public kernel::Module {
 public:
  MessagingModule();
  ~MessagingModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  ChannelSettings settings_;
  std::optional<UnsubscribeTokens> tokens_;
  std::unique_ptr<Delivery> delivery_;
  std::unique_ptr<MessagingServiceImpl> service_;
  std::unique_ptr<PersonalDataServiceImpl> personal_data_;
  std::unique_ptr<UnsubscribePages> unsubscribe_pages_;
};

}  // namespace karton::messaging
