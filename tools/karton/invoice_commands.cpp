// karton invoices|payments|balance ...: the invoicing module
// (docs/invoicing.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/common/v1/vat.pb.h"
#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/invoicing/v1/payment_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace iv1 = invoicing::v1;
using Invoices = iv1::InvoiceService::Stub;
using Payments = iv1::PaymentService::Stub;

const std::vector<std::string> kMethods = {"transfer", "cash", "card"};

struct Options {
  std::int64_t id = 0, partner = 0, order = 0, invoice = 0, credit_note = 0, user = 0, team = 0;
  std::string fulfilled_on, due_on;
  std::string etag, state, currency, rate, method, paid_on, reference, amount, note, request_id;
  std::string page_token, reason;
  std::vector<std::string> lines;
  bool open_only = false;
  int limit = 50;
};

std::string DateText(const common::v1::Date& date) {
  if (date.year() == 0) return "";
  return fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
}

// "-1;5000 HUF;standard_27;Utólagos engedmény": quantity, unit price, VAT
// category, description (which may hold ';').
iv1::InvoiceLine ParseInvoiceLine(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int field = 0; field < 3; ++field) {
    const auto semicolon = text.find(';', start);
    if (semicolon == std::string::npos) break;
    parts.push_back(text.substr(start, semicolon - start));
    start = semicolon + 1;
  }
  if (parts.size() != 3 || start >= text.size()) {
    throw UsageError(
        "--line takes QUANTITY;UNIT_PRICE;VAT;DESCRIPTION, such as '-1;5000 HUF;standard_27;"
        "Engedmény', not '" +
        text + "'");
  }
  iv1::InvoiceLine line;
  line.set_quantity(parts[0]);
  *line.mutable_unit_price() = ParseMoney(parts[1], "--line");
  line.set_vat_category(FromWord<common::v1::VatCategory>(parts[2], "VAT_CATEGORY_"));
  if (line.vat_category() == common::v1::VAT_CATEGORY_UNSPECIFIED) {
    throw UsageError("--line: '" + parts[2] +
                     "' is not a VAT category (standard_27, reduced_5, ...)");
  }
  line.set_description(text.substr(start));
  return line;
}

void PrintInvoices(const iv1::ListInvoicesResponse& response) {
  constexpr auto kRow = "{:>6}  {:<18} {:<7} {:>8} {:<10} {:<10} {:>18} {:>18}\n";
  std::cout << fmt::format(kRow, "ID", "NUMBER", "STATE", "PARTNER", "ISSUED", "DUE", "GROSS",
                           "OPEN");
  for (const auto& invoice : response.invoices()) {
    std::cout << fmt::format(
        kRow, invoice.id(), Cut(invoice.number(), 18), Word(invoice.state(), "INVOICE_STATE_"),
        invoice.partner_id(), DateText(invoice.issue_date()), DateText(invoice.due_date()),
        FormatMoney(invoice.totals().gross_amount()), FormatMoney(invoice.open_amount()));
  }
  MorePages(response.next_page_token());
}

void PrintNavSubmission(const iv1::NavSubmission& submission) {
  std::cout << fmt::format("NAV report of {} ({}): {}\n", submission.invoice_number(),
                           submission.invoice_id(),
                           Word(submission.state(), "NAV_SUBMISSION_STATE_"));
  Lines("transaction", submission.transaction_id(), "round", std::to_string(submission.round()),
        "failed", submission.failed_attempts() ? std::to_string(submission.failed_attempts()) : "",
        "last error", submission.last_error());
  Lines("created", ShortTime(submission.create_time(), 19), "submitted",
        ShortTime(submission.submit_time(), 19), "finished",
        ShortTime(submission.finish_time(), 19));
  for (const auto& message : submission.messages()) {
    std::cout << fmt::format("  {:<8} {:<32} {}{}\n", message.result_code(), message.error_code(),
                             message.message(),
                             message.pointer().empty() ? "" : " (" + message.pointer() + ")");
  }
}

