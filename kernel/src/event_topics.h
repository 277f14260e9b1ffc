// Topic names and topic patterns of domain events: what is valid, and how a
// pattern becomes a bound SQL LIKE parameter. Pure functions, unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace karton::kernel {

// "<module>.<resource>.<verb>", each part [a-z][a-z0-9_]*.
bool IsValidTopic(std::string_view topic);
// A topic, or a prefix of one followed by ".*" ("partners.*",
// "partners.partner.*"), or "*" alone.
bool IsValidTopicPattern(std::string_view pattern);
bool TopicMatches(std::string_view pattern, std::string_view topic);
// "<module>.<resource>": events of one aggregate share it and the id.
std::string AggregateTypeOf(std::string_view topic);

// Valid patterns as one comma-separated LIKE list for
// `topic LIKE ANY (string_to_array(:patterns, ','))`: "_" is escaped (it is
// a LIKE wildcard and a legal topic character), ".*" becomes ".%".
// Patterns are validated first, so none contains a comma.
std::string LikePatterns(const std::vector<std::string>& patterns);
// The stored form of a subscription's patterns and back.
std::string JoinTopics(const std::vector<std::string>& patterns);
std::vector<std::string> SplitTopics(std::string_view joined);

}  // namespace karton::kernel
