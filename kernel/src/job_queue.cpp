#include "job_queue.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>
#include <soci/soci.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <set>
#include <stdexcept>

#include "karton/kernel/database.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "open_transaction.h"
#include "query_cells.h"

namespace karton::kernel {
namespace {

// Claims the oldest due job of the modules this kartond runs. SKIP LOCKED:
// two kartond never claim the same row, and never wait for each other.
constexpr const char* kClaimJob = R"sql(
UPDATE kernel.job j
SET state = 'running', attempts = j.attempts + 1, claimed_by = :node,
    claim_until = to_timestamp(:claim_until_us / 1e6)
WHERE j.id = (SELECT id FROM kernel.job
              WHERE state = 'scheduled' AND run_at <= to_timestamp(:now_us / 1e6)
                AND module = ANY(string_to_array(:modules, ','))
              ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING j.id, j.module, j.kind, j.payload, j.attempts, j.max_attempts,
          (extract(epoch from j.run_at) * 1000000)::bigint, coalesce(j.recurrence, ''))sql";

// More due jobs of the kind just claimed, for a batch handler.
constexpr const char* kClaimMoreJobs = R"sql(
UPDATE kernel.job j
SET state = 'running', attempts = j.attempts + 1, claimed_by = :node,
    claim_until = to_timestamp(:claim_until_us / 1e6)
WHERE j.id IN (SELECT id FROM kernel.job
               WHERE state = 'scheduled' AND run_at <= to_timestamp(:now_us / 1e6)
                 AND module = :module AND kind = :kind
               ORDER BY run_at, id LIMIT :more FOR UPDATE SKIP LOCKED)
RETURNING j.id, j.module, j.kind, j.payload, j.attempts, j.max_attempts,
          (extract(epoch from j.run_at) * 1000000)::bigint, coalesce(j.recurrence, ''))sql";

// This kartond's claims from before it (re)started: the process that held
// them is gone (the data directory's lock keeps a node id to one live
// process), so they go back to the queue at once, without waiting for
// their leases to run out. The attempt counts, as with an expired claim.
constexpr const char* kReleaseOwnClaims = R"sql(
UPDATE kernel.job SET state = 'scheduled', claimed_by = NULL, claim_until = NULL
WHERE state = 'running' AND claimed_by = :node)sql";

// Claims whose kartond died (the lease ran out) go back to the queue.
constexpr const char* kReleaseExpiredClaims = R"sql(
UPDATE kernel.job SET state = 'scheduled', claimed_by = NULL, claim_until = NULL
WHERE state = 'running' AND claim_until < to_timestamp(:now_us / 1e6))sql";

// The claim above is fast only when the planner knows how many jobs wait:
// with statistics from an emptier queue (a fresh database, a burst of
// 100,000 emails) it reads and sorts every waiting job instead of taking
// the first from job_due_idx (measured: 14-22 ms a claim against 0.3 ms
// with 4,000 waiting). Autovacuum catches up only after its next pause,
// so the queue refreshes the statistics itself once much has changed.
constexpr const char* kStatisticsStale = R"sql(
SELECT count(*) FROM pg_stat_user_tables
WHERE relid = 'kernel.job'::regclass AND n_mod_since_analyze > greatest(1000, n_live_tup / 5))sql";
constexpr const char* kAnalyzeJobs = "ANALYZE kernel.job";

constexpr const char* kFinishDone = R"sql(
UPDATE kernel.job SET state = 'done', finish_time = to_timestamp(:now_us / 1e6),
       claimed_by = NULL, claim_until = NULL, last_error = ''
WHERE id = :id AND claimed_by = :node)sql";

// kFinishDone for many jobs at once ($1 the time, $2 the node, $3 the ids).
constexpr const char* kFinishAllDone = R"sql(
UPDATE kernel.job SET state = 'done', finish_time = to_timestamp(cast($1 AS bigint) / 1e6),
       claimed_by = NULL, claim_until = NULL, last_error = ''
WHERE id = ANY (cast($3 AS bigint[])) AND claimed_by = $2)sql";

constexpr const char* kReschedule = R"sql(
UPDATE kernel.job SET state = 'scheduled', run_at = to_timestamp(:run_at_us / 1e6),
       attempts = :attempts, last_error = :error, claimed_by = NULL, claim_until = NULL
WHERE id = :id AND claimed_by = :node)sql";

