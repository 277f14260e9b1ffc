// The automation module's walk (business_walk.h): rules, journeys,
// enrolments and recipes each publish their event and audit their record, an update
// with the fields it changed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"
#include "karton/automation/v1/journey_service.grpc.pb.h"
#include "karton/automation/v1/recipe_service.grpc.pb.h"
#include "karton/automation/v1/rule_service.grpc.pb.h"
#include "karton/campaigns/v1/segment_service.grpc.pb.h"
#include "karton/kernel/proto_json.h"

namespace karton::testing {
namespace {

namespace av1 = automation::v1;
namespace pv1 = partners::v1;

using AutomationWalkTest = BusinessWalkTest;

TEST_F(AutomationWalkTest, EveryAutomationWritePublishesItsEventAndAuditsItsChangedFields) {
  modules_ = "crm,automation,campaigns";            // campaigns: a segment to enrol
  Start({"--webhook-allow-cidr", "127.0.0.1/32"});  // the rule's webhook (never called)
  auto rules = av1::RuleService::NewStub(channel_);
  auto journeys = av1::JourneyService::NewStub(channel_);
  auto recipes = av1::RecipeService::NewStub(channel_);
  pv1::CreatePartnerRequest customer;
  customer.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  customer.mutable_partner()->set_display_name("Fűtés Kft.");
  pv1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), customer, &partner).ok());
  customer.mutable_partner()->set_display_name("Kazán Bt.");
  pv1::Partner second;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), customer, &second).ok());
  campaigns::v1::CreateSegmentRequest listed;
  listed.mutable_segment()->set_name("Kazán");
  listed.mutable_segment()->add_partner_ids(second.id());
  campaigns::v1::Segment segment;
  ASSERT_TRUE(campaigns::v1::SegmentService::NewStub(channel_)
                  ->CreateSegment(As().get(), listed, &segment)
                  .ok());

  av1::Rule rule;
  av1::Journey journey;
  av1::Enrolment enrolment;
  const std::vector<Step> steps = {
      {"karton.automation.v1.RuleService/CreateRule",
       "automation.rule.created",
       "automation.rule",
       {},
       [&] {
         // Disabled: the walk checks the write, not what the rule does.
         av1::CreateRuleRequest request;
         kernel::ParseProtoJson(R"({"name": "Tell the ERP", "enabled": false,
             "trigger_topics": ["partners.partner.created"],
             "actions": [{"call_webhook": {"url": "http://127.0.0.1:9/hook"}}]})",
                                *request.mutable_rule());
         return rules->CreateRule(As().get(), request, &rule);
       }},
      {"karton.automation.v1.RuleService/UpdateRule",
       "automation.rule.updated",
       "automation.rule",
       {"name"},
       [&] {
         av1::UpdateRuleRequest request;
         request.mutable_rule()->set_id(rule.id());
         request.mutable_rule()->set_etag(rule.etag());
         request.mutable_rule()->set_name("Tell the ERP of new partners");
         request.mutable_update_mask()->add_paths("name");
         return rules->UpdateRule(As().get(), request, &rule);
       }},
      {"karton.automation.v1.RuleService/DeleteRule",
       "automation.rule.deleted",
       "automation.rule",
       {},
       [&] {
         av1::DeleteRuleRequest request;
         request.set_id(rule.id());
         request.set_etag(rule.etag());
         av1::DeleteRuleResponse response;
         return rules->DeleteRule(As().get(), request, &response);
       }},
      {"karton.automation.v1.JourneyService/CreateJourney",
       "automation.journey.created",
       "automation.journey",
       {},
       [&] {
         av1::CreateJourneyRequest request;
         kernel::ParseProtoJson(R"({"name": "Welcome", "enabled": true,
             "steps": [{"offset": "3600s", "create_activity": {"subject": "Welcome call",
                                                               "assigned_user_ids": ["1"]}}]})",
                                *request.mutable_journey());
         return journeys->CreateJourney(As().get(), request, &journey);
       }},
      {"karton.automation.v1.JourneyService/UpdateJourney",
       "automation.journey.updated",
       "automation.journey",
       {"name"},
       [&] {
         av1::UpdateJourneyRequest request;
         request.mutable_journey()->set_id(journey.id());
         request.mutable_journey()->set_etag(journey.etag());
         request.mutable_journey()->set_name("Welcome new customers");
         request.mutable_update_mask()->add_paths("name");
         return journeys->UpdateJourney(As().get(), request, &journey);
       }},
      {"karton.automation.v1.JourneyService/EnrolInJourney",
       "automation.enrolment.created",
       "automation.enrolment",
       {},
       [&] {
         av1::EnrolInJourneyRequest request;
         request.set_journey_id(journey.id());
         request.set_subject_id(partner.id());
         return journeys->EnrolInJourney(As().get(), request, &enrolment);
       }},
      {"karton.automation.v1.JourneyService/EnrolSegment",
       "automation.enrolment.created",
       "automation.enrolment",
       {},
       [&] {
         av1::EnrolSegmentRequest request;
         request.set_journey_id(journey.id());
         request.set_segment_id(segment.id());
         av1::EnrolSegmentResponse response;
         return journeys->EnrolSegment(As().get(), request, &response);
       }},
      {"karton.automation.v1.JourneyService/StopEnrolment",
       "automation.enrolment.stopped",
       "automation.enrolment",
       {"state", "end_reason"},
       [&] {
         av1::StopEnrolmentRequest request;
         request.set_id(enrolment.id());
         request.set_reason("a partner kérte");
         return journeys->StopEnrolment(As().get(), request, &enrolment);
       }},
      {"karton.automation.v1.JourneyService/DeleteJourney",
       "automation.journey.deleted",
       "automation.journey",
       {},
       [&] {
         av1::DeleteJourneyRequest request;
         request.set_id(journey.id());
         request.set_etag(journey.etag());
         av1::DeleteJourneyResponse response;
         return journeys->DeleteJourney(As().get(), request, &response);
       }},
      {"karton.automation.v1.RecipeService/EnableRecipe",
       "automation.recipe.enabled",
       "automation.recipe",
       {"enabled"},
       [&] {
         av1::EnableRecipeRequest request;
         request.set_name("name_day_greeting");
         av1::Recipe recipe;
         return recipes->EnableRecipe(As().get(), request, &recipe);
       }},
      {"karton.automation.v1.RecipeService/DisableRecipe",
       "automation.recipe.disabled",
       "automation.recipe",
       {"enabled"},
       [&] {
         av1::DisableRecipeRequest request;
         request.set_name("name_day_greeting");
         av1::Recipe recipe;
         return recipes->DisableRecipe(As().get(), request, &recipe);
       }},
  };
  Walk("automation", steps);
}

}  // namespace
}  // namespace karton::testing
