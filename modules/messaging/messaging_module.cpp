#include "messaging_module.h"

#include <fmt/format.h>

#include <stdexcept>

#include "delivery_job.h"
#include "messaging_service.h"

namespace karton::messaging {

MessagingModule::MessagingModule() = default;
MessagingModule::~MessagingModule() = default;

void MessagingModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  std::optional<SmtpSettings> smtp;
  const auto url = context.Option("smtp_url");
  const auto from = context.Option("mail_from");
  if (url && !url->empty()) {
    if (url->rfind("smtp://", 0) != 0 && url->rfind("smtps://", 0) != 0) {
      throw std::invalid_argument(
          fmt::format("--smtp-url '{}' must start with smtp:// or smtps://", *url));
    }
    if (!from || AddressOf(*from).find('@') == std::string::npos) {
      throw std::invalid_argument(
          "--mail-from must be an address (\"Name <address>\" or \"address\") when --smtp-url "
          "is given");
    }
    smtp = SmtpSettings{.url = *url, .from = *from};
    delivery_ = std::make_unique<EmailDelivery>(context, *smtp);
  }
  // The handler exists even without SMTP, so jobs queued while it was
  // configured are not dropped as unknown: they wait, failing, for it.
  context.JobQueue().Handle(kDeliverEmailJob, [this](const kernel::JobRun& run) {
    if (!delivery_) throw std::runtime_error("email is not configured (--smtp-url)");
    delivery_->Run(run, kDeliveryAttempts);
  });
  service_ = std::make_unique<MessagingServiceImpl>(context, smtp);
  registrar.AddGrpcService(*service_, v1::MessagingService::service_full_name(),
                           MessagingServiceImpl::Roles());
}

}  // namespace karton::messaging
