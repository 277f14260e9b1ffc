#include "intake/intake_rules.h"

#include <gtest/gtest.h>

namespace karton::helpdesk {
namespace {

TEST(IntakeRulesTest, FindsTheTicketNumberInASubject) {
  EXPECT_EQ(TicketNumberIn("Re: [HD-2026-000042] Nem indul a kazán"), "HD-2026-000042");
  EXPECT_EQ(TicketNumberIn("Válasz: hd-2026-000042"), "HD-2026-000042");
  EXPECT_EQ(TicketNumberIn("HD-2026-1234567 and HD-2026-000001"), "HD-2026-1234567");
  EXPECT_EQ(TicketNumberIn("Re: Nem indul a kazán"), "");
  // Not a number of ours: too short, inside a word, a longer year.
  EXPECT_EQ(TicketNumberIn("HD-2026-42"), "");
  EXPECT_EQ(TicketNumberIn("XHD-2026-000042"), "");
  EXPECT_EQ(TicketNumberIn("HD-2026-000042x"), "");
  EXPECT_EQ(TicketNumberIn("HD-20261-000042"), "");
  EXPECT_EQ(TicketNumberIn(""), "");
}

TEST(IntakeRulesTest, ReadsTheTicketOfAHelpdeskMessageKey) {
  EXPECT_EQ(TicketOfMessageKey("helpdesk.step/42/1/0"), 42);
  EXPECT_EQ(TicketOfMessageKey("helpdesk.notice/7"), 7);
  // Escalations go to colleagues; other modules' keys name no ticket.
  EXPECT_EQ(TicketOfMessageKey("helpdesk.sla/42/3/first"), 0);
  EXPECT_EQ(TicketOfMessageKey("crm.lead/42"), 0);
  EXPECT_EQ(TicketOfMessageKey("helpdesk.step/x/1"), 0);
  EXPECT_EQ(TicketOfMessageKey("helpdesk./42"), 0);
  EXPECT_EQ(TicketOfMessageKey(""), 0);
}

TEST(IntakeRulesTest, CutsBetweenWholeCharacters) {
  EXPECT_EQ(CutUtf8("árvíz", 1), "");
  EXPECT_EQ(CutUtf8("árvíz", 3), "ár");
  EXPECT_EQ(CutUtf8("abc", 10), "abc");
}

TEST(IntakeRulesTest, AWebFormPostAsSubjectAndDescription) {
  crm::v1::WebFormSubmission submission;
  submission.set_web_form_title("Hibabejelentés");
  submission.set_web_form_slug("hiba");
  auto& post = *submission.mutable_submitted();
  post.set_contact_name("Kiss János");
  post.set_message("Csöpög a csap.");
  post.set_company_name("Kiss Kft.");
  (*post.mutable_custom_fields())["serial"] = "SN-1";
  (*post.mutable_custom_fields())["address"] = "Budapest";
  EXPECT_EQ(SubjectOfSubmission(submission), "Hibabejelentés: Kiss János");
  EXPECT_EQ(DescriptionOfSubmission(submission),
            "Csöpög a csap.\n\ncompany: Kiss Kft.\naddress: Budapest\nserial: SN-1");
  post.set_title("Csöpög");
  EXPECT_EQ(SubjectOfSubmission(submission), "Csöpög");
}

}  // namespace
}  // namespace karton::helpdesk