constexpr const char* kFinishDead = R"sql(
UPDATE kernel.job SET state = 'dead', finish_time = to_timestamp(:now_us / 1e6),
       last_error = :error, claimed_by = NULL, claim_until = NULL
WHERE id = :id AND claimed_by = :node)sql";

// Every enqueue runs it (an email, a notice): prepared once per connection.
const std::string kInsertJob = R"sql(
INSERT INTO kernel.job (module, kind, payload, run_at, recurrence, max_attempts, unique_key,
                        create_time)
VALUES ($1, $2, $3, to_timestamp(cast($4 AS bigint) / 1e6), $5, cast($6 AS int), $7,
        to_timestamp(cast($8 AS bigint) / 1e6))
ON CONFLICT (unique_key) DO NOTHING
RETURNING id)sql";

// A job scheduled inside a kernel::Transaction without a unique key: its id
// was taken ahead (kTakeJobIds), and the INSERT goes with the COMMIT.
const std::string kInsertJobWithId = R"sql(
INSERT INTO kernel.job (id, module, kind, payload, run_at, recurrence, max_attempts, create_time)
OVERRIDING SYSTEM VALUE
VALUES (cast($1 AS bigint), $2, $3, $4, to_timestamp(cast($5 AS bigint) / 1e6), $6,
        cast($7 AS int), to_timestamp(cast($8 AS bigint) / 1e6)))sql";

// A block of job ids from the identity's sequence. nextval is outside any
// transaction: a rollback does not give them back, so none is used twice.
const std::string kTakeJobIds = R"sql(
SELECT nextval(pg_get_serial_sequence('kernel.job', 'id'))
FROM generate_series(1, cast($1 AS int)))sql";
constexpr int kJobIdBlock = 64;

// One batch of finished jobs past retention; the caller repeats it until a
// batch comes back short.
constexpr const char* kDeleteFinishedJobs = R"sql(
WITH doomed AS (
  SELECT id FROM kernel.job
  WHERE state IN ('done', 'dead') AND finish_time < to_timestamp(:cutoff / 1e6)
  LIMIT :batch)
DELETE FROM kernel.job WHERE id IN (SELECT id FROM doomed))sql";

// A job claimed for the next run but not started: kartond is stopping.
constexpr const char* kReleaseClaim = R"sql(
UPDATE kernel.job SET state = 'scheduled', attempts = attempts - 1, claimed_by = NULL,
       claim_until = NULL
WHERE id = :id AND claimed_by = :node AND state = 'running')sql";

constexpr const char* kSelectJobByKey = "SELECT id FROM kernel.job WHERE unique_key = :key";

TimePoint FromMicros(long long micros) { return TimePoint(std::chrono::microseconds(micros)); }

// host:pid plus a random part: two containers can share a host name and
// both be pid 1, and claims must never mistake one kartond for another.
std::string MakeNodeId() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}:{:08x}", host, ::getpid(), randombytes_random());
}

}  // namespace

bool IsValidRecurrence(const std::string& recurrence) {
  const auto now = std::chrono::system_clock::now();
  return recurrence.empty() || NextOccurrence(recurrence, now, now, UtcRules()).has_value();
}

std::chrono::sys_days DatabaseZoneRules::LocalDay(TimePoint moment) const {
  long long days = 0;
  const long long moment_us = ToEpochMicros(moment);
  session_ << "SELECT ((to_timestamp(:moment / 1e6) AT TIME ZONE :zone)::date - date "
              "'1970-01-01')",
      soci::use(moment_us), soci::use(zone_), soci::into(days);
  return std::chrono::sys_days(std::chrono::days(days));
}

TimePoint DatabaseZoneRules::AtLocal(std::chrono::sys_days day,
                                     std::chrono::minutes time_of_day) const {
  const long long days = day.time_since_epoch().count();
  const long long minutes = time_of_day.count();
  long long at_us = 0;
  session_ << "SELECT (extract(epoch FROM (date '1970-01-01' + CAST(:days AS integer) + "
              "make_interval(mins => CAST(:minutes AS integer))) AT TIME ZONE :zone) * "
              "1000000)::bigint",
      soci::use(days), soci::use(minutes), soci::use(zone_), soci::into(at_us);
  return FromMicros(at_us);
}

