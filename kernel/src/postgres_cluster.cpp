#include "postgres_cluster.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace karton::kernel {
namespace internal {

// Owns a file descriptor: closed on every path out of a scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int Get() const { return fd_; }

 private:
  int fd_;
};

struct SpawnSpec {
  std::vector<std::string> argv;
  std::filesystem::path working_directory;
  FileDescriptor output;  // stdout and stderr of the child
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  int parent_death_signal = 0;  // 0: none
};

}  // namespace internal

namespace {

using internal::FileDescriptor;
using internal::SpawnSpec;

// The cluster's superuser, made by initdb: it creates the application role
// and database and is used for nothing else.
constexpr const char* kSuperuser = "karton";
// The role kartond works as: it owns the application database and every
// schema in it, and has no other rights (see PrepareApplicationDatabase).
constexpr const char* kApplicationRole = "kartond";

// Asks the kernel for a free loopback port. Another process could take it
// before PostgreSQL binds; Start() retries once in that case.
int PickFreeLoopbackPort() {
  int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket_fd < 0) throw std::runtime_error("cannot create a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(socket_fd);
  if (!ok) throw std::runtime_error("cannot find a free loopback port for PostgreSQL");
  return ntohs(address.sin_port);
}

void WriteAll(int fd, const char* text) {
  const std::size_t length = std::strlen(text);
  std::size_t written = 0;
  while (written < length) {
    ssize_t n = ::write(fd, text + written, length - written);
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}

// fork + exec with only async-signal-safe calls in the child. Everything the
// child needs is prepared before fork() because kartond may have threads.
pid_t Spawn(const SpawnSpec& spec) {
  std::vector<char*> argv;
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> environment_strings = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8",
                                                  "LANG=C.UTF-8", "TZ=UTC"};
  std::vector<char*> environment;
  for (auto& entry : environment_strings) environment.push_back(entry.data());
  environment.push_back(nullptr);
  const std::string directory = spec.working_directory.string();
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid > 0) return pid;

  // Child. kartond blocks SIGINT/SIGTERM in all threads to wait for them
  // with sigwait(); a blocked mask survives exec, so unblock them here or
  // PostgreSQL could never be shut down.
  sigset_t no_signals;
  sigemptyset(&no_signals);
  ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
  // A session of its own: Ctrl-C in kartond's terminal signals the whole
  // foreground process group, and PostgreSQL must hear about shutdown from
  // kartond (in order, after the calls drained), not from the terminal.
  ::setsid();
  if (spec.output.Get() >= 0) {
    ::dup2(spec.output.Get(), STDOUT_FILENO);
    ::dup2(spec.output.Get(), STDERR_FILENO);
  }
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  if (spec.switch_user) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(spec.gid) != 0 || ::setuid(spec.uid) != 0) {
      WriteAll(STDERR_FILENO, "karton: cannot switch to the postgres OS user\n");
      ::_exit(126);
    }
  }
  // Set after the user switch: changing credentials clears it.
  if (spec.parent_death_signal != 0) {
    ::prctl(PR_SET_PDEATHSIG, spec.parent_death_signal);
    if (::getppid() != parent) ::_exit(1);
  }
  if (::chdir(directory.c_str()) != 0) {
    WriteAll(STDERR_FILENO, "karton: the postgres OS user cannot enter the data directory ");
    WriteAll(STDERR_FILENO, directory.c_str());
    WriteAll(STDERR_FILENO, " (is a parent directory closed to other users?)\n");
    ::_exit(126);
  }
  ::execve(argv[0], argv.data(), environment.data());
  WriteAll(STDERR_FILENO, "karton: cannot execute ");
  WriteAll(STDERR_FILENO, argv[0]);
  WriteAll(STDERR_FILENO, "\n");
  ::_exit(127);
}

int WaitForExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Creates (or truncates) `path` with mode 0600 from the start, so a secret is
// never readable by others, not even for a moment.
void WriteSecretFile(const std::filesystem::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("data directory {} is not writable: cannot create {}: {}",
                                         path.parent_path().string(), path.filename().string(),
                                         std::strerror(errno)));
  }
  const bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, content.data(), content.size()) ==
                                                 static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!ok) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

// PostgreSQL's messages end in a newline and may carry DETAIL/HINT lines;
// kartond's errors are one line.
// 192 random bits as hex: a password nobody types.
std::string RandomPassword() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  unsigned char random_bytes[24];
  randombytes_buf(random_bytes, sizeof random_bytes);
  char password[sizeof random_bytes * 2 + 1];
  sodium_bin2hex(password, sizeof password, random_bytes, sizeof random_bytes);
  return password;
}

