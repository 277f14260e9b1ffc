#include "partners_module.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "demo_data.h"
#include "imports/import_repository.h"
#include "karton/kernel/database.h"
#include "karton/kernel/options.h"
#include "partner_service.h"

namespace karton::partners {

PartnersModule::PartnersModule() = default;
PartnersModule::~PartnersModule() = default;

void PartnersModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  PartnerServiceOptions options;
  options.document_max_bytes =
      kernel::IntegerOption(context, "document_max_mib", options.document_max_bytes >> 20, 1, 1024)
      << 20;
  options.search_ranked_matches = kernel::IntegerOption(context, "search_ranked_matches",
                                                        options.search_ranked_matches, 1, 1000000);
  options.streams_per_user = static_cast<int>(
      kernel::IntegerOption(context, "streams_per_user", options.streams_per_user, 1, 1000));
  options.import_max_bytes =
      kernel::IntegerOption(context, "import_max_mib", options.import_max_bytes >> 20, 1, 65536)
      << 20;
  PartnerServiceImpl::DeclareTopics(context.Events());
  partner_service_ = std::make_unique<PartnerServiceImpl>(kernel::PartsOf(context), options);
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
