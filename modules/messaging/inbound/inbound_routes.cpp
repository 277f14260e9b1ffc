#include "inbound/inbound_routes.h"

#include <fmt/format.h>

#include <stdexcept>

#include "addresses.h"

namespace karton::messaging {
namespace {

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsRouteName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() < 'a' || name.front() > 'z') return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::vector<InboundRoute> ParseInboundRoutes(std::string_view text) {
  std::vector<InboundRoute> routes;
  while (!Trimmed(text).empty()) {
    const auto comma = text.find(',');
    const std::string_view pair = Trimmed(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    const std::string address =
        LowerAscii(std::string(Trimmed(pair.substr(0, std::min(equals, pair.size())))));
    const std::string route(equals == std::string_view::npos ? ""
                                                             : Trimmed(pair.substr(equals + 1)));
    if (equals == std::string_view::npos || !LooksLikeEmail(address) || !IsRouteName(route)) {
      throw std::invalid_argument(fmt::format(
          "--module-option messaging.inbound_routes: '{}' is not <address>=<route> (an email "
          "address, and a route of a-z, 0-9 and _ such as helpdesk)",
          pair));
    }
    for (const auto& earlier : routes) {
      if (earlier.address == address) {
        throw std::invalid_argument(
            fmt::format("--module-option messaging.inbound_routes: {} is routed twice", address));
      }
    }
    routes.push_back({.address = address, .route = route});
  }
  return routes;
}

std::string RouteOf(const std::vector<InboundRoute>& routes, const std::vector<std::string>& to,
                    const std::vector<std::string>& cc) {
  for (const auto* addresses : {&to, &cc}) {
    for (const auto& address : *addresses) {
      for (const auto& route : routes) {
        if (route.address == address) return route.route;
      }
    }
  }
  return "";
}

}  // namespace karton::messaging
