#include "web_sessions.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <cstring>
#include <optional>

#include "access_control.h"
#include "event_store.h"
#include "identity_repository.h"
#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"

namespace karton::kernel {
namespace {

using google::protobuf::util::TimeUtil;

// The longest values kept of what a browser sends about itself.
constexpr std::size_t kMaxUserAgent = 512;
constexpr std::size_t kMaxEmail = 320;
constexpr std::size_t kMaxPassword = 1024;

std::string Base64Url(const unsigned char* bytes, std::size_t size) {
  std::string encoded(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                      '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), bytes, size,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

// Errors in the shape the JSON gateway answers with (Connect's), naming the
// field when there is one.
HttpResponse ErrorJson(int status, std::string_view code, std::string_view message,
                       std::string_view field = {}) {
  boost::json::object body;
  body["code"] = code;
  body["message"] = field.empty() ? std::string(message) : fmt::format("{}: {}", field, message);
  boost::json::array details;
  if (!field.empty()) {
    details.push_back({{"type", "google.rpc.BadRequest"},
                       {"debug",
                        {{"fieldViolations",
                          boost::json::array{{{"field", field}, {"description", message}}}}}}});
  }
  body["details"] = std::move(details);
  return HttpResponse::Json(status, boost::json::serialize(body));
}

std::string SessionCookie(std::string_view secret, std::chrono::seconds max_age, bool secure) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookieName,
                     secret, max_age.count(), secure ? "; Secure" : "");
}

std::string Header(const HttpRequest& request, const std::string& name) {
  const auto found = request.headers.find(name);
  return found == request.headers.end() ? std::string() : found->second;
}

// Counts recent refusals: when there are `limit` or more within the window,
// the seconds until the oldest of the last `limit` leaves it; else nullopt.
// Per email only refusals after its last successful sign-in count.
std::optional<long long> LockedFor(soci::session& session, const std::string& email,
                                   const std::string& client_address,
                                   const WebSignInOptions& options) {
  const long long window = options.failure_window.count();
  long long count = 0, retry_after = 0;
  // Each bound name appears once in its statement (the parameters CTE).
  session << R"sql(
WITH p AS (SELECT make_interval(secs => :window) AS span, lower(:email) AS email),
last_success AS (
  SELECT coalesce(max(s.attempt_time), '-infinity') AS at
  FROM kernel.sign_in_attempt s, p
  WHERE lower(s.email) = p.email AND s.outcome = 'signed_in')
SELECT count(*),
       coalesce(ceil(extract(epoch FROM min(recent.attempt_time) + (SELECT span FROM p) - now())),
                0)::bigint
FROM (SELECT a.attempt_time FROM kernel.sign_in_attempt a, p, last_success l
      WHERE lower(a.email) = p.email AND a.outcome = 'refused'
        AND a.attempt_time > now() - p.span AND a.attempt_time > l.at
      ORDER BY a.attempt_time DESC LIMIT :limit) recent)sql",
      soci::use(window, "window"), soci::use(email, "email"),
      soci::use(options.failures_per_email, "limit"), soci::into(count), soci::into(retry_after);
  if (count >= options.failures_per_email) return std::max(retry_after, 1LL);
  session << R"sql(
WITH p AS (SELECT make_interval(secs => :window) AS span)
SELECT count(*),
       coalesce(ceil(extract(epoch FROM min(recent.attempt_time) + (SELECT span FROM p) - now())),
                0)::bigint
FROM (SELECT a.attempt_time FROM kernel.sign_in_attempt a, p
      WHERE a.client_address = :address AND a.outcome = 'refused'
        AND a.attempt_time > now() - p.span
      ORDER BY a.attempt_time DESC LIMIT :limit) recent)sql",
      soci::use(window, "window"), soci::use(client_address, "address"),
      soci::use(options.failures_per_address, "limit"), soci::into(count), soci::into(retry_after);
  if (count >= options.failures_per_address) return std::max(retry_after, 1LL);
  return std::nullopt;
}

void RecordAttempt(soci::session& session, const std::string& email,
                   const std::string& client_address, std::string_view outcome,
                   std::int64_t user_id) {
  const std::string outcome_text(outcome);
  const std::string kept_email = email.substr(0, kMaxEmail);
  long long user = user_id;
  soci::indicator user_indicator = user_id > 0 ? soci::i_ok : soci::i_null;
  session << "INSERT INTO kernel.sign_in_attempt (email, client_address, outcome, user_id) "
             "VALUES (:email, :address, :outcome, :user)",
      soci::use(kept_email), soci::use(client_address), soci::use(outcome_text),
      soci::use(user, user_indicator);
}

std::string Rfc3339(std::int64_t epoch_us) {
  return TimeUtil::ToString(TimeUtil::MicrosecondsToTimestamp(epoch_us));
}

}  // namespace

