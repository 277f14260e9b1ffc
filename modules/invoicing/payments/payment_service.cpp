#include "payments/payment_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

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
#include "karton/kernel/updates.h"
#include "payments/payment_repository.h"

namespace karton::invoicing {
namespace {

constexpr char kPayment[] = "invoicing.payment";
constexpr char kInvoice[] = "invoicing.invoice";

// What RecordPayment and RecordRefund check alike, before any database
// work; `field` names the request's message ("payment", "refund").
grpc::Status CheckMoneyMovement(const v1::Payment& payment, const std::string& field) {
  if (payment.invoice_id() <= 0) return kernel::InvalidField(field + ".invoice_id", "is required");
  if (!payment.has_amount() || payment.amount().minor_units() <= 0) {
    return kernel::InvalidField(field + ".amount", "is required and must be positive");
  }
  if (!v1::PaymentMethod_IsValid(payment.method())) {
    return kernel::InvalidField(field + ".method", "is not a payment method");
  }
  if (payment.has_paid_on() && !kernel::IsValidDate(payment.paid_on())) {
    return kernel::InvalidField(field + ".paid_on", "is not a date");
  }
  if (payment.reference().size() > 200) {
    return kernel::InvalidField(field + ".reference", "at most 200 bytes");
  }
  return grpc::Status::OK;
}

// A request_id the same user sent before: `replayed` and the movement it
// recorded in `earlier`, or INVALID_ARGUMENT when that was another kind of
// movement (`other_kinds` names them).
grpc::Status Replay(soci::session& session, const kernel::Caller& caller,
                    const std::string& request_id, v1::PaymentKind kind, const char* other_kinds,
                    v1::Payment& earlier, bool& replayed) {
  replayed = false;
  if (request_id.empty()) return grpc::Status::OK;
  auto found = payment_repository::FindByRequest(session, kernel::ActorUserId(caller), request_id);
  if (!found) return grpc::Status::OK;
  if (found->kind() != kind) {
    return kernel::InvalidField("request_id", std::string("was used for ") + other_kinds);
  }
  earlier = std::move(*found);
  replayed = true;
  return grpc::Status::OK;
}

}  // namespace

v1::RiskClass RiskClassOf(int average_days_late, int most_days_overdue) {
  if (average_days_late <= 8 && most_days_overdue <= 30) return v1::RISK_CLASS_LOW;
  if (average_days_late <= 30 && most_days_overdue <= 60) return v1::RISK_CLASS_MEDIUM;
  return v1::RISK_CLASS_HIGH;
}

v1::PartnerBalance PartnerBalanceOf(soci::session& session, std::int64_t partner_id,
                                    const std::string& currency, const std::string& today) {
  const auto balance = payment_repository::BalanceOf(session, partner_id, currency, today);
  v1::PartnerBalance result;
  result.set_partner_id(partner_id);
  result.set_currency_code(currency);
  result.mutable_open_amount()->set_currency_code(currency);
  result.mutable_open_amount()->set_minor_units(balance.open);
  result.mutable_overdue_amount()->set_currency_code(currency);
  result.mutable_overdue_amount()->set_minor_units(balance.overdue);
  result.set_average_days_late(balance.average_days_late);
  result.set_risk_class(RiskClassOf(balance.average_days_late, balance.most_days_overdue));
  result.set_open_invoice_count(balance.open_count);
  result.set_overdue_invoice_count(balance.overdue_count);
  return result;
}

void PaymentServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::Payment>("invoicing.payment.recorded");
  events.DeclareTopic<v1::Invoice>("invoicing.invoice.paid");
  events.DeclareTopic<v1::Invoice>("invoicing.invoice.refunded");
  events.DeclareTopic<v1::Invoice>("invoicing.invoice.offset");
}

kernel::MethodRoles PaymentServiceImpl::Roles() {
  return {{"RecordPayment", {std::string(kernel::kRoleAccounting)}},
          {"RecordRefund", {std::string(kernel::kRoleAccounting)}},
          {"RecordOffset", {std::string(kernel::kRoleAccounting)}},
          {"ListPayments", kernel::StaffRoles()},
          {"GetPartnerBalance", kernel::StaffRoles()},
          {"CreditExposure", kernel::StaffRoles()}};
}

