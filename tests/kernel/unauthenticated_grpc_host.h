// Starting a GrpcHost for kernel tests that exercise the host itself, not
// authentication: every call is admitted and no caller is handed on, on a
// free loopback port.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "grpc_host.h"

namespace karton::kernel {

class AcceptEveryone : public grpc::AuthMetadataProcessor {
 public:
  grpc::Status Process(const InputMetadata&, grpc::AuthContext*, OutputMetadata*,
                       OutputMetadata*) override {
    return grpc::Status::OK;
  }
};

inline void StartWithoutAuthentication(GrpcHost& host) {
  host.Start("127.0.0.1:0", std::make_shared<AcceptEveryone>(),
             [](std::string_view, const std::string&) {
               return GrpcHost::HandOff{.caller = std::nullopt, .refusal = grpc::Status::OK};
             });
  host.SetServing(true);
}

}  // namespace karton::kernel