std::optional<TimePoint> NextOccurrence(const std::string& recurrence, TimePoint scheduled_for,
                                        TimePoint after, const ZoneRules& zone) {
  static const RE2 kEvery(R"(every (\d{1,9})s)");
  static const RE2 kDaily(R"(daily ([01]\d|2[0-3]):([0-5]\d))");
  long long seconds = 0;
  int hour = 0, minute = 0;
  if (RE2::FullMatch(recurrence, kEvery, &seconds)) {
    const auto period = std::chrono::seconds(seconds);
    if (period.count() < 1) return std::nullopt;
    // Skip the runs missed while nobody ran the queue: one run, then on rhythm.
    auto next = scheduled_for + period;
    if (next <= after) {
      const auto missed = (after - scheduled_for) / period;
      next = scheduled_for + period * (missed + 1);
    }
    return next;
  }
  if (RE2::FullMatch(recurrence, kDaily, &hour, &minute)) {
    // Day by day rather than + 24 h: a daylight-saving change makes a day
    // 23 or 25 hours long, and 07:00 stays 07:00.
    const auto day = zone.LocalDay(after);
    const auto time_of_day = std::chrono::hours(hour) + std::chrono::minutes(minute);
    TimePoint next = zone.AtLocal(day, time_of_day);
    if (next <= after) next = zone.AtLocal(day + std::chrono::days(1), time_of_day);
    return next;
  }
  return std::nullopt;
}

std::chrono::seconds RetryDelay(int attempt) {
  const int exponent = std::clamp(attempt - 1, 0, 12);
  return std::min(std::chrono::seconds(1LL << exponent), std::chrono::seconds(3600));
}

class JobQueue::ModuleJobs final : public Jobs {
 public:
  ModuleJobs(JobQueue& queue, std::string module) : queue_(queue), module_(std::move(module)) {}

  void Handle(std::string kind, JobHandler handler) override {
    if (!handler) throw std::invalid_argument("a job handler needs a kind and code");
    queue_.AddHandler(module_, std::move(kind), Handler{.one = std::move(handler)});
  }

  void HandleBatch(std::string kind, int max_batch, JobBatchHandler handler) override {
    if (!handler) throw std::invalid_argument("a job handler needs a kind and code");
    if (max_batch < 1) throw std::invalid_argument("max_batch must be at least 1");
    queue_.AddHandler(module_, std::move(kind),
                      Handler{.batch = std::move(handler), .max_batch = max_batch});
  }

  std::int64_t Schedule(soci::session& session, const JobSpec& spec) override {
    if (queue_.handlers_.count({module_, spec.kind}) == 0) {
      throw std::invalid_argument(
          fmt::format("module {} has no job handler '{}'", module_, spec.kind));
    }
    if (!IsValidRecurrence(spec.recurrence)) {
      throw std::invalid_argument(fmt::format(
          "recurrence '{}' is neither 'every <n>s' nor 'daily HH:MM'", spec.recurrence));
    }
    if (spec.max_attempts < 1) throw std::invalid_argument("max_attempts must be at least 1");
    TimePoint run_at = spec.run_at;
    if (run_at == TimePoint{} && !spec.recurrence.empty()) {
      // No first run given: the recurrence's next occurrence from now.
      const auto now = queue_.clock_.Now();
      run_at = *NextOccurrence(spec.recurrence, now, now,
                               DatabaseZoneRules(session, queue_.options_.time_zone));
    }
    const std::string run_at_us = std::to_string(ToEpochMicros(run_at));
    const std::string now_us = std::to_string(ToEpochMicros(queue_.clock_.Now()));
    const std::string max_attempts = std::to_string(spec.max_attempts);
    const QueryParam recurrence =
        spec.recurrence.empty() ? QueryParam() : QueryParam(spec.recurrence);
    // After the commit: a worker woken now would not see the job yet.
    const bool in_kernel_transaction =
        RunAfterCommit(session, [wakeup = queue_.wakeup_] { wakeup->OneIfAllIdle(); });
    if (in_kernel_transaction && spec.unique_key.empty()) {
      // Nothing to look up: the INSERT goes with the COMMIT.
      const std::int64_t id = queue_.TakeJobId(session);
      RunPreparedLater(session, kInsertJobWithId,
                       {std::to_string(id), module_, spec.kind, spec.payload, run_at_us, recurrence,
                        max_attempts, now_us});
      return id;
    }
    const QueryParam unique_key =
        spec.unique_key.empty() ? QueryParam() : QueryParam(spec.unique_key);
    const QueryRows inserted = RunPrepared(session, kInsertJob,
                                           {module_, spec.kind, spec.payload, run_at_us, recurrence,
                                            max_attempts, unique_key, now_us});
    long long id = 0;
    if (inserted.Count() > 0) {
      id = IntegerCell(inserted, 0, 0);
    } else {
      session << kSelectJobByKey, soci::use(spec.unique_key), soci::into(id);
    }
    if (!in_kernel_transaction) queue_.wakeup_->OneIfAllIdle();
    return id;
  }

