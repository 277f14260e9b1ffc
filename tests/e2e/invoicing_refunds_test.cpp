// Refunds and offsets of a credit note's credit end to end (docs/invoicing.md,
// "Refunds and offsets"): kartond over gRPC with real tokens and roles, and
// the command line. A paid invoice is cancelled by a storno; the buyer's
// credit is paid back in two parts, or set off against another open
// invoice, and the balance and the payments list follow.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "json_fields.h"
#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/invoicing/v1/payment_service.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "sales_fixture.h"

namespace karton::testing {
namespace {

namespace iv1 = invoicing::v1;

class InvoicingRefundsTest : public SalesTest {
 protected:
  void StartInvoicing() {
    std::vector<std::string> extra;
    for (const char* option :
         {"invoicing.seller_name=Őrség Hőtechnika Kft.",
          "invoicing.seller_tax_number=12345676-2-41", "invoicing.seller_postal_code=9941",
          "invoicing.seller_city=Őriszentpéter", "invoicing.seller_street=Kovácsszer 2."}) {
      extra.insert(extra.end(), {"--module-option", option});
    }
    Start(std::move(extra), "invoicing");
    invoices_ = iv1::InvoiceService::NewStub(channel_);
    payments_ = iv1::PaymentService::NewStub(channel_);
  }

  // An issued invoice of 63,500 Ft, paid in full, then cancelled: the
  // storno's 63,500 Ft are the buyer's credit. The storno's id.
  std::int64_t PaidAndCancelled(const std::string& accountant, std::int64_t customer) {
    iv1::CreateInvoiceRequest create;
    create.mutable_invoice()->set_partner_id(customer);
    auto* line = create.mutable_invoice()->add_lines();
    line->set_description("Éves karbantartás");
    line->set_quantity("1");
    line->mutable_unit_price()->set_minor_units(5'000'000);
    line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
    iv1::Invoice invoice;
    EXPECT_TRUE(invoices_->CreateInvoice(As(accountant).get(), create, &invoice).ok());
    iv1::IssueInvoiceRequest issue;
    issue.set_id(invoice.id());
    EXPECT_TRUE(invoices_->IssueInvoice(As(accountant).get(), issue, &invoice).ok());
    iv1::RecordPaymentRequest pay;
    pay.mutable_payment()->set_invoice_id(invoice.id());
    pay.mutable_payment()->mutable_amount()->set_minor_units(6'350'000);
    iv1::Payment payment;
    EXPECT_TRUE(payments_->RecordPayment(As(accountant).get(), pay, &payment).ok());
    iv1::CreateCreditNoteRequest cancel;
    cancel.set_invoice_id(invoice.id());
    cancel.set_kind(iv1::INVOICE_KIND_STORNO);
    cancel.set_reason("Elállás");
    iv1::Invoice storno;
    const auto status = invoices_->CreateCreditNote(As(accountant).get(), cancel, &storno);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(storno.open_amount().minor_units(), -6'350'000);
    return storno.id();
  }

