// The helpdesk module in a real kartond (docs/helpdesk.md): its demo data.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "crm_fixture.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_type_service.grpc.pb.h"

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

}  // namespace
}  // namespace karton::testing
