// The CRM's story, told end to end against a real kartond, in the order a
// heating company lives it: a visitor's web form becomes a lead for the
// sales team, the salesperson calls back and qualifies it, the deal moves
// through the pipeline and is won, and everything stays on the record.
// Each step says what a user would see; the detailed rules have tests of
// their own (crm_web_form_test, crm_leads_test).
#include <chrono>
#include <set>

#include "crm_fixture.h"

namespace karton::testing {
namespace {

TEST_F(CrmTest, ScenarioAWebFormVisitorBecomesAWonCustomer) {
  Start();

  // The company: Anna sells, in the team "Értékesítés"; the contact form
  // sends demo requests to that team and thanks the visitor by email.
  const auto anna = NewColleague("anna@futes.example", kv1::ROLE_SALES);
  const auto support = NewColleague("ugyfelszolgalat@futes.example", kv1::ROLE_SUPPORT);
  const auto sales_team = NewTeam("Értékesítés", {anna.id});
  NewThanksTemplate("Köszönjük, {{lead.contactName}}!", "Hamarosan hívjuk a bemutató miatt.");
  NewContactForm(sales_team, support.id, "form_thanks");
  NewSalesPipeline({"New", "Offer", "Negotiation"});

  // A visitor, Kiss János, asks for a demo of a heat pump on the website.
  std::string answer;
  ASSERT_EQ(Post("name=Kiss+J%C3%A1nos&email=janos%40kissfutes.example&category=demo&"
                 "message=H%C5%91szivatty%C3%BA+bemutat%C3%B3&_website=",
                 answer),
            303)
      << answer;

  // He gets a thank-you mail; Anna, whose team takes demos, gets the lead
  // and a notice.
  ASSERT_TRUE(sink_->WaitForMessages(2, std::chrono::seconds(20)));
  std::set<std::string> mailed;
  for (const auto& mail : sink_->Messages()) mailed.insert(mail.recipients.at(0));
  EXPECT_EQ(mailed, (std::set<std::string>{"janos@kissfutes.example", "anna@futes.example"}));
  const auto inbox = AllLeads(anna.token);
  ASSERT_EQ(inbox.size(), 1u);
  cv1::Lead lead = inbox.at(0);
  EXPECT_EQ(lead.status(), cv1::LEAD_STATUS_NEW);
  EXPECT_EQ(lead.assigned_user_id(), anna.id);
  EXPECT_EQ(lead.source(), cv1::LEAD_SOURCE_WEB_FORM);

  // Anna calls him back and notes his company on the lead.
  cv1::UpdateLeadRequest note_company;
  note_company.mutable_lead()->set_id(lead.id());
  note_company.mutable_lead()->set_etag(lead.etag());
  note_company.mutable_lead()->set_company_name("Kiss Fűtés Kft.");
  auto status = leads_->UpdateLead(As(anna.token).get(), note_company, &lead);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // He is interested: she qualifies the lead. The company becomes a partner
  // (entered once, visible to every module), János its contact, and a deal
  // of 2.5 million forints opens in her pipeline.
  cv1::QualifyLeadRequest qualify;
  qualify.set_id(lead.id());
  qualify.set_etag(lead.etag());
  qualify.mutable_expected_revenue()->set_currency_code("HUF");
  qualify.mutable_expected_revenue()->set_minor_units(250'000'000);
  cv1::QualifyLeadResponse qualified;
  status = leads_->QualifyLead(As(anna.token).get(), qualify, &qualified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(qualified.partner_created());
  const auto partner_id = qualified.lead().partner_id();
  partners::v1::GetPartnerRequest get_partner;
  get_partner.set_id(partner_id);
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->GetPartner(As(anna.token).get(), get_partner, &partner).ok());
  EXPECT_EQ(partner.display_name(), "Kiss Fűtés Kft.");
  partners::v1::ListContactsRequest list_contacts;
  list_contacts.set_partner_id(partner_id);
  partners::v1::ListContactsResponse contacts;
  ASSERT_TRUE(partners_->ListContacts(As(anna.token).get(), list_contacts, &contacts).ok());
  ASSERT_EQ(contacts.contacts_size(), 1);
  EXPECT_EQ(contacts.contacts(0).name(), "Kiss János");
  cv1::Opportunity deal = qualified.opportunity();
  EXPECT_EQ(deal.owner_user_id(), anna.id);
  EXPECT_EQ(deal.partner_id(), partner_id);

  // The offer goes out, they negotiate, and he signs: the deal is won.
  cv1::ListPipelinesRequest list_pipelines;
  cv1::ListPipelinesResponse pipelines;
  ASSERT_TRUE(pipelines_->ListPipelines(As().get(), list_pipelines, &pipelines).ok());
  const auto& stages = pipelines.pipelines(0).stages();
  for (const int next : {1, 2}) {
    cv1::MoveStageRequest move;
    move.set_id(deal.id());
    move.set_etag(deal.etag());
    move.set_stage_id(stages.at(next).id());
    status = opportunities_->MoveStage(As(anna.token).get(), move, &deal);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  cv1::MarkWonRequest win;
  win.set_id(deal.id());
  win.set_etag(deal.etag());
  status = opportunities_->MarkWon(As(anna.token).get(), win, &deal);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The record tells the whole story: the lead qualified into this
  // partner's deal, the deal won through every stage, each step audited.
  EXPECT_EQ(deal.status(), cv1::OPPORTUNITY_STATUS_WON);
  std::vector<std::string> path;
  for (const auto& step : deal.stage_history()) path.push_back(step.stage_name());
  EXPECT_EQ(path, (std::vector<std::string>{"New", "Offer", "Negotiation", "Won"}));
  cv1::GetLeadRequest get_lead;
  get_lead.set_id(lead.id());
  ASSERT_TRUE(leads_->GetLead(As(anna.token).get(), get_lead, &lead).ok());
  EXPECT_EQ(lead.status(), cv1::LEAD_STATUS_QUALIFIED);
  EXPECT_EQ(lead.partner_id(), partner_id);
  EXPECT_EQ(lead.opportunity_id(), deal.id());
  cv1::ListOpportunitiesRequest of_partner;
  of_partner.set_partner_id(partner_id);
  cv1::ListOpportunitiesResponse deals;
  ASSERT_TRUE(opportunities_->ListOpportunities(As(anna.token).get(), of_partner, &deals).ok());
  ASSERT_EQ(deals.opportunities_size(), 1);
  EXPECT_EQ(deals.opportunities(0).status(), cv1::OPPORTUNITY_STATUS_WON);
  EXPECT_EQ(UpdatedFields("crm.lead", lead.id()).count("company_name"), 1u);
}

}  // namespace
}  // namespace karton::testing
