// Leads, routing rules, qualification and opportunities end to end (C1, C3,
// C4, C5) against a real kartond.
#include <set>

#include "crm_fixture.h"

namespace karton::testing {
namespace {

cv1::Lead NewLead(cv1::LeadService::Stub& leads, std::unique_ptr<grpc::ClientContext> context,
                  const std::string& name, const std::string& email,
                  const std::string& postal_code = "", const std::string& company = "",
                  const std::string& tax_number = "") {
  cv1::CreateLeadRequest request;
  auto* lead = request.mutable_lead();
  lead->set_title("Érdeklődés: " + name);
  lead->set_contact_name(name);
  lead->set_email(email);
  lead->set_company_name(company);
  lead->set_tax_number(tax_number);
  lead->set_postal_code(postal_code);
  lead->set_country("HU");
  lead->set_city("Szeged");
  cv1::Lead created;
  const auto status = leads.CreateLead(context.get(), request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created;
}

cv1::Pipeline NewPipeline(CrmTest& test, cv1::PipelineService::Stub& pipelines,
                          std::unique_ptr<grpc::ClientContext> context) {
  cv1::CreatePipelineRequest request;
  auto* pipeline = request.mutable_pipeline();
  pipeline->set_name("Sales");
  for (const char* name : {"New", "Offer", "Negotiation"}) {
    auto* stage = pipeline->add_stages();
    stage->set_name(name);
    stage->set_probability(30);
  }
  auto* won = pipeline->add_stages();
  won->set_name("Won");
  won->set_won(true);
  won->set_probability(100);
  auto* lost = pipeline->add_stages();
  lost->set_name("Lost");
  lost->set_lost(true);
  cv1::Pipeline created;
  const auto status = pipelines.CreatePipeline(context.get(), request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  (void)test;
  return created;
}

TEST_F(CrmTest, RulesRouteByRegionWithAFallbackAndSalesSeeOnlyTheirOwnLeads) {
  Start();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto peter = NewColleague("peter@karton.example", kv1::ROLE_SALES);
  const auto manager = NewColleague("boss@karton.example", kv1::ROLE_SALES_MANAGER);
  cv1::CreateAssignmentRuleRequest szeged;
  szeged.mutable_assignment_rule()->set_priority(10);
  szeged.mutable_assignment_rule()->set_postal_code_prefix("67");
  szeged.mutable_assignment_rule()->set_user_id(anna.id);
  cv1::AssignmentRule rule;
  ASSERT_TRUE(rules_->CreateAssignmentRule(As().get(), szeged, &rule).ok());
  cv1::CreateAssignmentRuleRequest fallback;
  fallback.mutable_assignment_rule()->set_priority(100);
  fallback.mutable_assignment_rule()->set_user_id(peter.id);
  ASSERT_TRUE(rules_->CreateAssignmentRule(As().get(), fallback, &rule).ok());
  cv1::CreateAssignmentRuleRequest broken;
  broken.mutable_assignment_rule()->set_user_id(anna.id);
  broken.mutable_assignment_rule()->set_team_id(1);
  auto status = rules_->CreateAssignmentRule(As().get(), broken, &rule);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "assignment_rule.team_id");

  const auto in_szeged = NewLead(*leads_, As(manager.token), "Kiss Anna", "a@kiss.example", "6720");
  const auto in_pest = NewLead(*leads_, As(manager.token), "Nagy Béla", "b@nagy.example", "1051");
  EXPECT_EQ(in_szeged.assigned_user_id(), anna.id);
  EXPECT_EQ(in_pest.assigned_user_id(), peter.id);
  ASSERT_EQ(in_szeged.status_history_size(), 1);
  EXPECT_EQ(in_szeged.status_history(0).status(), cv1::LEAD_STATUS_NEW);

  // Anna sees her lead, not Péter's; the manager sees both.
  EXPECT_EQ(AllLeads(anna.token).size(), 1u);
  EXPECT_EQ(AllLeads(manager.token).size(), 2u);
  cv1::GetLeadRequest get;
  get.set_id(in_pest.id());
  cv1::Lead seen;
  EXPECT_EQ(leads_->GetLead(As(anna.token).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Reassigning with the etag it was read with; once stale, it is refused.
  cv1::UpdateLeadRequest update;
  update.mutable_lead()->set_id(in_pest.id());
  update.mutable_lead()->set_etag(in_pest.etag());
  update.mutable_lead()->set_assigned_user_id(anna.id);
  update.mutable_update_mask()->add_paths("assigned_user_id");
  cv1::Lead moved;
  ASSERT_TRUE(leads_->UpdateLead(As(manager.token).get(), update, &moved).ok());
  EXPECT_EQ(moved.assigned_user_id(), anna.id);
  EXPECT_EQ(leads_->UpdateLead(As(manager.token).get(), update, &moved).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(AllLeads(anna.token).size(), 2u);

  // Bad input names the field and writes nothing.
  cv1::CreateLeadRequest bad;
  bad.mutable_lead()->set_contact_name("X");
  cv1::Lead none;
  status = leads_->CreateLead(As(manager.token).get(), bad, &none);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "lead.email");
  bad.mutable_lead()->set_email("x@y.example");
  bad.mutable_lead()->set_country("Hungary");
  status = leads_->CreateLead(As(manager.token).get(), bad, &none);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "lead.country");
  EXPECT_EQ(AllLeads(manager.token).size(), 2u);
}

TEST_F(CrmTest, QualifyingCreatesOrMatchesThePartnerAndOpensAnOpportunity) {
  Start();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  NewPipeline(*this, *pipelines_, As());

  // 1. Nobody like this yet: the partner is created, with its contact.
  cv1::CreateLeadRequest create;
  auto* lead = create.mutable_lead();
  lead->set_title("Raktárrendszer");
  lead->set_contact_name("Fekete Anna");
  lead->set_company_name("Fekete és Fia Kft.");
  lead->set_email("anna@fekete.example");
  lead->set_assigned_user_id(anna.id);
  cv1::Lead first;
  ASSERT_TRUE(leads_->CreateLead(As().get(), create, &first).ok());
  cv1::QualifyLeadRequest qualify;
  qualify.set_id(first.id());
  qualify.set_etag(first.etag());
  qualify.mutable_expected_revenue()->set_currency_code("HUF");
  qualify.mutable_expected_revenue()->set_minor_units(250000000);
  cv1::QualifyLeadResponse qualified;
  auto status = leads_->QualifyLead(As(anna.token).get(), qualify, &qualified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(qualified.partner_created());
  EXPECT_EQ(qualified.lead().status(), cv1::LEAD_STATUS_QUALIFIED);
  EXPECT_EQ(qualified.lead().status_history_size(), 2);
  EXPECT_EQ(qualified.opportunity().owner_user_id(), anna.id);
  EXPECT_EQ(qualified.opportunity().lead_id(), first.id());
  EXPECT_EQ(qualified.opportunity().expected_revenue().minor_units(), 250000000);
  const std::int64_t partner_id = qualified.lead().partner_id();
  partners::v1::GetPartnerRequest get_partner;
  get_partner.set_id(partner_id);
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->GetPartner(As().get(), get_partner, &partner).ok());
  EXPECT_EQ(partner.display_name(), "Fekete és Fia Kft.");
  partners::v1::ListContactsRequest contacts_request;
  contacts_request.set_partner_id(partner_id);
  partners::v1::ListContactsResponse contacts;
  ASSERT_TRUE(partners_->ListContacts(As().get(), contacts_request, &contacts).ok());
  ASSERT_EQ(contacts.contacts_size(), 1);
  EXPECT_EQ(contacts.contacts(0).name(), "Fekete Anna");
  // Qualified once is final.
  EXPECT_EQ(leads_->QualifyLead(As().get(), qualify, &qualified).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // 2. The same email again: matched, not duplicated.
  lead->set_title("Második érdeklődés");
  lead->set_company_name("");
  lead->set_contact_name("Valaki Más");
  cv1::Lead second;
  ASSERT_TRUE(leads_->CreateLead(As().get(), create, &second).ok());
  qualify.set_id(second.id());
  qualify.set_etag(second.etag());
  ASSERT_TRUE(leads_->QualifyLead(As().get(), qualify, &qualified).ok());
  EXPECT_FALSE(qualified.partner_created());
  EXPECT_EQ(qualified.partner_match(), "email");
  EXPECT_EQ(qualified.lead().partner_id(), partner_id);

  // 3. A similar name (accents and case aside): matched.
  lead->set_email("info@masik.example");
  lead->set_company_name("FEKETE ES FIA KFT");
  cv1::Lead third;
  ASSERT_TRUE(leads_->CreateLead(As().get(), create, &third).ok());
  qualify.set_id(third.id());
  qualify.set_etag(third.etag());
  ASSERT_TRUE(leads_->QualifyLead(As().get(), qualify, &qualified).ok());
  EXPECT_EQ(qualified.partner_match(), "name");
  EXPECT_EQ(qualified.lead().partner_id(), partner_id);

  // 4. Disqualify keeps the history and the reason.
  lead->set_email("spam@spam.example");
  cv1::Lead fourth;
  ASSERT_TRUE(leads_->CreateLead(As().get(), create, &fourth).ok());
  cv1::DisqualifyLeadRequest disqualify;
  disqualify.set_id(fourth.id());
  disqualify.set_etag(fourth.etag());
  cv1::Lead closed;
  status = leads_->DisqualifyLead(As().get(), disqualify, &closed);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "reason");
  disqualify.set_reason("spam");
  ASSERT_TRUE(leads_->DisqualifyLead(As().get(), disqualify, &closed).ok());
  EXPECT_EQ(closed.status(), cv1::LEAD_STATUS_DISQUALIFIED);
  EXPECT_EQ(closed.disqualify_reason(), "spam");
  ASSERT_EQ(closed.status_history_size(), 2);
  EXPECT_EQ(closed.status_history(1).note(), "spam");
}

TEST_F(CrmTest, OpportunitiesMoveThroughStagesAndCloseWithHistory) {
  Start();
  const auto pipeline = NewPipeline(*this, *pipelines_, As());
  ASSERT_EQ(pipeline.stages_size(), 5);
  partners::v1::CreatePartnerRequest create_partner;
  create_partner.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
  create_partner.mutable_partner()->set_display_name("Zöld Kft.");
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), create_partner, &partner).ok());

