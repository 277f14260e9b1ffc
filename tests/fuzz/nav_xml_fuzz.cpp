// NAV Online Számla's answers (modules/invoicing/nav/nav_api.cpp): any body
// NAV (or whatever answers in its place) sends back is read with libxml2 as
// one of its responses, or refused with NavError; nothing else may come out.
// The exchange token's base64 and AES-128-ECB take any text too, and a
// token encrypted as NAV does it decrypts back.
//
// The first byte picks what the rest is:
//   0  a response body, read as each of the answers Karton asks for
//   1  an encodedExchangeToken, decrypted with a fixed key
//   2  a token to encrypt and decrypt back
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "nav/nav_api.h"

using karton::fuzz::Check;
namespace nav = karton::invoicing::nav;

namespace {

constexpr std::string_view kExchangeKey = "0123456789abcdef";

template <class Read>
void Refused(Read&& read) {
  try {
    read();
  } catch (const nav::NavError& error) {
    Check(!error.error_code().empty(), "a NavError has a code", error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::uint8_t mode = input.Byte() % 3;
  const std::string_view text = input.Rest();

  if (mode == 0) {
    Refused([&] { nav::ThrowIfError(text, 200); });
    Refused([&] { nav::ThrowIfError(text, 500); });
    Refused(
        [&] { Check(!nav::ParseTokenExchangeResponse(text).empty(), "a token is never empty"); });
    Refused([&] {
      Check(!nav::ParseManageInvoiceResponse(text).empty(), "a transaction id is never empty");
    });
    Refused([&] {
      for (const auto& result : nav::ParseTransactionStatusResponse(text)) {
        (void)result.Finished();
        (void)result.Rejected();
      }
    });
    return 0;
  }
  if (mode == 1) {
    Refused([&] { nav::DecryptExchangeToken(text, kExchangeKey); });
    try {
      const std::string decoded = nav::FromBase64(text);
      Check(decoded.size() <= text.size(), "base64 decodes shorter", text);
    } catch (const std::invalid_argument&) {
    }
    return 0;
  }
  const std::string encrypted = nav::EncryptExchangeToken(text, kExchangeKey);
  Check(nav::DecryptExchangeToken(encrypted, kExchangeKey) == text,
        "an exchange token decrypts back", text);
  return 0;
}