// A password file's content without the trailing newline.
std::string ReadPasswordFile(const std::filesystem::path& path) {
  std::string password = ReadFile(path);
  while (!password.empty() && (password.back() == '\n' || password.back() == ' ')) {
    password.pop_back();
  }
  return password;
}

std::string OneLine(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

void ChangeOwner(const std::filesystem::path& path, uid_t uid, gid_t gid) {
  if (::chown(path.c_str(), uid, gid) != 0) {
    throw std::runtime_error(fmt::format("cannot hand {} to the postgres OS user: {}",
                                         path.string(), std::strerror(errno)));
  }
}

}  // namespace

PostgresCluster::PostgresCluster(PostgresClusterOptions options) : options_(std::move(options)) {
  cluster_directory_ = options_.data_directory / "postgres";
  log_file_ = options_.data_directory / "postgres.log";
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      throw std::runtime_error(
          "running as root, but there is no 'postgres' OS user to run PostgreSQL as "
          "(install postgresql-15, or run kartond as an ordinary user)");
    }
    switch_user_ = true;
    run_as_uid_ = user->pw_uid;
    run_as_gid_ = user->pw_gid;
  }
}

PostgresCluster::~PostgresCluster() { Stop(); }

std::string PostgresCluster::ConnectionString() const {
  return ConnectionString(options_.database);
}

std::string PostgresCluster::ConnectionString(const std::string& database) const {
  return fmt::format("host=127.0.0.1 port={} user={} password={} dbname={}", port_,
                     kApplicationRole, application_password_, database);
}

std::string PostgresCluster::AdminConnectionString(const std::string& database) const {
  return fmt::format("host=127.0.0.1 port={} user={} password={} dbname={}", port_, kSuperuser,
                     password_, database);
}

const char* PostgresCluster::ApplicationRole() { return kApplicationRole; }

std::string PostgresCluster::LogTail() const {
  std::string log = ReadFile(log_file_);
  log.erase(0, std::min<std::size_t>(log_offset_, log.size()));
  std::vector<std::string> lines;
  std::istringstream stream(log);
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  // The last error-looking line is the one that explains a failed start.
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->find("FATAL") != std::string::npos || it->find("ERROR") != std::string::npos ||
        it->find("karton:") != std::string::npos || it->find("initdb:") != std::string::npos) {
      return *it;
    }
  }
  return lines.empty() ? "no output" : lines.back();
}

void PostgresCluster::Start() {
  if (Running()) return;
  // The server is only recommended by the package (an install against an
  // external database leaves it out): say what is missing, and the way out.
  if (!std::filesystem::exists(options_.bin_directory / "postgres")) {
    throw std::runtime_error(fmt::format(
        "the embedded PostgreSQL needs {} (the Debian package postgresql-15: apt install "
        "postgresql-15), or give --database-url to use an external PostgreSQL",
        (options_.bin_directory / "postgres").string()));
  }
  std::error_code error;
  std::filesystem::create_directories(options_.data_directory, error);
  if (error) {
    throw std::runtime_error(fmt::format("cannot create data directory {}: {}",
                                         options_.data_directory.string(), error.message()));
  }
  const auto password_file = options_.data_directory / "postgres.password";
  if (!std::filesystem::exists(cluster_directory_ / "PG_VERSION")) InitializeCluster();
  password_ = ReadPasswordFile(password_file);
  if (password_.empty()) {
    throw std::runtime_error(fmt::format(
        "the embedded cluster's password file {} is missing or empty", password_file.string()));
  }
  for (int attempt = 1;; ++attempt) {
    try {
      StartServer();
      WaitUntilReady();
      break;
    } catch (const std::exception&) {
      Stop();
      // A lost race for the port is the one failure worth a second try.
      const std::string log = ReadFile(log_file_).substr(
          std::min<std::size_t>(log_offset_, std::filesystem::file_size(log_file_)));
      const bool port_taken = log.find("Address already in use") != std::string::npos;
      if (attempt >= 2 || !port_taken) throw;
    }
  }
  // The application role's password is made on first use, also for a
  // cluster made before kartond stopped working as the superuser.
  const auto application_password_file = options_.data_directory / "postgres.kartond-password";
  if (!std::filesystem::exists(application_password_file)) {
    WriteSecretFile(application_password_file, RandomPassword() + "\n");
  }
  application_password_ = ReadPasswordFile(application_password_file);
  if (application_password_.empty()) {
    throw std::runtime_error(fmt::format("the application role's password file {} is empty",
                                         application_password_file.string()));
  }
  PrepareApplicationDatabase();
}

