// The orders module (docs/orders.md): the product catalogue, price lists,
// quotations and sales orders with their credit check.
#pragma once

#include <memory>

#include "karton/kernel/module.h"
#include "orders_settings.h"

namespace karton::orders {

class ProductServiceImpl;
class PriceListServiceImpl;
class QuotationServiceImpl;
class OrderServiceImpl;
class OrdersOverviewServiceImpl;
class GrpcPartnerDirectory;
class GrpcMessageSender;
class ExtensionCreditExposure;

class OrdersModule final : public kernel::Module {
 public:
  static constexpr KartonModuleOption kOptions[] = {
      {"time_zone", "text",
       "The time zone in which a quotation's valid_until day ends and prices of \"today\" are "
       "read (an IANA name PostgreSQL knows)",
       "Europe/Budapest", ""},
      {"quotation_expiring_days", "integer",
       "Days before a quotation's valid_until that orders.quotation.expiring is published, 0 to "
       "365",
       "3", ""},
      {"company_name", "text",
       "The company making offers, as quotations print it; SendQuotation needs it", "", ""},
      {"company_address", "text", "Its address on one line, e.g. \"1132 Budapest, Váci út 18.\"",
       "", ""},
      {"company_tax_number", "text", "Its tax number, printed on quotations", "", ""},
      {"company_email", "text",
       "Its email address, printed on quotations and where replies to them go", "", ""},
      {"company_phone", "text", "Its phone number, printed on quotations", "", ""},
  };

  OrdersModule();
  ~OrdersModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void Start(kernel::ModuleContext& context) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  OrdersSettings settings_;
  std::unique_ptr<GrpcPartnerDirectory> partners_;
  std::unique_ptr<ExtensionCreditExposure> exposure_;
  std::unique_ptr<GrpcMessageSender> mailer_;
  std::unique_ptr<ProductServiceImpl> products_;
  std::unique_ptr<PriceListServiceImpl> price_lists_;
  std::unique_ptr<QuotationServiceImpl> quotations_;
  std::unique_ptr<OrderServiceImpl> orders_;
  std::unique_ptr<OrdersOverviewServiceImpl> overview_;
};

}  // namespace karton::orders
