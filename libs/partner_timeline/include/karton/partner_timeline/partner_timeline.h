#pragma once
// Entries on partners' timelines, logged by a module that is not partners.
// A subscriber that follows its own events (a message sent, an activity
// completed, a ticket opened) hands a run of them here: one call and one
// transaction in partners for the run, not one for each entry.

#include <span>
#include <string>

#include "karton/kernel/service_parts.h"
#include "karton/partners/v1/partner_service.pb.h"

namespace spdlog {
class logger;
}

namespace karton::partner_timeline {

struct Entry {
  partners::v1::Interaction interaction;
  // How log lines and errors name what the entry is about ("message 42").
  std::string what;
};

// Logs `entries` through PartnerService: one LogInteraction for a single
// entry, BatchLogInteractions for more (all or nothing, at most 1,000 a
// call). Entries are idempotent by their source_module and
// source_reference, so a run delivered again logs nothing twice.
//
// An entry partners refuses (its partner deleted, erased or merged away
// since the event) is skipped with a warning. A refused batch is logged
// again one entry at a time, so the others still get on the timeline. Any
// other failure throws std::runtime_error: the kernel then hands the run's
// events over again, one at a time.
void Log(const kernel::ChannelSource& partners, spdlog::logger& log,
         std::span<const Entry> entries);

}  // namespace karton::partner_timeline
