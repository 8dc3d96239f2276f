// houqind, the houqin daemon (docs/daemon.md): one process that runs the platform host (event
// consumers, timed jobs, health), the telemetry runtime with its Modbus pollers when configured,
// and the HTTP server, from one JSON config file. The config is a described struct, so its
// schema (houqind --config-schema) and its strict reading (an unknown key or a wrong type is
// refused, naming it) come from the same description.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "houqin/http/server.hpp"
#include "houqin/http/webhooks.hpp"
#include "houqin/platform.hpp"

namespace houqin::http {

struct DaemonConfig {
  static constexpr std::array<std::string_view, 1> required_fields{"store"};
  /// The database: "postgresql://..." (host=a,b for a standby) or "sqlite:/var/lib/houqin/db".
  std::string store;
  /// The key file for sealed personal fields ("<id> <base64>" per line, the last one active);
  /// empty: the keys come from the HOUQIN_KEYS environment variable.
  std::string keys_file;
  /// Bring the schema up to date (every domain's migrations) before anything else runs.
  bool migrate = true;
  ServerConfig http;
  HostConfig host;
  /// Stop by itself after this long (demos, smoke tests); absent: run until SIGTERM.
  std::optional<std::chrono::milliseconds> run_for;
  /// Outgoing webhooks (docs/daemon.md, "Webhooks"); the one part that SIGHUP reloads.
  std::vector<WebhookConfig> webhooks;
};
BOOST_DESCRIBE_STRUCT(DaemonConfig, (), (store, keys_file, migrate, http, host, run_for, webhooks))

/// Reads and checks a config file. Error(invalid_argument) naming the file and the bad key
/// ("houqind.json: http.port: must be 0..65535", "...: htp: unknown field"), Error(not_found)
/// when the file cannot be read.
HOUQIN_HTTP_EXPORT DaemonConfig read_daemon_config(const std::string& path);

}  // namespace houqin::http
