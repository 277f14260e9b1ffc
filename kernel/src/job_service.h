// karton.kernel.v1.JobService: look into the job queue, revive dead jobs.
#pragma once

#include "karton/kernel/access.h"
#include "karton/kernel/v1/job_service.grpc.pb.h"

namespace karton::kernel {

class Clock;
class Database;

class JobServiceImpl final : public v1::JobService::Service {
 public:
  JobServiceImpl(Database& database, const Clock& clock) : database_(database), clock_(clock) {}
  static MethodRoles Roles();

  grpc::Status ListJobs(grpc::ServerContext*, const v1::ListJobsRequest*,
                        v1::ListJobsResponse*) override;
  grpc::Status RetryJob(grpc::ServerContext*, const v1::RetryJobRequest*, v1::Job*) override;

 private:
  Database& database_;
  const Clock& clock_;
};

}  // namespace karton::kernel
