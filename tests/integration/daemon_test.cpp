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
#include "houqin/auth/auth.hpp"
#include "houqin/protect/keyring.hpp"

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

INSTANTIATE_TEST_SUITE_P(Backends, DaemonTest, ::testing::Values("sqlite_file", "postgresql"));

}  // namespace
}  // namespace houqin
