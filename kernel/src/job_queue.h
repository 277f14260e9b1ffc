// The kernel side of durable jobs: the queue table's runner and the
// per-module Jobs facade (karton/kernel/jobs.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/kernel/jobs.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

class Database;

// The production clock, or with --test-clock one that tests move forward.
class KernelClock final : public Clock {
 public:
  explicit KernelClock(bool movable) : movable_(movable) {}
  TimePoint Now() const override {
    return std::chrono::system_clock::now() + std::chrono::microseconds(offset_us_.load());
  }
  bool Movable() const { return movable_; }
  // Only when Movable(); moves every later Now() forward by `by`.
  void Advance(std::chrono::microseconds by) { offset_us_.fetch_add(by.count()); }

 private:
  const bool movable_;
  std::atomic<long long> offset_us_{0};
};

// The rules of a time zone, as "daily HH:MM" needs them: which local day a
// moment falls on, and when a local day's time of day begins.
class ZoneRules {
 public:
  virtual ~ZoneRules() = default;
  virtual std::chrono::sys_days LocalDay(TimePoint moment) const = 0;
  // A local time that a daylight-saving change skips (02:30 on the last
  // Sunday of March in Budapest) is taken as PostgreSQL takes it: an hour
  // later.
  virtual TimePoint AtLocal(std::chrono::sys_days day, std::chrono::minutes time_of_day) const = 0;
};

// UTC, for validating a recurrence and for tests.
class UtcRules final : public ZoneRules {
 public:
  std::chrono::sys_days LocalDay(TimePoint moment) const override {
    return std::chrono::floor<std::chrono::days>(moment);
  }
  TimePoint AtLocal(std::chrono::sys_days day, std::chrono::minutes time_of_day) const override {
    return day + time_of_day;
  }
};

// The zone's rules as the database has them (its tz database), asked over
// `session`.
class DatabaseZoneRules final : public ZoneRules {
 public:
  DatabaseZoneRules(soci::session& session, std::string zone)
      : session_(session), zone_(std::move(zone)) {}
  std::chrono::sys_days LocalDay(TimePoint moment) const override;
  TimePoint AtLocal(std::chrono::sys_days day, std::chrono::minutes time_of_day) const override;

 private:
  soci::session& session_;
  std::string zone_;
};

// The next run of a recurring job after `after`, counted from the time it
// was scheduled for (so "every 60s" keeps its rhythm); "daily HH:MM" is
// that local time in `zone`. nullopt if `recurrence` is not "every <n>s"
// or "daily HH:MM".
std::optional<TimePoint> NextOccurrence(const std::string& recurrence, TimePoint scheduled_for,
                                        TimePoint after, const ZoneRules& zone);
bool IsValidRecurrence(const std::string& recurrence);
// 1 s, 2 s, 4 s, ... for attempt 1, 2, 3, ..., capped at one hour.
std::chrono::seconds RetryDelay(int attempt);

struct JobQueueOptions {
  int workers = 2;
  std::chrono::milliseconds poll_interval{1000};
  // How long a claim holds before another kartond may take the job over.
  std::chrono::seconds claim_lease{300};
  // Where "daily HH:MM" is read (kartond --time-zone).
  std::string time_zone = "Europe/Budapest";
  // Days a finished (done or dead) job is kept before PurgeFinished
  // deletes it; 0 keeps them for ever (kartond --job-retention-days).
  int retention_days = 30;
  // Who this kartond is in claims (jobs and event subscriptions). kartond
  // passes the id kept in its data directory (node_identity.h), so after a
  // crash it takes back its own claims at once instead of waiting out
  // their leases; empty makes a fresh one (tests, tools).
  std::string node_id{};
};

class JobQueue {
 public:
  JobQueue(Database& database, const Clock& clock, JobQueueOptions options);
  ~JobQueue();  // Stop()
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // The facade a module uses; handlers are registered under its name.
  std::unique_ptr<Jobs> ForModule(const std::string& module);

