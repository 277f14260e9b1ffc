#include "helpdesk_module.h"

#include "karton/kernel/events.h"
#include "partner_directory.h"
#include "partner_events.h"
#include "tickets/ticket_service.h"

namespace karton::helpdesk {

HelpdeskModule::HelpdeskModule() = default;
HelpdeskModule::~HelpdeskModule() = default;

void HelpdeskModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  // The channel exists from Start() on; it is read at each call.
  partners_ = std::make_unique<GrpcPartnerDirectory>([&context] { return context.Channel(); });
  kernel::ServiceParts parts = kernel::PartsOf(context);
  TicketServiceImpl::DeclareTopics(context.Events());
  tickets_ = std::make_unique<TicketServiceImpl>(parts, *partners_);

  context.Events().Subscribe("partner_merges", {"partners.partner.merged"}, FollowPartnerMerge);

  registrar.AddGrpcService(*tickets_, v1::TicketService::service_full_name(),
                           TicketServiceImpl::Roles());
}

}  // namespace karton::helpdesk
