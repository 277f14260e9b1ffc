// The sales modules' walk (business_walk.h): every write of orders'
// catalogue, price lists, quotations and orders, and of invoicing's
// invoices and payments, publishes its event and audits its record, an
// update or a state change with the fields it changed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"
#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/invoicing/v1/payment_service.grpc.pb.h"
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "karton/orders/v1/price_list_service.grpc.pb.h"
#include "karton/orders/v1/product_service.grpc.pb.h"
#include "karton/orders/v1/quotation_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace iv1 = invoicing::v1;
namespace ov1 = orders::v1;
namespace pv1 = partners::v1;

using SalesWalkTest = BusinessWalkTest;

TEST_F(SalesWalkTest, EveryOrdersAndInvoicingWritePublishesItsEventAndAuditsItsChangedFields) {
  modules_ = "orders,invoicing,messaging";
  std::vector<std::string> options;
  for (const char* option :
       {"orders.company_name=Karton Fűtésszerviz Kft.",
        "orders.company_address=1132 Budapest, Váci út 18.",
        "orders.company_tax_number=12345676-2-41", "orders.company_email=ajanlat@karton.example",
        "invoicing.seller_name=Karton Fűtésszerviz Kft.",
        "invoicing.seller_tax_number=12345676-2-41", "invoicing.seller_postal_code=1132",
        "invoicing.seller_city=Budapest", "invoicing.seller_street=Váci út 18."}) {
    options.insert(options.end(), {"--module-option", option});
  }
  Start(options);
  auto products = ov1::ProductService::NewStub(channel_);
  auto price_lists = ov1::PriceListService::NewStub(channel_);
  auto quotations = ov1::QuotationService::NewStub(channel_);
  auto orders = ov1::OrderService::NewStub(channel_);
  auto invoices = iv1::InvoiceService::NewStub(channel_);
  auto payments = iv1::PaymentService::NewStub(channel_);
  const auto reseller = NewColleague("viszontelado@partner.example", kv1::ROLE_EXTERNAL_PARTNER);

  pv1::CreatePartnerRequest customer_request;
  customer_request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  customer_request.mutable_partner()->set_display_name("Fűtés Kft.");
  auto* address = customer_request.mutable_partner()->add_addresses();
  address->set_type(common::v1::ADDRESS_TYPE_BILLING);
  address->set_country("HU");
  address->set_postal_code("2040");
  address->set_city("Budaörs");
  address->set_street("Szabadság út 7.");
  pv1::Partner customer;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), customer_request, &customer).ok());

  const auto service_line = [](auto* line) {
    line->set_description("Éves karbantartás");
    line->set_quantity("1");
    line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
    line->mutable_unit_price()->set_currency_code("HUF");
    line->mutable_unit_price()->set_minor_units(5'000'000);  // 50,000 Ft, 63,500 Ft gross
  };
  const auto quotation_request = [&](std::int64_t product) {
    ov1::CreateQuotationRequest request;
    request.mutable_quotation()->set_partner_id(customer.id());
    request.mutable_quotation()->mutable_valid_until()->set_year(2099);
    request.mutable_quotation()->mutable_valid_until()->set_month(12);
    request.mutable_quotation()->mutable_valid_until()->set_day(31);
    request.mutable_quotation()->add_lines()->set_product_id(product);
    request.mutable_quotation()->mutable_lines(0)->set_quantity("1");
    return request;
  };

  ov1::Product product;
  ov1::PriceList price_list;
  ov1::Quotation quotation;
  ov1::Quotation declined;
  ov1::Order order;
  ov1::Order from_quotation;
  iv1::Invoice invoice;
  iv1::Invoice order_invoice;
  iv1::Invoice storno;
  const std::vector<Step> steps = {
      {"karton.orders.v1.ProductService/CreateProduct",
       "orders.product.created",
       "orders.product",
       {},
       [&] {
         ov1::CreateProductRequest request;
         request.mutable_product()->set_sku("KAZ-24");
         request.mutable_product()->set_name("Gázkazán 24 kW");
         request.mutable_product()->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
         request.mutable_product()->mutable_list_price()->set_currency_code("HUF");
         request.mutable_product()->mutable_list_price()->set_minor_units(489'000'00);
         return products->CreateProduct(As().get(), request, &product);
       }},
      {"karton.orders.v1.ProductService/UpdateProduct",
       "orders.product.updated",
       "orders.product",
       {"name"},
       [&] {
         ov1::UpdateProductRequest request;
         request.mutable_product()->set_id(product.id());
         request.mutable_product()->set_etag(product.etag());
         request.mutable_product()->set_name("Kondenzációs gázkazán 24 kW");
         request.mutable_update_mask()->add_paths("name");
         return products->UpdateProduct(As().get(), request, &product);
       }},
      {"karton.orders.v1.PriceListService/CreatePriceList",
       "orders.price_list.created",
       "orders.price_list",
       {},
       [&] {
         ov1::CreatePriceListRequest request;
         request.mutable_price_list()->set_name("Viszonteladói árak");
         request.mutable_price_list()->set_currency_code("HUF");
         auto* item = request.mutable_price_list()->add_items();
         item->set_product_id(product.id());
         item->mutable_unit_price()->set_currency_code("HUF");
         item->mutable_unit_price()->set_minor_units(450'000'00);
         return price_lists->CreatePriceList(As().get(), request, &price_list);
       }},
      {"karton.orders.v1.PriceListService/UpdatePriceList",
       "orders.price_list.updated",
       "orders.price_list",
       {"name"},
       [&] {
         ov1::UpdatePriceListRequest request;
         request.mutable_price_list()->set_id(price_list.id());
         request.mutable_price_list()->set_etag(price_list.etag());
         request.mutable_price_list()->set_name("Viszonteladói árak 2027");
         request.mutable_update_mask()->add_paths("name");
         return price_lists->UpdatePriceList(As().get(), request, &price_list);
       }},
      {"karton.orders.v1.QuotationService/CreateQuotation",
       "orders.quotation.created",
       "orders.quotation",
       {},
       [&] {
         return quotations->CreateQuotation(As().get(), quotation_request(product.id()),
                                            &quotation);
       }},
      {"karton.orders.v1.QuotationService/CreateQuotation",
       "orders.quotation.created",
       "orders.quotation",
       {},
       [&] {  // the one the customer declines
         return quotations->CreateQuotation(As().get(), quotation_request(product.id()), &declined);
       }},
      {"karton.orders.v1.QuotationService/UpdateQuotation",
       "orders.quotation.updated",
       "orders.quotation",
       {"note"},
       [&] {
         ov1::UpdateQuotationRequest request;
         request.mutable_quotation()->set_id(quotation.id());
         request.mutable_quotation()->set_etag(quotation.etag());
         request.mutable_quotation()->set_note("Beszereléssel együtt");
         request.mutable_update_mask()->add_paths("note");
         return quotations->UpdateQuotation(As().get(), request, &quotation);
       }},
      {"karton.orders.v1.QuotationService/ShareQuotation",
       "orders.quotation.shared",
       "orders.quotation",
       {},
       [&] {
         ov1::ShareQuotationRequest request;
         request.set_id(quotation.id());
         request.set_user_id(reseller.id);
         return quotations->ShareQuotation(As().get(), request, &quotation);
       }},
      {"karton.orders.v1.QuotationService/UnshareQuotation",
       "orders.quotation.unshared",
       "orders.quotation",
       {},
       [&] {
         ov1::UnshareQuotationRequest request;
         request.set_id(quotation.id());
         request.set_user_id(reseller.id);
         return quotations->UnshareQuotation(As().get(), request, &quotation);
       }},
      {"karton.orders.v1.QuotationService/SendQuotation",
       "orders.quotation.sent",
       "orders.quotation",
       {"state", "sent_message_id"},
       [&] {
         ov1::SendQuotationRequest request;
         request.set_id(quotation.id());
         request.set_etag(quotation.etag());
         request.set_address("beszerzes@futes.example");
         ov1::SendQuotationResponse response;
         const auto status = quotations->SendQuotation(As().get(), request, &response);
         quotation = response.quotation();
         return status;
       }},
      {"karton.orders.v1.QuotationService/AcceptQuotation",
       "orders.quotation.accepted",
       "orders.quotation",
       {"state", "order_id"},
       [&] {
         ov1::AcceptQuotationRequest request;
         request.set_id(quotation.id());
         request.set_etag(quotation.etag());
         ov1::AcceptQuotationResponse response;
         const auto status = quotations->AcceptQuotation(As().get(), request, &response);
         from_quotation = response.order();
         return status;
       }},
      {"karton.orders.v1.QuotationService/RejectQuotation",
       "orders.quotation.rejected",
       "orders.quotation",
       {"state", "reject_reason"},
       [&] {
         ov1::RejectQuotationRequest request;
         request.set_id(declined.id());
         request.set_etag(declined.etag());
         request.set_reason("túl drága");
         return quotations->RejectQuotation(As().get(), request, &declined);
       }},
      {"karton.orders.v1.OrderService/CreateOrder",
       "orders.order.created",
       "orders.order",
       {},
       [&] {
         ov1::CreateOrderRequest request;
         request.mutable_order()->set_partner_id(customer.id());
         service_line(request.mutable_order()->add_lines());
         return orders->CreateOrder(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/UpdateOrder",
       "orders.order.updated",
       "orders.order",
       {"note"},
       [&] {
         ov1::UpdateOrderRequest request;
         request.mutable_order()->set_id(order.id());
         request.mutable_order()->set_etag(order.etag());
         request.mutable_order()->set_note("Reggel 8 és 10 között");
         request.mutable_update_mask()->add_paths("note");
         return orders->UpdateOrder(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/ShareOrder",
       "orders.order.shared",
       "orders.order",
       {},
       [&] {
         ov1::ShareOrderRequest request;
         request.set_id(order.id());
         request.set_user_id(reseller.id);
         return orders->ShareOrder(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/UnshareOrder",
       "orders.order.unshared",
       "orders.order",
       {},
       [&] {
         ov1::UnshareOrderRequest request;
         request.set_id(order.id());
         request.set_user_id(reseller.id);
         return orders->UnshareOrder(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/ConfirmOrder",
       "orders.order.confirmed",
       "orders.order",
       {"state"},
       [&] {
         ov1::ConfirmOrderRequest request;
         request.set_id(order.id());
         request.set_etag(order.etag());
         return orders->ConfirmOrder(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/MarkShipped",
       "orders.order.shipped",
       "orders.order",
       {"state"},
       [&] {
         ov1::MarkShippedRequest request;
         request.set_id(order.id());
         request.set_etag(order.etag());
         return orders->MarkShipped(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/MarkDelivered",
       "orders.order.delivered",
       "orders.order",
       {"state"},
       [&] {
         ov1::MarkDeliveredRequest request;
         request.set_id(order.id());
         request.set_etag(order.etag());
         return orders->MarkDelivered(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/CompleteOrder",
       "orders.order.completed",
       "orders.order",
       {"state"},
       [&] {
         ov1::CompleteOrderRequest request;
         request.set_id(order.id());
         request.set_etag(order.etag());
         return orders->CompleteOrder(As().get(), request, &order);
       }},
      {"karton.orders.v1.OrderService/CancelOrder",
       "orders.order.cancelled",
       "orders.order",
       {"state", "cancel_reason"},
       [&] {
         ov1::CancelOrderRequest request;
         request.set_id(from_quotation.id());
         request.set_etag(from_quotation.etag());
         request.set_reason("a vevő visszalépett");
         return orders->CancelOrder(As().get(), request, &from_quotation);
       }},
      {"karton.invoicing.v1.InvoiceService/CreateInvoiceFromOrder",
       "invoicing.invoice.created",
       "invoicing.invoice",
       {},
       [&] {
         iv1::CreateInvoiceFromOrderRequest request;
         request.set_order_id(order.id());
         return invoices->CreateInvoiceFromOrder(As().get(), request, &order_invoice);
       }},
      {"karton.invoicing.v1.InvoiceService/CreateInvoice",
       "invoicing.invoice.created",
       "invoicing.invoice",
       {},
       [&] {
         iv1::CreateInvoiceRequest request;
         request.mutable_invoice()->set_partner_id(customer.id());
         service_line(request.mutable_invoice()->add_lines());
         return invoices->CreateInvoice(As().get(), request, &invoice);
       }},
      {"karton.invoicing.v1.InvoiceService/UpdateInvoice",
       "invoicing.invoice.updated",
       "invoicing.invoice",
       {"note"},
       [&] {
         iv1::UpdateInvoiceRequest request;
         request.mutable_invoice()->set_id(invoice.id());
         request.mutable_invoice()->set_etag(invoice.etag());
         request.mutable_invoice()->set_note("Szerződésszám: K-2026/17");
         request.mutable_update_mask()->add_paths("note");
         return invoices->UpdateInvoice(As().get(), request, &invoice);
       }},
      {"karton.invoicing.v1.InvoiceService/ShareInvoice",
       "invoicing.invoice.shared",
       "invoicing.invoice",
       {},
       [&] {
         iv1::ShareInvoiceRequest request;
         request.set_id(invoice.id());
         request.set_user_id(reseller.id);
         return invoices->ShareInvoice(As().get(), request, &invoice);
       }},
      {"karton.invoicing.v1.InvoiceService/UnshareInvoice",
       "invoicing.invoice.unshared",
       "invoicing.invoice",
       {},
       [&] {
         iv1::UnshareInvoiceRequest request;
         request.set_id(invoice.id());
         request.set_user_id(reseller.id);
         return invoices->UnshareInvoice(As().get(), request, &invoice);
       }},
      {"karton.invoicing.v1.InvoiceService/IssueInvoice",
       "invoicing.invoice.issued",
       "invoicing.invoice",
       {"state", "number"},
       [&] {
         iv1::IssueInvoiceRequest request;
         request.set_id(invoice.id());
         request.set_etag(invoice.etag());
         return invoices->IssueInvoice(As().get(), request, &invoice);
       }},
      {"karton.invoicing.v1.InvoiceService/IssueInvoice",
       "invoicing.invoice.issued",
       "invoicing.invoice",
       {"state", "number"},
       [&] {
         iv1::IssueInvoiceRequest request;
         request.set_id(order_invoice.id());
         request.set_etag(order_invoice.etag());
         return invoices->IssueInvoice(As().get(), request, &order_invoice);
       }},
      {"karton.invoicing.v1.PaymentService/RecordPayment",
       "invoicing.payment.recorded",
       "invoicing.payment",
       {},
       [&] {
         iv1::RecordPaymentRequest request;
         request.mutable_payment()->set_invoice_id(invoice.id());
         request.mutable_payment()->mutable_amount()->set_currency_code("HUF");
         request.mutable_payment()->mutable_amount()->set_minor_units(6'350'000);
         iv1::Payment payment;
         return payments->RecordPayment(As().get(), request, &payment);
       }},
      {"karton.invoicing.v1.InvoiceService/CreateCreditNote",
       "invoicing.invoice.created",
       "invoicing.invoice",
       {},
       [&] {
         iv1::CreateCreditNoteRequest request;
         request.set_invoice_id(invoice.id());
         request.set_kind(iv1::INVOICE_KIND_STORNO);
         request.set_reason("Elállás");
         return invoices->CreateCreditNote(As().get(), request, &storno);
       }},
      {"karton.invoicing.v1.PaymentService/RecordRefund",
       "invoicing.invoice.refunded",
       "invoicing.payment",
       {},
       [&] {
         iv1::RecordRefundRequest request;
         request.mutable_refund()->set_invoice_id(storno.id());
         request.mutable_refund()->mutable_amount()->set_currency_code("HUF");
         request.mutable_refund()->mutable_amount()->set_minor_units(2'000'000);
         request.mutable_refund()->set_method(iv1::PAYMENT_METHOD_CARD);
         iv1::Payment refund;
         return payments->RecordRefund(As().get(), request, &refund);
       }},
      {"karton.invoicing.v1.PaymentService/RecordOffset",
       "invoicing.invoice.offset",
       "invoicing.payment",
       {},
       [&] {
         iv1::RecordOffsetRequest request;
         request.set_credit_note_id(storno.id());
         request.set_invoice_id(order_invoice.id());
         request.mutable_amount()->set_currency_code("HUF");
         request.mutable_amount()->set_minor_units(1'000'000);
         iv1::Payment offset;
         return payments->RecordOffset(As().get(), request, &offset);
       }},
  };
  Walk("sales", steps);
}

}  // namespace
}  // namespace karton::testing
