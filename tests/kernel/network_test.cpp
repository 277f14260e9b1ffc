#include "karton/kernel/network.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "karton/kernel/rate_limit.h"

namespace karton::kernel {
namespace {

using namespace std::chrono_literals;

TEST(IpNetwork, ParsesAddressesAndPrefixesAndRefusesTheRest) {
  EXPECT_EQ(IpNetwork::Parse("10.1.2.3/8")->ToString(), "10.0.0.0/8");
  EXPECT_EQ(IpNetwork::Parse("127.0.0.1")->ToString(), "127.0.0.1/32");
  EXPECT_EQ(IpNetwork::Parse(" 2001:db8::1/32 ")->ToString(), "2001:db8::/32");
  EXPECT_EQ(IpNetwork::Parse("::ffff:192.0.2.7")->ToString(), "192.0.2.7/32");
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "2001:db8::/129",
                          "example.com", "10.0.0.0/8/8", "10.0.0.256", "[::1]"}) {
    EXPECT_FALSE(IpNetwork::Parse(bad).has_value()) << bad;
  }
}

TEST(IpNetwork, ContainsComparesOnlyThePrefix) {
  const auto private_a = *IpNetwork::Parse("10.0.0.0/8");
  EXPECT_TRUE(private_a.Contains("10.255.1.2"));
  EXPECT_TRUE(private_a.Contains("::ffff:10.0.0.1"));
  EXPECT_FALSE(private_a.Contains("11.0.0.1"));
  EXPECT_FALSE(private_a.Contains("::1"));
  EXPECT_FALSE(private_a.Contains("not an address"));
  const auto odd = *IpNetwork::Parse("192.168.4.0/22");
  EXPECT_TRUE(odd.Contains("192.168.7.255"));
  EXPECT_FALSE(odd.Contains("192.168.8.0"));
  const auto v6 = *IpNetwork::Parse("fd00::/8");
  EXPECT_TRUE(v6.Contains("fd12:3456::1"));
  EXPECT_FALSE(v6.Contains("fe80::1"));
  EXPECT_TRUE(IpNetwork::Parse("0.0.0.0/0")->Contains("203.0.113.9"));
}

TEST(IpNetwork, AListNamesItsFirstBadEntry) {
  EXPECT_EQ(ParseIpNetworks("").size(), 0u);
  EXPECT_EQ(ParseIpNetworks("10.0.0.0/8, 127.0.0.1 ,::1").size(), 3u);
  try {
    ParseIpNetworks("10.0.0.0/8,proxy.example.com");
    FAIL() << "a host name was taken for a network";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("proxy.example.com"), std::string::npos);
  }
}

TEST(AddressGroup, IPv6VisitorsAreCountedByTheir64) {
  EXPECT_EQ(AddressGroup("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(AddressGroup("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(AddressGroup("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(AddressGroup("2001:db8:1:2:bbbb::7"), "2001:db8:1:2::/64");
  EXPECT_NE(AddressGroup("2001:db8:1:3::1"), AddressGroup("2001:db8:1:2::1"));
}

TEST(ForwardedClient, TheHeaderCountsOnlyFromATrustedProxy) {
  const auto trusted = ParseIpNetworks("127.0.0.1,10.0.0.0/8");
  // Anyone may send the header: from an untrusted peer it is ignored.
  EXPECT_EQ(ForwardedClient("198.51.100.1", "203.0.113.9", trusted), "198.51.100.1");
  // One trusted proxy: the visitor is the address it appended.
  EXPECT_EQ(ForwardedClient("127.0.0.1", "203.0.113.9", trusted), "203.0.113.9");
  // A spoofed entry left of the real one is not believed.
  EXPECT_EQ(ForwardedClient("127.0.0.1", "1.2.3.4, 203.0.113.9", trusted), "203.0.113.9");
  // Two trusted hops: skip the inner proxy.
  EXPECT_EQ(ForwardedClient("127.0.0.1", "203.0.113.9, 10.1.1.1", trusted), "203.0.113.9");
  // Ports and brackets some proxies write.
  EXPECT_EQ(ForwardedClient("127.0.0.1", "203.0.113.9:4711", trusted), "203.0.113.9");
  EXPECT_EQ(ForwardedClient("127.0.0.1", "[2001:db8::5]:4711", trusted), "2001:db8::5");
  // No header, or garbage: the last trusted hop is the visitor.
  EXPECT_EQ(ForwardedClient("127.0.0.1", "", trusted), "127.0.0.1");
  EXPECT_EQ(ForwardedClient("127.0.0.1", "unknown", trusted), "127.0.0.1");
  EXPECT_EQ(ForwardedClient("127.0.0.1", "203.0.113.9, garbage, 10.1.1.1", trusted), "10.1.1.1");
  // All hops trusted: the leftmost.
  EXPECT_EQ(ForwardedClient("127.0.0.1", "10.2.2.2, 10.1.1.1", trusted), "10.2.2.2");
  // No trusted proxies configured: always the peer.
  EXPECT_EQ(ForwardedClient("127.0.0.1", "203.0.113.9", {}), "127.0.0.1");
}

TEST(RateLimiter, SpendsTheBurstThenEarnsBackAtTheRate) {
  RateLimiter limiter({.per_minute = 6, .burst = 2});
  const auto start = RateLimiter::Clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.Take("a", start).admitted);
  EXPECT_TRUE(limiter.Take("a", start).admitted);
  const auto refused = limiter.Take("a", start);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, 10s);  // 6 a minute: one every 10 s
  EXPECT_TRUE(limiter.Take("b", start).admitted) << "keys have their own buckets";
  EXPECT_FALSE(limiter.Take("a", start + 9s).admitted);
  EXPECT_TRUE(limiter.Take("a", start + 19s).admitted);
  EXPECT_TRUE(limiter.Take("a", start + 1h).admitted);
  EXPECT_TRUE(limiter.Take("a", start + 1h).admitted);
  EXPECT_FALSE(limiter.Take("a", start + 1h).admitted) << "the bucket holds the burst at most";
}

TEST(RateLimiter, KeepsAtMostMaxKeysForgettingTheLongestUnseen) {
  RateLimiter limiter({.per_minute = 1, .max_keys = 3});
  const auto now = RateLimiter::Clock::time_point{} + 1h;
  for (const char* key : {"a", "b", "c"}) EXPECT_TRUE(limiter.Take(key, now).admitted);
  EXPECT_FALSE(limiter.Take("a", now).admitted);  // "a" is now the most recent
  EXPECT_TRUE(limiter.Take("d", now).admitted);   // forgets "b"
  EXPECT_EQ(limiter.KeyCount(), 3u);
  EXPECT_FALSE(limiter.Take("a", now).admitted) << "a recently seen key is kept";
  EXPECT_FALSE(limiter.Take("c", now).admitted);
  EXPECT_TRUE(limiter.Take("b", now).admitted) << "the forgotten key starts afresh";
  EXPECT_EQ(limiter.KeyCount(), 3u);
}

TEST(RateLimiter, ZeroIsNoLimit) {
  RateLimiter limiter({.per_minute = 0});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Take("a").admitted);
  EXPECT_EQ(limiter.KeyCount(), 0u);
}

}  // namespace
}  // namespace karton::kernel
