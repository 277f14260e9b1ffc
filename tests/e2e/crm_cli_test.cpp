// The `karton leads|opps|pipelines|forms|rules ...` commands end to end: the
// real karton binary against kartond with the CRM module.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <fstream>

#include "crm_fixture.h"
#include "json_fields.h"

namespace karton::testing {
namespace {

TEST_F(CrmTest, CommandLineClientWorksLeadsOpportunitiesFormsAndRules) {
  Start();
  const auto anna = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  const auto team = NewTeam("Értékesítés", {anna.id});
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path()) + " ";

  cv1::CreatePipelineRequest create_pipeline;
  create_pipeline.mutable_pipeline()->set_name("Értékesítés");
  for (const auto& [name, probability] : {std::pair{"New", 10}, {"Offer", 40}}) {
    auto* stage = create_pipeline.mutable_pipeline()->add_stages();
    stage->set_name(name);
    stage->set_probability(probability);
  }
  create_pipeline.mutable_pipeline()->add_stages()->set_name("Won");
  create_pipeline.mutable_pipeline()->mutable_stages(2)->set_won(true);
  create_pipeline.mutable_pipeline()->add_stages()->set_name("Lost");
  create_pipeline.mutable_pipeline()->mutable_stages(3)->set_lost(true);
  cv1::Pipeline pipeline;
  const auto pipeline_status = pipelines_->CreatePipeline(As().get(), create_pipeline, &pipeline);
  ASSERT_TRUE(pipeline_status.ok()) << pipeline_status.error_message();
  const auto [pipelines_exit, pipelines] = RunCommand(karton + "pipelines list");
  EXPECT_EQ(pipelines_exit, 0) << pipelines;
  EXPECT_NE(pipelines.find("New 10% → Offer 40% → Won 0% (won) → Lost 0% (lost)"),
            std::string::npos)
      << pipelines;

  // A fallback rule routes the lead typed in to Anna.
  const auto [rule_exit, rule_json] = RunCommand(
      fmt::format("{} --output json rules add --priority 100 --user {}", karton, anna.id));
  ASSERT_EQ(rule_exit, 0) << rule_json;
  const auto rule = ParseObject(rule_json);
  EXPECT_EQ(Field(rule, "user_id"), std::to_string(anna.id));
  const auto [create_exit, created] = RunCommand(
      karton +
      "--output json leads create --name 'Fekete Béla' --email bela@fekete.example "
      "--company 'Fekete és Fia Kft.' --title Ablakcsere --country HU --postal-code 6720 "
      "--city Szeged --field budget=2M --request-id cli-lead-1");
  ASSERT_EQ(create_exit, 0) << created;
  const auto lead = ParseObject(created);
  EXPECT_EQ(Field(lead, "assigned_user_id"), std::to_string(anna.id));
  EXPECT_EQ(Field(lead, "status"), "LEAD_STATUS_NEW");
  EXPECT_EQ(Field(Object(lead, "custom_fields"), "budget"), "2M");
  ASSERT_EQ(AllLeads().size(), 1u);

  const auto [list_exit, listed] = RunCommand(
      fmt::format("{} --output json leads list --status new --assignee {}", karton, anna.id));
  ASSERT_EQ(list_exit, 0) << listed;
  const auto list = ParseObject(listed);
  ASSERT_EQ(Count(list, "leads"), 1u) << listed;
  EXPECT_EQ(Field(list.at("leads").as_array().at(0).as_object(), "id"), Field(lead, "id"));
  const auto [none_exit, none] = RunCommand(karton + "leads list --status qualified");
  EXPECT_EQ(none_exit, 0) << none;
  EXPECT_EQ(none.find("Fekete"), std::string::npos) << none;

  const auto [assign_exit, assigned] =
      RunCommand(fmt::format("{} --output json leads assign {} --etag '{}' --team {}", karton,
                             Field(lead, "id"), Field(lead, "etag"), team));
  ASSERT_EQ(assign_exit, 0) << assigned;
  const auto reassigned = ParseObject(assigned);
  EXPECT_EQ(Field(reassigned, "team_id"), std::to_string(team));
  EXPECT_EQ(Field(reassigned, "assigned_user_id"), std::to_string(anna.id));

  // Qualification with an amount in forints: fillér in minor units.
  const auto [qualify_exit, qualified] = RunCommand(
      fmt::format("{} --output json leads qualify {} --etag '{}' --revenue '1 250 000 huf' "
                  "--name 'Ablakcsere Szeged'",
                  karton, Field(lead, "id"), Field(reassigned, "etag")));
  ASSERT_EQ(qualify_exit, 0) << qualified;
  const auto qualification = ParseObject(qualified);
  EXPECT_EQ(Field(qualification, "partner_match"), "created");
  EXPECT_EQ(Field(Object(qualification, "lead"), "status"), "LEAD_STATUS_QUALIFIED");
  const auto opportunity = Object(qualification, "opportunity");
  const auto revenue = Object(opportunity, "expected_revenue");
  EXPECT_EQ(Field(revenue, "currency_code"), "HUF");
  EXPECT_EQ(Field(revenue, "minor_units"), "125000000");
  EXPECT_EQ(Field(opportunity, "stage_id"), std::to_string(pipeline.stages(0).id()));

