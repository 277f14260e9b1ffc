// The checks of a ticket type's process, and who may finish a step.
#include "process/process_rules.h"

#include <gtest/gtest.h>

namespace karton::helpdesk {
namespace {

std::vector<std::string> Fields(const v1::TicketType& type) {
  std::vector<std::string> fields;
  for (const auto& problem : CheckTicketType(type, "ticket_type.")) fields.push_back(problem.field);
  return fields;
}

TEST(ProcessRulesTest, AWellFormedComplaintProcessPasses) {
  v1::TicketType type;
  type.set_name("Panasz");
  auto* record = type.add_steps();
  record->set_name("Rögzítés");
  record->set_responsible_role("support");
  record->add_actions()->mutable_email_customer()->set_template_name("helpdesk_complaint");
  auto* decide = type.add_steps();
  decide->set_name("Döntés");
  decide->set_responsible_role("sales_manager");
  decide->mutable_due_offset()->set_seconds(5 * 24 * 3600);
  decide->add_actions()->mutable_create_activity()->set_subject("Döntés a panaszról");
  decide->add_actions()->mutable_wait_for_customer();
  EXPECT_TRUE(Fields(type).empty());
  EXPECT_TRUE(WaitsForCustomer(*decide));
  EXPECT_TRUE(CallsOtherModules(*decide));
  EXPECT_FALSE(WaitsForCustomer(*record));
}

TEST(ProcessRulesTest, EachProblemNamesItsStepAndAction) {
  v1::TicketType type;
  auto* step = type.add_steps();
  step->set_responsible_role("boss");
  step->mutable_due_offset()->set_seconds(-1);
  step->add_actions();
  step->add_actions()->mutable_email_customer()->set_language("de");
  step->add_actions()->mutable_create_activity();
  EXPECT_EQ(Fields(type), (std::vector<std::string>{
                              "ticket_type.name", "ticket_type.steps[0].name",
                              "ticket_type.steps[0].responsible_role",
                              "ticket_type.steps[0].due_offset", "ticket_type.steps[0].actions[0]",
                              "ticket_type.steps[0].actions[1].email_customer.template_name",
                              "ticket_type.steps[0].actions[1].email_customer.language",
                              "ticket_type.steps[0].actions[2].create_activity.subject"}));
  for (int i = 0; i < 31; ++i) type.add_steps()->set_name("x");
  EXPECT_EQ(Fields(type), (std::vector<std::string>{"ticket_type.name", "ticket_type.steps"}));
}

TEST(ProcessRulesTest, AStepOfARoleIsFinishedByItsHoldersManagersAndAdmins) {
  v1::ProcessStep step;
  step.set_responsible_role("accounting");
  const auto user = [](std::int64_t id, const char* role) {
    kernel::Caller caller;
    caller.user_id = id;
    caller.roles = {role};
    return caller;
  };
  const auto support = user(1, "support");
  const auto accountant = user(2, "accounting");
  const auto manager = user(3, "sales_manager");
  const auto admin = user(4, "admin");
  EXPECT_FALSE(MayFinishStep(support, step));
  EXPECT_TRUE(MayFinishStep(accountant, step));
  EXPECT_TRUE(MayFinishStep(manager, step));
  EXPECT_TRUE(MayFinishStep(admin, step));
  step.clear_responsible_role();
  EXPECT_TRUE(MayFinishStep(support, step));
}

}  // namespace
}  // namespace karton::helpdesk
