// Shared by the CRM tests: kartond with crm (and so partners and messaging)
// on a fresh database, a real SMTP server on loopback, and helpers to make
// colleagues, teams, forms and leads.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "karton/crm/v1/assignment_rule_service.grpc.pb.h"
#include "karton/crm/v1/lead_service.grpc.pb.h"
#include "karton/crm/v1/opportunity_service.grpc.pb.h"
#include "karton/crm/v1/pipeline_service.grpc.pb.h"
#include "karton/crm/v1/web_form_service.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/v1/audit_service.grpc.pb.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "smtp_sink.h"
#include "throwaway_postgres.h"

namespace karton::testing {

namespace cv1 = crm::v1;
namespace kv1 = kernel::v1;

class CrmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_unique<SmtpSink>();
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }

  // A failed test shows what kartond logged.
  void TearDown() override {
    if (HasFailure() && kartond_) std::cerr << "kartond's log:\n" << kartond_->Stderr();
  }

  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments{"--database-url",  conninfo_,
                                       "--data-dir",      data_dir_.Path().string(),
                                       "--modules-dir",   ProductModulesDirectory().string(),
                                       "--modules",       modules_,
                                       "--job-poll-ms",   "100",
                                       "--event-poll-ms", "200",
                                       "--smtp-url",      sink_->Url(),
                                       "--mail-from",     "Karton <noreply@karton.example>",
                                       "--module-option", "messaging.email_per_second=0"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    kartond_ = std::make_unique<KartondProcess>(arguments);
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    channel_ = grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials());
    admin_ = kartond_->AdminToken();
    identity_ = kv1::IdentityService::NewStub(channel_);
    leads_ = cv1::LeadService::NewStub(channel_);
    forms_ = cv1::WebFormService::NewStub(channel_);
    rules_ = cv1::AssignmentRuleService::NewStub(channel_);
    pipelines_ = cv1::PipelineService::NewStub(channel_);
    opportunities_ = cv1::OpportunityService::NewStub(channel_);
    partners_ = partners::v1::PartnerService::NewStub(channel_);
    messaging_ = messaging::v1::MessagingService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& token = "") const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context->AddMetadata("authorization", "Bearer " + (token.empty() ? admin_ : token));
    return context;
  }

  struct Colleague {
    std::int64_t id = 0;
    std::string token;
  };
  Colleague NewColleague(const std::string& email, kv1::Role role) {
    kv1::CreateUserRequest create;
    create.mutable_user()->set_name(email);
    create.mutable_user()->set_email(email);
    create.mutable_user()->add_roles(role);
    kv1::User user;
    EXPECT_TRUE(identity_->CreateUser(As().get(), create, &user).ok());
    kv1::CreateApiTokenRequest token_request;
    token_request.set_user_id(user.id());
    token_request.set_display_name("test");
    kv1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity_->CreateApiToken(As().get(), token_request, &token).ok());
    return {user.id(), token.token()};
  }

  std::int64_t NewTeam(const std::string& name, const std::vector<std::int64_t>& members) {
    kv1::CreateTeamRequest create;
    create.mutable_team()->set_name(name);
    kv1::Team team;
    EXPECT_TRUE(identity_->CreateTeam(As().get(), create, &team).ok());
    for (const auto member : members) {
      kv1::AddTeamMemberRequest add;
      add.set_team_id(team.id());
      add.set_user_id(member);
      kv1::Team updated;
      EXPECT_TRUE(identity_->AddTeamMember(As().get(), add, &updated).ok());
    }
    return team.id();
  }

  // The fields the audit trail lists as changed by updates of a record.
  std::set<std::string> UpdatedFields(const std::string& resource_type, std::int64_t id) {
    kv1::ListAuditEntriesRequest audit;
    audit.set_resource_type(resource_type);
    audit.set_resource_id(id);
    kv1::ListAuditEntriesResponse entries;
    const auto status =
        kv1::AuditService::NewStub(channel_)->ListAuditEntries(As().get(), audit, &entries);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::set<std::string> fields;
    for (const auto& entry : entries.audit_entries()) {
      if (entry.action() != kv1::AUDIT_ACTION_UPDATE) continue;
      for (const auto& change : entry.changes()) fields.insert(change.field());
    }
    return fields;
  }

  // A "contact" form: name, email (required), phone, message; categories
  // demo (to `demo_team`) and question (to `question_user`).
  // The Hungarian email template "form_thanks" that forms confirm posts
  // with (NewContactForm's `confirmation`).
  void NewThanksTemplate(const std::string& subject, const std::string& text_body) {
    messaging::v1::CreateTemplateRequest create;
    auto* thanks = create.mutable_template_();
    thanks->set_name("form_thanks");
    thanks->set_language("hu");
    thanks->set_channel(messaging::v1::CHANNEL_EMAIL);
    thanks->set_subject(subject);
    thanks->set_text_body(text_body);
    messaging::v1::Template stored;
    const auto status = messaging_->CreateTemplate(As().get(), create, &stored);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  cv1::WebForm NewContactForm(std::int64_t demo_team, std::int64_t question_user,
                              const std::string& confirmation = "") {
    cv1::CreateWebFormRequest create;
    auto* form = create.mutable_web_form();
    form->set_slug("contact");
    form->set_title("Kapcsolat");
    form->set_confirmation_template(confirmation);
    form->add_allowed_origins("https://www.example.hu");
    const auto field = [&](const char* name, cv1::WebFormFieldType type, bool required,
                           int max_length = 0) {
      auto* added = form->add_fields();
      added->set_name(name);
      added->set_label(name);
      added->set_type(type);
      added->set_required(required);
      added->set_max_length(max_length);
    };
    field("name", cv1::WEB_FORM_FIELD_TYPE_TEXT, true, 100);
    field("email", cv1::WEB_FORM_FIELD_TYPE_EMAIL, true);
    field("phone", cv1::WEB_FORM_FIELD_TYPE_PHONE, false);
    field("postal_code", cv1::WEB_FORM_FIELD_TYPE_TEXT, false);
    field("message", cv1::WEB_FORM_FIELD_TYPE_TEXTAREA, false, 1000);
    field("budget", cv1::WEB_FORM_FIELD_TYPE_TEXT, false);
    auto* demo = form->add_categories();
    demo->set_key("demo");
    demo->set_label("Demo");
    demo->set_team_id(demo_team);
    auto* question = form->add_categories();
    question->set_key("question");
    question->set_label("Question");
    question->set_user_id(question_user);
    cv1::WebForm created;
    const auto status = forms_->CreateWebForm(As().get(), create, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  int Post(const std::string& body, std::string& answer,
           const std::string& type = "application/x-www-form-urlencoded",
           const std::string& origin = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", type}};
    if (!origin.empty()) headers.emplace_back("Origin", origin);
    return HttpCall(kartond_->HttpAddress(), "POST", "/forms/contact", headers, body, answer);
  }

  // A pipeline with the open stages named (30% each), then Won and Lost.
  void NewSalesPipeline(const std::vector<std::string>& open_stages) {
    cv1::CreatePipelineRequest pipeline;
    pipeline.mutable_pipeline()->set_name("Sales");
    for (const auto& name : open_stages) {
      auto* stage = pipeline.mutable_pipeline()->add_stages();
      stage->set_name(name);
      stage->set_probability(30);
    }
    auto* won = pipeline.mutable_pipeline()->add_stages();
    won->set_name("Won");
    won->set_won(true);
    won->set_probability(100);
    auto* lost = pipeline.mutable_pipeline()->add_stages();
    lost->set_name("Lost");
    lost->set_lost(true);
    cv1::Pipeline created;
    const auto status = pipelines_->CreatePipeline(As().get(), pipeline, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // A new organisation (made by an admin) and a deal for it opened by
  // `token`'s user (default: the admin).
  cv1::Opportunity NewDeal(const std::string& token, const std::string& name) {
    partners::v1::CreatePartnerRequest customer;
    customer.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
    customer.mutable_partner()->set_display_name(name + " Kft.");
    partners::v1::Partner partner;
    EXPECT_TRUE(partners_->CreatePartner(As().get(), customer, &partner).ok());
    cv1::CreateOpportunityRequest create;
    create.mutable_opportunity()->set_name(name);
    create.mutable_opportunity()->set_partner_id(partner.id());
    cv1::Opportunity deal;
    const auto status = opportunities_->CreateOpportunity(As(token).get(), create, &deal);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return deal;
  }

  // A small PDF filed on partner `partner` by the admin (uploads are client
  // streams); returns the document.
  partners::v1::Document UploadPartnerDocument(std::int64_t partner) {
    auto context = As();
    partners::v1::Document uploaded;
    auto writer = partners_->UploadDocument(context.get(), &uploaded);
    partners::v1::UploadDocumentRequest message;
    message.mutable_document()->set_resource_type("partners.partner");
    message.mutable_document()->set_resource_id(partner);
    message.mutable_document()->set_name("keretszerződés.pdf");
    message.mutable_document()->set_content_type("application/pdf");
    EXPECT_TRUE(writer->Write(message));
    message.Clear();
    message.set_chunk("%PDF-1.4 frame contract");
    EXPECT_TRUE(writer->Write(message));
    writer->WritesDone();
    const auto status = writer->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return uploaded;
  }

  std::vector<cv1::Lead> AllLeads(const std::string& token = "") {
    cv1::ListLeadsRequest request;
    request.set_page_size(1000);
    cv1::ListLeadsResponse response;
    const auto status = leads_->ListLeads(As(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.leads().begin(), response.leads().end()};
  }

  std::unique_ptr<SmtpSink> sink_;
  std::string conninfo_;
  // What kartond loads (with what it depends on).
  std::string modules_ = "crm";
  TemporaryDirectory data_dir_;
  std::unique_ptr<KartondProcess> kartond_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string admin_;
  std::unique_ptr<kv1::IdentityService::Stub> identity_;
  std::unique_ptr<cv1::LeadService::Stub> leads_;
  std::unique_ptr<cv1::WebFormService::Stub> forms_;
  std::unique_ptr<cv1::AssignmentRuleService::Stub> rules_;
  std::unique_ptr<cv1::PipelineService::Stub> pipelines_;
  std::unique_ptr<cv1::OpportunityService::Stub> opportunities_;
  std::unique_ptr<partners::v1::PartnerService::Stub> partners_;
  std::unique_ptr<messaging::v1::MessagingService::Stub> messaging_;
};

}  // namespace karton::testing
