#include "round_trips.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "karton/kernel/database.h"

namespace karton::testing {

RoundTrips::RoundTrips(PGconn* connection) : connection_(connection) {
  trace_ = open_memstream(&text_, &size_);
  PQtrace(connection_, trace_);
  PQsetTraceFlags(connection_, PQTRACE_SUPPRESS_TIMESTAMPS);
}

RoundTrips::~RoundTrips() {
  Stop();
  std::free(text_);
}

std::string RoundTrips::Stop() {
  if (trace_ != nullptr) {
    PQuntrace(connection_);
    std::fclose(trace_);
    trace_ = nullptr;
  }
  std::istringstream lines(std::string(text_, size_));
  std::string line;
  std::string ends;
  while (std::getline(lines, line)) {
    if (line.rfind("F\t", 0) != 0) continue;  // sent by the client (F: frontend)
    if (line.find("\tSync") != std::string::npos) ends += "Sync\n";
    if (const auto query = line.find("\tQuery\t"); query != std::string::npos) {
      ends += "Query " + line.substr(query + 7) + "\n";
    }
  }
  return ends;
}

int CountRoundTrips(const std::string& ends) {
  return static_cast<int>(std::count(ends.begin(), ends.end(), '\n'));
}

PoolRoundTrips::PoolRoundTrips(kernel::Database& database) {
  // Every connection at once, so each is a different one.
  std::vector<kernel::Database::Lease> leases;
  const std::size_t size = database.CurrentStats().size;
  for (std::size_t i = 0; i < size; ++i) leases.push_back(database.Acquire());
  for (auto& lease : leases) {
    connections_.push_back(std::make_unique<RoundTrips>(lease.RawConnection()));
  }
}

std::string PoolRoundTrips::Stop() {
  std::string ends;
  for (auto& connection : connections_) ends += connection->Stop();
  return ends;
}

}  // namespace karton::testing
