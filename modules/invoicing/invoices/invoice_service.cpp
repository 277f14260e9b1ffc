#include "invoices/invoice_service.h"

#include <fmt/format.h>
#include <spdlog/logger.h>

#include <sstream>

#include "documents/invoice_pdf.h"
#include "invoices/invoice_lines.h"
#include "invoices/invoice_parties.h"
#include "invoices/invoice_repository.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/money.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/sharing.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/updates.h"
#include "nav/invoice_data_xml.h"
#include "nav/nav_schemas.h"
#include "other_modules.h"

namespace karton::invoicing {
namespace {

constexpr char kInvoice[] = "invoicing.invoice";

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no invoice with id {}", id)};
}

// The header rules and the lines, priced; `rate` gets the exchange rate in
// millionths (1,000,000 for HUF).
grpc::Status CheckDraft(v1::Invoice& invoice, std::int64_t& rate) {
  if (invoice.currency_code().empty()) invoice.set_currency_code("HUF");
  if (!kernel::IsSupportedCurrency(invoice.currency_code())) {
    return kernel::InvalidField("invoice.currency_code", "must be HUF or EUR");
  }
  const auto parsed = ParseRate(invoice.exchange_rate());
  if (!parsed) {
    return kernel::InvalidField("invoice.exchange_rate",
                                "must be a positive decimal with at most 6 fraction digits");
  }
  rate = *parsed;
  if (invoice.currency_code() == "HUF") {
    if (rate != 0 && rate != 1'000'000) {
      return kernel::InvalidField("invoice.exchange_rate", "must be 1 on a HUF invoice");
    }
    rate = 1'000'000;
  }
  for (const auto& [date, field] :
       {std::pair{&invoice.fulfillment_date(), "invoice.fulfillment_date"},
        std::pair{&invoice.due_date(), "invoice.due_date"}}) {
    if (date->year() != 0 && !kernel::IsValidDate(*date))
      return kernel::InvalidField(field, "is not a date");
  }
  if (!v1::PaymentMethod_IsValid(invoice.payment_method())) {
    return kernel::InvalidField("invoice.payment_method", "is not a payment method");
  }
  if (invoice.note().size() > 4000) {
    return kernel::InvalidField("invoice.note", "at most 4000 bytes");
  }
  if (auto violations = PriceLines(*invoice.mutable_lines(), invoice.currency_code(), "invoice.");
      !violations.empty()) {
    return kernel::InvalidFields(std::move(violations));
  }
  *invoice.mutable_totals() = TotalsOf(invoice.lines(), invoice.currency_code(), 0);
  return grpc::Status::OK;
}

void LoadLines(soci::session& session, v1::Invoice& invoice) {
  *invoice.mutable_lines() =
      invoice_repository::ReadLines(session, invoice.id(), invoice.currency_code());
  const auto rate = invoice.state() == v1::INVOICE_STATE_ISSUED
                        ? invoice_repository::RateOf(session, invoice.id())
                        : 0;
  auto totals = TotalsOf(invoice.lines(), invoice.currency_code(), rate);
  *invoice.mutable_totals()->mutable_vat_summary() = totals.vat_summary();
}

}  // namespace

void ScheduleOverdueNotice(kernel::Jobs& jobs, soci::session& session, const v1::Invoice& invoice,
                           const InvoicingSettings& settings) {
  const std::string due = kernel::DateText(invoice.due_date());
  const std::string payload = fmt::format("{} {}", invoice.id(), due);
  jobs.Schedule(session, {.kind = InvoiceServiceImpl::kOverdueJob,
                          .payload = payload,
                          .run_at = kernel::StartOfDayIn(session, due, 1, settings.time_zone),
                          .recurrence = "",
                          .max_attempts = 5,
                          .unique_key = fmt::format("invoicing.invoice.overdue:{}", payload)});
}

