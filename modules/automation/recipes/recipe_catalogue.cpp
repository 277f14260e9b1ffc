#include "recipes/recipe_catalogue.h"

#include <fmt/format.h>

namespace karton::automation {
namespace {

constexpr std::int64_t kThirtyDays = 30 * 24 * 3600;

}  // namespace

const std::vector<RecipeSpec>& Recipes() {
  static const std::vector<RecipeSpec> kRecipes = {
      {"order_delivered_notice",
       "Order delivered notice",
       "Emails the customer when an order is marked delivered (the order's number and lines are "
       "the template's variables).",
       "order_delivered",
       {"orders.order.delivered"},
       "orders"},
      {"quote_expiring_notice",
       "Quote expiring notice",
       "Emails the customer when a quotation is about to expire "
       "(orders.quotation_expiring_days before its valid_until).",
       "quotation_expiring",
       {"orders.quotation.expiring"},
       "orders"},
      {"promotion_after_purchase",
       "Promotion after a purchase",
       "Thirty days after an order is completed, sends the customer a promotion about what they "
       "bought (marketing: opt-outs are honoured).",
       "purchase_promotion",
       {"orders.order.completed"},
       "orders"},
      {"serviced_item_ready",
       "Serviced item ready",
       "Emails the customer when a repair ticket is resolved: the serviced item can be collected.",
       "serviced_item_ready",
       {"helpdesk.ticket.resolved"},
       "helpdesk"},
      {"birthday_greeting",
       "Birthday greeting",
       "Every day at automation.greeting_time, greets the persons whose birthday it is (on "
       "February 28 in common years for those born on February 29).",
       "birthday_greeting",
       {},
       ""},
      {"name_day_greeting",
       "Name-day greeting",
       "Every day at automation.greeting_time, greets the persons whose given name has its main "
       "name day today in the Hungarian calendar, or whose card gives today as their name day.",
       "name_day_greeting",
       {},
       ""},
  };
  return kRecipes;
}

const RecipeSpec* FindRecipe(std::string_view name) {
  for (const auto& spec : Recipes()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool IsGreeting(const RecipeSpec& spec) { return spec.topics.empty(); }

v1::Rule RecipeRule(const RecipeSpec& spec, const std::string& template_name) {
  v1::Rule rule;
  rule.set_name(fmt::format("Recipe: {}", spec.title));
  rule.set_description(std::string(spec.description));
  for (const auto topic : spec.topics) rule.add_trigger_topics(std::string(topic));
  rule.set_enabled(true);
  auto& action = *rule.add_actions();
  auto& send = *action.mutable_send_template();
  send.set_template_name(template_name);
  send.set_recipient(v1::RECIPIENT_KIND_PARTNER);
  send.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
  if (spec.name == "promotion_after_purchase") {
    send.set_category(messaging::v1::CATEGORY_MARKETING);
    action.mutable_timing()->mutable_offset()->set_seconds(kThirtyDays);
  }
  return rule;
}

}  // namespace karton::automation
