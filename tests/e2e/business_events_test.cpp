// Every business change publishes an event and writes an audit entry
// (issue 16's ground rule, which automation's triggers stand on): the real
// kartond with partners, crm and messaging, each write called over gRPC,
// the event log and the audit trail read back from the database. Each
// step names the topic it must publish and the resource its audit entry is
// about; a step that publishes nothing, or audits nothing, fails by name.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace mv1 = messaging::v1;
namespace pv1 = partners::v1;

class BusinessEventsTest : public CrmTest {
 protected:
  long long Events(const std::string& topic) const {
    return std::stoll(QueryScalar(
        conninfo_, fmt::format("SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL "
                               "SELECT topic FROM kernel.event_outbox) e WHERE topic = '{}'",
                               topic)));
  }
  long long AuditEntries(const std::string& resource_type) const {
    return std::stoll(QueryScalar(
        conninfo_, fmt::format("SELECT count(*) FROM kernel.audit_entry WHERE resource_type = '{}'",
                               resource_type)));
  }

  struct Step {
    std::string method;
    std::string topic;
    std::string audited;
    std::function<grpc::Status()> call;
  };

  // Runs each step once and checks it published one event of its topic
  // and audited its resource at least once more.
  void Walk(const std::vector<Step>& steps) {
    for (const Step& step : steps) {
      const long long events_before = Events(step.topic);
      const long long audit_before = AuditEntries(step.audited);
      const grpc::Status status = step.call();
      ASSERT_TRUE(status.ok()) << step.method << ": " << status.error_message();
      EXPECT_EQ(Events(step.topic), events_before + 1)
          << step.method << " published no " << step.topic;
      EXPECT_GT(AuditEntries(step.audited), audit_before)
          << step.method << " audited nothing on " << step.audited;
    }
  }
};

