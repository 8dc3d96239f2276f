// houqind as a process, on SQLite in a file and PostgreSQL: a bad config file is refused naming
// the bad key; a good one brings the platform up (schema migrated, HTTP answering the registry)
// and SIGTERM stops it cleanly; run_for stops it by itself.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "../support/backends.hpp"
#include "../support/http.hpp"
#include "../support/net.hpp"
#include "../support/process.hpp"
#include "../support/receiver.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/site/his.hpp"

namespace houqin {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class DaemonTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("houqind-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "keys") << protect::Keyring::generate_line("k1") << "\n";
    fs::permissions(dir_ / "keys", fs::perms::owner_read | fs::perms::owner_write);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// The store URL for the backend (an empty PostgreSQL schema, or a new SQLite file); "" when
  /// PostgreSQL is not configured.
  std::string store_url() {
    auto s = fx_.open(GetParam());
    if (!s) return "";
    return fx_.url();
  }

  fs::path write_config(const std::string& text) {
    auto path = dir_ / "houqind.json";
    std::ofstream(path) << text;
    return path;
  }

  testing::BackendFixture fx_;
  fs::path dir_;
  static inline int counter_ = 0;
};

TEST(Daemon, ABadConfigIsRefusedNamingTheKey) {
  auto dir = fs::temp_directory_path() / ("houqind-bad-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "typo.json") << R"({"store": "sqlite:/nowhere/db", "htp": {"port": 1}})";
  std::ofstream(dir / "range.json")
      << R"({"store": "sqlite:/nowhere/db", "http": {"port": 70000}})";
  std::ofstream(dir / "type.json") << R"({"store": "sqlite:/nowhere/db", "migrate": "yes"})";
  std::ofstream(dir / "memory.json") << R"({"store": "sqlite::memory:"})";
  struct Case {
    std::string file, says;
  };
  for (const auto& [file, says] :
       {Case{"typo.json", "htp: unknown field"}, Case{"range.json", "http: port: must be 0..65535"},
        Case{"type.json", "migrate"}, Case{"memory.json", "in-memory"},
        Case{"missing.json", "cannot read the config file"}}) {
    testing::Child child({HOUQIN_DAEMON, "--config", (dir / file).string()}, true);
    auto out = child.read_all(10s);
    EXPECT_EQ(child.wait(10s), 2) << file << ": " << out;
    EXPECT_NE(out.find(says), std::string::npos) << file << ": " << out;
    EXPECT_NE(out.find((dir / file).string()), std::string::npos) << "names the file: " << out;
  }
  fs::remove_all(dir);
}

TEST(Daemon, TheConfigSchemaAndTheOpenApiDocumentArePrinted) {
  testing::Child schema({HOUQIN_DAEMON, "--config-schema"});
  auto s = json::parse(schema.read_all(10s));
  EXPECT_EQ(schema.wait(10s), 0);
  EXPECT_EQ(s["required"], json::Json::array({"store"}));
  EXPECT_TRUE(s["properties"].contains("http"));
  testing::Child openapi({HOUQIN_DAEMON, "--openapi"});
  auto o = json::parse(openapi.read_all(10s));
  EXPECT_EQ(openapi.wait(10s), 0);
  EXPECT_EQ(o["openapi"], "3.1.0");
}

TEST_P(DaemonTest, ItServesTheRegistryAndStopsCleanlyOnSigterm) {
  auto url = store_url();
  HQ_REQUIRE_STORE(!url.empty() ? &url : nullptr);
  auto config = write_config(json::Json{{"store", url},
                                        {"keys_file", (dir_ / "keys").string()},
                                        {"http", {{"port", 0}}},
                                        {"host", {{"health_every", "PT0S"}}}}
                                 .dump());
  testing::Child daemon({HOUQIN_DAEMON, "--config", config.string()}, true);
  std::optional<std::string> line;
  std::smatch m;
  std::string seen;
  while ((line = daemon.read_line(60s))) {
    seen += *line + "\n";
    if (std::regex_search(*line, m, std::regex("listening on http://127\\.0\\.0\\.1:([0-9]+)/")))
      break;
  }
  ASSERT_TRUE(line) << "houqind did not start: " << seen;
  int port = std::stoi(m[1]);

  // The daemon migrated the schema: accounts can be made in it, and used over HTTP.
  {
    store::StoreOptions o;
    o.keys = protect::Keyring::from_file(dir_ / "keys");
    auto s = store::Store::open(url, o);
    auth::Auth(*s, auth::test_policy())
        .bootstrap({"sysadmin", "System Admin", "Hq-test-2026"},
                   {"secadmin", "Security Admin", "Hq-test-2026"},
                   {"auditor", "Auditor", "Hq-test-2026"});
  }
  testing::Connection c(port);
  EXPECT_EQ(c.request("GET", "/readyz").status, 200);
  auto login = c.request("POST", "/api/v1/auth/login",
                         R"({"login": "secadmin", "password": "Hq-test-2026", "bearer": true})");
  ASSERT_EQ(login.status, 200) << login.body;
  auto made = c.request("POST", "/api/v1/auth/define_role",
                        R"({"name": "viewer", "permissions": ["bi.read"]})",
                        {"Authorization: Bearer " + login.json()["token"].get<std::string>()});
  EXPECT_EQ(made.status, 200) << made.body;

  daemon.signal(SIGTERM);
  auto rest = daemon.read_all(30s);
  EXPECT_EQ(daemon.wait(30s), 0) << rest;
  EXPECT_NE(rest.find("received SIGTERM; stopping"), std::string::npos) << rest;
  EXPECT_FALSE(testing::port_open(port));
}

TEST_P(DaemonTest, RunForStopsItByItself) {
  auto url = store_url();
  HQ_REQUIRE_STORE(!url.empty() ? &url : nullptr);
  auto config = write_config(json::Json{
      {"store", url},
      {"keys_file", (dir_ / "keys").string()},
      {"http", {{"port", 0}}},
      {"host", {{"health_every", "PT0S"}}},
      {"run_for", "PT1S"}}.dump());
  testing::Child daemon({HOUQIN_DAEMON, "--config", config.string()}, true);
  auto out = daemon.read_all(60s);
  EXPECT_EQ(daemon.wait(30s), 0) << out;
  EXPECT_NE(out.find("run_for has passed; stopping"), std::string::npos) << out;
}

/// Reads the daemon's lines until one contains `what` (true) or it goes quiet or ends (false);
/// what was read is appended to `seen`.
bool wait_for_line(testing::Child& daemon, const std::string& what, std::string& seen) {
  while (auto line = daemon.read_line(30s)) {
    seen += *line + "\n";
    if (line->find(what) != std::string::npos) return true;
  }
  return false;
}

TEST_P(DaemonTest, SighupReloadsTheWebhooksAndLeavesTheRestForARestart) {
  auto url = store_url();
  HQ_REQUIRE_STORE(!url.empty() ? &url : nullptr);
  testing::Receiver receiver;
  json::Json base{{"store", url},
                  {"keys_file", (dir_ / "keys").string()},
                  {"http", {{"port", 0}}},
                  {"host", {{"health_every", "PT0S"}, {"host", {{"idle", "PT0.2S"}}}}}};
  auto config = write_config(base.dump());
  testing::Child daemon({HOUQIN_DAEMON, "--config", config.string()}, true);
  std::string seen;
  ASSERT_TRUE(wait_for_line(daemon, "listening on", seen)) << seen;

  write_config(R"({"store": "sqlite:/tmp/x.db", "webhooks": [{"name": "t"}]})");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for_line(daemon, "nothing changed", seen)) << seen;
  EXPECT_NE(seen.find("webhooks[0]"), std::string::npos) << seen;

  auto next = base;
  next["http"]["port"] = testing::free_port();
  next["webhooks"] = json::Json::array({{{"name", "t"},
                                         {"url", receiver.url()},
                                         {"events", {"site."}},
                                         {"secret", "s"},
                                         {"timeout", "PT2S"}}});
  write_config(next.dump());
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for_line(daemon, "webhooks reloaded: 1 subscriptions; added t", seen)) << seen;
  EXPECT_NE(seen.find("SIGHUP: http changed; that needs a restart"), std::string::npos) << seen;

