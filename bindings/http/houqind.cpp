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
#include <set>
#include <string>

#include "houqin/core/error.hpp"
#include "houqin/http/daemon.hpp"
#include "houqin/http/webhooks.hpp"
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

/// The webhooks' consumers run on a host of their own, on a connection of their own: a running
/// host cannot add or drop consumers, and a reload must not stop the platform's reactions and
/// jobs to change a subscription (docs/daemon.md, "Reload on SIGHUP").
class Webhooks {
 public:
  Webhooks(std::string url, store::StoreOptions options, host::HostOptions host_options)
      : url_(std::move(url)),
        options_(std::move(options)),
        host_options_(std::move(host_options)) {}
  ~Webhooks() { stop(); }

  /// Runs these subscriptions from now on, in place of the ones before; the checkpoints of the
  /// subscriptions that are gone are dropped (retention would wait for them otherwise).
  void apply(const std::vector<http::WebhookConfig>& webhooks) {
    if (!store_ && (webhooks.empty() && current_.empty())) return;
    if (!store_) store_ = store::Store::open(url_, options_);
    auto next = http::make_webhook_host(*store_, webhooks, host_options_);  // checks first
    stop();
    std::set<std::string> kept;
    for (const auto& w : webhooks) kept.insert(w.name);
    for (const auto& w : current_)
      if (!kept.count(w.name)) {
        try {
          http::forget_webhook(*store_, w.name);
        } catch (const std::exception& e) {  // the new subscriptions run all the same
          say("webhooks: the checkpoint of " + w.name + " stays: " + e.what());
        }
      }
    host_ = std::move(next);
    current_ = webhooks;
    if (!webhooks.empty()) host_->start();
  }
  void stop() {
    if (host_) host_->stop();
    host_.reset();
  }

 private:
  std::string url_;
  store::StoreOptions options_;
  host::HostOptions host_options_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<host::Host> host_;  // declared after store_: destroyed before it
  std::vector<http::WebhookConfig> current_;
};

/// SIGHUP: reads the file again and applies what can change while running (the webhooks);
/// every other change is reported and left for a restart. A bad file changes nothing.
void reload(const std::string& path, http::DaemonConfig& running, Webhooks& webhooks) {
  http::DaemonConfig next;
  try {
    next = http::read_daemon_config(path);
  } catch (const Error& e) {
    say(std::string("SIGHUP: ") + e.what() + "; nothing changed");
    return;
  }
  const json::Json before = json::to_json(running), after = json::to_json(next);
  for (auto it = after.begin(); it != after.end(); ++it)
    if (it.key() != "webhooks" && before.value(it.key(), json::Json()) != it.value())
      say("SIGHUP: " + it.key() + " changed; that needs a restart, so it is left as it was");
  if (before.value("webhooks", json::Json()) == after.value("webhooks", json::Json())) {
    say("SIGHUP: webhooks unchanged");
    return;
  }
  std::set<std::string> old_names, new_names;
  for (const auto& w : running.webhooks) old_names.insert(w.name);
  for (const auto& w : next.webhooks) new_names.insert(w.name);
  try {
    webhooks.apply(next.webhooks);
  } catch (const std::exception& e) {
    say(std::string("SIGHUP: the webhooks could not be replaced: ") + e.what());
    return;
  }
  running.webhooks = next.webhooks;
  std::string added, removed;
  for (const auto& n : new_names)
    if (!old_names.count(n)) added += " " + n;
  for (const auto& n : old_names)
    if (!new_names.count(n)) removed += " " + n;
  say("SIGHUP: webhooks reloaded: " + std::to_string(next.webhooks.size()) + " subscriptions" +
      (added.empty() ? "" : "; added" + added) + (removed.empty() ? "" : "; removed" + removed));
}

int run(http::DaemonConfig config, const std::string& path) {
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
  Webhooks webhooks(config.store, options, config.host.host);
  webhooks.apply(config.webhooks);
  if (!config.webhooks.empty())
    say("webhooks: " + std::to_string(config.webhooks.size()) + " subscriptions");
  http::Server server(config.http, [&] { return store::Store::open(config.store, options); });
  server.start();
  say(std::string("listening on ") +
      (config.http.tls_certificate.empty() ? "http://" : "https://") +
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
    if (sig == SIGHUP) reload(path, config, webhooks);
  }
  server.stop();  // answers the requests in flight, closes the connections
  auto stats = server.stats();
  say("HTTP stopped after " + std::to_string(stats.requests) + " requests");
  webhooks.stop();
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
    return run(std::move(config), argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "houqind: cannot run: " << e.what() << "\n";
    return 1;
  }
}
