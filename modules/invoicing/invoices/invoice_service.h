// InvoiceService: drafts, invoices from orders, issuing with gap-free
// numbers (invoice_service.proto).
#pragma once

#include <optional>
#include <string>

#include "invoicing_settings.h"
#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/service_parts.h"
#include "karton/kernel/sharing.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class DomainEvents;
class Jobs;
struct JobRun;
}  // namespace karton::kernel

namespace karton::invoicing {

class OtherModules;

// Schedules the issued invoice's overdue notice, inside `session`'s
// transaction (the demo data's overdue invoice uses it too).
void ScheduleOverdueNotice(kernel::Jobs& jobs, soci::session& session, const v1::Invoice& invoice,
                           const InvoicingSettings& settings);

class InvoiceServiceImpl final : public v1::InvoiceService::Service {
 public:
  // At the end of an issued invoice's due date (the module's time zone):
  // invoicing.invoice.overdue when something is still open.
  static constexpr char kOverdueJob[] = "invoice_overdue";
  // Sending to NAV (docs/invoicing.md, "Sending to NAV"), payload
  // "<invoice id> <round>": tokenExchange and manageInvoice, then
  // kNavPollJob; payload "<invoice id> <round> <poll>": one
  // queryTransactionStatus, scheduling the next poll until DONE or ABORTED.
  static constexpr char kNavSubmitJob[] = "nav_submit";
  static constexpr char kNavPollJob[] = "nav_poll";

  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  InvoiceServiceImpl(kernel::ServiceParts parts, kernel::Jobs& jobs, OtherModules& others,
                     InvoicingSettings settings)
      : parts_(parts), jobs_(jobs), others_(others), settings_(std::move(settings)) {}

  // The kOverdueJob handler; does nothing for an invoice paid or credited
  // in full, or announced already for its due date.
  void AnnounceOverdue(const kernel::JobRun& run);
  // The kNavSubmitJob and kNavPollJob handlers (invoices/nav_sending.cpp);
  // each does nothing for a submission that moved on (a job run twice
  // reports once). A failed attempt is recorded and thrown, so the job
  // queue retries it with backoff.
  void SubmitToNav(const kernel::JobRun& run);
  void PollNav(const kernel::JobRun& run);

  grpc::Status CreateInvoice(grpc::ServerContext* context, const v1::CreateInvoiceRequest* request,
                             v1::Invoice* response) override;
  grpc::Status CreateInvoiceFromOrder(grpc::ServerContext* context,
                                      const v1::CreateInvoiceFromOrderRequest* request,
                                      v1::Invoice* response) override;
  grpc::Status GetInvoice(grpc::ServerContext* context, const v1::GetInvoiceRequest* request,
                          v1::Invoice* response) override;
  grpc::Status ListInvoices(grpc::ServerContext* context, const v1::ListInvoicesRequest* request,
                            v1::ListInvoicesResponse* response) override;
  grpc::Status UpdateInvoice(grpc::ServerContext* context, const v1::UpdateInvoiceRequest* request,
                             v1::Invoice* response) override;
  grpc::Status IssueInvoice(grpc::ServerContext* context, const v1::IssueInvoiceRequest* request,
                            v1::Invoice* response) override;
  grpc::Status CreateCreditNote(grpc::ServerContext* context,
                                const v1::CreateCreditNoteRequest* request,
                                v1::Invoice* response) override;
  grpc::Status RenderInvoicePdf(grpc::ServerContext* context,
                                const v1::RenderInvoicePdfRequest* request,
                                grpc::ServerWriter<v1::RenderInvoicePdfResponse>* writer) override;
  grpc::Status ExportNavXml(grpc::ServerContext* context, const v1::ExportNavXmlRequest* request,
                            v1::ExportNavXmlResponse* response) override;
  grpc::Status ShareInvoice(grpc::ServerContext* context, const v1::ShareInvoiceRequest* request,
                            v1::Invoice* response) override;
  grpc::Status GetNavSubmission(grpc::ServerContext* context,
                                const v1::GetNavSubmissionRequest* request,
                                v1::NavSubmission* response) override;
  grpc::Status ResubmitToNav(grpc::ServerContext* context, const v1::ResubmitToNavRequest* request,
                             v1::NavSubmission* response) override;
  grpc::Status UnshareInvoice(grpc::ServerContext* context,
                              const v1::UnshareInvoiceRequest* request,
                              v1::Invoice* response) override;

 private:
  // Writes a checked draft with its audit entry and event; nullopt when
  // its request_id was used before (the caller reads that one).
  grpc::Status WriteDraft(grpc::ServerContext* context, v1::Invoice invoice,
                          const std::string& request_id, v1::Invoice* response);

  // The issued invoice or credit note `id` with its lines, as the PDF and
  // the NAV export print it; FAILED_PRECONDITION for a draft.
  grpc::Status ReadIssued(const grpc::ServerContext& context, std::int64_t id, const char* method,
                          v1::Invoice& invoice);
  grpc::Status ChangeSharing(const grpc::ServerContext& context, const char* method,
                             kernel::Sharing sharing, std::int64_t id, std::int64_t user_id,
                             std::int64_t team_id, v1::Invoice* response);

  struct Issued {
    grpc::Status status;
    v1::Invoice invoice;
    bool ok() const { return status.ok(); }
  };
  // Issues the draft, locked by the caller's transaction: number, dates,
  // parties (`buyer` for an invoice; a credit note takes its original's),
  // the due date `payment_terms_days` after the issue date unless set,
  // and for a credit note its place in the chain and the credit it gives
  // the original; the audit entries and events.
  Issued IssueLocked(soci::session& session, const kernel::Caller& caller, v1::Invoice draft,
                     const std::optional<v1::InvoiceParty>& buyer, int payment_terms_days);

  // When sending to NAV is on: the issued invoice's submission (round 1)
  // and its kNavSubmitJob, in the issuing transaction.
  void StartNavSubmission(soci::session& session, std::int64_t invoice_id);
  void ScheduleNavJob(soci::session& session, const char* kind, const std::string& payload,
                      kernel::TimePoint run_at);
  // A failed attempt of a NAV job, in a transaction of its own.
  void RecordNavFailure(std::int64_t invoice_id, int round, const kernel::JobRun& run,
                        const std::string& error, bool give_up);

  kernel::ServiceParts parts_;
  kernel::Jobs& jobs_;
  OtherModules& others_;
  const InvoicingSettings settings_;
};

}  // namespace karton::invoicing