  // Starts the worker threads (after every module registered its handlers).
  void Start();
  // Stops claiming, lets running jobs finish, joins the workers. Idempotent.
  void Stop();
  // Runs every job due now on the calling thread until none is left (or
  // `limit` passed); returns how many ran. AdvanceClock uses it.
  int RunDueNow(std::chrono::seconds limit = std::chrono::seconds(60));

  const std::string& NodeId() const { return node_id_; }

  // Deletes done and dead jobs that finished more than retention_days ago,
  // in batches of bounded size (the kernel's hourly purge_jobs job), and
  // returns how many. Their unique keys are free again afterwards: a module
  // that needs "once" beyond that keeps its own record (automation's
  // rule_run, messaging's idempotency keys).
  long long PurgeFinished();

 private:
  class ModuleJobs;
  // A job this kartond has claimed and not yet finished.
  struct Claimed {
    JobRun run;
    std::string module;
    std::string recurrence;
    int max_attempts = 0;
  };
  // A module's code for one kind of job: one at a time, or in batches.
  struct Handler {
    JobHandler one;
    JobBatchHandler batch;
    int max_batch = 1;
  };
  // Claims the oldest due job in the session's transaction and, when its
  // kind is handled in batches, more due jobs of that kind up to the
  // batch size. Empty when nothing is due.
  std::vector<Claimed> Claim(soci::session& session);
  // Runs the jobs' handler: one entry per job, "" when it succeeded, else
  // why not.
  std::vector<std::string> Execute(const std::vector<Claimed>& jobs);
  // Writes how the job went: done, rescheduled (recurring or retried) or dead.
  void Finish(soci::session& session, const Claimed& job, const std::string& error);
  // Finish for each of a batch's jobs (`errors` by index): the ones done for
  // good (no error, no recurrence) in one statement, the others one by one.
  void FinishAll(soci::session& session, const std::vector<Claimed>& jobs,
                 const std::vector<std::string>& errors);
  // Hands claimed jobs back unrun (kartond is stopping).
  void Release(const std::vector<Claimed>& jobs);
  void AddHandler(const std::string& module, std::string kind, Handler handler);
  // Claims one due job and runs it; false when none was due.
  bool RunOne();
  void WorkerLoop();

  Database& database_;
  const Clock& clock_;
  JobQueueOptions options_;
  std::string node_id_;
  // (module, kind) -> handler; filled before Start(), read-only after.
  std::map<std::pair<std::string, std::string>, Handler> handlers_;
  std::string modules_with_handlers_;  // comma-separated, for the claim query
  // steady_clock ticks of the last look for expired claims (0: never).
  std::atomic<std::chrono::steady_clock::rep> last_claim_release_{0};

  // Where idle workers wait. Scheduling a job wakes one when every worker
  // is idle, after the scheduling transaction commits when it is a
  // kernel::Transaction (a worker woken earlier would look before the job
  // is there). While any worker is busy none is woken: the busy one claims
  // again as soon as it is done, and takes what came meanwhile in one batch
  // (waking a worker per job cut web-form and email throughput by a
  // quarter and more, docs/jobs.md). Shared, so that a wake-up queued for a
  // commit never outlives what it wakes.
  struct WorkerWakeup {
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    int workers = 0;     // started
    int idle = 0;        // waiting for a wake-up or the poll
    bool woken = false;  // a wake-up no idle worker has taken yet
    void OneIfAllIdle();
    bool Stopping();
  };
  std::shared_ptr<WorkerWakeup> wakeup_ = std::make_shared<WorkerWakeup>();
  std::vector<std::thread> workers_;

  // Job ids taken from the table's sequence ahead, a block at a time, so a
  // job scheduled inside a kernel::Transaction knows its id without a
  // statement of its own and its INSERT goes with the COMMIT (docs/jobs.md,
  // "Scheduling"). Ids a transaction took and rolled back are skipped, as a
  // rolled-back INSERT skips its identity value.
  std::int64_t TakeJobId(soci::session& session);
  std::mutex job_ids_mutex_;
  std::deque<std::int64_t> job_ids_;
};

}  // namespace karton::kernel
