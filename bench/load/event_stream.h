// The events part of bench/soak: one EventService/Subscribe stream held open
// for the run, as an outside system following Karton would hold it.
//
// It subscribes to `topics` after `after_event_id` and reads until the
// duration is over, then on until no event has come for `idle` (the events
// of the last writes still arrive) or `most_drain` has passed. Each event's
// lag is its arrival minus its publish_time (the kernel clock's time of the
// change, so commit, sequencing and delivery are in it). Every interval of
// `interval` from the start is reported to `on_interval` as it closes (its
// events, their rate and lag percentiles); events that arrive in the drain
// belong to no interval but count in the totals.
//
// A stream that ends by itself (it never should) is an error: the run
// subscribes again after the last event it has, as a client would, so the
// counts stay comparable. An event id at or below the last one seen is a
// duplicate (the stream is in order).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "closed_loop.h"

namespace karton::bench {

struct EventStreamOptions {
  std::string server;
  std::string token;
  std::vector<std::string> topics;
  std::int64_t after_event_id = 0;
  std::chrono::milliseconds duration{60000};
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds idle{5000};
  std::chrono::milliseconds most_drain{120000};
  std::function<void(const IntervalResult&)> on_interval;  // calls = events, times = lag
};

struct EventStreamResult {
  std::int64_t events = 0;      // distinct events received
  std::int64_t duplicates = 0;  // ids at or below the last one seen
  std::int64_t last_event_id = 0;
  double seconds = 0;                                     // the duration
  double drain_seconds = 0;                               // after it, until idle
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;  // lag over every event
  std::int64_t errors = 0;                                // streams that ended by themselves
  std::map<int, std::pair<std::int64_t, std::string>> errors_by_code;
};

EventStreamResult RunEventStream(const EventStreamOptions& options);

}  // namespace karton::bench
