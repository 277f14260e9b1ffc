// The invoicing module end to end: kartond with invoicing (and orders and
// partners, which it depends on) over gRPC with real tokens and roles, and
// through the command line: an unpaid invoice counts in orders' credit
// check until it is paid; demo data in every payment state.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "json_fields.h"
#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/invoicing/v1/payment_service.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "sales_fixture.h"

namespace karton::testing {
namespace {

namespace iv1 = invoicing::v1;

class InvoicingTest : public SalesTest {
 protected:
  // With the seller configured, as an installation that issues must be.
  void StartInvoicing(std::vector<std::string> extra = {}) {
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
  std::unique_ptr<iv1::InvoiceService::Stub> invoices_;
  std::unique_ptr<iv1::PaymentService::Stub> payments_;
};

TEST_F(InvoicingTest, AnUnpaidInvoiceCountsInTheCreditCheckUntilItIsPaid) {
  StartInvoicing();
  const auto accountant = User("kata@karton.example", kv1::ROLE_ACCOUNTING);
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  const auto customer = Partner("Fűtés Kft.", 100'000);
  const std::string karton = Karton();

  // 50,000 Ft + 27% = 63,500 Ft, issued by accounting (not by sales).
  iv1::CreateInvoiceRequest create;
  create.mutable_invoice()->set_partner_id(customer);
  auto* line = create.mutable_invoice()->add_lines();
  line->set_description("Éves karbantartás");
  line->set_quantity("1");
  line->mutable_unit_price()->set_minor_units(5'000'000);
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  iv1::Invoice invoice;
  EXPECT_EQ(invoices_->CreateInvoice(As(salesperson).get(), create, &invoice).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(invoices_->CreateInvoice(As(accountant).get(), create, &invoice).ok());
  const auto [issue_exit, issued] =
      RunCommand(fmt::format("{}--output json invoices issue {}", karton, invoice.id()));
  ASSERT_EQ(issue_exit, 0) << issued;
  const auto number = Field(ParseObject(issued), "number");
  EXPECT_EQ(number.substr(0, 4), "KRT-");

  // An order of 50,000 Ft gross: 113,500 Ft against 100,000 Ft.
  ov1::CreateOrderRequest order_request;
  order_request.mutable_order()->set_partner_id(customer);
  auto* ordered = order_request.mutable_order()->add_lines();
  ordered->set_description("Okostermosztát");
  ordered->set_quantity("1");
  ordered->mutable_unit_price()->set_minor_units(5'000'000);
  ordered->set_vat_category(common::v1::VAT_CATEGORY_ZERO);
  ov1::Order order;
  ASSERT_TRUE(orders_->CreateOrder(As(salesperson).get(), order_request, &order).ok());
  ov1::ConfirmOrderRequest confirm;
  confirm.set_id(order.id());
  auto status = orders_->ConfirmOrder(As(salesperson).get(), confirm, &order);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  const auto violations = kernel::FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_NE(violations[0].description.find("owed 63,500 HUF"), std::string::npos)
      << violations[0].description;

  // Paid in full through the command line: the check passes.
  const auto [pay_exit, paid] = RunCommand(
      fmt::format("{}payments record --invoice {} --amount '63500 HUF' --reference 'OTP 2026/1'",
                  karton, invoice.id()));
  ASSERT_EQ(pay_exit, 0) << paid;
  status = orders_->ConfirmOrder(As(salesperson).get(), confirm, &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto [balance_exit, balance] = RunCommand(fmt::format("{}balance {}", karton, customer));
  ASSERT_EQ(balance_exit, 0) << balance;
  EXPECT_NE(balance.find("risk         low"), std::string::npos) << balance;
}

TEST_F(InvoicingTest, AStornoFromTheCommandLineCancelsWhatIsOwed) {
  StartInvoicing();
  const auto accountant = User("kata@karton.example", kv1::ROLE_ACCOUNTING);
  const auto customer = Partner("Fűtés Kft.", 0);
  iv1::CreateInvoiceRequest create;
  create.mutable_invoice()->set_partner_id(customer);
  auto* line = create.mutable_invoice()->add_lines();
  line->set_description("Radiátor csere");
  line->set_quantity("2");
  line->mutable_unit_price()->set_minor_units(4'850'000);
  line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  iv1::Invoice invoice;
  ASSERT_TRUE(invoices_->CreateInvoice(As(accountant).get(), create, &invoice).ok());
  iv1::IssueInvoiceRequest issue;
  issue.set_id(invoice.id());
  ASSERT_TRUE(invoices_->IssueInvoice(As(accountant).get(), issue, &invoice).ok());
  EXPECT_EQ(invoice.seller().name(), "Őrség Hőtechnika Kft.");
  EXPECT_EQ(invoice.buyer().name(), "Fűtés Kft.");

  const std::string karton = Karton();
  const auto [exit_code, output] = RunCommand(fmt::format(
      "{}--output json invoices storno {} --reason 'Téves számla'", karton, invoice.id()));
  ASSERT_EQ(exit_code, 0) << output;
  const auto storno = ParseObject(output);
  EXPECT_EQ(Field(storno, "kind"), "INVOICE_KIND_STORNO");
  EXPECT_EQ(Field(storno, "original_number"), invoice.number());
  const auto [balance_exit, balance] = RunCommand(fmt::format("{}balance {}", karton, customer));
  ASSERT_EQ(balance_exit, 0) << balance;
  EXPECT_NE(balance.find(": 0,00 HUF open"), std::string::npos) << balance;

  // The storno printed: karton invoices pdf, read back with pdftotext.
  const std::string pdf = ::testing::TempDir() + "storno.pdf";
  const auto [pdf_exit, text] =
      RunCommand(fmt::format("{}invoices pdf {} > '{}' && pdftotext -layout '{}' -", karton,
                             Field(storno, "id"), pdf, pdf));
  ASSERT_EQ(pdf_exit, 0) << text;
  EXPECT_NE(text.find("Sztornó számla"), std::string::npos) << text;
  EXPECT_NE(text.find("Őrség Hőtechnika Kft."), std::string::npos) << text;
  EXPECT_NE(text.find(invoice.number()), std::string::npos) << text;
  // The storno as NAV's InvoiceData (validated by the server before it
  // answers), naming the invoice it cancels.
  const auto [xml_exit, xml] =
      RunCommand(fmt::format("{}invoices nav-xml {}", karton, Field(storno, "id")));
  ASSERT_EQ(xml_exit, 0) << xml;
  EXPECT_NE(xml.find("<originalInvoiceNumber>" + invoice.number()), std::string::npos) << xml;
  // A draft has no printable form.
  iv1::Invoice draft;
  ASSERT_TRUE(invoices_->CreateInvoice(As(accountant).get(), create, &draft).ok());
  const auto [draft_exit, refused_text] =
      RunCommand(fmt::format("{}invoices pdf {} > /dev/null", karton, draft.id()));
  EXPECT_NE(draft_exit, 0) << refused_text;
  // Only accounting corrects invoices.
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  iv1::CreateCreditNoteRequest again;
  again.set_invoice_id(invoice.id());
  again.set_kind(iv1::INVOICE_KIND_STORNO);
  again.set_reason("Még egyszer");
  iv1::Invoice refused;
  EXPECT_EQ(invoices_->CreateCreditNote(As(salesperson).get(), again, &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(InvoicingTest, DemoDataHasPaidPartlyPaidOverdueCancelledAndDraftInvoices) {
  StartInvoicing({"--demo"});
  iv1::ListInvoicesResponse listed;
  ASSERT_TRUE(invoices_->ListInvoices(As(admin_).get(), {}, &listed).ok());
  ASSERT_EQ(listed.invoices_size(), 6);
  int drafts = 0, settled = 0, part_paid = 0, unpaid = 0, stornos = 0;
  for (const auto& invoice : listed.invoices()) {
    if (invoice.kind() == iv1::INVOICE_KIND_STORNO) {
      ++stornos;
      EXPECT_EQ(invoice.open_amount().minor_units(), 0);  // it settled its original
      EXPECT_FALSE(invoice.original_number().empty());
    } else if (invoice.state() == iv1::INVOICE_STATE_DRAFT) {
      ++drafts;
    } else if (invoice.open_amount().minor_units() == 0) {
      ++settled;
    } else if (invoice.paid_amount().minor_units() > 0) {
      ++part_paid;
    } else {
      ++unpaid;
      iv1::GetPartnerBalanceRequest request;
      request.set_partner_id(invoice.partner_id());
      iv1::PartnerBalance balance;
      ASSERT_TRUE(payments_->GetPartnerBalance(As(admin_).get(), request, &balance).ok());
      EXPECT_EQ(balance.overdue_amount().minor_units(), invoice.open_amount().minor_units());
      EXPECT_EQ(balance.risk_class(), iv1::RISK_CLASS_MEDIUM);  // 40 days overdue
    }
  }
  EXPECT_EQ(stornos, 1);
  EXPECT_EQ(drafts, 1);
  EXPECT_EQ(settled, 2);  // paid in full, and cancelled by the storno
  EXPECT_EQ(part_paid, 1);
  EXPECT_EQ(unpaid, 1);
}

}  // namespace
}  // namespace karton::testing