std::string SessionSecretOf(const HttpRequest& request) {
  const std::string cookies = Header(request, "cookie");
  // "a=1; karton_session=...; b=2"
  std::string_view rest = cookies;
  while (!rest.empty()) {
    const auto end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    if (pair.substr(0, equals) == kSessionCookieName) return std::string(pair.substr(equals + 1));
  }
  return "";
}

std::string CsrfTokenFor(std::string_view session_secret) {
  unsigned char key[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(key, reinterpret_cast<const unsigned char*>(session_secret.data()),
                     session_secret.size());
  static constexpr std::string_view kPurpose = "karton csrf v1";
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(kPurpose.data()),
                         kPurpose.size(), key);
  return Base64Url(mac, sizeof mac);
}

bool CsrfTokenMatches(const HttpRequest& request, std::string_view session_secret) {
  const std::string sent = Header(request, std::string(kCsrfHeader));
  const std::string expected = CsrfTokenFor(session_secret);
  return sent.size() == expected.size() &&
         sodium_memcmp(sent.data(), expected.data(), expected.size()) == 0;
}

WebSignIn::WebSignIn(Database& database, AuditLog& audit, AccessControl& access,
                     std::function<void()> credentials_changed, WebSignInOptions options)
    : database_(database),
      audit_(audit),
      access_(access),
      credentials_changed_(std::move(credentials_changed)),
      options_(options) {}

const std::string& WebSignIn::DecoyHash() const {
  std::call_once(decoy_once_, [this] {
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    char hash[crypto_pwhash_STRBYTES];
    // The cost users' hashes have (IdentityService.CreateUser).
    if (crypto_pwhash_str(hash, reinterpret_cast<const char*>(random), sizeof random,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0) {
      decoy_hash_ = hash;
    }
  });
  return decoy_hash_;
}

HttpResponse WebSignIn::SignIn(const HttpRequest& request) const {
  boost::system::error_code parse_error;
  const boost::json::value body = boost::json::parse(request.body, parse_error);
  if (parse_error || !body.is_object()) {
    return ErrorJson(400, "invalid_argument",
                     "the body must be a JSON object: {\"email\": \"...\", \"password\": \"...\"}");
  }
  auto text_field = [&](std::string_view name) -> std::optional<std::string> {
    const auto* value = body.as_object().if_contains(name);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return std::string(value->as_string());
  };
  const auto email = text_field("email");
  if (!email || email->empty()) return ErrorJson(400, "invalid_argument", "is required", "email");
  if (email->size() > kMaxEmail) {
    return ErrorJson(400, "invalid_argument",
                     fmt::format("may be at most {} characters", kMaxEmail), "email");
  }
  const auto password = text_field("password");
  if (!password || password->empty()) {
    return ErrorJson(400, "invalid_argument", "is required", "password");
  }
  if (password->size() > kMaxPassword) {
    return ErrorJson(400, "invalid_argument",
                     fmt::format("may be at most {} characters", kMaxPassword), "password");
  }
  const std::string& client_address = request.client_address;

  std::optional<identity::SignInCredentials> credentials;
  {
    auto lease = database_.Acquire();
    if (const auto locked = LockedFor(lease.Session(), *email, client_address, options_)) {
      RecordAttempt(lease.Session(), *email, client_address, "locked", 0);
      HttpResponse refused =
          ErrorJson(429, "resource_exhausted",
                    fmt::format("too many refused sign-ins; try again in {} s", *locked));
      refused.headers["retry-after"] = std::to_string(*locked);
      return refused;
    }
    credentials = identity::FindSignInCredentials(lease.Session(), *email);
  }

  // The password is checked without a database connection held: argon2id
  // takes a tenth of a second on purpose.
  const bool has_password = credentials && !credentials->password_hash.empty();
  const std::string& hash = has_password ? credentials->password_hash : DecoyHash();
  const bool password_matches =
      crypto_pwhash_str_verify(hash.c_str(), password->data(), password->size()) == 0 &&
      has_password;
  const std::int64_t user_id = credentials ? credentials->user_id : 0;

  auto lease = database_.Acquire();
  soci::transaction transaction(lease.Session());
  if (!password_matches || credentials->disabled) {
    RecordAttempt(lease.Session(), *email, client_address, "refused", user_id);
    if (user_id > 0) {
      // On the user's audit trail too, where an admin looks first.
      audit_.Record(lease.Session(), Caller::Internal(), AuditAction::kUpdate, "kernel.user",
                    user_id,
                    {FieldChange::Of(
                        "sign_in_refused", "",
                        fmt::format("{} from {}", password_matches ? "disabled" : "wrong password",
                                    client_address))});
    }
    transaction.commit();
    if (password_matches) return ErrorJson(401, "unauthenticated", "this user is disabled");
    return ErrorJson(401, "unauthenticated", "the email or the password is wrong");
  }

  const NewTokenSecret secret = GenerateTokenSecret();
  identity::TokenOrigin origin{
      "web_session", Header(request, "user-agent").substr(0, kMaxUserAgent), client_address};
  const auto token =
      identity::InsertToken(lease.Session(), user_id, "web sign-in", secret.hash_hex, secret.prefix,
                            options_.session_lifetime.count(), origin);
  RecordAttempt(lease.Session(), *email, client_address, "signed_in", user_id);
  Caller user;
  user.user_id = user_id;
  audit_.Record(lease.Session(), user, AuditAction::kCreate, "kernel.api_token", token.id,
                {FieldChange::Of("user_id", 0, user_id),
                 FieldChange::Created("kind", std::string_view("web_session")),
                 FieldChange::Created("client_address", std::string_view(client_address))});
  transaction.commit();

  const auto user_row = identity::FindUser(lease.Session(), user_id);
  boost::json::object answer;
  answer["userId"] = std::to_string(user_id);
  answer["name"] = user_row ? user_row->name : "";
  answer["email"] = user_row ? user_row->email : *email;
  boost::json::array roles;
  if (user_row) {
    for (const auto& role : user_row->roles) roles.push_back(boost::json::string(role));
  }
  answer["roles"] = std::move(roles);
  answer["sessionId"] = std::to_string(token.id);
  answer["csrfToken"] = CsrfTokenFor(secret.secret);
  if (token.expire_time_us) answer["expireTime"] = Rfc3339(*token.expire_time_us);
  HttpResponse response = HttpResponse::Json(200, boost::json::serialize(answer));
  response.headers["set-cookie"] =
      SessionCookie(secret.secret, options_.session_lifetime, options_.secure_cookie);
  response.headers["cache-control"] = "no-store";
  spdlog::info("web sign-in user={} session={} from={}", user_id, token.id, client_address);
  return response;
}

HttpResponse WebSignIn::CurrentSession(const HttpRequest& request) const {
  const std::string secret = SessionSecretOf(request);
  if (secret.empty()) return ErrorJson(401, "unauthenticated", "not signed in");
  Caller caller;
  if (auto status = access_.Authenticate("Bearer " + secret, caller); !status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return ErrorJson(503, "unavailable", status.error_message());
    }
    return ErrorJson(401, "unauthenticated", status.error_message());
  }
  auto lease = database_.Acquire();
  const auto user = identity::FindUser(lease.Session(), caller.user_id);
  const auto token = identity::FindToken(lease.Session(), caller.api_token_id);
  if (!user || !token) return ErrorJson(401, "unauthenticated", "the session has ended");
  boost::json::object answer;
  answer["userId"] = std::to_string(user->id);
  answer["name"] = user->name;
  answer["email"] = user->email;
  boost::json::array roles;
  for (const auto& role : caller.roles) roles.push_back(boost::json::string(role));
  answer["roles"] = std::move(roles);
  answer["sessionId"] = std::to_string(token->id);
  answer["csrfToken"] = CsrfTokenFor(secret);
  if (token->expire_time_us) answer["expireTime"] = Rfc3339(*token->expire_time_us);
  HttpResponse response = HttpResponse::Json(200, boost::json::serialize(answer));
  response.headers["cache-control"] = "no-store";
  return response;
}

