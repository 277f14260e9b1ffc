#include "config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>
#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "karton/kernel/access.h"
#include "karton/kernel/numbers.h"
#include "remote_modules.h"

namespace karton::kernel {
namespace {

// "data-dir" -> "KARTON_DATA_DIR"
std::string EnvironmentName(const std::string& option) {
  std::string name = "KARTON_";
  for (char c : option) name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

struct Definition {
  std::string name;  // long option without dashes
  bool is_flag = false;
};

std::string TomlValueToArgument(const std::string& key, const toml::node& node,
                                const std::string& file) {
  if (auto text = node.value<std::string>()) return *text;
  if (auto boolean = node.value_exact<bool>()) return *boolean ? "true" : "false";
  if (auto integer = node.value_exact<int64_t>()) return std::to_string(*integer);
  if (auto number = node.value_exact<double>()) return fmt::format("{}", *number);
  if (const auto* array = node.as_array()) {
    std::string joined;
    for (const auto& element : *array) {
      auto text = element.value<std::string>();
      if (!text)
        throw ConfigError(fmt::format("config file {}: '{}' must be a list of strings", file, key));
      joined += (joined.empty() ? "" : ",") + *text;
    }
    return joined;
  }
  throw ConfigError(fmt::format("config file {}: '{}' has an unsupported value type", file, key));
}

// "external_partner=1200,sales=0" -> role -> calls per minute.
std::map<std::string, double> ParseCallsPerMinute(const std::string& text) {
  static const std::set<std::string> kRoles = {
      std::string(kRoleAdmin),      std::string(kRoleSales),   std::string(kRoleSalesManager),
      std::string(kRoleAccounting), std::string(kRoleSupport), std::string(kRoleExternalPartner)};
  std::map<std::string, double> limits;
  std::stringstream list(text);
  for (std::string entry; std::getline(list, entry, ',');) {
    entry.erase(0, entry.find_first_not_of(' '));
    entry.erase(entry.find_last_not_of(' ') + 1);
    if (entry.empty()) continue;
    const auto equals = entry.find('=');
    const std::string role = entry.substr(0, equals);
    double rate = -1;
    std::size_t parsed = 0;
    if (equals != std::string::npos) {
      try {
        rate = std::stod(entry.substr(equals + 1), &parsed);
      } catch (const std::exception&) {
        parsed = 0;
      }
    }
    if (kRoles.count(role) == 0) {
      throw ConfigError(fmt::format(
          "--calls-per-minute: '{}' names no role (admin, sales, sales_manager, accounting, "
          "support, external_partner)",
          role));
    }
    if (equals == std::string::npos || parsed == 0 || parsed != entry.size() - equals - 1 ||
        rate < 0 || rate > 1e7) {
      throw ConfigError(fmt::format(
          "--calls-per-minute: '{}' must be role=<calls per minute, 0: no limit>", entry));
    }
    limits[role] = rate;
  }
  return limits;
}

// Where the modules are, read ahead of the real parse (whose flags depend
// on them): --modules-dir, else KARTON_MODULES_DIR, else modules-dir in the
// config file; empty for the default.
std::filesystem::path ModulesDirectoryAhead(const std::vector<std::string>& command_line,
                                            const std::string& config_file_name) {
  std::filesystem::path directory;
  for (std::size_t i = 0; i < command_line.size(); ++i) {
    if (command_line[i] == "--modules-dir" && i + 1 < command_line.size()) {
      directory = command_line[i + 1];
    } else if (command_line[i].rfind("--modules-dir=", 0) == 0) {
      directory = command_line[i].substr(14);
    }
  }
  if (!directory.empty()) return directory;
  if (const char* from_env = std::getenv("KARTON_MODULES_DIR")) return from_env;
  if (config_file_name.empty()) return {};
  try {
    const auto table = toml::parse_file(config_file_name);
    for (const char* key : {"modules-dir", "modules_dir"}) {
      if (const auto value = table[key].value<std::string>()) return *value;
    }
  } catch (const toml::parse_error&) {
    // Reported by the real parse.
  }
  return {};
}

// Whether `value` is of the declared `type` (module_api.h); why not, if not.
std::optional<std::string> TypeMismatch(const std::string& type, const std::string& value) {
  if (type == "integer" && !ParseInt64(value)) return "a whole number";
  if (type == "number") {
    std::size_t parsed = 0;
    try {
      (void)std::stod(value, &parsed);
    } catch (const std::exception&) {
      parsed = 0;
    }
    if (parsed == 0 || parsed != value.size()) return "a number";
  }
  if (type == "boolean" && value != "true" && value != "false") return "true or false";
  if ((type == "file" || type == "url") && value.empty()) return "not empty";
  return std::nullopt;
}

// Several options in one value ("partners.a=1,orders.b=2", as
// KARTON_MODULE_OPTION carries them) are split at each comma that starts
// the next <module>.<key>=; any other comma belongs to the value, so an
// address ("1132 Budapest, Váci út 18.") passes whole.
std::vector<std::string> SplitModuleOptions(const std::vector<std::string>& values) {
  static const RE2 kNextOption(R"(^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*=)");
  std::vector<std::string> options;
  for (const std::string& value : values) {
    std::size_t start = 0;
    for (std::size_t comma = value.find(','); comma != std::string::npos;
         comma = value.find(',', comma + 1)) {
      if (RE2::PartialMatch(std::string_view(value).substr(comma + 1), kNextOption)) {
        options.push_back(value.substr(start, comma - start));
        start = comma + 1;
      }
    }
    options.push_back(value.substr(start));
  }
  return options;
}

// The --help section listing every module's options.
std::string ModuleOptionsHelp(const std::vector<ModuleInfo>& modules) {
  std::string help =
      "Module options: --module-option <module>.<key>=<value> (repeatable; comma-separated in\n"
      "KARTON_MODULE_OPTION, a list in the config file). A key the module does not declare, or a\n"
      "value not of its type, stops kartond before it starts.\n";
  for (const auto& module : modules) {
    if (module.options.empty()) continue;
    help += fmt::format("\n  {} {}:\n", module.name, module.version);
    for (const auto& option : module.options) {
      help +=
          fmt::format("    {}.{} ({}{}{}{})\n        {}\n", module.name, option.key, option.type,
                      option.default_text.empty() ? "" : ", default: ", option.default_text,
                      option.flag.empty() ? "" : ", also --" + option.flag, option.description);
    }
  }
  return help;
}

}  // namespace

std::optional<ServerOptions> ParseServerOptions(int argc, const char* const* argv,
                                                const ModuleDeclarations& declarations) {
  const std::vector<std::string> command_line(argv + 1, argv + argc);
  std::string file_name;
  for (std::size_t i = 0; i < command_line.size(); ++i) {
    if (command_line[i] == "--config" && i + 1 < command_line.size())
      file_name = command_line[i + 1];
    if (command_line[i].rfind("--config=", 0) == 0) file_name = command_line[i].substr(9);
  }
  if (file_name.empty()) {
    if (const char* from_env = std::getenv("KARTON_CONFIG")) file_name = from_env;
  }
  // The modules' declared options. When they cannot be read, the server's
  // start reports why; parsing goes on without them.
  std::vector<ModuleInfo> modules;
  std::string modules_problem;
  if (declarations) {
    try {
      modules = declarations(ModulesDirectoryAhead(command_line, file_name));
    } catch (const std::exception& error) {
      modules_problem = error.what();
    }
  }

  ServerOptions options;
  std::string modules_list;
  std::vector<std::string> module_option_list;
  CLI::App app{
      "kartond: the Karton server. Hosts the kernel and its modules, serves gRPC and HTTP.\n"
      "Every option can also be set as a KARTON_* environment variable or in the TOML file given\n"
      "by --config; a flag beats the environment, which beats the file.",
      "kartond"};
  app.get_formatter()->column_width(34);
  std::vector<Definition> definitions;
  auto add = [&](const std::string& name, auto& target,
                 const std::string& description) -> CLI::Option* {
    definitions.push_back({name, false});
    return app.add_option("--" + name, target, description)
        ->envname(EnvironmentName(name))
        ->capture_default_str()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  std::string config_file;
  add("config", config_file, "TOML file with any of these options (keys as named here)");
  add("data-dir", options.data_dir,
      "Directory for kartond's state: the embedded PostgreSQL cluster, its log, the lock file");
  add("database-url", options.database_url,
      "Use this PostgreSQL (postgresql://... or a libpq conninfo) instead of the embedded one");
  add("database-password-file", options.database_password_file,
      "A file holding the password for --database-url, so that it is not on the command line");
  add("grpc-listen", options.grpc_listen, "Address for the gRPC server (port 0: any free port)");
  add("http-listen", options.http_listen, "Address for the HTTP server (port 0: any free port)");
  add("tls-cert", options.tls_cert,
      "PEM certificate chain for gRPC over TLS (with --tls-key); gRPC may then listen beyond "
      "loopback. Re-read when the file changes");
  add("tls-key", options.tls_key, "PEM private key of --tls-cert");
  add("tls-client-ca", options.tls_client_ca,
      "PEM CA bundle: gRPC callers must present a certificate it signed (mutual TLS)");
  add("public-url", options.public_url,
      "The HTTP side's address as the outside world sees it, for links in messages and feeds "
      "(https://crm.example.com behind a proxy; default: http://<http-listen>)");
  add("modules-dir", options.modules_dir,
      "Directory with module libraries (default: <kartond dir>/../lib/karton/modules)");
  add("web-dir", options.web_dir,
      "Directory with the built web client, served at /app/ (default: <kartond "
      "dir>/../share/karton/web)");
  add("modules", modules_list,
      "Comma-separated modules to load, plus what they depend on (default: all)");
  add("log-level", options.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  add("db-pool-size", options.db_pool_size, "Database connections kept open")
      ->check(CLI::Range(1, 1000));
  add("db-acquire-timeout-ms", options.db_acquire_timeout_ms,
      "How long work waits for a free database connection at most (a gRPC call no longer "
      "than its deadline allows); a call that gets none is answered RESOURCE_EXHAUSTED")
      ->check(CLI::Range(0, 600000));
  add("http-threads", options.http_threads,
      "Worker threads for HTTP pages (web forms, feeds, links, health)")
      ->check(CLI::Range(1, 256));
  add("http-api-threads", options.http_api_threads,
      "Worker threads for the JSON gateway (/api), apart from the pages'")
      ->check(CLI::Range(1, 256));
  add("http-page-queue", options.http_page_queue,
      "HTTP page requests waiting or running at most; more are answered 503")
      ->check(CLI::Range(1, 1000000));
  add("http-api-queue", options.http_api_queue,
      "JSON gateway requests waiting or running at most; more are answered 503")
      ->check(CLI::Range(1, 1000000));
  add("http-max-connections", options.http_max_connections,
      "Open HTTP connections at most; more are closed at once")
      ->check(CLI::Range(1, 1000000));
  add("http-max-connections-per-address", options.http_max_connections_per_address,
      "Open HTTP connections from one address at most")
      ->check(CLI::Range(1, 1000000));
  std::string trusted_proxies;
  add("http-trusted-proxies", trusted_proxies,
      "Comma-separated proxies (addresses or networks, like 10.0.0.0/8) whose X-Forwarded-For "
      "names the visitor for per-visitor limits and logs (default: none, the socket's peer is "
      "the visitor)");
  std::string calls_per_minute = "external_partner=1200";
  add("calls-per-minute", calls_per_minute,
      "Calls per minute one user may make, by role: comma-separated role=number (0 or a role "
      "not listed: no limit); a user with several roles gets the most generous");
  add("shutdown-grace-seconds", options.shutdown_grace_seconds,
      "How long in-flight calls may run on during shutdown")
      ->check(CLI::Range(0.0, 3600.0));
  add("postgres-bin-dir", options.postgres_bin_dir,
      "Where initdb and postgres are, for the embedded cluster");
  add("time-zone", options.time_zone,
      "The installation's time zone (IANA name): daily jobs run at its local time");
  add("job-workers", options.job_workers, "Threads running durable jobs")->check(CLI::Range(1, 64));
  add("job-poll-ms", options.job_poll_ms,
      "How often idle job workers look for due jobs, in milliseconds")
      ->check(CLI::Range(10, 600000));
  add("job-claim-seconds", options.job_claim_seconds,
      "How long a kartond that died keeps the jobs it was running before another kartond takes "
      "them over")
      ->check(CLI::Range(1, 86400));
  add("event-workers", options.event_workers,
      "Threads delivering domain events to in-process module subscribers (calling subscribers "
      "get a thread each)")
      ->check(CLI::Range(1, 64));
  add("webhook-workers", options.webhook_workers,
      "Threads delivering webhooks (apart from module subscribers: a slow endpoint stalls only "
      "these)")
      ->check(CLI::Range(1, 64));
  add("event-poll-ms", options.event_poll_ms,
      "How often to look for new events when no notification came, in milliseconds")
      ->check(CLI::Range(10, 600000));
  add("event-max-attempts", options.event_max_attempts,
      "Attempts at one event before a module subscriber's event is parked")
      ->check(CLI::Range(1, 100));
  add("event-retention-days", options.event_retention_days,
      "Days the event log keeps events for Subscribe and replays (0: forever)")
      ->check(CLI::Range(0, 36500));
  add("job-retention-days", options.job_retention_days,
      "Days finished (done or dead) jobs are kept before the hourly purge deletes them "
      "(0: forever)")
      ->check(CLI::Range(0, 36500));
  add("web-session-hours", options.web_session_hours,
      "Hours a sign-in to the web client lasts before the user signs in again")
      ->check(CLI::Range(1, 720));
  add("webhook-max-failures", options.webhook_max_failures,
      "Failed deliveries in a row before a webhook is disabled")
      ->check(CLI::Range(1, 1000));
  add("webhook-timeout-seconds", options.webhook_timeout_seconds,
      "How long one webhook delivery may take")
      ->check(CLI::Range(1, 300));
  std::string webhook_allow_cidrs;
  add("webhook-allow-cidr", webhook_allow_cidrs,
      "Comma-separated networks webhooks may reach although they are loopback, private or "
      "link-local (default: none; such targets are refused)");
  add("event-claim-seconds", options.event_claim_seconds,
      "How long a kartond that stopped answering keeps a subscription before another takes it")
      ->check(CLI::Range(1, 3600));
  // The flags modules declare for their everyday settings (messaging's
  // --smtp-url): the same as --module-option <module>.<key>=<value>.
  struct ModuleFlag {
    std::string module, key, value;
  };
  std::vector<ModuleFlag> module_flags;
  for (const auto& module : modules) {
    for (const auto& option : module.options) {
      if (!option.flag.empty()) module_flags.push_back({module.name, option.key, ""});
    }
  }
  std::size_t next_flag = 0;
  for (const auto& module : modules) {
    for (const auto& option : module.options) {
      if (option.flag.empty()) continue;
      if (std::any_of(definitions.begin(), definitions.end(),
                      [&](const Definition& d) { return d.name == option.flag; })) {
        throw ConfigError(fmt::format("module {} declares the flag --{}, which is taken",
                                      module.name, option.flag));
      }
      add(option.flag, module_flags[next_flag++].value,
          fmt::format("{} ({}.{})", option.description, module.name, option.key))
          ->group(fmt::format("Options of the module {}", module.name));
    }
  }
  // Repeatable: every source adds to the list, and a key given twice keeps
  // its last value (so a flag still beats the environment and the file).
  app.add_option("--module-option", module_option_list,
                 "A module's setting, <module>.<key>=<value> (repeatable; see the module's docs)")
      ->envname("KARTON_MODULE_OPTION")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  definitions.push_back({"module-option", false});
  // Repeatable like --module-option: one module per occurrence.
  std::vector<std::string> remote_module_list;
  app.add_option("--remote-module", remote_module_list,
                 "A module another kartond runs, NAME=HOST:PORT (repeatable): its calls are "
                 "relayed there (docs/scaling.md); needs --cluster-secret-file")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  definitions.push_back({"remote-module", false});
  add("cluster-secret-file", options.cluster_secret_file,
      "A file with a secret (32 characters or more) shared by kartonds that relay calls to each "
      "other (--remote-module): it signs the caller a relayed call acts for");
  add("remote-ca", options.remote_ca,
      "PEM CA that signed the --tls-cert of the kartonds named by --remote-module: reach them "
      "over TLS (with --tls-cert/--tls-key as this kartond's client certificate); without it, "
      "loopback addresses only");
  app.add_flag("--test-clock", options.test_clock,
               "Tests only: let KernelService/AdvanceClock move the server's clock")
      ->envname("KARTON_TEST_CLOCK")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  definitions.push_back({"test-clock", true});
  app.footer(ModuleOptionsHelp(modules));
  app.add_flag("--demo", options.demo,
               "Load every module's demo data on first start (into an empty database)")
      ->envname("KARTON_DEMO")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  definitions.push_back({"demo", true});

  // Layer the sources by building one argument list: file first, then the
  // environment, then the real command line. The last value wins, which
  // gives flag > environment > file.
  std::vector<std::string> arguments;
  if (!file_name.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(file_name);
    } catch (const toml::parse_error& error) {
      std::ostringstream where;
      where << error.source().begin;
      throw ConfigError(
          fmt::format("config file {}: {} ({})", file_name, error.description(), where.str()));
    }
    for (const auto& [key, node] : table) {
      std::string name(key.str());
      for (char& c : name) c = c == '_' ? '-' : c;
      auto it = std::find_if(definitions.begin(), definitions.end(),
                             [&](const Definition& d) { return d.name == name; });
      if (it == definitions.end() || name == "config") {
        throw ConfigError(fmt::format("config file {}: unknown option '{}'", file_name, key.str()));
      }
      const std::string value = TomlValueToArgument(name, node, file_name);
      arguments.push_back(it->is_flag ? fmt::format("--{}={}", name, value) : "--" + name);
      if (!it->is_flag) arguments.push_back(value);
    }
  }
  for (const auto& definition : definitions) {
    if (definition.name == "config") continue;
    if (const char* value = std::getenv(EnvironmentName(definition.name).c_str())) {
      if (definition.is_flag) {
        arguments.push_back(fmt::format("--{}={}", definition.name, value));
      } else {
        arguments.push_back("--" + definition.name);
        arguments.push_back(value);
      }
    }
  }
  arguments.insert(arguments.end(), command_line.begin(), command_line.end());

  // CLI11 wants the arguments reversed when given as a vector.
  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return std::nullopt;
  } catch (const CLI::ParseError& error) {
    if (!modules_problem.empty()) {
      throw ConfigError(fmt::format("{} (the modules' own options are unknown: {})", error.what(),
                                    modules_problem));
    }
    throw ConfigError(error.what());
  }

  // Each module-subscriber worker holds a connection while its handler runs,
  // and a handler may need another one (a call into another module).
  if (options.event_workers >= options.db_pool_size) {
    throw ConfigError(fmt::format(
        "--event-workers ({}) must be smaller than --db-pool-size ({}): each delivering worker "
        "holds a database connection",
        options.event_workers, options.db_pool_size));
  }
  if (!options.public_url.empty()) {
    static const RE2 kPublicUrl(R"(https?://[^/\s?#]+(/[^\s?#]*)?)");
    if (!RE2::FullMatch(options.public_url, kPublicUrl)) {
      throw ConfigError(
          fmt::format("--public-url '{}' must be an http:// or https:// URL without query (e.g. "
                      "https://crm.example.com)",
                      options.public_url));
    }
    while (options.public_url.back() == '/') options.public_url.pop_back();
  }
  static const RE2 kModuleOption(R"(([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)=(.*))");
  for (const auto& entry : SplitModuleOptions(module_option_list)) {
    std::string module, key, value;
    if (!RE2::FullMatch(entry, kModuleOption, &module, &key, &value)) {
      throw ConfigError(fmt::format(
          "--module-option '{}' is not <module>.<key>=<value> (e.g. partners.document_max_mib=50)",
          entry));
    }
    options.module_options[module][key] = value;
  }
  for (const auto& flag : module_flags) {
    if (!flag.value.empty()) options.module_options[flag.module][flag.key] = flag.value;
  }
  // Every key a loaded module declares, each value of its type. (A module
  // that is not there is the start's to report: --modules may leave it out.)
  for (const auto& [module_name, values] : options.module_options) {
    const auto module =
        std::find_if(modules.begin(), modules.end(),
                     [&name = module_name](const ModuleInfo& m) { return m.name == name; });
    if (module == modules.end()) continue;
    for (const auto& [key, value] : values) {
      const auto option = std::find_if(
          module->options.begin(), module->options.end(),
          [&wanted = key](const ModuleOptionInfo& declared) { return declared.key == wanted; });
      if (option == module->options.end()) {
        std::vector<std::string> known;
        for (const auto& declared : module->options) known.push_back(declared.key);
        throw ConfigError(
            fmt::format("--module-option {}.{}: the module {} has no option '{}' (it has: {})",
                        module_name, key, module_name, key,
                        known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
      }
      if (const auto expected = TypeMismatch(option->type, value)) {
        throw ConfigError(fmt::format("--module-option {}.{}: '{}' is not {}", module_name, key,
                                      value, *expected));
      }
    }
  }
  options.config_file = config_file;
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    throw ConfigError("--tls-cert and --tls-key go together: give both, or neither");
  }
  if (!options.tls_client_ca.empty() && options.tls_cert.empty()) {
    throw ConfigError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
  }
  for (const auto& [flag, file] :
       {std::pair{"--tls-cert", &options.tls_cert}, std::pair{"--tls-key", &options.tls_key},
        std::pair{"--tls-client-ca", &options.tls_client_ca}}) {
    if (file->empty()) continue;
    std::ifstream readable(*file);
    if (!readable) {
      throw ConfigError(fmt::format("{} {}: cannot read the file", flag, file->string()));
    }
    *file = std::filesystem::absolute(*file);  // watched for changes from another directory
  }
  try {
    options.http_trusted_proxies = ParseIpNetworks(trusted_proxies);
  } catch (const std::invalid_argument& error) {
    throw ConfigError(fmt::format("--http-trusted-proxies: {}", error.what()));
  }
  options.calls_per_minute_by_role = ParseCallsPerMinute(calls_per_minute);
  try {
    options.webhook_allow_cidrs = ParseIpNetworks(webhook_allow_cidrs);
  } catch (const std::invalid_argument& error) {
    throw ConfigError(fmt::format("--webhook-allow-cidr: {}", error.what()));
  }
  for (const auto& text : remote_module_list) {
    try {
      auto remote = ParseRemoteModule(text);
      options.remote_modules[remote.name] = remote.address;
    } catch (const std::invalid_argument& error) {
      throw ConfigError(error.what());
    }
  }
  if (!options.remote_modules.empty() && options.cluster_secret_file.empty()) {
    throw ConfigError(
        "--remote-module needs --cluster-secret-file: the kartond that runs the module must "
        "know for whom a relayed call acts, and the shared secret is how it knows");
  }
  for (const auto& [flag, file] : {std::pair{"--cluster-secret-file", &options.cluster_secret_file},
                                   std::pair{"--remote-ca", &options.remote_ca}}) {
    if (file->empty()) continue;
    if (!std::ifstream(*file)) {
      throw ConfigError(fmt::format("{} {}: cannot read the file", flag, file->string()));
    }
  }
  std::stringstream list(modules_list);
  for (std::string name; std::getline(list, name, ',');) {
    if (!name.empty()) options.modules.push_back(name);
  }
  return options;
}

}  // namespace karton::kernel
