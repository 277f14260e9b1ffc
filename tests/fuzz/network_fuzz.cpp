// Addresses from outside (kernel/src/network.cpp): the X-Forwarded-For
// header every HTTP request may carry, and the addresses and networks it
// and the configuration name. An address or network that parses prints a
// form that parses back to the same; the visitor ForwardedClient picks is
// the peer or an address from the header, never anything else.
//
// The input: a peer address, "\n", then the X-Forwarded-For header.
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "karton/kernel/network.h"

using karton::fuzz::Check;
namespace kernel = karton::kernel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::string_view peer = input.Until("\n");
  const std::string_view header = input.Rest();

  for (const std::string_view text : {peer, header}) {
    if (const auto address = kernel::IpAddress::Parse(text)) {
      const auto again = kernel::IpAddress::Parse(address->ToString());
      Check(again && again->ToString() == address->ToString(), "an address prints parseably", text);
    }
    if (const auto network = kernel::IpNetwork::Parse(text)) {
      const auto again = kernel::IpNetwork::Parse(network->ToString());
      Check(again && again->ToString() == network->ToString(), "a network prints parseably", text);
      (void)network->Contains(peer);
    }
    (void)kernel::AddressGroup(text);
  }
  try {
    (void)kernel::ParseIpNetworks(header);
  } catch (const std::invalid_argument&) {
  }

  static const std::vector<kernel::IpNetwork> trusted =
      kernel::ParseIpNetworks("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8");
  const std::string visitor = kernel::ForwardedClient(peer, header, trusted);
  Check(visitor == peer || header.find(visitor) != std::string_view::npos ||
            kernel::IpAddress::Parse(visitor).has_value(),
        "the visitor is the peer or comes from the header", visitor);
  return 0;
}
