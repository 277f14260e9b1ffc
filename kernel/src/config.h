// kartond's options: command line, KARTON_* environment, optional TOML file.
// Precedence: flag > environment > file > default.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "karton/kernel/network.h"
#include "module_graph.h"

namespace karton::kernel {

struct ServerOptions {
  std::filesystem::path config_file;
  std::filesystem::path data_dir = "var";
  std::string database_url;  // empty: run the embedded PostgreSQL
  // The database password, read from this file rather than given in the URL.
  std::filesystem::path database_password_file;
  std::string grpc_listen = "127.0.0.1:50051";
  // TLS for gRPC (docs/operations.md, "TLS"): PEM files; with a certificate
  // and key gRPC may listen beyond loopback; with a client CA too, callers
  // must present a certificate it signed (mutual TLS).
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  std::filesystem::path tls_client_ca;
  std::string http_listen = "127.0.0.1:8080";
  // How the outside world reaches the HTTP side; empty: http://<http_listen>.
  std::string public_url;
  std::filesystem::path modules_dir;  // empty: <kartond dir>/../lib/karton/modules
  std::filesystem::path web_dir;      // empty: <kartond dir>/../share/karton/web
  std::vector<std::string> modules;   // empty: every module found
  bool demo = false;
  std::string log_level = "info";
  int db_pool_size = 8;
  // How long a call waits for a free pooled connection at most (less if its
  // deadline is nearer) before it is answered RESOURCE_EXHAUSTED.
  int db_acquire_timeout_ms = 5000;
  int http_threads = 4;
  int http_api_threads = 4;
  int http_page_queue = 256;
  int http_api_queue = 64;
  int http_max_connections = 1024;
  int http_max_connections_per_address = 64;
  std::vector<IpNetwork> http_trusted_proxies;
  // Calls per minute per user, by role (--calls-per-minute); a role not
  // listed has no limit.
  std::map<std::string, double> calls_per_minute_by_role{{"external_partner", 1200}};
  double shutdown_grace_seconds = 10;
  std::filesystem::path postgres_bin_dir = "/usr/lib/postgresql/15/bin";
  // The installation's time zone: "daily HH:MM" jobs run at that local
  // time, across daylight-saving changes (an IANA name PostgreSQL knows).
  std::string time_zone = "Europe/Budapest";
  int job_workers = 2;
  int job_poll_ms = 1000;
  int job_claim_seconds = 300;
  int event_workers = 2;
  int webhook_workers = 2;
  int event_poll_ms = 1000;
  int event_max_attempts = 5;
  int event_retention_days = 30;
  int job_retention_days = 30;
  // How long a web client sign-in lasts (web_sessions.h).
  int web_session_hours = 12;
  int webhook_max_failures = 20;
  int webhook_timeout_seconds = 10;
  // Inner networks webhooks may reach (loopback, private, ... are refused).
  std::vector<IpNetwork> webhook_allow_cidrs;
  int event_claim_seconds = 30;
  bool test_clock = false;
  // --remote-module NAME=HOST:PORT: module -> the kartond that runs it
  // (remote_modules.h), with the secret that signs relayed callers and the
  // CA of the remote kartonds' certificates (empty: plaintext, loopback).
  std::map<std::string, std::string> remote_modules;
  std::filesystem::path cluster_secret_file;
  std::filesystem::path remote_ca;
  // --module-option <module>.<key>=<value>: module -> key -> value.
  std::map<std::string, std::map<std::string, std::string>> module_options;
};

// A bad option, environment variable or config file entry. The message names it.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The modules found in a modules directory (empty: the default one), for
// their declared options. May throw ModuleError.
using ModuleDeclarations =
    std::function<std::vector<ModuleInfo>(const std::filesystem::path& modules_dir)>;

// Parses argv, the environment and the config file. Returns nullopt when
// --help was asked for (the help has then been printed). Throws ConfigError.
// `declarations` gives the modules' options: their own flags (--smtp-url),
// the --help listing, and the check of every --module-option's key and
// value. Without it (or when the modules cannot be read) --module-option
// values are taken as given and the server's start checks them.
std::optional<ServerOptions> ParseServerOptions(int argc, const char* const* argv,
                                                const ModuleDeclarations& declarations = {});

}  // namespace karton::kernel
