#include "partners_module.h"

#include "demo_data.h"
#include "partner_service.h"

namespace karton::partners {

PartnersModule::PartnersModule() = default;
PartnersModule::~PartnersModule() = default;

void PartnersModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  PartnerServiceImpl::DeclareTopics(context.Events());
  partner_service_ = std::make_unique<PartnerServiceImpl>(context);
  registrar.AddGrpcService(*partner_service_, v1::PartnerService::service_full_name(),
                           PartnerServiceImpl::Roles());
}

void PartnersModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadPartnerDemoData(context, session);
}

}  // namespace karton::partners
