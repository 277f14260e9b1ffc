#include "kernel_service.h"

#include <google/protobuf/util/time_util.h>

#include "event_bus.h"
#include "job_queue.h"
#include "module_host.h"

namespace karton::kernel {
namespace {

v1::ModuleState ToProto(ModuleState state) {
  switch (state) {
    case ModuleState::kLoaded:
      return v1::MODULE_STATE_LOADED;
    case ModuleState::kStarted:
      return v1::MODULE_STATE_STARTED;
    case ModuleState::kStopped:
      return v1::MODULE_STATE_STOPPED;
    case ModuleState::kFailed:
      return v1::MODULE_STATE_FAILED;
    case ModuleState::kRemote:
      return v1::MODULE_STATE_REMOTE;
  }
  return v1::MODULE_STATE_UNSPECIFIED;
}

}  // namespace

grpc::Status KernelServiceImpl::ListModules(grpc::ServerContext* /*context*/,
                                            const v1::ListModulesRequest* /*request*/,
                                            v1::ListModulesResponse* response) {
  for (const auto& status : modules_.Snapshot()) {
    v1::Module* module = response->add_modules();
    module->set_name(status.info.name);
    module->set_version(status.info.version);
    module->set_kernel_api_version(status.info.kernel_api_version);
    module->set_state(ToProto(status.state));
    module->set_path(status.info.path);
    module->set_remote_address(status.remote_address);
    for (const auto& dependency : status.info.depends) {
      v1::ModuleDependency* depends = module->add_depends();
      depends->set_name(dependency.name);
      depends->set_min_version(dependency.min_version);
    }
    for (const auto& role : status.info.roles) {
      v1::ModuleRole* declared = module->add_roles();
      declared->set_name(role.name);
      declared->set_description(role.description);
    }
  }
  return grpc::Status::OK;
}

grpc::Status KernelServiceImpl::AdvanceClock(grpc::ServerContext*,
                                             const v1::AdvanceClockRequest* request,
                                             v1::AdvanceClockResponse* response) {
  using google::protobuf::util::TimeUtil;
  if (!clock_.Movable()) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "the clock can only be moved when kartond runs with --test-clock"};
  }
  const auto micros = TimeUtil::DurationToMicroseconds(request->duration());
  if (micros <= 0) return {grpc::StatusCode::INVALID_ARGUMENT, "duration: must be positive"};
  clock_.Advance(std::chrono::microseconds(micros));
  // Webhook and subscriber backoffs are measured on this clock too.
  events_.Refresh();
  response->set_jobs_run(jobs_.RunDueNow());
  *response->mutable_now() = TimeUtil::MicrosecondsToTimestamp(ToEpochMicros(clock_.Now()));
  return grpc::Status::OK;
}

}  // namespace karton::kernel
