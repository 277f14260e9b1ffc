// Kernel-private: the error Database::Acquire throws when it cannot give a
// working connection because the server is gone (stopped, restarting,
// unreachable). UnexpectedFailure (guarded.cpp) answers it UNAVAILABLE.
#pragma once

#include <stdexcept>
#include <string>

namespace karton::kernel {

class DatabaseUnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace karton::kernel
