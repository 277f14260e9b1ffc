// Sign-in for people: the web client's email-and-password front door
// (docs/web.md, "Sign-in"; docs/security.md).
//
// A signed-in browser holds a web session: an API token of kind
// "web_session" (schema/kernel/0010) whose secret travels in an HttpOnly,
// SameSite=Strict cookie. Because it is a token, every check the API makes
// applies unchanged: AccessControl verifies, caches and expires it, roles
// and record sharing are the user's, RevokeApiToken signs the browser out
// and disabling the user ends it at once. Writes made with the cookie must
// also carry the session's CSRF token in X-CSRF-Token: a value derived from
// the secret that only pages of this origin can read (from the sign-in
// answer or GET /auth/session).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "karton/kernel/http.h"

namespace karton::kernel {

class AccessControl;
class AuditLog;
class Database;

inline constexpr std::string_view kSessionCookieName = "karton_session";
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";

// The session secret in the request's Cookie header; empty when there is none.
std::string SessionSecretOf(const HttpRequest& request);
// The CSRF token of the session with `session_secret`: HMAC-SHA256 keyed by
// the secret's hash, base64url. Stable for the session's life, worthless
// without it.
std::string CsrfTokenFor(std::string_view session_secret);
// Whether the request's X-CSRF-Token is the one of `session_secret`
// (compared in constant time).
bool CsrfTokenMatches(const HttpRequest& request, std::string_view session_secret);

struct WebSignInOptions {
  // How long a session lasts from sign-in (--web-session-hours).
  std::chrono::seconds session_lifetime = std::chrono::hours(12);
  // Served over TLS: the cookie is marked Secure.
  bool secure_cookie = false;
  // Refused sign-ins (wrong email or password) within `failure_window`
  // before further attempts are refused unchecked with 429: per email (since
  // its last successful sign-in) and per client address (an office behind
  // one NAT shares it, hence the higher number).
  int failures_per_email = 5;
  int failures_per_address = 50;
  std::chrono::seconds failure_window = std::chrono::minutes(15);
};

// POST /auth/sign-in, POST /auth/sign-out, GET /auth/session.
class WebSignIn {
 public:
  // `credentials_changed` runs after a sign-out is committed (as after any
  // revocation), so cached verifications of the session are dropped.
  WebSignIn(Database& database, AuditLog& audit, AccessControl& access,
            std::function<void()> credentials_changed, WebSignInOptions options);

  // Body {"email": ..., "password": ...}. 200 with the session (see
  // SessionJson) and its cookie; 400 naming a missing field; 401 for a wrong
  // email or password (the same answer for both); 429 with Retry-After once
  // too many attempts were refused. Every attempt is recorded.
  HttpResponse SignIn(const HttpRequest& request) const;
  // Revokes the cookie's session (its CSRF token required) and clears the
  // cookie. 204 also when there was no valid session: the browser ends up
  // signed out either way.
  HttpResponse SignOut(const HttpRequest& request) const;
  // The cookie's session: 200 with user, roles, CSRF token and expiry, or 401.
  HttpResponse CurrentSession(const HttpRequest& request) const;

  // Housekeeping (the hourly purge job): drops sign-in attempts and web
  // sessions that ended (expired or revoked) more than `retention_days` ago.
  void Purge(int retention_days) const;

 private:
  // An argon2id hash of nothing anyone knows, verified against when the
  // email is unknown, so the answer takes as long as for a known one.
  const std::string& DecoyHash() const;

  Database& database_;
  AuditLog& audit_;
  AccessControl& access_;
  std::function<void()> credentials_changed_;
  const WebSignInOptions options_;
  mutable std::once_flag decoy_once_;
  mutable std::string decoy_hash_;
};

}  // namespace karton::kernel
