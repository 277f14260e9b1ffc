#include "inbound/imap_mailbox.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <stdexcept>

#include "karton/kernel/secrets.h"

namespace karton::messaging {
namespace {

// Mailbox names kept to what needs no IMAP quoting rules beyond "..." and
// no modified UTF-7: letters, digits, '.', '_', '-', '/' and spaces.
bool PlainMailboxName(const std::string& name) {
  static const RE2 kName(R"([A-Za-z0-9._/ -]{1,200})");
  return RE2::FullMatch(name, kName);
}

std::string Escaped(CURL* curl, const std::string& text) {
  char* escaped = curl_easy_escape(curl, text.c_str(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

size_t Collect(char* data, size_t size, size_t count, void* into) {
  static_cast<std::string*>(into)->append(data, size * count);
  return size * count;
}

}  // namespace

ImapSettings ParseImapUrl(const std::string& url, const std::string& password) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    throw std::invalid_argument(
        fmt::format("messaging.imap_url '{}' is not a URL: imap[s]://user:password@host:port/INBOX",
                    kernel::RedactedUrl(url)));
  }
  const auto take = [&](CURLUPart part) {
    char* value = nullptr;
    std::string text;
    if (curl_url_get(parsed.get(), part, &value, CURLU_URLDECODE) == CURLUE_OK && value) {
      text = value;
    }
    curl_free(value);
    return text;
  };
  ImapSettings settings;
  const std::string scheme = take(CURLUPART_SCHEME);
  if (scheme != "imap" && scheme != "imaps") {
    throw std::invalid_argument(
        fmt::format("messaging.imap_url '{}' must start with imap:// or "
                    "imaps://",
                    kernel::RedactedUrl(url)));
  }
  const std::string host = take(CURLUPART_HOST);
  std::string port = take(CURLUPART_PORT);
  settings.username = take(CURLUPART_USER);
  settings.password = password.empty() ? take(CURLUPART_PASSWORD) : password;
  if (settings.username.empty() || settings.password.empty()) {
    throw std::invalid_argument(
        "messaging.imap_url needs a user and a password (imap://user:password@host/INBOX, or the "
        "password in messaging.imap_password_file)");
  }
  std::string path = take(CURLUPART_PATH);
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.empty()) settings.mailbox = path;
  if (!PlainMailboxName(settings.mailbox)) {
    throw std::invalid_argument(fmt::format(
        "messaging.imap_url: mailbox '{}' must be letters, digits, '.', '_', '-', '/' or spaces",
        settings.mailbox));
  }
  settings.server = fmt::format("{}://{}{}", scheme, host, port.empty() ? "" : ":" + port);
  settings.loopback =
      host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
  return settings;
}

struct ImapMailbox::Handle {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl{curl_easy_init(), &curl_easy_cleanup};
};

ImapMailbox::ImapMailbox(const ImapSettings& settings)
    : settings_(settings), handle_(std::make_unique<Handle>()) {
  if (!handle_->curl) throw std::runtime_error("libcurl could not make a handle");
}

ImapMailbox::~ImapMailbox() = default;

std::string ImapMailbox::Perform(const std::string& url, const std::string& command) {
  CURL* curl = handle_->curl.get();
  std::string answer;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  // imaps:// is TLS throughout; on imap:// the login waits for STARTTLS,
  // except on loopback.
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   static_cast<long>(settings_.loopback ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.username.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, command.empty() ? nullptr : command.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode result = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (result == CURLE_USE_SSL_FAILED) {
    throw std::runtime_error(fmt::format(
        "{}: the IMAP server did not offer STARTTLS, and the login is sent over TLS only (use "
        "an imaps:// URL or a server with STARTTLS)",
        settings_.Name()));
  }
  if (result != CURLE_OK) {
    throw std::runtime_error(fmt::format("{}: {}: {}", settings_.Name(), curl_easy_strerror(result),
                                         error_buffer[0] != '\0' ? error_buffer : "no detail"));
  }
  return answer;
}

ImapMailbox::Status ImapMailbox::Examine() {
  // No mailbox in the URL: libcurl sends the command without a SELECT.
  return ParseStatusAnswer(
      Perform(settings_.server + "/",
              fmt::format("STATUS \"{}\" (UIDVALIDITY UIDNEXT)", settings_.mailbox)));
}

std::vector<std::uint64_t> ImapMailbox::UidsAfter(std::uint64_t last_uid) {
  // With the mailbox in the URL, libcurl SELECTs it first.
  return ParseSearchAnswer(Perform(fmt::format("{}/{}", settings_.server,
                                               Escaped(handle_->curl.get(), settings_.mailbox)),
                                   fmt::format("UID SEARCH UID {}:*", last_uid + 1)),
                           last_uid);
}

std::map<std::uint64_t, std::uint64_t> ImapMailbox::SizesAfter(std::uint64_t last_uid) {
  return ParseSizeAnswer(Perform(fmt::format("{}/{}", settings_.server,
                                             Escaped(handle_->curl.get(), settings_.mailbox)),
                                 fmt::format("UID FETCH {}:* (RFC822.SIZE)", last_uid + 1)),
                         last_uid);
}

std::string ImapMailbox::Fetch(std::uint64_t uid_validity, std::uint64_t uid) {
  return Perform(fmt::format("{}/{};UIDVALIDITY={};UID={}", settings_.server,
                             Escaped(handle_->curl.get(), settings_.mailbox), uid_validity, uid),
                 "");
}

ImapMailbox::Status ParseStatusAnswer(const std::string& answer) {
  static const RE2 kValidity(R"((?i)UIDVALIDITY\s+(\d{1,20}))");
  static const RE2 kNext(R"((?i)UIDNEXT\s+(\d{1,20}))");
  ImapMailbox::Status status;
  if (!RE2::PartialMatch(answer, kValidity, &status.uid_validity)) {
    throw std::runtime_error(fmt::format("the IMAP server's STATUS answer has no UIDVALIDITY: {}",
                                         answer.substr(0, 200)));
  }
  RE2::PartialMatch(answer, kNext, &status.uid_next);
  return status;
}

std::map<std::uint64_t, std::uint64_t> ParseSizeAnswer(const std::string& answer,
                                                       std::uint64_t last_uid) {
  // The server names the UID in a UID FETCH's answers (RFC 3501 6.4.8), in
  // any order with the size, and may add FLAGS unasked.
  static const RE2 kLine(R"((?im)^\*\s+\d+\s+FETCH\s+\(([^\r\n]*))");
  static const RE2 kUid(R"((?i)(?:^|\s)UID\s+(\d{1,20}))");
  static const RE2 kSize(R"((?i)(?:^|\s)RFC822\.SIZE\s+(\d{1,20}))");
  std::map<std::uint64_t, std::uint64_t> sizes;
  re2::StringPiece input(answer);
  std::string items;
  while (RE2::FindAndConsume(&input, kLine, &items)) {
    std::uint64_t uid = 0, size = 0;
    if (RE2::PartialMatch(items, kUid, &uid) && RE2::PartialMatch(items, kSize, &size) &&
        uid > last_uid) {
      sizes[uid] = size;
    }
  }
  return sizes;
}

std::vector<std::uint64_t> ParseSearchAnswer(const std::string& answer, std::uint64_t last_uid) {
  std::vector<std::uint64_t> uids;
  static const RE2 kLine(R"((?im)^\*\s+SEARCH([ 0-9]*)\r?$)");
  re2::StringPiece input(answer);
  std::string numbers;
  while (RE2::FindAndConsume(&input, kLine, &numbers)) {
    re2::StringPiece rest(numbers);
    std::uint64_t uid = 0;
    static const RE2 kNumber(R"(\s*(\d{1,20}))");
    while (RE2::Consume(&rest, kNumber, &uid)) {
      if (uid > last_uid) uids.push_back(uid);
    }
  }
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

}  // namespace karton::messaging
