// The helpdesk module in a real kartond (docs/helpdesk.md): its demo data.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "crm_fixture.h"
#include "karton/crm/v1/customer_overview_service.grpc.pb.h"
#include "karton/helpdesk/v1/helpdesk_overview_service.pb.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_type_service.grpc.pb.h"
#include "timeline_entries.h"

namespace karton::testing {
namespace {

namespace hv1 = helpdesk::v1;

class HelpdeskTest : public CrmTest {
 protected:
  HelpdeskTest() { modules_ = "crm,helpdesk"; }
};

TEST_F(HelpdeskTest, TheDemoHasAFourStepComplaintProcessTicketsInEveryStateAndABreachedSla) {
  Start({"--demo"});
  auto types = hv1::TicketTypeService::NewStub(channel_);
  hv1::ListTicketTypesResponse listed;
  ASSERT_TRUE(types->ListTicketTypes(As().get(), hv1::ListTicketTypesRequest(), &listed).ok());
  std::map<std::string, int> steps_of;
  for (const auto& type : listed.ticket_types()) steps_of[type.name()] = type.steps_size();
  EXPECT_EQ(steps_of["Panasz"], 4);
  EXPECT_EQ(steps_of.size(), 4u);

  auto tickets = hv1::TicketService::NewStub(channel_);
  hv1::ListTicketsResponse all;
  ASSERT_TRUE(tickets->ListTickets(As().get(), hv1::ListTicketsRequest(), &all).ok());
  std::set<int> states;
  int merged = 0, with_partner = 0, in_process = 0;
  for (const auto& ticket : all.tickets()) {
    states.insert(ticket.state());
    merged += ticket.merged_into_id() != 0;
    with_partner += ticket.partner_id() != 0;
    in_process += ticket.current_step() != 0;
  }
  EXPECT_EQ(states.size(), 6u);  // new, open, both waiting states, resolved, closed
  EXPECT_EQ(merged, 1);
  EXPECT_EQ(with_partner, all.tickets_size());
  EXPECT_GE(in_process, 3);

  // One breached SLA, found by the filter.
  hv1::ListTicketsRequest breached;
  breached.set_sla_state(hv1::SLA_STATE_BREACHED);
  hv1::ListTicketsResponse found;
  ASSERT_TRUE(tickets->ListTickets(As().get(), breached, &found).ok());
  ASSERT_EQ(found.tickets_size(), 1);
  EXPECT_EQ(found.tickets(0).subject(), "Csöpög a tágulási tartály");
}

// The partner card (crm's GetCustomerOverview) carries the helpdesk's
// section: the partner's open tickets the caller may see, a resolved one
// left out, and none for a salesperson who does not own the partner (the
// helpdesk's own visibility rule).
TEST_F(HelpdeskTest, ThePartnerCardShowsTheOpenTicketsTheCallerMaySee) {
  Start();
  partners::v1::CreatePartnerRequest customer;
  customer.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
  customer.mutable_partner()->set_display_name("Kazánház Kft.");
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), customer, &partner).ok());
  auto tickets = hv1::TicketService::NewStub(channel_);
  hv1::Ticket open, resolved;
  for (const auto& [ticket, subject] :
       {std::pair<hv1::Ticket*, const char*>{&open, "Nem indul a kazán"},
        std::pair<hv1::Ticket*, const char*>{&resolved, "Számlamásolat kell"}}) {
    hv1::CreateTicketRequest create;
    create.mutable_ticket()->set_subject(subject);
    create.mutable_ticket()->set_partner_id(partner.id());
    const auto status = tickets->CreateTicket(As().get(), create, ticket);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  hv1::ChangeStateRequest resolve;
  resolve.set_id(resolved.id());
  resolve.set_etag(resolved.etag());
  resolve.set_state(hv1::TICKET_STATE_RESOLVED);
  const auto moved = tickets->ChangeState(As().get(), resolve, &resolved);
  ASSERT_TRUE(moved.ok()) << moved.error_message();

  auto overviews = crm::v1::CustomerOverviewService::NewStub(channel_);
  const auto helpdesk_section = [&](const std::string& token, hv1::HelpdeskOverview& section) {
    crm::v1::GetCustomerOverviewRequest get;
    get.set_partner_id(partner.id());
    crm::v1::CustomerOverview overview;
    const auto status = overviews->GetCustomerOverview(As(token).get(), get, &overview);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const auto& found : overview.sections()) {
      if (found.module() == "helpdesk") return found.content().UnpackTo(&section);
    }
    return false;
  };
  hv1::HelpdeskOverview section;
  ASSERT_TRUE(helpdesk_section("", section));
  ASSERT_EQ(section.open_tickets_size(), 1);
  EXPECT_EQ(section.open_tickets(0).id(), open.id());
  EXPECT_EQ(section.open_tickets(0).subject(), "Nem indul a kazán");
  EXPECT_EQ(section.breached_count(), 0);

  const auto seller = NewColleague("elado@karton.example", kv1::ROLE_SALES);
  hv1::HelpdeskOverview sellers_section;
  ASSERT_TRUE(helpdesk_section(seller.token, sellers_section));
  EXPECT_EQ(sellers_section.open_tickets_size(), 0);

  // On the partner's timeline: both tickets opened, and the one resolved
  // (the helpdesk's subscription logs them after the ticket's commit).
  std::multiset<std::string> subjects;
  for (int attempt = 0; attempt < 300 && subjects.size() < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    partners::v1::ListTimelineRequest timeline;
    timeline.set_partner_id(partner.id());
    partners::v1::ListTimelineResponse listed;
    ASSERT_TRUE(partners_->ListTimeline(As().get(), timeline, &listed).ok());
    subjects.clear();
    for (const auto& entry : listed.interactions()) {
      if (entry.source_module() == "helpdesk") subjects.insert(entry.subject());
    }
  }
  EXPECT_EQ(subjects, (std::multiset<std::string>{
                          "Hibajegy nyitva " + open.number() + ": Nem indul a kazán",
                          "Hibajegy nyitva " + resolved.number() + ": Számlamásolat kell",
                          "Hibajegy megoldva " + resolved.number() + ": Számlamásolat kell"}));
}