  store::StoreOptions o;
  o.keys = protect::Keyring::from_file(dir_ / "keys");
  auto s = store::Store::open(url, o);
  // The subscription starts at the end of the log: wait for its checkpoint, then push.
  auto has_checkpoint = [&] {
    for (const auto& c : host::consumer_states(*s))
      if (c.name == "webhook.t") return true;
    return false;
  };
  for (int i = 0; i < 300 && !has_checkpoint(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(has_checkpoint());
  site::HisPush push;
  push.departments = {{"D1", "科室", site::DepartmentKind::clinical, {}, {}, true}};
  site::his_push(*s, auth::Actor::service("his", {"site.edit"}), push);
  for (int i = 0; i < 300 && receiver.requests().empty(); ++i) std::this_thread::sleep_for(20ms);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(json::Json::parse(got[0].body)["type"], "site.HisPushed");
  EXPECT_EQ(got[0].headers.count("webhook-signature"), 1u);

  daemon.signal(SIGTERM);
  auto rest = daemon.read_all(30s);
  EXPECT_EQ(daemon.wait(30s), 0) << rest;
}

INSTANTIATE_TEST_SUITE_P(Backends, DaemonTest, ::testing::Values("sqlite_file", "postgresql"));

}  // namespace
}  // namespace houqin
