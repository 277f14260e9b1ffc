// karton products|pricelists|quotes|orders ...: the orders module
// (docs/orders.md).
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
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "karton/orders/v1/price_list_service.grpc.pb.h"
#include "karton/orders/v1/product_service.grpc.pb.h"
#include "karton/orders/v1/quotation_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace ov1 = orders::v1;
using Products = ov1::ProductService::Stub;
using PriceLists = ov1::PriceListService::Stub;
using Quotations = ov1::QuotationService::Stub;
using Orders = ov1::OrderService::Stub;

const std::vector<std::string> kVatCategories = {
    "standard_27",         "reduced_18",       "reduced_5",        "zero",
    "exempt_aam",          "exempt_tam",       "exempt_kbaet",     "exempt_kbauk",
    "exempt_eam",          "exempt_nam",       "out_of_scope_atk", "out_of_scope_eufad37",
    "out_of_scope_eufade", "out_of_scope_eue", "out_of_scope_ho",  "domestic_reverse_charge"};
const std::vector<std::string> kQuotationStates = {"draft", "sent", "accepted", "rejected",
                                                   "expired"};
const std::vector<std::string> kOrderStates = {"draft",     "confirmed", "shipped",
                                               "delivered", "completed", "cancelled"};

struct Options {
  std::int64_t id = 0, partner = 0, contact = 0, opportunity = 0, owner = 0, user = 0, team = 0;
  std::string etag, sku, name, unit, vat, price, description, currency, query, state, reason;
  std::string valid_until, valid_from, note, request_id, page_token, date;
  std::string address, reply_to, template_name, language, message;
  std::vector<std::string> lines, items, cc;
  std::vector<std::int64_t> products;
  bool inactive = false, deactivate = false;
  int limit = 50;
};

template <typename Request>
Request For(const Options& bound) {
  Request request;
  request.set_id(bound.id);
  if constexpr (requires { request.set_etag(bound.etag); }) request.set_etag(bound.etag);
  return request;
}

CLI::App* WithId(CLI::App* command, Options& bound) {
  command->add_option("id", bound.id)->required();
  return command;
}

CLI::App* WithOptionalEtag(CLI::App* command, Options& bound) {
  command->add_option("--etag", bound.etag, "From `get`; refused (ABORTED) when it changed since");
  return WithId(command, bound);
}

void AddPaging(CLI::App* command, Options& bound) {
  command->add_option("--limit", bound.limit, "At most 1000")->capture_default_str();
  command->add_option("--page-token", bound.page_token, "From the previous page");
}

// "12:2.5" or "12:2.5:10": product 12, quantity 2.5, 10% off; "" for the
// price from the partner's price list.
ov1::SalesLine ParseLine(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || !IsNumber(parts[0])) {
    throw UsageError(
        "--line takes PRODUCT_ID:QUANTITY[:DISCOUNT_PERCENT], such as 12:2.5 or "
        "12:1:10, not '" +
        text + "'");
  }
  ov1::SalesLine line;
  line.set_product_id(std::stoll(parts[0]));
  line.set_quantity(parts[1]);
  if (parts.size() == 3) line.set_discount_percent(parts[2]);
  return line;
}

// "12=45000 HUF": product 12 at 45,000 Ft on a price list.
ov1::PriceListItem ParseItem(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || !IsNumber(text.substr(0, equals))) {
    throw UsageError("--item takes PRODUCT_ID=PRICE, such as '12=45000 HUF', not '" + text + "'");
  }
  ov1::PriceListItem item;
  item.set_product_id(std::stoll(text.substr(0, equals)));
  *item.mutable_unit_price() = ParseMoney(text.substr(equals + 1), "--item");
  return item;
}

std::string DateText(const common::v1::Date& date) {
  if (date.year() == 0) return "";
  return fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
}

// --- output

void PrintProducts(const ov1::ListProductsResponse& response) {
  constexpr auto kRow = "{:>6}  {:<14} {:<36} {:<6} {:<12} {:>16} {}\n";
  std::cout << fmt::format(kRow, "ID", "SKU", "NAME", "UNIT", "VAT", "LIST PRICE", "ACTIVE");
  for (const auto& product : response.products()) {
    std::cout << fmt::format(kRow, product.id(), Cut(product.sku(), 14), Cut(product.name(), 36),
                             Cut(product.unit(), 6), Word(product.vat_category(), "VAT_CATEGORY_"),
                             FormatMoney(product.list_price()), product.active() ? "yes" : "no");
  }
  MorePages(response.next_page_token());
}