// Tickets opened and resolved while the timeline subscription waits reach
// it as one run: one BatchLogInteractions, one transaction for every entry
// (libs/partner_timeline).
TEST_F(HelpdeskTest, ARunOfTicketsIsLoggedOnTheTimelineInOneTransaction) {
  Start();
  auto tickets = hv1::TicketService::NewStub(channel_);
  std::vector<hv1::Ticket> opened;
  {
    SubscriptionHold hold(conninfo_, "helpdesk.partner_timeline");
    for (int i = 0; i < 3; ++i) {
      partners::v1::CreatePartnerRequest customer;
      customer.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
      customer.mutable_partner()->set_display_name(fmt::format("Sorban {} Kft.", i));
      partners::v1::Partner partner;
      ASSERT_TRUE(partners_->CreatePartner(As().get(), customer, &partner).ok());
      hv1::CreateTicketRequest create;
      create.mutable_ticket()->set_subject(fmt::format("Hiba {}", i));
      create.mutable_ticket()->set_partner_id(partner.id());
      hv1::Ticket ticket;
      const auto status = tickets->CreateTicket(As().get(), create, &ticket);
      ASSERT_TRUE(status.ok()) << status.error_message();
      opened.push_back(ticket);
    }
    hv1::ChangeStateRequest resolve;
    resolve.set_id(opened[0].id());
    resolve.set_etag(opened[0].etag());
    resolve.set_state(hv1::TICKET_STATE_RESOLVED);
    hv1::Ticket resolved;
    const auto moved = tickets->ChangeState(As().get(), resolve, &resolved);
    ASSERT_TRUE(moved.ok()) << moved.error_message();
  }
  ASSERT_EQ(WaitForTimelineEntries(conninfo_, "helpdesk", 4), "4");
  EXPECT_EQ(TimelineEntryTransactions(conninfo_, "helpdesk"), "1");
  EXPECT_EQ(QueryScalar(conninfo_,
                        fmt::format("SELECT string_agg(subject, ' | ' ORDER BY occur_time) FROM "
                                    "partners.interaction WHERE partner_id = {}",
                                    opened[0].partner_id())),
            fmt::format("Hibajegy nyitva {0}: Hiba 0 | Hibajegy megoldva {0}: Hiba 0",
                        opened[0].number()));
}

}  // namespace
}  // namespace karton::testing