void InvoiceServiceImpl::AnnounceOverdue(const kernel::JobRun& run) {
  std::int64_t id = 0;
  std::string due;
  std::istringstream in(run.payload);
  if (!(in >> id >> due)) {
    parts_.log.error("{} job {}: unreadable payload '{}'", run.kind, run.id, run.payload);
    return;
  }
  auto lease = parts_.database.Acquire();
  auto& session = lease.Session();
  kernel::Transaction transaction(session);
  // Paid, credited in full, or announced already: nothing to do.
  if (!invoice_repository::MarkOverdueAnnounced(session, id, due)) return;
  auto overdue = *invoice_repository::Find(session, id);
  LoadLines(session, overdue);
  parts_.events.Publish(session, "invoicing.invoice.overdue", id, overdue,
                        kernel::Caller::Internal());
  transaction.Commit();
}

void InvoiceServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "issued", "credited", "overdue"}) {
    events.DeclareTopic<v1::Invoice>(std::string("invoicing.invoice.") + verb);
  }
  // NAV processed the data report (invoices/nav_sending.cpp).
  events.DeclareTopic<v1::NavSubmission>("invoicing.invoice.nav_accepted");
  events.DeclareTopic<v1::NavSubmission>("invoicing.invoice.nav_rejected");
  kernel::DeclareSharingTopics<v1::Invoice>(events, "invoicing.invoice");
}

kernel::MethodRoles InvoiceServiceImpl::Roles() {
  const std::vector<std::string> accounting = {std::string(kernel::kRoleAccounting)};
  // External partners read and print what is shared with them (the
  // repositories' visibility); the NAV report is the company's own.
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kernel::kRoleExternalPartner);
  return {{"CreateInvoice", accounting},
          {"CreateInvoiceFromOrder", accounting},
          {"GetInvoice", readers},
          {"ListInvoices", readers},
          {"UpdateInvoice", accounting},
          {"IssueInvoice", accounting},
          {"CreateCreditNote", accounting},
          {"RenderInvoicePdf", readers},
          {"ExportNavXml", kernel::StaffRoles()},
          {"ShareInvoice", accounting},
          {"UnshareInvoice", accounting},
          {"GetNavSubmission", kernel::StaffRoles()},
          {"ResubmitToNav", accounting}};
}

