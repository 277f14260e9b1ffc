// A private PostgreSQL cluster run by kartond itself (the embedded default)
// or by the test harness (a throwaway one).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace karton::kernel {

namespace internal {
struct SpawnSpec;
}

struct PostgresClusterOptions {
  // Holds the cluster ("postgres/"), its log ("postgres.log") and the
  // generated passwords of the superuser ("postgres.password") and of the
  // application role ("postgres.kartond-password"), mode 0600.
  std::filesystem::path data_directory;
  // Where initdb and postgres live.
  std::filesystem::path bin_directory = "/usr/lib/postgresql/15/bin";
  // false trades crash safety for speed (fsync off): tests only.
  bool durable = true;
  // The application database, owned by the application role. Empty: none
  // (the test harness makes one per test).
  std::string database = "karton";
  // The loopback port to listen on; 0 (kartond's embedded cluster): a free
  // one picked at each start. A fixed one lets a test stop the server and
  // start it again where its clients look for it.
  int port = 0;
};

// Starts PostgreSQL as a child process that listens on a free loopback port
// only (no unix socket). When run as root the server runs as the unprivileged
// "postgres" OS user, since PostgreSQL refuses to run as root. The child is
// told to shut down if its parent dies, so a crashed kartond or test never
// leaves a server behind.
//
// Two roles: the superuser initdb made, used only to create the next one
// and the database; and the application role kartond connects as, which
// owns the application database and its schemas and is not a superuser (it
// cannot read files, run programs or touch other databases' objects).
class PostgresCluster {
 public:
  explicit PostgresCluster(PostgresClusterOptions options);
  ~PostgresCluster();  // Stop()
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // Creates the cluster on first use (initdb), starts the server, waits until
  // it answers, and makes the application role and database if missing. A
  // database from before the application role is handed to it, with every
  // schema and object in it. Throws std::runtime_error with one line naming
  // the cause (and the log file for details).
  void Start();
  // Fast shutdown (in-flight transactions are rolled back, data is flushed).
  // Idempotent; never throws.
  void Stop() noexcept;

  bool Running() const { return server_pid_ > 0; }
  int Port() const { return port_; }
  // libpq conninfo for the application database, as the application role.
  std::string ConnectionString() const;
  // The same for another database of the same cluster.
  std::string ConnectionString(const std::string& database) const;
  // As the superuser: for creating and dropping databases (tests).
  std::string AdminConnectionString(const std::string& database) const;
  // The name of the role ConnectionString logs in as.
  static const char* ApplicationRole();
  const std::filesystem::path& LogFile() const { return log_file_; }

 private:
  // Settings shared by every child (initdb, postgres): the user to run as,
  // the working directory, stdout/stderr appended to the log.
  internal::SpawnSpec ChildSpec(const std::filesystem::path& working_directory);
  void InitializeCluster();
  void StartServer();
  void WaitUntilReady();
  void PrepareApplicationDatabase();
  std::string LogTail() const;

  PostgresClusterOptions options_;
  std::filesystem::path cluster_directory_;
  std::filesystem::path log_file_;
  std::string password_;              // the superuser's
  std::string application_password_;  // the application role's
  uid_t run_as_uid_ = 0;
  gid_t run_as_gid_ = 0;
  bool switch_user_ = false;
  pid_t server_pid_ = -1;
  int port_ = 0;
  // Where the log of the current start attempt begins.
  std::uintmax_t log_offset_ = 0;
};

}  // namespace karton::kernel