 private:
  JobQueue& queue_;
  std::string module_;
};

std::int64_t JobQueue::TakeJobId(soci::session& session) {
  {
    std::lock_guard lock(job_ids_mutex_);
    if (!job_ids_.empty()) {
      const std::int64_t id = job_ids_.front();
      job_ids_.pop_front();
      return id;
    }
  }
  // Outside the lock: another thread that runs out meanwhile takes a block
  // of its own, and both blocks are used.
  const QueryRows block = RunPrepared(session, kTakeJobIds, {std::to_string(kJobIdBlock)});
  std::lock_guard lock(job_ids_mutex_);
  for (int row = 1; row < block.Count(); ++row) job_ids_.push_back(IntegerCell(block, row, 0));
  return IntegerCell(block, 0, 0);
}

void JobQueue::AddHandler(const std::string& module, std::string kind, Handler handler) {
  if (!workers_.empty()) throw std::logic_error("job handlers are registered in Register()");
  if (kind.empty()) throw std::invalid_argument("a job handler needs a kind and code");
  handlers_[{module, std::move(kind)}] = std::move(handler);
  std::set<std::string> modules;
  for (const auto& [key, unused] : handlers_) modules.insert(key.first);
  modules_with_handlers_ = fmt::format("{}", fmt::join(modules, ","));
}

JobQueue::JobQueue(Database& database, const Clock& clock, JobQueueOptions options)
    : database_(database),
      clock_(clock),
      options_(options),
      node_id_(options_.node_id.empty() ? MakeNodeId() : options_.node_id) {}

JobQueue::~JobQueue() { Stop(); }

std::unique_ptr<Jobs> JobQueue::ForModule(const std::string& module) {
  return std::make_unique<ModuleJobs>(*this, module);
}