grpc::Status PaymentServiceImpl::RecordPayment(grpc::ServerContext* context,
                                               const v1::RecordPaymentRequest* request,
                                               v1::Payment* response) {
  v1::Payment payment = request->payment();
  payment.clear_id();
  payment.clear_create_time();
  if (auto status = CheckMoneyMovement(payment, "payment"); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "RecordPayment", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    bool replayed = false;
    if (auto status = Replay(session, caller, request->request_id(), v1::PAYMENT_KIND_PAYMENT,
                             "a refund or an offset", *response, replayed);
        !status.ok() || replayed) {
      return status;
    }
    auto invoice = invoice_repository::Find(session, payment.invoice_id(), true);
    if (!invoice) {
      return kernel::InvalidField("payment.invoice_id",
                                  fmt::format("there is no invoice {}", payment.invoice_id()));
    }
    if (invoice->state() != v1::INVOICE_STATE_ISSUED) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("invoice {} is a draft; only an issued invoice is paid", invoice->id())};
    }
    const std::string& currency = invoice->currency_code();
    if (!payment.amount().currency_code().empty() && payment.amount().currency_code() != currency) {
      return kernel::InvalidField("payment.amount.currency_code",
                                  fmt::format("must be the invoice's currency, {}", currency));
    }
    const std::int64_t open = invoice->open_amount().minor_units();
    if (open <= 0) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("nothing is open on {}{}", invoice->number(),
                          open < 0 ? "; a credit note's credit is refunded (RecordRefund), "
                                     "not paid"
                                   : "")};
    }
    if (payment.amount().minor_units() > open) {
      return kernel::InvalidField(
          "payment.amount",
          fmt::format("is more than the {} still open on invoice {}; overpayments are not kept "
                      "as credit",
                      kernel::FormatMoney(open, currency), invoice->number()));
    }
    const std::string paid_on =
        payment.has_paid_on()
            ? kernel::DateText(payment.paid_on())
            : invoice_repository::Today(session, parts_.clock.Now(), settings_.time_zone);
    auto recorded = payment_repository::Insert(session, payment, v1::PAYMENT_KIND_PAYMENT, paid_on,
                                               kernel::ActorUserId(caller), request->request_id(),
                                               parts_.clock.Now());
    if (!recorded) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
    parts_.audit.Record(session, caller, kernel::AuditAction::kCreate, kPayment, recorded->id(),
                        kernel::DiffFields(nullptr, *recorded));
    parts_.events.Publish(session, "invoicing.payment.recorded", recorded->id(), *recorded, caller);
    if (payment.amount().minor_units() == open) {
      auto settled = invoice_repository::Find(session, invoice->id());
      parts_.events.Publish(session, "invoicing.invoice.paid", settled->id(), *settled, caller);
    }
    transaction.Commit();
    *response = std::move(*recorded);
    return grpc::Status::OK;
  });
}

grpc::Status PaymentServiceImpl::RecordRefund(grpc::ServerContext* context,
                                              const v1::RecordRefundRequest* request,
                                              v1::Payment* response) {
  v1::Payment refund = request->refund();
  refund.clear_id();
  refund.clear_create_time();
  refund.clear_kind();
  if (auto status = CheckMoneyMovement(refund, "refund"); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "RecordRefund", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    bool replayed = false;
    if (auto status = Replay(session, caller, request->request_id(), v1::PAYMENT_KIND_REFUND,
                             "a payment or an offset", *response, replayed);
        !status.ok() || replayed) {
      return status;
    }
    // Locked: two refunds of one credit note queue, so together they never
    // pay back more than its credit.
    auto note = invoice_repository::Find(session, refund.invoice_id(), true);
    if (!note) {
      return kernel::InvalidField("refund.invoice_id",
                                  fmt::format("there is no invoice {}", refund.invoice_id()));
    }
    if (note->state() != v1::INVOICE_STATE_ISSUED) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("invoice {} is a draft; only an issued credit note's credit is refunded",
                          note->id())};
    }
    const std::string& currency = note->currency_code();
    if (!refund.amount().currency_code().empty() && refund.amount().currency_code() != currency) {
      return kernel::InvalidField("refund.amount.currency_code",
                                  fmt::format("must be the credit note's currency, {}", currency));
    }
    // The credit still open: a credit note's negative open amount, negated.
    const std::int64_t credit = -note->open_amount().minor_units();
    if (credit <= 0) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("{} has no credit open to refund{}", note->number(),
                          credit < 0 ? "; what is open on it is paid (RecordPayment)" : "")};
    }
    if (refund.amount().minor_units() > credit) {
      return kernel::InvalidField(
          "refund.amount", fmt::format("is more than the {} credit still open on {}",
                                       kernel::FormatMoney(credit, currency), note->number()));
    }
    const std::string paid_on =
        refund.has_paid_on()
            ? kernel::DateText(refund.paid_on())
            : invoice_repository::Today(session, parts_.clock.Now(), settings_.time_zone);
    auto recorded = payment_repository::Insert(session, refund, v1::PAYMENT_KIND_REFUND, paid_on,
                                               kernel::ActorUserId(caller), request->request_id(),
                                               parts_.clock.Now());
    if (!recorded) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
    auto refunded = invoice_repository::Find(session, note->id());
    parts_.audit.Record(session, caller, kernel::AuditAction::kCreate, kPayment, recorded->id(),
                        kernel::DiffFields(nullptr, *recorded));
    parts_.audit.Record(
        session, caller, kernel::AuditAction::kUpdate, kInvoice, refunded->id(),
        {kernel::FieldChange::Of(
             "paid_amount", kernel::FormatMoney(note->paid_amount().minor_units(), currency),
             kernel::FormatMoney(refunded->paid_amount().minor_units(), currency)),
         kernel::FieldChange::Of(
             "open_amount", kernel::FormatMoney(note->open_amount().minor_units(), currency),
             kernel::FormatMoney(refunded->open_amount().minor_units(), currency))});
    parts_.events.Publish(session, "invoicing.invoice.refunded", refunded->id(), *refunded, caller);
    transaction.Commit();
    *response = std::move(*recorded);
    return grpc::Status::OK;
  });
}