  cv1::CreateOpportunityRequest create;
  create.mutable_opportunity()->set_name("Napelemek");
  create.mutable_opportunity()->set_partner_id(partner.id());
  create.mutable_opportunity()->mutable_expected_close_date()->set_year(2027);
  create.mutable_opportunity()->mutable_expected_close_date()->set_month(3);
  create.mutable_opportunity()->mutable_expected_close_date()->set_day(31);
  create.set_request_id("opp-1");
  cv1::Opportunity opportunity;
  ASSERT_TRUE(opportunities_->CreateOpportunity(As().get(), create, &opportunity).ok());
  EXPECT_EQ(opportunity.stage_id(), pipeline.stages(0).id());
  EXPECT_EQ(opportunity.status(), cv1::OPPORTUNITY_STATUS_OPEN);
  EXPECT_EQ(opportunity.expected_close_date().day(), 31);
  cv1::Opportunity again;
  ASSERT_TRUE(opportunities_->CreateOpportunity(As().get(), create, &again).ok());
  EXPECT_EQ(again.id(), opportunity.id());  // request_id: one opportunity

  cv1::MoveStageRequest move;
  move.set_id(opportunity.id());
  move.set_etag(opportunity.etag());
  move.set_stage_id(pipeline.stages(3).id());  // the won stage: not by MoveStage
  cv1::Opportunity moved;
  EXPECT_EQ(
      kernel::FieldViolationsOf(opportunities_->MoveStage(As().get(), move, &moved)).at(0).field,
      "stage_id");
  move.set_stage_id(pipeline.stages(1).id());
  ASSERT_TRUE(opportunities_->MoveStage(As().get(), move, &moved).ok());
  EXPECT_EQ(moved.stage_id(), pipeline.stages(1).id());
  EXPECT_EQ(opportunities_->MoveStage(As().get(), move, &moved).error_code(),
            grpc::StatusCode::ABORTED);  // the etag is stale now