void PrintInvoice(const iv1::Invoice& invoice) {
  std::cout << fmt::format("{} {} ({}): {}\n", Word(invoice.kind(), "INVOICE_KIND_"),
                           invoice.number().empty() ? "draft" : invoice.number(), invoice.id(),
                           Word(invoice.state(), "INVOICE_STATE_"));
  if (invoice.original_invoice_id() != 0) {
    Lines("corrects",
          fmt::format("{} ({})", invoice.original_number(), invoice.original_invoice_id()), "index",
          invoice.modification_index() ? std::to_string(invoice.modification_index()) : "",
          "reason", invoice.reason());
  }
  Lines("seller", invoice.seller().name(), "buyer", invoice.buyer().name());
  Lines("partner", Id(invoice.partner_id()), "order", Id(invoice.order_id()), "issued",
        DateText(invoice.issue_date()), "fulfilled", DateText(invoice.fulfillment_date()), "due",
        DateText(invoice.due_date()), "payment", Word(invoice.payment_method(), "PAYMENT_METHOD_"),
        "rate", invoice.currency_code() == "HUF" ? "" : invoice.exchange_rate(), "note",
        invoice.note(), "etag", invoice.etag());
  constexpr auto kRow = "  {:>3} {:<34} {:>9} {:<5} {:>16} {:>6} {:<12} {:>16}\n";
  std::cout << fmt::format(kRow, "#", "ITEM", "QTY", "UNIT", "UNIT PRICE", "DISC%", "VAT", "NET");
  for (const auto& line : invoice.lines()) {
    std::cout << fmt::format(kRow, line.position(), Cut(line.description(), 34), line.quantity(),
                             Cut(line.unit(), 5), FormatMoney(line.unit_price()),
                             line.discount_percent(), Word(line.vat_category(), "VAT_CATEGORY_"),
                             FormatMoney(line.net_amount()));
  }
  for (const auto& row : invoice.totals().vat_summary()) {
    std::cout << fmt::format("  VAT {:<24} net {:>16}  VAT {:>16}\n",
                             Word(row.vat_category(), "VAT_CATEGORY_"),
                             FormatMoney(row.net_amount()), FormatMoney(row.vat_amount()));
  }
  Lines("net", FormatMoney(invoice.totals().net_amount()), "vat",
        FormatMoney(invoice.totals().vat_amount()), "gross",
        FormatMoney(invoice.totals().gross_amount()), "vat in HUF",
        invoice.currency_code() == "HUF" ? "" : FormatMoney(invoice.totals().vat_amount_huf()),
        "paid", FormatMoney(invoice.paid_amount()), "open", FormatMoney(invoice.open_amount()));
}

void PrintPayment(const iv1::Payment& payment) {
  if (payment.kind() == iv1::PAYMENT_KIND_OFFSET) {
    std::cout << fmt::format("offset {}: {} of credit note {}'s credit on invoice {}, {}\n",
                             payment.id(), FormatMoney(payment.amount()), payment.credit_note_id(),
                             payment.invoice_id(), DateText(payment.paid_on()));
    return;
  }
  const bool refund = payment.kind() == iv1::PAYMENT_KIND_REFUND;
  std::cout << fmt::format("{} {}: {} {} invoice {}, {} ({})\n", refund ? "refund" : "payment",
                           payment.id(), FormatMoney(payment.amount()),
                           refund ? "paid back on" : "on", payment.invoice_id(),
                           DateText(payment.paid_on()), Word(payment.method(), "PAYMENT_METHOD_"));
}

void AddInvoiceCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* invoices = app.add_subcommand("invoices", "Invoices")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(invoices->add_subcommand("list", "Invoices, newest first"),
                    {"karton.invoicing.v1.InvoiceService/ListInvoices"});
  list->add_option("--partner", bound->partner, "Of this partner");
  AddChoice(list, "--state", bound->state, std::vector<std::string>{"draft", "issued"});
  list->add_flag("--open", bound->open_only, "Issued and not paid in full");
  list->add_option("--limit", bound->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", bound->page_token, "From the previous page");
  list->callback(Run(options, exit_code, [&options, bound] {
    iv1::ListInvoicesRequest request;
    request.set_partner_id(bound->partner);
    request.set_state(FromWord<iv1::InvoiceState>(bound->state, "INVOICE_STATE_"));
    request.set_open_only(bound->open_only);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Invoices::ListInvoices, request, PrintInvoices);
  }));

  auto* get = Rpcs(invoices->add_subcommand("get", "One invoice with its lines and VAT summary"),
                   {"karton.invoicing.v1.InvoiceService/GetInvoice"});
  get->add_option("id", bound->id)->required();
  get->callback(Run(options, exit_code, [&options, bound] {
    iv1::GetInvoiceRequest request;
    request.set_id(bound->id);
    return Call(options, &Invoices::GetInvoice, request, PrintInvoice);
  }));

  auto* create = Rpcs(
      invoices->add_subcommand("create", "A draft invoice of free lines (an order's: from-order)"),
      {"karton.invoicing.v1.InvoiceService/CreateInvoice"});
  create->add_option("--partner", bound->partner, "The buyer")->required();
  create
      ->add_option("--line", bound->lines,
                   "QUANTITY;UNIT_PRICE;VAT;DESCRIPTION, e.g. '2;45000 HUF;standard_27;Szerviz'; "
                   "repeat")
      ->required();
  create->add_option("--currency", bound->currency, "HUF (default) or EUR");
  create->add_option("--rate", bound->rate, "HUF per EUR, e.g. 395.12 (EUR; or later: set-rate)");
  create->add_option("--fulfilled", bound->fulfilled_on, "Teljesítés, YYYY-MM-DD (default: issue)");
  create->add_option("--due", bound->due_on, "YYYY-MM-DD (default: from the payment terms)");
  AddChoice(create, "--method", bound->method, kMethods);
  create->add_option("--note", bound->note, "Printed on the invoice");
  create->add_option("--request-id", bound->request_id, "The same id twice makes one draft");
  create->callback(Run(options, exit_code, [&options, bound] {
    iv1::CreateInvoiceRequest request;
    auto& invoice = *request.mutable_invoice();
    invoice.set_partner_id(bound->partner);
    for (const auto& line : bound->lines) *invoice.add_lines() = ParseInvoiceLine(line);
    invoice.set_currency_code(bound->currency);
    invoice.set_exchange_rate(bound->rate);
    if (!bound->fulfilled_on.empty()) {
      *invoice.mutable_fulfillment_date() = ParseDate(bound->fulfilled_on, "--fulfilled");
    }
    if (!bound->due_on.empty()) *invoice.mutable_due_date() = ParseDate(bound->due_on, "--due");
    invoice.set_payment_method(FromWord<iv1::PaymentMethod>(bound->method, "PAYMENT_METHOD_"));
    invoice.set_note(bound->note);
    request.set_request_id(bound->request_id);
    return Call(options, &Invoices::CreateInvoice, request, PrintInvoice);
  }));

  auto* from_order = Rpcs(invoices->add_subcommand("from-order", "A draft billing an order"),
                          {"karton.invoicing.v1.InvoiceService/CreateInvoiceFromOrder"});
  from_order->add_option("order", bound->order, "The order's id")->required();
  from_order->add_option("--note", bound->note, "Printed on the invoice");
  from_order->callback(Run(options, exit_code, [&options, bound] {
    iv1::CreateInvoiceFromOrderRequest request;
    request.set_order_id(bound->order);
    request.set_note(bound->note);
    return Call(options, &Invoices::CreateInvoiceFromOrder, request, PrintInvoice);
  }));

  AddShareCommand(invoices, "share", "Let an external partner user or a team see (and print) it",
                  options, exit_code, bound, "karton.invoicing.v1.InvoiceService/ShareInvoice",
                  &Invoices::ShareInvoice, PrintInvoice);
  AddShareCommand(invoices, "unshare", "Take a share back", options, exit_code, bound,
                  "karton.invoicing.v1.InvoiceService/UnshareInvoice", &Invoices::UnshareInvoice,
                  PrintInvoice);

  auto* issue = Rpcs(invoices->add_subcommand("issue", "Number and issue a draft"),
                     {"karton.invoicing.v1.InvoiceService/IssueInvoice"});
  issue->add_option("id", bound->id)->required();
  issue->add_option("--etag", bound->etag, "From `get`; refused when it changed since");
  issue->callback(Run(options, exit_code, [&options, bound] {
    iv1::IssueInvoiceRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    return Call(options, &Invoices::IssueInvoice, request, PrintInvoice);
  }));

  auto* pdf =
      Rpcs(invoices->add_subcommand("pdf", "The issued invoice as a PDF, to standard output"),
           {"karton.invoicing.v1.InvoiceService/RenderInvoicePdf"});
  pdf->add_option("id", bound->id)->required();
  pdf->callback([&options, &exit_code, bound] {
    iv1::RenderInvoicePdfRequest request;
    request.set_id(bound->id);
    auto context = MakeContext(options, /*streaming=*/true);
    auto reader =
        iv1::InvoiceService::NewStub(ChannelFor(options))->RenderInvoicePdf(context.get(), request);
    iv1::RenderInvoicePdfResponse part;
    while (reader->Read(&part)) {
      std::cout.write(part.chunk().data(), static_cast<std::streamsize>(part.chunk().size()));
    }
    std::cout.flush();
    const auto status = reader->Finish();
    exit_code = status.ok() ? 0 : ReportError(status, options);
  });

  auto* nav_xml = Rpcs(
      invoices->add_subcommand(
          "nav-xml", "The issued invoice's NAV Online Számla 3.0 InvoiceData, to standard output"),
      {"karton.invoicing.v1.InvoiceService/ExportNavXml"});
  nav_xml->add_option("id", bound->id)->required();
  nav_xml->callback(Run(options, exit_code, [&options, bound] {
    iv1::ExportNavXmlRequest request;
    request.set_id(bound->id);
    return Call(options, &Invoices::ExportNavXml, request,
                [](const iv1::ExportNavXmlResponse& response) {
                  std::cout << response.invoice_data_xml();
                });
  }));

  auto* nav_status =
      Rpcs(invoices->add_subcommand("nav-status",
                                    "How the issued invoice's report to NAV Online Számla went"),
           {"karton.invoicing.v1.InvoiceService/GetNavSubmission"});
  nav_status->add_option("id", bound->id)->required();
  nav_status->callback(Run(options, exit_code, [&options, bound] {
    iv1::GetNavSubmissionRequest request;
    request.set_invoice_id(bound->id);
    return Call(options, &Invoices::GetNavSubmission, request, PrintNavSubmission);
  }));

  auto* nav_resubmit =
      Rpcs(invoices->add_subcommand("nav-resubmit",
                                    "Send a rejected or failed NAV report again (accounting)"),
           {"karton.invoicing.v1.InvoiceService/ResubmitToNav"});
  nav_resubmit->add_option("id", bound->id)->required();
  nav_resubmit->callback(Run(options, exit_code, [&options, bound] {
    iv1::ResubmitToNavRequest request;
    request.set_invoice_id(bound->id);
    return Call(options, &Invoices::ResubmitToNav, request, PrintNavSubmission);
  }));

  auto* storno =
      Rpcs(invoices->add_subcommand("storno", "Cancel an issued invoice: a storno, issued at once"),
           {"karton.invoicing.v1.InvoiceService/CreateCreditNote"});
  storno->add_option("id", bound->id, "The invoice's id")->required();
  storno->add_option("--reason", bound->reason, "Printed on the storno")->required();
  storno->add_option("--request-id", bound->request_id, "The same id twice makes one");
  storno->callback(Run(options, exit_code, [&options, bound] {
    iv1::CreateCreditNoteRequest request;
    request.set_invoice_id(bound->id);
    request.set_kind(iv1::INVOICE_KIND_STORNO);
    request.set_reason(bound->reason);
    request.set_request_id(bound->request_id);
    return Call(options, &Invoices::CreateCreditNote, request, PrintInvoice);
  }));

  auto* modify =
      Rpcs(invoices->add_subcommand(
               "modify", "Correct an issued invoice: a draft modification (issue it with `issue`)"),
           {"karton.invoicing.v1.InvoiceService/CreateCreditNote"});
  modify->add_option("id", bound->id, "The invoice's id")->required();
  modify->add_option("--reason", bound->reason, "Printed on the modification")->required();
  modify
      ->add_option("--line", bound->lines,
                   "QUANTITY;UNIT_PRICE;VAT;DESCRIPTION, a negative quantity takes away; repeat")
      ->required();
  modify->add_option("--request-id", bound->request_id, "The same id twice makes one");
  modify->callback(Run(options, exit_code, [&options, bound] {
    iv1::CreateCreditNoteRequest request;
    request.set_invoice_id(bound->id);
    request.set_kind(iv1::INVOICE_KIND_MODIFICATION);
    request.set_reason(bound->reason);
    for (const auto& line : bound->lines) *request.add_lines() = ParseInvoiceLine(line);
    request.set_request_id(bound->request_id);
    return Call(options, &Invoices::CreateCreditNote, request, PrintInvoice);
  }));

  auto* rate = Rpcs(invoices->add_subcommand("set-rate", "The exchange rate of a EUR draft"),
                    {"karton.invoicing.v1.InvoiceService/UpdateInvoice"});
  rate->add_option("id", bound->id)->required();
  rate->add_option("--rate", bound->rate, "HUF per EUR, e.g. 395.12")->required();
  rate->callback(Run(options, exit_code, [&options, bound] {
    iv1::UpdateInvoiceRequest request;
    request.mutable_invoice()->set_id(bound->id);
    request.mutable_invoice()->set_exchange_rate(bound->rate);
    request.mutable_update_mask()->add_paths("exchange_rate");
    return Call(options, &Invoices::UpdateInvoice, request, PrintInvoice);
  }));
}

void AddPaymentCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* payments = app.add_subcommand("payments", "Payments of invoices")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* record = Rpcs(payments->add_subcommand("record", "A full or partial payment"),
                      {"karton.invoicing.v1.PaymentService/RecordPayment"});
  record->add_option("--invoice", bound->invoice, "The invoice's id")->required();
  record->add_option("--amount", bound->amount, "e.g. '120000 HUF'")->required();
  AddChoice(record, "--method", bound->method, kMethods);
  record->add_option("--paid-on", bound->paid_on, "YYYY-MM-DD; default today");
  record->add_option("--reference", bound->reference, "The bank statement's reference");
  record->add_option("--request-id", bound->request_id, "The same id twice records one");
  record->callback(Run(options, exit_code, [&options, bound] {
    iv1::RecordPaymentRequest request;
    auto& payment = *request.mutable_payment();
    payment.set_invoice_id(bound->invoice);
    *payment.mutable_amount() = ParseMoney(bound->amount, "--amount");
    payment.set_method(FromWord<iv1::PaymentMethod>(bound->method, "PAYMENT_METHOD_"));
    if (!bound->paid_on.empty())
      *payment.mutable_paid_on() = ParseDate(bound->paid_on, "--paid-on");
    payment.set_reference(bound->reference);
    request.set_request_id(bound->request_id);
    return Call(options, &Payments::RecordPayment, request, PrintPayment);
  }));

  auto* refund = Rpcs(payments->add_subcommand("refund", "A credit note's credit paid back"),
                      {"karton.invoicing.v1.PaymentService/RecordRefund"});
  refund->add_option("--invoice", bound->invoice, "The credit note's id")->required();
  refund->add_option("--amount", bound->amount, "e.g. '12700 HUF'")->required();
  AddChoice(refund, "--method", bound->method, kMethods);
  refund->add_option("--paid-on", bound->paid_on, "YYYY-MM-DD; default today");
  refund->add_option("--reference", bound->reference, "The bank statement's reference");
  refund->add_option("--request-id", bound->request_id, "The same id twice records one");
  refund->callback(Run(options, exit_code, [&options, bound] {
    iv1::RecordRefundRequest request;
    auto& paid_back = *request.mutable_refund();
    paid_back.set_invoice_id(bound->invoice);
    *paid_back.mutable_amount() = ParseMoney(bound->amount, "--amount");
    paid_back.set_method(FromWord<iv1::PaymentMethod>(bound->method, "PAYMENT_METHOD_"));
    if (!bound->paid_on.empty())
      *paid_back.mutable_paid_on() = ParseDate(bound->paid_on, "--paid-on");
    paid_back.set_reference(bound->reference);
    request.set_request_id(bound->request_id);
    return Call(options, &Payments::RecordRefund, request, PrintPayment);
  }));

  auto* offset = Rpcs(
      payments->add_subcommand(
          "offset", "A credit note's credit set off against another open invoice (beszámítás)"),
      {"karton.invoicing.v1.PaymentService/RecordOffset"});
  offset->add_option("--credit-note", bound->credit_note, "The credit note's id")->required();
  offset->add_option("--invoice", bound->invoice, "The open invoice it settles")->required();
  offset->add_option("--amount", bound->amount, "e.g. '12700 HUF'")->required();
  offset->add_option("--on", bound->paid_on, "YYYY-MM-DD, the day agreed; default today");
  offset->add_option("--reference", bound->reference, "The offset agreement's number");
  offset->add_option("--request-id", bound->request_id, "The same id twice records one");
  offset->callback(Run(options, exit_code, [&options, bound] {
    iv1::RecordOffsetRequest request;
    request.set_credit_note_id(bound->credit_note);
    request.set_invoice_id(bound->invoice);
    *request.mutable_amount() = ParseMoney(bound->amount, "--amount");
    if (!bound->paid_on.empty()) *request.mutable_offset_on() = ParseDate(bound->paid_on, "--on");
    request.set_reference(bound->reference);
    request.set_request_id(bound->request_id);
    return Call(options, &Payments::RecordOffset, request, PrintPayment);
  }));

  auto* list = Rpcs(payments->add_subcommand("list", "Payments, refunds and offsets, oldest first"),
                    {"karton.invoicing.v1.PaymentService/ListPayments"});
  list->add_option("--invoice", bound->invoice, "Of this invoice");
  list->add_option("--partner", bound->partner, "Of this partner's invoices");
  list->callback(Run(options, exit_code, [&options, bound] {
    iv1::ListPaymentsRequest request;
    request.set_invoice_id(bound->invoice);
    request.set_partner_id(bound->partner);
    return Call(options, &Payments::ListPayments, request,
                [](const iv1::ListPaymentsResponse& response) {
                  for (const auto& payment : response.payments()) PrintPayment(payment);
                  MorePages(response.next_page_token());
                });
  }));

  auto* balance_command =
      Rpcs(app.add_subcommand("balance", "What a partner owes, and how they pay"),
           {"karton.invoicing.v1.PaymentService/GetPartnerBalance"});
  balance_command->add_option("partner", bound->partner)->required();
  balance_command->add_option("--currency", bound->currency, "HUF (default) or EUR");
  balance_command->callback(Run(options, exit_code, [&options, bound] {
    iv1::GetPartnerBalanceRequest request;
    request.set_partner_id(bound->partner);
    request.set_currency_code(bound->currency);
    return Call(options, &Payments::GetPartnerBalance, request,
                [](const iv1::PartnerBalance& balance) {
                  std::cout << fmt::format("partner {}: {} open, {} overdue\n",
                                           balance.partner_id(), FormatMoney(balance.open_amount()),
                                           FormatMoney(balance.overdue_amount()));
                  Lines("invoices",
                        fmt::format("{} open, {} overdue", balance.open_invoice_count(),
                                    balance.overdue_invoice_count()),
                        "days late", std::to_string(balance.average_days_late()), "risk",
                        Word(balance.risk_class(), "RISK_CLASS_"));
                });
  }));
}

}  // namespace

void AddInvoicingCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  AddInvoiceCommands(app, options, exit_code);
  AddPaymentCommands(app, options, exit_code);
}

}  // namespace karton::cli
