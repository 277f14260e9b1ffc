#include "demo_data.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>

#include <stdexcept>
#include <tuple>

#include "activities/activity_repository.h"
#include "forms/web_form_repository.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/module.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "leads/assignment_rule_repository.h"
#include "leads/lead_repository.h"
#include "pipeline/opportunity_repository.h"
#include "pipeline/pipeline_repository.h"

namespace karton::crm {
namespace {

namespace kv1 = kernel::v1;

// Demo data is loaded once at start, in bulk: more time than a request gets.
constexpr std::chrono::seconds kDemoCallLimit{30};

void Check(const grpc::Status& status, const std::string& what) {
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("CRM demo data: {}: {}", what, status.error_message()));
  }
}

// What the demo colleagues sign in to the web client with (README). Demo
// data only: a kartond without --demo has no such users.
constexpr const char* kDemoPassword = "karton-demo-2026";

// Users and teams live in the kernel; request ids make a repeated demo
// load (after a failed one) find them instead of failing.
std::int64_t DemoUser(kv1::IdentityService::Stub& identity, const std::string& name,
                      const std::string& email, kv1::Role role) {
  kv1::CreateUserRequest request;
  request.mutable_user()->set_name(name);
  request.mutable_user()->set_email(email);
  request.mutable_user()->add_roles(role);
  request.set_password(kDemoPassword);
  request.set_request_id("crm.demo.user." + email);
  kv1::User user;
  Check(identity.CreateUser(kernel::KernelCallContext(kDemoCallLimit).get(), request, &user),
        "user " + email);
  return user.id();
}

std::int64_t DemoTeam(kv1::IdentityService::Stub& identity, const std::string& name,
                      const std::vector<std::int64_t>& members) {
  kv1::CreateTeamRequest request;
  request.mutable_team()->set_name(name);
  request.set_request_id("crm.demo.team." + name);
  kv1::Team team;
  Check(identity.CreateTeam(kernel::KernelCallContext(kDemoCallLimit).get(), request, &team),
        "team " + name);
  for (const auto member : members) {
    kv1::AddTeamMemberRequest add;
    add.set_team_id(team.id());
    add.set_user_id(member);
    kv1::Team updated;
    Check(identity.AddTeamMember(kernel::KernelCallContext(kDemoCallLimit).get(), add, &updated),
          "team member");
  }
  return team.id();
}

}  // namespace

CrmDemoPrepared PrepareCrmDemoData(kernel::ModuleContext& context) {
  CrmDemoPrepared prepared;
  auto identity = kv1::IdentityService::NewStub(context.Channel());
  prepared.anna = DemoUser(*identity, "Kovács Anna", "anna.kovacs@karton.example", kv1::ROLE_SALES);
  prepared.peter = DemoUser(*identity, "Nagy Péter", "peter.nagy@karton.example", kv1::ROLE_SALES);
  prepared.eva = DemoUser(*identity, "Szabó Éva", "eva.szabo@karton.example", kv1::ROLE_SUPPORT);
  prepared.manager =
      DemoUser(*identity, "Tóth Gábor", "gabor.toth@karton.example", kv1::ROLE_SALES_MANAGER);
  prepared.sales = DemoTeam(*identity, "Értékesítés", {prepared.anna, prepared.peter});
  prepared.support = DemoTeam(*identity, "Ügyfélszolgálat", {prepared.eva});

  // The confirmation the form sends (a messaging template).
  messaging::v1::CreateTemplateRequest confirmation;
  auto* tmpl = confirmation.mutable_template_();
  tmpl->set_name("crm_form_confirmation");
  tmpl->set_language("hu");
  tmpl->set_channel(messaging::v1::CHANNEL_EMAIL);
  tmpl->set_subject("Megkaptuk üzenetét – {{form.title}}");
  tmpl->set_text_body(
      "Kedves {{lead.contactName}}!\n\nKöszönjük, hogy írt nekünk. Kollégánk hamarosan "
      "jelentkezik.\n\nÜdvözlettel:\nKarton Kft.\n");
  confirmation.set_request_id("crm.demo.template.confirmation");
  messaging::v1::Template stored_template;
  Check(messaging::v1::MessagingService::NewStub(context.Channel())
            ->CreateTemplate(kernel::KernelCallContext(kDemoCallLimit).get(), confirmation,
                             &stored_template),
        "confirmation template");

  // The first demo organisations, for the opportunities.
  partners::v1::ListPartnersRequest list;
  list.set_filter("kind = \"organization\"");
  list.set_page_size(8);
  partners::v1::ListPartnersResponse partners;
  Check(partners::v1::PartnerService::NewStub(context.Channel())
            ->ListPartners(kernel::KernelCallContext(kDemoCallLimit).get(), list, &partners),
        "demo partners");
  for (const auto& partner : partners.partners()) {
    prepared.organisation_ids.push_back(partner.id());
  }
  return prepared;
}

