#include "karton/kernel/guarded.h"

#include <soci/postgresql/soci-postgresql.h>
#include <spdlog/spdlog.h>

#include "database_unavailable.h"
#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/module.h"

namespace karton::kernel {

std::string SqlState(const std::exception& error) {
  const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error);
  return pg != nullptr ? pg->sqlstate() : "";
}

namespace {

// The database is not there (stopped, restarting, unreachable) rather than
// the call being wrong: no working connection to be had, a connection the
// server ended (57P01 shutdown, 57P02 crash of another backend, 57P03 not
// yet accepting, class 08 connection exceptions), or one that broke in the
// middle of a statement (libpq gives no SQLSTATE then).
bool DatabaseUnavailable(const std::exception& error) {
  if (dynamic_cast<const DatabaseUnavailableError*>(&error) != nullptr) return true;
  const std::string state = SqlState(error);
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") {
    return true;
  }
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&error)) {
    if (soci_error->get_error_category() == soci::soci_error::connection_error) return true;
    const std::string message = soci_error->get_error_message();
    return message.find("server closed the connection unexpectedly") != std::string::npos ||
           message.find("no connection to the server") != std::string::npos;
  }
  return false;
}

}  // namespace

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
  if (dynamic_cast<const DatabasePoolExhaustedError*>(&error) != nullptr) {
    // Logged by the pool, once per interval (database.cpp): under a flood
    // a line per call would drown the log. The call wrote nothing: the
    // connection it waited for is where it would have written.
    return {grpc::StatusCode::RESOURCE_EXHAUSTED, error.what()};
  }
  if (DatabaseUnavailable(error)) {
    log.warn("{}: the database does not answer: {}", method, DescribeDatabaseError(error));
    return {grpc::StatusCode::UNAVAILABLE, "the database does not answer; try again"};
  }
  log.error("{}: {}", method, DescribeDatabaseError(error));
  return {grpc::StatusCode::INTERNAL, "internal error"};
}

grpc::Status UnexpectedFailure(ModuleContext& context, const char* method,
                               const std::exception& error) {
  return UnexpectedFailure(context.Log(), method, error);
}

}  // namespace karton::kernel