internal::SpawnSpec PostgresCluster::ChildSpec(const std::filesystem::path& working_directory) {
  // Returned by value into the caller's scope, which closes the log when done.
  const int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", log_file_.string(), std::strerror(errno)));
  }
  // Everything logged from here on belongs to this attempt (see LogTail).
  log_offset_ = static_cast<std::uintmax_t>(::lseek(log_fd, 0, SEEK_END));
  SpawnSpec spec;
  spec.working_directory = working_directory;
  spec.output = FileDescriptor(log_fd);
  spec.switch_user = switch_user_;
  spec.uid = run_as_uid_;
  spec.gid = run_as_gid_;
  return spec;
}

void PostgresCluster::InitializeCluster() {
  const std::string password = RandomPassword();

  // initdb writes into a scratch directory that is renamed into place only
  // when it succeeded: an interrupted initdb (kill, power loss) must never
  // leave a half-made cluster that later starts mistake for a real one.
  const auto scratch = options_.data_directory / "postgres.initdb";
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  std::filesystem::permissions(scratch, std::filesystem::perms::owner_all);
  // kartond keeps one copy of the password (root-readable only); initdb gets
  // a copy the postgres user can read, deleted whatever happens.
  const auto initdb_password_file = options_.data_directory / ".initdb-password";
  struct RemoveOnExit {
    std::filesystem::path path;
    ~RemoveOnExit() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } remove_initdb_password{initdb_password_file};
  WriteSecretFile(initdb_password_file, std::string(password) + "\n");
  if (switch_user_) {
    ChangeOwner(scratch, run_as_uid_, run_as_gid_);
    ChangeOwner(initdb_password_file, run_as_uid_, run_as_gid_);
  }

  SpawnSpec spec = ChildSpec(scratch);
  spec.argv = {(options_.bin_directory / "initdb").string(),
               "--pgdata=" + scratch.string(),
               "--username=" + std::string(kSuperuser),
               "--pwfile=" + initdb_password_file.string(),
               "--auth=scram-sha-256",
               "--encoding=UTF8",
               "--locale=C.UTF-8",
               "--no-instructions"};
  if (!options_.durable) spec.argv.push_back("--no-sync");
  spec.parent_death_signal = SIGKILL;
  const int exit_code = WaitForExit(Spawn(spec));
  if (exit_code != 0) {
    throw std::runtime_error(fmt::format("initdb failed (exit {}): {} (see {})", exit_code,
                                         LogTail(), log_file_.string()));
  }
  // The rename is the commit point: the password is in place before it, so
  // a cluster directory never exists without its password.
  WriteSecretFile(options_.data_directory / "postgres.password", std::string(password) + "\n");
  std::filesystem::remove_all(cluster_directory_);
  std::filesystem::rename(scratch, cluster_directory_);
}

void PostgresCluster::StartServer() {
  port_ = options_.port != 0 ? options_.port : PickFreeLoopbackPort();
  SpawnSpec spec = ChildSpec(cluster_directory_);
  spec.argv = {(options_.bin_directory / "postgres").string(),
               "-D",
               cluster_directory_.string(),
               "-c",
               fmt::format("port={}", port_),
               "-c",
               "listen_addresses=127.0.0.1",
               "-c",
               "unix_socket_directories=",
               "-c",
               "TimeZone=UTC",
               "-c",
               "log_timezone=UTC"};
  if (!options_.durable) {
    for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      spec.argv.push_back("-c");
      spec.argv.push_back(setting);
    }
  }
  // SIGINT is PostgreSQL's fast shutdown: if kartond dies, the server rolls
  // back open transactions, checkpoints and exits instead of lingering.
  spec.parent_death_signal = SIGINT;
  server_pid_ = Spawn(spec);
}

void PostgresCluster::WaitUntilReady() {
  // Readiness is read from postmaster.pid, which our own server writes: its
  // first line is the server's pid and its eighth the status, "ready" once
  // it accepts connections. A ping on the port could be answered by another
  // server that took the port first.
  const auto pid_file = cluster_directory_ / "postmaster.pid";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
      server_pid_ = -1;
      throw std::runtime_error(fmt::format("PostgreSQL exited during start: {} (see {})", LogTail(),
                                           log_file_.string()));
    }
    std::ifstream in(pid_file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.size() >= 8 && lines[0] == std::to_string(server_pid_) &&
        lines[7].rfind("ready", 0) == 0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error(
      fmt::format("PostgreSQL did not get ready within 60 s (see {})", log_file_.string()));
}

namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Connection ConnectAsSuperuser(const std::string& conninfo) {
  Connection connection(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error(fmt::format("cannot connect to the embedded PostgreSQL: {}",
                                         OneLine(PQerrorMessage(connection.get()))));
  }
  return connection;
}

