#include "job_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>

#include "karton/kernel/clock.h"
#include "karton/kernel/database.h"
#include "karton/kernel/pagination.h"

namespace karton::kernel {
namespace {

using google::protobuf::util::TimeUtil;

// A macro so every statement below is one constant literal.
#define KARTON_JOB_COLUMNS                                                             \
  "id, module, kind, payload, state, (extract(epoch from run_at) * 1000000)::bigint, " \
  "coalesce(recurrence, ''), attempts, max_attempts, last_error, "                     \
  "(extract(epoch from create_time) * 1000000)::bigint, "                              \
  "(extract(epoch from finish_time) * 1000000)::bigint"

constexpr const char* kSelectJob = "SELECT " KARTON_JOB_COLUMNS " FROM kernel.job WHERE id = :id";

// Filters are bound parameters that switch themselves off when empty, so the
// statement text never depends on the request.
constexpr const char* kListJobs =
    "SELECT " KARTON_JOB_COLUMNS
    " FROM kernel.job WHERE (:module1 = '' OR module = :module2) "
    "AND (:state1 = '' OR state = :state2) AND (cast(:before1 AS bigint) = 0 OR id < :before2) "
    "ORDER BY id DESC LIMIT :limit";

constexpr const char* kRetryJob =
    "UPDATE kernel.job SET state = 'scheduled', attempts = 0, last_error = '', "
    "run_at = to_timestamp(:now_us / 1e6), finish_time = NULL "
    "WHERE id = :id AND state = 'dead' RETURNING id";

const std::pair<v1::JobState, const char*> kStates[] = {{v1::JOB_STATE_SCHEDULED, "scheduled"},
                                                        {v1::JOB_STATE_RUNNING, "running"},
                                                        {v1::JOB_STATE_DONE, "done"},
                                                        {v1::JOB_STATE_DEAD, "dead"}};

void ToProto(const soci::row& row, v1::Job* job) {
  job->set_id(row.get<long long>(0));
  job->set_module(row.get<std::string>(1));
  job->set_kind(row.get<std::string>(2));
  job->set_payload(row.get<std::string>(3));
  const std::string state = row.get<std::string>(4);
  for (const auto& [value, name] : kStates) {
    if (state == name) job->set_state(value);
  }
  *job->mutable_run_time() = TimeUtil::MicrosecondsToTimestamp(row.get<long long>(5));
  job->set_recurrence(row.get<std::string>(6));
  job->set_attempts(row.get<int>(7));
  job->set_max_attempts(row.get<int>(8));
  job->set_last_error(row.get<std::string>(9));
  *job->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.get<long long>(10));
  if (row.get_indicator(11) == soci::i_ok) {
    *job->mutable_finish_time() = TimeUtil::MicrosecondsToTimestamp(row.get<long long>(11));
  }
}

}  // namespace

MethodRoles JobServiceImpl::Roles() {
  const std::vector<std::string> admin = {std::string(kRoleAdmin)};
  return {{"ListJobs", admin}, {"RetryJob", admin}};
}

grpc::Status JobServiceImpl::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest* request,
                                      v1::ListJobsResponse* response) {
  Page page;
  if (auto status = ReadPage(*request, page); !status.ok()) {
    return status;
  }
  const int size = page.size;
  const long long before = page.AfterId();  // newest first: ids below it
  std::string state;
  for (const auto& [value, name] : kStates) {
    if (request->state() == value) state = name;
  }
  const int limit = size + 1;
  auto lease = database_.Acquire();
  soci::rowset<soci::row> rows =
      (lease.Session().prepare << kListJobs, soci::use(request->module()),
       soci::use(request->module()), soci::use(state), soci::use(state), soci::use(before),
       soci::use(before), soci::use(limit));
  long long last_id = 0;
  for (const auto& row : rows) {
    if (response->jobs_size() == size) {
      response->set_next_page_token(NextPageToken(page, PageCursor{"", last_id}));
      break;
    }
    ToProto(row, response->add_jobs());
    last_id = response->jobs(response->jobs_size() - 1).id();
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::RetryJob(grpc::ServerContext*, const v1::RetryJobRequest* request,
                                      v1::Job* response) {
  long long id = request->id();
  const long long now_us = ToEpochMicros(clock_.Now());
  auto lease = database_.Acquire();
  soci::session& session = lease.Session();
  long long retried = 0;
  soci::indicator found = soci::i_null;
  // One transaction: the revived row stays locked until it is read back, so
  // a job worker cannot claim it in between and answer with its attempt.
  soci::transaction transaction(session);
  session << kRetryJob, soci::use(now_us), soci::use(id), soci::into(retried, found);
  soci::row row;
  session << kSelectJob, soci::use(id), soci::into(row);
  transaction.commit();
  if (!session.got_data())
    return {grpc::StatusCode::NOT_FOUND, fmt::format("no job with id {}", id)};
  if (found != soci::i_ok) {
    return {
        grpc::StatusCode::FAILED_PRECONDITION,
        fmt::format("job {} is {}; only dead jobs can be retried", id, row.get<std::string>(4))};
  }
  ToProto(row, response);
  return grpc::Status::OK;
}

}  // namespace karton::kernel