TEST_F(BusinessEventsTest, CrmMessagingAndPartnerWritesEachPublishAnEventAndAnAuditEntry) {
  Start();
  const auto reseller = NewColleague("viszontelado@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  NewSalesPipeline({"Igényfelmérés", "Ajánlat"});
  auto deal = NewDeal("", "Kazáncsere");
  auto activities = cv1::ActivityService::NewStub(channel_);

  cv1::CreateLeadRequest lead_request;
  lead_request.mutable_lead()->set_contact_name("Kiss Béla");
  lead_request.mutable_lead()->set_email("bela@kiss.example");
  cv1::Lead lead;
  ASSERT_TRUE(leads_->CreateLead(As().get(), lead_request, &lead).ok());

  cv1::CreateActivityRequest activity_request;
  activity_request.mutable_activity()->set_type(cv1::ACTIVITY_TYPE_CALL);
  activity_request.mutable_activity()->set_subject("Igényfelmérő hívás");
  *activity_request.mutable_activity()->mutable_start_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(4'102'444'800);  // 2100-01-01
  activity_request.mutable_activity()->mutable_duration()->set_seconds(1800);
  activity_request.mutable_activity()->set_opportunity_id(deal.id());
  cv1::Activity activity;
  ASSERT_TRUE(activities->CreateActivity(As().get(), activity_request, &activity).ok());

  cv1::ListPipelinesResponse pipelines;
  ASSERT_TRUE(pipelines_->ListPipelines(As().get(), {}, &pipelines).ok());
  ASSERT_GT(pipelines.pipelines_size(), 0);
  cv1::WebForm form;

  cv1::AssignmentRule rule;
  mv1::Template stored_template;
  pv1::CustomFieldDefinition definition;
  const std::vector<Step> steps = {
      {"UpdateOpportunity", "crm.opportunity.updated", "crm.opportunity",
       [&] {
         cv1::UpdateOpportunityRequest request;
         request.mutable_opportunity()->set_id(deal.id());
         request.mutable_opportunity()->set_etag(deal.etag());
         request.mutable_opportunity()->set_name("Kazáncsere és szerviz");
         request.mutable_update_mask()->add_paths("name");
         return opportunities_->UpdateOpportunity(As().get(), request, &deal);
       }},
      {"ShareOpportunity", "crm.opportunity.shared", "crm.opportunity",
       [&] {
         cv1::ShareOpportunityRequest request;
         request.set_id(deal.id());
         request.set_user_id(reseller.id);
         return opportunities_->ShareOpportunity(As().get(), request, &deal);
       }},
      {"UnshareOpportunity", "crm.opportunity.unshared", "crm.opportunity",
       [&] {
         cv1::UnshareOpportunityRequest request;
         request.set_id(deal.id());
         request.set_user_id(reseller.id);
         return opportunities_->UnshareOpportunity(As().get(), request, &deal);
       }},
      {"UpdateActivity (a reschedule)", "crm.activity.updated", "crm.activity",
       [&] {
         cv1::UpdateActivityRequest request;
         request.mutable_activity()->set_id(activity.id());
         request.mutable_activity()->set_etag(activity.etag());
         *request.mutable_activity()->mutable_start_time() =
             google::protobuf::util::TimeUtil::SecondsToTimestamp(4'102'531'200);  // a day later
         request.mutable_update_mask()->add_paths("start_time");
         return activities->UpdateActivity(As().get(), request, &activity);
       }},
      {"ShareLead", "crm.lead.shared", "crm.lead",
       [&] {
         cv1::ShareLeadRequest request;
         request.set_id(lead.id());
         request.set_user_id(reseller.id);
         return leads_->ShareLead(As().get(), request, &lead);
       }},
      {"UnshareLead", "crm.lead.unshared", "crm.lead",
       [&] {
         cv1::UnshareLeadRequest request;
         request.set_id(lead.id());
         request.set_user_id(reseller.id);
         return leads_->UnshareLead(As().get(), request, &lead);
       }},
      {"CreatePipeline", "crm.pipeline.created", "crm.pipeline",
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
      {"UpdatePipeline", "crm.pipeline.updated", "crm.pipeline",
       [&] {
         cv1::UpdatePipelineRequest request;
         *request.mutable_pipeline() = pipelines.pipelines(0);
         request.mutable_pipeline()->set_name("Értékesítés");
         cv1::Pipeline updated;
         return pipelines_->UpdatePipeline(As().get(), request, &updated);
       }},
      {"CreateWebForm", "crm.web_form.created", "crm.web_form",
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
      {"UpdateWebForm", "crm.web_form.updated", "crm.web_form",
       [&] {
         cv1::UpdateWebFormRequest request;
         request.mutable_web_form()->set_id(form.id());
         request.mutable_web_form()->set_title("Kérjen ajánlatot!");
         request.mutable_update_mask()->add_paths("title");
         cv1::WebForm updated;
         return forms_->UpdateWebForm(As().get(), request, &updated);
       }},
      {"CreateAssignmentRule", "crm.assignment_rule.created", "crm.assignment_rule",
       [&] {
         cv1::CreateAssignmentRuleRequest request;
         request.mutable_assignment_rule()->set_priority(10);
         request.mutable_assignment_rule()->set_postal_code_prefix("67");
         request.mutable_assignment_rule()->set_user_id(anna.id);
         return rules_->CreateAssignmentRule(As().get(), request, &rule);
       }},
      {"DeleteAssignmentRule", "crm.assignment_rule.deleted", "crm.assignment_rule",
       [&] {
         cv1::DeleteAssignmentRuleRequest request;
         request.set_id(rule.id());
         cv1::DeleteAssignmentRuleResponse response;
         return rules_->DeleteAssignmentRule(As().get(), request, &response);
       }},
      {"CreateTemplate", "messaging.template.created", "messaging.template",
       [&] {
         mv1::CreateTemplateRequest request;
         request.mutable_template_()->set_name("arajanlat");
         request.mutable_template_()->set_language("hu");
         request.mutable_template_()->set_channel(mv1::CHANNEL_EMAIL);
         request.mutable_template_()->set_subject("Árajánlat");
         request.mutable_template_()->set_text_body("Tisztelt {{partner.display_name}}!");
         return messaging_->CreateTemplate(As().get(), request, &stored_template);
       }},
      {"UpdateTemplate", "messaging.template.updated", "messaging.template",
       [&] {
         mv1::UpdateTemplateRequest request;
         request.mutable_template_()->set_id(stored_template.id());
         request.mutable_template_()->set_subject("Árajánlatunk");
         request.mutable_update_mask()->add_paths("subject");
         return messaging_->UpdateTemplate(As().get(), request, &stored_template);
       }},
      {"CreateSuppression", "messaging.consent.withdrawn", "messaging.suppression",
       [&] {
         mv1::CreateSuppressionRequest request;
         request.mutable_suppression()->set_channel(mv1::CHANNEL_EMAIL);
         request.mutable_suppression()->set_address("bela@kiss.example");
         request.mutable_suppression()->set_reason("telefonon kérte");
         mv1::Suppression suppression;
         return messaging_->CreateSuppression(As().get(), request, &suppression);
       }},
      {"DeleteSuppression", "messaging.consent.restored", "messaging.suppression",
       [&] {
         mv1::DeleteSuppressionRequest request;
         request.set_channel(mv1::CHANNEL_EMAIL);
         request.set_address("bela@kiss.example");
         mv1::DeleteSuppressionResponse response;
         return messaging_->DeleteSuppression(As().get(), request, &response);
       }},
      {"CreateCustomFieldDefinition", "partners.custom_field_definition.created",
       "partners.custom_field_definition",
       [&] {
         pv1::CreateCustomFieldDefinitionRequest request;
         request.mutable_definition()->set_key("kazan_tipus");
         request.mutable_definition()->set_label("Kazán típusa");
         request.mutable_definition()->set_type(pv1::CUSTOM_FIELD_TYPE_TEXT);
         return partners_->CreateCustomFieldDefinition(As().get(), request, &definition);
       }},
      {"UpdateCustomFieldDefinition", "partners.custom_field_definition.updated",
       "partners.custom_field_definition",
       [&] {
         pv1::UpdateCustomFieldDefinitionRequest request;
         request.mutable_definition()->set_key("kazan_tipus");
         request.mutable_definition()->set_etag(definition.etag());
         request.mutable_definition()->set_label("A kazán típusa");
         request.mutable_update_mask()->add_paths("label");
         return partners_->UpdateCustomFieldDefinition(As().get(), request, &definition);
       }},
      {"SharePartner", "partners.partner.shared", "partners.partner",
       [&] {
         pv1::SharePartnerRequest request;
         request.set_id(deal.partner_id());
         request.set_user_id(reseller.id);
         pv1::Partner partner;
         return partners_->SharePartner(As().get(), request, &partner);
       }},
      {"UnsharePartner", "partners.partner.unshared", "partners.partner",
       [&] {
         pv1::UnsharePartnerRequest request;
         request.set_id(deal.partner_id());
         request.set_user_id(reseller.id);
         pv1::Partner partner;
         return partners_->UnsharePartner(As().get(), request, &partner);
       }},
  };
  Walk(steps);

  // A write that changes nothing publishes and audits nothing.
  const long long updated_before = Events("crm.opportunity.updated");
  cv1::UpdateOpportunityRequest same;
  same.mutable_opportunity()->set_id(deal.id());
  same.mutable_opportunity()->set_etag(deal.etag());
  same.mutable_opportunity()->set_name(deal.name());
  same.mutable_update_mask()->add_paths("name");
  ASSERT_TRUE(opportunities_->UpdateOpportunity(As().get(), same, &deal).ok());
  EXPECT_EQ(Events("crm.opportunity.updated"), updated_before);
  const long long shared_before = Events("crm.lead.unshared");
  cv1::UnshareLeadRequest again;
  again.set_id(lead.id());
  again.set_user_id(reseller.id);
  ASSERT_TRUE(leads_->UnshareLead(As().get(), again, &lead).ok());
  EXPECT_EQ(Events("crm.lead.unshared"), shared_before);
}

}  // namespace
}  // namespace karton::testing
