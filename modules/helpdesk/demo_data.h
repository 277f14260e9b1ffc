// kartond --demo: ticket types with their processes (a four-step complaint
// process among them) and tickets in every state.
#pragma once

#include <soci/soci.h>

#include "karton/kernel/module.h"

namespace karton::helpdesk {

void LoadHelpdeskDemoData(kernel::ModuleContext& context, soci::session& session);

}  // namespace karton::helpdesk
