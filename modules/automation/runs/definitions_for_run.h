// Rules and journeys read once for a delivered run of events, not once per
// event. The kernel calls the subscription's prepare_run with the events a
// delivery transaction is about to hand the handler (events.h); the runner
// reads there, in one statement, every live definition that waits for any
// of their topics, and each event then takes its topic's share. The
// definitions are what that transaction sees, as a read per event would be.
//
// A runner's subscription is delivered by one kernel thread at a time, so
// the prepared run needs no lock.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "karton/kernel/events.h"

namespace karton::automation {

template <class Definition>
class DefinitionsForRun {
 public:
  // Keeps `definitions` (each waiting for some of the run's topics, in the
  // order read) under every topic of the run that `topics_of` names.
  template <class TopicsOf>
  void Prepare(std::span<const kernel::Event> events, const std::vector<Definition>& definitions,
               TopicsOf topics_of) {
    by_topic_.clear();
    for (const auto& event : events) by_topic_.try_emplace(event.topic);
    for (const auto& definition : definitions) {
      for (const auto& topic : topics_of(definition)) {
        if (auto kept = by_topic_.find(topic); kept != by_topic_.end()) {
          kept->second.push_back(definition);
        }
      }
    }
    first_event_ = events.empty() ? 0 : events.front().id;
    last_event_ = events.empty() ? -1 : events.back().id;
  }

  // The definitions `event`'s topic brings, when the event is of the run
  // prepared last; nullptr otherwise (the caller reads them itself).
  const std::vector<Definition>* For(const kernel::Event& event) const {
    if (event.id < first_event_ || event.id > last_event_) return nullptr;
    const auto kept = by_topic_.find(event.topic);
    return kept == by_topic_.end() ? nullptr : &kept->second;
  }

  // The run's topics, distinct, for the one read.
  static std::vector<std::string> TopicsOf(std::span<const kernel::Event> events) {
    std::vector<std::string> topics;
    for (const auto& event : events) {
      if (std::find(topics.begin(), topics.end(), event.topic) == topics.end()) {
        topics.push_back(event.topic);
      }
    }
    return topics;
  }

 private:
  std::map<std::string, std::vector<Definition>> by_topic_;
  std::int64_t first_event_ = 0;
  std::int64_t last_event_ = -1;
};

}  // namespace karton::automation