grpc::Status PaymentServiceImpl::RecordOffset(grpc::ServerContext* context,
                                              const v1::RecordOffsetRequest* request,
                                              v1::Payment* response) {
  if (request->credit_note_id() <= 0) return kernel::InvalidField("credit_note_id", "is required");
  if (request->invoice_id() <= 0) return kernel::InvalidField("invoice_id", "is required");
  if (request->invoice_id() == request->credit_note_id()) {
    return kernel::InvalidField("invoice_id", "is the credit note itself");
  }
  if (!request->has_amount() || request->amount().minor_units() <= 0) {
    return kernel::InvalidField("amount", "is required and must be positive");
  }
  if (request->has_offset_on() && !kernel::IsValidDate(request->offset_on())) {
    return kernel::InvalidField("offset_on", "is not a date");
  }
  if (request->reference().size() > 200) {
    return kernel::InvalidField("reference", "at most 200 bytes");
  }
  return kernel::Guarded(parts_.log, "RecordOffset", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    bool replayed = false;
    if (auto status = Replay(session, caller, request->request_id(), v1::PAYMENT_KIND_OFFSET,
                             "a payment or a refund", *response, replayed);
        !status.ok() || replayed) {
      return status;
    }
    // Both locked, the lower id first, so offsets (and payments, refunds,
    // credit notes) of the same invoices queue rather than deadlock.
    const std::int64_t first = std::min(request->credit_note_id(), request->invoice_id());
    const std::int64_t second = std::max(request->credit_note_id(), request->invoice_id());
    auto first_row = invoice_repository::Find(session, first, true);
    auto second_row = invoice_repository::Find(session, second, true);
    auto& note = first == request->credit_note_id() ? first_row : second_row;
    auto& invoice = first == request->invoice_id() ? first_row : second_row;
    if (!note) {
      return kernel::InvalidField("credit_note_id",
                                  fmt::format("there is no invoice {}", request->credit_note_id()));
    }
    if (!invoice) {
      return kernel::InvalidField("invoice_id",
                                  fmt::format("there is no invoice {}", request->invoice_id()));
    }
    if (note->state() != v1::INVOICE_STATE_ISSUED || invoice->state() != v1::INVOICE_STATE_ISSUED) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("invoice {} is a draft; only issued invoices are set off",
                          note->state() != v1::INVOICE_STATE_ISSUED ? note->id() : invoice->id())};
    }
    if (invoice->partner_id() != note->partner_id()) {
      return kernel::InvalidField("invoice_id",
                                  fmt::format("is partner {}'s; the credit note is partner {}'s",
                                              invoice->partner_id(), note->partner_id()));
    }
    const std::string& currency = note->currency_code();
    if (invoice->currency_code() != currency) {
      return kernel::InvalidField("invoice_id", fmt::format("is in {}; the credit note is in {}",
                                                            invoice->currency_code(), currency));
    }
    if (!request->amount().currency_code().empty() &&
        request->amount().currency_code() != currency) {
      return kernel::InvalidField("amount.currency_code",
                                  fmt::format("must be the credit note's currency, {}", currency));
    }
    const std::int64_t credit = -note->open_amount().minor_units();
    if (credit <= 0) {
      return kernel::FailedPreconditionOnField(
          "credit_note_id", fmt::format("{} has no credit open to set off", note->number()));
    }
    const std::int64_t open = invoice->open_amount().minor_units();
    if (open <= 0) {
      return kernel::FailedPreconditionOnField(
          "invoice_id", fmt::format("nothing is open on {}", invoice->number()));
    }
    const std::int64_t amount = request->amount().minor_units();
    if (amount > credit) {
      return kernel::InvalidField(
          "amount", fmt::format("is more than the {} credit still open on {}",
                                kernel::FormatMoney(credit, currency), note->number()));
    }
    if (amount > open) {
      return kernel::InvalidField(
          "amount", fmt::format("is more than the {} still open on {}",
                                kernel::FormatMoney(open, currency), invoice->number()));
    }
    const std::string offset_on =
        request->has_offset_on()
            ? kernel::DateText(request->offset_on())
            : invoice_repository::Today(session, parts_.clock.Now(), settings_.time_zone);
    auto recorded = payment_repository::InsertOffset(
        session, note->id(), invoice->id(), amount, offset_on, request->reference(),
        kernel::ActorUserId(caller), request->request_id(), parts_.clock.Now());
    if (!recorded) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
    parts_.audit.Record(session, caller, kernel::AuditAction::kCreate, kPayment, recorded->id(),
                        kernel::DiffFields(nullptr, *recorded));
    auto settled = invoice_repository::Find(session, invoice->id());
    auto used = invoice_repository::Find(session, note->id());
    for (const auto& [before, after] :
         {std::pair{&*invoice, &*settled}, std::pair{&*note, &*used}}) {
      parts_.audit.Record(
          session, caller, kernel::AuditAction::kUpdate, kInvoice, after->id(),
          {kernel::FieldChange::Of(
              "open_amount", kernel::FormatMoney(before->open_amount().minor_units(), currency),
              kernel::FormatMoney(after->open_amount().minor_units(), currency))});
    }
    parts_.events.Publish(session, "invoicing.invoice.credited", settled->id(), *settled, caller);
    parts_.events.Publish(session, "invoicing.invoice.offset", used->id(), *used, caller);
    transaction.Commit();
    *response = std::move(*recorded);
    return grpc::Status::OK;
  });
}

