// The web client's session from outside (kernel/src/web_sessions.cpp): the
// Cookie header every browser request may carry and the X-CSRF-Token beside
// it. The secret read is empty or a value the header gave for
// karton_session; the CSRF check accepts only the token of that secret,
// whatever else is sent.
//
// The input: a Cookie header, "\n", then an X-CSRF-Token header.
#include <string>

#include "fuzz_check.h"
#include "web_sessions.h"

using karton::fuzz::Check;
namespace kernel = karton::kernel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::string cookie(input.Until("\n"));
  const std::string csrf(input.Rest());

  kernel::HttpRequest request;
  request.headers["cookie"] = cookie;
  request.headers["x-csrf-token"] = csrf;
  const std::string secret = kernel::SessionSecretOf(request);
  if (!secret.empty()) {
    Check(cookie.find("karton_session=" + secret) != std::string::npos,
          "the secret is a value the header gave for karton_session", cookie);
    Check(secret.find(';') == std::string::npos, "the secret stops at the cookie's end", secret);
  }
  const std::string token = kernel::CsrfTokenFor(secret);
  Check(token.size() == 43, "a CSRF token is 32 bytes in base64url", token);
  Check(kernel::CsrfTokenMatches(request, secret) == (csrf == token),
        "only the session's own token matches", csrf);
  // The token is the secret's: another secret's never passes for it.
  Check(!kernel::CsrfTokenMatches(request, secret + "x") || csrf == kernel::CsrfTokenFor(secret + "x"),
        "a token matches its own secret only", csrf);
  return 0;
}
