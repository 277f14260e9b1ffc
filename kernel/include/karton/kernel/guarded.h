// The one way a module's gRPC handler turns unexpected exceptions into a
// status, shared by every module:
//
//   return kernel::Guarded(context, "GetNote", [&]() -> grpc::Status { ... });
//
// A serialization failure or deadlock becomes ABORTED (the client may retry);
// anything else becomes INTERNAL, logged with its cause, which the client
// does not need to see.
#pragma once

#include <grpcpp/support/status.h>

#include <exception>
#include <string>

namespace karton::kernel {

class ModuleContext;

// The SQLSTATE of a PostgreSQL error ("23505"), "" for anything else.
std::string SqlState(const std::exception& error);

// The status for an exception a handler did not expect (logged if INTERNAL).
grpc::Status UnexpectedFailure(ModuleContext& context, const char* method,
                               const std::exception& error);

template <class Body>
grpc::Status Guarded(ModuleContext& context, const char* method, Body&& body) {
  try {
    return body();
  } catch (const std::exception& error) {
    return UnexpectedFailure(context, method, error);
  }
}

}  // namespace karton::kernel
