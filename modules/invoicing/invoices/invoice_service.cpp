#include "invoices/invoice_service.h"

#include <fmt/format.h>

#include "invoices/invoice_lines.h"
#include "invoices/invoice_repository.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/money.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/updates.h"
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

void InvoiceServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "issued"}) {
    events.DeclareTopic<v1::Invoice>(std::string("invoicing.invoice.") + verb);
  }
}

kernel::MethodRoles InvoiceServiceImpl::Roles() {
  const std::vector<std::string> accounting = {std::string(kernel::kRoleAccounting)};
  return {{"CreateInvoice", accounting},        {"CreateInvoiceFromOrder", accounting},
          {"GetInvoice", kernel::StaffRoles()}, {"ListInvoices", kernel::StaffRoles()},
          {"UpdateInvoice", accounting},        {"IssueInvoice", accounting}};
}

grpc::Status InvoiceServiceImpl::WriteDraft(grpc::ServerContext* context, v1::Invoice invoice,
                                            const std::string& request_id, v1::Invoice* response) {
  std::int64_t rate = 0;
  if (auto status = CheckDraft(invoice, rate); !status.ok()) return status;
  if (auto status = others_.FindPartner(context, invoice.partner_id());
      status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return kernel::InvalidField("invoice.partner_id",
                                fmt::format("there is no partner {}", invoice.partner_id()));
  } else if (!status.ok()) {
    return status;
  }
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

grpc::Status InvoiceServiceImpl::GetInvoice(grpc::ServerContext*,
                                            const v1::GetInvoiceRequest* request,
                                            v1::Invoice* response) {
  return kernel::Guarded(parts_.log, "GetInvoice", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = invoice_repository::Find(lease.Session(), request->id());
    if (!found) return NotFound(request->id());
    LoadLines(lease.Session(), *found);
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status InvoiceServiceImpl::ListInvoices(grpc::ServerContext*,
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
        invoice_repository::List(lease.Session(), filter, page.AfterId(), page.FetchLimit());
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
    const std::int64_t rate = invoice_repository::RateOf(session, stored->id());
    if (rate <= 0) {
      return kernel::FailedPreconditionOnField(
          "exchange_rate", "a EUR invoice needs its exchange rate (HUF per EUR) to be issued");
    }
    LoadLines(session, *stored);
    const auto totals = TotalsOf(stored->lines(), stored->currency_code(), rate);
    // The number is taken last: the series row stays locked for the
    // shortest time, and only a commit keeps the number.
    const std::string today =
        invoice_repository::Today(session, parts_.clock.Now(), settings_.time_zone);
    const int year = std::stoi(today.substr(0, 4));
    const int sequence = invoice_repository::TakeNumber(session, settings_.series, year);
    const std::string number = fmt::format("{}-{}-{:06}", settings_.series, year, sequence);
    auto issued = invoice_repository::Issue(
        session, stored->id(), number, today, settings_.payment_terms_days,
        totals.vat_amount_huf().minor_units(), parts_.clock.Now());
    *issued.mutable_lines() = stored->lines();
    *issued.mutable_totals()->mutable_vat_summary() = totals.vat_summary();
    parts_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kInvoice, issued.id(),
                        {kernel::FieldChange::Of("state", "draft", "issued"),
                         kernel::FieldChange::Of("number", "", number)});
    parts_.events.Publish(session, "invoicing.invoice.issued", issued.id(), issued, caller);
    transaction.Commit();
    *response = std::move(issued);
    return grpc::Status::OK;
  });
}

}  // namespace karton::invoicing
