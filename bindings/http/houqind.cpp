// houqind: the houqin daemon (docs/daemon.md).
//
//   houqind --config /etc/houqin/houqind.json   run until SIGTERM or SIGINT
//   houqind --check-config FILE                 read and check the file, exit 0 or 2
//   houqind --config-schema                     the config file's JSON Schema
//   houqind --openapi                           the HTTP API's OpenAPI document
//
// Exit status: 0 after a clean stop, 2 for a bad config or command line, 1 when the platform
// cannot start (database, keys, address in use).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "houqin/core/error.hpp"
#include "houqin/http/daemon.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/store/migration.hpp"

using namespace houqin;

namespace {

int usage() {
  std::cerr << "usage: houqind --config FILE | --check-config FILE | --config-schema | --openapi\n";
  return 2;
}

void say(const std::string& line) {
  std::cout << "houqind: " << line << std::endl;  // one line each, flushed: journald, tests
}

int run(const http::DaemonConfig& config) {
  store::StoreOptions options;
  options.keys = config.keys_file.empty() ? protect::Keyring::from_env()
                                          : protect::Keyring::from_file(config.keys_file);
  if (config.migrate) {
    auto s = store::Store::open(config.store, options);
    store::migrate(*s, houqin::migrations());
  }

  // The signals are taken by sigwait below, never by a handler in some thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  PlatformHost platform(config.store, options, config.host);
  platform.host().start();
  http::Server server(config.http, [&] { return store::Store::open(config.store, options); });
  server.start();
  say("listening on http://" +
      (config.http.address.find(':') != std::string::npos ? "[" + config.http.address + "]"
                                                          : config.http.address) +
      ":" + std::to_string(server.port()) + "/");

  auto started = std::chrono::steady_clock::now();
  for (;;) {
    timespec wait{1, 0};
    if (config.run_for) {
      auto left = *config.run_for - std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - started);
      if (left.count() <= 0) {
        say("run_for has passed; stopping");
        break;
      }
      if (left < std::chrono::seconds(1)) wait = {0, static_cast<long>(left.count()) * 1000000};
    }
    int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      say(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + "; stopping");
      break;
    }
    if (sig == SIGHUP)
      say("SIGHUP: nothing in this version can change without a restart; restart to apply");
  }
  server.stop();  // answers the requests in flight, closes the connections
  auto stats = server.stats();
  say("HTTP stopped after " + std::to_string(stats.requests) + " requests");
  platform.host().stop();
  return 0;  // ~PlatformHost stops the acquisition and flushes the telemetry
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--config-schema") == 0) {
    std::cout << json::schema<http::DaemonConfig>(json::Direction::input).dump(2) << "\n";
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--openapi") == 0) {
    std::cout << http::openapi().dump(2) << "\n";
    return 0;
  }
  if (argc != 3) return usage();
  bool check = std::strcmp(argv[1], "--check-config") == 0;
  if (!check && std::strcmp(argv[1], "--config") != 0) return usage();
  http::DaemonConfig config;
  try {
    config = http::read_daemon_config(argv[2]);
  } catch (const Error& e) {
    std::cerr << "houqind: " << e.what() << "\n";
    return 2;
  }
  if (check) {
    say(std::string(argv[2]) + ": the config is valid");
    return 0;
  }
  try {
    return run(config);
  } catch (const std::exception& e) {
    std::cerr << "houqind: cannot run: " << e.what() << "\n";
    return 1;
  }
}
