// The helpdesk's walk (business_walk.h): every write of TicketService
// publishes its event and audits its ticket, an update or a state change
// with the fields it changed; so do the writes of ticket types, SLA and the
// knowledge base (a link between an article and a ticket audits the ticket).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"
#include "karton/helpdesk/v1/knowledge_base_service.grpc.pb.h"
#include "karton/helpdesk/v1/sla_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_type_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace hv1 = helpdesk::v1;

using HelpdeskWalkTest = BusinessWalkTest;

TEST_F(HelpdeskWalkTest, EveryTicketWritePublishesItsEventAndAuditsItsChangedFields) {
  modules_ = "crm,helpdesk";
  Start();
  auto tickets = hv1::TicketService::NewStub(channel_);
  auto types = hv1::TicketTypeService::NewStub(channel_);
  auto sla = hv1::SlaService::NewStub(channel_);
  auto kb = hv1::KnowledgeBaseService::NewStub(channel_);
  hv1::Article article;
  hv1::ArticleLink link;
  hv1::BusinessCalendar calendar;
  hv1::SlaPolicy policy;
  const auto agent = NewColleague("ugyfelszolgalat@karton.example", kv1::ROLE_SUPPORT);
  const auto subcontractor = NewColleague("szerviz@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto team = NewTeam("Kiszállók", {agent.id});

  hv1::TicketType complaint;
  const auto ticket_request = [&complaint](const std::string& subject) {
    hv1::CreateTicketRequest request;
    request.mutable_ticket()->set_type_id(complaint.id());
    request.mutable_ticket()->set_subject(subject);
    request.mutable_ticket()->set_requester_email("kiss.janos@example.hu");
    request.mutable_ticket()->set_source(hv1::TICKET_SOURCE_PHONE);
    return request;
  };
  hv1::Ticket ticket;
  hv1::Ticket duplicate;
  hv1::TicketComment comment;
  const std::vector<Step> steps = {
      {"karton.helpdesk.v1.TicketTypeService/CreateTicketType",
       "helpdesk.ticket_type.created",
       "helpdesk.ticket_type",
       {},
       [&] {
         hv1::CreateTicketTypeRequest request;
         request.mutable_ticket_type()->set_name("Panasz");
         request.mutable_ticket_type()->add_steps()->set_name("Rögzítés");
         request.mutable_ticket_type()->add_steps()->set_name("Kivizsgálás");
         auto* answer = request.mutable_ticket_type()->add_steps();
         answer->set_name("Válasz az ügyfélnek");
         answer->add_actions()->mutable_wait_for_customer();
         return types->CreateTicketType(As(agent.token).get(), request, &complaint);
       }},
      {"karton.helpdesk.v1.TicketTypeService/UpdateTicketType",
       "helpdesk.ticket_type.updated",
       "helpdesk.ticket_type",
       {"description"},
       [&] {
         hv1::UpdateTicketTypeRequest request;
         request.mutable_ticket_type()->set_id(complaint.id());
         request.mutable_ticket_type()->set_etag(complaint.etag());
         request.mutable_ticket_type()->set_description("Reklamációk kezelése");
         request.mutable_update_mask()->add_paths("description");
         return types->UpdateTicketType(As(agent.token).get(), request, &complaint);
       }},
      {"karton.helpdesk.v1.SlaService/CreateBusinessCalendar",
       "helpdesk.business_calendar.created",
       "helpdesk.business_calendar",
       {},
       [&] {
         hv1::CreateBusinessCalendarRequest request;
         request.mutable_calendar()->set_name("Ügyelet");
         for (int weekday = 1; weekday <= 6; ++weekday) {
           auto* hours = request.mutable_calendar()->add_hours();
           hours->set_weekday(weekday);
           hours->set_open("07:00");
           hours->set_close(weekday == 6 ? "12:00" : "19:00");
         }
         request.mutable_calendar()->set_hungarian_holidays(true);
         return sla->CreateBusinessCalendar(As(agent.token).get(), request, &calendar);
       }},
      {"karton.helpdesk.v1.SlaService/UpdateBusinessCalendar",
       "helpdesk.business_calendar.updated",
       "helpdesk.business_calendar",
       {"closed_dates"},
       [&] {
         hv1::UpdateBusinessCalendarRequest request;
         request.mutable_calendar()->set_id(calendar.id());
         request.mutable_calendar()->set_etag(calendar.etag());
         auto* closed = request.mutable_calendar()->add_closed_dates();
         closed->set_year(2027);
         closed->set_month(12);
         closed->set_day(31);
         request.mutable_update_mask()->add_paths("closed_dates");
         return sla->UpdateBusinessCalendar(As(agent.token).get(), request, &calendar);
       }},
      {"karton.helpdesk.v1.SlaService/CreateSlaPolicy",
       "helpdesk.sla_policy.created",
       "helpdesk.sla_policy",
       {},
       [&] {
         hv1::CreateSlaPolicyRequest request;
         request.mutable_policy()->set_name("Panaszok");
         request.mutable_policy()->set_type_id(complaint.id());
         request.mutable_policy()->set_calendar_id(calendar.id());
         request.mutable_policy()->set_first_response_minutes(120);
         request.mutable_policy()->set_resolution_minutes(960);
         return sla->CreateSlaPolicy(As(agent.token).get(), request, &policy);
       }},
      {"karton.helpdesk.v1.SlaService/UpdateSlaPolicy",
       "helpdesk.sla_policy.updated",
       "helpdesk.sla_policy",
       {"resolution_minutes"},
       [&] {
         hv1::UpdateSlaPolicyRequest request;
         request.mutable_policy()->set_id(policy.id());
         request.mutable_policy()->set_etag(policy.etag());
         request.mutable_policy()->set_resolution_minutes(1440);
         request.mutable_update_mask()->add_paths("resolution_minutes");
         return sla->UpdateSlaPolicy(As(agent.token).get(), request, &policy);
       }},
      {"karton.helpdesk.v1.TicketService/CreateTicket",
       "helpdesk.ticket.created",
       "helpdesk.ticket",
       {},
       [&] {
         return tickets->CreateTicket(As(agent.token).get(), ticket_request("Nem indul a kazán"),
                                      &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/CreateTicket",
       "helpdesk.ticket.created",
       "helpdesk.ticket",
       {},
       [&] {  // the same call again, logged twice by mistake
         return tickets->CreateTicket(As(agent.token).get(), ticket_request("Kazán nem indul"),
                                      &duplicate);
       }},
      {"karton.helpdesk.v1.TicketService/UpdateTicket",
       "helpdesk.ticket.updated",
       "helpdesk.ticket",
       {"priority", "description"},
       [&] {
         hv1::UpdateTicketRequest request;
         request.mutable_ticket()->set_id(ticket.id());
         request.mutable_ticket()->set_etag(ticket.etag());
         request.mutable_ticket()->set_priority(hv1::TICKET_PRIORITY_HIGH);
         request.mutable_ticket()->set_description("E03 hibakód, a nyomás 0,5 bar.");
         request.mutable_update_mask()->add_paths("priority");
         request.mutable_update_mask()->add_paths("description");
         return tickets->UpdateTicket(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/AssignTicket",
       "helpdesk.ticket.assigned",
       "helpdesk.ticket",
       {"assignee_user_id"},
       [&] {
         hv1::AssignTicketRequest request;
         request.set_id(ticket.id());
         request.set_etag(ticket.etag());
         request.set_assignee_user_id(agent.id);
         return tickets->AssignTicket(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/HandOver",
       "helpdesk.ticket.handed_over",
       "helpdesk.ticket",
       {"assignee_user_id", "team_id", "hand_over_note"},
       [&] {
         hv1::HandOverRequest request;
         request.set_id(ticket.id());
         request.set_etag(ticket.etag());
         request.set_to_team_id(team);
         request.set_note("Kiszállás kell, a vevő délelőtt otthon van.");
         return tickets->HandOver(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/AddComment",
       "helpdesk.ticket.commented",
       "helpdesk.ticket",
       {"comment_id", "first_response_time"},
       [&] {
         hv1::AddCommentRequest request;
         request.set_ticket_id(ticket.id());
         request.mutable_comment()->set_visibility(hv1::COMMENT_VISIBILITY_PUBLIC);
         request.mutable_comment()->set_body("Holnap délelőtt kollégánk kimegy.");
         return tickets->AddComment(As(agent.token).get(), request, &comment);
       }},
      {"karton.helpdesk.v1.TicketService/CompleteStep",
       "helpdesk.ticket.step_completed",
       "helpdesk.ticket",
       {"current_step", "completed_step", "step_note"},
       [&] {
         hv1::CompleteStepRequest request;
         request.set_id(ticket.id());
         request.set_note("Rögzítve, a vevő visszaigazolást kapott.");
         return tickets->CompleteStep(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/SkipStep",
       "helpdesk.ticket.step_skipped",
       "helpdesk.ticket",
       {"current_step", "skipped_step", "skip_reason"},
       [&] {
         hv1::SkipStepRequest request;
         request.set_id(ticket.id());
         request.set_reason("Garanciális csere, nincs mit kivizsgálni.");
         return tickets->SkipStep(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/ChangeState",
       "helpdesk.ticket.state_changed",
       "helpdesk.ticket",
       {"state"},
       [&] {
         hv1::ChangeStateRequest request;
         request.set_id(ticket.id());
         request.set_state(hv1::TICKET_STATE_OPEN);
         return tickets->ChangeState(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/MergeTickets",
       "helpdesk.ticket.merged",
       "helpdesk.ticket",
       {"merged_into_id", "merged_ticket_numbers"},
       [&] {
         hv1::MergeTicketsRequest request;
         request.set_target_id(ticket.id());
         request.add_source_ids(duplicate.id());
         return tickets->MergeTickets(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/ShareTicket",
       "helpdesk.ticket.shared",
       "helpdesk.ticket",
       {},
       [&] {
         hv1::ShareTicketRequest request;
         request.set_id(ticket.id());
         request.set_user_id(subcontractor.id);
         return tickets->ShareTicket(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.TicketService/UnshareTicket",
       "helpdesk.ticket.unshared",
       "helpdesk.ticket",
       {},
       [&] {
         hv1::UnshareTicketRequest request;
         request.set_id(ticket.id());
         request.set_user_id(subcontractor.id);
         return tickets->UnshareTicket(As(agent.token).get(), request, &ticket);
       }},
      {"karton.helpdesk.v1.KnowledgeBaseService/CreateArticle",
       "helpdesk.article.created",
       "helpdesk.article",
       {},
       [&] {
         hv1::CreateArticleRequest request;
         request.mutable_article()->set_slug("tagulasi-tartaly");
         request.mutable_article()->set_title("Csöpögő tágulási tartály");
         request.mutable_article()->set_language("hu");
         request.mutable_article()->set_body("Ellenőrizze a tartály előnyomását.");
         return kb->CreateArticle(As(agent.token).get(), request, &article);
       }},
      {"karton.helpdesk.v1.KnowledgeBaseService/UpdateArticle",
       "helpdesk.article.updated",
       "helpdesk.article",
       {"body", "visibility"},
       [&] {
         hv1::UpdateArticleRequest request;
         request.mutable_article()->set_id(article.id());
         request.mutable_article()->set_etag(article.etag());
         request.mutable_article()->set_body("Ellenőrizze a tartály előnyomását: 1,5 bar.");
         request.mutable_article()->set_visibility(hv1::ARTICLE_VISIBILITY_PUBLIC);
         request.mutable_update_mask()->add_paths("body");
         request.mutable_update_mask()->add_paths("visibility");
         return kb->UpdateArticle(As(agent.token).get(), request, &article);
       }},
      {"karton.helpdesk.v1.KnowledgeBaseService/LinkArticle",
       "helpdesk.article.linked",
       "helpdesk.ticket",
       {"solution_article_ids"},
       [&] {
         hv1::LinkArticleRequest request;
         request.set_ticket_id(ticket.id());
         request.set_article_id(article.id());
         return kb->LinkArticle(As(agent.token).get(), request, &link);
       }},
      {"karton.helpdesk.v1.KnowledgeBaseService/UnlinkArticle",
       "helpdesk.article.unlinked",
       "helpdesk.ticket",
       {"solution_article_ids"},
       [&] {
         hv1::UnlinkArticleRequest request;
         request.set_ticket_id(ticket.id());
         request.set_article_id(article.id());
         return kb->UnlinkArticle(As(agent.token).get(), request, &link);
       }},
      {"karton.helpdesk.v1.KnowledgeBaseService/ArchiveArticle",
       "helpdesk.article.archived",
       "helpdesk.article",
       {"archived"},
       [&] {
         hv1::ArchiveArticleRequest request;
         request.set_id(article.id());
         request.set_etag(article.etag());
         return kb->ArchiveArticle(As(agent.token).get(), request, &article);
       }},
      {"karton.helpdesk.v1.KnowledgeBaseService/RestoreArticle",
       "helpdesk.article.restored",
       "helpdesk.article",
       {"archived"},
       [&] {
         hv1::RestoreArticleRequest request;
         request.set_id(article.id());
         request.set_etag(article.etag());
         return kb->RestoreArticle(As(agent.token).get(), request, &article);
       }},
  };
  Walk("helpdesk", steps);
}

}  // namespace
}  // namespace karton::testing