grpc::Status InvoiceServiceImpl::WriteDraft(grpc::ServerContext* context, v1::Invoice invoice,
                                            const std::string& request_id, v1::Invoice* response) {
  partners::v1::Partner partner;
  if (auto status = others_.GetPartner(context, invoice.partner_id(), partner);
      status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return kernel::InvalidField("invoice.partner_id",
                                fmt::format("there is no partner {}", invoice.partner_id()));
  } else if (!status.ok()) {
    return status;
  }
  // The card's currency, when the draft names none (and bills no order,
  // whose currency it took).
  if (invoice.currency_code().empty()) invoice.set_currency_code(partner.default_currency_code());
  std::int64_t rate = 0;
  if (auto status = CheckDraft(invoice, rate); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreateInvoice", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    if (invoice.order_id() > 0) {
      if (auto billed = invoice_repository::InvoiceOfOrder(session, invoice.order_id())) {
        return {grpc::StatusCode::ALREADY_EXISTS,
                fmt::format("order {} is billed by invoice {}", invoice.order_id(), *billed)};
      }
    }
    if (!request_id.empty()) {
      if (auto earlier =
              invoice_repository::FindByRequest(session, kernel::ActorUserId(caller), request_id)) {
        LoadLines(session, *earlier);
        *response = std::move(*earlier);
        return grpc::Status::OK;
      }
    }
    auto created = invoice_repository::Insert(session, invoice, rate, kernel::ActorUserId(caller),
                                              request_id, parts_.clock.Now());
    if (!created) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
    *created->mutable_lines() = invoice.lines();
    *created->mutable_totals()->mutable_vat_summary() = invoice.totals().vat_summary();
    parts_.audit.Record(session, caller, kernel::AuditAction::kCreate, kInvoice, created->id(),
                        kernel::DiffFields(nullptr, *created));
    parts_.events.Publish(session, "invoicing.invoice.created", created->id(), *created, caller);
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::CreateInvoice(grpc::ServerContext* context,
                                               const v1::CreateInvoiceRequest* request,
                                               v1::Invoice* response) {
  v1::Invoice invoice = request->invoice();
  for (auto clear :
       {&v1::Invoice::clear_id, &v1::Invoice::clear_number, &v1::Invoice::clear_state,
        &v1::Invoice::clear_order_id, &v1::Invoice::clear_issue_date, &v1::Invoice::clear_totals,
        &v1::Invoice::clear_paid_amount, &v1::Invoice::clear_open_amount, &v1::Invoice::clear_etag,
        &v1::Invoice::clear_issue_time}) {
    (invoice.*clear)();
  }
  if (invoice.partner_id() <= 0) return kernel::InvalidField("invoice.partner_id", "is required");
  if (request->request_id().size() > 200) {
    return kernel::InvalidField("request_id", "at most 200 bytes");
  }
  return WriteDraft(context, std::move(invoice), request->request_id(), response);
}

grpc::Status InvoiceServiceImpl::CreateInvoiceFromOrder(
    grpc::ServerContext* context, const v1::CreateInvoiceFromOrderRequest* request,
    v1::Invoice* response) {
  if (request->order_id() <= 0) return kernel::InvalidField("order_id", "is required");
  orders::v1::Order order;
  if (auto status = others_.GetOrder(context, request->order_id(), order);
      status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return kernel::InvalidField("order_id",
                                fmt::format("there is no order {}", request->order_id()));
  } else if (!status.ok()) {
    return status;
  }
  if (order.state() == orders::v1::ORDER_STATE_DRAFT ||
      order.state() == orders::v1::ORDER_STATE_CANCELLED) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("order {} is {}; only a confirmed order can be billed", order.id(),
                        kernel::EnumWord(*orders::v1::OrderState_descriptor(), order.state()))};
  }
  v1::Invoice invoice;
  invoice.set_partner_id(order.partner_id());
  invoice.set_order_id(order.id());
  invoice.set_currency_code(order.currency_code());
  invoice.set_note(request->note());
  for (const auto& ordered : order.lines()) {
    auto* line = invoice.add_lines();
    line->set_product_id(ordered.product_id());
    line->set_description(ordered.description());
    line->set_quantity(ordered.quantity());
    line->set_unit(ordered.unit());
    *line->mutable_unit_price() = ordered.unit_price();
    line->set_discount_percent(ordered.discount_percent());
    line->set_vat_category(ordered.vat_category());
  }
  return WriteDraft(context, std::move(invoice), "", response);
}