  std::unique_ptr<iv1::InvoiceService::Stub> invoices_;
  std::unique_ptr<iv1::PaymentService::Stub> payments_;
};

TEST_F(InvoicingRefundsTest, ACreditIsPaidBackInPartsAndTheStornoSettles) {
  StartInvoicing();
  const auto accountant = User("kata@karton.example", kv1::ROLE_ACCOUNTING);
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  const auto customer = Partner("Fűtés Kft.", 0);
  const auto storno = PaidAndCancelled(accountant, customer);
  const std::string karton = Karton();

  // Only accounting pays money back.
  iv1::RecordRefundRequest refund;
  refund.mutable_refund()->set_invoice_id(storno);
  refund.mutable_refund()->mutable_amount()->set_currency_code("HUF");
  refund.mutable_refund()->mutable_amount()->set_minor_units(2'000'000);
  refund.mutable_refund()->set_method(iv1::PAYMENT_METHOD_CARD);
  iv1::Payment refunded;
  EXPECT_EQ(payments_->RecordRefund(As(salesperson).get(), refund, &refunded).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // More than the credit: refused, naming the amount, nothing written.
  refund.mutable_refund()->mutable_amount()->set_minor_units(6'350'001);
  auto status = payments_->RecordRefund(As(accountant).get(), refund, &refunded);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(kernel::FieldViolationsOf(status).size(), 1u);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "refund.amount");
  EXPECT_NE(status.error_message().find("63,500"), std::string::npos) << status.error_message();
  iv1::ListPaymentsRequest list;
  list.set_invoice_id(storno);
  iv1::ListPaymentsResponse listed;
  ASSERT_TRUE(payments_->ListPayments(As(accountant).get(), list, &listed).ok());
  EXPECT_EQ(listed.payments_size(), 0);
  // A method that is none: refused, naming it.
  refund.mutable_refund()->mutable_amount()->set_minor_units(2'000'000);
  refund.mutable_refund()->set_method(static_cast<iv1::PaymentMethod>(9));
  status = payments_->RecordRefund(As(accountant).get(), refund, &refunded);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "refund.method");

