#include "chores_module.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <stdexcept>

#include "karton/chores/v1/chores_service.grpc.pb.h"
#include "karton/kernel/database.h"

namespace karton::chores {
namespace {

constexpr const char* kInsertRun =
    "INSERT INTO chores.run (job_id, attempt) VALUES (:id, :attempt)";

}  // namespace

class ChoresServiceImpl final : public v1::ChoresService::Service {
 public:
  explicit ChoresServiceImpl(kernel::ModuleContext& context) : context_(context) {}

  grpc::Status ScheduleChores(grpc::ServerContext*, const v1::ScheduleChoresRequest* request,
                              v1::ScheduleChoresResponse* response) override {
    const auto run_in = std::chrono::microseconds(
        google::protobuf::util::TimeUtil::DurationToMicroseconds(request->run_in()));
    auto lease = context_.Db().Acquire();
    soci::transaction transaction(lease.Session());
    try {
      for (int i = 0; i < request->count(); ++i) {
        kernel::JobSpec spec;
        spec.kind = request->kind();
        spec.payload = std::to_string(i);
        spec.run_at = context_.Time().Now() + run_in;
        spec.recurrence = request->recurrence();
        if (request->max_attempts() > 0) spec.max_attempts = request->max_attempts();
        response->add_job_ids(context_.JobQueue().Schedule(lease.Session(), spec));
      }
    } catch (const std::invalid_argument& error) {
      return {grpc::StatusCode::INVALID_ARGUMENT, error.what()};
    }
    transaction.commit();
    return grpc::Status::OK;
  }

 private:
  kernel::ModuleContext& context_;
};

ChoresModule::ChoresModule() = default;
ChoresModule::~ChoresModule() = default;

void ChoresModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  kernel::Database& database = context.Db();
  context.JobQueue().Handle("record", [&database](const kernel::JobRun& run) {
    auto lease = database.Acquire();
    long long id = run.id;
    lease.Session() << kInsertRun, soci::use(id), soci::use(run.attempt);
  });
  context.JobQueue().Handle("fail", [](const kernel::JobRun& run) {
    throw std::runtime_error("chore " + run.payload + " always fails");
  });
  service_ = std::make_unique<ChoresServiceImpl>(context);
  registrar.AddGrpcService(*service_, v1::ChoresService::service_full_name(),
                           {{"ScheduleChores", {std::string(kernel::kRoleAdmin)}}});
}

}  // namespace karton::chores
