// The messaging module's settings, read from kartond's options
// (--smtp-url, --mail-from, --module-option messaging.<key>=...; the keys
// are listed in docs/messaging.md). Bad values stop the start with a
// message that names the option.
#pragma once

#include "delivery/delivery_job.h"
#include "karton/kernel/module.h"

namespace karton::messaging {

ChannelSettings ReadChannelSettings(kernel::ModuleContext& context);

}  // namespace karton::messaging