void JobQueue::Start() {
  // Before any worker runs, so every claim under this id is a dead one;
  // even when this kartond runs no jobs now, others may take them.
  {
    auto lease = database_.Acquire();
    soci::statement release = (lease.Session().prepare << kReleaseOwnClaims, soci::use(node_id_));
    release.execute(true);
    if (const auto released = release.get_affected_rows(); released > 0) {
      spdlog::warn(
          "jobs this kartond was running when it stopped are queued again count={} node={}",
          released, node_id_);
    }
  }
  if (handlers_.empty()) return;  // nothing to run here
  {
    std::lock_guard lock(wakeup_->mutex);
    wakeup_->workers = options_.workers;
  }
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void JobQueue::Stop() {
  {
    std::lock_guard lock(wakeup_->mutex);
    wakeup_->stopping = true;
  }
  wakeup_->wake.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

// A worker commits how one job went together with the claim of its next:
// one commit per job instead of two, while the queue is busy. The outcome
// is durable before the next handler starts, as it was before.
void JobQueue::WorkerWakeup::OneIfAllIdle() {
  {
    std::lock_guard lock(mutex);
    // No worker here (none started, or stopped), one busy, or one woken
    // already: it will see the job.
    if (workers == 0 || idle < workers || woken) return;
    woken = true;
  }
  wake.notify_one();
}

bool JobQueue::WorkerWakeup::Stopping() {
  std::lock_guard lock(mutex);
  return stopping;
}

void JobQueue::WorkerLoop() {
  std::vector<Claimed> next;
  while (true) {
    if (wakeup_->Stopping()) break;
    try {
      if (next.empty()) {
        auto lease = database_.Acquire();
        soci::transaction transaction(lease.Session());
        next = Claim(lease.Session());
        transaction.commit();
      }
      if (!next.empty()) {
        const std::vector<Claimed> jobs = std::move(next);
        next.clear();
        const std::vector<std::string> errors = Execute(jobs);
        auto lease = database_.Acquire();
        soci::transaction transaction(lease.Session());
        FinishAll(lease.Session(), jobs, errors);
        if (!wakeup_->Stopping()) next = Claim(lease.Session());
        transaction.commit();
        continue;
      }
    } catch (const std::exception& error) {
      // The database is away; try again after the poll interval. Jobs
      // whose outcome was not written run again when their claim expires.
      spdlog::warn("job queue: {}", DescribeDatabaseError(error));
      next.clear();
    }
    // Until a job is scheduled, or the poll interval has passed (jobs that
    // came due, jobs another kartond scheduled).
    std::unique_lock lock(wakeup_->mutex);
    ++wakeup_->idle;
    wakeup_->wake.wait_for(lock, options_.poll_interval,
                           [this] { return wakeup_->stopping || wakeup_->woken; });
    wakeup_->woken = false;
    --wakeup_->idle;
  }
  if (!next.empty()) Release(next);
}

void JobQueue::Release(const std::vector<Claimed>& jobs) {
  try {
    auto lease = database_.Acquire();
    for (const auto& job : jobs) {
      long long id = job.run.id;
      lease.Session() << kReleaseClaim, soci::use(id), soci::use(node_id_);
    }
  } catch (const std::exception& error) {
    // Their claims run out and another kartond (or the next start) takes them.
    spdlog::warn("job queue: could not hand back {} claimed job(s): {}", jobs.size(),
                 DescribeDatabaseError(error));
  }
}

long long JobQueue::PurgeFinished() {
  if (options_.retention_days <= 0) return 0;
  constexpr int kDeleteBatch = 10000;
  long long cutoff_us = ToEpochMicros(clock_.Now() - std::chrono::days(options_.retention_days));
  int batch_size = kDeleteBatch;
  long long deleted = 0;
  auto lease = database_.Acquire();
  while (true) {
    // Each batch commits by itself: a short lock on a bounded set of rows.
    soci::statement statement = (lease.Session().prepare << kDeleteFinishedJobs,
                                 soci::use(cutoff_us, "cutoff"), soci::use(batch_size, "batch"));
    statement.execute(true);
    const long long batch = statement.get_affected_rows();
    deleted += batch;
    if (batch < kDeleteBatch) break;
    if (wakeup_->Stopping()) break;
  }
  if (deleted > 0)
    spdlog::info("job retention deleted={} finished_before_days={}", deleted,
                 options_.retention_days);
  return deleted;
}

int JobQueue::RunDueNow(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int ran = 0;
  while (std::chrono::steady_clock::now() < deadline && !handlers_.empty() && RunOne()) ++ran;
  // A worker thread may have claimed some of them: wait until they are
  // through, so the caller sees every due job finished (or failed).
  const long long now_us = ToEpochMicros(clock_.Now());
  while (std::chrono::steady_clock::now() < deadline) {
    long long running = 0;
    {
      auto lease = database_.Acquire();
      lease.Session() << "SELECT count(*) FROM kernel.job WHERE state = 'running' "
                         "AND run_at <= to_timestamp(:now_us / 1e6)",
          soci::use(now_us), soci::into(running);
    }
    if (running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ran;
}

bool JobQueue::RunOne() {
  std::vector<Claimed> jobs;
  {
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    jobs = Claim(lease.Session());
    transaction.commit();
  }
  if (jobs.empty()) return false;
  const std::vector<std::string> errors = Execute(jobs);
  auto lease = database_.Acquire();
  soci::transaction transaction(lease.Session());
  FinishAll(lease.Session(), jobs, errors);
  transaction.commit();
  return true;
}

std::vector<JobQueue::Claimed> JobQueue::Claim(soci::session& session) {
  const long long now_us = ToEpochMicros(clock_.Now());
  const long long claim_until_us = ToEpochMicros(
      clock_.Now() + std::chrono::duration_cast<std::chrono::microseconds>(options_.claim_lease));
  // Expired claims only come from crashed processes: looking for them
  // once per poll interval is enough, not before every claim.
  const auto now_steady = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = last_claim_release_.load();
  if (now_steady - last >=
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.poll_interval)
              .count() &&
      last_claim_release_.compare_exchange_strong(last, now_steady)) {
    session << kReleaseExpiredClaims, soci::use(now_us);
    long long stale = 0;
    session << kStatisticsStale, soci::into(stale);
    if (stale > 0) session << kAnalyzeJobs;
  }
  const auto claimed_of = [](const soci::row& row) {
    Claimed job;
    job.run.id = row.get<long long>(0);
    job.module = row.get<std::string>(1);
    job.run.kind = row.get<std::string>(2);
    job.run.payload = row.get<std::string>(3);
    job.run.attempt = row.get<int>(4);
    job.max_attempts = row.get<int>(5);
    job.run.scheduled_for = FromMicros(row.get<long long>(6));
    job.recurrence = row.get<std::string>(7);
    return job;
  };
  std::vector<Claimed> jobs;
  soci::row row;
  session << kClaimJob, soci::use(node_id_), soci::use(claim_until_us), soci::use(now_us),
      soci::use(modules_with_handlers_), soci::into(row);
  if (!session.got_data()) return jobs;
  jobs.push_back(claimed_of(row));
  const auto handler = handlers_.find({jobs[0].module, jobs[0].run.kind});
  if (handler != handlers_.end() && handler->second.max_batch > 1) {
    int more = handler->second.max_batch - 1;
    soci::rowset<soci::row> rows =
        (session.prepare << kClaimMoreJobs, soci::use(node_id_), soci::use(claim_until_us),
         soci::use(now_us), soci::use(jobs[0].module), soci::use(jobs[0].run.kind),
         soci::use(more));
    for (const auto& each : rows) jobs.push_back(claimed_of(each));
  }
  return jobs;
}

std::vector<std::string> JobQueue::Execute(const std::vector<Claimed>& jobs) {
  std::vector<std::string> errors(jobs.size());
  const auto handler = handlers_.find({jobs[0].module, jobs[0].run.kind});
  if (handler == handlers_.end()) {
    for (auto& error : errors) {
      error = fmt::format("module {} has no handler for job kind '{}'", jobs[0].module,
                          jobs[0].run.kind);
    }
    return errors;
  }
  try {
    if (handler->second.batch) {
      std::vector<JobRun> runs;
      runs.reserve(jobs.size());
      for (const auto& job : jobs) runs.push_back(job.run);
      handler->second.batch(runs, errors);
      errors.resize(jobs.size());  // a handler that resized it changes nothing else
    } else {
      handler->second.one(jobs[0].run);
    }
  } catch (const std::exception& failure) {
    // Logged and kept in last_error: no row values (see DescribeDatabaseError).
    for (auto& error : errors) error = DescribeDatabaseError(failure);
  } catch (...) {
    for (auto& error : errors) error = "the handler threw something that is not a std::exception";
  }
  return errors;
}

void JobQueue::FinishAll(soci::session& session, const std::vector<Claimed>& jobs,
                         const std::vector<std::string>& errors) {
  std::vector<std::int64_t> done;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (errors[i].empty() && jobs[i].recurrence.empty()) {
      done.push_back(jobs[i].run.id);
    } else {
      Finish(session, jobs[i], errors[i]);
    }
  }
  if (!done.empty()) {
    RunPrepared(session, kFinishAllDone,
                {std::to_string(ToEpochMicros(clock_.Now())), node_id_, BigintArrayLiteral(done)});
  }
}

void JobQueue::Finish(soci::session& session, const Claimed& job, const std::string& error) {
  const JobRun& run = job.run;
  const auto now = clock_.Now();
  const long long finished_us = ToEpochMicros(now);
  long long id = run.id;
  if (error.empty()) {
    const DatabaseZoneRules zone(session, options_.time_zone);
    if (auto next = job.recurrence.empty()
                        ? std::nullopt
                        : NextOccurrence(job.recurrence, run.scheduled_for, now, zone)) {
      const long long next_us = ToEpochMicros(*next);
      const int attempts = 0;
      const std::string no_error;
      session << kReschedule, soci::use(next_us), soci::use(attempts), soci::use(no_error),
          soci::use(id), soci::use(node_id_);
    } else {
      session << kFinishDone, soci::use(finished_us), soci::use(id), soci::use(node_id_);
    }
    return;
  }
  if (run.attempt >= job.max_attempts) {
    spdlog::error("job dead id={} module={} kind={} attempts={} error=\"{}\"", run.id, job.module,
                  run.kind, run.attempt, error);
    session << kFinishDead, soci::use(finished_us), soci::use(error), soci::use(id),
        soci::use(node_id_);
  } else {
    spdlog::warn("job failed id={} module={} kind={} attempt={} error=\"{}\"", run.id, job.module,
                 run.kind, run.attempt, error);
    const long long retry_us = ToEpochMicros(now + RetryDelay(run.attempt));
    const int attempts = run.attempt;
    session << kReschedule, soci::use(retry_us), soci::use(attempts), soci::use(error),
        soci::use(id), soci::use(node_id_);
  }
}

}  // namespace karton::kernel
