// Who reads partners' records, as every repository of the module takes it
// (VisibilityOf in service_support.h makes one from the caller).
#pragma once

#include <cstdint>

namespace karton::partners::repository {

// Who is reading. Restricted (external) readers see only what is shared with
// user_id: an external partner its grants, nobody (user 0) nothing. The
// default is restricted, so a forgotten visibility hides rather than shows;
// staff and kartond's own reads say Everyone() (see VisibilityOf).
struct Visibility {
  bool external = true;
  std::int64_t user_id = 0;

  static Visibility Everyone() { return {false, 0}; }
};

}  // namespace karton::partners::repository