void PrintProduct(const ov1::Product& product) {
  std::cout << fmt::format("product {}: {} ({})\n", product.id(), product.name(), product.sku());
  Lines("unit", product.unit(), "vat", Word(product.vat_category(), "VAT_CATEGORY_"), "list price",
        FormatMoney(product.list_price()), "active", product.active() ? "yes" : "no", "description",
        product.description(), "etag", product.etag());
}

void PrintPriceLists(const ov1::ListPriceListsResponse& response) {
  constexpr auto kRow = "{:>6}  {:<32} {:<4} {:>8} {:<10} {}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "CUR", "PARTNER", "FROM", "UNTIL");
  for (const auto& list : response.price_lists()) {
    std::cout << fmt::format(kRow, list.id(), Cut(list.name(), 32), list.currency_code(),
                             Id(list.partner_id()), DateText(list.valid_from()),
                             DateText(list.valid_until()));
  }
  MorePages(response.next_page_token());
}

void PrintPriceList(const ov1::PriceList& list) {
  std::cout << fmt::format("price list {}: {} ({})\n", list.id(), list.name(),
                           list.currency_code());
  Lines("partner", Id(list.partner_id()), "valid from", DateText(list.valid_from()), "valid until",
        DateText(list.valid_until()), "etag", list.etag());
  for (const auto& item : list.items()) {
    std::cout << fmt::format("  product {:>6}  {:>16}\n", item.product_id(),
                             FormatMoney(item.unit_price()));
  }
}

void PrintLines(const google::protobuf::RepeatedPtrField<ov1::SalesLine>& lines,
                const ov1::SalesTotals& totals) {
  constexpr auto kRow = "  {:>3} {:<34} {:>9} {:<5} {:>16} {:>6} {:<12} {:>16}\n";
  std::cout << fmt::format(kRow, "#", "ITEM", "QTY", "UNIT", "UNIT PRICE", "DISC%", "VAT", "NET");
  for (const auto& line : lines) {
    std::cout << fmt::format(kRow, line.position(), Cut(line.description(), 34), line.quantity(),
                             Cut(line.unit(), 5), FormatMoney(line.unit_price()),
                             line.discount_percent(), Word(line.vat_category(), "VAT_CATEGORY_"),
                             FormatMoney(line.net_amount()));
  }
  for (const auto& category : totals.by_category()) {
    std::cout << fmt::format(
        "  VAT {:<24} net {:>16}  VAT {:>16}\n", Word(category.vat_category(), "VAT_CATEGORY_"),
        FormatMoney(category.net_amount()), FormatMoney(category.vat_amount()));
  }
  Lines("net", FormatMoney(totals.net_amount()), "vat", FormatMoney(totals.vat_amount()), "gross",
        FormatMoney(totals.gross_amount()));
}

void PrintQuotations(const ov1::ListQuotationsResponse& response) {
  constexpr auto kRow = "{:>6}  {:<16} {:<9} {:>8} {:<10} {:>18}\n";
  std::cout << fmt::format(kRow, "ID", "NUMBER", "STATE", "PARTNER", "VALID TO", "GROSS");
  for (const auto& quotation : response.quotations()) {
    std::cout << fmt::format(kRow, quotation.id(), quotation.number(),
                             Word(quotation.state(), "QUOTATION_STATE_"), quotation.partner_id(),
                             DateText(quotation.valid_until()),
                             FormatMoney(quotation.totals().gross_amount()));
  }
  MorePages(response.next_page_token());
}

void PrintQuotation(const ov1::Quotation& quotation) {
  std::cout << fmt::format("quotation {} ({}): {}\n", quotation.number(), quotation.id(),
                           Word(quotation.state(), "QUOTATION_STATE_"));
  Lines("partner", Id(quotation.partner_id()), "contact", Id(quotation.contact_id()), "opportunity",
        Id(quotation.opportunity_id()), "valid until", DateText(quotation.valid_until()), "owner",
        Who(quotation.owner_user_id(), 0), "order", Id(quotation.order_id()), "reason",
        quotation.reject_reason(), "note", quotation.note(), "sent",
        quotation.has_sent_time() ? Time(quotation.sent_time()) : "", "sent as message",
        Id(quotation.sent_message_id()), "etag", quotation.etag());
  PrintLines(quotation.lines(), quotation.totals());
}

