// A fresh directory under the system temp dir, removed with everything in it
// when the object goes away. Other users may pass through it (mode 0711), as
// a PostgreSQL running as the postgres user must.
#pragma once

#include <filesystem>

namespace karton::testing {

class TemporaryDirectory {
 public:
  TemporaryDirectory();
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const std::filesystem::path& Path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace karton::testing
