// Who asked: the email address and phone number a ticket's requester gave,
// in the forms the partners module stores (lower-case addresses, E.164
// numbers), so a ticket finds its partner and contact by them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace karton::helpdesk {

// "Kiss.Janos@Example.HU " -> "kiss.janos@example.hu"; nullopt when it is
// not one address (local part, one @, a dotted domain, no spaces).
std::optional<std::string> NormalEmail(std::string_view text);

// A phone number as E.164: "+36 30 123 4567", "06-30/123-4567" and
// "36301234567" -> "+36301234567". Spaces, dashes, dots, slashes and
// parentheses are dropped; a leading "06" or "36" is Hungary's; "00" is the
// international prefix. nullopt when 8 to 15 digits do not remain.
std::optional<std::string> NormalPhone(std::string_view text);

}  // namespace karton::helpdesk
