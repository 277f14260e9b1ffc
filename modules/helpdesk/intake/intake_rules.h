// What the helpdesk reads from what arrives by itself (docs/helpdesk.md,
// "Where tickets come from"): which ticket a customer's email answers, and
// the text a web form's post makes. Pure functions, unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "karton/crm/v1/crm.pb.h"

namespace karton::helpdesk {

// The first ticket number quoted in `subject` ("Re: [HD-2026-000042] ..."),
// in upper case as tickets carry it; "" when there is none.
std::string TicketNumberIn(std::string_view subject);

// The ticket an email the helpdesk sent to a customer was about, read from
// the idempotency key it gave messaging: "helpdesk.<what>/<ticket id>/...",
// as step actions ("helpdesk.step/42/1/0") send. 0 for any other key, and
// for "helpdesk.sla/...": escalations go to colleagues, not customers.
std::int64_t TicketOfMessageKey(std::string_view key);

// At most `bytes` bytes of `text`, cut between whole UTF-8 characters.
std::string CutUtf8(std::string_view text, std::size_t bytes);

// A web form post as a ticket's subject and description: the post's title
// (else the form's title and who sent it), and its message followed by
// the form's other fields, one "name: value" line each.
std::string SubjectOfSubmission(const crm::v1::WebFormSubmission& submission);
std::string DescriptionOfSubmission(const crm::v1::WebFormSubmission& submission);

}  // namespace karton::helpdesk
