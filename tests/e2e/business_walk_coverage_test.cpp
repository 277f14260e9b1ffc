// Which write methods the business walks cover (business_walk.h), which are
// exempt and why, and the test that keeps it complete: every method of
// every service in the product's karton.* packages compiled into this
// program (role_matrix_test.cpp links the sales modules' services in too)
// is a read, walked, or exempt with a reason. A new write method fails it
// until a walk calls it or an exemption says why not.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "business_walk.h"

namespace karton::testing {

const std::map<std::string, std::set<std::string>>& WalkedMethods() {
  static const std::map<std::string, std::set<std::string>> walks = {
      {"partners",  // business_walk_partners_test.cpp
       {"karton.partners.v1.PartnerService/ArchivePartner",
        "karton.partners.v1.PartnerService/BatchLogInteractions",
        "karton.partners.v1.PartnerService/CreateContact",
        "karton.partners.v1.PartnerService/CreateCustomFieldDefinition",
        "karton.partners.v1.PartnerService/CreatePartner",
        "karton.partners.v1.PartnerService/DeleteContact",
        "karton.partners.v1.PartnerService/DeleteDocument",
        "karton.partners.v1.PartnerService/DeletePartner",
        "karton.partners.v1.PartnerService/ErasePersonalData",
        "karton.partners.v1.PartnerService/ImportPartners",
        "karton.partners.v1.PartnerService/LogInteraction",
        "karton.partners.v1.PartnerService/MergePartners",
        "karton.partners.v1.PartnerService/RecordMarketingConsent",
        "karton.partners.v1.PartnerService/RestorePartner",
        "karton.partners.v1.PartnerService/SharePartner",
        "karton.partners.v1.PartnerService/UnsharePartner",
        "karton.partners.v1.PartnerService/UpdateContact",
        "karton.partners.v1.PartnerService/UpdateCustomFieldDefinition",
        "karton.partners.v1.PartnerService/UpdatePartner",
        "karton.partners.v1.PartnerService/UploadDocument"}},
      {"crm",  // business_walk_crm_test.cpp
       {"karton.crm.v1.ActivityService/CancelActivity",
        "karton.crm.v1.ActivityService/CompleteActivity",
        "karton.crm.v1.ActivityService/CreateActivity",
        "karton.crm.v1.ActivityService/UpdateActivity",
        "karton.crm.v1.AssignmentRuleService/CreateAssignmentRule",
        "karton.crm.v1.AssignmentRuleService/DeleteAssignmentRule",
        "karton.crm.v1.LeadService/CreateLead",
        "karton.crm.v1.LeadService/DisqualifyLead",
        "karton.crm.v1.LeadService/QualifyLead",
        "karton.crm.v1.LeadService/ShareLead",
        "karton.crm.v1.LeadService/UnshareLead",
        "karton.crm.v1.LeadService/UpdateLead",
        "karton.crm.v1.OpportunityService/CreateOpportunity",
        "karton.crm.v1.OpportunityService/MarkLost",
        "karton.crm.v1.OpportunityService/MarkWon",
        "karton.crm.v1.OpportunityService/MoveStage",
        "karton.crm.v1.OpportunityService/ShareOpportunity",
        "karton.crm.v1.OpportunityService/UnshareOpportunity",
        "karton.crm.v1.OpportunityService/UpdateOpportunity",
        "karton.crm.v1.PipelineService/CreatePipeline",
        "karton.crm.v1.PipelineService/UpdatePipeline",
        "karton.crm.v1.WebFormService/CreateWebForm",
        "karton.crm.v1.WebFormService/UpdateWebForm"}},
      {"messaging",  // business_walk_messaging_test.cpp
       {"karton.messaging.v1.MessagingService/CreateSuppression",
        "karton.messaging.v1.MessagingService/CreateTemplate",
        "karton.messaging.v1.MessagingService/DeleteSuppression",
        "karton.messaging.v1.MessagingService/SendMessage",
        "karton.messaging.v1.MessagingService/SendMessages",
        "karton.messaging.v1.MessagingService/UpdateTemplate"}},
      {"sales",  // business_walk_sales_test.cpp
       {"karton.orders.v1.ProductService/CreateProduct",
        "karton.orders.v1.ProductService/UpdateProduct",
        "karton.orders.v1.PriceListService/CreatePriceList",
        "karton.orders.v1.PriceListService/UpdatePriceList",
        "karton.orders.v1.QuotationService/AcceptQuotation",
        "karton.orders.v1.QuotationService/CreateQuotation",
        "karton.orders.v1.QuotationService/RejectQuotation",
        "karton.orders.v1.QuotationService/SendQuotation",
        "karton.orders.v1.QuotationService/ShareQuotation",
        "karton.orders.v1.QuotationService/UnshareQuotation",
        "karton.orders.v1.QuotationService/UpdateQuotation",
        "karton.orders.v1.OrderService/CancelOrder",
        "karton.orders.v1.OrderService/CompleteOrder",
        "karton.orders.v1.OrderService/ConfirmOrder",
        "karton.orders.v1.OrderService/CreateOrder",
        "karton.orders.v1.OrderService/MarkDelivered",
        "karton.orders.v1.OrderService/MarkShipped",
        "karton.orders.v1.OrderService/ShareOrder",
        "karton.orders.v1.OrderService/UnshareOrder",
        "karton.orders.v1.OrderService/UpdateOrder",
        "karton.invoicing.v1.InvoiceService/CreateCreditNote",
        "karton.invoicing.v1.InvoiceService/CreateInvoice",
        "karton.invoicing.v1.InvoiceService/CreateInvoiceFromOrder",
        "karton.invoicing.v1.InvoiceService/IssueInvoice",
        "karton.invoicing.v1.InvoiceService/ShareInvoice",
        "karton.invoicing.v1.InvoiceService/UnshareInvoice",
        "karton.invoicing.v1.InvoiceService/UpdateInvoice",
        "karton.invoicing.v1.PaymentService/RecordOffset",
        "karton.invoicing.v1.PaymentService/RecordPayment",
        "karton.invoicing.v1.PaymentService/RecordRefund"}},
      {"automation",  // business_walk_automation_test.cpp
       {"karton.automation.v1.RuleService/CreateRule",
        "karton.automation.v1.RuleService/UpdateRule",
        "karton.automation.v1.RuleService/DeleteRule",
        "karton.automation.v1.JourneyService/CreateJourney",
        "karton.automation.v1.JourneyService/UpdateJourney",
        "karton.automation.v1.JourneyService/DeleteJourney",
        "karton.automation.v1.JourneyService/EnrolInJourney",
        "karton.automation.v1.JourneyService/EnrolSegment",
        "karton.automation.v1.JourneyService/StopEnrolment",
        "karton.automation.v1.RecipeService/EnableRecipe",
        "karton.automation.v1.RecipeService/DisableRecipe"}},
      {"reports",  // business_walk_reports_test.cpp
       {"karton.reports.v1.ReportService/CreateSavedReport",
        "karton.reports.v1.ReportService/DeleteSavedReport"}},
      {"campaigns",  // business_walk_campaigns_test.cpp
       {"karton.campaigns.v1.SegmentService/CreateSegment",
        "karton.campaigns.v1.SegmentService/UpdateSegment",
        "karton.campaigns.v1.SegmentService/DeleteSegment",
        "karton.campaigns.v1.CampaignService/CreateCampaign",
        "karton.campaigns.v1.CampaignService/UpdateCampaign",
        "karton.campaigns.v1.CampaignService/ScheduleCampaign",
        "karton.campaigns.v1.CampaignService/CancelCampaign",
        "karton.campaigns.v1.CallListService/CreateCallList",
        "karton.campaigns.v1.CallListService/RecordCall"}},
      {"helpdesk",  // business_walk_helpdesk_test.cpp
       {"karton.helpdesk.v1.KnowledgeBaseService/ArchiveArticle",
        "karton.helpdesk.v1.KnowledgeBaseService/CreateArticle",
        "karton.helpdesk.v1.KnowledgeBaseService/LinkArticle",
        "karton.helpdesk.v1.KnowledgeBaseService/RestoreArticle",
        "karton.helpdesk.v1.KnowledgeBaseService/UnlinkArticle",
        "karton.helpdesk.v1.KnowledgeBaseService/UpdateArticle",
        "karton.helpdesk.v1.SlaService/CreateBusinessCalendar",
        "karton.helpdesk.v1.SlaService/CreateSlaPolicy",
        "karton.helpdesk.v1.SlaService/UpdateBusinessCalendar",
        "karton.helpdesk.v1.SlaService/UpdateSlaPolicy",
        "karton.helpdesk.v1.TicketService/AddComment",
        "karton.helpdesk.v1.TicketService/AssignTicket",
        "karton.helpdesk.v1.TicketService/ChangeState",
        "karton.helpdesk.v1.TicketService/CompleteStep",
        "karton.helpdesk.v1.TicketService/CreateTicket",
        "karton.helpdesk.v1.TicketService/HandOver",
        "karton.helpdesk.v1.TicketService/MergeTickets",
        "karton.helpdesk.v1.TicketService/ShareTicket",
        "karton.helpdesk.v1.TicketService/SkipStep",
        "karton.helpdesk.v1.TicketService/UnshareTicket",
        "karton.helpdesk.v1.TicketService/UpdateTicket",
        "karton.helpdesk.v1.TicketTypeService/CreateTicketType",
        "karton.helpdesk.v1.TicketTypeService/UpdateTicketType"}},
  };
  return walks;
}

namespace {

// Write methods no walk calls, each with why. Kernel methods are
// administration of the installation, not business changes: the kernel
// declares no topics (topics are "<module>.<resource>.<verb>"); those that
// change stored state audit it (kernel.user, kernel.team, kernel.api_token,
// kernel.webhook), which audit_test.cpp and webhooks_test.cpp check.
const std::map<std::string, std::string_view> kExempt = {
    {"karton.kernel.v1.IdentityService/CreateUser",
     "administration; audited as kernel.user (audit_test.cpp)"},
    {"karton.kernel.v1.IdentityService/UpdateUser", "administration; audited as kernel.user"},
    {"karton.kernel.v1.IdentityService/CreateTeam", "administration; audited as kernel.team"},
    {"karton.kernel.v1.IdentityService/AddTeamMember", "administration; audited as kernel.team"},
    {"karton.kernel.v1.IdentityService/RemoveTeamMember", "administration; audited as kernel.team"},
    {"karton.kernel.v1.IdentityService/CreateApiToken",
     "a credential, not a business change; audited as kernel.api_token (secret left out)"},
    {"karton.kernel.v1.IdentityService/RevokeApiToken",
     "a credential, not a business change; audited as kernel.api_token"},
    {"karton.kernel.v1.IdentityService/SetPassword",
     "a credential, not a business change; audited as kernel.user without the hash "
     "(web_sign_in_test.cpp)"},
    {"karton.kernel.v1.WebhookService/CreateWebhook",
     "delivery configuration; audited as kernel.webhook (webhooks_test.cpp)"},
    {"karton.kernel.v1.WebhookService/DeleteWebhook",
     "delivery configuration; audited as kernel.webhook"},
    {"karton.kernel.v1.WebhookService/EnableWebhook",
     "delivery configuration; audited as kernel.webhook"},
    {"karton.kernel.v1.WebhookService/ReplayWebhook",
     "re-delivers events already published; audited as kernel.webhook"},
    {"karton.kernel.v1.EventService/RetryParkedEvents",
     "re-delivers events already published (events_test.cpp); changes no record"},
    {"karton.kernel.v1.JobService/RetryJob", "operations: runs a dead job again (jobs_test.cpp)"},
    {"karton.kernel.v1.KernelService/AdvanceClock",
     "the test clock (--test-clock only); changes no record"},
    {"karton.invoicing.v1.InvoiceService/ResubmitToNav",
     "operations: reports a rejected or failed NAV submission again; audited on "
     "invoicing.invoice, and NAV's answer publishes invoicing.invoice.nav_accepted or "
     ".nav_rejected (invoicing_nav_test.cpp, sales_e2e_tests)"},
    {"karton.crm.v1.ActivityService/RotateCalendarFeed",
     "replaces a calendar feed's secret URL, a credential, not a business change; audited as "
     "crm.calendar_feed (crm_activities_test.cpp)"},
    {"karton.crm.v1.PersonalDataService/ErasePersonalDataSection",
     "the CRM's part of partners' ErasePersonalData (walked), which publishes "
     "partners.partner.erased; audits an erase entry per record (crm_personal_data_test.cpp)"},
    {"karton.messaging.v1.PersonalDataService/ErasePersonalDataSection",
     "messaging's part of partners' ErasePersonalData (walked), which publishes "
     "partners.partner.erased; audits an erase entry per record (crm_personal_data_test.cpp)"},
};

// Packages of the test fixture modules (tests/modules, tests/sdk): not the
// product's.
const std::set<std::string> kFixturePackages = {"karton.chores.v1",  "karton.hello.v1",
                                                "karton.loyalty.v1", "karton.notes.v1",
                                                "karton.parcels.v1", "karton.testing.v1"};
const std::set<std::string> kProductPackages = {
    "karton.kernel.v1",   "karton.partners.v1",  "karton.crm.v1",        "karton.messaging.v1",
    "karton.orders.v1",   "karton.invoicing.v1", "karton.automation.v1", "karton.campaigns.v1",
    "karton.helpdesk.v1", "karton.reports.v1"};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Reads change nothing: by name, or one of the few named otherwise.
bool IsRead(const std::string& method) {
  for (const std::string_view prefix : {"Get", "BatchGet", "List", "Search", "Export", "Preview",
                                        "Render", "Resolve", "Check", "Find", "Download"}) {
    if (StartsWith(method, prefix)) return true;
  }
  static const std::set<std::string> kReads = {
      "WhoAmI",                   // the caller
      "Subscribe",                // a stream of the event log
      "CustomerOverviewSection",  // a module's part of the customer overview
      "CreditExposure",           // invoicing's part of the credit check
      "RunReport",                // a report computed from the reporting views
      "RunHelpdeskReport"};       // the helpdesk's report over its tickets
  return kReads.count(method) == 1;
}

TEST(BusinessWalkCoverage, EveryWriteMethodIsWalkedOrExemptWithAReason) {
  std::set<std::string> walked;
  for (const auto& [walk, methods] : WalkedMethods()) walked.insert(methods.begin(), methods.end());
  std::vector<std::string> files;
  google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::set<std::string> writes;
  std::set<std::string> packages;
  for (const auto& name : files) {
    if (!StartsWith(name, "karton/")) continue;
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr || file->service_count() == 0) continue;
    if (kFixturePackages.count(file->package()) == 1) continue;
    EXPECT_EQ(kProductPackages.count(file->package()), 1u)
        << file->package() << " (" << name
        << ") is neither a product module's nor a fixture's: add it to one list";
    packages.insert(file->package());
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const std::string method = service->method(m)->name();
        if (!IsRead(method)) writes.insert(service->full_name() + "/" + method);
      }
    }
  }
  // Linked in: otherwise the test would pass by seeing nothing.
  EXPECT_EQ(packages, kProductPackages);
  for (const auto& method : writes) {
    const bool is_walked = walked.count(method) == 1;
    const bool is_exempt = kExempt.count(method) == 1;
    EXPECT_TRUE(is_walked || is_exempt)
        << method << " writes but no business walk calls it and it is not exempt: add a step "
        << "(tests/e2e/business_walk_*_test.cpp) and declare it in WalkedMethods(), or add it "
        << "to kExempt with the reason";
    EXPECT_FALSE(is_walked && is_exempt) << method << " is both walked and exempt";
  }
  for (const auto& method : walked) {
    EXPECT_EQ(writes.count(method), 1u) << method << " is walked but is no write method";
  }
  for (const auto& [method, reason] : kExempt) {
    EXPECT_EQ(writes.count(method), 1u) << method << " is exempt but is no write method";
    EXPECT_FALSE(reason.empty()) << method << " is exempt without a reason";
  }
}

}  // namespace
}  // namespace karton::testing
