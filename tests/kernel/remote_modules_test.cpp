// The peer credential two kartonds use to relay a call's caller
// (kernel/src/remote_modules.h) and the --remote-module value.
#include "remote_modules.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace karton::kernel {
namespace {

using std::chrono::seconds;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-shared";
constexpr std::string_view kMethod = "/karton.messaging.v1.MessagingService/SendMessage";

Caller SalesUser() {
  Caller caller;
  caller.user_id = 42;
  caller.roles = {"sales"};
  caller.team_ids = {3, 7};
  caller.api_token_id = 9;
  return caller;
}

TEST(PeerCredentials, ASignedCallerIsReadBackWholeForItsMethodWithinItsLifetime) {
  const PeerCredentials credentials(kSecret);
  const auto now = std::chrono::system_clock::now();
  const std::string signed_caller = credentials.Sign(SalesUser(), kMethod, now);
  EXPECT_TRUE(PeerCredentials::IsPeerAuthorization(signed_caller)) << signed_caller;

  const auto verdict = credentials.Verify(signed_caller, kMethod, now + seconds(30));
  ASSERT_TRUE(verdict.caller) << verdict.refusal;
  EXPECT_EQ(verdict.caller->user_id, 42);
  EXPECT_EQ(verdict.caller->roles, std::vector<std::string>{"sales"});
  EXPECT_EQ(verdict.caller->team_ids, (std::vector<std::int64_t>{3, 7}));
  EXPECT_EQ(verdict.caller->api_token_id, 9);

  const auto internal =
      credentials.Verify(credentials.Sign(Caller::Internal(), kMethod, now), kMethod, now);
  ASSERT_TRUE(internal.caller) << internal.refusal;
  EXPECT_TRUE(internal.caller->IsInternal());
}

TEST(PeerCredentials, AnotherSecretAnotherMethodOrAnEditedCallerIsRefused) {
  const PeerCredentials credentials(kSecret);
  const auto now = std::chrono::system_clock::now();
  const std::string signed_caller = credentials.Sign(SalesUser(), kMethod, now);

  const PeerCredentials other("another secret, also long enough to be accepted");
  EXPECT_FALSE(other.Verify(signed_caller, kMethod, now).caller);
  EXPECT_NE(other.Verify(signed_caller, kMethod, now).refusal.find("--cluster-secret-file"),
            std::string::npos);
  EXPECT_FALSE(
      credentials.Verify(signed_caller, "/karton.messaging.v1.MessagingService/GetMessage", now)
          .caller);

  // An admin's roles pasted in: the signature no longer matches.
  std::string edited = signed_caller;
  edited.replace(edited.find(";sales;"), 7, ";admin;");
  EXPECT_FALSE(credentials.Verify(edited, kMethod, now).caller);

  for (const std::string malformed :
       {"Karton-Peer", "Karton-Peer v1", "Karton-Peer v2 1 internal 00", "Bearer karton_x",
        "Karton-Peer v1 notanumber internal 00"}) {
    EXPECT_FALSE(credentials.Verify(malformed, kMethod, now).caller) << malformed;
  }
}

TEST(PeerCredentials, AnExpiredOrFarFutureCredentialIsRefused) {
  const PeerCredentials credentials(kSecret);
  const auto now = std::chrono::system_clock::now();
  const std::string signed_caller = credentials.Sign(SalesUser(), kMethod, now);
  const auto expired =
      credentials.Verify(signed_caller, kMethod, now + PeerCredentials::kLifetime + seconds(1));
  EXPECT_FALSE(expired.caller);
  EXPECT_NE(expired.refusal.find("expired"), std::string::npos) << expired.refusal;
  // Signed by a machine whose clock runs far ahead.
  const std::string from_the_future =
      credentials.Sign(SalesUser(), kMethod, now + PeerCredentials::kMaxSkew + seconds(10));
  EXPECT_FALSE(credentials.Verify(from_the_future, kMethod, now).caller);
}

TEST(PeerCredentials, AShortSecretIsRefused) {
  EXPECT_THROW(PeerCredentials("too short"), std::invalid_argument);
}

TEST(RemoteModuleOption, NameAndAddressAreReadAndMistakesNamed) {
  const auto remote = ParseRemoteModule("messaging=10.0.0.5:50051");
  EXPECT_EQ(remote.name, "messaging");
  EXPECT_EQ(remote.address, "10.0.0.5:50051");
  EXPECT_EQ(ParseRemoteModule("crm=[::1]:7000").address, "[::1]:7000");
  for (const char* bad : {"messaging", "=host:1", "messaging=", "messaging=host",
                          "messaging=host:0", "messaging=host:65536", "messaging=host:x"}) {
    EXPECT_THROW(ParseRemoteModule(bad), std::invalid_argument) << bad;
  }
}

TEST(RemoteModuleOption, PlaintextGoesToLoopbackOnly) {
  EXPECT_NO_THROW(MakeRemoteChannel("127.0.0.1:1", {}));
  try {
    MakeRemoteChannel("10.0.0.5:50051", {});
    ADD_FAILURE() << "a plaintext channel to another machine was made";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("--remote-ca"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace karton::kernel