HttpResponse WebSignIn::SignOut(const HttpRequest& request) const {
  HttpResponse signed_out{204, "", "", {}};
  signed_out.headers["set-cookie"] =
      SessionCookie("", std::chrono::seconds(0), options_.secure_cookie);
  const std::string secret = SessionSecretOf(request);
  if (secret.empty()) return signed_out;
  // Another site could otherwise sign the user out with a form post.
  if (!CsrfTokenMatches(request, secret)) {
    return ErrorJson(403, "permission_denied",
                     "the session's CSRF token is missing or wrong (from GET /auth/session)",
                     kCsrfHeader);
  }
  Caller caller;
  if (!access_.Authenticate("Bearer " + secret, caller).ok()) return signed_out;
  auto lease = database_.Acquire();
  soci::transaction transaction(lease.Session());
  const auto before = identity::FindToken(lease.Session(), caller.api_token_id);
  if (before && !before->revoke_time_us) {
    identity::RevokeToken(lease.Session(), caller.api_token_id);
    audit_.Record(lease.Session(), caller, AuditAction::kUpdate, "kernel.api_token",
                  caller.api_token_id, {FieldChange::Of("revoked", false, true)});
    event_store::AnnounceCredentialsChanged(lease.Session());
  }
  transaction.commit();
  credentials_changed_();
  return signed_out;
}

void WebSignIn::Purge(int retention_days) const {
  if (retention_days <= 0) return;
  auto lease = database_.Acquire();
  soci::transaction transaction(lease.Session());
  lease.Session() << "DELETE FROM kernel.sign_in_attempt "
                     "WHERE attempt_time < now() - make_interval(days => :days)",
      soci::use(retention_days);
  lease.Session()
      << "DELETE FROM kernel.api_token WHERE kind = 'web_session' "
         "AND coalesce(revoke_time, expire_time) < now() - make_interval(days => :days)",
      soci::use(retention_days);
  transaction.commit();
}

}  // namespace karton::kernel
