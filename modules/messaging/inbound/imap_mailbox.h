// The polled mailbox, read over IMAP with libcurl (docs/messaging.md,
// "Inbound email").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace karton::messaging {

struct ImapSettings {
  // imap://host:port or imaps://host:port, without user-info or mailbox.
  std::string server;
  std::string mailbox = "INBOX";  // the folder polled
  std::string username;
  std::string password;
  // The login is sent over TLS only (imaps://, or STARTTLS on imap://),
  // except to a loopback address, where it never crosses a network.
  bool loopback = false;
  std::chrono::seconds timeout{60};

  // "imap://host:port/INBOX": names the mailbox in the database and in logs.
  std::string Name() const { return server + "/" + mailbox; }
};

// Reads "imap[s]://user:password@host:port/MAILBOX"; `password` (from a
// file) replaces the URL's. Throws std::invalid_argument naming the problem.
ImapSettings ParseImapUrl(const std::string& url, const std::string& password);

// One IMAP session (a libcurl handle; its connection is kept between the
// calls). Every call throws std::runtime_error when the server cannot be
// reached or refuses.
class ImapMailbox {
 public:
  explicit ImapMailbox(const ImapSettings& settings);
  ~ImapMailbox();
  ImapMailbox(const ImapMailbox&) = delete;
  ImapMailbox& operator=(const ImapMailbox&) = delete;

  struct Status {
    std::uint64_t uid_validity = 0;
    std::uint64_t uid_next = 0;
  };
  // STATUS <mailbox> (UIDVALIDITY UIDNEXT).
  Status Examine();
  // The UIDs above `last_uid`, ascending (UID SEARCH UID <last+1>:*).
  std::vector<std::uint64_t> UidsAfter(std::uint64_t last_uid);
  // The sizes of the messages above `last_uid` (UID FETCH <last+1>:*
  // (RFC822.SIZE)): UID -> bytes. Asked before any message is fetched, so
  // one over the cap is never downloaded.
  std::map<std::uint64_t, std::uint64_t> SizesAfter(std::uint64_t last_uid);
  // The whole message (UID FETCH <uid> BODY[]), which the server then
  // flags \Seen; fails when the mailbox's UIDVALIDITY is no longer
  // `uid_validity`.
  std::string Fetch(std::uint64_t uid_validity, std::uint64_t uid);

 private:
  // Runs one request; the server's untagged answers (custom commands) or
  // the message (fetch) come back.
  std::string Perform(const std::string& url, const std::string& command);

  const ImapSettings& settings_;
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

// What an untagged STATUS answer says: "* STATUS INBOX (UIDVALIDITY 7 UIDNEXT 12)".
ImapMailbox::Status ParseStatusAnswer(const std::string& answer);
// "* 3 FETCH (UID 9 RFC822.SIZE 2048)" lines -> UID -> size, for UIDs above
// `last_uid` (n:* always names the last message).
std::map<std::uint64_t, std::uint64_t> ParseSizeAnswer(const std::string& answer,
                                                       std::uint64_t last_uid);
// "* SEARCH 3 4 9" -> UIDs above `last_uid` (n:* always names the last one).
std::vector<std::uint64_t> ParseSearchAnswer(const std::string& answer, std::uint64_t last_uid);

}  // namespace karton::messaging
