// The ticket's life (docs/helpdesk.md, "States"): which state changes
// ChangeState allows, as pure rules.
//
//   new ──► open ◄──► waiting_on_customer / waiting_on_third_party
//    │        │                 │
//    └────────┴──► resolved ──► closed
//                     │           │
//                     └── open ◄──┘   (a reopen)
//
// Every state but new may go to resolved or closed; nothing goes back to
// new; a ticket merged into another stays closed.
#pragma once

#include <optional>
#include <string>

namespace karton::helpdesk {

// Why `from` may not become `to` (a message for the caller), or nullopt.
std::optional<std::string> RefuseStateChange(const std::string& from, const std::string& to,
                                             bool merged);

// Back to open from resolved or closed.
bool IsReopen(const std::string& from, const std::string& to);

// Whether the state counts as finished (resolved or closed).
bool IsFinished(const std::string& state);

}  // namespace karton::helpdesk
