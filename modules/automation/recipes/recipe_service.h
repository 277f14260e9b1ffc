// RecipeService: the ready-made automations (recipe_service.proto).
#pragma once

#include "karton/automation/v1/recipe_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "recipes/recipe_catalogue.h"
#include "rules/rule_service.h"

namespace karton::automation {

class RecipeServiceImpl final : public v1::RecipeService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  RecipeServiceImpl(kernel::ServiceParts parts, RuleEnvironment& environment)
      : parts_(parts), environment_(environment) {}

  grpc::Status ListRecipes(grpc::ServerContext* context, const v1::ListRecipesRequest* request,
                           v1::ListRecipesResponse* response) override;
  grpc::Status EnableRecipe(grpc::ServerContext* context, const v1::EnableRecipeRequest* request,
                            v1::Recipe* response) override;
  grpc::Status DisableRecipe(grpc::ServerContext* context, const v1::DisableRecipeRequest* request,
                             v1::Recipe* response) override;

 private:
  // The recipe as it stands in `session`, with its availability.
  v1::Recipe Describe(soci::session& session, const RecipeSpec& spec, const TopicTypes& topics);
  grpc::Status Switch(grpc::ServerContext* context, const std::string& name,
                      const std::string& template_name, bool enable, v1::Recipe* response);

  kernel::ServiceParts parts_;
  RuleEnvironment& environment_;
};

}  // namespace karton::automation
