#include "partners_module.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <stdexcept>

#include "demo_data.h"
#include "imports/import_repository.h"
#include "karton/kernel/database.h"
#include "partner_service.h"

namespace karton::partners {

PartnersModule::PartnersModule() = default;
PartnersModule::~PartnersModule() = default;

void PartnersModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  // --module-option partners.<key>=<integer from min to max>, if given.
  auto integer_option = [&context](const char* key, long long min,
                                   long long max) -> std::optional<long long> {
    const auto text = context.Option(key);
    if (!text) return std::nullopt;
    std::size_t parsed = 0;
    long long value = 0;
    try {
      value = std::stoll(*text, &parsed);
    } catch (const std::exception&) {
      parsed = 0;
    }
    if (parsed != text->size() || value < min || value > max) {
      throw std::invalid_argument(
          fmt::format("--module-option partners.{} must be {} to {}", key, min, max));
    }
    return value;
  };
  PartnerServiceOptions options;
  if (const auto mib = integer_option("document_max_mib", 1, 1024)) {
    options.document_max_bytes = *mib * 1024 * 1024;
  }
  if (const auto matches = integer_option("search_ranked_matches", 1, 1000000)) {
    options.search_ranked_matches = *matches;
  }
  if (const auto streams = integer_option("streams_per_user", 1, 1000)) {
    options.streams_per_user = static_cast<int>(*streams);
  }
  if (const auto mib = integer_option("import_max_mib", 1, 65536)) {
    options.import_max_bytes = *mib * 1024 * 1024;
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