grpc::Status PaymentServiceImpl::ListPayments(grpc::ServerContext*,
                                              const v1::ListPaymentsRequest* request,
                                              v1::ListPaymentsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  if ((request->invoice_id() > 0) == (request->partner_id() > 0)) {
    return kernel::InvalidField("invoice_id", "give an invoice_id or a partner_id");
  }
  return kernel::Guarded(parts_.log, "ListPayments", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = payment_repository::List(lease.Session(), request->invoice_id(),
                                         request->partner_id(), page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Payment& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_payments() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status PaymentServiceImpl::GetPartnerBalance(grpc::ServerContext*,
                                                   const v1::GetPartnerBalanceRequest* request,
                                                   v1::PartnerBalance* response) {
  const std::string currency = request->currency_code().empty() ? "HUF" : request->currency_code();
  if (request->partner_id() <= 0) return kernel::InvalidField("partner_id", "is required");
  if (!kernel::IsSupportedCurrency(currency)) {
    return kernel::InvalidField("currency_code", "must be HUF or EUR");
  }
  return kernel::Guarded(parts_.log, "GetPartnerBalance", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    const std::string today =
        invoice_repository::Today(lease.Session(), parts_.clock.Now(), settings_.time_zone);
    *response = PartnerBalanceOf(lease.Session(), request->partner_id(), currency, today);
    return grpc::Status::OK;
  });
}

grpc::Status PaymentServiceImpl::CreditExposure(grpc::ServerContext*,
                                                const common::v1::CreditExposureRequest* request,
                                                common::v1::CreditExposure* response) {
  if (!kernel::IsSupportedCurrency(request->currency_code())) {
    // Invoices are only ever in HUF or EUR: nothing is owed in another.
    response->mutable_open_amount()->set_currency_code(request->currency_code());
    return grpc::Status::OK;
  }
  return kernel::Guarded(parts_.log, "CreditExposure", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    const std::string today =
        invoice_repository::Today(lease.Session(), parts_.clock.Now(), settings_.time_zone);
    const auto balance = payment_repository::BalanceOf(lease.Session(), request->partner_id(),
                                                       request->currency_code(), today);
    const std::string other = request->currency_code() == "HUF" ? "EUR" : "HUF";
    const auto elsewhere =
        payment_repository::BalanceOf(lease.Session(), request->partner_id(), other, today);
    response->mutable_open_amount()->set_currency_code(request->currency_code());
    response->mutable_open_amount()->set_minor_units(balance.open);
    response->set_description(fmt::format("{} unpaid invoice(s)", balance.open_count));
    if (elsewhere.open_count > 0) {
      response->set_not_counted(fmt::format("{} unpaid invoice(s) in {}: {}", elsewhere.open_count,
                                            other, kernel::FormatMoney(elsewhere.open, other)));
    }
    return grpc::Status::OK;
  });
}

}  // namespace karton::invoicing
