// Reading houqind's config file (the program itself is houqind.cpp).
#include <fstream>
#include <sstream>

#include "houqin/core/error.hpp"
#include "houqin/http/daemon.hpp"

namespace houqin::http {

DaemonConfig read_daemon_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorCode::not_found, path + ": cannot read the config file");
  std::stringstream text;
  text << in.rdbuf();
  auto bad = [&](const std::string& what) {
    fail(ErrorCode::invalid_argument, path + ": " + what);
  };
  DaemonConfig config;
  try {
    config = json::from_json<DaemonConfig>(json::parse(text.str()));
  } catch (const Error& e) {
    bad(e.what());
  }
  if (config.store.empty()) bad("store: must name a database");
  if (config.store.find(":memory:") != std::string::npos)
    bad("store: an in-memory database would vanish with the daemon and cannot be shared by its "
        "connections");
  if (config.run_for && config.run_for->count() <= 0) bad("run_for: must be > 0");
  try {
    validate_webhooks(config.webhooks);
  } catch (const Error& e) {
    bad(e.what());
  }
  try {
    // The server checks its own settings; building one opens nothing.
    Server probe(config.http, [] { return std::unique_ptr<store::Store>(); });
  } catch (const Error& e) {
    bad(e.what());
  }
  return config;
}

}  // namespace houqin::http
