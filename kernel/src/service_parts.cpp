#include "karton/kernel/service_parts.h"

#include "karton/kernel/module.h"

namespace karton::kernel {

ServiceParts PartsOf(ModuleContext& context) {
  return ServiceParts{
      .database = context.Db(),
      .clock = context.Time(),
      .audit = context.Audit(),
      .events = context.Events(),
      .jobs = context.JobQueue(),
      .log = context.Log(),
      .channel = [&context] { return context.Channel(); },
      .public_url = [&context] { return context.PublicUrl(); },
      .offers = [&context](std::string_view point) { return context.Extensions(point); },
  };
}

}  // namespace karton::kernel
