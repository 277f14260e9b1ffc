#include "recipes/recipe_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <charconv>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "rules/rule_repository.h"

namespace karton::automation {
namespace {

constexpr char kRecipe[] = "automation.recipe";

std::string Unavailable(const RecipeSpec& spec, const TopicTypes& topics) {
  for (const auto topic : spec.topics) {
    if (topics.count(std::string(topic)) == 0) {
      return fmt::format("needs the {} module: no loaded module publishes {}", spec.needs_module,
                         topic);
    }
  }
  return "";
}

}  // namespace

void RecipeServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::Recipe>("automation.recipe.enabled");
  events.DeclareTopic<v1::Recipe>("automation.recipe.disabled");
}

kernel::MethodRoles RecipeServiceImpl::Roles() {
  return {{"ListRecipes", kernel::StaffRoles()},
          {"EnableRecipe", {std::string(kernel::kRoleAdmin)}},
          {"DisableRecipe", {std::string(kernel::kRoleAdmin)}}};
}

v1::Recipe RecipeServiceImpl::Describe(soci::session& session, const RecipeSpec& spec,
                                       const TopicTypes& topics) {
  v1::Recipe recipe;
  recipe.set_name(std::string(spec.name));
  recipe.set_description(std::string(spec.description));
  recipe.set_template_name(std::string(spec.default_template));
  for (const auto topic : spec.topics) recipe.add_topics(std::string(topic));
  recipe.set_unavailable_reason(Unavailable(spec, topics));
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT enabled, template_name, coalesce(rule_id, 0) FROM automation.recipe WHERE name = $1",
      {std::string(spec.name)});
  if (rows.Count() == 1) {
    recipe.set_enabled(rows.Text(0, 0) == "t");
    recipe.set_template_name(std::string(rows.Text(0, 1)));
    std::int64_t rule_id = 0;
    const auto text = rows.Text(0, 2);
    std::from_chars(text.data(), text.data() + text.size(), rule_id);
    recipe.set_rule_id(rule_id);
  }
  return recipe;
}

grpc::Status RecipeServiceImpl::ListRecipes(grpc::ServerContext*, const v1::ListRecipesRequest*,
                                            v1::ListRecipesResponse* response) {
  TopicTypes topics;
  if (auto status = environment_.Topics(topics); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListRecipes", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    for (const auto& spec : Recipes()) {
      *response->add_recipes() = Describe(lease.Session(), spec, topics);
    }
    return grpc::Status::OK;
  });
}

grpc::Status RecipeServiceImpl::Switch(grpc::ServerContext* context, const std::string& name,
                                       const std::string& template_name, bool enable,
                                       v1::Recipe* response) {
  const RecipeSpec* spec = FindRecipe(name);
  if (spec == nullptr) {
    std::string names;
    for (const auto& known : Recipes())
      names += (names.empty() ? "" : ", ") + std::string(known.name);
    return kernel::InvalidField("name", fmt::format("no recipe '{}' (there are {})", name, names));
  }
  if (template_name.size() > 200)
    return kernel::InvalidField("template_name", "at most 200 characters");
  TopicTypes topics;
  if (auto status = environment_.Topics(topics); !status.ok()) return status;
  if (const auto unavailable = Unavailable(*spec, topics); enable && !unavailable.empty()) {
    return kernel::FailedPreconditionOnField("name", unavailable);
  }
  return kernel::Guarded(
      parts_.log, enable ? "EnableRecipe" : "DisableRecipe", [&]() -> grpc::Status {
        const kernel::Caller caller = kernel::CallerOf(*context);
        auto lease = parts_.database.Acquire();
        kernel::Transaction transaction(lease.Session());
        kernel::RunPrepared(lease.Session(),
                            "SELECT pg_advisory_xact_lock(hashtext('automation.recipe'))", {});
        const v1::Recipe before = Describe(lease.Session(), *spec, topics);
        const std::string chosen = !template_name.empty() ? template_name
                                   : before.template_name().empty()
                                       ? std::string(spec->default_template)
                                       : before.template_name();
        std::int64_t rule_id = before.rule_id();
        if (!IsGreeting(*spec)) {
          // The recipe is a rule: made the first time, switched after.
          v1::Rule rule = RecipeRule(*spec, chosen);
          rule.set_enabled(enable);
          std::vector<kernel::FieldViolation> violations;
          CheckRule(rule, {topics, {}}, violations);
          if (enable && !violations.empty()) return kernel::InvalidFields(std::move(violations));
          const kernel::TimePoint now = parts_.clock.Now();
          if (rule_id == 0 && enable) {
            if (rule_repository::NameTaken(lease.Session(), rule.name(), 0)) {
              return kernel::FailedPreconditionOnField(
                  "name",
                  fmt::format("a rule is already named '{}'; rename it first", rule.name()));
            }
            rule_id = rule_repository::Insert(lease.Session(), rule, caller.user_id, now).id();
          } else if (rule_id != 0) {
            if (auto stored = rule_repository::Find(lease.Session(), rule_id, true)) {
              stored->set_enabled(enable);
              if (enable) *stored->mutable_actions() = rule.actions();
              rule_repository::Update(lease.Session(), *stored, now);
            } else if (enable) {  // the rule was deleted by hand: make it again
              rule_id = rule_repository::Insert(lease.Session(), rule, caller.user_id, now).id();
            }
          }
        }
        kernel::RunPrepared(
            lease.Session(),
            "INSERT INTO automation.recipe (name, enabled, template_name, rule_id, update_time) "
            "VALUES ($1, $2::boolean, $3, nullif($4::bigint, 0), to_timestamp($5::bigint / 1e6)) "
            "ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, "
            "template_name = EXCLUDED.template_name, rule_id = EXCLUDED.rule_id, "
            "update_time = EXCLUDED.update_time",
            {name, enable ? "true" : "false", chosen, std::to_string(rule_id),
             std::to_string(kernel::ToEpochMicros(parts_.clock.Now()))});
        v1::Recipe after = Describe(lease.Session(), *spec, topics);
        const auto changes = kernel::DiffFields(&before, after);
        if (!changes.empty()) {
          // Recipes have no number; the audit entry is keyed by the position
          // in the catalogue, the event by the same.
          const auto index = static_cast<std::int64_t>(spec - Recipes().data()) + 1;
          parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kRecipe, index,
                              changes);
          parts_.events.Publish(lease.Session(),
                                enable ? "automation.recipe.enabled" : "automation.recipe.disabled",
                                index, after, caller);
        }
        transaction.Commit();
        *response = std::move(after);
        return grpc::Status::OK;
      });
}

grpc::Status RecipeServiceImpl::EnableRecipe(grpc::ServerContext* context,
                                             const v1::EnableRecipeRequest* request,
                                             v1::Recipe* response) {
  return Switch(context, request->name(), request->template_name(), true, response);
}

grpc::Status RecipeServiceImpl::DisableRecipe(grpc::ServerContext* context,
                                              const v1::DisableRecipeRequest* request,
                                              v1::Recipe* response) {
  return Switch(context, request->name(), "", false, response);
}

}  // namespace karton::automation
