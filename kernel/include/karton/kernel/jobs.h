// Durable jobs: delayed and recurring work that survives restarts and runs
// once across several kartond sharing a database (docs/jobs.md).
//
// In Register(), a module names its handlers:
//
//   context.JobQueue().Handle("send_reminder", [this](const kernel::JobRun& run) {
//     SendReminder(run.payload);   // throw to fail this attempt
//   });
//
// and schedules work inside its own transactions, so a job exists if and
// only if the change that asked for it committed:
//
//   context.JobQueue().Schedule(session, {.kind = "send_reminder", .payload = json,
//                                     .run_at = context.Time().Now() + 24h});
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

struct JobSpec {
  std::string kind;     // a handler name of the scheduling module
  std::string payload;  // opaque to the kernel
  // From the kernel clock; in the past means "now". Left unset (the
  // epoch) on a recurring job: its recurrence's next occurrence.
  TimePoint run_at;
  // Empty: one-off. "every <n>s" (n >= 1), or "daily HH:MM": that local
  // time in the installation's time zone (kartond --time-zone, default
  // Europe/Budapest), 07:00 staying 07:00 across daylight-saving changes.
  std::string recurrence;
  int max_attempts = 5;
  // Optional: scheduling the same key twice keeps the first job.
  std::string unique_key;
};

struct JobRun {
  std::int64_t id = 0;
  std::string kind;
  std::string payload;
  int attempt = 1;  // 1 on the first run
  TimePoint scheduled_for;
};

// Runs on a kernel job thread; may block on the database. Throwing fails the
// attempt: it is retried with exponential backoff (1 s, 2 s, 4 s, ... capped
// at one hour) until max_attempts, then the job is dead (JobService shows it,
// RetryJob revives it). Handlers must be idempotent: a kartond that dies
// mid-job leaves it to be run again once its claim expires.
using JobHandler = std::function<void(const JobRun&)>;

// Runs several due jobs of one kind at once, for work that is cheaper in
// bulk (many messages over one SMTP connection, their statuses in one
// transaction). `failures` comes sized to `runs`, every entry empty; a text
// put in entry i fails run i as a throw fails a single job (retried with
// backoff, dead after max_attempts). Throwing fails every run of the
// batch. The same idempotency rule holds: a kartond that dies mid-batch
// leaves every run of it to be run again.
using JobBatchHandler =
    std::function<void(const std::vector<JobRun>& runs, std::vector<std::string>& failures)>;

class Jobs {
 public:
  virtual ~Jobs() = default;
  // Call from Register() only.
  virtual void Handle(std::string kind, JobHandler handler) = 0;
  // Call from Register() only. Up to `max_batch` (at least 1) due jobs of
  // `kind` are claimed together, handed to `handler` in one call, and
  // their outcomes written together.
  virtual void HandleBatch(std::string kind, int max_batch, JobBatchHandler handler) = 0;
  // Inserts the job inside `session`'s transaction and returns its id (the
  // existing job's id when `unique_key` was used before). Throws
  // std::invalid_argument for an unknown kind or a bad recurrence.
  virtual std::int64_t Schedule(soci::session& session, const JobSpec& spec) = 0;
};

}  // namespace karton::kernel
