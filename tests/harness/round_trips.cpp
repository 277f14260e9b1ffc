#include "round_trips.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <sstream>

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

}  // namespace karton::testing
