// The kernel's own migrations (schema/kernel), embedded at build time.
#pragma once

#include "migrator.h"

namespace karton::kernel {

ModuleMigrations KernelMigrations();

}  // namespace karton::kernel
