// Sending issued invoices and credit notes to NAV Online Számla: the
// submission's table (schema/invoicing/0003_add_nav_submissions.sql), its
// two jobs and InvoiceService's GetNavSubmission and ResubmitToNav
// (docs/invoicing.md, "Sending to NAV").
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <spdlog/logger.h>

#include <algorithm>
#include <sstream>

#include "invoices/invoice_lines.h"
#include "invoices/invoice_repository.h"
#include "invoices/invoice_service.h"
#include "invoicing_sql.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "nav/invoice_data_xml.h"
#include "nav/nav_client.h"
#include "nav/nav_schemas.h"

namespace karton::invoicing {
namespace {

// Attempts of one job before it is dead: the kernel's backoff (1 s, 2 s,
// ... an hour at most) makes 20 attempts about ten hours of NAV outage.
constexpr int kNavMaxAttempts = 20;
constexpr char kAccepted[] = "invoicing.invoice.nav_accepted";
constexpr char kRejected[] = "invoicing.invoice.nav_rejected";

const kernel::TypedQuery<v1::NavSubmission> kFindSubmission(
    "SELECT s.invoice_id, coalesce(i.number, '') AS invoice_number, s.state, "
    "coalesce(s.transaction_id, '') AS transaction_id, s.messages, s.failed_attempts, "
    "s.last_error, s.round, " KARTON_INVOICING_MICROS("s.create_time") " AS create_time, "
    KARTON_INVOICING_MICROS("s.submit_time") " AS submit_time, "
    KARTON_INVOICING_MICROS("s.finish_time") " AS finish_time, "
    KARTON_INVOICING_MICROS("s.update_time") " AS update_time "
    "FROM invoicing.nav_submission s JOIN invoicing.invoice i ON i.id = s.invoice_id "
    "WHERE s.invoice_id = $1");

std::string Text(std::int64_t value) { return std::to_string(value); }
std::string Micros(kernel::TimePoint time) { return Text(kernel::ToEpochMicros(time)); }

struct Payload {
  std::int64_t invoice_id = 0;
  int round = 0;
  int poll = 0;
};

std::optional<Payload> ReadPayload(const std::string& text, bool with_poll) {
  Payload payload;
  std::istringstream in(text);
  if (!(in >> payload.invoice_id >> payload.round)) return std::nullopt;
  if (with_poll && !(in >> payload.poll)) return std::nullopt;
  return payload;
}

// A request id NAV has not seen from this taxpayer: the invoice, the
// round, the step and the clock's milliseconds in base 36; at most 30
// characters of [A-Z0-9].
std::string RequestId(std::int64_t invoice_id, int round, char step, int attempt,
                      kernel::TimePoint now) {
  auto millis = static_cast<unsigned long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  std::string clock;
  do {
    clock += "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[millis % 36];
    millis /= 36;
  } while (millis > 0);
  std::reverse(clock.begin(), clock.end());
  std::string id = fmt::format("KRT{}R{}{}{}T{}", invoice_id, round, step, attempt, clock);
  return id.substr(0, 30);
}

std::string MessagesJson(const std::vector<nav::ValidationMessage>& messages) {
  std::string json = "[";
  for (const auto& message : messages) {
    v1::NavValidationMessage proto;
    proto.set_result_code(message.result_code);
    proto.set_error_code(message.error_code);
    proto.set_message(message.message);
    proto.set_pointer(message.pointer);
    std::string one;
    if (!google::protobuf::util::MessageToJsonString(proto, &one).ok()) {
      throw std::runtime_error("a NAV message could not be written as JSON");
    }
    if (json.size() > 1) json += ',';
    json += one;
  }
  return json + "]";
}

}  // namespace

void InvoiceServiceImpl::ScheduleNavJob(soci::session& session, const char* kind,
                                        const std::string& payload, kernel::TimePoint run_at) {
  jobs_.Schedule(session, {.kind = kind,
                           .payload = payload,
                           .run_at = run_at,
                           .recurrence = "",
                           .max_attempts = kNavMaxAttempts,
                           .unique_key = fmt::format("invoicing.{}:{}", kind, payload)});
}

void InvoiceServiceImpl::StartNavSubmission(soci::session& session, std::int64_t invoice_id) {
  if (!settings_.nav) return;
  const auto now = parts_.clock.Now();
  kernel::RunPrepared(session,
                      "INSERT INTO invoicing.nav_submission (invoice_id, create_time, update_time) "
                      "VALUES ($1, " KARTON_INVOICING_AT("$2") ", " KARTON_INVOICING_AT("$2") ")",
                      {Text(invoice_id), Micros(now)});
  ScheduleNavJob(session, kNavSubmitJob, fmt::format("{} 1", invoice_id), now);
}

void InvoiceServiceImpl::RecordNavFailure(std::int64_t invoice_id, int round,
                                          const kernel::JobRun& run, const std::string& error,
                                          bool give_up) {
  parts_.log.warn("{} job {} (invoice {}, attempt {}): {}", run.kind, run.id, invoice_id,
                  run.attempt, error);
  auto lease = parts_.database.Acquire();
  auto& session = lease.Session();
  kernel::Transaction transaction(session);
  // A pending report that never got through is failed after its last
  // attempt; a submitted one stays submitted (NAV has it: only its status
  // is unknown, and it must not be sent twice).
  kernel::RunPrepared(
      session,
      "UPDATE invoicing.nav_submission SET failed_attempts = failed_attempts + 1, "
      "last_error = left($3, 2000), update_time = " KARTON_INVOICING_AT("$4") ", "
      "state = CASE WHEN $5::boolean AND state = 'pending' THEN 'failed' ELSE state END "
      "WHERE invoice_id = $1 AND round = $2 AND state IN ('pending', 'submitted')",
      {Text(invoice_id), Text(round), error, Micros(parts_.clock.Now()),
       give_up ? "true" : "false"});
  transaction.Commit();
}

void InvoiceServiceImpl::SubmitToNav(const kernel::JobRun& run) {
  const auto payload = ReadPayload(run.payload, false);
  if (!payload) {
    parts_.log.error("{} job {}: unreadable payload '{}'", run.kind, run.id, run.payload);
    return;
  }
  if (!settings_.nav) {
    throw std::runtime_error("sending to NAV is off (invoicing.nav_* options); the report waits");
  }
  v1::Invoice invoice;
  {
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    const auto submission = kFindSubmission.One(session, {Text(payload->invoice_id)});
    // Submitted already (a job run twice), or resubmitted in a newer round.
    if (!submission || submission->round() != payload->round ||
        submission->state() != v1::NAV_SUBMISSION_STATE_PENDING) {
      return;
    }
    auto found = invoice_repository::Find(session, payload->invoice_id);
    if (!found || found->state() != v1::INVOICE_STATE_ISSUED) return;
    invoice = std::move(*found);
    *invoice.mutable_lines() =
        invoice_repository::ReadLines(session, invoice.id(), invoice.currency_code());
    auto totals = TotalsOf(invoice.lines(), invoice.currency_code(),
                           invoice_repository::RateOf(session, invoice.id()));
    *invoice.mutable_totals()->mutable_vat_summary() = totals.vat_summary();
  }
  const bool last = run.attempt >= kNavMaxAttempts;
  std::string transaction_id;
  try {
    std::string xml = nav::InvoiceDataXml(invoice);
    if (const auto problems = nav::ValidateInvoiceData(xml); !problems.empty()) {
      throw std::logic_error("the report does not validate: " + problems.front());
    }
    const nav::NavClient client(*settings_.nav);
    const auto now = parts_.clock.Now();
    transaction_id =
        client.ManageInvoice({RequestId(invoice.id(), payload->round, 'T', run.attempt, now), now},
                             {RequestId(invoice.id(), payload->round, 'M', run.attempt, now), now},
                             {{nav::OperationOf(invoice), std::move(xml)}});
  } catch (const std::logic_error& refused) {
    // The invoice as issued is not reportable ("buyer.address...: ...") or
    // the report is not valid (a bug here): retrying cannot help. Failed at
    // once; ResubmitToNav after the cause is fixed.
    RecordNavFailure(invoice.id(), payload->round, run, refused.what(), true);
    return;
  } catch (const std::exception& failed) {
    RecordNavFailure(invoice.id(), payload->round, run, failed.what(), last);
    throw;
  }
  auto lease = parts_.database.Acquire();
  auto& session = lease.Session();
  kernel::Transaction transaction(session);
  const auto now = parts_.clock.Now();
  const auto updated = kernel::RunPrepared(
      session,
      "UPDATE invoicing.nav_submission SET state = 'submitted', transaction_id = $3, polls = 0, "
      "last_error = '', submit_time = " KARTON_INVOICING_AT("$4") ", update_time = "
      KARTON_INVOICING_AT("$4") " WHERE invoice_id = $1 AND round = $2 AND state = 'pending' "
      "RETURNING invoice_id",
      {Text(invoice.id()), Text(payload->round), transaction_id, Micros(now)});
  if (updated.Count() == 1) {
    // NAV processes a report in seconds to minutes: the first look soon.
    ScheduleNavJob(session, kNavPollJob, fmt::format("{} {} 1", invoice.id(), payload->round),
                   now + std::chrono::seconds(5));
  }
  transaction.Commit();
  parts_.log.info("invoice {} sent to NAV: transaction {}", invoice.number(), transaction_id);
}

void InvoiceServiceImpl::PollNav(const kernel::JobRun& run) {
  const auto payload = ReadPayload(run.payload, true);
  if (!payload) {
    parts_.log.error("{} job {}: unreadable payload '{}'", run.kind, run.id, run.payload);
    return;
  }
  if (!settings_.nav) {
    throw std::runtime_error("sending to NAV is off (invoicing.nav_* options); the poll waits");
  }
  std::string transaction_id;
  {
    auto lease = parts_.database.Acquire();
    const auto submission = kFindSubmission.One(lease.Session(), {Text(payload->invoice_id)});
    if (!submission || submission->round() != payload->round ||
        submission->state() != v1::NAV_SUBMISSION_STATE_SUBMITTED) {
      return;
    }
    transaction_id = submission->transaction_id();
  }
  std::optional<nav::ProcessingResult> result;
  try {
    const nav::NavClient client(*settings_.nav);
    const auto now = parts_.clock.Now();
    for (auto& one :
         client.QueryTransactionStatus({RequestId(payload->invoice_id, payload->round, 'Q',
                                                  payload->poll * 100 + run.attempt, now),
                                        now},
                                       transaction_id)) {
      if (one.index == 1) result = std::move(one);
    }
  } catch (const std::exception& failed) {
    RecordNavFailure(payload->invoice_id, payload->round, run, failed.what(), false);
    throw;
  }
  auto lease = parts_.database.Acquire();
  auto& session = lease.Session();
  kernel::Transaction transaction(session);
  const auto now = parts_.clock.Now();
  if (!result || !result->Finished()) {
    // RECEIVED, PROCESSING or SAVED: look again, 10 s, 20 s, ... then
    // every 10 minutes. The poll number in the key makes each poll a job.
    const auto updated = kernel::RunPrepared(
        session,
        "UPDATE invoicing.nav_submission SET polls = $3, update_time = " KARTON_INVOICING_AT(
            "$4") " WHERE invoice_id = $1 AND round = $2 AND state = 'submitted' "
                  "AND polls < $3 RETURNING invoice_id",
        {Text(payload->invoice_id), Text(payload->round), Text(payload->poll), Micros(now)});
    if (updated.Count() == 1) {
      const auto delay = std::chrono::seconds(std::min(600, 5 << std::min(payload->poll, 7)));
      ScheduleNavJob(
          session, kNavPollJob,
          fmt::format("{} {} {}", payload->invoice_id, payload->round, payload->poll + 1),
          now + delay);
    }
    transaction.Commit();
    return;
  }
  const bool rejected = result->Rejected();
  const auto finished = kernel::RunPrepared(
      session,
      "UPDATE invoicing.nav_submission SET state = $3, messages = cast($4 AS jsonb), "
      "last_error = '', finish_time = " KARTON_INVOICING_AT("$5") ", update_time = "
      KARTON_INVOICING_AT("$5") " WHERE invoice_id = $1 AND round = $2 AND state = 'submitted' "
      "RETURNING invoice_id",
      {Text(payload->invoice_id), Text(payload->round), rejected ? "rejected" : "accepted",
       MessagesJson(result->messages), Micros(now)});
  // Finished by an earlier run of this job: reported already.
  if (finished.Count() == 1) {
    const auto submission = *kFindSubmission.One(session, {Text(payload->invoice_id)});
    parts_.events.Publish(session, rejected ? kRejected : kAccepted, payload->invoice_id,
                          submission, kernel::Caller::Internal());
    if (rejected) {
      parts_.log.warn("NAV rejected the report of {} ({}): {}", submission.invoice_number(),
                      result->status,
                      submission.messages_size() > 0 ? submission.messages(0).message() : "");
    }
  }
  transaction.Commit();
}

grpc::Status InvoiceServiceImpl::GetNavSubmission(grpc::ServerContext* context,
                                                  const v1::GetNavSubmissionRequest* request,
                                                  v1::NavSubmission* response) {
  if (request->invoice_id() <= 0) return kernel::InvalidField("invoice_id", "is required");
  return kernel::Guarded(parts_.log, "GetNavSubmission", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    if (!invoice_repository::FindVisible(session, request->invoice_id(),
                                         kernel::VisibilityOf(kernel::CallerOf(*context)))) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no invoice with id {}", request->invoice_id())};
    }
    auto found = kFindSubmission.One(session, {Text(request->invoice_id())});
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("invoice {} was not sent to NAV (a draft, or issued while sending "
                          "was off)",
                          request->invoice_id())};
    }
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::ResubmitToNav(grpc::ServerContext* context,
                                               const v1::ResubmitToNavRequest* request,
                                               v1::NavSubmission* response) {
  if (request->invoice_id() <= 0) return kernel::InvalidField("invoice_id", "is required");
  if (!settings_.nav) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "sending to NAV is off: set the invoicing.nav_* options (docs/invoicing.md)"};
  }
  return kernel::Guarded(parts_.log, "ResubmitToNav", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    // The invoice locked: a resubmission at a time.
    const auto invoice = invoice_repository::FindVisible(session, request->invoice_id(),
                                                         kernel::VisibilityOf(caller));
    if (!invoice) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no invoice with id {}", request->invoice_id())};
    }
    invoice_repository::Find(session, invoice->id(), true);
    if (invoice->state() != v1::INVOICE_STATE_ISSUED) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("invoice {} is a draft; only an issued invoice is reported to NAV",
                          invoice->id())};
    }
    const auto now = parts_.clock.Now();
    auto existing = kFindSubmission.One(session, {Text(invoice->id())});
    int round = 1;
    if (!existing) {
      // Issued while sending was off: reported now, late but reported.
      kernel::RunPrepared(
          session,
          "INSERT INTO invoicing.nav_submission (invoice_id, create_time, update_time) "
          "VALUES ($1, " KARTON_INVOICING_AT("$2") ", " KARTON_INVOICING_AT("$2") ")",
          {Text(invoice->id()), Micros(now)});
    } else if (existing->state() == v1::NAV_SUBMISSION_STATE_REJECTED ||
               existing->state() == v1::NAV_SUBMISSION_STATE_FAILED) {
      round = existing->round() + 1;
      kernel::RunPrepared(
          session,
          "UPDATE invoicing.nav_submission SET state = 'pending', round = $2, "
          "transaction_id = NULL, messages = '[]', failed_attempts = 0, last_error = '', "
          "polls = 0, submit_time = NULL, finish_time = NULL, update_time = " KARTON_INVOICING_AT(
              "$3") " WHERE invoice_id = $1",
          {Text(invoice->id()), Text(round), Micros(now)});
    } else {
      return {
          grpc::StatusCode::FAILED_PRECONDITION,
          fmt::format("the NAV report of {} is {}; only a rejected or failed one is sent "
                      "again (an accepted invoice is corrected by a credit note)",
                      invoice->number(),
                      kernel::EnumWord(*v1::NavSubmissionState_descriptor(), existing->state()))};
    }
    ScheduleNavJob(session, kNavSubmitJob, fmt::format("{} {}", invoice->id(), round), now);
    parts_.audit.Record(
        session, caller, kernel::AuditAction::kUpdate, "invoicing.invoice", invoice->id(),
        {kernel::FieldChange::Of("nav_submission", "resubmitted", fmt::format("round {}", round))});
    *response = *kFindSubmission.One(session, {Text(invoice->id())});
    transaction.Commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::invoicing
