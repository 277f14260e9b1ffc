// The HTTP side's limits against the real kartond (security review): caps on
// connections, per-route body limits, the JSON gateway's own threads and
// queue, and routes that answer only callers on this machine.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

// A raw TCP connection to host:port, or -1.
int Connect(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  ::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends a GET /healthz on `fd` and returns what came back ("" for a
// connection the server closed without answering).
std::string AskHealth(int fd) {
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) return "";
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) answer.append(buffer, n);
  return answer;
}

// The first IPv4 address of this machine that is not loopback, if any.
std::optional<std::string> NonLoopbackAddress() {
  ifaddrs* interfaces = nullptr;
  if (::getifaddrs(&interfaces) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* entry = interfaces; entry != nullptr && !found; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    const auto* address = reinterpret_cast<sockaddr_in*>(entry->ifa_addr);
    ::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
    if (std::string(text).rfind("127.", 0) != 0) found = text;
  }
  ::freeifaddrs(interfaces);
  return found;
}

class HttpLimitsTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra) {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    std::vector<std::string> arguments = {"--database-url", conninfo_,
                                          "--data-dir",     data_dir_.Path().string(),
                                          "--modules-dir",  TestModulesDirectory("good").string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    kartond_ = std::make_unique<KartondProcess>(arguments);
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    admin_ = kartond_->AdminToken();
  }

  int Api(const std::string& host_port, const std::string& method, const std::string& json,
          std::string& body) {
    return HttpCall(host_port, "POST", "/api/" + method,
                    {{"Authorization", "Bearer " + admin_}, {"Content-Type", "application/json"}},
                    json, body);
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
  std::unique_ptr<KartondProcess> kartond_;
  std::string admin_;
};

TEST_F(HttpLimitsTest, ConnectionsBeyondTheCapForOneAddressAreClosedAtOnce) {
  // Loopback peers are exempt (a local proxy carries every visitor), so the
  // cap is tried from this machine's own network address.
  const auto address = NonLoopbackAddress();
  if (!address) GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
  Start({"--http-listen", "0.0.0.0:0", "--http-max-connections-per-address", "3"});
  const std::string outside =
      *address + kartond_->HttpAddress().substr(kartond_->HttpAddress().rfind(':'));
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(Connect(outside));
    ASSERT_GE(idle.back(), 0);
  }
  // Idle connections count: the fourth gets no answer, only a close.
  // (The server registers a connection when it accepts it; asking on one
  // of the three first makes sure all three were accepted.)
  const int probe = idle.back();
  idle.pop_back();
  EXPECT_NE(AskHealth(probe).find("200 OK"), std::string::npos);
  ::close(probe);
  idle.push_back(Connect(outside));
  std::string refused;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fourth = Connect(outside);
    ASSERT_GE(fourth, 0);
    refused = AskHealth(fourth);
    ::close(fourth);
    if (refused.empty()) break;  // the third idle one has been registered
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(refused, "");
  // One idle connection goes: there is room again.
  ::close(idle.back());
  idle.pop_back();
  std::string answer;
  for (int attempt = 0; attempt < 50 && answer.empty(); ++attempt) {
    const int again = Connect(outside);
    answer = AskHealth(again);
    ::close(again);
    if (answer.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
  for (int fd : idle) ::close(fd);
  // From this machine itself the cap does not apply.
  const std::string inside =
      "127.0.0.1" + kartond_->HttpAddress().substr(kartond_->HttpAddress().rfind(':'));
  std::vector<int> local;
  for (int i = 0; i < 5; ++i) local.push_back(Connect(inside));
  const int extra = Connect(inside);
  EXPECT_NE(AskHealth(extra).find("200 OK"), std::string::npos);
  ::close(extra);
  for (int fd : local) ::close(fd);
}

TEST_F(HttpLimitsTest, EachRouteTakesTheBodyItNeedsAndNoMore) {
  Start({});
  std::string body;
  // The gateway takes up to 1 MiB of JSON.
  EXPECT_EQ(Api(kartond_->HttpAddress(), "karton.kernel.v1.KernelService/ListModules",
                "{}" + std::string(1500 * 1024, ' '), body),
            413);
  EXPECT_EQ(Api(kartond_->HttpAddress(), "karton.kernel.v1.KernelService/ListModules",
                "{}" + std::string(100 * 1024, ' '), body),
            200)
      << body;
  // /metrics takes no body at all.
  EXPECT_EQ(
      HttpCall(kartond_->HttpAddress(), "GET", "/metrics", {{"Content-Length", "1"}}, "x", body),
      413);
  // A route that does not exist is answered without reading its body.
  EXPECT_EQ(
      HttpCall(kartond_->HttpAddress(), "POST", "/nothing", {}, std::string(200'000, 'x'), body),
      404);
}

TEST_F(HttpLimitsTest, TheGatewayHasItsOwnThreadsAndAQueueLimit) {
  Start({"--http-api-threads", "1", "--http-api-queue", "1"});
  // Two slow gateway calls at once: one runs, the other is turned away
  // with 503 and Retry-After rather than queued behind it.
  std::atomic<int> ok{0}, busy{0}, other{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&] {
      std::string body;
      const int status = Api(kartond_->HttpAddress(), "karton.notes.v1.NoteStatsService/CountNotes",
                             R"({"delayMs": 3000})", body);
      (status == 200 ? ok : status == 503 ? busy : other)++;
    });
  }
  // Meanwhile the pages pool answers: health does not wait for the gateway.
  std::string health;
  bool health_answered_during_slow_call = false;
  for (int attempt = 0; attempt < 20 && !health_answered_during_slow_call; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (ok.load() + busy.load() == 2) break;
    health_answered_during_slow_call =
        HttpGet(kartond_->HttpAddress(), "/healthz", health) == 200 && ok.load() == 0;
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(busy.load(), 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_TRUE(health_answered_during_slow_call);
}

TEST_F(HttpLimitsTest, TokensAndMetricsStayOnThisMachineWhileHttpIsPlain) {
  const auto address = NonLoopbackAddress();
  if (!address) GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
  Start({"--http-listen", "0.0.0.0:0"});
  const std::string port = kartond_->HttpAddress().substr(kartond_->HttpAddress().rfind(':') + 1);
  const std::string outside = *address + ":" + port;
  const std::string inside = "127.0.0.1:" + port;
  std::string body;
  // Public pages answer everyone.
  EXPECT_EQ(HttpGet(outside, "/healthz", body), 200);
  // Bearer tokens and internals: only callers on this machine.
  EXPECT_EQ(HttpGet(outside, "/metrics", body), 403);
  EXPECT_NE(body.find("same machine"), std::string::npos) << body;
  EXPECT_EQ(Api(outside, "karton.kernel.v1.KernelService/ListModules", "{}", body), 403);
  EXPECT_EQ(HttpGet(inside, "/metrics", body), 200);
  EXPECT_EQ(Api(inside, "karton.kernel.v1.KernelService/ListModules", "{}", body), 200);
}

}  // namespace
}  // namespace karton::testing
