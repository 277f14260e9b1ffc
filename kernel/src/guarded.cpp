#include "karton/kernel/guarded.h"

#include <soci/postgresql/soci-postgresql.h>
#include <spdlog/spdlog.h>

#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/module.h"

namespace karton::kernel {

std::string SqlState(const std::exception& error) {
  const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error);
  return pg != nullptr ? pg->sqlstate() : "";
}

grpc::Status UnexpectedFailure(spdlog::logger& log, const char* method,
                               const std::exception& error) {
  if (dynamic_cast<const NoCallerError*>(&error) != nullptr) {
    log.warn("{}: refused: {}", method, error.what());
    return {grpc::StatusCode::PERMISSION_DENIED, "this call has no verified caller"};
  }
  const std::string state = SqlState(error);
  if (state == "40001" || state == "40P01") {
    return {grpc::StatusCode::ABORTED, "a concurrent change got in the way; try again"};
  }
  log.error("{}: {}", method, DescribeDatabaseError(error));
  return {grpc::StatusCode::INTERNAL, "internal error"};
}

grpc::Status UnexpectedFailure(ModuleContext& context, const char* method,
                               const std::exception& error) {
  return UnexpectedFailure(context.Log(), method, error);
}

}  // namespace karton::kernel