  // 20,000 Ft back on the card over gRPC.
  refund.mutable_refund()->set_method(iv1::PAYMENT_METHOD_CARD);
  status = payments_->RecordRefund(As(accountant).get(), refund, &refunded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(refunded.kind(), iv1::PAYMENT_KIND_REFUND);
  const auto [balance_exit, balance] = RunCommand(fmt::format("{}balance {}", karton, customer));
  ASSERT_EQ(balance_exit, 0) << balance;
  EXPECT_NE(balance.find(": -43 500,00 HUF open"), std::string::npos) << balance;

  // The rest by transfer, from the command line.
  const auto [refund_exit, refund_output] = RunCommand(
      fmt::format("{}payments refund --invoice {} --amount '43500 HUF' --method transfer "
                  "--reference 'OTP 2026/204'",
                  karton, storno));
  ASSERT_EQ(refund_exit, 0) << refund_output;
  EXPECT_NE(refund_output.find("refund "), std::string::npos) << refund_output;
  iv1::GetInvoiceRequest get;
  get.set_id(storno);
  iv1::Invoice note;
  ASSERT_TRUE(invoices_->GetInvoice(As(accountant).get(), get, &note).ok());
  EXPECT_EQ(note.open_amount().minor_units(), 0);
  EXPECT_EQ(note.paid_amount().minor_units(), -6'350'000);
  const auto [settled_exit, settled] = RunCommand(fmt::format("{}balance {}", karton, customer));
  ASSERT_EQ(settled_exit, 0) << settled;
  EXPECT_NE(settled.find(": 0,00 HUF open"), std::string::npos) << settled;
  // Nothing more to pay back.
  const auto [again_exit, again] =
      RunCommand(fmt::format("{}payments refund --invoice {} --amount '1 HUF'", karton, storno));
  EXPECT_NE(again_exit, 0) << again;

  // The payments list tells the payment from the refunds, in the command
  // line and over gRPC.
  const auto [list_exit, list_output] =
      RunCommand(fmt::format("{}payments list --partner {}", karton, customer));
  ASSERT_EQ(list_exit, 0) << list_output;
  EXPECT_NE(list_output.find("payment "), std::string::npos) << list_output;
  EXPECT_NE(list_output.find(fmt::format("paid back on invoice {}", storno)), std::string::npos)
      << list_output;
  list.set_invoice_id(0);
  list.set_partner_id(customer);
  ASSERT_TRUE(payments_->ListPayments(As(salesperson).get(), list, &listed).ok());
  ASSERT_EQ(listed.payments_size(), 3);
  EXPECT_EQ(listed.payments(0).kind(), iv1::PAYMENT_KIND_PAYMENT);
  EXPECT_EQ(listed.payments(1).kind(), iv1::PAYMENT_KIND_REFUND);
  EXPECT_EQ(listed.payments(2).kind(), iv1::PAYMENT_KIND_REFUND);
  EXPECT_EQ(listed.payments(2).reference(), "OTP 2026/204");
  EXPECT_EQ(listed.payments(2).method(), iv1::PAYMENT_METHOD_TRANSFER);
}

TEST_F(InvoicingRefundsTest, ACreditIsSetOffAgainstAnotherOpenInvoiceFromTheCommandLine) {
  StartInvoicing();
  const auto accountant = User("kata@karton.example", kv1::ROLE_ACCOUNTING);
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  const auto customer = Partner("Fűtés Kft.", 0);
  const auto storno = PaidAndCancelled(accountant, customer);
  // A second invoice of 63,500 Ft, unpaid.
  iv1::CreateInvoiceRequest create;
  create.mutable_invoice()->set_partner_id(customer);
  auto* line = create.mutable_invoice()->add_lines();
  line->set_description("Radiátor csere");
  line->set_quantity("1");
  line->mutable_unit_price()->set_minor_units(5'000'000);
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  iv1::Invoice open_invoice;
  ASSERT_TRUE(invoices_->CreateInvoice(As(accountant).get(), create, &open_invoice).ok());
  iv1::IssueInvoiceRequest issue;
  issue.set_id(open_invoice.id());
  ASSERT_TRUE(invoices_->IssueInvoice(As(accountant).get(), issue, &open_invoice).ok());

  // Only accounting sets off.
  iv1::RecordOffsetRequest offset;
  offset.set_credit_note_id(storno);
  offset.set_invoice_id(open_invoice.id());
  offset.mutable_amount()->set_minor_units(5'000'000);
  iv1::Payment recorded;
  EXPECT_EQ(payments_->RecordOffset(As(salesperson).get(), offset, &recorded).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // More than is open on the invoice: refused, naming the amount.
  offset.mutable_amount()->set_minor_units(6'350'001);
  const auto status = payments_->RecordOffset(As(accountant).get(), offset, &recorded);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "amount");

  const std::string karton = Karton();
  const auto [exit_code, output] =
      RunCommand(fmt::format("{}payments offset --credit-note {} --invoice {} --amount '50000 HUF' "
                             "--reference 'Megállapodás 2026/3'",
                             karton, storno, open_invoice.id()));
  ASSERT_EQ(exit_code, 0) << output;
  EXPECT_NE(output.find(
                fmt::format("of credit note {}'s credit on invoice {}", storno, open_invoice.id())),
            std::string::npos)
      << output;
  iv1::GetInvoiceRequest get;
  get.set_id(open_invoice.id());
  iv1::Invoice read;
  ASSERT_TRUE(invoices_->GetInvoice(As(accountant).get(), get, &read).ok());
  EXPECT_EQ(read.open_amount().minor_units(), 1'350'000);
  get.set_id(storno);
  ASSERT_TRUE(invoices_->GetInvoice(As(accountant).get(), get, &read).ok());
  EXPECT_EQ(read.open_amount().minor_units(), -1'350'000);
  // What the partner owes and is owed still nets to nothing.
  const auto [balance_exit, balance] = RunCommand(fmt::format("{}balance {}", karton, customer));
  ASSERT_EQ(balance_exit, 0) << balance;
  EXPECT_NE(balance.find(": 0,00 HUF open"), std::string::npos) << balance;
  iv1::ListPaymentsRequest list;
  list.set_invoice_id(storno);
  iv1::ListPaymentsResponse listed;
  ASSERT_TRUE(payments_->ListPayments(As(salesperson).get(), list, &listed).ok());
  ASSERT_EQ(listed.payments_size(), 1);
  EXPECT_EQ(listed.payments(0).kind(), iv1::PAYMENT_KIND_OFFSET);
  EXPECT_EQ(listed.payments(0).invoice_id(), open_invoice.id());
  EXPECT_EQ(listed.payments(0).reference(), "Megállapodás 2026/3");
}

}  // namespace
}  // namespace karton::testing
