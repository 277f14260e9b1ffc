// Addresses as messaging checks and compares them.
//
// How the suppression list names a recipient on each channel, so that one
// exact comparison decides: email addresses in lower case, phone numbers in
// E.164, and for letters the partner or contact ("partners/12",
// "contacts/34"), since a postal address is too loosely written to compare.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "karton/messaging/v1/message.pb.h"

namespace karton::messaging {

// The keys a message is suppressed by (any one listed is enough).
std::vector<std::string> SuppressionKeysOf(const v1::Message& message);

// An address given through the API in its stored form; nullopt with
// `problem` set when it is not one of the channel's shapes.
std::optional<std::string> NormalizeSuppressionAddress(v1::Channel channel,
                                                       const std::string& address,
                                                       std::string& problem);

// A plausible email address (one '@', a dot in the domain, no spaces or
// angle brackets, at most 254 characters); the SMTP server has the last word.
bool LooksLikeEmail(const std::string& address);

// Lower-case ASCII letters; email domains and (in practice) local parts
// compare case-insensitively.
std::string LowerAscii(std::string text);

}  // namespace karton::messaging
