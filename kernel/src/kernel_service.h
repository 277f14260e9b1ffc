// karton.kernel.v1.KernelService: the kernel's own gRPC API.
#pragma once

#include "karton/kernel/v1/kernel_service.grpc.pb.h"

namespace karton::kernel {

class EventBus;
class JobQueue;
class KernelClock;
class ModuleHost;

class KernelServiceImpl final : public karton::kernel::v1::KernelService::Service {
 public:
  KernelServiceImpl(const ModuleHost& modules, KernelClock& clock, JobQueue& jobs, EventBus& events)
      : modules_(modules), clock_(clock), jobs_(jobs), events_(events) {}

  grpc::Status ListModules(grpc::ServerContext* context,
                           const karton::kernel::v1::ListModulesRequest* request,
                           karton::kernel::v1::ListModulesResponse* response) override;
  grpc::Status AdvanceClock(grpc::ServerContext* context,
                            const karton::kernel::v1::AdvanceClockRequest* request,
                            karton::kernel::v1::AdvanceClockResponse* response) override;

 private:
  const ModuleHost& modules_;
  KernelClock& clock_;
  JobQueue& jobs_;
  EventBus& events_;
};

}  // namespace karton::kernel
