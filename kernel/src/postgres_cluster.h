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
  // generated superuser password ("postgres.password", mode 0600).
  std::filesystem::path data_directory;
  // Where initdb and postgres live.
  std::filesystem::path bin_directory = "/usr/lib/postgresql/15/bin";
  // false trades crash safety for speed (fsync off): tests only.
  bool durable = true;
  std::string database = "karton";
};

// Starts PostgreSQL as a child process that listens on a free loopback port
// only (no unix socket). When run as root the server runs as the unprivileged
// "postgres" OS user, since PostgreSQL refuses to run as root. The child is
// told to shut down if its parent dies, so a crashed kartond or test never
// leaves a server behind.
class PostgresCluster {
 public:
  explicit PostgresCluster(PostgresClusterOptions options);
  ~PostgresCluster();  // Stop()
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // Creates the cluster on first use (initdb), starts the server, waits until
  // it answers and creates the database if missing. Throws std::runtime_error
  // with one line naming the cause (and the log file for details).
  void Start();
  // Fast shutdown (in-flight transactions are rolled back, data is flushed).
  // Idempotent; never throws.
  void Stop() noexcept;

  bool Running() const { return server_pid_ > 0; }
  int Port() const { return port_; }
  // libpq conninfo for the cluster's database.
  std::string ConnectionString() const;
  // libpq conninfo for another database of the same cluster.
  std::string ConnectionString(const std::string& database) const;
  const std::filesystem::path& LogFile() const { return log_file_; }

 private:
  // Settings shared by every child (initdb, postgres): the user to run as,
  // the working directory, stdout/stderr appended to the log.
  internal::SpawnSpec ChildSpec(const std::filesystem::path& working_directory);
  void InitializeCluster();
  void StartServer();
  void WaitUntilReady();
  void CreateDatabaseIfMissing();
  std::string LogTail() const;

  PostgresClusterOptions options_;
  std::filesystem::path cluster_directory_;
  std::filesystem::path log_file_;
  std::string password_;
  uid_t run_as_uid_ = 0;
  gid_t run_as_gid_ = 0;
  bool switch_user_ = false;
  pid_t server_pid_ = -1;
  int port_ = 0;
  // Where the log of the current start attempt begins.
  std::uintmax_t log_offset_ = 0;
};

}  // namespace karton::kernel
