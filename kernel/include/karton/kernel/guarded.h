// The one way a module's gRPC handler turns unexpected exceptions into a
// status, shared by every module:
//
//   return kernel::Guarded(context, "GetNote", [&]() -> grpc::Status { ... });
//
// A service that is given its logger rather than the whole ModuleContext
// passes the logger instead: kernel::Guarded(log_, "GetNote", ...).
//
// A serialization failure or deadlock becomes ABORTED (the client may retry).
// The database being gone (no working connection could be had, SQLSTATE
// class 08, 57P01/57P02/57P03, a connection broken mid-statement) becomes
// UNAVAILABLE, logged; clients retry it. No pooled connection coming free
// within the pool's acquire timeout or the call's deadline (database.h)
// becomes RESOURCE_EXHAUSTED, saying the pool is exhausted and its size
// (the pool logs it, once per interval). A call without a verified caller
// becomes PERMISSION_DENIED. Anything else becomes INTERNAL, logged with its
// cause, which the client does not need to see.
#pragma once

#include <grpcpp/support/status.h>

#include <exception>
#include <string>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace karton::kernel {

class ModuleContext;

// The SQLSTATE of a PostgreSQL error ("23505"), "" for anything else.
std::string SqlState(const std::exception& error);

// The status for an exception a handler did not expect (logged if INTERNAL).
grpc::Status UnexpectedFailure(ModuleContext& context, const char* method,
                               const std::exception& error);
grpc::Status UnexpectedFailure(spdlog::logger& log, const char* method,
                               const std::exception& error);

// `Logged` is the ModuleContext or a spdlog::logger.
template <class Logged, class Body>
grpc::Status Guarded(Logged& logged, const char* method, Body&& body) {
  try {
    return body();
  } catch (const std::exception& error) {
    return UnexpectedFailure(logged, method, error);
  }
}

}  // namespace karton::kernel
