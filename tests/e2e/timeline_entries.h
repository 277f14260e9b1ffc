// What a module's subscription wrote on partners' timelines, read straight
// from the database: the tests that a run of events is logged in one call
// (messaging's sent messages, the CRM's activities, the helpdesk's tickets;
// libs/partner_timeline).
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <thread>

#include "throwaway_postgres.h"

namespace karton::testing {

// The count of `module`'s timeline entries once it reaches `count` (or
// after 15 s).
inline std::string WaitForTimelineEntries(const std::string& conninfo, const std::string& module,
                                          int count) {
  const auto logged = [&] {
    return QueryScalar(conninfo, fmt::format("SELECT count(*) FROM partners.interaction WHERE "
                                             "source_module = '{}'",
                                             module));
  };
  for (int i = 0; i < 150 && logged() != std::to_string(count); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return logged();
}

// How many transactions wrote `module`'s timeline entries.
inline std::string TimelineEntryTransactions(const std::string& conninfo,
                                             const std::string& module) {
  return QueryScalar(conninfo, fmt::format("SELECT count(DISTINCT xmin::text) FROM "
                                           "partners.interaction WHERE source_module = '{}'",
                                           module));
}

}  // namespace karton::testing
