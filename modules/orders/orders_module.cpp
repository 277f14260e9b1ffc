#include "orders_module.h"

#include <stdexcept>

#include "catalogue/product_service.h"
#include "demo_data.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/options.h"
#include "karton/kernel/prepared_query.h"
#include "orders/order_service.h"
#include "overview_service.h"
#include "partner_directory.h"
#include "partner_events.h"
#include "pricing/price_list_service.h"
#include "quotations/quotation_mail.h"
#include "quotations/quotation_service.h"

namespace karton::orders {

OrdersModule::OrdersModule() = default;
OrdersModule::~OrdersModule() = default;

void OrdersModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  OrdersSettings& settings = settings_;
  settings.time_zone = context.Option("time_zone").value_or(settings.time_zone);
  settings.quotation_expiring_days = static_cast<int>(kernel::IntegerOption(
      context, "quotation_expiring_days", settings.quotation_expiring_days, 0, 365));
  settings.company.name = context.Option("company_name").value_or("");
  settings.company.address = context.Option("company_address").value_or("");
  settings.company.tax_number = context.Option("company_tax_number").value_or("");
  settings.company.email = context.Option("company_email").value_or("");
  settings.company.phone = context.Option("company_phone").value_or("");

  // The channel and the extension offers exist from Start() on; they are
  // read at each call.
  auto channel = [&context] { return context.Channel(); };
  partners_ = std::make_unique<GrpcPartnerDirectory>(channel);
  exposure_ = std::make_unique<ExtensionCreditExposure>(
      channel, [&context] { return context.Extensions(kCreditExposurePoint); });
  mailer_ = std::make_unique<GrpcMessageSender>(channel);

  kernel::ServiceParts parts = kernel::PartsOf(context);
  ProductServiceImpl::DeclareTopics(context.Events());
  PriceListServiceImpl::DeclareTopics(context.Events());
  QuotationServiceImpl::DeclareTopics(context.Events());
  OrderServiceImpl::DeclareTopics(context.Events());
  products_ = std::make_unique<ProductServiceImpl>(parts);
  price_lists_ = std::make_unique<PriceListServiceImpl>(parts, *partners_, settings);
  quotations_ = std::make_unique<QuotationServiceImpl>(parts, context.JobQueue(), *partners_,
                                                       *mailer_, settings);
  orders_ = std::make_unique<OrderServiceImpl>(parts, *partners_, *exposure_, settings);
  overview_ = std::make_unique<OrdersOverviewServiceImpl>(parts, *partners_);

  context.Events().Subscribe("partner_merges", {"partners.partner.merged"}, FollowPartnerMerge);

  context.JobQueue().Handle(QuotationServiceImpl::kExpireJob,
                            [this](const kernel::JobRun& run) { quotations_->Expire(run); });
  context.JobQueue().Handle(QuotationServiceImpl::kExpiringJob, [this](const kernel::JobRun& run) {
    quotations_->AnnounceExpiring(run);
  });

  registrar.AddGrpcService(*products_, v1::ProductService::service_full_name(),
                           ProductServiceImpl::Roles());
  registrar.AddGrpcService(*price_lists_, v1::PriceListService::service_full_name(),
                           PriceListServiceImpl::Roles());
  registrar.AddGrpcService(*quotations_, v1::QuotationService::service_full_name(),
                           QuotationServiceImpl::Roles());
  registrar.AddGrpcService(*orders_, v1::OrderService::service_full_name(),
                           OrderServiceImpl::Roles());
  registrar.AddGrpcService(*overview_, v1::OrdersOverviewService::service_full_name(),
                           OrdersOverviewServiceImpl::Roles());
  // The partner card's section (the CRM's customer overview).
  registrar.OfferExtension(kOverviewSectionPoint,
                           "/karton.orders.v1.OrdersOverviewService/CustomerOverviewSection");
}

void OrdersModule::Start(kernel::ModuleContext& context) {
  // A time zone PostgreSQL does not know stops kartond here, by name,
  // rather than failing every quotation later.
  const std::string& zone = settings_.time_zone;
  auto lease = context.Db().Acquire();
  const auto rows = kernel::RunPrepared(
      lease.Session(), "SELECT count(*) FROM pg_timezone_names WHERE name = $1", {zone});
  if (rows.Text(0, 0) == "0") {
    throw std::invalid_argument(
        "--module-option orders.time_zone: PostgreSQL knows no time zone '" + zone + "'");
  }
}

void OrdersModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadOrdersDemoData(context, session, settings_);
}

}  // namespace karton::orders