grpc::Status InvoiceServiceImpl::GetInvoice(grpc::ServerContext* context,
                                            const v1::GetInvoiceRequest* request,
                                            v1::Invoice* response) {
  return kernel::Guarded(parts_.log, "GetInvoice", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = invoice_repository::FindVisible(lease.Session(), request->id(),
                                                 kernel::VisibilityOf(kernel::CallerOf(*context)));
    if (!found) return NotFound(request->id());
    LoadLines(lease.Session(), *found);
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::ListInvoices(grpc::ServerContext* context,
                                              const v1::ListInvoicesRequest* request,
                                              v1::ListInvoicesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  invoice_repository::ListFilter filter{request->partner_id(), "", request->open_only()};
  if (request->state() != v1::INVOICE_STATE_UNSPECIFIED) {
    if (!v1::InvoiceState_IsValid(request->state())) {
      return kernel::InvalidField("state", "is not an invoice state");
    }
    filter.state = kernel::EnumWord(*v1::InvoiceState_descriptor(), request->state());
  }
  return kernel::Guarded(parts_.log, "ListInvoices", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows =
        invoice_repository::List(lease.Session(), kernel::VisibilityOf(kernel::CallerOf(*context)),
                                 filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Invoice& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_invoices() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::UpdateInvoice(grpc::ServerContext* context,
                                               const v1::UpdateInvoiceRequest* request,
                                               v1::Invoice* response) {
  const v1::Invoice& change = request->invoice();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(*request, change,
                                        {"currency_code", "exchange_rate", "fulfillment_date",
                                         "due_date", "payment_method", "lines", "note"},
                                        paths);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "UpdateInvoice", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    auto stored = invoice_repository::Find(session, change.id(), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("invoice", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->state() != v1::INVOICE_STATE_DRAFT) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("invoice {} is issued; an issued invoice is corrected only by a "
                          "credit note",
                          stored->number())};
    }
    LoadLines(session, *stored);
    v1::Invoice next = *stored;
    kernel::ApplyUpdateMask(change, paths, next);
    if (stored->kind() != v1::INVOICE_KIND_INVOICE &&
        (next.currency_code() != stored->currency_code() ||
         next.exchange_rate() != stored->exchange_rate())) {
      return kernel::InvalidField(
          next.currency_code() != stored->currency_code() ? "invoice.currency_code"
                                                          : "invoice.exchange_rate",
          fmt::format("a credit note keeps the currency and rate of invoice {}",
                      stored->original_number()));
    }
    std::int64_t rate = 0;
    if (auto status = CheckDraft(next, rate); !status.ok()) return status;
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = invoice_repository::Update(session, next, rate, parts_.clock.Now());
    *written.mutable_lines() = next.lines();
    *written.mutable_totals()->mutable_vat_summary() = next.totals().vat_summary();
    parts_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kInvoice, written.id(),
                        changes);
    parts_.events.Publish(session, "invoicing.invoice.updated", written.id(), written, caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::IssueInvoice(grpc::ServerContext* context,
                                              const v1::IssueInvoiceRequest* request,
                                              v1::Invoice* response) {
  return kernel::Guarded(parts_.log, "IssueInvoice", [&]() -> grpc::Status {
    if (const auto missing = MissingSellerSetting(settings_.seller); !missing.empty()) {
      return kernel::FailedPreconditionOnField(
          "seller", fmt::format("the seller is not configured: set --module-option {}", missing));
    }
    // The buyer as the partner card names them now; a credit note takes its
    // original's instead (read under lock below).
    std::optional<v1::InvoiceParty> buyer;
    int payment_terms_days = settings_.payment_terms_days;
    std::optional<v1::Invoice> draft;
    {
      // Released before partners is called: that call needs a connection
      // of its own, and 16 issuers holding 8 would wait for each other.
      auto lease = parts_.database.Acquire();
      draft = invoice_repository::Find(lease.Session(), request->id());
    }
    if (!draft) return NotFound(request->id());
    if (draft->kind() == v1::INVOICE_KIND_INVOICE) {
      partners::v1::Partner partner;
      if (auto status = others_.GetPartner(context, draft->partner_id(), partner); !status.ok()) {
        return status;
      }
      buyer = BuyerOf(partner);
      if (partner.payment_terms_days() > 0) payment_terms_days = partner.payment_terms_days();
    }
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    auto stored = invoice_repository::Find(session, request->id(), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("invoice", stored->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->state() != v1::INVOICE_STATE_DRAFT) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("invoice {} is issued already", stored->number())};
    }
    auto issued = IssueLocked(session, caller, *stored, buyer, payment_terms_days);
    if (!issued.ok()) return issued.status;
    transaction.Commit();
    *response = std::move(issued.invoice);
    return grpc::Status::OK;
  });
}

InvoiceServiceImpl::Issued InvoiceServiceImpl::IssueLocked(
    soci::session& session, const kernel::Caller& caller, v1::Invoice draft,
    const std::optional<v1::InvoiceParty>& buyer, int payment_terms_days) {
  invoice_repository::Issuing issuing;
  issuing.id = draft.id();
  issuing.seller = settings_.seller;
  issuing.payment_terms_days = payment_terms_days;
  std::optional<v1::Invoice> original;
  if (draft.kind() != v1::INVOICE_KIND_INVOICE) {
    // The original stays locked until the commit: its credit notes are
    // issued one at a time, so their indexes and line numbers follow on.
    original = invoice_repository::Find(session, draft.original_invoice_id(), true);
    const auto chain = invoice_repository::CreditChainOf(session, original->id());
    if (!chain.storno_number.empty()) {
      return Issued{{grpc::StatusCode::FAILED_PRECONDITION,
                     fmt::format("invoice {} is cancelled by storno {}; it takes no further "
                                 "credit notes",
                                 original->number(), chain.storno_number)},
                    {}};
    }
    issuing.modification_index = chain.issued_credit_notes + 1;
    issuing.line_number_offset = chain.lines;
    issuing.buyer = original->buyer();
  } else if (buyer) {
    issuing.buyer = *buyer;
  }
  const std::int64_t rate = invoice_repository::RateOf(session, draft.id());
  if (rate <= 0) {
    return Issued{
        kernel::FailedPreconditionOnField(
            "exchange_rate", "a EUR invoice needs its exchange rate (HUF per EUR) to be issued"),
        {}};
  }
  LoadLines(session, draft);
  const auto totals = TotalsOf(draft.lines(), draft.currency_code(), rate);
  issuing.vat_huf_minor = totals.vat_amount_huf().minor_units();
  // The number is taken last: the series row stays locked for the
  // shortest time, and only a commit keeps the number.
  issuing.issue_date = invoice_repository::Today(session, parts_.clock.Now(), settings_.time_zone);
  const int year = std::stoi(issuing.issue_date.substr(0, 4));
  const int sequence = invoice_repository::TakeNumber(session, settings_.series, year);
  issuing.number = fmt::format("{}-{}-{:06}", settings_.series, year, sequence);
  invoice_repository::Issue(session, issuing, parts_.clock.Now());
  std::int64_t credited = 0;
  if (original) {
    credited =
        invoice_repository::ApplyCredit(session, draft.id(), original->id(), issuing.issue_date);
  }
  auto issued = *invoice_repository::Find(session, draft.id());
  LoadLines(session, issued);
  if (issued.open_amount().minor_units() > 0)
    ScheduleOverdueNotice(jobs_, session, issued, settings_);
  // Its data report to NAV, sent by a job once this commits.
  StartNavSubmission(session, issued.id());
  parts_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kInvoice, issued.id(),
                      {kernel::FieldChange::Of("state", "draft", "issued"),
                       kernel::FieldChange::Of("number", "", issuing.number)});
  parts_.events.Publish(session, "invoicing.invoice.issued", issued.id(), issued, caller);
  if (credited > 0) {
    // What was open on the original shrank by the credit note.
    auto corrected = *invoice_repository::Find(session, original->id());
    parts_.audit.Record(
        session, caller, kernel::AuditAction::kUpdate, kInvoice, corrected.id(),
        {kernel::FieldChange::Of(
            "open_amount",
            kernel::FormatMoney(original->open_amount().minor_units(), original->currency_code()),
            kernel::FormatMoney(corrected.open_amount().minor_units(),
                                corrected.currency_code()))});
    parts_.events.Publish(session, "invoicing.invoice.credited", corrected.id(), corrected, caller);
  }
  return Issued{grpc::Status::OK, std::move(issued)};
}

grpc::Status InvoiceServiceImpl::CreateCreditNote(grpc::ServerContext* context,
                                                  const v1::CreateCreditNoteRequest* request,
                                                  v1::Invoice* response) {
  if (request->invoice_id() <= 0) return kernel::InvalidField("invoice_id", "is required");
  const bool storno = request->kind() == v1::INVOICE_KIND_STORNO;
  if (!storno && request->kind() != v1::INVOICE_KIND_MODIFICATION) {
    return kernel::InvalidField("kind", "must be INVOICE_KIND_MODIFICATION or INVOICE_KIND_STORNO");
  }
  if (storno && !request->lines().empty()) {
    return kernel::InvalidField("lines", "a storno negates the original's lines; give none");
  }
  if (!storno && request->lines().empty()) {
    return kernel::InvalidField("lines", "a modification needs at least one line");
  }
  if (request->reason().empty() || request->reason().size() > 1000) {
    return kernel::InvalidField("reason", "is required, at most 1000 bytes");
  }
  if (request->request_id().size() > 200) {
    return kernel::InvalidField("request_id", "at most 200 bytes");
  }
  if (storno) {
    // A storno is issued at once (there is nothing to edit), so it needs
    // what issuing needs.
    if (const auto missing = MissingSellerSetting(settings_.seller); !missing.empty()) {
      return kernel::FailedPreconditionOnField(
          "seller", fmt::format("the seller is not configured: set --module-option {}", missing));
    }
  }
  return kernel::Guarded(parts_.log, "CreateCreditNote", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    if (!request->request_id().empty()) {
      if (auto earlier = invoice_repository::FindByRequest(session, kernel::ActorUserId(caller),
                                                           request->request_id())) {
        LoadLines(session, *earlier);
        *response = std::move(*earlier);
        return grpc::Status::OK;
      }
    }
    auto original = invoice_repository::Find(session, request->invoice_id(), true);
    if (!original) {
      return kernel::InvalidField("invoice_id",
                                  fmt::format("there is no invoice {}", request->invoice_id()));
    }
    if (original->state() != v1::INVOICE_STATE_ISSUED) {
      return kernel::FailedPreconditionOnField(
          "invoice_id", fmt::format("invoice {} is a draft; change it instead", original->id()));
    }
    if (original->kind() != v1::INVOICE_KIND_INVOICE) {
      return kernel::FailedPreconditionOnField(
          "invoice_id", fmt::format("{} is a credit note; correct its original, {}",
                                    original->number(), original->original_number()));
    }
    if (const auto chain = invoice_repository::CreditChainOf(session, original->id());
        !chain.storno_number.empty()) {
      return kernel::FailedPreconditionOnField(
          "invoice_id", fmt::format("invoice {} is cancelled by storno {} already",
                                    original->number(), chain.storno_number));
    }
    v1::Invoice note;
    note.set_partner_id(original->partner_id());
    note.set_kind(request->kind());
    note.set_original_invoice_id(original->id());
    note.set_reason(request->reason());
    note.set_currency_code(original->currency_code());
    note.set_exchange_rate(original->exchange_rate());
    *note.mutable_fulfillment_date() = original->fulfillment_date();
    note.set_payment_method(original->payment_method());
    if (storno) {
      // Every line the buyer was billed, the original's and its
      // modifications', taken back.
      std::vector<std::int64_t> billed = {original->id()};
      for (auto id : invoice_repository::IssuedModifications(session, original->id())) {
        billed.push_back(id);
      }
      for (auto id : billed) {
        for (auto& line : invoice_repository::ReadLines(session, id, original->currency_code())) {
          line.clear_position();
          line.clear_line_number_reference();
          line.set_quantity(line.quantity().rfind('-', 0) == 0 ? line.quantity().substr(1)
                                                               : "-" + line.quantity());
          *note.add_lines() = std::move(line);
        }
      }
    } else {
      *note.mutable_lines() = request->lines();
      for (auto& line : *note.mutable_lines()) line.clear_line_number_reference();
    }
    std::int64_t rate = 0;
    if (auto status = CheckDraft(note, rate); !status.ok()) return status;
    auto created = invoice_repository::Insert(session, note, rate, kernel::ActorUserId(caller),
                                              request->request_id(), parts_.clock.Now());
    if (!created) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
    parts_.audit.Record(session, caller, kernel::AuditAction::kCreate, kInvoice, created->id(),
                        kernel::DiffFields(nullptr, *created));
    LoadLines(session, *created);
    parts_.events.Publish(session, "invoicing.invoice.created", created->id(), *created, caller);
    if (storno) {
      auto issued =
          IssueLocked(session, caller, *created, std::nullopt, settings_.payment_terms_days);
      if (!issued.ok()) return issued.status;
      *created = std::move(issued.invoice);
    }
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::ReadIssued(const grpc::ServerContext& context, std::int64_t id,
                                            const char* method, v1::Invoice& invoice) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = invoice_repository::FindVisible(lease.Session(), id,
                                                 kernel::VisibilityOf(kernel::CallerOf(context)));
    if (!found) return NotFound(id);
    if (found->state() != v1::INVOICE_STATE_ISSUED) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("invoice {} is a draft; only an issued invoice has a printable or "
                          "reportable form",
                          id)};
    }
    LoadLines(lease.Session(), *found);
    invoice = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::RenderInvoicePdf(
    grpc::ServerContext* context, const v1::RenderInvoicePdfRequest* request,
    grpc::ServerWriter<v1::RenderInvoicePdfResponse>* writer) {
  v1::Invoice invoice;
  if (auto status = ReadIssued(*context, request->id(), "RenderInvoicePdf", invoice);
      !status.ok()) {
    return status;
  }
  std::string pdf;
  try {
    pdf = invoicing::RenderInvoicePdf(invoice);
  } catch (const std::invalid_argument& refused) {
    // What the renderer refuses on an issued invoice (text that is not
    // UTF-8, say) was stored that way: the invoice cannot be printed as is.
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("invoice {} cannot be printed: {}", invoice.number(), refused.what())};
  } catch (const std::exception& failed) {
    parts_.log.error("RenderInvoicePdf {}: {}", invoice.id(), failed.what());
    return {grpc::StatusCode::INTERNAL, "the PDF could not be rendered"};
  }
  constexpr std::size_t kChunk = 64 * 1024;
  v1::RenderInvoicePdfResponse response;
  for (std::size_t at = 0; at < pdf.size(); at += kChunk) {
    response.set_chunk(pdf.substr(at, kChunk));
    if (!writer->Write(response)) return {grpc::StatusCode::CANCELLED, "the caller went away"};
  }
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::ExportNavXml(grpc::ServerContext* context,
                                              const v1::ExportNavXmlRequest* request,
                                              v1::ExportNavXmlResponse* response) {
  v1::Invoice invoice;
  if (auto status = ReadIssued(*context, request->id(), "ExportNavXml", invoice); !status.ok()) {
    return status;
  }
  std::string xml;
  try {
    xml = nav::InvoiceDataXml(invoice);
  } catch (const std::invalid_argument& refused) {
    // What NAV would refuse ("buyer.address.postal_code: ..."): the invoice
    // as issued lacks it; name the field.
    const std::string what = refused.what();
    const auto colon = what.find(": ");
    return kernel::FailedPreconditionOnField(
        colon == std::string::npos ? "invoice" : what.substr(0, colon),
        fmt::format("invoice {} cannot be reported to NAV: {}", invoice.number(),
                    colon == std::string::npos ? what : what.substr(colon + 2)));
  } catch (const std::exception& failed) {
    parts_.log.error("ExportNavXml {}: {}", invoice.id(), failed.what());
    return {grpc::StatusCode::INTERNAL, "the NAV export could not be built"};
  }
  // Every export is checked against NAV's schema: one that does not
  // validate is a bug here, never a file for the accountant to upload.
  if (const auto problems = nav::ValidateInvoiceData(xml); !problems.empty()) {
    parts_.log.error("ExportNavXml {}: {} schema problem(s), first: {}", invoice.number(),
                     problems.size(), problems.front());
    return {grpc::StatusCode::INTERNAL, fmt::format("the NAV export of {} does not validate: {}",
                                                    invoice.number(), problems.front())};
  }
  response->set_invoice_data_xml(std::move(xml));
  response->set_file_name(invoice.number() + ".xml");
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::ShareInvoice(grpc::ServerContext* context,
                                              const v1::ShareInvoiceRequest* request,
                                              v1::Invoice* response) {
  return ChangeSharing(*context, "ShareInvoice", kernel::Sharing::kShare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status InvoiceServiceImpl::UnshareInvoice(grpc::ServerContext* context,
                                                const v1::UnshareInvoiceRequest* request,
                                                v1::Invoice* response) {
  return ChangeSharing(*context, "UnshareInvoice", kernel::Sharing::kUnshare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status InvoiceServiceImpl::ChangeSharing(const grpc::ServerContext& context,
                                               const char* method, kernel::Sharing sharing,
                                               std::int64_t id, std::int64_t user_id,
                                               std::int64_t team_id, v1::Invoice* response) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    auto stored = invoice_repository::Find(session, id, true);
    if (!stored) return NotFound(id);
    LoadLines(session, *stored);
    if (auto status = kernel::ChangeSharing(sharing, parts_.audit, parts_.events, session, caller,
                                            kInvoice, *stored, id, user_id, team_id);
        !status.ok()) {
      return status;
    }
    transaction.Commit();
    *response = std::move(*stored);
    return grpc::Status::OK;
  });
}

}  // namespace karton::invoicing