void PrintSentQuotation(const ov1::SendQuotationResponse& response) {
  std::cout << fmt::format("emailed {} as message {}\n", response.file_name(),
                           response.message_id());
  PrintQuotation(response.quotation());
}

void PrintOrders(const ov1::ListOrdersResponse& response) {
  constexpr auto kRow = "{:>6}  {:<16} {:<10} {:>8} {:<16} {:>18}\n";
  std::cout << fmt::format(kRow, "ID", "NUMBER", "STATE", "PARTNER", "CREATED", "GROSS");
  for (const auto& order : response.orders()) {
    std::cout << fmt::format(kRow, order.id(), order.number(), Word(order.state(), "ORDER_STATE_"),
                             order.partner_id(), Time(order.create_time()),
                             FormatMoney(order.totals().gross_amount()));
  }
  MorePages(response.next_page_token());
}

void PrintOrder(const ov1::Order& order) {
  std::cout << fmt::format("order {} ({}): {}\n", order.number(), order.id(),
                           Word(order.state(), "ORDER_STATE_"));
  Lines("partner", Id(order.partner_id()), "contact", Id(order.contact_id()), "quotation",
        Id(order.quotation_id()), "owner", Who(order.owner_user_id(), 0), "confirmed",
        order.has_confirm_time() ? Time(order.confirm_time()) : "", "credit override",
        order.credit_override_reason(), "shipped",
        order.has_ship_time() ? Time(order.ship_time()) : "", "delivered",
        order.has_deliver_time() ? Time(order.deliver_time()) : "", "completed",
        order.has_complete_time() ? Time(order.complete_time()) : "", "cancelled",
        order.has_cancel_time() ? Time(order.cancel_time()) : "", "reason", order.cancel_reason(),
        "note", order.note(), "etag", order.etag());
  PrintLines(order.lines(), order.totals());
}

// --- commands

void AddProductCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* products = app.add_subcommand("products", "The product catalogue")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(products->add_subcommand("list", "Products by SKU"),
                    {"karton.orders.v1.ProductService/ListProducts"});
  list->add_option("--query", bound->query, "SKU or name contains this");
  list->add_flag("--inactive", bound->inactive, "Inactive products too");
  AddPaging(list, *bound);
  list->callback(Run(options, exit_code, [&options, bound] {
    ov1::ListProductsRequest request;
    request.set_query(bound->query);
    request.set_include_inactive(bound->inactive);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Products::ListProducts, request, PrintProducts);
  }));

  WithId(Rpcs(products->add_subcommand("get", "One product"),
              {"karton.orders.v1.ProductService/GetProduct"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Products::GetProduct, For<ov1::GetProductRequest>(*bound),
                    PrintProduct);
      }));

  auto* create = Rpcs(products->add_subcommand("create", "A product or service"),
                      {"karton.orders.v1.ProductService/CreateProduct"});
  create->add_option("--sku", bound->sku, "Unique, at most 64 characters")->required();
  create->add_option("--name", bound->name, "As printed on documents")->required();
  AddChoice(create, "--vat", bound->vat, kVatCategories)->required();
  create->add_option("--unit", bound->unit, "db, óra, m2, ...; default db");
  create->add_option("--price", bound->price, "List price, e.g. '489000 HUF'");
  create->add_option("--description", bound->description, "For people");
  create->callback(Run(options, exit_code, [&options, bound] {
    ov1::CreateProductRequest request;
    auto& product = *request.mutable_product();
    product.set_sku(bound->sku);
    product.set_name(bound->name);
    product.set_unit(bound->unit);
    product.set_vat_category(FromWord<common::v1::VatCategory>(bound->vat, "VAT_CATEGORY_"));
    if (!bound->price.empty()) *product.mutable_list_price() = ParseMoney(bound->price, "--price");
    product.set_description(bound->description);
    return Call(options, &Products::CreateProduct, request, PrintProduct);
  }));

  auto* update = WithOptionalEtag(Rpcs(products->add_subcommand("update", "Change a product"),
                                       {"karton.orders.v1.ProductService/UpdateProduct"}),
                                  *bound);
  update->add_option("--name", bound->name, "New name");
  update->add_option("--price", bound->price, "New list price, e.g. '499000 HUF'");
  AddChoice(update, "--vat", bound->vat, kVatCategories);
  update->add_flag("--deactivate", bound->deactivate, "Keep it off new documents");
  update->callback(Run(options, exit_code, [&options, bound] {
    ov1::UpdateProductRequest request;
    auto& product = *request.mutable_product();
    product.set_id(bound->id);
    product.set_etag(bound->etag);
    if (!bound->name.empty()) {
      product.set_name(bound->name);
      request.mutable_update_mask()->add_paths("name");
    }
    if (!bound->price.empty()) {
      *product.mutable_list_price() = ParseMoney(bound->price, "--price");
      request.mutable_update_mask()->add_paths("list_price");
    }
    if (!bound->vat.empty()) {
      product.set_vat_category(FromWord<common::v1::VatCategory>(bound->vat, "VAT_CATEGORY_"));
      request.mutable_update_mask()->add_paths("vat_category");
    }
    if (bound->deactivate) request.mutable_update_mask()->add_paths("active");
    if (request.update_mask().paths().empty()) {
      throw UsageError("give --name, --price, --vat or --deactivate");
    }
    return Call(options, &Products::UpdateProduct, request, PrintProduct);
  }));
}

void AddPriceListCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* lists =
      app.add_subcommand("pricelists", "Price lists and partners' prices")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(lists->add_subcommand("list", "Price lists, newest first"),
                    {"karton.orders.v1.PriceListService/ListPriceLists"});
  list->add_option("--partner", bound->partner, "That partner's own");
  AddPaging(list, *bound);
  list->callback(Run(options, exit_code, [&options, bound] {
    ov1::ListPriceListsRequest request;
    request.set_partner_id(bound->partner);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &PriceLists::ListPriceLists, request, PrintPriceLists);
  }));

  WithId(Rpcs(lists->add_subcommand("get", "One price list with its prices"),
              {"karton.orders.v1.PriceListService/GetPriceList"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &PriceLists::GetPriceList, For<ov1::GetPriceListRequest>(*bound),
                    PrintPriceList);
      }));

  auto* create = Rpcs(lists->add_subcommand("create", "A price list"),
                      {"karton.orders.v1.PriceListService/CreatePriceList"});
  create->add_option("--name", bound->name, "For people")->required();
  create->add_option("--currency", bound->currency, "HUF or EUR")->required();
  create->add_option("--partner", bound->partner, "Makes it that partner's own");
  create->add_option("--valid-from", bound->valid_from, "YYYY-MM-DD");
  create->add_option("--valid-until", bound->valid_until, "YYYY-MM-DD");
  create->add_option("--item", bound->items, "PRODUCT_ID=PRICE, e.g. '12=45000 HUF'; repeat");
  create->callback(Run(options, exit_code, [&options, bound] {
    ov1::CreatePriceListRequest request;
    auto& price_list = *request.mutable_price_list();
    price_list.set_name(bound->name);
    price_list.set_currency_code(bound->currency);
    price_list.set_partner_id(bound->partner);
    if (!bound->valid_from.empty()) {
      *price_list.mutable_valid_from() = ParseDate(bound->valid_from, "--valid-from");
    }
    if (!bound->valid_until.empty()) {
      *price_list.mutable_valid_until() = ParseDate(bound->valid_until, "--valid-until");
    }
    for (const auto& item : bound->items) *price_list.add_items() = ParseItem(item);
    return Call(options, &PriceLists::CreatePriceList, request, PrintPriceList);
  }));

  auto* update = WithOptionalEtag(
      Rpcs(lists->add_subcommand("update", "Change a price list; --item replaces every price"),
           {"karton.orders.v1.PriceListService/UpdatePriceList"}),
      *bound);
  update->add_option("--name", bound->name, "For people");
  update->add_option("--partner", bound->partner, "That partner's own (0: everybody's)");
  update->add_option("--valid-from", bound->valid_from, "YYYY-MM-DD");
  update->add_option("--valid-until", bound->valid_until, "YYYY-MM-DD");
  update->add_option("--item", bound->items, "PRODUCT_ID=PRICE, e.g. '12=45000 HUF'; repeat");
  update->callback(Run(options, exit_code, [&options, bound, update] {
    ov1::UpdatePriceListRequest request;
    auto& price_list = *request.mutable_price_list();
    price_list.set_id(bound->id);
    price_list.set_etag(bound->etag);
    price_list.set_name(bound->name);
    price_list.set_partner_id(bound->partner);
    if (!bound->valid_from.empty()) {
      *price_list.mutable_valid_from() = ParseDate(bound->valid_from, "--valid-from");
    }
    if (!bound->valid_until.empty()) {
      *price_list.mutable_valid_until() = ParseDate(bound->valid_until, "--valid-until");
    }
    for (const auto& item : bound->items) *price_list.add_items() = ParseItem(item);
    MaskGiven(update, *request.mutable_update_mask(),
              {{"--name", "name"},
               {"--partner", "partner_id"},
               {"--valid-from", "valid_from"},
               {"--valid-until", "valid_until"},
               {"--item", "items"}});
    return Call(options, &PriceLists::UpdatePriceList, request, PrintPriceList);
  }));

  auto* price = Rpcs(lists->add_subcommand("price", "The price a partner gets for a product"),
                     {"karton.orders.v1.PriceListService/ResolvePrice"});
  price->add_option("--product", bound->id, "Product id")->required();
  price->add_option("--partner", bound->partner, "Default: the general price");
  price->add_option("--currency", bound->currency, "HUF or EUR")->default_val("HUF");
  price->add_option("--date", bound->date, "YYYY-MM-DD; default today");
  price->callback(Run(options, exit_code, [&options, bound] {
    ov1::ResolvePriceRequest request;
    request.set_product_id(bound->id);
    request.set_partner_id(bound->partner);
    request.set_currency_code(bound->currency);
    if (!bound->date.empty()) *request.mutable_date() = ParseDate(bound->date, "--date");
    return Call(options, &PriceLists::ResolvePrice, request,
                [](const ov1::ResolvePriceResponse& response) {
                  std::cout << FormatMoney(response.unit_price())
                            << (response.price_list_id() == 0
                                    ? " (list price)"
                                    : fmt::format(" (price list {})", response.price_list_id()))
                            << "\n";
                });
  }));
}

void AddQuotationCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* quotes = app.add_subcommand("quotes", "Quotations to partners")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(quotes->add_subcommand("list", "Quotations, newest first"),
                    {"karton.orders.v1.QuotationService/ListQuotations"});
  list->add_option("--partner", bound->partner, "Of this partner");
  AddChoice(list, "--state", bound->state, kQuotationStates);
  list->add_option("--opportunity", bound->opportunity, "Of this opportunity");
  list->add_option("--owner", bound->owner, "Owned by this user");
  AddPaging(list, *bound);
  list->callback(Run(options, exit_code, [&options, bound] {
    ov1::ListQuotationsRequest request;
    request.set_partner_id(bound->partner);
    request.set_state(FromWord<ov1::QuotationState>(bound->state, "QUOTATION_STATE_"));
    request.set_opportunity_id(bound->opportunity);
    request.set_owner_user_id(bound->owner);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Quotations::ListQuotations, request, PrintQuotations);
  }));

  WithId(Rpcs(quotes->add_subcommand("get", "One quotation with its lines"),
              {"karton.orders.v1.QuotationService/GetQuotation"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Quotations::GetQuotation, For<ov1::GetQuotationRequest>(*bound),
                    PrintQuotation);
      }));

  auto* create = Rpcs(quotes->add_subcommand("create", "A draft quotation"),
                      {"karton.orders.v1.QuotationService/CreateQuotation"});
  create->add_option("--partner", bound->partner, "The customer")->required();
  create->add_option("--valid-until", bound->valid_until, "YYYY-MM-DD, the last day")->required();
  create->add_option("--line", bound->lines, "PRODUCT_ID:QUANTITY[:DISCOUNT%]; repeat")->required();
  create->add_option("--currency", bound->currency, "HUF (default) or EUR");
  create->add_option("--contact", bound->contact, "A contact of the partner");
  create->add_option("--opportunity", bound->opportunity, "The CRM opportunity it belongs to");
  create->add_option("--note", bound->note, "Printed on the quotation");
  create->add_option("--request-id", bound->request_id, "The same id twice creates one");
  create->callback(Run(options, exit_code, [&options, bound] {
    ov1::CreateQuotationRequest request;
    auto& quotation = *request.mutable_quotation();
    quotation.set_partner_id(bound->partner);
    quotation.set_contact_id(bound->contact);
    quotation.set_opportunity_id(bound->opportunity);
    quotation.set_currency_code(bound->currency);
    quotation.set_note(bound->note);
    *quotation.mutable_valid_until() = ParseDate(bound->valid_until, "--valid-until");
    for (const auto& line : bound->lines) *quotation.add_lines() = ParseLine(line);
    request.set_request_id(bound->request_id);
    return Call(options, &Quotations::CreateQuotation, request, PrintQuotation);
  }));

  auto* update = WithOptionalEtag(
      Rpcs(quotes->add_subcommand("update", "Change a draft; --line replaces every line"),
           {"karton.orders.v1.QuotationService/UpdateQuotation"}),
      *bound);
  update->add_option("--valid-until", bound->valid_until, "YYYY-MM-DD, the last day");
  update->add_option("--line", bound->lines, "PRODUCT_ID:QUANTITY[:DISCOUNT%]; repeat");
  update->add_option("--currency", bound->currency, "HUF or EUR");
  update->add_option("--contact", bound->contact, "A contact of the partner");
  update->add_option("--opportunity", bound->opportunity, "The CRM opportunity it belongs to");
  update->add_option("--note", bound->note, "Printed on the quotation");
  update->add_option("--owner", bound->owner, "The owning user");
  update->callback(Run(options, exit_code, [&options, bound, update] {
    ov1::UpdateQuotationRequest request;
    auto& quotation = *request.mutable_quotation();
    quotation.set_id(bound->id);
    quotation.set_etag(bound->etag);
    if (!bound->valid_until.empty()) {
      *quotation.mutable_valid_until() = ParseDate(bound->valid_until, "--valid-until");
    }
    for (const auto& line : bound->lines) *quotation.add_lines() = ParseLine(line);
    quotation.set_currency_code(bound->currency);
    quotation.set_contact_id(bound->contact);
    quotation.set_opportunity_id(bound->opportunity);
    quotation.set_note(bound->note);
    quotation.set_owner_user_id(bound->owner);
    MaskGiven(update, *request.mutable_update_mask(),
              {{"--valid-until", "valid_until"},
               {"--line", "lines"},
               {"--currency", "currency_code"},
               {"--contact", "contact_id"},
               {"--opportunity", "opportunity_id"},
               {"--note", "note"},
               {"--owner", "owner_user_id"}});
    return Call(options, &Quotations::UpdateQuotation, request, PrintQuotation);
  }));

  WithOptionalEtag(Rpcs(quotes->add_subcommand("accept", "Accept it: a draft order is made"),
                        {"karton.orders.v1.QuotationService/AcceptQuotation"}),
                   *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Quotations::AcceptQuotation, For<ov1::AcceptQuotationRequest>(*bound),
                    [](const ov1::AcceptQuotationResponse& response) {
                      PrintQuotation(response.quotation());
                      PrintOrder(response.order());
                    });
      }));

  AddShareCommand(quotes, "share", "Let an external partner or a team see it", options, exit_code,
                  bound, "karton.orders.v1.QuotationService/ShareQuotation",
                  &Quotations::ShareQuotation, PrintQuotation);
  AddShareCommand(quotes, "unshare", "Take a share back", options, exit_code, bound,
                  "karton.orders.v1.QuotationService/UnshareQuotation",
                  &Quotations::UnshareQuotation, PrintQuotation);

  auto* send =
      WithOptionalEtag(Rpcs(quotes->add_subcommand(
                                "send", "Email it to the customer as a PDF (the messaging module)"),
                            {"karton.orders.v1.QuotationService/SendQuotation"}),
                       *bound);
  send->add_option("--contact", bound->contact, "To this contact (default: the quotation's)");
  send->add_option("--to", bound->address, "To this address instead");
  send->add_option("--cc", bound->cc, "Also to this address; repeat");
  send->add_option("--reply-to", bound->reply_to, "Where replies go");
  send->add_option("--template", bound->template_name, "A messaging template instead of the text");
  AddChoice(send, "--language", bound->language, {"hu", "en"});
  send->add_option("--message", bound->message, "A personal note in the email");
  send->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<ov1::SendQuotationRequest>(*bound);
    request.set_contact_id(bound->contact);
    request.set_address(bound->address);
    for (const auto& address : bound->cc) request.add_cc(address);
    request.set_reply_to(bound->reply_to);
    request.set_template_name(bound->template_name);
    request.set_language(bound->language);
    request.set_message(bound->message);
    return Call(options, &Quotations::SendQuotation, request, PrintSentQuotation);
  }));

  auto* reject = WithOptionalEtag(Rpcs(quotes->add_subcommand("reject", "The customer said no"),
                                       {"karton.orders.v1.QuotationService/RejectQuotation"}),
                                  *bound);
  reject->add_option("--reason", bound->reason, "Why")->required();
  reject->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<ov1::RejectQuotationRequest>(*bound);
    request.set_reason(bound->reason);
    return Call(options, &Quotations::RejectQuotation, request, PrintQuotation);
  }));
}

void AddSalesOrderCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* orders = app.add_subcommand("orders", "Sales orders")->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* list = Rpcs(orders->add_subcommand("list", "Orders, newest first"),
                    {"karton.orders.v1.OrderService/ListOrders"});
  list->add_option("--partner", bound->partner, "Of this partner");
  AddChoice(list, "--state", bound->state, kOrderStates);
  list->add_option("--owner", bound->owner, "Owned by this user");
  AddPaging(list, *bound);
  list->callback(Run(options, exit_code, [&options, bound] {
    ov1::ListOrdersRequest request;
    request.set_partner_id(bound->partner);
    request.set_state(FromWord<ov1::OrderState>(bound->state, "ORDER_STATE_"));
    request.set_owner_user_id(bound->owner);
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Orders::ListOrders, request, PrintOrders);
  }));

  WithId(Rpcs(orders->add_subcommand("get", "One order with its lines"),
              {"karton.orders.v1.OrderService/GetOrder"}),
         *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Orders::GetOrder, For<ov1::GetOrderRequest>(*bound), PrintOrder);
      }));

  auto* create = Rpcs(orders->add_subcommand("create", "A draft order"),
                      {"karton.orders.v1.OrderService/CreateOrder"});
  create->add_option("--partner", bound->partner, "The customer")->required();
  create->add_option("--line", bound->lines, "PRODUCT_ID:QUANTITY[:DISCOUNT%]; repeat")->required();
  create->add_option("--currency", bound->currency, "HUF (default) or EUR");
  create->add_option("--contact", bound->contact, "A contact of the partner");
  create->add_option("--note", bound->note, "Printed on the order");
  create->add_option("--request-id", bound->request_id, "The same id twice creates one");
  create->callback(Run(options, exit_code, [&options, bound] {
    ov1::CreateOrderRequest request;
    auto& order = *request.mutable_order();
    order.set_partner_id(bound->partner);
    order.set_contact_id(bound->contact);
    order.set_currency_code(bound->currency);
    order.set_note(bound->note);
    for (const auto& line : bound->lines) *order.add_lines() = ParseLine(line);
    request.set_request_id(bound->request_id);
    return Call(options, &Orders::CreateOrder, request, PrintOrder);
  }));

  auto* update = WithOptionalEtag(
      Rpcs(orders->add_subcommand("update", "Change a draft; --line replaces every line"),
           {"karton.orders.v1.OrderService/UpdateOrder"}),
      *bound);
  update->add_option("--line", bound->lines, "PRODUCT_ID:QUANTITY[:DISCOUNT%]; repeat");
  update->add_option("--currency", bound->currency, "HUF or EUR");
  update->add_option("--contact", bound->contact, "A contact of the partner");
  update->add_option("--note", bound->note, "Printed on the order");
  update->add_option("--owner", bound->owner, "The owning user");
  update->callback(Run(options, exit_code, [&options, bound, update] {
    ov1::UpdateOrderRequest request;
    auto& order = *request.mutable_order();
    order.set_id(bound->id);
    order.set_etag(bound->etag);
    for (const auto& line : bound->lines) *order.add_lines() = ParseLine(line);
    order.set_currency_code(bound->currency);
    order.set_contact_id(bound->contact);
    order.set_note(bound->note);
    order.set_owner_user_id(bound->owner);
    MaskGiven(update, *request.mutable_update_mask(),
              {{"--line", "lines"},
               {"--currency", "currency_code"},
               {"--contact", "contact_id"},
               {"--note", "note"},
               {"--owner", "owner_user_id"}});
    return Call(options, &Orders::UpdateOrder, request, PrintOrder);
  }));

  auto* purchasers = Rpcs(
      orders->add_subcommand("purchasers", "The partners who bought (a confirmed order), by id"),
      {"karton.orders.v1.OrderService/ListPurchasers"});
  purchasers->add_option("--product", bound->products, "Of any of these products, repeatable");
  purchasers->add_option("--since", bound->date, "Orders confirmed at or after (RFC 3339)");
  purchasers->add_option("--limit", bound->limit, "At most 10000")->capture_default_str();
  purchasers->add_option("--page-token", bound->page_token, "From the previous page");
  purchasers->callback(Run(options, exit_code, [&options, bound] {
    ov1::ListPurchasersRequest request;
    for (const auto product : bound->products) request.add_product_ids(product);
    if (!bound->date.empty()) ParseTime(bound->date, "--since", request.mutable_since());
    request.set_page_size(bound->limit);
    request.set_page_token(bound->page_token);
    return Call(options, &Orders::ListPurchasers, request,
                [](const ov1::ListPurchasersResponse& response) {
                  std::cout << "PARTNER\n";
                  for (const auto id : response.partner_ids()) std::cout << id << "\n";
                  MorePages(response.next_page_token());
                });
  }));

  auto* confirm =
      WithOptionalEtag(Rpcs(orders->add_subcommand("confirm", "Promise it (the credit check)"),
                            {"karton.orders.v1.OrderService/ConfirmOrder"}),
                       *bound);
  confirm->add_option("--override-credit", bound->reason,
                      "Why it may go over the credit limit (sales managers, accounting)");
  confirm->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<ov1::ConfirmOrderRequest>(*bound);
    request.set_credit_override_reason(bound->reason);
    return Call(options, &Orders::ConfirmOrder, request, PrintOrder);
  }));

  WithOptionalEtag(Rpcs(orders->add_subcommand("ship", "Mark it shipped"),
                        {"karton.orders.v1.OrderService/MarkShipped"}),
                   *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Orders::MarkShipped, For<ov1::MarkShippedRequest>(*bound),
                    PrintOrder);
      }));
  WithOptionalEtag(Rpcs(orders->add_subcommand("deliver", "Mark it delivered"),
                        {"karton.orders.v1.OrderService/MarkDelivered"}),
                   *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Orders::MarkDelivered, For<ov1::MarkDeliveredRequest>(*bound),
                    PrintOrder);
      }));
  WithOptionalEtag(Rpcs(orders->add_subcommand("complete", "Complete it"),
                        {"karton.orders.v1.OrderService/CompleteOrder"}),
                   *bound)
      ->callback(Run(options, exit_code, [&options, bound] {
        return Call(options, &Orders::CompleteOrder, For<ov1::CompleteOrderRequest>(*bound),
                    PrintOrder);
      }));
  AddShareCommand(orders, "share", "Let an external partner or a team see it", options, exit_code,
                  bound, "karton.orders.v1.OrderService/ShareOrder", &Orders::ShareOrder,
                  PrintOrder);
  AddShareCommand(orders, "unshare", "Take a share back", options, exit_code, bound,
                  "karton.orders.v1.OrderService/UnshareOrder", &Orders::UnshareOrder, PrintOrder);

  auto* cancel = WithOptionalEtag(Rpcs(orders->add_subcommand("cancel", "Cancel it"),
                                       {"karton.orders.v1.OrderService/CancelOrder"}),
                                  *bound);
  cancel->add_option("--reason", bound->reason, "Why")->required();
  cancel->callback(Run(options, exit_code, [&options, bound] {
    auto request = For<ov1::CancelOrderRequest>(*bound);
    request.set_reason(bound->reason);
    return Call(options, &Orders::CancelOrder, request, PrintOrder);
  }));
}

}  // namespace

void AddSalesCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  AddProductCommands(app, options, exit_code);
  AddPriceListCommands(app, options, exit_code);
  AddQuotationCommands(app, options, exit_code);
  AddSalesOrderCommands(app, options, exit_code);
}

}  // namespace karton::cli