// Runs `sql` with text parameters; throws naming `what` unless it succeeded.
Result Run(PGconn* connection, const std::string& sql, std::vector<const char*> parameters,
           std::string_view what) {
  Result result(PQexecParams(connection, sql.c_str(), static_cast<int>(parameters.size()), nullptr,
                             parameters.data(), nullptr, nullptr, 0),
                &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(
        fmt::format("cannot {}: {}", what, OneLine(PQresultErrorMessage(result.get()))));
  }
  return result;
}

std::string QuoteIdentifier(PGconn* connection, const std::string& name) {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(
      PQescapeIdentifier(connection, name.c_str(), name.size()), &PQfreemem);
  if (!quoted) throw std::runtime_error("cannot quote identifier " + name);
  return quoted.get();
}

// Hands every object the superuser made in the application schemas (by a
// kartond from before the application role existed) to the application
// role, so that its migrations can alter them. Objects that belong to an
// extension stay with the extension's owner; sequences owned by a column
// follow their table.
constexpr const char* kHandOverObjects = R"sql(
DO $hand_over$
DECLARE
  application text := current_setting('karton.application_role');
  superuser oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
  item record;
BEGIN
  FOR item IN
    SELECT n.nspname FROM pg_namespace n
    WHERE n.nspowner = superuser AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
  LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', item.nspname, application);
  END LOOP;
  FOR item IN
    SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relowner = superuser AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid
                        AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
                   CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                     WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                     ELSE 'TABLE' END,
                   item.name, application);
  END LOOP;
  FOR item IN
    SELECT p.oid::regprocedure AS name FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proowner = superuser AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                        AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.name, application);
  END LOOP;
  FOR item IN
    SELECT t.oid::regtype AS name FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typowner = superuser AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND t.typtype IN ('e', 'd', 'r') AND t.typelem = 0
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                        AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO %I', item.name, application);
  END LOOP;
END
$hand_over$)sql";

}  // namespace

void PostgresCluster::PrepareApplicationDatabase() {
  const auto admin = ConnectAsSuperuser(AdminConnectionString("postgres"));
  const std::string role = QuoteIdentifier(admin.get(), kApplicationRole);
  // The password travels and is stored as a SCRAM verifier, never in clear.
  std::unique_ptr<char, decltype(&PQfreemem)> verifier(
      PQencryptPasswordConn(admin.get(), application_password_.c_str(), kApplicationRole,
                            "scram-sha-256"),
      &PQfreemem);
  if (!verifier) {
    throw std::runtime_error(fmt::format("cannot encrypt the application role's password: {}",
                                         OneLine(PQerrorMessage(admin.get()))));
  }
  std::unique_ptr<char, decltype(&PQfreemem)> verifier_literal(
      PQescapeLiteral(admin.get(), verifier.get(), std::strlen(verifier.get())), &PQfreemem);
  const auto exists = Run(admin.get(), "SELECT 1 FROM pg_roles WHERE rolname = $1",
                          {kApplicationRole}, "look up the application role");
  if (PQntuples(exists.get()) == 0) {
    Run(admin.get(), fmt::format("CREATE ROLE {}", role), {}, "create the application role");
  }
  // Every start puts the role back to exactly these rights: it may log in
  // and owns what it made, and nothing else.
  Run(admin.get(),
      fmt::format("ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                  "NOBYPASSRLS INHERIT PASSWORD {}",
                  role, verifier_literal.get()),
      {}, "set up the application role");
  if (options_.database.empty()) return;

  const auto owner =
      Run(admin.get(), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1",
          {options_.database.c_str()}, "look up database " + options_.database);
  const std::string database = QuoteIdentifier(admin.get(), options_.database);
  if (PQntuples(owner.get()) == 0) {
    Run(admin.get(), fmt::format("CREATE DATABASE {} OWNER {}", database, role), {},
        "create database " + options_.database);
    return;
  }
  if (std::string_view(PQgetvalue(owner.get(), 0, 0)) != kApplicationRole) {
    Run(admin.get(), fmt::format("ALTER DATABASE {} OWNER TO {}", database, role), {},
        "hand database " + options_.database + " to the application role");
  }
  const auto in_database = ConnectAsSuperuser(AdminConnectionString(options_.database));
  Run(in_database.get(), "SELECT set_config('karton.application_role', $1, false)",
      {kApplicationRole}, "name the application role");
  Run(in_database.get(), kHandOverObjects, {}, "hand the schemas to the application role");
}

void PostgresCluster::Stop() noexcept {
  if (server_pid_ <= 0) return;
  ::kill(server_pid_, SIGINT);
  // Fast shutdown normally takes well under a second; escalate if it hangs.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while (::waitpid(server_pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(server_pid_, SIGQUIT);
      ::waitpid(server_pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  server_pid_ = -1;
}

}  // namespace karton::kernel
