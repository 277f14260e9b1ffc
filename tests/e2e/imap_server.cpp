#include "imap_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kartond_process.h"

extern char** environ;

namespace karton::testing {
namespace {

constexpr const char* kDovecot = "/usr/sbin/dovecot";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

size_t Collect(char* data, size_t size, size_t count, void* into) {
  static_cast<std::string*>(into)->append(data, size * count);
  return size * count;
}

struct Upload {
  const std::string* data;
  std::size_t at = 0;
};

size_t Feed(char* buffer, size_t size, size_t count, void* source) {
  auto& upload = *static_cast<Upload*>(source);
  const std::size_t n = std::min(size * count, upload.data->size() - upload.at);
  std::copy_n(upload.data->data() + upload.at, n, buffer);
  upload.at += n;
  return n;
}

}  // namespace

ImapServer::ImapServer() : password_("inbound-secret") {
  if (::access(kDovecot, X_OK) != 0) {
    throw std::runtime_error("no /usr/sbin/dovecot: install dovecot-imapd (tools/setup)");
  }
  const auto& root = directory_.Path();
  for (const char* sub : {"run", "state", "home"}) std::filesystem::create_directory(root / sub);
  // Dovecot's login processes never run as root, and neither do mail
  // processes (uid 0 is refused). A test running as root hands them to the
  // users Debian's dovecot-core creates; anyone else runs it all as itself.
  uid_t mail_uid = ::getuid();
  gid_t mail_gid = ::getgid();
  std::string internal_user, login_user;
  if (::geteuid() == 0) {
    const passwd* dovecot = ::getpwnam("dovecot");
    const passwd* dovenull = ::getpwnam("dovenull");
    if (dovecot == nullptr || dovenull == nullptr) {
      throw std::runtime_error("the users dovecot and dovenull are missing (dovecot-core)");
    }
    mail_uid = dovecot->pw_uid;
    mail_gid = dovecot->pw_gid;
    internal_user = "dovecot";
    login_user = "dovenull";
    std::filesystem::permissions(root, std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    if (::chown((root / "home").c_str(), mail_uid, mail_gid) != 0) {
      throw std::runtime_error("cannot hand the IMAP home directory to the dovecot user");
    }
  } else {
    const passwd* self = ::getpwuid(::geteuid());
    internal_user = login_user = self != nullptr ? self->pw_name : "nobody";
  }
  port_ = FreeLoopbackPort();
  {
    std::ofstream passwd_file(root / "passwd");
    passwd_file << "karton:{PLAIN}" << password_ << "\n";
  }
  std::ofstream config(root / "dovecot.conf");
  config << fmt::format(R"(base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
# Loopback only: the login may travel in clear text.
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:~/Maildir
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
)",
                        fmt::arg("root", root.string()), fmt::arg("internal", internal_user),
                        fmt::arg("internal_group", ::geteuid() == 0 ? "dovecot" : internal_user),
                        fmt::arg("login", login_user), fmt::arg("port", port_),
                        fmt::arg("uid", mail_uid), fmt::arg("gid", mail_gid));
  config.close();
  const std::string config_path = (root / "dovecot.conf").string();
  std::vector<char*> argv = {const_cast<char*>(kDovecot), const_cast<char*>("-F"),
                             const_cast<char*>("-c"), const_cast<char*>(config_path.c_str()),
                             nullptr};
  if (posix_spawn(&pid_, kDovecot, nullptr, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot start dovecot");
  }
  for (int i = 0; i < 200 && !AcceptsOnLoopback(port_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!AcceptsOnLoopback(port_)) throw std::runtime_error("dovecot did not start: " + Log());
}

ImapServer::~ImapServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string ImapServer::Url() const {
  return fmt::format("imap://karton:{}@127.0.0.1:{}/INBOX", password_, port_);
}

std::string ImapServer::Log() const { return ReadFile(directory_.Path() / "dovecot.log"); }

void ImapServer::Append(const std::string& raw) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  Upload upload{&raw};
  const std::string url = fmt::format("imap://127.0.0.1:{}/INBOX", port_);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_USERNAME, "karton");
  curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, password_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, Feed);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(raw.size()));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  const CURLcode result = curl_easy_perform(curl.get());
  if (result != CURLE_OK) {
    throw std::runtime_error(std::string("IMAP APPEND failed: ") + curl_easy_strerror(result));
  }
}

std::string ImapServer::Command(const std::string& command, const std::string& mailbox) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  std::string answer;
  const std::string url = fmt::format("imap://127.0.0.1:{}/{}", port_, mailbox);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_USERNAME, "karton");
  curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, password_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, command.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  const CURLcode result = curl_easy_perform(curl.get());
  if (result != CURLE_OK) {
    throw std::runtime_error(std::string("IMAP command failed: ") + curl_easy_strerror(result));
  }
  return answer;
}

void ImapServer::MarkAllUnseen() const { Command("STORE 1:* -FLAGS (\\Seen)", "INBOX"); }

int ImapServer::CountUnseen() const {
  const std::string answer = Command("STATUS INBOX (UNSEEN)");
  const auto at = answer.find("UNSEEN ");
  return at == std::string::npos ? -1 : std::stoi(answer.substr(at + 7));
}

}  // namespace karton::testing
