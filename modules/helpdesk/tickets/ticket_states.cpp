#include "tickets/ticket_states.h"

#include <fmt/format.h>

namespace karton::helpdesk {

bool IsFinished(const std::string& state) { return state == "resolved" || state == "closed"; }

bool IsReopen(const std::string& from, const std::string& to) {
  return IsFinished(from) && to == "open";
}

std::optional<std::string> RefuseStateChange(const std::string& from, const std::string& to,
                                             bool merged) {
  if (from == to) return fmt::format("the ticket is {} already", from);
  if (merged) return std::string("the ticket was merged into another; it stays closed");
  if (to == "new") return fmt::format("a ticket never goes back to new (it is {})", from);
  if (from == "closed" && to != "open") {
    return fmt::format("a closed ticket can only be reopened (state open), not made {}", to);
  }
  if (from == "resolved" && to != "open" && to != "closed") {
    return fmt::format("a resolved ticket can be reopened (open) or closed, not made {}", to);
  }
  return std::nullopt;
}

}  // namespace karton::helpdesk