  const auto [opps_exit, opps] = RunCommand(karton + "opps list --status open");
  EXPECT_EQ(opps_exit, 0) << opps;
  EXPECT_NE(opps.find("Ablakcsere Szeged"), std::string::npos) << opps;
  EXPECT_NE(opps.find("1 250 000,00 HUF"), std::string::npos) << opps;
  EXPECT_NE(opps.find(" New "), std::string::npos) << opps;

  // Moved by the stage's name; the old etag is then stale: ABORTED, exit 1.
  const auto [move_exit, moved] =
      RunCommand(fmt::format("{} opps move {} --etag '{}' --stage offer", karton,
                             Field(opportunity, "id"), Field(opportunity, "etag")));
  EXPECT_EQ(move_exit, 0) << moved;
  EXPECT_NE(moved.find(": open, stage Offer\n"), std::string::npos) << moved;
  const auto [stale_exit, stale] =
      RunCommand(fmt::format("{} opps won {} --etag '{}' 2>&1", karton, Field(opportunity, "id"),
                             Field(opportunity, "etag")));
  EXPECT_EQ(stale_exit, 1) << stale;
  EXPECT_NE(stale.find("ABORTED"), std::string::npos) << stale;

  const auto [get_exit, got] =
      RunCommand(fmt::format("{} --output json opps get {}", karton, Field(opportunity, "id")));
  ASSERT_EQ(get_exit, 0) << got;
  const auto current = ParseObject(got);
  ASSERT_EQ(Count(current, "stage_history"), 2u) << got;
  EXPECT_EQ(Field(current.at("stage_history").as_array().at(1).as_object(), "stage_name"), "Offer");
  const auto [won_exit, won] = RunCommand(fmt::format(
      "{} opps won {} --etag '{}'", karton, Field(opportunity, "id"), Field(current, "etag")));
  EXPECT_EQ(won_exit, 0) << won;
  EXPECT_NE(won.find(": won, stage Won\n"), std::string::npos) << won;
  const auto [history_exit, history] =
      RunCommand(fmt::format("{} opps get {}", karton, Field(opportunity, "id")));
  EXPECT_EQ(history_exit, 0) << history;
  for (const char* stage : {"  New ", "  Offer ", "  Won "}) {
    EXPECT_NE(history.find(stage), std::string::npos) << stage << " in\n" << history;
  }

  // A form from a JSON file, served at once.
  TemporaryDirectory files;
  const auto form_file = files.Path() / "demo.json";
  std::ofstream(form_file) << fmt::format(
      R"({{"slug": "cli-demo", "title": "Bemutató",
          "fields": [{{"name": "name", "label": "Név", "type": "WEB_FORM_FIELD_TYPE_TEXT",
                      "required": true}},
                     {{"name": "email", "label": "E-mail", "type": "WEB_FORM_FIELD_TYPE_EMAIL",
                      "required": true}}],
          "categories": [{{"key": "demo", "label": "Demo", "team_id": "{}"}}]}})",
      team);
  const auto [form_exit, form] =
      RunCommand(fmt::format("{} forms create --file '{}'", karton, form_file.string()));
  ASSERT_EQ(form_exit, 0) << form;
  EXPECT_NE(form.find("page         /forms/cli-demo\n"), std::string::npos) << form;
  std::string page;
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/forms/cli-demo", page), 200);
  EXPECT_NE(page.find("Bemutató"), std::string::npos);
  const auto [forms_exit, forms] = RunCommand(karton + "forms list");
  EXPECT_EQ(forms_exit, 0) << forms;
  EXPECT_NE(forms.find("/forms/cli-demo"), std::string::npos) << forms;

  const auto [rules_exit, rules] = RunCommand(karton + "rules list");
  EXPECT_EQ(rules_exit, 0) << rules;
  EXPECT_NE(rules.find(fmt::format("user {}", anna.id)), std::string::npos) << rules;
  const auto [remove_exit, removed] =
      RunCommand(fmt::format("{} rules remove {}", karton, Field(rule, "id")));
  EXPECT_EQ(remove_exit, 0) << removed;
  const auto [empty_exit, empty] = RunCommand(karton + "--output json rules list");
  EXPECT_EQ(empty_exit, 0) << empty;
  EXPECT_EQ(Count(ParseObject(empty), "assignment_rules"), 0u) << empty;

  // Bad usage is exit code 2 and sends nothing.
  const auto [no_channel_exit, no_channel] =
      RunCommand(karton + "leads create --name 'Senki Sem' 2>&1");
  EXPECT_EQ(no_channel_exit, 2) << no_channel;
  EXPECT_NE(no_channel.find("--email E or --phone P"), std::string::npos) << no_channel;
  const auto [bad_amount_exit, bad_amount] =
      RunCommand(karton + "opps create --name X --partner 1 --revenue '12.345 EUR' 2>&1");
  EXPECT_EQ(bad_amount_exit, 2) << bad_amount;
  EXPECT_EQ(AllLeads().size(), 1u);
}

}  // namespace
}  // namespace karton::testing
