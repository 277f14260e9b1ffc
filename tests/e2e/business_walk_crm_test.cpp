// The CRM's walk (business_walk.h): every write of the crm module's
// services publishes its event and audits its record, an update with the
// fields it changed; a write that changes nothing publishes and audits
// nothing.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;

using CrmWalkTest = BusinessWalkTest;

TEST_F(CrmWalkTest, EveryCrmWritePublishesItsEventAndAuditsItsChangedFields) {
  Start();
  const auto reseller = NewColleague("viszontelado@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  NewSalesPipeline({"Igényfelmérés", "Ajánlat"});
  auto lost_deal = NewDeal("", "Tetőfelújítás");
  auto activities = cv1::ActivityService::NewStub(channel_);

  pv1::CreatePartnerRequest customer;
  customer.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  customer.mutable_partner()->set_display_name("Kazán Kft.");
  pv1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), customer, &partner).ok());

  cv1::CreateLeadRequest spam_request;
  spam_request.mutable_lead()->set_contact_name("Olcsó Hitel");
  spam_request.mutable_lead()->set_email("hitel@spam.example");
  cv1::Lead spam;
  ASSERT_TRUE(leads_->CreateLead(As().get(), spam_request, &spam).ok());

  cv1::ListPipelinesResponse pipelines;
  ASSERT_TRUE(pipelines_->ListPipelines(As().get(), {}, &pipelines).ok());
  ASSERT_GT(pipelines.pipelines_size(), 0);
  const auto stage_named = [&](std::int64_t pipeline, const std::string& name) -> std::int64_t {
    for (const auto& listed : pipelines.pipelines()) {
      if (listed.id() != pipeline) continue;
      for (const auto& stage : listed.stages()) {
        if (stage.name() == name) return stage.id();
      }
    }
    ADD_FAILURE() << "no stage " << name << " in pipeline " << pipeline;
    return 0;
  };

  const auto activity_at = [&](std::int64_t seconds, const std::string& subject) {
    cv1::CreateActivityRequest request;
    request.mutable_activity()->set_type(cv1::ACTIVITY_TYPE_CALL);
    request.mutable_activity()->set_subject(subject);
    *request.mutable_activity()->mutable_start_time() =
        google::protobuf::util::TimeUtil::SecondsToTimestamp(seconds);
    request.mutable_activity()->mutable_duration()->set_seconds(1800);
    request.mutable_activity()->set_partner_id(partner.id());
    return request;
  };
  cv1::Activity dropped;
  ASSERT_TRUE(
      activities->CreateActivity(As().get(), activity_at(4'102'444'800, "Elmaradó hívás"), &dropped)
          .ok());

  cv1::Lead lead;
  cv1::Opportunity deal;
  cv1::Activity activity;
  cv1::WebForm form;
  cv1::AssignmentRule rule;
  const std::vector<Step> steps = {
      {"karton.crm.v1.LeadService/CreateLead",
       "crm.lead.created",
       "crm.lead",
       {},
       [&] {
         cv1::CreateLeadRequest request;
         request.mutable_lead()->set_title("Kazáncsere");
         request.mutable_lead()->set_contact_name("Kiss Béla");
         request.mutable_lead()->set_email("bela@kiss.example");
         return leads_->CreateLead(As().get(), request, &lead);
       }},
      {"karton.crm.v1.LeadService/UpdateLead",
       "crm.lead.updated",
       "crm.lead",
       {"title", "phone"},
       [&] {
         cv1::UpdateLeadRequest request;
         request.mutable_lead()->set_id(lead.id());
         request.mutable_lead()->set_etag(lead.etag());
         request.mutable_lead()->set_title("Kazáncsere és radiátorok");
         request.mutable_lead()->set_phone("+36 30 123 4567");
         request.mutable_update_mask()->add_paths("title");
         request.mutable_update_mask()->add_paths("phone");
         return leads_->UpdateLead(As().get(), request, &lead);
       }},
      {"karton.crm.v1.LeadService/ShareLead",
       "crm.lead.shared",
       "crm.lead",
       {},
       [&] {
         cv1::ShareLeadRequest request;
         request.set_id(lead.id());
         request.set_user_id(reseller.id);
         return leads_->ShareLead(As().get(), request, &lead);
       }},
      {"karton.crm.v1.LeadService/UnshareLead",
       "crm.lead.unshared",
       "crm.lead",
       {},
       [&] {
         cv1::UnshareLeadRequest request;
         request.set_id(lead.id());
         request.set_user_id(reseller.id);
         return leads_->UnshareLead(As().get(), request, &lead);
       }},
      {"karton.crm.v1.LeadService/QualifyLead",
       "crm.lead.qualified",
       "crm.lead",
       {"status", "partner_id"},
       [&] {
         cv1::QualifyLeadRequest request;
         request.set_id(lead.id());
         request.set_etag(lead.etag());
         cv1::QualifyLeadResponse response;
         auto status = leads_->QualifyLead(As().get(), request, &response);
         lead = response.lead();
         return status;
       }},
      {"karton.crm.v1.LeadService/DisqualifyLead",
       "crm.lead.disqualified",
       "crm.lead",
       {"status", "disqualify_reason"},
       [&] {
         cv1::DisqualifyLeadRequest request;
         request.set_id(spam.id());
         request.set_etag(spam.etag());
         request.set_reason("spam");
         return leads_->DisqualifyLead(As().get(), request, &spam);
       }},
      {"karton.crm.v1.OpportunityService/CreateOpportunity",
       "crm.opportunity.created",
       "crm.opportunity",
       {},
       [&] {
         cv1::CreateOpportunityRequest request;
         request.mutable_opportunity()->set_name("Kazáncsere");
         request.mutable_opportunity()->set_partner_id(partner.id());
         return opportunities_->CreateOpportunity(As().get(), request, &deal);
       }},
      {"karton.crm.v1.OpportunityService/UpdateOpportunity",
       "crm.opportunity.updated",
       "crm.opportunity",
       {"name"},
       [&] {
         cv1::UpdateOpportunityRequest request;
         request.mutable_opportunity()->set_id(deal.id());
         request.mutable_opportunity()->set_etag(deal.etag());
         request.mutable_opportunity()->set_name("Kazáncsere és szerviz");
         request.mutable_update_mask()->add_paths("name");
         return opportunities_->UpdateOpportunity(As().get(), request, &deal);
       }},
      {"karton.crm.v1.OpportunityService/ShareOpportunity",
       "crm.opportunity.shared",
       "crm.opportunity",
       {},
       [&] {
         cv1::ShareOpportunityRequest request;
         request.set_id(deal.id());
         request.set_user_id(reseller.id);
         return opportunities_->ShareOpportunity(As().get(), request, &deal);
       }},
      {"karton.crm.v1.OpportunityService/UnshareOpportunity",
       "crm.opportunity.unshared",
       "crm.opportunity",
       {},
       [&] {
         cv1::UnshareOpportunityRequest request;
         request.set_id(deal.id());
         request.set_user_id(reseller.id);
         return opportunities_->UnshareOpportunity(As().get(), request, &deal);
       }},
      {"karton.crm.v1.OpportunityService/MoveStage",
       "crm.opportunity.stage_changed",
       "crm.opportunity",
       {"stage_id"},
       [&] {
         cv1::MoveStageRequest request;
         request.set_id(deal.id());
         request.set_etag(deal.etag());
         request.set_stage_id(stage_named(deal.pipeline_id(), "Ajánlat"));
         return opportunities_->MoveStage(As().get(), request, &deal);
       }},
      {"karton.crm.v1.OpportunityService/MarkWon",
       "crm.opportunity.won",
       "crm.opportunity",
       {"stage_id", "status"},
       [&] {
         cv1::MarkWonRequest request;
         request.set_id(deal.id());
         request.set_etag(deal.etag());
         return opportunities_->MarkWon(As().get(), request, &deal);
       }},
      {"karton.crm.v1.OpportunityService/MarkLost",
       "crm.opportunity.lost",
       "crm.opportunity",
       {"stage_id", "status", "lost_reason"},
       [&] {
         cv1::MarkLostRequest request;
         request.set_id(lost_deal.id());
         request.set_etag(lost_deal.etag());
         request.set_reason("túl drága");
         return opportunities_->MarkLost(As().get(), request, &lost_deal);
       }},
      {"karton.crm.v1.ActivityService/CreateActivity",
       "crm.activity.created",
       "crm.activity",
       {},
       [&] {
         return activities->CreateActivity(As().get(),
                                           activity_at(4'102'444'800, "Igényfelmérő hívás"),
                                           &activity);  // 2100-01-01
       }},
      {"karton.crm.v1.ActivityService/UpdateActivity",
       "crm.activity.updated",
       "crm.activity",
       {"start_time"},
       [&] {
         cv1::UpdateActivityRequest request;
         request.mutable_activity()->set_id(activity.id());
         request.mutable_activity()->set_etag(activity.etag());
         *request.mutable_activity()->mutable_start_time() =
             google::protobuf::util::TimeUtil::SecondsToTimestamp(4'102'531'200);  // a day later
         request.mutable_update_mask()->add_paths("start_time");
         return activities->UpdateActivity(As().get(), request, &activity);
       }},
      {"karton.crm.v1.ActivityService/CompleteActivity",
       "crm.activity.completed",
       "crm.activity",
       {"status", "outcome"},
       [&] {
         cv1::CompleteActivityRequest request;
         request.set_id(activity.id());
         request.set_etag(activity.etag());
         request.set_outcome("Ajánlatot kér jövő hétre");
         return activities->CompleteActivity(As().get(), request, &activity);
       }},
      {"karton.crm.v1.ActivityService/CancelActivity",
       "crm.activity.canceled",
       "crm.activity",
       {"status", "outcome"},
       [&] {
         cv1::CancelActivityRequest request;
         request.set_id(dropped.id());
         request.set_etag(dropped.etag());
         request.set_reason("a partner lemondta");
         return activities->CancelActivity(As().get(), request, &dropped);
       }},
      {"karton.crm.v1.PipelineService/CreatePipeline",
       "crm.pipeline.created",
       "crm.pipeline",
       {},
       [&] {
         cv1::CreatePipelineRequest request;
         request.mutable_pipeline()->set_name("Szerviz");
         auto* open = request.mutable_pipeline()->add_stages();
         open->set_name("Bejelentve");
         open->set_probability(50);
         auto* won = request.mutable_pipeline()->add_stages();
         won->set_name("Kész");
         won->set_won(true);
         won->set_probability(100);
         auto* lost = request.mutable_pipeline()->add_stages();
         lost->set_name("Elmaradt");
         lost->set_lost(true);
         cv1::Pipeline created;
         return pipelines_->CreatePipeline(As().get(), request, &created);
       }},
      {"karton.crm.v1.PipelineService/UpdatePipeline",
       "crm.pipeline.updated",
       "crm.pipeline",
       {"name"},
       [&] {
         cv1::UpdatePipelineRequest request;
         *request.mutable_pipeline() = pipelines.pipelines(0);
         request.mutable_pipeline()->set_name("Értékesítés");
         cv1::Pipeline updated;
         return pipelines_->UpdatePipeline(As().get(), request, &updated);
       }},
      {"karton.crm.v1.WebFormService/CreateWebForm",
       "crm.web_form.created",
       "crm.web_form",
       {},
       [&] {
         // Routed to a user: the CRM learns of new teams by event, later.
         cv1::CreateWebFormRequest request;
         request.mutable_web_form()->set_slug("ajanlatkeres");
         request.mutable_web_form()->set_title("Ajánlatkérés");
         auto* email = request.mutable_web_form()->add_fields();
         email->set_name("email");
         email->set_label("E-mail");
         email->set_type(cv1::WEB_FORM_FIELD_TYPE_EMAIL);
         email->set_required(true);
         auto* category = request.mutable_web_form()->add_categories();
         category->set_key("ajanlat");
         category->set_label("Ajánlat");
         category->set_user_id(anna.id);
         return forms_->CreateWebForm(As().get(), request, &form);
       }},
      {"karton.crm.v1.WebFormService/UpdateWebForm",
       "crm.web_form.updated",
       "crm.web_form",
       {"title"},
       [&] {
         cv1::UpdateWebFormRequest request;
         request.mutable_web_form()->set_id(form.id());
         request.mutable_web_form()->set_title("Kérjen ajánlatot!");
         request.mutable_update_mask()->add_paths("title");
         cv1::WebForm updated;
         return forms_->UpdateWebForm(As().get(), request, &updated);
       }},
      {"karton.crm.v1.AssignmentRuleService/CreateAssignmentRule",
       "crm.assignment_rule.created",
       "crm.assignment_rule",
       {},
       [&] {
         cv1::CreateAssignmentRuleRequest request;
         request.mutable_assignment_rule()->set_priority(10);
         request.mutable_assignment_rule()->set_postal_code_prefix("67");
         request.mutable_assignment_rule()->set_user_id(anna.id);
         return rules_->CreateAssignmentRule(As().get(), request, &rule);
       }},
      {"karton.crm.v1.AssignmentRuleService/DeleteAssignmentRule",
       "crm.assignment_rule.deleted",
       "crm.assignment_rule",
       {},
       [&] {
         cv1::DeleteAssignmentRuleRequest request;
         request.set_id(rule.id());
         cv1::DeleteAssignmentRuleResponse response;
         return rules_->DeleteAssignmentRule(As().get(), request, &response);
       }},
  };
  Walk("crm", steps);

  // A write that changes nothing publishes and audits nothing.
  const long long updated_before = Events("crm.opportunity.updated");
  const long long audit_before = LastAuditId();
  cv1::UpdateOpportunityRequest same;
  same.mutable_opportunity()->set_id(deal.id());
  same.mutable_opportunity()->set_etag(deal.etag());
  same.mutable_opportunity()->set_name(deal.name());
  same.mutable_update_mask()->add_paths("name");
  ASSERT_TRUE(opportunities_->UpdateOpportunity(As().get(), same, &deal).ok());
  EXPECT_EQ(Events("crm.opportunity.updated"), updated_before);
  const long long lead_updated_before = Events("crm.lead.updated");
  cv1::UpdateLeadRequest same_lead;
  same_lead.mutable_lead()->set_id(lead.id());
  same_lead.mutable_lead()->set_etag(lead.etag());
  same_lead.mutable_lead()->set_title(lead.title());
  same_lead.mutable_update_mask()->add_paths("title");
  ASSERT_TRUE(leads_->UpdateLead(As().get(), same_lead, &lead).ok());
  EXPECT_EQ(Events("crm.lead.updated"), lead_updated_before);
  const long long unshared_before = Events("crm.lead.unshared");
  cv1::UnshareLeadRequest again;
  again.set_id(lead.id());
  again.set_user_id(reseller.id);
  ASSERT_TRUE(leads_->UnshareLead(As().get(), again, &lead).ok());
  EXPECT_EQ(Events("crm.lead.unshared"), unshared_before);
  EXPECT_EQ(LastAuditId(), audit_before);
}

}  // namespace
}  // namespace karton::testing
