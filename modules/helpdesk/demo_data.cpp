#include "demo_data.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "knowledge/article_repository.h"
#include "process/ticket_step_repository.h"
#include "process/ticket_type_repository.h"
#include "sla/sla_repository.h"
#include "sla/ticket_sla.h"
#include "tickets/ticket_repository.h"

namespace karton::helpdesk {
namespace {

using std::chrono::hours;

v1::ProcessStep Step(const char* name, const char* role, hours due) {
  v1::ProcessStep step;
  step.set_name(name);
  step.set_responsible_role(role);
  step.mutable_due_offset()->set_seconds(std::chrono::seconds(due).count());
  return step;
}

v1::Article Article(const char* slug, const char* language, v1::ArticleVisibility visibility,
                    const char* title, const char* body, std::vector<std::string> tags) {
  v1::Article article;
  article.set_slug(slug);
  article.set_language(language);
  article.set_visibility(visibility);
  article.set_title(title);
  article.set_body(body);
  for (auto& tag : tags) article.add_tags(std::move(tag));
  return article;
}

// The knowledge base: public and internal articles in both languages, one
// with a second version, the radiator article linked from the ticket it
// solved.
void LoadArticles(soci::session& session, kernel::TimePoint now) {
  constexpr auto kPublic = v1::ARTICLE_VISIBILITY_PUBLIC;
  constexpr auto kInternal = v1::ARTICLE_VISIBILITY_INTERNAL;
  const std::vector<v1::Article> articles = {
      Article("radiator-legtelenitese", "hu", kPublic, "Hogyan légtelenítsük a radiátort?",
              "Ha a radiátor teteje hideg, az alja meleg, levegő van a rendszerben.\n\n"
              "1. Kapcsolja ki a keringető szivattyút, és várjon fél órát.\n"
              "2. A légtelenítő szelep alá tartson egy rongyot, és nyissa ki a szelepet a "
              "légtelenítő kulccsal.\n"
              "3. Amikor a levegő helyett víz jön, zárja el a szelepet.\n\n"
              "Végül ellenőrizze a kazán nyomását: 1,2 és 1,8 bar között legyen.",
              {"radiátor", "fűtés", "légtelenítés"}),
      Article("kazan-e03-hibakod", "hu", kInternal, "E03 hibakód a kazánon",
              "Az E03 hibakód gyújtáshibát jelez. Először a gázellátást ellenőrizzük "
              "(főcsap, mérőóra), utána a gyújtóelektródát.\n\n"
              "Ha a kazán garanciális, a javítást a szervizpartner végzi: a jegyet a "
              "Javítás típussal vegyük fel.",
              {"kazán", "hibakód", "szerviz"}),
      Article("bleeding-a-radiator", "en", kPublic, "How to bleed a radiator",
              "A radiator that is cold at the top and warm at the bottom has air in it.\n\n"
              "Turn the circulation pump off and wait half an hour, hold a cloth under the "
              "bleed valve and open it with the radiator key. Close it when water comes "
              "instead of air, then check that the boiler's pressure is between 1.2 and 1.8 "
              "bar.",
              {"radiator", "heating"}),
      Article("warranty-replacement-checklist", "en", kInternal,
              "Warranty replacement: what to check first",
              "Before a warranty replacement is promised, check the purchase date on the "
              "invoice, the installer's commissioning report and the serial number.\n\n"
              "Replacements over 500,000 HUF need a sales manager's decision.",
              {"warranty", "complaint"}),
      Article("termosztat-elemcsere", "hu", kPublic, "A termosztát elemcseréje",
              "A termosztát kijelzőjén villogó elem jel azt mutatja, hogy két hónapon belül "
              "elemet kell cserélni. Két AA ceruzaelem kell; a beállítások megmaradnak.",
              {"termosztát"}),
  };
  std::int64_t radiator = 0;
  for (const auto& article : articles) {
    auto created = article_repository::Insert(session, article, 0, now);
    if (!created) throw std::runtime_error("helpdesk demo data: article slug taken");
    if (radiator == 0) radiator = created->id();
  }
  // The radiator article had a second version: the pressure check added.
  auto first = articles[0];
  first.set_id(radiator);
  first.set_body(
      "Ha a radiátor teteje hideg, az alja meleg, levegő van a rendszerben.\n\n"
      "1. Kapcsolja ki a keringető szivattyút, és várjon fél órát.\n"
      "2. A légtelenítő szelep alá tartson egy rongyot, és nyissa ki a szelepet a "
      "légtelenítő kulccsal.\n"
      "3. Amikor a levegő helyett víz jön, zárja el a szelepet.\n\n"
      "Végül ellenőrizze a kazán nyomását: 1,2 és 1,8 bar között legyen. Ha kevesebb, "
      "töltse fel a rendszert a töltőcsapon, vagy hívja ügyfélszolgálatunkat.");
  article_repository::Update(session, first, 0, now);
  const auto ticket = kernel::RunPrepared(
      session,
      "SELECT id FROM helpdesk.ticket WHERE subject = 'Hogyan kell légteleníteni a radiátort?'",
      {});
  if (ticket.Count() == 1) {
    v1::ArticleLink link;
    article_repository::Link(session, kernel::ParseInt64(ticket.Text(0, 0)).value_or(0), radiator,
                             0, now, link);
  }
}

v1::TicketType Type(const char* name, const char* description, std::vector<v1::ProcessStep> steps) {
  v1::TicketType type;
  type.set_name(name);
  type.set_description(description);
  for (auto& step : steps) *type.add_steps() = std::move(step);
  return type;
}

}  // namespace

void LoadHelpdeskDemoData(kernel::ModuleContext& context, soci::session& session) {
  const auto now = context.Time().Now();

  // The complaint process: four steps, the customer told at the start and
  // answered at the end, a sales manager deciding in between.
  auto record = Step("Rögzítés és visszaigazolás", "support", hours(4));
  record.add_actions()->mutable_email_customer()->set_template_name("helpdesk_complaint_received");
  auto investigate = Step("Kivizsgálás", "support", hours(72));
  auto decide = Step("Döntés a panaszról", "sales_manager", hours(120));
  decide.add_actions()->mutable_create_activity()->set_subject("Döntés a panaszról");
  auto answer = Step("Válasz az ügyfélnek", "support", hours(24));
  answer.add_actions()->mutable_email_customer()->set_template_name("helpdesk_complaint_answer");
  answer.add_actions()->mutable_wait_for_customer();
  auto visit = Step("Kiszállás", "external_partner", hours(48));
  const std::vector<v1::TicketType> types = {
      Type("Panasz", "Termékkel vagy szolgáltatással kapcsolatos reklamáció",
           {record, investigate, decide, answer}),
      Type("Javítás", "Meghibásodott készülék javítása",
           {Step("Hibafelvétel", "support", hours(8)), visit,
            Step("Lezárás", "support", hours(24))}),
      Type("Telepítés", "Új készülék beüzemelése",
           {Step("Időpont egyeztetése", "support", hours(24)), visit}),
      Type("Kérdés", "Általános érdeklődés", {}),
  };
  std::vector<v1::TicketType> stored;
  for (const auto& type : types) {
    auto created = ticket_type_repository::Insert(session, type, now);
    if (!created) throw std::runtime_error("helpdesk demo data: ticket type name taken");
    stored.push_back(*created);
  }
  const auto& complaint = stored[0];
  const auto& repair = stored[1];
  const auto& installation = stored[2];
  const auto& question = stored[3];

  // SLA: a general policy on the default calendar, and a tighter one for
  // urgent tickets.
  const auto calendar =
      kernel::RunPrepared(session, "SELECT min(id) FROM helpdesk.business_calendar", {});
  v1::SlaPolicy general;
  general.set_name("Általános");
  general.set_calendar_id(kernel::ParseInt64(calendar.Text(0, 0)).value_or(0));
  general.set_first_response_minutes(240);
  general.set_resolution_minutes(2400);
  general.set_warn_percent(80);
  sla_repository::InsertPolicy(session, general, now);
  v1::SlaPolicy urgent = general;
  urgent.set_name("Sürgős");
  urgent.set_priority(v1::TICKET_PRIORITY_URGENT);
  urgent.set_first_response_minutes(60);
  urgent.set_resolution_minutes(480);
  sla_repository::InsertPolicy(session, urgent, now);
  auto parts = kernel::PartsOf(context);

  // The first partners of the partners module's demo data are the customers.
  std::vector<std::int64_t> partners;
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id FROM partners.partner WHERE merged_into_id IS NULL AND erase_time IS NULL "
      "ORDER BY id LIMIT 6",
      {});
  for (int row = 0; row < rows.Count(); ++row) {
    partners.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  }
  const auto customer = [&](std::size_t i) {
    return partners.empty() ? std::int64_t{0} : partners[i % partners.size()];
  };

