// The checks of a ticket type and its process, and who may finish a step:
// pure rules, without the database.
#pragma once

#include <string>
#include <vector>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/errors.h"

namespace karton::helpdesk {

// The problems of `type` (name, description, steps and their actions), each
// naming its field under `prefix` ("ticket_type."); whether the teams exist
// is the caller's to check.
std::vector<kernel::FieldViolation> CheckTicketType(const v1::TicketType& type,
                                                    const std::string& prefix);

// Whether `caller` may complete or skip `step`: anyone working the ticket
// when it names no role; else holders of the role, sales managers and
// admins.
bool MayFinishStep(const kernel::Caller& caller, const v1::ProcessStep& step);

// Whether the step's actions include waiting for the customer, and any that
// call another module (an email, an activity).
bool WaitsForCustomer(const v1::ProcessStep& step);
bool CallsOtherModules(const v1::ProcessStep& step);

}  // namespace karton::helpdesk
