#include "node_identity.h"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace karton::kernel {
namespace {

std::string HostName() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host[0] != '\0' ? std::string(host) : std::string("localhost");
}

// "<host>:<16 hex digits>", the host being this machine's.
bool IsOwnId(const std::string& id, const std::string& host) {
  if (id.size() != host.size() + 17 || id.compare(0, host.size(), host) != 0 ||
      id[host.size()] != ':') {
    return false;
  }
  for (std::size_t i = host.size() + 1; i < id.size(); ++i) {
    const char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string PersistentNodeId(const std::filesystem::path& data_dir) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  const auto path = data_dir / "node.id";
  const std::string host = HostName();
  std::string kept;
  if (std::ifstream in(path); in) std::getline(in, kept);
  if (IsOwnId(kept, host)) return kept;
  if (!kept.empty()) {
    spdlog::info("node id in {} was made on another host, or is damaged: this kartond takes a "
                 "new one (claims under the old id wait for their leases)",
                 path.string());
  }
  const std::string id =
      fmt::format("{}:{:08x}{:08x}", host, randombytes_random(), randombytes_random());
  // Written aside and renamed: a crash mid-write leaves the old file or
  // the new one, never half of one.
  const auto temporary = data_dir / "node.id.tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << id << "\n";
    out.flush();
    if (!out) {
      throw std::runtime_error(fmt::format("cannot write {}", temporary.string()));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", path.string(), error.message()));
  }
  return id;
}

}  // namespace karton::kernel
