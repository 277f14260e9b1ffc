// karton.kernel.v1.KernelService: the kernel's own gRPC API.
#pragma once

#include "karton/kernel/v1/kernel_service.grpc.pb.h"

namespace karton::kernel {

class ModuleHost;

class KernelServiceImpl final : public karton::kernel::v1::KernelService::Service {
 public:
  explicit KernelServiceImpl(const ModuleHost& modules) : modules_(modules) {}

  grpc::Status ListModules(grpc::ServerContext* context,
                           const karton::kernel::v1::ListModulesRequest* request,
                           karton::kernel::v1::ListModulesResponse* response) override;

 private:
  const ModuleHost& modules_;
};

}  // namespace karton::kernel
