#include "event_topics.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace karton::kernel {
namespace {

bool IsName(std::string_view part) {
  if (part.empty() || part.size() > 63 || part[0] < 'a' || part[0] > 'z') return false;
  for (char c : part) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Splits on '.'; every part must be a name.
bool AreNames(std::string_view dotted, std::size_t min_parts, std::size_t max_parts) {
  std::size_t parts = 0;
  while (true) {
    const auto dot = dotted.find('.');
    if (!IsName(dotted.substr(0, dot))) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return parts >= min_parts && parts <= max_parts;
}

}  // namespace

bool IsValidTopic(std::string_view topic) { return AreNames(topic, 3, 3); }

bool IsValidTopicPattern(std::string_view pattern) {
  if (pattern == "*") return true;
  if (pattern.size() > 2 && pattern.substr(pattern.size() - 2) == ".*") {
    return AreNames(pattern.substr(0, pattern.size() - 2), 1, 2);
  }
  return IsValidTopic(pattern);
}

bool TopicMatches(std::string_view pattern, std::string_view topic) {
  if (pattern == "*") return true;
  if (pattern.size() > 2 && pattern.substr(pattern.size() - 2) == ".*") {
    const auto prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return topic.substr(0, prefix.size()) == prefix;
  }
  return pattern == topic;
}

std::string AggregateTypeOf(std::string_view topic) {
  const auto last_dot = topic.rfind('.');
  return std::string(last_dot == std::string_view::npos ? topic : topic.substr(0, last_dot));
}

std::string LikePatterns(const std::vector<std::string>& patterns) {
  std::vector<std::string> like;
  for (const auto& pattern : patterns) {
    std::string escaped;
    const bool prefix = pattern.size() >= 1 && pattern.back() == '*';
    const std::string_view fixed =
        prefix ? std::string_view(pattern).substr(0, pattern.size() - 1) : pattern;
    for (char c : fixed) {
      if (c == '_' || c == '%' || c == '\\') escaped += '\\';
      escaped += c;
    }
    if (prefix) escaped += '%';
    like.push_back(std::move(escaped));
  }
  return fmt::format("{}", fmt::join(like, ","));
}

std::string JoinTopics(const std::vector<std::string>& patterns) {
  return fmt::format("{}", fmt::join(patterns, ","));
}

std::vector<std::string> SplitTopics(std::string_view joined) {
  std::vector<std::string> patterns;
  while (!joined.empty()) {
    const auto comma = joined.find(',');
    patterns.emplace_back(joined.substr(0, comma));
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return patterns;
}

}  // namespace karton::kernel
