// Routed addresses (messaging.inbound_routes, docs/messaging.md, "Inbound
// email"): an email to one of them is tagged with its route in the
// InboundEmail it publishes, so the module the route names takes it (the
// helpdesk opens a ticket for route "helpdesk") and an unknown sender's
// email becomes no crm lead. Pure rules, unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace karton::messaging {

struct InboundRoute {
  std::string address;  // lower case
  std::string route;    // [a-z][a-z0-9_]*, at most 63 characters
};

// "support@karton.example=helpdesk, help@karton.example=helpdesk": pairs
// separated by commas (blanks around them ignored). Throws
// std::invalid_argument naming the option and the bad pair; an address
// given twice is refused too.
std::vector<InboundRoute> ParseInboundRoutes(std::string_view text);

// The route of the first of `to`, then of `cc`, that has one; "" when none.
std::string RouteOf(const std::vector<InboundRoute>& routes, const std::vector<std::string>& to,
                    const std::vector<std::string>& cc);

}  // namespace karton::messaging
