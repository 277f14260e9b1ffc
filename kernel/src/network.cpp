#include "karton/kernel/network.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace karton::kernel {
namespace {

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton wants a terminated string; addresses are short.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string terminated(text);
  IpAddress address;
  if (inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) return address;
  address.v4 = false;
  if (inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    IpAddress mapped;
    std::copy_n(address.bytes.begin() + 12, 4, mapped.bytes.begin());
    return mapped;
  }
  return address;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

std::optional<IpNetwork> IpNetwork::Parse(std::string_view text) {
  text = Trimmed(text);
  const std::size_t slash = text.find('/');
  const auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int width = address->v4 ? 32 : 128;
  int prefix_length = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), prefix_length);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        prefix_length < 0 || prefix_length > width) {
      return std::nullopt;
    }
  }
  IpNetwork network;
  network.base_ = *address;
  network.prefix_length_ = prefix_length;
  // Clear the host bits, so Contains compares whole bytes and ToString is canonical.
  for (int bit = prefix_length; bit < 128; ++bit) {
    network.base_.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return network;
}

bool IpNetwork::Contains(const IpAddress& address) const {
  if (address.v4 != base_.v4) return false;
  const int whole_bytes = prefix_length_ / 8;
  if (!std::equal(base_.bytes.begin(), base_.bytes.begin() + whole_bytes, address.bytes.begin()))
    return false;
  const int rest = prefix_length_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (address.bytes[whole_bytes] & mask) == base_.bytes[whole_bytes];
}

bool IpNetwork::Contains(std::string_view address) const {
  const auto parsed = IpAddress::Parse(address);
  return parsed && Contains(*parsed);
}

std::string IpNetwork::ToString() const {
  return base_.ToString() + "/" + std::to_string(prefix_length_);
}

std::vector<IpNetwork> ParseIpNetworks(std::string_view comma_separated) {
  std::vector<IpNetwork> networks;
  while (!Trimmed(comma_separated).empty()) {
    const std::size_t comma = comma_separated.find(',');
    const std::string_view entry = Trimmed(comma_separated.substr(0, comma));
    auto network = IpNetwork::Parse(entry);
    if (!network) {
      throw std::invalid_argument("\"" + std::string(entry.substr(0, 60)) +
                                  "\" is not an IP address or network (like 10.0.0.0/8)");
    }
    networks.push_back(*network);
    if (comma == std::string_view::npos) break;
    comma_separated.remove_prefix(comma + 1);
  }
  return networks;
}

std::string AddressGroup(std::string_view address) {
  const auto parsed = IpAddress::Parse(address);
  if (!parsed) return std::string(address);
  if (parsed->v4) return parsed->ToString();
  IpAddress prefix = *parsed;
  std::fill(prefix.bytes.begin() + 8, prefix.bytes.end(), 0);
  return prefix.ToString() + "/64";
}

std::string ForwardedClient(std::string_view peer, std::string_view forwarded_for,
                            const std::vector<IpNetwork>& trusted) {
  const auto is_trusted = [&](const IpAddress& address) {
    return std::any_of(trusted.begin(), trusted.end(),
                       [&](const IpNetwork& network) { return network.Contains(address); });
  };
  auto hop = IpAddress::Parse(peer);
  if (!hop || !is_trusted(*hop)) return std::string(peer);
  while (!Trimmed(forwarded_for).empty()) {
    const std::size_t comma = forwarded_for.rfind(',');
    std::string_view entry =
        Trimmed(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    // Some proxies write "[2001:db8::1]:4711" or "192.0.2.1:4711".
    if (!entry.empty() && entry.front() == '[') {
      const std::size_t close = entry.find(']');
      entry = close == std::string_view::npos ? std::string_view() : entry.substr(1, close - 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      entry = entry.substr(0, entry.find(':'));
    }
    const auto previous = IpAddress::Parse(entry);
    if (!previous) break;
    hop = previous;
    if (!is_trusted(*hop)) break;
    if (comma == std::string_view::npos) break;
    forwarded_for = forwarded_for.substr(0, comma);
  }
  return hop->ToString();
}

}  // namespace karton::kernel
