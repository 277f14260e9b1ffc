#include "module_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <set>
#include <tuple>

namespace karton::kernel {
namespace {

bool ParseNumber(const std::string& text, std::uint64_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, out);
  return error == std::errc() && ptr == end;
}

}  // namespace

std::optional<SemanticVersion> SemanticVersion::Parse(const std::string& text) {
  std::string core = text.substr(0, text.find('+'));
  SemanticVersion version;
  if (auto dash = core.find('-'); dash != std::string::npos) {
    version.pre_release = core.substr(dash + 1);
    if (version.pre_release.empty()) return std::nullopt;
    core.resize(dash);
  }
  const auto first_dot = core.find('.');
  const auto second_dot =
      first_dot == std::string::npos ? std::string::npos : core.find('.', first_dot + 1);
  if (second_dot == std::string::npos) return std::nullopt;
  if (!ParseNumber(core.substr(0, first_dot), version.major) ||
      !ParseNumber(core.substr(first_dot + 1, second_dot - first_dot - 1), version.minor) ||
      !ParseNumber(core.substr(second_dot + 1), version.patch)) {
    return std::nullopt;
  }
  return version;
}

bool operator<(const SemanticVersion& a, const SemanticVersion& b) {
  if (std::tie(a.major, a.minor, a.patch) != std::tie(b.major, b.minor, b.patch)) {
    return std::tie(a.major, a.minor, a.patch) < std::tie(b.major, b.minor, b.patch);
  }
  // A pre-release precedes its release; two pre-releases compare as text
  // (enough for the "alpha.1" < "beta" cases modules use).
  if (a.pre_release.empty() != b.pre_release.empty()) return !a.pre_release.empty();
  return a.pre_release < b.pre_release;
}

bool IsValidModuleName(const std::string& name) {
  if (name.empty() || name.size() > 63 || name[0] < 'a' || name[0] > 'z') return false;
  // Schemas a module must never own: the kernel's and PostgreSQL's own.
  if (name == "kernel" || name == "public" || name == "information_schema" ||
      name.rfind("pg_", 0) == 0) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::vector<ModuleInfo> ResolveStartOrder(const std::vector<ModuleInfo>& found,
                                          const std::vector<std::string>& wanted) {
  std::map<std::string, const ModuleInfo*> by_name;
  for (const auto& module : found) {
    auto [it, inserted] = by_name.emplace(module.name, &module);
    if (!inserted) {
      throw ModuleError(fmt::format("duplicate module name '{}': declared by {} and by {}",
                                    module.name, it->second->path, module.path));
    }
  }

  // Which modules take part: all, or the wanted ones and their dependencies.
  std::set<std::string> selected;
  std::function<void(const ModuleInfo&, const std::string&)> select =
      [&](const ModuleInfo& module, const std::string& needed_by) {
        if (!selected.insert(module.name).second) return;
        for (const auto& dependency : module.depends) {
          auto it = by_name.find(dependency.name);
          if (it == by_name.end()) {
            throw ModuleError(
                fmt::format("module '{}' ({}) depends on module '{}', which is not installed{}",
                            module.name, module.path, dependency.name, needed_by));
          }
          if (!dependency.min_version.empty()) {
            auto have = SemanticVersion::Parse(it->second->version);
            auto need = SemanticVersion::Parse(dependency.min_version);
            if (!need) {
              throw ModuleError(fmt::format("module '{}' declares a bad version '{}' for '{}'",
                                            module.name, dependency.min_version, dependency.name));
            }
            if (!have || *have < *need) {
              throw ModuleError(fmt::format("module '{}' needs '{}' >= {}, but {} is installed",
                                            module.name, dependency.name, dependency.min_version,
                                            it->second->version));
            }
          }
          select(*it->second, needed_by);
        }
      };
  if (wanted.empty()) {
    for (const auto& module : found) select(module, "");
  } else {
    for (const auto& name : wanted) {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        throw ModuleError(
            fmt::format("--modules names '{}', but no module of that name is installed", name));
      }
      select(*it->second, fmt::format(" (needed for --modules={})", name));
    }
  }

  // Depth-first topological sort, visiting names in sorted order so the
  // result is deterministic; the path on the stack names a cycle exactly.
  std::vector<ModuleInfo> order;
  std::map<std::string, int> state;  // 0 new, 1 on the stack, 2 done
  std::vector<std::string> stack;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    int& mark = state[name];
    if (mark == 2) return;
    if (mark == 1) {
      auto start = std::find(stack.begin(), stack.end(), name);
      std::string cycle;
      for (auto it = start; it != stack.end(); ++it) cycle += *it + " -> ";
      throw ModuleError(fmt::format("module dependency cycle: {}{}", cycle, name));
    }
    mark = 1;
    stack.push_back(name);
    const ModuleInfo& module = *by_name.at(name);
    std::vector<std::string> dependency_names;
    for (const auto& dependency : module.depends) dependency_names.push_back(dependency.name);
    std::sort(dependency_names.begin(), dependency_names.end());
    for (const auto& dependency : dependency_names) visit(dependency);
    stack.pop_back();
    state[name] = 2;
    order.push_back(module);
  };
  for (const auto& name : selected) visit(name);
  return order;
}

}  // namespace karton::kernel
