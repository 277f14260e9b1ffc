// Reading a module's numeric settings with the range the module allows. The
// kernel has already checked each --module-option against its declared type
// (kOptions, module_api.h) before the start; the range is the module's:
//
//   options.streams_per_user = kernel::IntegerOption(context, "streams_per_user", 4, 1, 1000);
//
// Not given: `fallback`. Outside [low, high]: std::invalid_argument saying
// "--module-option partners.streams_per_user must be 1 to 1000", which
// stops kartond at start when read in Register().
#pragma once

#include <cstdint>
#include <string_view>

namespace karton::kernel {

class ModuleContext;

std::int64_t IntegerOption(ModuleContext& context, std::string_view key, std::int64_t fallback,
                           std::int64_t low, std::int64_t high);
double NumberOption(ModuleContext& context, std::string_view key, double fallback, double low,
                    double high);

}  // namespace karton::kernel