  struct DemoTicket {
    const char* subject;
    const v1::TicketType* type;
    v1::TicketPriority priority;
    v1::TicketSource source;
    const char* state;
    int done_steps;  // finished steps of its process; the next one is current
    const char* comment;
  };
  const std::vector<DemoTicket> tickets = {
      {"Nem indul a kazán, E03 hibakód", &repair, v1::TICKET_PRIORITY_HIGH, v1::TICKET_SOURCE_PHONE,
       "new", 0, ""},
      {"A beszerelt termosztát rosszul mér", &complaint, v1::TICKET_PRIORITY_NORMAL,
       v1::TICKET_SOURCE_EMAIL, "open", 1, "A vevő fotót küldött a kijelzőről."},
      {"Túlszámlázott kiszállási díj", &complaint, v1::TICKET_PRIORITY_NORMAL,
       v1::TICKET_SOURCE_API, "waiting_on_customer", 3,
       "Jóváírást ajánlottunk, a vevő válaszát várjuk."},
      {"Csöpög a tágulási tartály", &repair, v1::TICKET_PRIORITY_URGENT, v1::TICKET_SOURCE_PHONE,
       "waiting_on_third_party", 1, "Alkatrész rendelve a nagykereskedőtől."},
      {"Hogyan kell légteleníteni a radiátort?", &question, v1::TICKET_PRIORITY_LOW,
       v1::TICKET_SOURCE_WEB_FORM, "resolved", 0, "Elküldtük a tudástár cikkét."},
      {"Új kondenzációs kazán beüzemelése", &installation, v1::TICKET_PRIORITY_NORMAL,
       v1::TICKET_SOURCE_API, "closed", 2, "Beüzemelve, jegyzőkönyv aláírva."},
  };
  std::int64_t first_id = 0;
  for (std::size_t i = 0; i < tickets.size(); ++i) {
    const auto& demo = tickets[i];
    v1::Ticket ticket;
    ticket.set_subject(demo.subject);
    ticket.set_priority(demo.priority);
    ticket.set_source(demo.source);
    ticket.set_type_id(demo.type->id());
    ticket.set_partner_id(customer(i));
    auto created = ticket_repository::Insert(session, ticket, 0, "", now);
    const auto id = created->id();
    if (first_id == 0) first_id = id;
    std::vector<v1::ProcessStep> steps(demo.type->steps().begin(), demo.type->steps().end());
    if (!steps.empty()) {
      ticket_step_repository::Replace(session, id, steps);
      const int done = std::min<int>(demo.done_steps, static_cast<int>(steps.size()));
      for (int position = 1; position <= done; ++position) {
        ticket_step_repository::Begin(session, id, position, now, std::chrono::seconds(0));
        ticket_step_repository::Finish(session, id, position, false, 0, "", now);
      }
      if (done < static_cast<int>(steps.size())) {
        ticket_step_repository::Begin(
            session, id, done + 1, now,
            std::chrono::seconds(steps[static_cast<std::size_t>(done)].due_offset().seconds()));
      }
      ticket_step_repository::SetCurrent(session, id,
                                         done < static_cast<int>(steps.size()) ? done + 1 : 0, now);
    }
    const std::string state = demo.state;
    if (state == "resolved" || state == "closed") {
      ticket_repository::SetState(session, id, "open", false, now);
      ticket_repository::SetState(session, id, "resolved", false, now);
      if (state == "closed") ticket_repository::SetState(session, id, "closed", false, now);
    } else if (state != "new") {
      ticket_repository::SetState(session, id, state, false, now);
    }
    PlanSla(parts, session, kernel::Caller::Internal(), id);
    if (*demo.comment != '\0') {
      v1::TicketComment comment;
      comment.set_ticket_id(id);
      comment.set_visibility(v1::COMMENT_VISIBILITY_INTERNAL);
      comment.set_body(demo.comment);
      ticket_repository::AddComment(session, comment, now);
    }
  }
  // The urgent leak came in a week ago and is past its resolution target:
  // breached, as its jobs would have found it.
  kernel::RunPrepared(
      session,
      "UPDATE helpdesk.ticket SET create_time = create_time - interval '7 days', "
      "resolve_due_time = create_time - interval '5 days', first_response_due_time = NULL, "
      "first_response_time = create_time - interval '7 days' + interval '20 minutes', "
      "resolve_warned = true, resolve_breached = true, sla_state = 'breached', "
      "sla_generation = sla_generation + 1 WHERE subject = 'Csöpög a tágulási tartály'",
      {});
  // The same boiler reported twice: the second ticket merged into the first.
  v1::Ticket duplicate;
  duplicate.set_subject("Kazán hiba (ismét bejelentve)");
  duplicate.set_source(v1::TICKET_SOURCE_PHONE);
  duplicate.set_priority(v1::TICKET_PRIORITY_NORMAL);
  duplicate.set_partner_id(customer(0));
  const auto merged = ticket_repository::Insert(session, duplicate, 0, "", now);
  ticket_repository::MarkMerged(session, merged->id(), first_id, now);
  LoadArticles(session, now);
}

}  // namespace karton::helpdesk