  cv1::MarkLostRequest lose;
  lose.set_id(opportunity.id());
  lose.set_etag(moved.etag());
  cv1::Opportunity lost;
  EXPECT_EQ(
      kernel::FieldViolationsOf(opportunities_->MarkLost(As().get(), lose, &lost)).at(0).field,
      "reason");
  lose.set_reason("price");
  ASSERT_TRUE(opportunities_->MarkLost(As().get(), lose, &lost).ok());
  EXPECT_EQ(lost.status(), cv1::OPPORTUNITY_STATUS_LOST);
  EXPECT_EQ(lost.lost_reason(), "price");
  EXPECT_TRUE(lost.has_close_time());
  ASSERT_EQ(lost.stage_history_size(), 3);
  EXPECT_EQ(lost.stage_history(0).stage_name(), "New");
  EXPECT_EQ(lost.stage_history(1).stage_name(), "Offer");
  EXPECT_EQ(lost.stage_history(2).stage_name(), "Lost");
  cv1::MarkWonRequest win;
  win.set_id(opportunity.id());
  win.set_etag(lost.etag());
  EXPECT_EQ(opportunities_->MarkWon(As().get(), win, &moved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // A stage holding open opportunities cannot be dropped.
  create.set_request_id("opp-2");
  ASSERT_TRUE(opportunities_->CreateOpportunity(As().get(), create, &opportunity).ok());
  cv1::UpdatePipelineRequest update;
  *update.mutable_pipeline() = pipeline;
  update.mutable_pipeline()->mutable_stages()->erase(update.mutable_pipeline()->stages().begin());
  cv1::Pipeline updated;
  EXPECT_EQ(pipelines_->UpdatePipeline(As().get(), update, &updated).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  cv1::CreatePipelineRequest no_lost;
  no_lost.mutable_pipeline()->set_name("Broken");
  for (int i = 0; i < 3; ++i)
    no_lost.mutable_pipeline()->add_stages()->set_name("S" + std::to_string(i));
  EXPECT_EQ(kernel::FieldViolationsOf(pipelines_->CreatePipeline(As().get(), no_lost, &updated))
                .at(0)
                .field,
            "pipeline.stages");
}

TEST_F(CrmTest, UpdatingAnOpportunityAuditsEveryFieldThatChangedAndGuardsItsEtag) {
  Start();
  NewSalesPipeline({"New"});
  const auto team = NewTeam("Dél", {});
  const auto deal = NewDeal("", "Napelem park");

  cv1::UpdateOpportunityRequest update;
  update.mutable_opportunity()->set_id(deal.id());
  update.mutable_opportunity()->set_etag(deal.etag());
  auto* revenue = update.mutable_opportunity()->mutable_expected_revenue();
  revenue->set_currency_code("EUR");
  revenue->set_minor_units(1'250'000);
  auto* close = update.mutable_opportunity()->mutable_expected_close_date();
  close->set_year(2027);
  close->set_month(3);
  close->set_day(31);
  update.mutable_opportunity()->set_team_id(team);
  update.mutable_opportunity()->set_name("ignored: not in the mask");
  for (const char* path : {"expected_revenue", "expected_close_date", "team_id"}) {
    update.mutable_update_mask()->add_paths(path);
  }
  cv1::Opportunity updated;
  auto status = opportunities_->UpdateOpportunity(As().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.name(), "Napelem park");
  EXPECT_EQ(updated.expected_revenue().currency_code(), "EUR");
  EXPECT_EQ(updated.expected_close_date().year(), 2027);
  EXPECT_EQ(updated.team_id(), team);

  EXPECT_EQ(UpdatedFields("crm.opportunity", deal.id()),
            (std::set<std::string>{"expected_close_date", "expected_revenue", "team_id"}));

  // The etag it was read with is stale now; without one the update applies.
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(opportunities_->UpdateOpportunity(As().get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.mutable_opportunity()->clear_etag();
  ASSERT_TRUE(opportunities_->UpdateOpportunity(As().get(), update, &updated).ok());
  EXPECT_EQ(updated.name(), "ignored: not in the mask");
  // Stages are not updated here.
  update.mutable_update_mask()->add_paths("stage_id");
  status = opportunities_->UpdateOpportunity(As().get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "update_mask");
}

TEST_F(CrmTest, UpdatingAWebFormChangesTheMaskedFieldsAndAuditsThem) {
  Start();
  const auto team = NewTeam("Web", {});
  const auto form = NewContactForm(team, NewColleague("kerdes@ceg.example", kv1::ROLE_SALES).id);

  cv1::UpdateWebFormRequest update;
  update.mutable_web_form()->set_id(form.id());
  update.mutable_web_form()->set_etag(form.etag());
  update.mutable_web_form()->set_title("Írjon nekünk");
  update.mutable_web_form()->set_disabled(true);
  update.mutable_web_form()->set_description("not in the mask");
  update.mutable_update_mask()->add_paths("title");
  update.mutable_update_mask()->add_paths("disabled");
  update.mutable_update_mask()->add_paths("allowed_origins");  // cleared: the request has none
  cv1::WebForm updated;
  auto status = forms_->UpdateWebForm(As().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.title(), "Írjon nekünk");
  EXPECT_TRUE(updated.disabled());
  EXPECT_TRUE(updated.description().empty());
  EXPECT_EQ(updated.allowed_origins_size(), 0);
  EXPECT_EQ(updated.fields_size(), form.fields_size());
  EXPECT_EQ(UpdatedFields("crm.web_form", form.id()),
            (std::set<std::string>{"allowed_origins", "disabled", "title"}));

  // The etag it was read with is stale now; the slug is not updatable.
  EXPECT_EQ(forms_->UpdateWebForm(As().get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.mutable_web_form()->clear_etag();
  update.mutable_update_mask()->add_paths("slug");
  status = forms_->UpdateWebForm(As().get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "update_mask");
}

TEST_F(CrmTest, ExternalPartnersSeeOnlyWhatIsSharedWithThemAndWriteNothing) {
  Start();
  const auto reseller = NewColleague("reseller@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto shared = NewLead(*leads_, As(), "Kiss Anna", "a@kiss.example");
  NewLead(*leads_, As(), "Nagy Béla", "b@nagy.example");
  EXPECT_TRUE(AllLeads(reseller.token).empty());

  cv1::ShareLeadRequest share;
  share.set_id(shared.id());
  share.set_user_id(reseller.id);
  cv1::Lead answer;
  // Anna may not share a lead she does not see; the manager may.
  EXPECT_EQ(leads_->ShareLead(As(anna.token).get(), share, &answer).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(leads_->ShareLead(As().get(), share, &answer).ok());
  ASSERT_TRUE(leads_->ShareLead(As().get(), share, &answer).ok());  // twice: one grant
  const auto seen = AllLeads(reseller.token);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id(), shared.id());
  share.set_user_id(0);
  EXPECT_EQ(kernel::FieldViolationsOf(leads_->ShareLead(As().get(), share, &answer)).at(0).field,
            "user_id");

  // Reading only: every write is refused before any handler runs.
  cv1::DisqualifyLeadRequest disqualify;
  disqualify.set_id(shared.id());
  disqualify.set_etag(shared.etag());
  disqualify.set_reason("no");
  EXPECT_EQ(leads_->DisqualifyLead(As(reseller.token).get(), disqualify, &answer).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Opportunities the same way.
  NewPipeline(*this, *pipelines_, As());
  partners::v1::CreatePartnerRequest create_partner;
  create_partner.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
  create_partner.mutable_partner()->set_display_name("Kék Kft.");
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), create_partner, &partner).ok());
  cv1::CreateOpportunityRequest create;
  create.mutable_opportunity()->set_name("Közös ajánlat");
  create.mutable_opportunity()->set_partner_id(partner.id());
  cv1::Opportunity deal;
  ASSERT_TRUE(opportunities_->CreateOpportunity(As().get(), create, &deal).ok());
  cv1::GetOpportunityRequest get;
  get.set_id(deal.id());
  cv1::Opportunity read;
  EXPECT_EQ(opportunities_->GetOpportunity(As(reseller.token).get(), get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
  cv1::ShareOpportunityRequest share_deal;
  share_deal.set_id(deal.id());
  share_deal.set_user_id(reseller.id);
  ASSERT_TRUE(opportunities_->ShareOpportunity(As().get(), share_deal, &read).ok());
  ASSERT_TRUE(opportunities_->GetOpportunity(As(reseller.token).get(), get, &read).ok());
  EXPECT_EQ(read.name(), "Közös ajánlat");
}

}  // namespace
}  // namespace karton::testing
