#include "partners_module.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "demo_data.h"
#include "import_repository.h"
#include "karton/kernel/database.h"
#include "partner_service.h"

namespace karton::partners {

PartnersModule::PartnersModule() = default;
PartnersModule::~PartnersModule() = default;

void PartnersModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  PartnerServiceOptions options;
  if (const auto max_mib = context.Option("document_max_mib")) {
    std::size_t parsed = 0;
    long long mib = 0;
    try {
      mib = std::stoll(*max_mib, &parsed);
    } catch (const std::exception&) {
      parsed = 0;
    }
    if (parsed != max_mib->size() || mib < 1 || mib > 1024) {
      throw std::invalid_argument("--module-option partners.document_max_mib must be 1 to 1024");
    }
    options.document_max_bytes = mib * 1024 * 1024;
  }
  PartnerServiceImpl::DeclareTopics(context.Events());
  partner_service_ = std::make_unique<PartnerServiceImpl>(context, options);
  registrar.AddGrpcService(*partner_service_, v1::PartnerService::service_full_name(),
                           PartnerServiceImpl::Roles());
}

void PartnersModule::Start(kernel::ModuleContext& context) {
  auto lease = context.Db().Acquire();
  if (const int failed =
          import_repository::FailAbandonedImports(lease.Session(), context.Time().Now())) {
    context.Log().warn(
        "{} import(s) were interrupted by a stop and are marked failed; nothing of "
        "them was applied",
        failed);
  }
}

void PartnersModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadPartnerDemoData(context, session);
}

}  // namespace karton::partners
