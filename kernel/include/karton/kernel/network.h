// IP addresses and networks as the kernel and modules compare them: trusted
// proxies, per-visitor limits, the networks webhooks may reach.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karton::kernel {

// One address in binary form. IPv4 addresses written as IPv4-mapped IPv6
// ("::ffff:192.0.2.1") are read as the IPv4 address they are.
struct IpAddress {
  bool v4 = true;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  // "192.0.2.1", "2001:db8::1"; nullopt for anything else (no ports, no
  // brackets, no zone ids).
  static std::optional<IpAddress> Parse(std::string_view text);
  std::string ToString() const;
};

// A network in CIDR form ("10.0.0.0/8", "2001:db8::/32"), or one address
// ("127.0.0.1" is 127.0.0.1/32).
class IpNetwork {
 public:
  // nullopt when `text` is not an address with an optional prefix length
  // that fits it. Host bits after the prefix are ignored.
  static std::optional<IpNetwork> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const;
  bool Contains(std::string_view address) const;
  std::string ToString() const;

 private:
  IpAddress base_;
  int prefix_length_ = 0;
};

// Parses "a,b,c" (spaces allowed) into networks. Throws std::invalid_argument
// naming the first entry that is not a network.
std::vector<IpNetwork> ParseIpNetworks(std::string_view comma_separated);

// The group one visitor is counted in for per-visitor limits: an IPv4 address
// itself, an IPv6 address's /64 ("2001:db8:1:2::/64"), since one subscriber is
// usually given a whole /64 and can pick any address in it. Text that is not
// an address is its own group.
std::string AddressGroup(std::string_view address);

// The visitor behind a chain of proxies. `peer` is the socket's peer and
// `forwarded_for` the X-Forwarded-For header ("client, proxy1, proxy2", each
// proxy appending the address it was reached from). Unless `peer` is in
// `trusted`, the header is ignored and `peer` is the visitor: anyone can
// send the header. Otherwise the entries are read from the right, and the
// first one that is not a trusted proxy is the visitor; when the chain is
// all trusted proxies, the leftmost is. An entry that is not an address
// ends the walk at the last trusted hop, which is then the visitor.
std::string ForwardedClient(std::string_view peer, std::string_view forwarded_for,
                            const std::vector<IpNetwork>& trusted);

}  // namespace karton::kernel
