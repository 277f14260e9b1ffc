#include "demo_data.h"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "catalogue/product_repository.h"
#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/module.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "orders/order_repository.h"
#include "pricing/price_list_repository.h"
#include "quotations/quotation_repository.h"
#include "quotations/quotation_service.h"
#include "sales/sales_documents.h"
#include "sales/sales_line_repository.h"
#include "sales/sales_lines.h"

namespace karton::orders {
namespace {

using sales_line_repository::Owner;

struct DemoProduct {
  const char* sku;
  const char* name;
  const char* unit;
  common::v1::VatCategory vat;
  std::int64_t huf;  // list price in forints
};

v1::SalesLine Line(std::int64_t product_id, const char* quantity, const char* discount = "") {
  v1::SalesLine line;
  line.set_product_id(product_id);
  line.set_quantity(quantity);
  line.set_discount_percent(discount);
  return line;
}

common::v1::Date DayIn(kernel::TimePoint now, int days) {
  const auto day = std::chrono::floor<std::chrono::days>(now) + std::chrono::days(days);
  const std::chrono::year_month_day ymd{day};
  common::v1::Date date;
  date.set_year(static_cast<int>(ymd.year()));
  date.set_month(static_cast<int>(static_cast<unsigned>(ymd.month())));
  date.set_day(static_cast<int>(static_cast<unsigned>(ymd.day())));
  return date;
}

void Require(const grpc::Status& status, const char* what) {
  if (!status.ok()) {
    throw std::runtime_error(std::string("orders demo data: ") + what + ": " +
                             status.error_message());
  }
}

}  // namespace

void LoadOrdersDemoData(kernel::ModuleContext& context, soci::session& session,
                        const OrdersSettings& settings) {
  const auto now = context.Time().Now();
  const std::vector<DemoProduct> catalogue = {
      {"KAZ-24", "Kondenzációs gázkazán 24 kW", "db", common::v1::VAT_CATEGORY_STANDARD_27,
       489'000},
      {"KAZ-35", "Kondenzációs gázkazán 35 kW", "db", common::v1::VAT_CATEGORY_STANDARD_27,
       629'000},
      {"TERM-WIFI", "Okostermosztát Wi-Fi", "db", common::v1::VAT_CATEGORY_STANDARD_27, 39'900},
      {"SZER-ORA", "Szerelési munkadíj", "óra", common::v1::VAT_CATEGORY_STANDARD_27, 14'500},
      {"KARB-EVES", "Éves karbantartás", "db", common::v1::VAT_CATEGORY_STANDARD_27, 29'900},
      {"KONYV-KEZ", "Kezelési kézikönyv (nyomtatott)", "db", common::v1::VAT_CATEGORY_REDUCED_5,
       4'990},
  };
  std::vector<std::int64_t> product_ids;
  for (const auto& demo : catalogue) {
    v1::Product product;
    product.set_sku(demo.sku);
    product.set_name(demo.name);
    product.set_unit(demo.unit);
    product.set_vat_category(demo.vat);
    product.mutable_list_price()->set_currency_code("HUF");
    product.mutable_list_price()->set_minor_units(demo.huf * 100);
    product.set_active(true);
    auto created = product_repository::Insert(session, product, now);
    if (!created) throw std::runtime_error("orders demo data: product SKU taken");
    product_ids.push_back(created->id());
  }

  // The first partners of the partners module's demo data are the customers.
  std::vector<std::int64_t> partners;
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id FROM partners.partner WHERE merged_into_id IS NULL AND erase_time IS NULL "
      "ORDER BY id LIMIT 4",
      {});
  for (int row = 0; row < rows.Count(); ++row) {
    partners.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  }
  if (partners.empty()) return;

  // A general euro price list for export customers, and the first
  // customer's own forint prices (an installer's discount).
  v1::PriceList euro;
  euro.set_name("Export árlista 2026");
  euro.set_currency_code("EUR");
  for (std::size_t i = 0; i < 3; ++i) {
    auto* item = euro.add_items();
    item->set_product_id(product_ids[i]);
    item->mutable_unit_price()->set_currency_code("EUR");
    item->mutable_unit_price()->set_minor_units(catalogue[i].huf * 100 / 395);
  }
  price_list_repository::Insert(session, euro, now);
  v1::PriceList own;
  own.set_name("Partnerár: kivitelező");
  own.set_currency_code("HUF");
  own.set_partner_id(partners[0]);
  for (std::size_t i : {std::size_t{0}, std::size_t{1}}) {
    auto* item = own.add_items();
    item->set_product_id(product_ids[i]);
    item->mutable_unit_price()->set_currency_code("HUF");
    item->mutable_unit_price()->set_minor_units(catalogue[i].huf * 100 * 92 / 100);
  }
  price_list_repository::Insert(session, own, now);

  const auto customer = [&](std::size_t i) { return partners[i % partners.size()]; };
  // Quotations: a fresh draft, one sent that expires in two days (its
  // orders.quotation.expiring notice is due), one rejected.
  struct DemoQuotation {
    std::int64_t partner;
    int valid_days;
    std::vector<v1::SalesLine> lines;
    const char* state;
  };
  const std::vector<DemoQuotation> quotations = {
      {customer(0), 30, {Line(product_ids[0], "2"), Line(product_ids[3], "6.5")}, "draft"},
      {customer(1), 2, {Line(product_ids[1], "1"), Line(product_ids[2], "1", "10")}, "sent"},
      {customer(2), 14, {Line(product_ids[4], "1")}, "rejected"},
  };
  for (const auto& demo : quotations) {
    v1::Quotation quotation;
    quotation.set_partner_id(demo.partner);
    quotation.set_currency_code("HUF");
    *quotation.mutable_valid_until() = DayIn(now, demo.valid_days);
    for (const auto& line : demo.lines) *quotation.add_lines() = line;
    Require(PriceDocument(session, *quotation.mutable_lines(), demo.partner, "HUF", now,
                          settings.time_zone, "quotation.", *quotation.mutable_totals()),
            "quotation lines");
    auto created = quotation_repository::Insert(session, quotation, 0, "", now, settings.time_zone);
    sales_line_repository::Replace(session, Owner::kQuotation, created->id(), quotation.lines());
    if (std::string(demo.state) == "rejected") {
      quotation_repository::SetState(session, created->id(), "rejected",
                                     "Másik ajánlatot fogadott el", 0, now);
    } else {
      if (std::string(demo.state) == "sent") {
        // Sent before the demo began: a sent time, no message (the demo
        // has no mail server).
        quotation_repository::MarkSent(session, created->id(), 0, now);
      }
      ScheduleQuotationExpiry(context.JobQueue(), session, *created, settings);
    }
  }

  // A purchase history, oldest first, for the customer reports (R3,
  // docs/reports.md): the second customer has bought every month for a
  // year (and again today, below: a champion); two further partners are
  // past customers only: one bought every three months and has been quiet
  // for eight (a churn risk), one bought once, two years ago (hibernating).
  std::vector<std::int64_t> past_customers;
  const auto past_rows = kernel::RunPrepared(
      session,
      "SELECT id FROM partners.partner WHERE merged_into_id IS NULL AND erase_time IS NULL "
      "ORDER BY id OFFSET 4 LIMIT 2",
      {});
  for (int row = 0; row < past_rows.Count(); ++row) {
    past_customers.push_back(kernel::ParseInt64(past_rows.Text(row, 0)).value_or(0));
  }
  struct PastPurchase {
    std::int64_t partner;
    int days_ago;
    std::vector<v1::SalesLine> lines;
  };
  std::vector<PastPurchase> history;
  if (past_customers.size() == 2) {
    history = {
        {past_customers[1], 700, {Line(product_ids[1], "1"), Line(product_ids[3], "6")}},
        {past_customers[0], 510, {Line(product_ids[0], "1"), Line(product_ids[3], "5")}},
        {past_customers[0], 420, {Line(product_ids[4], "1")}},
        {past_customers[0], 330, {Line(product_ids[2], "2")}},
        {past_customers[0], 240, {Line(product_ids[4], "1")}},
    };
  }
  for (int month = 11; month >= 1; --month) {
    history.push_back(
        {customer(1), month * 30, {Line(product_ids[3], "8"), Line(product_ids[2], "1", "5")}});
  }
  for (const auto& purchase : history) {
    const kernel::TimePoint when = now - std::chrono::days(purchase.days_ago);
    v1::Order order;
    order.set_partner_id(purchase.partner);
    order.set_currency_code("HUF");
    for (const auto& line : purchase.lines) *order.add_lines() = line;
    Require(PriceDocument(session, *order.mutable_lines(), order.partner_id(), "HUF", when,
                          settings.time_zone, "order.", *order.mutable_totals()),
            "past order lines");
    auto created = order_repository::Insert(session, order, 0, "", when, settings.time_zone);
    sales_line_repository::Replace(session, Owner::kOrder, created->id(), order.lines());
    for (const char* step : {"confirmed", "shipped", "delivered", "completed"}) {
      order_repository::SetState(session, created->id(), step, "", when);
    }
  }

  // Orders in every state a customer's order goes through.
  const std::vector<std::pair<const char*, std::vector<v1::SalesLine>>> orders = {
      {"draft", {Line(product_ids[2], "3")}},
      {"confirmed", {Line(product_ids[0], "1"), Line(product_ids[3], "4")}},
      {"shipped", {Line(product_ids[1], "1"), Line(product_ids[5], "1")}},
      {"completed", {Line(product_ids[4], "2")}},
      {"cancelled", {Line(product_ids[2], "1")}},
  };
  std::size_t next_customer = 0;
  for (const auto& [state, lines] : orders) {
    v1::Order order;
    order.set_partner_id(customer(next_customer++));
    order.set_currency_code("HUF");
    for (const auto& line : lines) *order.add_lines() = line;
    Require(PriceDocument(session, *order.mutable_lines(), order.partner_id(), "HUF", now,
                          settings.time_zone, "order.", *order.mutable_totals()),
            "order lines");
    auto created = order_repository::Insert(session, order, 0, "", now, settings.time_zone);
    sales_line_repository::Replace(session, Owner::kOrder, created->id(), order.lines());
    const std::string target = state;
    const std::vector<std::string> path =
        target == "confirmed" ? std::vector<std::string>{"confirmed"}
        : target == "shipped" ? std::vector<std::string>{"confirmed", "shipped"}
        : target == "completed"
            ? std::vector<std::string>{"confirmed", "shipped", "delivered", "completed"}
        : target == "cancelled" ? std::vector<std::string>{"cancelled"}
                                : std::vector<std::string>{};
    for (const auto& step : path) {
      order_repository::SetState(session, created->id(), step,
                                 step == "cancelled" ? "A vevő visszamondta" : "", now);
    }
  }
}

}  // namespace karton::orders