void LoadCrmDemoData(kernel::ModuleContext& context, soci::session& session,
                     const CrmDemoPrepared& prepared) {
  const auto now = context.Time().Now();
  const auto [anna, peter, eva, manager, sales, support] =
      std::tuple(prepared.anna, prepared.peter, prepared.eva, prepared.manager, prepared.sales,
                 prepared.support);

  v1::WebForm form;
  form.set_slug("contact");
  form.set_title("Kapcsolat");
  form.set_description("Írjon nekünk: ajánlatot, bemutatót kérhet, vagy kérdezhet.");
  form.set_language("hu");
  form.set_confirmation_template("crm_form_confirmation");
  const auto field = [&](const char* name, const char* label, v1::WebFormFieldType type,
                         bool required) {
    auto* added = form.add_fields();
    added->set_name(name);
    added->set_label(label);
    added->set_type(type);
    added->set_required(required);
  };
  field("name", "Név", v1::WEB_FORM_FIELD_TYPE_TEXT, true);
  field("email", "E-mail cím", v1::WEB_FORM_FIELD_TYPE_EMAIL, true);
  field("phone", "Telefonszám", v1::WEB_FORM_FIELD_TYPE_PHONE, false);
  field("company", "Cégnév", v1::WEB_FORM_FIELD_TYPE_TEXT, false);
  field("postal_code", "Irányítószám", v1::WEB_FORM_FIELD_TYPE_TEXT, false);
  field("message", "Üzenet", v1::WEB_FORM_FIELD_TYPE_TEXTAREA, true);
  field("privacy", "Elfogadom az adatkezelési tájékoztatót", v1::WEB_FORM_FIELD_TYPE_CHECKBOX,
        true);
  auto* demo = form.add_categories();
  demo->set_key("demo_request");
  demo->set_label("Bemutatót kérek");
  demo->set_team_id(sales);
  auto* question = form.add_categories();
  question->set_key("support_question");
  question->set_label("Kérdésem van");
  question->set_team_id(support);
  const auto form_id = web_form_repository::Insert(session, form, "", now);

  // Leads that come without a category (the API, imports) go to sales.
  v1::AssignmentRule fallback;
  fallback.set_priority(1000);
  fallback.set_team_id(sales);
  assignment_rule_repository::Insert(session, fallback, now);

  v1::Pipeline pipeline;
  pipeline.set_name("Értékesítés");
  const std::pair<const char*, int> stages[] = {
      {"Új", 10}, {"Igényfelmérés", 25}, {"Ajánlat", 50}, {"Tárgyalás", 75}};
  for (const auto& [name, probability] : stages) {
    auto* stage = pipeline.add_stages();
    stage->set_name(name);
    stage->set_probability(probability);
  }
  auto* won = pipeline.add_stages();
  won->set_name("Megnyert");
  won->set_probability(100);
  won->set_won(true);
  auto* lost = pipeline.add_stages();
  lost->set_name("Elveszett");
  lost->set_lost(true);
  const auto pipeline_id = pipeline_repository::Insert(session, pipeline, "", now);
  const auto stored_pipeline = *pipeline_repository::Find(session, pipeline_id, false);

  // Opportunities on the first demo organisations.
  const char* deals[] = {"Irodai bútorok felújítása", "Éves karbantartási szerződés",
                         "Raktárrendszer bevezetése", "Webáruház fejlesztés",
                         "Flotta-nyomkövetés",        "Ablakcsere a székházban",
                         "Könyvelőprogram licenc",    "Napelemes rendszer"};
  std::vector<std::pair<std::int64_t, std::int64_t>> opened;  // (opportunity, partner)
  for (int i = 0; i < static_cast<int>(prepared.organisation_ids.size()); ++i) {
    v1::Opportunity opportunity;
    opportunity.set_name(deals[i % 8]);
    opportunity.set_partner_id(prepared.organisation_ids[static_cast<std::size_t>(i)]);
    opportunity.set_pipeline_id(pipeline_id);
    opportunity.set_stage_id(stored_pipeline.stages(i % 4).id());
    opportunity.mutable_expected_revenue()->set_currency_code("HUF");
    opportunity.mutable_expected_revenue()->set_minor_units((i + 1) * 1'250'000'00LL);
    opportunity.set_owner_user_id(i % 2 == 0 ? anna : peter);
    opportunity.set_team_id(sales);
    opened.emplace_back(
        opportunity_repository::Insert(session, opportunity, "", manager, now).opportunity.id(),
        opportunity.partner_id());
  }

  // Next steps for most deals, planned over the coming days; the deals
  // after the sixth have none, so they show up as stale (C8).
  struct DemoActivity {
    v1::ActivityType type;
    const char* subject;
    int hours_ahead;
    const char* location;
  };
  const DemoActivity next_steps[] = {
      {v1::ACTIVITY_TYPE_CALL, "Igényfelmérő hívás", 26, ""},
      {v1::ACTIVITY_TYPE_MEETING, "Bemutató az ügyfélnél", 50, "Szeged, Kárász utca 5."},
      {v1::ACTIVITY_TYPE_TASK, "Árajánlat elkészítése", 72, ""},
      {v1::ACTIVITY_TYPE_EMAIL, "Szerződéstervezet kiküldése", 98, ""},
      {v1::ACTIVITY_TYPE_MEETING, "Tárgyalás a beszerzővel", 122, "Budapest, Váci út 1."},
      {v1::ACTIVITY_TYPE_CALL, "Visszahívás a döntés után", 146, ""},
  };
  const auto midnight = std::chrono::floor<std::chrono::days>(now);
  for (std::size_t i = 0; i < opened.size() && i < std::size(next_steps); ++i) {
    const DemoActivity& step = next_steps[i];
    v1::Activity activity;
    activity.set_type(step.type);
    activity.set_subject(step.subject);
    activity.set_location(step.location);
    activity.set_opportunity_id(opened[i].first);
    activity.set_partner_id(opened[i].second);
    activity.set_assigned_user_id(i % 2 == 0 ? anna : peter);
    const auto when = midnight + std::chrono::hours(8 + step.hours_ahead);
    auto* time = step.type == v1::ACTIVITY_TYPE_TASK ? activity.mutable_due_time()
                                                     : activity.mutable_start_time();
    time->set_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
    if (step.type != v1::ACTIVITY_TYPE_TASK) activity.mutable_duration()->set_seconds(3600);
    activity_repository::Insert(session, activity, "", now);
  }

  // A few leads as the form would have brought them.
  struct DemoLead {
    const char* name;
    const char* email;
    const char* company;
    const char* category;
    const char* message;
    std::int64_t user;
    std::int64_t team;
  };
  const DemoLead leads[] = {
      {"Varga Zsófia", "zsofia.varga@example.hu", "Varga Pékség Bt.", "demo_request",
       "Szeretnénk megnézni, hogyan kezelhetnénk az ajánlatainkat.", anna, sales},
      {"Molnár Bence", "bence.molnar@example.hu", "", "support_question",
       "Nem találom a számlámat a rendszerben.", eva, support},
      {"Horváth Lilla", "lilla@horvathdesign.example", "Horváth Design Kft.", "demo_request",
       "Bemutatót kérnénk jövő hétre.", peter, sales},
  };
  for (const auto& demo_lead : leads) {
    v1::Lead lead;
    lead.set_title(fmt::format("Kapcsolat: {}",
                               *demo_lead.company != '\0' ? demo_lead.company : demo_lead.name));
    lead.set_contact_name(demo_lead.name);
    lead.set_email(demo_lead.email);
    lead.set_company_name(demo_lead.company);
    lead.set_category(demo_lead.category);
    lead.set_message(demo_lead.message);
    lead.set_source(v1::LEAD_SOURCE_WEB_FORM);
    lead.set_web_form_id(form_id);
    lead.set_assigned_user_id(demo_lead.user);
    lead.set_team_id(demo_lead.team);
    lead_repository::Insert(session, lead, "", 0, now);
  }
}

}  // namespace karton::crm
